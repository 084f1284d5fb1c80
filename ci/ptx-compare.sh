#!/usr/bin/env bash
# Compares the device code of this tree's CUDA kernels with that of a base revision, kernel by kernel:
#   ci/ptx-compare.sh [--base REV] [OUT_DIR]      (REV default HEAD, OUT_DIR default build/ptx-compare)
# Both trees are configured (which generates the kernels) and their PTX written by ci/ptx-dump.sh; each
# .entry of the base is then compared with the same entry of this tree, with the basic-block label
# numbers (which shift when kernels are added before it in a file) made alike. Exit 0 when every
# kernel of the base compiles to the same PTX here (kernels only this tree has are listed), 1 when one
# differs (the diff is in OUT_DIR), 2 on bad input or without nvcc.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/ci/env.sh"
rev=HEAD
if [ "${1:-}" = --base ]; then rev="$2"; shift 2; fi
out="${1:-$root/build/ptx-compare}"
command -v nvcc >/dev/null || { echo "ptx-compare: nvcc not found" >&2; exit 2; }
git -C "$root" rev-parse --verify --quiet "$rev^{commit}" >/dev/null ||
  { echo "ptx-compare: '$rev' is not a revision of $root" >&2; exit 2; }
rm -rf "$out" && mkdir -p "$out/base-src"
git -C "$root" archive "$rev" | tar -x -C "$out/base-src"
for side in base new; do
  src="$out/base-src"
  [ "$side" = base ] || src="$root"
  cmake -S "$src" -B "$out/$side-build" -G Ninja >/dev/null
  "$root/ci/ptx-dump.sh" "$out/$side-build" "$out/$side-ptx"
  # one file per kernel, labels renumbered: $L__BB12_3 -> $L__BB_3
  mkdir -p "$out/$side-entries"
  for f in "$out/$side-ptx"/*.ptx; do
    sed -E 's/\$L__BB[0-9]+_/$L__BB_/g' "$f" |
      awk -v dir="$out/$side-entries" '/\.entry /{name=$0; sub(/.*\.entry /, "", name); sub(/\(.*/, "", name); file=dir "/" name}
                                     file {print > file} /^}$/{if (file) close(file); file=""}'
  done
done
same=0 differ=0 added=0
for f in "$out/base-entries"/*; do
  k=$(basename "$f")
  if [ ! -e "$out/new-entries/$k" ]; then
    echo "ptx-compare: $k is gone from this tree" >&2; differ=$((differ + 1))
  elif cmp -s "$f" "$out/new-entries/$k"; then
    same=$((same + 1))
  else
    diff -u "$f" "$out/new-entries/$k" >"$out/$k.diff" || true
    echo "ptx-compare: $k differs ($out/$k.diff)" >&2; differ=$((differ + 1))
  fi
done
for f in "$out/new-entries"/*; do
  [ -e "$out/base-entries/$(basename "$f")" ] || { echo "new: $(basename "$f")"; added=$((added + 1)); }
done
echo "ptx-compare: $same kernels of $rev compile to the same PTX, $differ differ; $added new kernels"
[ "$differ" -eq 0 ]
