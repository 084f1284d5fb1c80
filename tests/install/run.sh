#!/usr/bin/env bash
# The `install_package` test: cmake --install into a scratch prefix, then another project builds
# tuning/example.c against the installed package (find_package(spikefuse), spikefuse::lookup) and runs it
# on a tuning database.
#   tests/install/run.sh SOURCE_DIR BUILD_DIR WORK_DIR
set -euo pipefail
src="$1" build="$2" work="$3"
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
for f in include/spikefuse.h include/spikefuse_tuning.h lib/cmake/spikefuse/spikefuseConfig.cmake; do
  [ -e "$work/prefix/$f" ] || { echo "install_package: $f was not installed"; exit 1; }
done
# nothing of the harness, the tuner or the private headers is installed
if find "$work/prefix" -name 'libsf_harness*' -o -name 'libsf_tuner*' -o -name 'internal.h' | grep -q .; then
  echo "install_package: more than the lookup and its layers was installed"; exit 1
fi
cmake -S "$src/tests/install" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DEXAMPLE_SOURCE="$src/tuning/example.c" > "$work/configure.log" 2>&1 || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/consumer" > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
# the committed CPU tuning database: loaded and looked up through the installed library
out="$("$work/consumer/tuning_example" --db "$src/results/cpu-amd-epyc-2t/tuning/tuning.json" --backend cpu \
  --T 4 --M 4096)"
echo "$out"
case "$out" in *"ran fused_fwd_train"*"lookup level"*) ;; *) echo "install_package: unexpected output"; exit 1 ;; esac
