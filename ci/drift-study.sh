#!/usr/bin/env bash
# How often does `spikefuse compare` call the same code slower on this machine?
#   ci/drift-study.sh RUN1.json RUN2.json ... (an even number >= 2 of runs of one sweep, same code)
# Every ordered pair of runs, one against one; then every split of the runs into two halves, half
# against half (repeated runs: pooled samples and the run-medians rule). Since all runs measure the same
# code, every SLOWER is a false alarm. Prints a Markdown table; extra arguments to compare go in
# $SF_COMPARE_ARGS. Needs the spikefuse binary in $SF_BIN (default build/spikefuse).
set -euo pipefail
sf="${SF_BIN:-$(dirname "$0")/../build/spikefuse}"
runs=("$@")
n=${#runs[@]}
if [ "$n" -lt 2 ] || [ $((n % 2)) -ne 0 ]; then
  echo "usage: ci/drift-study.sh RUN1.json RUN2.json ... (an even number of runs of the same code)" >&2
  exit 2
fi

# compare BASE... -- NEW...: adds to the tallies; "slower" counts states, "failed" comparisons.
compare() {
  local out rc=0
  out="$("$sf" compare "$@" ${SF_COMPARE_ARGS:-})" || rc=$?
  [ "$rc" -le 1 ] || { echo "$out" >&2; exit 2; }
  failed=$((failed + rc)) total=$((total + 1))
  local line
  line="$(tail -1 <<<"$out")" # "a same, b faster, c slower, d unsure; ..."
  slower=$((slower + $(sed 's/.* \([0-9]*\) slower.*/\1/' <<<"$line")))
  states=$((states + $(sed 's/^\([0-9]*\) same, \([0-9]*\) faster, \([0-9]*\) slower, \([0-9]*\) unsure.*/\1+\2+\3+\4/' <<<"$line")))
}

row() { printf '| %s | %d | %d (%d %%) | %d of %d |\n' "$1" "$total" "$failed" $((100 * failed / total)) "$slower" "$states"; }

echo "| runs compared | comparisons | exit 1 (a false regression) | states called SLOWER |"
echo "|---|---:|---:|---:|"
failed=0 total=0 slower=0 states=0
for ((i = 0; i < n; ++i)); do
  for ((j = 0; j < n; ++j)); do
    [ "$i" -ne "$j" ] && compare "${runs[i]}" "${runs[j]}"
  done
done
row "1 against 1"

# halves: every mask with n/2 bits set is a base set, its complement the new set
failed=0 total=0 slower=0 states=0
for ((mask = 0; mask < (1 << n); ++mask)); do
  base=() new=()
  for ((i = 0; i < n; ++i)); do
    if (((mask >> i) & 1)); then base+=("${runs[i]}"); else new+=("${runs[i]}"); fi
  done
  [ "${#base[@]}" -eq $((n / 2)) ] && compare "${base[@]}" -- "${new[@]}"
done
row "$((n / 2)) against $((n / 2))"
