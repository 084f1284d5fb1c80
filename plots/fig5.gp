# Fig. 5 style: time steps per second against T, one line per family, log2 T.
# In: datadir, outdir, prefix (e.g. "paper-fig5"), direction ("fwd" | "fwdbwd").
load "plots/common.gp"
device = system("cat '".datadir."/".prefix.".title'")
families = system("grep '^".direction."_' '".datadir."/".prefix.".families' | sed 's/^".direction."_//' | tr '\\n' ' '")
dirname = direction eq "fwd" ? "forward" : "forward + backward"
set title sprintf("One LIF layer, %s: time steps per second (the paper's Fig. 5 unit)\n%s", dirname, device)
set logscale x 2
set logscale y 10
set xlabel "time steps T"
set ylabel "time steps per second (T / seconds of 1000 trials)"
set xtics (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
plotcmd = "plot for [f in families] datadir.'/'.prefix.'_'.direction.'_'.f.'.dat' using 1:5 with linespoints title f"
out = prefix."-steps-".direction
load "plots/render.gp"
