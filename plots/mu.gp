# The multi-GPU model (Eqs. 4-5), Fig. 4 style: speedup mu(k) against devices k for r = T_s / T_c = 64, 16, 1
# (the paper's curves) and for the r measured on this device at each T. In: datadir, outdir.
load "plots/common.gp"
device = system("cat '".datadir."/mu.title'")
cols = int(system("awk '!/^#/{print NF; exit}' '".datadir."/mu.dat'"))
names = system("head -1 '".datadir."/mu.dat' | sed 's/^# k //'")
set title sprintf("Multi-GPU model: mu(k) = k T_s / (k (k-1) T_c + T_s); r = T_s / T_c\nmeasured r from %s", device)
set xlabel "devices k"
set ylabel "speedup mu(k)"
set xrange [1:8]
set yrange [0:*]
set xtics 1
plotcmd = "plot for [c=2:cols] datadir.'/mu.dat' using 1:c with linespoints title word(names, c-1)"
out = "mu"
load "plots/render.gp"
