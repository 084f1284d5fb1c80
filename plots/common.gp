# Shared by every figure: the look, and `save(name)`-style output to PNG (pngcairo) and SVG.
# Scripts set `outdir` and call:  out = "name"; load "plots/render.gp" after setting up their plot command
# in the string `plotcmd`.
set encoding utf8
set key outside right top box opaque noenhanced
set grid back lw 0.5 lc rgb "#dddddd"
set border lw 1
set style line 1 lw 2 pt 7 ps 1.0 lc rgb "#d62728"
set style line 2 lw 2 pt 5 ps 1.0 lc rgb "#1f77b4"
set style line 3 lw 2 pt 9 ps 1.2 lc rgb "#2ca02c"
set style line 4 lw 2 pt 13 ps 1.2 lc rgb "#9467bd"
set style line 5 lw 2 pt 11 ps 1.0 lc rgb "#ff7f0e"
set style line 6 lw 2 dt 2 pt 6 ps 1.0 lc rgb "#7f7f7f"
set style line 7 lw 2 dt 2 pt 4 ps 1.0 lc rgb "#8c564b"
set style increment user
# a little room at both ends of autoscaled x, so that the end tics show
set offsets graph 0.03, graph 0.03, 0, 0
