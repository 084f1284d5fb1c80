# Cold median time over two knobs (threads per block x kernel variant) from a tuning run.
# In: datadir, outdir, size (e.g. "fwd_T128_M1048576"): reads heatmap_<size>.dat and .tics.
load "plots/common.gp"
load datadir."/heatmap_".size.".tics"
set title sprintf("Tuning: cold median per configuration, %s (ms; darker is faster; blank: not measured)\n%s", size, device)
set title noenhanced
set ytics noenhanced
set xlabel "threads per block"
set ylabel "kernel variant"
set cblabel "median time per layer (ms)"
set palette defined (0 "#08306b", 1 "#4292c6", 2 "#deebf7", 3 "#fee0d2", 4 "#cb181d")
unset key
unset grid
set offsets 0, 0, 0, 0
set tics out nomirror
set lmargin 40
set ylabel offset -6, 0
# cells as boxes: a model-pruned or random tune measures part of the grid, and unmeasured cells stay blank
set xrange [-0.5:*]
set yrange [-0.5:*]
set style fill solid 1.0 noborder
plotcmd = "plot datadir.'/heatmap_'.size.'.dat' using 1:2:(0.5):(0.5):3 with boxxyerror lc palette, '' using 1:2:(sprintf('%.3g', $3)) with labels font ',8' tc rgb 'black'"
out = "heatmap_".size
load "plots/render.gp"
