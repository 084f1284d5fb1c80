# Achieved bandwidth as % of the measured device copy bandwidth against neurons N (bytes from the
# registry's byte model). In: datadir, outdir, prefix (e.g. "bandwidth"), direction.
load "plots/common.gp"
device = system("cat '".datadir."/".prefix.".title'")
families = system("grep '^".direction."_' '".datadir."/".prefix.".families' | sed 's/^".direction."_//' | tr '\\n' ' '")
set title sprintf("Achieved bandwidth against layer size (T = 64, forward)\n%s", device)
set logscale x 2
set format x "2^{%L}"
set xlabel "neurons N"
set ylabel "% of measured copy bandwidth"
set yrange [0:*]
plotcmd = "plot for [f in families] datadir.'/'.prefix.'_'.direction.'_'.f.'.dat' using 2:7 with linespoints title f"
out = prefix."-pct-copy-bw-".direction
load "plots/render.gp"
