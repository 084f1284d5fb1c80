#!/usr/bin/env bash
# The main job: install what is missing, build, and check every kernel against the float64 reference
# on the GPU when one is usable, else on the CPU.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$SF_ROOT/ci/install-deps.sh"
"$SF_ROOT/ci/build.sh" >/dev/null
sf="$SF_BUILD/spikefuse"
if "$sf" verify --backend cuda --T 1 --M 1 >/dev/null 2>&1; then backend=cuda; else backend=cpu; fi
echo "main: backend $backend" >&2
"$sf" list
# the paper's layer (1M neurons, T = 128) on a GPU; a tenth of it on the CPU, where the float64 check
# of 33 kernels would otherwise take minutes
if [ "$backend" = cuda ]; then M=1000003; else M=100003; fi
"$sf" verify --backend "$backend" --T 128 --M "$M"
