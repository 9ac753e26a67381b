#!/usr/bin/env bash
# Compares two builds of the checker on the same scheme files, in one run:
#   bench/compare_verify.sh OLD_MGDL NEW_MGDL [REPS] -- FILE... [-- VERIFY_OPTIONS...]
# Each repetition runs every file with both binaries, alternating which goes
# first, and records wall-clock seconds; prints per file the median of each
# and the ratio new/old, and both exit codes (the verdicts must agree).
set -euo pipefail
old=$1 new=$2
shift 2
reps=3
if [ "${1:-}" != "--" ]; then reps=$1; shift; fi
[ "${1:-}" = "--" ] && shift
files=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do files+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
opts=("$@")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() {  # binary file -> seconds and exit code appended to $tmp/<tag>
  local bin=$1 file=$2 tag=$3 t0 t1 rc
  t0=$(date +%s.%N)
  set +e
  "$bin" verify "$file" "${opts[@]}" >/dev/null 2>&1
  rc=$?
  set -e
  t1=$(date +%s.%N)
  echo "$(echo "$t1 - $t0" | bc -l) $rc" >>"$tmp/$tag"
}
for ((r = 0; r < reps; ++r)); do
  for f in "${files[@]}"; do
    tag=$(basename "$f")
    if ((r % 2)); then run "$new" "$f" "new-$tag"; run "$old" "$f" "old-$tag"; else run "$old" "$f" "old-$tag"; run "$new" "$f" "new-$tag"; fi
  done
done
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
printf '%-28s %10s %10s %8s %6s %6s\n' file old_s new_s new/old old_rc new_rc
for f in "${files[@]}"; do
  tag=$(basename "$f")
  o=$(cut -d' ' -f1 "$tmp/old-$tag" | median)
  n=$(cut -d' ' -f1 "$tmp/new-$tag" | median)
  orc=$(cut -d' ' -f2 "$tmp/old-$tag" | sort -u | tr '\n' ' ')
  nrc=$(cut -d' ' -f2 "$tmp/new-$tag" | sort -u | tr '\n' ' ')
  printf '%-28s %10.2f %10.2f %8.3f %6s %6s\n' "$tag" "$o" "$n" "$(echo "$n / $o" | bc -l)" "$orc" "$nrc"
done
