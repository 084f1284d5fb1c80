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
# absolute, before the cd below (a relative DIR named another folder there and drew nothing)
dir="$(cd "$dir" && pwd)" figs="$(cd "$figs" && pwd)"
cd "$root"
made=0 failed=0
# the peers part's files: in DIR, or in DIR/../peers where the GPU check's peers step leaves them
peers_beside=()
[ -e "$dir/peers.json" ] || [ ! -e "$dir/../peers/peers.json" ] || peers_beside=("$dir"/../peers/peers*.json)
for json in "$dir"/*.json "${peers_beside[@]}"; do
  [ -e "$json" ] || continue
  "$sf" report "$json" --dat "$dat" || { echo "plot.sh: no figures from $json" >&2; failed=1; continue; }
  prefix="$(basename "$json" .json)"
  case "$prefix" in peers | peers-fused) continue ;; esac # drawn together below
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
# the real peers beside fused (peers part): Fig. 5 with every line, and time per neuron-step at the largest
# T of every family of paper-fig5.json and every peer, against each byte model's bound
if [ -e "$dat/peers.families" ] && [ -e "$dat/peers-fused.families" ]; then
  for direction in fwd fwdbwd; do
    grep -q "^${direction}_" "$dat/peers.families" || continue
    gnuplot -e "datadir='$dat'; outdir='$figs'; direction='$direction'" plots/peers.gp
    bars="$dat/bars_$direction.dat"
    T="$(awk '!/^#/ {print $1}' "$dat"/peers_"${direction}"_*.dat | sort -n | tail -1)"
    for f in "$dat"/paper-fig5_"${direction}"_*.dat "$dat"/peers-fused_"${direction}"_fused.dat "$dat"/peers_"${direction}"_*.dat; do
      [ -e "$f" ] || continue
      label="$(basename "$f" .dat)"; label="${label#*_"${direction}"_}"
      case "$f" in */paper-fig5_*) label="$label (rect)" ;; */peers-fused_*) label="fused (sigmoid)" ;; esac
      # T N B median_s ...: ns per neuron-step, and the same scaled by % of copy bandwidth
      awk -v T="$T" -v l="$label" '!/^#/ && $1 == T { t = 1e9 * $4 / ($1 * $2 * $3); printf "%c%s%c %.6g %.6g\n", 34, l, 34, t, t * $7 / 100 }' "$f"
    done > "$bars"
    gnuplot -e "datadir='$dat'; outdir='$figs'; direction='$direction'; bars='$bars'; size='T = $T, N = $(awk '!/^#/ {print $2; exit}' "$dat"/peers-fused_"${direction}"_fused.dat)'" plots/neuron-step.gp
    made=$((made + 4))
  done
fi
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
[ "$made" -gt 0 ] || { echo "plot.sh: no results in $dir to draw" >&2; exit 1; }
exit "$failed"
