#!/usr/bin/env bash
# The MPI path on one machine (docs/theory.md 7.2, README "Run on a cluster"):
# `mgdl verify` under mpirun -n 1, 2, 3 prints the same verdicts, witnesses,
# enclosures and cell counts as a plain run, for 1-D, 2-D and 3-D schemes and
# for proved, refuted and undecided claims; `mgdl construct` writes the same
# scheme bytes, and a checkpoint resumes on another N to the same bytes; a
# rank that dies fails the run; bad setups get a one-line error. Usage: tests/mpi_test.sh path/to/mgdl
set -u
MGDL=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
# No network interfaces are needed on one machine (and containers may have none usable).
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
command -v mpirun >/dev/null || { echo "FAIL: mpirun not found (scripts/deps installs openmpi-bin)"; exit 1; }

# Everything but the run time, which is the last field of the last line.
strip() { sed -E 's/, [0-9.]+ s$//' "$1"; }
# same NAME EXPECTED_EXIT ARGS...: a plain run, then mpirun -n 1, 2, 3 (one thread each).
same() {
  local name=$1 code=$2
  shift 2
  "$MGDL" verify "$@" >"$T/plain" 2>"$T/err"
  local rc=$?
  [ "$rc" -eq "$code" ] || { bad "$name: plain run exit $rc, expected $code: $(head -c 300 "$T/err")"; return; }
  for n in 1 2 3; do
    mpirun -n "$n" "$MGDL" verify "$@" --threads 1 >"$T/n$n" 2>"$T/err"
    rc=$?
    if [ "$rc" -ne "$code" ]; then bad "$name: mpirun -n $n exit $rc, expected $code: $(head -c 300 "$T/err")"; continue; fi
    if diff <(strip "$T/plain") <(strip "$T/n$n") >"$T/diff"; then ok; else bad "$name: mpirun -n $n differs: $(head -c 600 "$T/diff")"; fi
  done
}

"$MGDL" construct --target sin2pi --eps 1e-3 -o "$T/s1.json" -q >/dev/null || bad "construct 1-D"
"$MGDL" construct --target sinsin --eps 2e-2 --defect-depth 1 -o "$T/s2.json" -q >/dev/null || bad "construct 2-D"
"$MGDL" construct --target 'sin(x1+x2+x3)' --eps 3e-2 -o "$T/s3.json" -q >/dev/null || bad "construct 3-D"

same "1-D proved" 0 "$T/s1.json"
same "2-D proved" 0 "$T/s2.json"
same "3-D proved" 0 "$T/s3.json"
# A wrong target: C2 and C3 refuted at points; every N must name the same grade and point.
same "1-D refuted" 1 "$T/s1.json" --target 'sin(2*pi*x) - 0.3*max(0, 1 - 20*abs(x - 0.3))'
grep -q "at x = " "$T/plain" && ok || bad "the refuted run prints a witness point"
same "2-D refuted" 1 "$T/s2.json" --eps 1e-3
# Small budgets: the same open grades and the same partial enclosures.
same "2-D undecided" 3 "$T/s2.json" --budget 3 --tighten 10
same "3-D other slab level" 0 "$T/s3.json" --slab-level 2 --at 5,17

# More ranks than slabs: a one-line error (from each rank) and exit 2.
mpirun -n 3 "$MGDL" verify "$T/s1.json" --slab-level 1 >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" -eq 2 ] && ok || bad "3 ranks on 2 slabs: exit $rc, expected 2"
grep -q "slab-level must be at least 2" "$T/err" && ok || bad "3 ranks on 2 slabs: $(head -c 300 "$T/err")"
# Only verify and construct run on several ranks.
mpirun -n 2 "$MGDL" targets >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" -eq 2 ] && ok || bad "targets on 2 ranks: exit $rc, expected 2"
# One line from mgdl (rank 0; mpirun adds its own report of the exit codes).
[ "$(grep -c "^mgdl: " "$T/err")" -eq 1 ] && grep -q "^mgdl: error: only \`mgdl verify\` and \`mgdl construct\` run on more than one rank" "$T/err" && ok || bad "targets on 2 ranks: $(cat "$T/err")"

# construct under mpirun: the same scheme bytes and the same report for N = 1, 2, 3.
# cons NAME ARGS...: a plain run, then mpirun -n 1, 2, 3 (one thread each).
cons() {
  local name=$1
  shift
  "$MGDL" construct "$@" -q -o "$T/c0.json" >"$T/plain" 2>"$T/err" || { bad "$name: plain construct: $(head -c 300 "$T/err")"; return; }
  for n in 1 2 3; do
    rm -f "$T/c$n.json"
    mpirun -n "$n" "$MGDL" construct "$@" -q --threads 1 -o "$T/c$n.json" >"$T/n$n" 2>"$T/err" || { bad "$name: mpirun -n $n: $(head -c 300 "$T/err")"; continue; }
    cmp -s "$T/c0.json" "$T/c$n.json" && ok || bad "$name: mpirun -n $n wrote other bytes"
    diff <(sed -E 's/, [0-9.]+ s$//; s/c[0-9].json/c.json/' "$T/plain") <(sed -E 's/, [0-9.]+ s$//; s/c[0-9].json/c.json/' "$T/n$n") >"$T/diff" && ok || bad "$name: mpirun -n $n printed otherwise: $(head -c 600 "$T/diff")"
  done
}
cons "construct 1-D" --target sin2pi --eps 1e-6
cons "construct 2-D" --target sinsin --eps 2e-2
cons "construct 3-D" --target 'sin(x1+x2+x3)' --eps 3e-2
cons "construct 1-D uniform" --target runge --eps 1e-3 --schedule uniform --rule second-order

# A checkpointed construction resumes on another N: stopped by a time limit
# on 3 ranks (every rank exits 3, the file says time-limit), resumed on 2 and
# on 1, it ends with the uninterrupted run's bytes.
"$MGDL" construct --target sin2pi --eps 1e-8 -o "$T/big.json" -q >/dev/null || bad "construct 1e-8"
mpirun -n 3 "$MGDL" construct --target sin2pi --eps 1e-8 --threads 1 --time-limit 0.4 -q -o "$T/part.json" >/dev/null 2>"$T/err"
rc=$?
[ "$rc" -eq 3 ] && ok || bad "3 ranks with a time limit: exit $rc, expected 3: $(head -c 300 "$T/err")"
grep -q "\"stop\":\"time-limit\"" "$T/part.json" && ok || bad "3 ranks with a time limit: the file does not say time-limit"
cp "$T/part.json" "$T/part1.json"
mpirun -n 2 "$MGDL" construct --resume "$T/part.json" --threads 1 -q >/dev/null 2>"$T/err" || bad "resume on 2 ranks: $(head -c 300 "$T/err")"
cmp -s "$T/part.json" "$T/big.json" && ok || bad "resumed on 2 ranks: other bytes than the uninterrupted run"
"$MGDL" construct --resume "$T/part1.json" -q >/dev/null 2>"$T/err" || bad "resume on 1 rank: $(head -c 300 "$T/err")"
cmp -s "$T/part1.json" "$T/big.json" && ok || bad "resumed on 1 rank: other bytes than the uninterrupted run"
# A new tolerance continues a scheme alike on any N.
"$MGDL" construct --target sinsin --eps 5e-2 -q -o "$T/t1.json" >/dev/null && "$MGDL" construct --resume "$T/t1.json" --eps 1e-2 -q >/dev/null || bad "plain resume with a new eps"
mpirun -n 2 "$MGDL" construct --target sinsin --eps 5e-2 -q --threads 1 -o "$T/t2.json" >/dev/null && mpirun -n 3 "$MGDL" construct --resume "$T/t2.json" --eps 1e-2 --threads 1 -q >/dev/null || bad "resume with a new eps on 2 then 3 ranks"
cmp -s "$T/t1.json" "$T/t2.json" && ok || bad "a new tolerance on 2 then 3 ranks: other bytes"
# What runs on one rank only says so, and writes nothing.
for args in "--rule first-order --schedule adaptive" "--compose"; do
  rm -f "$T/x.json"
  tgt="--target sin2pi"
  [ "$args" = "--compose" ] && tgt=""
  mpirun -n 2 "$MGDL" construct $tgt --eps 1e-1 $args -q -o "$T/x.json" >"$T/out" 2>"$T/err"
  rc=$?
  [ "$rc" -eq 2 ] && ok || bad "construct $args on 2 ranks: exit $rc, expected 2"
  grep -q "one rank only" "$T/err" && ok || bad "construct $args on 2 ranks: $(head -c 300 "$T/err")"
  [ -e "$T/x.json" ] && bad "construct $args on 2 ranks wrote a file" || ok
done
# A rank killed during a construction: the run fails, and the file left (if
# any) is a whole checkpoint that resumes to the uninterrupted run's bytes.
rm -f "$T/kill.json"
timeout 300 mpirun -n 2 sh -c 'if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then (sleep 0.7; kill -9 $$) & fi; exec "$0" construct --target sin2pi --eps 1e-8 --threads 1 -q -o "$1"' "$MGDL" "$T/kill.json" >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && ok || bad "a killed rank in construct: exit $rc"
if [ -e "$T/kill.json" ]; then
  "$MGDL" construct --resume "$T/kill.json" -q >/dev/null 2>"$T/err" || bad "resume after a killed rank: $(head -c 300 "$T/err")"
  cmp -s "$T/kill.json" "$T/big.json" && ok || bad "resume after a killed rank: other bytes"
fi

# A rank killed mid-run: the run fails (mpirun names the rank), it never hangs or prints a verdict.
# (The verification takes a few seconds; rank 1 is killed after half a second.)
timeout 300 mpirun -n 2 sh -c 'if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then (sleep 0.5; kill -9 $$) & fi; exec "$0" verify "$1" --threads 1' "$MGDL" "$T/big.json" >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && ok || bad "a killed rank: exit $rc"
grep -q "PROVED" "$T/out" && bad "a killed rank: a verdict was printed" || ok
grep -qi "rank 1\|signal 9\|killed" "$T/err" && ok || bad "a killed rank: no message naming it: $(head -c 400 "$T/err")"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
