#!/usr/bin/env bash
# The GPU check (../shared/gpu.md): one prepared run on a machine with an NVIDIA GPU.
#   ci/gpu-check.sh OUT_DIR
# In order, stopping at the first failure:
#   1. configure and build for the GPU's architecture (default 90) with carried dependencies (.deps/);
#   2. run the `gpu` CTest label: every kernel on the device against the float64 reference;
#   3. compute-sanitizer memcheck on a small case of every kernel (aligned and misaligned, and rows that
#      staging takes: M = 1000, T = 20, several tiles); racecheck and synccheck on six kernels that stage
#      their inputs in shared memory ($SF_GPU_RACECHECK; recorded in memcheck.log, not fatal: their hazards are to be read, since the
#      bulk copies' writes come from the async proxy, which these tools may not model);
#   3b. the real peers: `spikefuse reproduce --parts peers` into OUT_DIR/peers (fused with the sigmoid
#      surrogate at paper-fig5's states, then SpikingJelly 0.0.0.0.14 torch/CuPy, 2.0 torch/Triton, snnTorch
#      and the PyTorch loop, verified and timed: peers/run.py), state timeout $SF_GPU_PEERS_TIMEOUT (default 3);
#      the peers' pinned wheels travel in .peers/wheels (peers/install.sh download) and are installed here
#      with the machine's python3 (pip --no-index --no-deps --target); a failure here does not stop the check;
#   4. the benchmark presets ($SF_GPU_PRESETS, default "paper-fig5 sj-fp32") with the harness, each
#      state's timeout $SF_GPU_TIMEOUT seconds (default 15, nvbench's) so that the run fits a budget;
#   4a. beyond the paper ($SF_GPU_STEPS "variants"): reproduce's beyond-paper part, fused kernels that
#      move fewer bytes (keep=h, recompute; dtype=bf16, f16; spikes=u8, b1) beside the paper's at its
#      Fig. 5 size, state timeout $SF_GPU_VARIANTS_TIMEOUT (default 1.5 s; 155 states measured: about 4
#      minutes of timing, plus each state's verification on the host),
#      into OUT_DIR/reproduce/beyond-paper.json; then the pipelining preset (the fp32 training kernels,
#      fwd and fwd+bwd, with loads in flight per thread, prefetch, or per block, stage: TMA; 28 states)
#      into OUT_DIR/pipelining.json;
#   4b. the tuner, exhaustive, for the fused family at the sizes of $SF_GPU_TUNE (default
#      "fwd:[32,128] bwd:[32,128]", N = 2^20), with its cache, and the model strategy replayed on that
#      cache with no device (what it would have measured and found); $SF_GPU_TUNE_STORAGES adds storage
#      axes (e.g. "-a dtype=f32,bf16 -a spikes=u8,b1": one entry, and one search, per storage; default
#      none, the paper's fp32);
#   4c. `spikefuse reproduce` into OUT_DIR/reproduce (tuned configs from this run's tuning.json,
#      else this GPU's committed results/<device>/tuning/tuning.json, else another GPU's; only the parts
#      in $SF_GPU_REPRODUCE_PARTS when set, e.g. "bandwidth,multigpu"; figures are made later, where
#      gnuplot is);
#   4d. the regression check, ci/regress.sh cuda: the ci-short preset, its ratio gates (ci/gates/cuda.json),
#      and a comparison with the committed baseline of this GPU (results/<device>/baseline.json), failing
#      on a confirmed slowdown; with no baseline yet, the run's file is the one to commit as it, and a
#      second run is compared with it; $SF_GPU_REGRESS_RUNS runs a side (default 1; at most 2 where no
#      baseline exists and only 8 files come back, unless $SF_GPU_PACK=1);
#   5. leave the logs, results and the device fingerprint in OUT_DIR (packed: see $SF_GPU_PACK).
# Before sending a tree without .git to the GPU machine, run ci/gpu-deps.sh here and carry .deps and
# .peers/wheels.
# $SF_GPU_STEPS picks steps (default "tests memcheck peers presets variants tune reproduce regress"; the build always
# runs).
# A GPU CI runner runs just the regression check: SF_GPU_STEPS=regress ci/gpu-check.sh OUT_DIR
# The device must be usable: a run where the GPU tests would only be skipped is a failure here.
# $SF_GPU_PACK=1, for a GPU machine that returns only a few files (../shared/gpu.md: 8, 16 MiB each, two
# folders deep): whatever the run leaves in OUT_DIR, finished or not (a failure, or `timeout` stopping
# it), is packed at exit into OUT_DIR/gpu-check.tar.gz, beside a copy of gpu-check.log.
set -euo pipefail
out="${1:?usage: ci/gpu-check.sh OUT_DIR}"
mkdir -p "$out"
source "$(dirname "$0")/env.sh"
arch="${SF_CUDA_ARCH:-90}"
log="$out/gpu-check.log"
pack() {
  local rc=$?
  # the tee below may be gone (a TERM reaches the whole process group): write past it, or the next
  # echo's SIGPIPE ends the script before it packs
  exec 1>&3 2>&3
  if [ "${SF_GPU_PACK:-0}" = 1 ]; then
    echo "== $(date -u +%H:%M:%S) packing $out into gpu-check.tar.gz (exit status $rc)" | tee -a "$log"
    local tmp
    tmp="$(mktemp -d)"
    tar -C "$out" --exclude=./gpu-check.tar.gz -czf "$tmp/gpu-check.tar.gz" . &&
      find "$out" -mindepth 1 -maxdepth 1 ! -name gpu-check.log -exec rm -rf {} + &&
      mv "$tmp/gpu-check.tar.gz" "$out/"
    rmdir "$tmp" 2>/dev/null || true
  fi
  exit "$rc"
}
trap pack EXIT
trap 'exit 143' TERM # so that `timeout` leaves a packed folder too
exec 3>&1 > >(tee -a "$log") 2>&1
step() { echo "== $(date -u +%H:%M:%S) $*"; }

step "device"
nvidia-smi --query-gpu=name,uuid,pci.bus_id,compute_cap,memory.total,driver_version,clocks.max.sm,clocks.max.mem,ecc.mode.current \
  --format=csv | tee "$out/device.csv"
nvcc --version | tail -2

step "1. build for sm_$arch"
prefix=()
[ -d "$SF_ROOT/.deps/usr" ] && prefix=(-DCMAKE_PREFIX_PATH="$SF_ROOT/.deps/usr")
SF_BUILD="$SF_ROOT/build-gpu" "$SF_ROOT/ci/build.sh" -DCMAKE_CUDA_ARCHITECTURES="$arch" "${prefix[@]}" >/tmp/sf-build.log 2>&1 \
  || { tail -60 /tmp/sf-build.log; exit 1; }
grep -iE "warning" /tmp/sf-build.log || echo "build: no warnings"
sf="$SF_ROOT/build-gpu/spikefuse"
"$sf" verify --backend cuda --T 1 --M 1 >/dev/null || { echo "no usable CUDA device: $("$sf" verify --backend cuda --T 1 --M 1 2>&1 | tail -1)"; exit 1; }

steps="${SF_GPU_STEPS:-tests memcheck peers presets variants tune reproduce regress}"
want() { case " $steps " in *" $1 "*) return 0 ;; *) echo "(step $1 not selected)"; return 1 ;; esac; }

step "2. gpu tests"
if want tests; then
# pipefail: a failed test stops the script here
ctest --test-dir "$SF_ROOT/build-gpu" -L gpu --output-on-failure 2>&1 | tee "$out/ctest-gpu.log"
if grep -q "Skipped" "$out/ctest-gpu.log"; then echo "gpu tests were skipped on a GPU machine"; exit 1; fi
"$sf" verify --backend cuda --T 128 --M 100003
fi

step "3. compute-sanitizer memcheck"
if want memcheck; then
{
  compute-sanitizer --tool memcheck --error-exitcode 1 --print-limit 10 "$sf" verify --backend cuda --T 7 --M 1001
  compute-sanitizer --tool memcheck --error-exitcode 1 --print-limit 10 "$sf" verify --backend cuda --T 3 --M 1000 --misalign
  compute-sanitizer --tool memcheck --error-exitcode 1 --print-limit 10 "$sf" verify --backend cuda --T 20 --M 1000 --family fused
} > "$out/memcheck.log" 2>&1 || { tail -40 "$out/memcheck.log"; exit 1; }
grep "ERROR SUMMARY" "$out/memcheck.log"
# kernels that stage (forward at vec 1 and 4, packed spikes written, each backward form, packed spikes
# read, the replaying backward's chunk tiles), or $SF_GPU_RACECHECK's
for k in ${SF_GPU_RACECHECK:-fused_fwd_train_f32_v1_n1_u1_s8_b256 fused_fwd_train_f32_v4_n1_u1_s8_b128 \
  fused_fwd_train_bf16_yb1_v1_n1_u1_s16_b256 fused_bwd_grad_f32_v1_n1_u1_s4_b256 fused_bwd_grad_h_f32_v1_n1_u1_s8_b256 \
  fused_bwd_grad_bf16_yb1_v1_n1_u1_s8_b256 fused_bwd_grad_ckpt_f32_v1_n1_u1_s8_c8_b256}; do
  for tool in racecheck synccheck; do
    echo "== $tool $k" >> "$out/memcheck.log"
    compute-sanitizer --tool "$tool" --print-limit 10 "$sf" verify --backend cuda --T 20 --M 1000 --kernel "$k" \
      >> "$out/memcheck.log" 2>&1 || echo "$tool $k: status $?" | tee -a "$out/memcheck.log"
  done
done
grep -A1 "^== \(race\|sync\)check" "$out/memcheck.log" | grep -E "ERROR SUMMARY|RACECHECK SUMMARY|status" || true
fi

step "3b. peers"
if want peers; then
  # the peers are other people's code: what fails here is recorded (peers.json says why per peer) and
  # the check goes on to spikefuse's own steps
  "$SF_ROOT/peers/install.sh" install python3 || echo "peers: install failed: the peers will be skipped"
  python3 -c "import torch; print('torch', torch.__version__, 'CUDA', torch.version.cuda)" || true
  "$sf" reproduce --backend cuda --parts peers --out-dir "$out/peers" --timeout "${SF_GPU_PEERS_TIMEOUT:-3}" \
    --no-plots 2>&1 | grep -v '^\[' || echo "peers: the step failed (status $?); going on"
fi

step "4. benchmark presets"
want presets && for preset in ${SF_GPU_PRESETS:-paper-fig5 sj-fp32}; do
  "$sf" sweep --preset "$preset" --backend cuda --timeout "${SF_GPU_TIMEOUT:-15}" \
    --out "$out/$preset.json" --md "$out/$preset.md"
  sed -n '/Ratios/,$p' "$out/$preset.md"
done

step "4a. beyond the paper"
if want variants; then
  # reproduce's own part, into the folder the reproduce step resumes (so it measures this once)
  "$sf" reproduce --backend cuda --parts beyond-paper --out-dir "$out/reproduce" \
    --timeout "${SF_GPU_VARIANTS_TIMEOUT:-1.5}" --no-plots 2>&1 | grep -v '^\['
  sed -n '/^| family/,/^$/p' "$out/reproduce/beyond-paper.md"
  "$sf" sweep --preset pipelining --backend cuda --timeout "${SF_GPU_VARIANTS_TIMEOUT:-1.5}" \
    --out "$out/pipelining.json" --md "$out/pipelining.md" 2>&1 | grep -v '^\['
  sed -n '/^| family/,/^$/p' "$out/pipelining.md"
fi

step "4b. tuner"
if want tune; then
  for job in ${SF_GPU_TUNE:-fwd:[32,128] bwd:[32,128]}; do
    dir="${job%%:*}" sizes="${job#*:}"
    # shellcheck disable=SC2086 # the storage axes are words
    "$sf" tune --family fused --direction "$dir" --backend cuda -a "T=$sizes" -a N=2^20 ${SF_GPU_TUNE_STORAGES:-} \
      --db "$out/tuning.json" --cache "$out/tune-cache.jsonl"
    # shellcheck disable=SC2086
    "$sf" tune --family fused --direction "$dir" --backend cuda -a "T=$sizes" -a N=2^20 ${SF_GPU_TUNE_STORAGES:-} \
      --strategy model --db "$out/tuning-model.json" --replay "$out/tune-cache.jsonl"
  done
  "$SF_ROOT/build-gpu/tuning_example" --db "$out/tuning.json" --backend cuda --T 128 --M 1048576
fi

step "4c. reproduce"
if want reproduce; then
  # this run's database, else this GPU's committed one, else another GPU's (it answers for the same
  # architecture); never the CPU's, whose entries cannot answer for a GPU
  db="$out/tuning.json"
  [ -e "$db" ] || db="$SF_ROOT/results/$("$sf" device --backend cuda --slug)/tuning/tuning.json"
  [ -e "$db" ] || db="$(ls "$SF_ROOT"/results/nvidia-*/tuning/tuning.json 2>/dev/null | head -1 || true)"
  "$sf" reproduce --backend cuda --out-dir "$out/reproduce" --timeout "${SF_GPU_TIMEOUT:-15}" --no-plots \
    ${db:+--db "$db"} ${SF_GPU_REPRODUCE_PARTS:+--parts "$SF_GPU_REPRODUCE_PARTS"} 2>&1 | grep -v '^\['
  [ ! -e "$out/reproduce/reproduce.md" ] || sed -n '/## Forward$/,/^$/p' "$out/reproduce/reproduce.md"
fi

step "4d. regression check"
if want regress; then
  # pipefail: a failed gate or a confirmed slowdown stops the script here
  SF_BIN="$sf" SF_REGRESS_RUNS="${SF_GPU_REGRESS_RUNS:-1}" SF_REGRESS_TIMEOUT="${SF_GPU_TIMEOUT:-15}" \
    "$SF_ROOT/ci/regress.sh" cuda "$out" 2>&1 | grep -v '^\['
fi
step "done"
