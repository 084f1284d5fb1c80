#!/usr/bin/env bash
# ci/gpu-check.sh with SF_GPU_PACK=1 must pack what it leaves, whether it fails or `timeout` stops it,
# without a GPU: a fake nvidia-smi first on PATH either fails or hangs in the script's first step. The
# kernels the ci/ scripts name must be registered, so that a GPU session does not find a stale name.
#   tests/gpu_check_pack.sh SOURCE_DIR WORK_DIR SPIKEFUSE
set -uo pipefail
src="$1" work="$2" sf="$3"
rm -rf "$work" && mkdir -p "$work/bin"
fails=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fails=$((fails + 1)); fi; }
packed() { # $1: the out folder; the log and the archive, nothing else, and the archive holds the log
  [ "$(ls "$1" | tr '\n' ' ')" = "gpu-check.log gpu-check.tar.gz " ] &&
    tar -tzf "$1/gpu-check.tar.gz" | grep -qx './gpu-check.log' && grep -q "packing" "$1/gpu-check.log"
}

printf '#!/bin/sh\necho "no GPU here" >&2\nexit 9\n' >"$work/bin/nvidia-smi"
chmod +x "$work/bin/nvidia-smi"
PATH="$work/bin:$PATH" SF_GPU_PACK=1 "$src/ci/gpu-check.sh" "$work/failed" >/dev/null 2>&1
rc=$?
check "a failed step keeps its exit status ($rc)" '[ "$rc" -eq 9 ]'
check "a failed run is packed" 'packed "$work/failed"'

printf '#!/bin/sh\necho "a GPU that hangs"\nsleep 60\n' >"$work/bin/nvidia-smi"
PATH="$work/bin:$PATH" SF_GPU_PACK=1 timeout 2 "$src/ci/gpu-check.sh" "$work/stopped" >/dev/null 2>&1
rc=$?
check "timeout's status ($rc)" '[ "$rc" -eq 124 ]'
check "a stopped run is packed" 'packed "$work/stopped"'
check "its archive holds the step's output" 'tar -xzOf "$work/stopped/gpu-check.tar.gz" ./device.csv | grep -q "hangs"'

PATH="$work/bin:$PATH" timeout 2 "$src/ci/gpu-check.sh" "$work/loose" >/dev/null 2>&1
check "without SF_GPU_PACK nothing is packed" '[ ! -e "$work/loose/gpu-check.tar.gz" ] && [ -e "$work/loose/device.csv" ]'
named=$(cat "$src"/ci/*.sh | grep -o '\b\(fused\|step\|eager\)_\(fwd\|bwd\)_[a-z0-9_]*' | sort -u)
"$sf" list | awk 'NR > 1 {print $1}' >"$work/registered"
for k in $named; do
  check "ci/ names registered kernel $k" 'grep -qx "$k" "$work/registered"'
done
check "ci/ names some kernels" '[ -n "$named" ]'
[ "$fails" -eq 0 ]
