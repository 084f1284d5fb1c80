#!/usr/bin/env bash
# A/B regression check for a noisy machine: the code at a base revision against this tree, measured
# alternately on the same machine in one session.
#   ci/ab-compare.sh [--base REV] [--runs K] cpu|cuda OUT_DIR
# 1. builds REV (default HEAD: the working tree's uncommitted change against its commit; in CI, the
#    branch point, e.g. --base origin/main) from `git archive` into OUT_DIR/base-src and base-build, and
#    this tree with ci/build.sh unless $SF_BIN exists;
# 2. runs the backend's short preset (ci-cpu or ci-short, as ci/regress.sh) K times (default 3) with each
#    binary, in the order A B B A A B ..., into OUT_DIR/base-I.json and new-I.json;
# 3. compares the base runs with the new runs (OUT_DIR/compare.md and .json).
# A baseline committed on another day cannot share the machine's state with a new run; alternating puts
# both sides under the same drift. Exit as compare: 0 nothing confirmed slower, 1 something is, 2 bad
# input. $SF_AB_BASE_BIN and $SF_AB_NEW_BIN take ready binaries instead of building (an A/A check);
# $SF_AB_CMAKE_ARGS go to the base build (default -DSF_CUDA=OFF for cpu); $SF_COMPARE_ARGS to compare.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/ci/regress-settings.sh"
usage() { echo "usage: ci/ab-compare.sh [--base REV] [--runs K] cpu|cuda OUT_DIR" >&2; exit 2; }
rev=HEAD runs=3
while [ $# -gt 2 ]; do
  case "$1" in
    --base) rev="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    *) usage ;;
  esac
done
[ $# -eq 2 ] || usage
out="$2"
regress_settings "$1" || usage
regress_runs_ok "ab-compare: --runs" "$runs" || exit 2
mkdir -p "$out"

new_bin="${SF_AB_NEW_BIN:-${SF_BIN:-$root/build/spikefuse}}"
if [ ! -x "$new_bin" ]; then
  echo "ab-compare: building this tree" >&2
  "$root/ci/build.sh" >&2
fi
base_bin="${SF_AB_BASE_BIN:-}"
if [ -z "$base_bin" ]; then
  git -C "$root" rev-parse --verify --quiet "$rev^{commit}" >/dev/null ||
    { echo "ab-compare: '$rev' is not a revision of $root" >&2; exit 2; }
  echo "ab-compare: building $rev ($(git -C "$root" rev-parse --short "$rev")) into $out/base-build" >&2
  rm -rf "$out/base-src"
  mkdir -p "$out/base-src"
  git -C "$root" archive "$rev" | tar -x -C "$out/base-src"
  default_args=()
  [ "$backend" = cpu ] && default_args=(-DSF_CUDA=OFF)
  # shellcheck disable=SC2086 # a list of CMake options
  SF_BUILD="$out/base-build" bash "$out/base-src/ci/build.sh" ${SF_AB_CMAKE_ARGS:-${default_args[@]}} >&2
  base_bin="$out/base-build/spikefuse"
fi

base=() new=()
for ((i = 1; i <= runs; ++i)); do
  if ((i % 2)); then # A B, then B A: a drift that is linear in time falls on both sides alike
    regress_sweep "$base_bin" "$out/base-$i.json"
    regress_sweep "$new_bin" "$out/new-$i.json"
  else
    regress_sweep "$new_bin" "$out/new-$i.json"
    regress_sweep "$base_bin" "$out/base-$i.json"
  fi
  base+=("$out/base-$i.json") new+=("$out/new-$i.json")
done
# --ignore-device: both sides ran here, and a change to the fingerprint code must not stop the check
# shellcheck disable=SC2086 # SF_COMPARE_ARGS is a list of options
"$new_bin" compare "${base[@]}" -- "${new[@]}" --ignore-device --md "$out/compare.md" --json "$out/compare.json" \
  ${SF_COMPARE_ARGS:-}
