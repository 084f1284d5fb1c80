/* Sample statistics and the stopping rule of a measurement (nvbench's, see ../shared/anchors.md). */
#ifndef SF_STATS_H
#define SF_STATS_H

#include <stdint.h>

typedef struct sf_summary {
    int64_t count;
    double min, q1, median, q3, max;
    double mean, stdev; /* stdev: sample standard deviation (n - 1); 0 for one sample */
    double rel_stdev;   /* stdev / mean; 0 for one sample; NaN if mean <= 0 */
    double median_lo, median_hi; /* a 95 % confidence interval of the median (see below) */
} sf_summary;

/* Summary of n samples (the input is not modified). Quantiles interpolate linearly between order
 * statistics (NumPy's default, "type 7"): q(p) at rank p (n - 1). n = 0: count 0, every field NaN.
 * The median's interval is distribution-free: the order statistics of ranks n/2 -/+ 1.96 sqrt(n)/2
 * (the binomial(n, 1/2) count below the median, normal approximation), rounded outwards and clamped
 * to the sample: [min, max] up to n = 10. */
sf_summary sf_summarize(const double *x, int64_t n);

/* When to stop taking samples of one state (nvbench's stdrel criterion, with its constants):
 *   CONVERGED     n >= min_samples, total sample time >= min_time, and relative stdev <= max_noise;
 *   NOISE_STABLE  n >= min_samples, total >= min_time, and the noise has stopped moving: each sample
 *                 from n = 5 on adds one estimate of the relative stdev, the last 512 are tracked, and
 *                 once there are more than noise_estimates (64) of them, every 16th sample checks the
 *                 relative stdev of the tracked estimates (their stdev over the current estimate):
 *                 below noise_settle (5 %), the noise is stable;
 *   MAX_SAMPLES   n >= max_samples (0 = no limit);
 *   TIMEOUT       the wall time since the first sample (warm-up excluded) >= timeout.
 * Checked in that order; CONTINUE otherwise. noise_settle <= 0 turns NOISE_STABLE off. */
typedef struct sf_stop_rule {
    int min_samples;     /* 10 */
    double min_time;     /* 0.5 s of summed sample time */
    double max_noise;    /* 0.005 */
    int noise_estimates; /* 64 */
    double noise_settle; /* 0.05 */
    int64_t max_samples; /* 0 */
    double timeout;      /* 15 s */
} sf_stop_rule;

typedef enum sf_stop_reason {
    SF_STOP_CONTINUE = 0,
    SF_STOP_CONVERGED,
    SF_STOP_NOISE_STABLE,
    SF_STOP_MAX_SAMPLES,
    SF_STOP_TIMEOUT,
} sf_stop_reason;

sf_stop_rule sf_stop_rule_default(void);
const char *sf_stop_reason_name(sf_stop_reason r); /* "converged", "noise-stable", "max-samples", "timeout" */

/* The running state of one measurement: Welford's mean and variance, and the recent noise estimates. */
#define SF_NOISE_HISTORY 512 /* estimates tracked */
#define SF_NOISE_CHECK_EVERY 16 /* samples between checks of noise-stable */
typedef struct sf_stopper {
    sf_stop_rule rule;
    int64_t n;
    double mean, m2, total;
    double noise[SF_NOISE_HISTORY]; /* ring of relative-stdev estimates */
    int64_t noise_count;
} sf_stopper;

void sf_stopper_init(sf_stopper *s, const sf_stop_rule *rule);
/* Adds one sample (seconds) and returns whether to stop, given the wall time since the first sample. */
sf_stop_reason sf_stopper_add(sf_stopper *s, double sample, double elapsed);
/* Current relative stdev (0 before two samples). */
double sf_stopper_noise(const sf_stopper *s);

/* Mann-Whitney U test of two independent samples (two-sided): U of the first sample, and the p-value
 * from the normal approximation with tie correction and continuity correction (adequate for n >= 8 each;
 * callers call fewer samples too few). p = 1 when either sample is empty or every value ties. */
typedef struct sf_mann_whitney {
    double u, z, p;
} sf_mann_whitney;

sf_mann_whitney sf_mann_whitney_u(const double *a, int64_t na, const double *b, int64_t nb);

#endif
