/* Sample statistics of a measurement and the rule that decides when to stop sampling. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* NaN samples sort last, so that qsort always sees a consistent order. */
static int compare_doubles(const void *pa, const void *pb)
{
    const double a = *(const double *)pa, b = *(const double *)pb;
    if (isnan(a) || isnan(b))
        return (isnan(a) != 0) - (isnan(b) != 0);
    return (a > b) - (a < b);
}

/* Type-7 quantile of sorted samples: linear interpolation at rank p (n - 1). */
static double quantile(const double *sorted, int64_t n, double p)
{
    const double rank = p * (double)(n - 1);
    const int64_t lo = (int64_t)floor(rank);
    const double frac = rank - (double)lo;
    if (lo + 1 >= n)
        return sorted[n - 1];
    return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

/* The 95 % distribution-free interval of the median of sorted samples (stats.h). */
static void median_interval(const double *sorted, int64_t n, double *lo, double *hi)
{
    const double half = 1.959963984540054 * sqrt((double)n) / 2.0;
    int64_t j = (int64_t)floor((double)n / 2.0 - half), k = (int64_t)ceil((double)n / 2.0 + half) + 1;
    if (j < 1)
        j = 1;
    if (k > n)
        k = n;
    *lo = sorted[j - 1], *hi = sorted[k - 1]; /* ranks j and k, from 1 */
}

sf_summary sf_summarize(const double *x, int64_t n)
{
    sf_summary s;
    s.count = 0;
    s.min = s.q1 = s.median = s.q3 = s.max = s.mean = s.stdev = s.rel_stdev = s.median_lo = s.median_hi = NAN;
    if (!x || n <= 0)
        return s;
    s.count = n;

    /* two passes: the mean, then squared deviations from it (more accurate than one pass) */
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i)
        sum += x[i];
    s.mean = sum / (double)n;
    double squares = 0.0;
    for (int64_t i = 0; i < n; ++i)
        squares += (x[i] - s.mean) * (x[i] - s.mean);
    s.stdev = n > 1 ? sqrt(squares / (double)(n - 1)) : 0.0;
    s.rel_stdev = s.mean > 0.0 ? s.stdev / s.mean : NAN;

    /* quantiles need a sorted copy: the caller's samples stay in their order */
    double *sorted = (size_t)n <= SIZE_MAX / sizeof *sorted ? malloc((size_t)n * sizeof *sorted) : NULL;
    if (!sorted)
        return s; /* out of memory: order statistics stay NaN */
    memcpy(sorted, x, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, compare_doubles);
    s.min = sorted[0];
    s.q1 = quantile(sorted, n, 0.25);
    s.median = quantile(sorted, n, 0.5);
    s.q3 = quantile(sorted, n, 0.75);
    s.max = sorted[n - 1];
    median_interval(sorted, n, &s.median_lo, &s.median_hi);
    free(sorted);
    return s;
}

sf_stop_rule sf_stop_rule_default(void)
{
    const sf_stop_rule r = {10, 0.5, 0.005, 64, 0.05, 0, 15.0};
    return r;
}

const char *sf_stop_reason_name(sf_stop_reason r)
{
    switch (r) {
    case SF_STOP_CONTINUE: return "continue";
    case SF_STOP_CONVERGED: return "converged";
    case SF_STOP_NOISE_STABLE: return "noise-stable";
    case SF_STOP_MAX_SAMPLES: return "max-samples";
    case SF_STOP_TIMEOUT: return "timeout";
    }
    return "unknown";
}

void sf_stopper_init(sf_stopper *s, const sf_stop_rule *rule)
{
    memset(s, 0, sizeof *s);
    s->rule = rule ? *rule : sf_stop_rule_default();
}

double sf_stopper_noise(const sf_stopper *s)
{
    if (s->n < 2)
        return 0.0;
    if (!(s->mean > 0.0))
        return NAN; /* as sf_summarize: no relative spread around a mean <= 0 */
    return sqrt(s->m2 / (double)(s->n - 1)) / s->mean;
}

/* nvbench's check: more than rule.noise_estimates estimates, on every 16th sample, and the tracked
 * estimates' stdev below settle x the current estimate. */
static int noise_settled(const sf_stopper *s, double current)
{
    if (s->rule.noise_settle <= 0.0 || s->noise_count <= s->rule.noise_estimates || s->n % SF_NOISE_CHECK_EVERY != 0 ||
        !(current > 0.0))
        return 0;
    const int64_t m = s->noise_count < SF_NOISE_HISTORY ? s->noise_count : SF_NOISE_HISTORY;
    double mean = 0.0, squares = 0.0;
    for (int64_t i = 0; i < m; ++i) {
        if (isnan(s->noise[i]))
            return 0;
        mean += s->noise[i];
    }
    mean /= (double)m;
    for (int64_t i = 0; i < m; ++i)
        squares += (s->noise[i] - mean) * (s->noise[i] - mean);
    return sqrt(squares / (double)(m - 1)) / current < s->rule.noise_settle;
}

sf_stop_reason sf_stopper_add(sf_stopper *s, double sample, double elapsed)
{
    /* Welford: mean and sum of squared deviations, one sample at a time */
    s->n += 1;
    const double delta = sample - s->mean;
    s->mean += delta / (double)s->n;
    s->m2 += delta * (sample - s->mean);
    s->total += sample;

    const double noise = sf_stopper_noise(s);
    if (s->n >= 5) /* fewer samples give no useful noise estimate */
        s->noise[s->noise_count++ % SF_NOISE_HISTORY] = noise;

    const sf_stop_rule *r = &s->rule;
    const int enough = s->n >= r->min_samples && s->total >= r->min_time;
    if (enough && noise <= r->max_noise)
        return SF_STOP_CONVERGED;
    if (enough && noise_settled(s, noise))
        return SF_STOP_NOISE_STABLE;
    if (r->max_samples > 0 && s->n >= r->max_samples)
        return SF_STOP_MAX_SAMPLES;
    if (elapsed >= r->timeout) /* timeout 0: one sample, never an endless run */
        return SF_STOP_TIMEOUT;
    return SF_STOP_CONTINUE;
}

/* ---- Mann-Whitney U ---------------------------------------------------------------------------- */

typedef struct ranked {
    double v;
    int from_a;
} ranked;

static int by_value(const void *x, const void *y)
{
    const double a = ((const ranked *)x)->v, b = ((const ranked *)y)->v;
    return a < b ? -1 : a > b;
}

sf_mann_whitney sf_mann_whitney_u(const double *a, int64_t na, const double *b, int64_t nb)
{
    sf_mann_whitney r = {0.0, 0.0, 1.0};
    if (na <= 0 || nb <= 0)
        return r;
    const int64_t n = na + nb;
    ranked *all = malloc((size_t)n * sizeof *all);
    if (!all)
        return r;
    for (int64_t i = 0; i < na; ++i)
        all[i] = (ranked){a[i], 1};
    for (int64_t i = 0; i < nb; ++i)
        all[na + i] = (ranked){b[i], 0};
    qsort(all, (size_t)n, sizeof *all, by_value);
    /* ranks 1..n, ties sharing their mean rank; sum of t^3 - t over tie groups for the variance */
    double rank_sum_a = 0.0, ties = 0.0;
    for (int64_t i = 0; i < n;) {
        int64_t j = i;
        while (j < n && all[j].v == all[i].v)
            ++j;
        const double mean_rank = 0.5 * (double)(i + 1 + j), t = (double)(j - i);
        for (int64_t k = i; k < j; ++k)
            if (all[k].from_a)
                rank_sum_a += mean_rank;
        ties += t * t * t - t;
        i = j;
    }
    free(all);
    const double dna = (double)na, dnb = (double)nb, dn = (double)n;
    r.u = rank_sum_a - dna * (dna + 1.0) / 2.0;
    const double mean = dna * dnb / 2.0;
    const double var = dna * dnb / 12.0 * ((dn + 1.0) - ties / (dn * (dn - 1.0)));
    if (var <= 0.0)
        return r; /* every value tied: no evidence either way */
    const double d = fabs(r.u - mean) - 0.5; /* continuity correction */
    r.z = (r.u > mean ? 1.0 : -1.0) * (d > 0 ? d : 0.0) / sqrt(var);
    r.p = erfc(fabs(r.z) / sqrt(2.0));
    return r;
}
