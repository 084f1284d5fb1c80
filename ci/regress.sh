#!/usr/bin/env bash
# The performance-regression check of one device, as a CI runner runs it:
#   ci/regress.sh cpu|cuda OUT_DIR
# 1. sweeps the backend's short preset (cpu: ci-cpu, cuda: ci-short) $SF_REGRESS_RUNS times (default 1)
#    into OUT_DIR/<preset>.json, <preset>-2.json, ..., each checked against the backend's ratio gates
#    (ci/gates/<backend>.json);
# 2. compares those runs with the device's committed baseline runs (results/<device>/baseline.json,
#    baseline-2.json, ...) into OUT_DIR/compare.md and .json.
# Exit 0 when every gate holds and nothing is confirmed slower, 1 when not, 2 on bad input. A failed
# gate does not stop the check: the comparison runs too, so that one run reports every failure. Where the
# device has no baseline yet, its runs are the ones to commit as it, and as many runs again (rerun.json,
# ...) are compared with them: the same code against itself, which should say SAME.
# $SF_BIN: the spikefuse binary (default build/spikefuse); $SF_RESULTS: the results folder (default
# results/); $SF_REGRESS_TIMEOUT: a state's timeout on CUDA (15 s, nvbench's); $SF_COMPARE_ARGS: more
# options for compare. On the CPU the gates hold with OpenMP's passive waiting (ci/gates/cpu.json),
# which is set unless OMP_WAIT_POLICY is.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
usage() { echo "usage: ci/regress.sh cpu|cuda OUT_DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
out="$2"
source "$root/ci/regress-settings.sh"
regress_settings "$1" || usage
sf="${SF_BIN:-$root/build/spikefuse}"
results="${SF_RESULTS:-$root/results}"
runs="${SF_REGRESS_RUNS:-1}"
regress_runs_ok "regress: SF_REGRESS_RUNS" "$runs" || exit 2
mkdir -p "$out"

# $1: a file prefix; writes $1.json, $1-2.json, ... and prints their paths; a gate that fails is noted
# in $out/gates-failed and the runs go on
sweep_runs() {
  local i f rc
  for ((i = 1; i <= runs; ++i)); do
    f="$1.json"
    [ "$i" -eq 1 ] || f="$1-$i.json"
    regress_sweep "$sf" "$f"
    rc=0
    "$sf" check --gates "$root/ci/gates/$backend.json" "$f" >&2 || rc=$?
    [ "$rc" -le 1 ] || { touch "$out/gates-bad-input"; exit "$rc"; } # nothing more to say
    [ "$rc" -eq 0 ] || echo "$f" >>"$out/gates-failed"
    echo "$f"
  done
}

existing() {
  local f
  for f in "$@"; do [ -e "$f" ] && echo "$f"; done
  return 0
}

rm -f "$out/gates-failed" "$out/gates-bad-input"
mapfile -t latest < <(sweep_runs "$out/$preset")
[ ! -e "$out/gates-bad-input" ] || exit 2
[ "${#latest[@]}" -eq "$runs" ] || exit 1 # a sweep failed; it said why
slug="$("$sf" device --backend "$backend" --slug)"
mapfile -t baselines < <(existing "$results/$slug/baseline.json" "$results/$slug"/baseline-[0-9]*.json)
if [ "${#baselines[@]}" -eq 0 ]; then
  echo "regress: no baseline for $slug in $results: commit ${latest[*]} as results/$slug/baseline.json" \
    "(then baseline-2.json, ...); the same runs again follow" >&2
  baselines=("${latest[@]}")
  mapfile -t latest < <(sweep_runs "$out/rerun")
  [ ! -e "$out/gates-bad-input" ] || exit 2
  [ "${#latest[@]}" -eq "$runs" ] || exit 1
fi
rc=0
# shellcheck disable=SC2086 # SF_COMPARE_ARGS is a list of options
"$sf" compare "${baselines[@]}" -- "${latest[@]}" --md "$out/compare.md" --json "$out/compare.json" ${SF_COMPARE_ARGS:-} || rc=$?
if [ -s "$out/gates-failed" ]; then
  echo "regress: a gate failed on $(paste -sd' ' "$out/gates-failed")" >&2
  [ "$rc" -ge 1 ] || rc=1
fi
exit "$rc"
