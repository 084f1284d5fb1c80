#!/usr/bin/env bash
# Makes every figure for a folder of results: plots/plot.sh DIR [FIGURE_DIR]
# Reads DIR/*.json (sweep results, multigpu.json) and, when present, DIR/../tuning/tune-cache.jsonl or
# DIR/tune-cache.jsonl; writes PNG (pngcairo) and SVG into FIGURE_DIR (default DIR/figures).
# Needs gnuplot and the spikefuse binary ($SPIKEFUSE, default build/spikefuse). Exit 1 when a figure
# cannot be made: no gnuplot, no binary, a results file it cannot read.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:?usage: plots/plot.sh RESULTS_DIR [FIGURE_DIR]}"
figs="${2:-$dir/figures}"
sf="${SPIKEFUSE:-$root/build/spikefuse}"
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 1; }
[ -x "$sf" ] || { echo "plot.sh: no spikefuse binary at $sf (set \$SPIKEFUSE)" >&2; exit 1; }
dat="$(mktemp -d)"
trap 'rm -rf "$dat"' EXIT
mkdir -p "$figs"
cd "$root"
made=0 failed=0
for json in "$dir"/*.json; do
  [ -e "$json" ] || continue
  "$sf" report "$json" --dat "$dat" || { echo "plot.sh: no figures from $json" >&2; failed=1; continue; }
  prefix="$(basename "$json" .json)"
  if [ -e "$dat/$prefix.families" ]; then
    for direction in fwd fwdbwd; do
      grep -q "^${direction}_" "$dat/$prefix.families" || continue
      if [ "$prefix" = bandwidth ]; then
        gnuplot -e "datadir='$dat'; outdir='$figs'; prefix='$prefix'; direction='$direction'" plots/bandwidth.gp
      else
        gnuplot -e "datadir='$dat'; outdir='$figs'; prefix='$prefix'; direction='$direction'" plots/fig5.gp
        made=$((made + 2))
        # a speedup needs the reference family in the same sweep
        if cat "$dat/${prefix}_${direction}"_*.dat | awk '!/^#/ && $6 != "nan" {found=1} END {exit !found}'; then
          gnuplot -e "datadir='$dat'; outdir='$figs'; prefix='$prefix'; direction='$direction'" plots/speedup.gp
          made=$((made + 2))
        fi
        continue
      fi
      made=$((made + 2))
    done
  fi
done
[ -e "$dat/mu.dat" ] && gnuplot -e "datadir='$dat'; outdir='$figs'" plots/mu.gp && made=$((made + 2))
for cache in "$dir/tune-cache.jsonl" "$dir/tuning/tune-cache.jsonl" "$dir/../tuning/tune-cache.jsonl"; do
  [ -e "$cache" ] || continue
  "$sf" report "$cache" --dat "$dat"
  for tics in "$dat"/heatmap_*.tics; do
    size="$(basename "$tics" .tics)"; size="${size#heatmap_}"
    gnuplot -e "datadir='$dat'; outdir='$figs'; size='$size'" plots/heatmap.gp
    made=$((made + 2))
  done
  break
done
# Fig. 6 (measured multi-device times) needs a multi-device results file; none exists yet.
echo "plot.sh: $made figures in $figs"
exit "$failed"
