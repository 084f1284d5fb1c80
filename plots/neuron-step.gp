# Time per neuron-step of every family and peer at one size (plot.sh picks the largest T of peers.json),
# each beside its byte model's bound: its bytes per neuron-step at the measured copy bandwidth.
# In: datadir, outdir, direction, bars (a file: label, measured ns, bound ns), size (for the title).
load "plots/common.gp"
device = system("cat '".datadir."/peers.title'")
dirname = direction eq "fwd" ? "forward" : "forward + backward"
set title sprintf("Time per neuron-step, %s, %s: measured, and what its bytes cost at copy bandwidth\n%s", dirname, size, device)
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set logscale y 10
set ylabel "nanoseconds per neuron-step (log)"
set xtics rotate by -30 nomirror
set key inside left top
plotcmd = "plot bars using 2:xtic(1) title 'measured' lc rgb '#1f77b4', '' using 3 title 'byte model at copy bandwidth' lc rgb '#bbbbbb'"
out = "neuron-step-".direction
load "plots/render.gp"
