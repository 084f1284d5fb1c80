/* Deciding a performance change (issue 6): two results files, or two sets of repeated runs, state by
 * state: the relative change of the cold median, a Mann-Whitney U test on the raw samples, a minimum
 * effect size and, with repeated runs, the between-run spread of the medians. The gates, which compare
 * within one run, are in gates.h. */
#ifndef SF_COMPARE_H
#define SF_COMPARE_H

#include <cjson/cJSON.h>

#include "spikefuse.h"

typedef enum sf_verdict { SF_SAME = 0, SF_FASTER, SF_SLOWER, SF_UNSURE } sf_verdict;
const char *sf_verdict_name(sf_verdict v);

typedef struct sf_compare_rule {
    double alpha;      /* significance of the U test: 0.05 */
    double min_effect; /* |relative change of the median| below this is SAME: 0.05 */
    int min_samples;   /* fewer samples on either side is UNSURE: 8 */
} sf_compare_rule;

sf_compare_rule sf_compare_rule_default(void);

/* The samples (seconds) of one state in one run. */
typedef struct sf_sample_set {
    const double *x;
    int64_t n;
} sf_sample_set;

typedef struct sf_comparison {
    sf_verdict verdict;
    double base_median, new_median; /* of the pooled samples (seconds) */
    double change;         /* new_median / base_median - 1 */
    double p;              /* U test on the pooled samples; 1 when not run */
    double base_lo, base_hi; /* smallest and largest run median of each side (seconds) */
    double new_lo, new_hi;
    const char *reason;
} sf_comparison;

/* The verdict on one state measured in nb base runs and nc new runs (each >= 1). The samples of a side
 * are pooled. SLOWER or FASTER when the pooled median moved by at least min_effect, the U test's
 * p < alpha, and, where either side has several runs, the ranges of the run medians do not overlap (a
 * U test on samples of one run cannot see drift between runs; the runs' spread can). SAME when the
 * median moved by less than min_effect; UNSURE otherwise (too few samples, a move the test does not
 * confirm, or one within the between-run spread). .reason says which. */
sf_comparison sf_compare_runs(const sf_sample_set *base, int nb, const sf_sample_set *cur, int nc,
                              const sf_compare_rule *r);

/* One run on each side. */
sf_verdict sf_compare_samples(const double *base, int64_t nb, const double *cur, int64_t nc, const sf_compare_rule *r,
                              double *change, double *p, const char **reason);

/* Compares results files: nb runs of the base against nc runs of the new code (states matched by id,
 * the states of the first base file); writes Markdown and/or JSON if paths are given. *slower: states
 * confirmed slower. Refuses files of different devices unless ignore_device. */
sf_status sf_compare_files(const char *const *base, int nb, const char *const *cur, int nc, const sf_compare_rule *r,
                           int ignore_device, const char *md, const char *json, int *slower);

#endif
