#!/usr/bin/env bash
# The `layers` test: with the include folders each layer's target gets (its own and those below it),
# every header of its layer and the layers below compiles, and every header of a layer above it, and
# every private header, is not found. So an upward include, or one into another layer's internals, does
# not build.
#   tests/layers.sh CC WORK_DIR core=DIR:DIR... util=... lookup=... harness=... tuner=...
set -euo pipefail
cc="$1" work="$2"
shift 2
rm -rf "$work" && mkdir -p "$work"
layers=(core util lookup harness tuner)
declare -A dirs
for arg in "$@"; do dirs["${arg%%=*}"]="${arg#*=}"; done
declare -A headers=(
  [core]="spikefuse.h spikefuse_core.h npy.h"
  [util]="device.h files.h json_util.h"
  [lookup]="db.h spikefuse_tuning.h"
  [harness]="sweep.h measure.h stats.h axes.h reproduce.h compare.h"
  [tuner]="tuning.h"
)
private="internal.h registry_internal.h launch.h cpu_shim.h"
fails=0
compiles() { # layer header
  local flags=() d
  IFS=: read -ra ds <<< "${dirs[$1]}"
  for d in "${ds[@]}"; do flags+=(-I "$d"); done
  printf '#include "%s"\nint main(void) { return 0; }\n' "$2" > "$work/t.c"
  "$cc" -std=c11 -D_POSIX_C_SOURCE=200809L -fsyntax-only "${flags[@]}" "$work/t.c" 2> "$work/err.txt"
}
for i in "${!layers[@]}"; do
  layer="${layers[$i]}"
  for j in "${!layers[@]}"; do
    for h in ${headers[${layers[$j]}]}; do
      if [ "$j" -le "$i" ]; then
        compiles "$layer" "$h" || { echo "FAIL: $layer cannot include $h (${layers[$j]}): $(head -1 "$work/err.txt")"; fails=$((fails + 1)); }
      elif compiles "$layer" "$h"; then
        echo "FAIL: $layer can include $h, a header of ${layers[$j]} above it"; fails=$((fails + 1))
      fi
    done
  done
  for h in $private; do
    if compiles "$layer" "$h"; then echo "FAIL: $layer can include the private $h"; fails=$((fails + 1)); fi
  done
done
[ "$fails" = 0 ] && echo "layers: every layer sees its own and lower headers, none above, no private one"
exit $(( fails > 0 ))
