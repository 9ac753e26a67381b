#!/usr/bin/env bash
# End-to-end tests of the mgdl command line: exit codes, one-line errors,
# no output file left behind on failure, construct/eval round trip.
set -u
MGDL="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"  # absolute: some tests change directory
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect CODE DESCRIPTION -- command...: exit code, one-line stderr on errors
expect() {
  local code=$1 what=$2
  shift 3
  "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  if [ "$rc" -ne "$code" ]; then bad "$what: exit $rc, expected $code; stderr: $(head -c 300 "$T/err")"; return; fi
  if [ "$code" -eq 2 ]; then
    local lines
    lines=$(wc -l <"$T/err")
    if [ "$lines" -ne 1 ]; then bad "$what: expected a one-line error, got $lines lines"; return; fi
  fi
  ok
}

expect 0 "targets" -- "$MGDL" targets
grep -q "sin2pi" "$T/out" && ok || bad "targets lists sin2pi"
# Columns never run together: every row splits into name, dim, expression at
# runs of two or more spaces, and the name column holds the longest name.
awk 'NR > 1 { n = split($0, f, /  +/); if (n < 3 || f[2] !~ /^[0-9]+$/) { print "row " NR ": " $0; exit 1 } }' "$T/out" && ok || bad "targets columns run together"
grep -q "^weierstrass  *1 " "$T/out" && ok || bad "targets: weierstrass glued to its dimension"
expect 0 "help" -- "$MGDL" --help
expect 0 "construct help" -- "$MGDL" construct --help

# Bad input: exit 2, one line, no file.
expect 2 "bad expression" -- "$MGDL" construct --target 'sin(x' -o "$T/a.json"
grep -q "column" "$T/err" && ok || bad "expression error names a column"
expect 2 "unknown name" -- "$MGDL" construct --target 'foo(x)' -o "$T/a.json"
expect 2 "unbalanced parenthesis" -- "$MGDL" construct --target '2*x)' -o "$T/a.json"
grep -q "column 4" "$T/err" && ok || bad "unbalanced parenthesis names column 4"
expect 2 "empty expression" -- "$MGDL" construct --target ' ' -o "$T/a.json"
expect 2 "huge exponent" -- "$MGDL" construct --target 'x^100000000' -o "$T/a.json"
expect 2 "huge number" -- "$MGDL" construct --target '1e99999*x' -o "$T/a.json"
expect 2 "deep nesting" -- "$MGDL" construct --target "$(printf '(%.0s' $(seq 1 5000))x$(printf ')%.0s' $(seq 1 5000))" -o "$T/a.json"
grep -q "nested deeper" "$T/err" && ok || bad "deep nesting is named"
expect 2 "dimension too small" -- "$MGDL" construct --target 'x1*x3' --dim 2 -o "$T/a.json"
expect 2 "dimension out of range" -- "$MGDL" construct --target 'x' --dim 0 -o "$T/a.json"
expect 2 "bad eps" -- "$MGDL" construct --target 'x' --eps abc -o "$T/a.json"
expect 2 "negative eps" -- "$MGDL" construct --target 'x' --eps -1 -o "$T/a.json"
expect 2 "unknown rule" -- "$MGDL" construct --target 'x' --rule third-order -o "$T/a.json"
expect 2 "unknown schedule" -- "$MGDL" construct --target 'x' --schedule sometimes -o "$T/a.json"
expect 2 "bad kappa" -- "$MGDL" construct --target 'x' --kappa 2 -o "$T/a.json"
expect 2 "defect depth out of range" -- "$MGDL" construct --target 'x1*x2' --defect-depth 5 -o "$T/a.json"
[ ! -e "$T/a.json" ] && ok || bad "a refused option writes nothing"
# The default kappa: 1/16 for the second-order rule on a target with a Hessian, else 1/2 (docs/theory.md 8.2).
expect 0 "default engine, smooth target" -- "$MGDL" construct --target 'x1*x2' --eps 1e-1 -q --format 1 -o "$T/k.json"
grep -q '"kappa":"1/16"' "$T/k.json" && grep -q '"defect_depth":3' "$T/k.json" && ok || bad "kappa 1/16 and defect depth 3 by default (2-D)"
grep -q '"last_theta":"65535/65536"' "$T/k.json" && ok || bad "a last level with theta 1 - 2^-16 by default (second order)"
expect 2 "last-theta out of range" -- "$MGDL" construct --target 'x' --last-theta 1 -o "$T/a.json"
expect 2 "last-theta with Theorem A's engine" -- "$MGDL" construct --target 'x' --rule first-order --schedule adaptive --last-theta 1/2 -o "$T/a.json"
expect 0 "no last level" -- "$MGDL" construct --target 'x1*x2' --eps 1e-1 -q --format 1 --last-theta none -o "$T/k0.json"
grep -q '"last_theta":"0"' "$T/k0.json" && ok || bad "--last-theta none is recorded as 0"
rm -f "$T/k0.json"
[ ! -e "$T/a.json" ] && ok || bad "a refused last-theta writes nothing"
expect 0 "default engine, 3-D" -- "$MGDL" construct --target 'x1*x2*x3' --eps 2e-1 -q --format 1 -o "$T/k.json"
grep -q '"defect_depth":0' "$T/k.json" && ok || bad "defect depth 0 by default in 3-D"
expect 0 "default engine, no Hessian" -- "$MGDL" construct --target takagi --eps 2e-1 -q --format 1 -o "$T/k.json"
grep -q '"kappa":"1/2"' "$T/k.json" && ok || bad "kappa 1/2 for a target without a Hessian"
expect 0 "first-order rule" -- "$MGDL" construct --target 'x1*x2' --eps 1e-1 -q --rule first-order --schedule adaptive --format 1 -o "$T/k.json"
grep -q '"kappa":"1/2"' "$T/k.json" && ok || bad "kappa 1/2 for the first-order rule"
rm -f "$T/k.json"
expect 2 "theta too small for kappa" -- "$MGDL" construct --target 'x' --theta 0.25 -o "$T/a.json"
expect 2 "unknown option" -- "$MGDL" construct --target 'x' --frobnicate -o "$T/a.json"
expect 2 "missing output" -- "$MGDL" construct --target 'x'
expect 2 "not finite" -- "$MGDL" construct --target '1/(x-0.5)' -o "$T/a.json"
grep -q "not finite" "$T/err" && ok || bad "non-finite target is named"
expect 2 "unwritable output" -- "$MGDL" construct --target 'x' -o "$T/no/such/dir/a.json"
[ ! -e "$T/a.json" ] && ok || bad "a failed construct left $T/a.json"
[ -z "$(ls "$T" | grep -v '^out$\|^err$')" ] && ok || bad "temporary files left: $(ls "$T")"
expect 2 "no subcommand" -- "$MGDL"

# Construct, then evaluate.
expect 0 "construct sin2pi" -- "$MGDL" construct --target sin2pi --eps 1e-1 -o "$T/s.json" --quiet --format 1
grep -q "stopped by tolerance" "$T/out" && ok || bad "construct reports the stop reason"
expect 3 "construct stopped by max-grades" -- "$MGDL" construct --target sin2pi --eps 1e-3 --max-grades 5 -o "$T/g.json" --quiet
[ -s "$T/g.json" ] && ok || bad "a limited run still writes its valid scheme"
printf '0.25\n1/3\n# comment\n\n0.5\n' >"$T/pts"
expect 0 "eval" -- "$MGDL" eval "$T/s.json" --points "$T/pts"
[ "$(wc -l <"$T/out")" -eq 3 ] && ok || bad "eval prints one line per point"
expect 0 "eval stdin json" -- sh -c "printf '0.25\n' | '$MGDL' eval '$T/s.json' --json --grade 0"
grep -q '"F": "0"' "$T/out" && ok || bad "grade 0 has F = 0"
expect 2 "eval bad point" -- sh -c "printf '1.5\n' | '$MGDL' eval '$T/s.json'"
expect 2 "eval wrong arity" -- sh -c "printf '0.1 0.2\n' | '$MGDL' eval '$T/s.json'"
expect 2 "eval bad grade" -- sh -c "printf '0.1\n' | '$MGDL' eval '$T/s.json' --grade 999999"
expect 2 "eval missing file" -- "$MGDL" eval "$T/missing.json"
printf '{"format": "mgdl-scheme/1", "dim": 1' >"$T/trunc.json"
expect 2 "eval truncated file" -- "$MGDL" eval "$T/trunc.json" --points "$T/pts"

# Interrupt (SIGINT) and resume: the resumed file equals an uninterrupted run's.
"$MGDL" construct --target sin2pi --eps 1e-3 --rule first-order --schedule adaptive -o "$T/full.json" --quiet >/dev/null 2>&1
"$MGDL" construct --target sin2pi --eps 1e-3 --rule first-order --schedule adaptive -o "$T/int.json" --quiet >/dev/null 2>"$T/interr" &
pid=$!
for _ in $(seq 1 100); do [ -s "$T/int.json" ] && break; sleep 0.02; done
sleep 0.3
kill -INT $pid 2>/dev/null
wait $pid
rc=$?
if [ "$rc" -eq 130 ]; then
  ok
  grep -q "resume" "$T/interr" && ok || bad "an interrupted construct says how to resume"
  expect 0 "eval of an interrupted scheme" -- "$MGDL" eval "$T/int.json" --points "$T/pts"
  expect 0 "resume" -- "$MGDL" construct --resume "$T/int.json" --quiet
  cmp -s "$T/int.json" "$T/full.json" && ok || bad "resumed scheme differs from the uninterrupted one"
elif [ "$rc" -eq 0 ]; then
  echo "note: construct finished before SIGINT; resume not exercised by this run"
  ok
else
  bad "interrupted construct exited $rc, expected 130"
fi
expect 2 "resume a file that is not a construction" -- "$MGDL" construct --resume "$T/trunc.json"

# Resuming a finished scheme changes nothing (bytes, cell_bounds kept); with
# --eps it continues to the new tolerance, keeping the grades already there,
# and success is claimed only with a certified bound <= eps. The target has a
# hat at the boundary node 0 (e(0) = exp(0) - ... != 0), which resume once refused.
"$MGDL" construct --target 'exp(-40*(x-0.3)^2)' --eps 1e-2 -o "$T/fin.json" --quiet >/dev/null 2>&1
cp "$T/fin.json" "$T/fin0.json"
expect 0 "resume a finished scheme" -- "$MGDL" construct --resume "$T/fin.json"
cmp -s "$T/fin.json" "$T/fin0.json" && ok || bad "resuming a finished scheme changed it"
grep -q '^b ' "$T/fin.json" && ok || bad "a resumed finished scheme lost its cell bounds"
grep -q "(eps 0.01)" "$T/out" && ok || bad "resume of a finished scheme prints the eps it used: $(grep stopped "$T/out")"
expect 0 "resume a finished scheme to a tighter eps" -- "$MGDL" construct --resume "$T/fin.json" --eps 1e-4 -o "$T/fin4.json"
grep -q "stopped by tolerance.*(eps 1e-4)" "$T/out" && ok || bad "tighter resume stop line: $(grep stopped "$T/out")"
python3 - "$T/fin0.json" "$T/fin4.json" <<'PY' && ok || bad "tighter resume: old grades kept, bound <= 1e-4"
import json, sys
from fractions import Fraction
def load(p):  # mgdl-scheme/2: head on line 2, one line per grade
    lines = open(p).read().splitlines()
    assert lines[0] == "mgdl-scheme/2", lines[0]
    head = json.loads(lines[1])
    head["grades"] = [l for l in lines[2:] if l[:2] in ("h ", "g ")]
    return head
a, b = (load(p) for p in sys.argv[1:])
ga, gb = a["grades"], b["grades"]
assert len(gb) > len(ga) and gb[:len(ga)] == ga, "the grades already there changed"
assert Fraction(b["result"]["bound"]) <= Fraction(1, 10**4), b["result"]["bound"]
PY
expect 0 "verify the continued scheme at 1e-4" -- "$MGDL" verify "$T/fin4.json" --eps 1e-4
grep -q "^C3 .*PROVED" "$T/out" && ok || bad "continued scheme: C3 PROVED at 1e-4"
# A continuation that cannot reach its tolerance never claims it.
expect 3 "tighter resume stopped by a time limit" -- "$MGDL" construct --resume "$T/fin.json" --eps 1e-12 --time-limit 0.000001 -o "$T/fin12.json"
grep -q "stopped by tolerance" "$T/out" && bad "a time-limited continuation claimed the tolerance" || ok
for opt in "--target x" "--dim 2" "--rule first-order" "--schedule uniform" "--kappa 1/3" "--theta 1/2" "--precision 200" "--max-grades 10" "--max-level 3"; do
  # shellcheck disable=SC2086
  expect 2 "resume refuses $opt" -- "$MGDL" construct --resume "$T/fin.json" $opt -o "$T/no.json"
  [ -e "$T/no.json" ] && bad "resume with $opt left a file" || ok
done
rm -f "$T/fin.json" "$T/fin0.json" "$T/fin4.json" "$T/fin12.json"
rm -f "$T/int.json" "$T/full.json" "$T/interr"

# Verify: exit 0 proved, 1 refuted, 3 undecided, 2 bad input.
expect 0 "verify proved" -- "$MGDL" verify "$T/s.json"
grep -q "^C2 .*PROVED" "$T/out" && ok || bad "verify prints C2 PROVED"
expect 1 "verify refuted (wrong target)" -- "$MGDL" verify "$T/s.json" --target 'sin(2*pi*x) - 0.3*max(0, 1 - 20*abs(x - 0.3))'
grep -q "REFUTED" "$T/out" && ok || bad "verify prints REFUTED"
expect 3 "verify undecided (tiny budget)" -- "$MGDL" verify "$T/s.json" --budget 1 --slab-level 0
expect 2 "verify --slab-level above --max-level" -- "$MGDL" verify "$T/s.json" --slab-level 9 --max-level 8
grep -q "at most --max-level" "$T/err" && ok || bad "the slab level error names --max-level"
expect 2 "verify --slab-level out of range" -- "$MGDL" verify "$T/s.json" --slab-level 21
expect 2 "verify --slab-level with too many starting cells" -- "$MGDL" verify "$T/s.json" --slab-level 17
grep -q "at most 16" "$T/err" && ok || bad "the slab level error names the largest level"
expect 0 "verify --slab-level 0" -- "$MGDL" verify "$T/s.json" --slab-level 0
grep -q "in 1 slab," "$T/out" && ok || bad "verify names its slabs"
expect 0 "verify json" -- "$MGDL" verify "$T/s.json" --json --p 1,2,3/2
grep -q '"verdict": "PROVED"' "$T/out" && ok || bad "verify --json carries the verdict"
expect 2 "verify bad p" -- "$MGDL" verify "$T/s.json" --p 0.5
expect 2 "verify bad at" -- "$MGDL" verify "$T/s.json" --at 99999999
# Counts that CLI11 would wrap around 2^64 (found by the red team) are refused.
expect 2 "verify --at 2^64 + 1" -- "$MGDL" verify "$T/s.json" --at 18446744073709551617
expect 2 "verify --budget -1" -- "$MGDL" verify "$T/s.json" --budget -1
expect 2 "verify --budget 2^64 + 1" -- "$MGDL" verify "$T/s.json" --budget 18446744073709551617
expect 2 "verify --budget 0" -- "$MGDL" verify "$T/s.json" --budget 0
# The tightening allowance: widths change, verdicts never.
expect 0 "verify --tighten 1" -- "$MGDL" verify "$T/s.json" --tighten 1
expect 0 "verify --tighten 1000000" -- "$MGDL" verify "$T/s.json" --tighten 1000000
expect 2 "verify --tighten -1" -- "$MGDL" verify "$T/s.json" --tighten -1
expect 2 "verify --tighten x" -- "$MGDL" verify "$T/s.json" --tighten x
expect 2 "construct --max-grades -1" -- "$MGDL" construct --target x --max-grades -1 -o "$T/wrap.json"
expect 2 "verify --max-file-bytes -1" -- "$MGDL" verify "$T/s.json" --max-file-bytes -1
expect 2 "verify wrong dimension target" -- "$MGDL" verify "$T/s.json" --target sinsin
expect 2 "verify missing file" -- "$MGDL" verify "$T/missing.json"
python3 - "$T/s.json" "$T/wide.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["grades"][1]["layers"][0]["W"].append(["0", "0", "0"])
s["grades"][1]["layers"][0]["b"].append("0")
json.dump(s, open(sys.argv[2], "w"))
PY
expect 1 "verify wider layer" -- "$MGDL" verify "$T/wide.json"
grep -q "grade 2 layer 1 has 4 neurons" "$T/out" && ok || bad "C1 names the wider grade"
expect 2 "eval rejects a broken structure" -- "$MGDL" eval "$T/wide.json" --points "$T/pts"

# The tables freshness check catches a hand edit (a row, or anything else in the file).
# Under the sanitizers (scripts/sanitize sets MGDL_SANITIZED) the regeneration
# takes tens of minutes; the release run checks it, and the unit test of the
# theorem tables runs the same code under the sanitizers on a small catalogue.
DOCS="$(cd "$(dirname "$0")/.." && pwd)/docs"
if [ -f "$DOCS/theorems.md" ] && [ -z "${MGDL_SANITIZED:-}" ]; then
  cp -r "$DOCS" "$T/docs"
  # One regeneration checks three planted edits: a quick row of theorems.md,
  # prose of theorems.md (the checksum), and a quick row of rules.md.
  sed -i '0,/| kink | 1 | 165 |/s//| kink | 1 | 166 |/' "$T/docs/theorems.md"
  sed -i 's/Each table states one claim/Each table states a claim/' "$T/docs/theorems.md"
  sed -i '0,/| kink | 1e-6 | SO\/local | 175 |/s//| kink | 1e-6 | SO\/local | 176 |/' "$T/docs/rules.md"
  expect 1 "tables --check catches edited rows and prose" -- "$MGDL" tables --quick --check --docs "$T/docs"
  grep -q "stale: theorems.md: row differs or is missing: | kink | 1 | 165 |" "$T/out" && ok || bad "the check names the edited theorems row"
  grep -q "theorems.md was edited by hand (checksum mismatch)" "$T/out" && ok || bad "the checksum catches prose edits"
  grep -q "stale: rules.md: row differs or is missing: | kink | 1e-6 | SO/local | 175 |" "$T/out" && ok || bad "the check names the edited rules row"
  grep -q "rules.md was edited by hand" "$T/out" && ok || bad "the rules checksum catches the edit"
  pushd "$DOCS/.." >/dev/null
  expect 2 "tables --quick would overwrite docs/ with a subset" -- "$MGDL" tables --quick
  popd >/dev/null
  expect 2 "tables --latex with --check" -- "$MGDL" tables --quick --check --latex "$T/tex"
fi
expect 2 "unknown theorem" -- "$MGDL" theorem nosuch

# Composition and trained networks: construct --compose, import, verify (general-network analysis).
expect 0 "compose 6 grades" -- "$MGDL" construct --compose --eps 1e-4 -o "$T/xx.json"
grep -q "6 grades" "$T/out" && ok || bad "compose picks K = 6 for eps 1e-4 (2^-14 <= 1e-4 < 2^-12)"
expect 0 "compose verifies" -- "$MGDL" verify "$T/xx.json"
grep -q "^C2 sign-preserving  PROVED" "$T/out" && ok || bad "compose: the sign form is proved"
grep -q "^6  *PROVED  *PROVED" "$T/out" && ok || bad "compose: per-grade row 6 proved"
expect 2 "compose with a target" -- "$MGDL" construct --compose --target x -o "$T/bad.json"
[ ! -e "$T/bad.json" ] && ok || bad "compose with a target leaves no file"
cat >"$T/w.json" <<'JSON'
{"format": "mgdl-weights/1", "dim": 1, "target": "x*(1-x)", "grades": [
 {"layers": [{"W": [[1.0], [1.0]], "b": [0.0, -0.5]}], "readout": {"c": [0.5, -1.0], "c0": 0}},
 {"layers": [{"W": [[2.0, -4.0], [2.0, -4.0]], "b": [0.0, -0.5]}], "readout": {"c": [0.125, -0.25], "c0": 0}}]}
JSON
expect 0 "import JSON (the first two composed grades)" -- "$MGDL" import "$T/w.json" -o "$T/w-scheme.json"
expect 0 "verify the imported network" -- "$MGDL" verify "$T/w-scheme.json" --eps 1/60 --json
python3 -c "import json,sys; j=json.load(open(sys.argv[1])); assert j['verdict']=='PROVED' and len(j['per_grade'])==2 and j['per_grade'][1]['C2_sign']=='PROVED'" "$T/out" && ok || bad "imported network: per_grade rows in --json, all proved"
sed 's/\[\[2.0, -4.0\], \[2.0, -4.0\]\]/[[2.0, -4.0, 1.0], [2.0, -4.0, 1.0]]/' "$T/w.json" >"$T/w-bad.json"
expect 2 "import a wrong shape" -- "$MGDL" import "$T/w-bad.json" -o "$T/w-bad-scheme.json"
grep -q "g2_W1 has shape \[2, 3\], expected \[2, 2\]" "$T/err" && ok || bad "the import error names the array and its shape"
[ ! -e "$T/w-bad-scheme.json" ] && ok || bad "a failed import leaves no file"
sed 's/"c": \[0.125, -0.25\]/"c": [0.25, -0.25]/' "$T/w.json" >"$T/w-planted.json"
expect 0 "import a planted defect" -- "$MGDL" import "$T/w-planted.json" -o "$T/w-planted-scheme.json"
expect 1 "the planted defect is refuted" -- "$MGDL" verify "$T/w-planted-scheme.json" --eps 1/2
grep -q "^C2 sign-preserving  REFUTED" "$T/out" && ok || bad "planted readout defect: the sign form is refuted"

# Grade-wise training: plain (C2 refuted per grade) and certified (proved per grade); bad options leave no file.
expect 0 "train plain" -- "$MGDL" train -t sin2pi --grades 2 --width 8 --epochs 50 --samples 200 -q -o "$T/tr-plain.json"
expect 1 "verify the plain trained network" -- "$MGDL" verify "$T/tr-plain.json" --eps 1 --json
python3 -c "import json,sys; j=json.load(open(sys.argv[1])); assert j['per_grade'][1]['C2_sign']=='REFUTED'" "$T/out" && ok || bad "plain training: C2 sign refuted at grade 1"
expect 0 "train certified" -- "$MGDL" train -t sin2pi --grades 2 --width 8 --epochs 50 --samples 200 --certified -q -o "$T/tr-cert.json"
"$MGDL" verify "$T/tr-cert.json" --eps 1 --network --json >"$T/out" 2>"$T/err"
python3 -c "import json,sys; j=json.load(open(sys.argv[1])); assert all(r['C2_sign']=='PROVED' for r in j['per_grade'][1:]), j['per_grade']" "$T/out" && ok || bad "certified training: C2 sign proved at every grade"
expect 2 "train: --certified with --no-carry" -- "$MGDL" train -t sin2pi --certified --no-carry -o "$T/tr-bad.json"
expect 2 "train: a target not finite at the samples" -- "$MGDL" train -t "log(x-2)" --grades 1 -o "$T/tr-bad.json"
expect 2 "train: width 1 leaves nothing to train" -- "$MGDL" train -t sin2pi --width 1 -o "$T/tr-bad.json"
[ ! -e "$T/tr-bad.json" ] && ok || bad "a failed train leaves no file"
cmp -s <("$MGDL" train -t sin2pi --grades 2 --width 8 --epochs 50 --samples 200 -q -o "$T/tr-again.json" >/dev/null; cat "$T/tr-again.json") "$T/tr-plain.json" && ok || bad "train is deterministic (same bytes)"

# The uniform P1 baseline: x^2 needs h^2/4 <= eps (level 4 at 1e-3, level 3 refuted).
expect 0 "baseline x^2" -- "$MGDL" baseline -t "x^2" --eps 1e-3
grep -q "coarsest certified grid: level 4, 17 nodes (the level below is refuted" "$T/out" && ok || bad "baseline x^2: level 4, 17 nodes, exact"
expect 3 "baseline: no level up to --max-level" -- "$MGDL" baseline -t "x^2" --eps 1e-3 --max-level 2
expect 2 "baseline: eps not positive" -- "$MGDL" baseline -t "x^2" --eps 0
expect 2 "baseline: malformed eps" -- "$MGDL" baseline -t "x^2" --eps 1e-

# mgdl-scheme/2 (the default): the same network as format 1, verified the
# same way; hostile compact files are refused with one line, never a verdict.
expect 0 "construct sin2pi format 2" -- "$MGDL" construct --target sin2pi --eps 1e-1 -o "$T/s2.json" --quiet
head -1 "$T/s2.json" | grep -qx "mgdl-scheme/2" && ok || bad "construct writes mgdl-scheme/2 by default"
"$MGDL" verify "$T/s.json" --threads 1 | grep -v "^scheme\|cells examined" >"$T/v1.txt"
"$MGDL" verify "$T/s2.json" --threads 1 | grep -v "^scheme\|cells examined" >"$T/v2.txt"
cmp -s "$T/v1.txt" "$T/v2.txt" && ok || bad "verify differs between formats 1 and 2 of one scheme"
"$MGDL" eval "$T/s.json" --points "$T/pts" >"$T/e1.txt" 2>&1; "$MGDL" eval "$T/s2.json" --points "$T/pts" >"$T/e2.txt" 2>&1
cmp -s "$T/e1.txt" "$T/e2.txt" && ok || bad "eval differs between formats 1 and 2 of one scheme"
python3 - "$T/s2.json" "$T" <<'PY'
import sys
src, out = sys.argv[1], sys.argv[2]
lines = open(src).read().splitlines()
hats = [i for i, l in enumerate(lines) if l.startswith("h ")]
h = hats[1]
def put(name, ls):
    open(f"{out}/hostile2-{name}.json", "w").write("\n".join(ls) + "\n")
def with_line(i, text):
    ls = list(lines); ls[i] = text; return ls
put("no-end", lines[:-1])
put("cut", lines[:h])
put("end-count", lines[:-1] + ["end 1"])
put("after-end", lines + ["h 0 0 0 1"])
put("tokens", with_line(h, lines[h] + " 7"))
put("node", with_line(h, "h 1 1 3 1"))
put("level", with_line(h, "h 1 63 0 1"))
put("amplitude", with_line(h, "h 1 1 1 1/3"))
put("exponent", with_line(h, "h 1 1 1 1p99999999999"))
put("kind", with_line(h, "x 1 1 1 1"))
put("grade-json", with_line(h, "g {\"layers\": 3}"))
put("head", with_line(1, "{\"format\": \"mgdl-scheme/2\"}"))
put("bound-late", lines[:h] + ["b 1 0 1"] + lines[h:])
put("first-line", ["mgdl-scheme/3"] + lines[1:])
PY
for f in "$T"/hostile2-*.json; do
  expect 2 "hostile compact scheme $(basename "$f")" -- "$MGDL" verify "$f"
  [ "$(wc -l <"$T/out")" -le 1 ] && ! grep -q "PROVED" "$T/out" && ok || bad "$(basename "$f"): more than one line or a verdict: $(head -3 "$T/out")"
done
# A hand-written compact file whose grade is not what its record says cannot
# exist: a hat record is its block. A "g" line spells out any grade, and the
# checker proves it from the weights like a format-1 grade.
python3 - "$T/s.json" "$T/s2.json" "$T/mixed.json" <<'PY'
import json, sys
one = json.load(open(sys.argv[1])); lines = open(sys.argv[2]).read().splitlines()
hats = [i for i, l in enumerate(lines) if l.startswith("h ")]
g = one["grades"][1]
lines[hats[1]] = "g " + json.dumps(g)
open(sys.argv[3], "w").write("\n".join(lines) + "\n")
PY
"$MGDL" verify "$T/mixed.json" --threads 1 | grep -v "^scheme\|cells examined" >"$T/vm.txt"
cmp -s "$T/v1.txt" "$T/vm.txt" && ok || bad "a grade spelled out on a g line verifies like its hat record"

# Hostile scheme files, one per class: verify and eval exit 2 with one line,
# never a verdict (so never PROVED), within the reader's limits.
python3 - "$T/s.json" "$T" <<'PY'
import json, sys
src, out = sys.argv[1], sys.argv[2]
good = json.load(open(src))
text = open(src).read()
def put(name, obj):
    with open(f"{out}/hostile-{name}.json", "w") as f:
        f.write(obj if isinstance(obj, str) else json.dumps(obj))
def edit(fn):
    s = json.loads(json.dumps(good)); fn(s); return s
put("truncated", text[: len(text) // 2])
put("not-json", "this is not json")
put("empty", "")
put("wrong-format", edit(lambda s: s.update(format="mgdl-scheme/9")))
put("dim-mismatch", edit(lambda s: s.update(dim=2)))
put("wider-than-declared", edit(lambda s: s["grades"][0]["layers"][0]["W"].append(["1"] * 5)))
put("one-over-zero", edit(lambda s: s["grades"][0]["layers"][0]["b"].__setitem__(0, "1/0")))
put("zero-over-zero", edit(lambda s: s["grades"][0]["readout"].__setitem__("c0", "0/0")))
put("huge-integer", edit(lambda s: s["grades"][0]["readout"].__setitem__("c0", "9" * 100001)))
put("negative-width", edit(lambda s: s.update(width=-3)))
put("absurd-width", edit(lambda s: s.update(width=10**12)))
put("declared-absent", edit(lambda s: (s["result"].__setitem__("grades", 10**7), s.__setitem__("grades", s["grades"][:2]))))
put("deep-nesting", "[" * 100000 + "]" * 100000)
put("float-weight", edit(lambda s: s["grades"][0]["layers"][0]["b"].__setitem__(0, 0.5)))
PY
for f in "$T"/hostile-*.json; do
  name=$(basename "$f" .json)
  expect 2 "verify $name" -- timeout 60 "$MGDL" verify "$f"
  grep -q "PROVED\|REFUTED\|UNDECIDED" "$T/out" && bad "verify $name printed a verdict" || ok
  expect 2 "eval $name" -- sh -c "printf '0.5\n' | timeout 60 '$MGDL' eval '$f'"
done
expect 2 "reader limit: --max-file-bytes" -- "$MGDL" verify "$T/s.json" --max-file-bytes 1000
grep -q -- "--max-file-bytes" "$T/err" && ok || bad "the error names --max-file-bytes"
expect 2 "reader limit: --max-digits" -- "$MGDL" eval "$T/s.json" --max-digits 3 --points "$T/pts"
grep -q "longer than 3 digits" "$T/err" && ok || bad "the error names the digit limit"
expect 2 "reader limit: --max-file-grades" -- "$MGDL" verify "$T/s.json" --max-file-grades 1
expect 0 "reader limits large enough" -- "$MGDL" eval "$T/s.json" --max-digits 1000 --max-file-grades 100000 --points "$T/pts"

# --time-limit stops at the next patch, keeps the completed levels, exit 3.
expect 3 "construct --time-limit" -- "$MGDL" construct --target sin2pi --eps 1e-5 --rule first-order --schedule adaptive --time-limit 1 -o "$T/tl.json" --quiet
grep -q "time limit reached" "$T/err" && ok || bad "construct says the time limit was reached"
grep -q '"stop":"time-limit"\|"stop": "time-limit"' "$T/tl.json" && ok || bad "the scheme records the time-limit stop"
expect 0 "eval a time-limited scheme" -- "$MGDL" eval "$T/tl.json" --points "$T/pts"
expect 0 "construct warns when --max-grades could exceed memory" -- "$MGDL" construct --target 'x^2' --eps 1e-1 --max-grades 100000000000 -o "$T/mem.json" --quiet
grep -q "warning: up to 100000000000 grades (--max-grades) may need about" "$T/err" && ok || bad "construct prints a memory estimate"
expect 2 "negative time limit" -- "$MGDL" construct --target sin2pi --time-limit -1 -o "$T/tl2.json"

# Trust: hand-made schemes that fooled earlier checkers, hostile options.
python3 - "$T" <<'PY'
import json, sys
from fractions import Fraction
out = sys.argv[1]
def block(d, m, node, a, first):
    W = 3 if d == 1 else d + 4
    ap, am, u, v = d, d + 1, d + 2, d + 3
    layers = []
    for i in range(1, d + 2):
        rows = [[0] * (d if (i == 1 and first) else W) for _ in range(W)]
        b = [0] * W
        for j in range(d): rows[j][j] = 1
        if i == 1:
            rows[ap][0], b[ap], rows[am][0], b[am] = 2**m, -node[0], -2**m, node[0]
        elif i <= d:
            rows[ap][ap] = rows[am][am] = 1
            if i > 2: rows[ap][u] = rows[am][v] = 1
            rows[u][i - 1], rows[u][ap], b[u] = 2**m, -1, -node[i - 1]
            rows[v][i - 1], rows[v][am], b[v] = -2**m, -1, node[i - 1]
            if i > 2: rows[u][u] = rows[v][v] = -1
        else:
            rows[d][ap] = rows[d][am] = -1
            if i > 2: rows[d][u] = rows[d][v] = -1
            b[d] = 1
        layers.append({"W": [[str(x) for x in r] for r in rows], "b": [str(x) for x in b]})
    c = ["0"] * W
    c[d] = str(a)
    return {"level": 1, "m": m, "node": node, "layers": layers, "readout": {"c": c, "c0": "0"}}
def scheme(d, expr, eps, grades):
    return {"format": "mgdl-scheme/1", "dim": d, "width": 3 if d == 1 else d + 4,
            "target": {"name": "t", "expr": expr}, "params": {"eps": str(eps)}, "grades": grades}
def put(name, s): json.dump(s, open(f"{out}/trust-{name}.json", "w"))
# m = 0, node (0, 2) is off the grid, its key aliased (1, 0)'s: ||r_1||_inf = 1.005 > eps.
put("offgrid", scheme(2, "max(0,x1-x2)+1/200+10*max(0,x2-1)", Fraction(1, 100), [block(2, 0, [0, 2], 1, True)]))
# Target 0: -phi at the off-grid (0, 2), then +phi at (1, 0): r_2(1, 0) = -1, C2 fails at grade 2.
put("alias", scheme(2, "0*x1", Fraction(1, 100), [block(2, 0, [0, 2], -1, True), block(2, 0, [1, 0], 1, False)]))
# No grades, f = 1/2, eps 2^-2000/3 below 1/2: C3 is false.
put("eps-edge", scheme(1, "1/2+0*x", Fraction(1, 2) - Fraction(1, 3 * 2**2000), []))
# A hint at level 62: bounded time, never a hat.
put("deep", scheme(1, "0*x", Fraction(1, 2), [block(1, 62, [0], 1, True)]))
PY
expect 1 "verify: an off-grid hint does not alias a grid node (C3 refuted)" -- timeout 120 "$MGDL" verify "$T/trust-offgrid.json"
grep -q "^C3 *REFUTED" "$T/out" && ok || bad "C3 is REFUTED for the off-grid hint"
expect 1 "verify: a hat under an aliased key is refuted" -- timeout 120 "$MGDL" verify "$T/trust-alias.json"
grep -q "^C2 *REFUTED" "$T/out" && ok || bad "C2 is REFUTED for the aliased hat"
expect 1 "verify: eps 2^-2000/3 below the norm is refuted" -- timeout 60 "$MGDL" verify "$T/trust-eps-edge.json"
expect 3 "verify: a level-62 hint ends, undecided" -- timeout 120 "$MGDL" verify "$T/trust-deep.json" --budget 20000
expect 0 "verify --p 30000" -- timeout 120 "$MGDL" verify "$T/s.json" --p 30000
expect 3 "verify --p 1e30 (the bound underflows: undecided)" -- timeout 120 "$MGDL" verify "$T/s.json" --p 1e30
expect 2 "verify --eps 0 (a tolerance must be positive)" -- "$MGDL" verify "$T/s.json" --eps 0
expect 2 "verify --threads beyond 1024" -- "$MGDL" verify "$T/s.json" --threads 100000
expect 2 "construct --theta 1" -- "$MGDL" construct --target 'x' --theta 1 -o "$T/th.json"
expect 2 "a target undefined at 1/3 behind atan" -- "$MGDL" construct --target 'atan(1/(x-1/3))' -o "$T/u.json"
grep -q "5592405/16777216" "$T/err" && ok || bad "the undefined target's box around 1/3 is named"
expect 2 "a target undefined at 0 behind 0*" -- "$MGDL" construct --target '0*(1/x)' -o "$T/u.json"
expect 2 "verify against a target undefined at 1/3" -- "$MGDL" verify "$T/s.json" --target 'atan(1/(x-1/3))'
"$MGDL" construct --target x --eps 0.99999999999999999999999999999999999999999 -o "$T/x.json" --quiet >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 0 ]; then
  "$MGDL" verify "$T/x.json" >"$T/out" 2>&1 && ok || bad "construct claimed the tolerance for x at eps just below 1, verify disagrees"
else
  ok
fi
# A thread that cannot be created is not fatal: with 300 MB of address space,
# 200 threads' stacks (8 MB each) cannot all exist; verify answers on fewer.
# (Not under AddressSanitizer, which reserves terabytes of address space.)
if ldd "$MGDL" 2>/dev/null | grep -q libasan; then ok; else
  expect 0 "verify when threads cannot be created" -- sh -c "ulimit -v 300000; '$MGDL' verify '$T/s.json' --threads 200 >/dev/null"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
