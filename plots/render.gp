# Renders `plotcmd` to outdir/out.png and outdir/out.svg.
set terminal pngcairo size 1100,650 enhanced font "DejaVu Sans,11"
set output outdir."/".out.".png"
eval plotcmd
set terminal svg size 1100,650 enhanced font "DejaVu Sans,11" background rgb "white"
set output outdir."/".out.".svg"
eval plotcmd
unset output
