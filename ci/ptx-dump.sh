#!/usr/bin/env bash
# Writes the PTX (sm_90, no line info) of every generated CUDA kernel file of a configured build into
# OUT_DIR, one file per family, so that two trees' device code can be compared with diff:
#   ci/ptx-dump.sh build /tmp/ptx-new; git stash; ci/build.sh; ci/ptx-dump.sh build /tmp/ptx-old; ...
# or, for a revision against this tree, ci/ptx-compare.sh.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: ci/ptx-dump.sh BUILD_DIR OUT_DIR" >&2; exit 2; }
source "$(dirname "$0")/env.sh"
build=$1 out=$2
command -v nvcc >/dev/null || { echo "ptx-dump: nvcc not found" >&2; exit 2; }
ls "$build"/gen/kernels_*.cu >/dev/null 2>&1 || { echo "ptx-dump: no generated kernels in $build/gen (configure first)" >&2; exit 2; }
src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$build/CMakeCache.txt")
mkdir -p "$out"
for cu in "$build"/gen/kernels_*.cu; do
  name=$(basename "$cu" .cu)
  nvcc -ptx -O2 -DNDEBUG -DSF_HAVE_CUDA -arch=sm_90 -I"$src/include" -I"$src/kernels" -I"$build/gen" \
    -o "$out/$name.ptx" "$cu"
done
echo "ptx-dump: $(ls "$out"/*.ptx | wc -l) files in $out" >&2
