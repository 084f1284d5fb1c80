# Fig. 5 with the real libraries: spikefuse's fused kernel (peers-fused.json, sigmoid surrogate) and every
# peer of peers.json, time steps per second against T, measured in one run.
# In: datadir, outdir, direction ("fwd" | "fwdbwd").
load "plots/common.gp"
device = system("cat '".datadir."/peers.title'")
peers = system("grep '^".direction."_' '".datadir."/peers.families' | sed 's/^".direction."_//' | tr '\\n' ' '")
dirname = direction eq "fwd" ? "forward" : "forward + backward"
set title sprintf("One LIF layer, %s, 1,000,000 neurons: spikefuse's fused kernel and the SNN libraries\n%s", dirname, device)
set logscale x 2
set logscale y 10
set xlabel "time steps T"
set ylabel "time steps per second (T / seconds of 1000 trials)"
set xtics (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
plotcmd = "plot datadir.'/peers-fused_'.direction.'_fused.dat' using 1:5 with linespoints lw 3 title 'fused (spikefuse)', " . \
          "for [p in peers] datadir.'/peers_'.direction.'_'.p.'.dat' using 1:5 with linespoints title p"
out = "peers-steps-".direction
load "plots/render.gp"
