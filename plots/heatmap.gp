# Cold median time over two knobs (threads per block x kernel variant) from a tuning run.
# In: datadir, outdir, size (e.g. "fwd_T128_M1048576"): reads heatmap_<size>.dat and .tics.
load "plots/common.gp"
load datadir."/heatmap_".size.".tics"
set title sprintf("Tuning: cold median per configuration, %s (ms; darker is faster)\n%s", size, device)
set title noenhanced
set ytics noenhanced
set xlabel "threads per block"
set ylabel "kernel variant"
set cblabel "median time per layer (ms)"
set palette defined (0 "#08306b", 1 "#4292c6", 2 "#deebf7", 3 "#fee0d2", 4 "#cb181d")
unset key
unset grid
set offsets 0, 0, 0, 0
set autoscale xfix
set autoscale yfix
set tics out nomirror
set lmargin 40
set ylabel offset -6, 0
plotcmd = "plot datadir.'/heatmap_'.size.'.dat' using 1:2:3 with image, '' using 1:2:(sprintf('%.3g', $3)) with labels font ',8' tc rgb 'black'"
out = "heatmap_".size
load "plots/render.gp"
