# Speedup over the reference family (the sweep's reference_family, eager by default) against T.
# In: datadir, outdir, prefix, direction.
load "plots/common.gp"
device = system("cat '".datadir."/".prefix.".title'")
families = system("grep '^".direction."_' '".datadir."/".prefix.".families' | sed 's/^".direction."_//' | tr '\\n' ' '")
dirname = direction eq "fwd" ? "forward" : "forward + backward"
set title sprintf("Speedup over the eager family (Serial PyTorch analogue), %s, measured in one run\n%s", dirname, device)
set logscale x 2
set xlabel "time steps T"
set ylabel "speedup over eager (ratio of cold medians)"
set yrange [0:*]
set xtics (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
plotcmd = "plot for [f in families] datadir.'/'.prefix.'_'.direction.'_'.f.'.dat' using 1:6 with linespoints title f.' / eager'"
out = prefix."-speedup-".direction
load "plots/render.gp"
