#!/usr/bin/env bash
# Every test: install what is missing, build (CPU backend, and the CUDA objects when nvcc is here), and
# run the whole CTest suite once. It includes a sanitizer build (ASan + UBSan) of the host code that
# runs the CPU tests, the `peers` test (the real peers on the CPU, in .peers/venv), and the `gpu` tests,
# which are skipped where no CUDA device is usable.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$SF_ROOT/ci/install-deps.sh"
command -v nvcc >/dev/null || echo "test: no nvcc found: building the CPU backend only" >&2
"$SF_ROOT/ci/build.sh"
# install-deps.sh made the peers' environment: here a peers test without it fails instead of skipping
export SF_PEERS_REQUIRED=1
ctest --test-dir "$SF_BUILD" -j "$SF_JOBS" --output-on-failure
