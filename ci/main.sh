#!/usr/bin/env bash
# The main job: install what is missing, build, and reproduce the paper on this machine
# (`spikefuse reproduce`): the Fig. 5 table with default and tuned configs beside the paper's A100
# values, the crossover T, % of copy bandwidth against N, the multi-GPU model, and the figures, into
# results/<device>/reproduce/. On the GPU when one is usable, else on the CPU (and every title says so).
# Per-state timeout: $SF_TIMEOUT seconds (default 15 on a GPU, 5 on the CPU, whose runs are long).
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$SF_ROOT/ci/install-deps.sh"
"$SF_ROOT/ci/build.sh" >/dev/null
sf="$SF_BUILD/spikefuse"
if "$sf" verify --backend cuda --T 1 --M 1 >/dev/null 2>&1; then backend=cuda; else backend=cpu; fi
[ "$backend" = cuda ] && timeout="${SF_TIMEOUT:-15}" || timeout="${SF_TIMEOUT:-5}"
echo "main: backend $backend, per-state timeout ${timeout}s" >&2
cd "$SF_ROOT"
"$sf" reproduce --backend "$backend" --timeout "$timeout"
