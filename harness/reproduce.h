/* spikefuse reproduce: the paper's Fig. 5 (default and tuned configs), the crossover T below which fusion
 * does not pay, % of copy bandwidth against N,
 * and the multi-GPU model's inputs, measured on the present device; a Markdown report beside the paper's
 * A100 values; figures through plots/plot.sh. */
#ifndef SF_REPRODUCE_H
#define SF_REPRODUCE_H

#include "sweep.h"

typedef struct sf_reproduce_config {
    sf_backend backend;
    const char *out_dir;   /* default: results/<device slug>/reproduce */
    const char *tuning_db; /* for fused-tuned; NULL: results/<slug>/tuning/tuning.json if it exists */
    double timeout;        /* per state */
    int plots;             /* run plots/plot.sh when gnuplot is present */
    const char *parts;     /* comma-separated: paper-fig5, crossover, bandwidth, multigpu; NULL: all */
    int argc;
    char **argv;
} sf_reproduce_config;

sf_status sf_reproduce_run(const sf_reproduce_config *c);
/* What sf_reproduce_run does after measuring, from the files in dir alone (no device): dir/reproduce.md
 * when dir/paper-fig5.json exists, and the figures when plots and gnuplot are there. Without that file:
 * an error when need_report, else a note on stderr. */
sf_status sf_reproduce_report(const char *dir, int plots, int need_report);
/* SF_OK when every name in the comma-separated list is a part (or list is NULL); else says which is not. */
sf_status sf_reproduce_check_parts(const char *list);
/* The report from the files in dir (paper-fig5.json, crossover.json, multigpu.json, bandwidth.json) and the
 * preset's paper values: what `reproduce` writes as dir/reproduce.md. */
sf_status sf_reproduce_write_md(const char *dir, const char *preset_path, const char *out_md);
/* The crossover T: the smallest T[i] such that ratio[j] >= 1 for every j >= i (T ascending); NaN when the
 * largest T's ratio is below 1 or not measured. */
double sf_crossover_T(const double *T, const double *ratio, int n);

#endif
