/* Sample statistics (hand-computed cases) and the stopping rule of a measurement. */
#include <math.h>
#include <string.h>

#include "stats.h"
#include "test_util.h"

#define N_OF(a) ((int64_t)(sizeof(a) / sizeof((a)[0])))

static int near(double a, double b) { return fabs(a - b) <= 1e-12 * (1.0 + fabs(b)); }

static void summaries(void)
{
    /* {1,2,3,4}: ranks p (n - 1) = 0.75, 1.5, 2.25 -> 1.75, 2.5, 3.25; mean 2.5; squared deviations
     * 2.25 + 0.25 + 0.25 + 2.25 = 5, sample variance 5/3 */
    double four[] = {4, 1, 3, 2}; /* given unsorted; not const, so that a change would show */
    const double four_copy[] = {4, 1, 3, 2};
    sf_summary s = sf_summarize(four, N_OF(four));
    CHECK(s.count == 4, "count %lld", (long long)s.count);
    CHECK(s.min == 1.0 && s.max == 4.0, "min %g max %g", s.min, s.max);
    CHECK(near(s.q1, 1.75), "q1 %.17g", s.q1);
    CHECK(near(s.median, 2.5), "median %.17g", s.median);
    CHECK(near(s.q3, 3.25), "q3 %.17g", s.q3);
    CHECK(near(s.mean, 2.5), "mean %.17g", s.mean);
    CHECK(near(s.stdev, sqrt(5.0 / 3.0)), "stdev %.17g", s.stdev);
    CHECK(near(s.rel_stdev, sqrt(5.0 / 3.0) / 2.5), "rel_stdev %.17g", s.rel_stdev);
    CHECK(memcmp(four, four_copy, sizeof four) == 0, "input was modified");

    /* odd count {3,1,2}: ranks 0.5, 1, 1.5 -> 1.5, 2, 2.5; deviations 1 + 0 + 1, variance 1 */
    double three[] = {3, 1, 2};
    s = sf_summarize(three, N_OF(three));
    CHECK(near(s.q1, 1.5) && near(s.median, 2.0) && near(s.q3, 2.5), "q %g %g %g", s.q1, s.median, s.q3);
    CHECK(near(s.stdev, 1.0) && near(s.rel_stdev, 0.5), "stdev %g rel %g", s.stdev, s.rel_stdev);
    CHECK(three[0] == 3 && three[1] == 1 && three[2] == 2, "input was modified");

    /* {10,20,30,40,50}: ranks 1, 2, 3 land on order statistics exactly */
    const double five[] = {50, 10, 40, 20, 30};
    s = sf_summarize(five, N_OF(five));
    CHECK(s.q1 == 20.0 && s.median == 30.0 && s.q3 == 40.0, "q %g %g %g", s.q1, s.median, s.q3);
    CHECK(s.min == 10.0 && s.max == 50.0, "min %g max %g", s.min, s.max);

    /* one sample: every order statistic is it, stdev 0, rel_stdev 0 */
    const double one[] = {2.5};
    s = sf_summarize(one, 1);
    CHECK(s.count == 1, "count %lld", (long long)s.count);
    CHECK(s.min == 2.5 && s.q1 == 2.5 && s.median == 2.5 && s.q3 == 2.5 && s.max == 2.5 && s.mean == 2.5,
          "one sample: %g %g %g %g %g %g", s.min, s.q1, s.median, s.q3, s.max, s.mean);
    CHECK(s.stdev == 0.0 && s.rel_stdev == 0.0, "one sample: stdev %g rel %g", s.stdev, s.rel_stdev);

    /* no samples: count 0, every field NaN */
    s = sf_summarize(one, 0);
    CHECK(s.count == 0, "count %lld", (long long)s.count);
    CHECK(isnan(s.min) && isnan(s.q1) && isnan(s.median) && isnan(s.q3) && isnan(s.max) && isnan(s.mean) &&
              isnan(s.stdev) && isnan(s.rel_stdev),
          "n = 0 gave a number");
    s = sf_summarize(NULL, 0);
    CHECK(s.count == 0 && isnan(s.median), "NULL, 0");

    /* mean <= 0: no relative spread. {-1,-2}: mean -1.5, variance 0.5; {-1,1}: mean 0 */
    const double negative[] = {-1, -2}, zero_mean[] = {-1, 1};
    s = sf_summarize(negative, 2);
    CHECK(near(s.mean, -1.5) && near(s.stdev, sqrt(0.5)) && isnan(s.rel_stdev), "mean %g stdev %g rel %g",
          s.mean, s.stdev, s.rel_stdev);
    s = sf_summarize(zero_mean, 2);
    CHECK(isnan(s.rel_stdev), "mean 0: rel %g", s.rel_stdev);
}

static void rule_defaults(void)
{
    const sf_stop_rule r = sf_stop_rule_default();
    CHECK(r.min_samples == 10 && r.min_time == 0.5 && r.max_noise == 0.005 && r.noise_estimates == 64 &&
              r.noise_settle == 0.05 && r.max_samples == 0 && r.timeout == 15.0,
          "defaults %d %g %g %d %g %lld %g", r.min_samples, r.min_time, r.max_noise, r.noise_estimates,
          r.noise_settle, (long long)r.max_samples, r.timeout);
    CHECK(strcmp(sf_stop_reason_name(SF_STOP_CONVERGED), "converged") == 0, "converged");
    CHECK(strcmp(sf_stop_reason_name(SF_STOP_NOISE_STABLE), "noise-stable") == 0, "noise-stable");
    CHECK(strcmp(sf_stop_reason_name(SF_STOP_MAX_SAMPLES), "max-samples") == 0, "max-samples");
    CHECK(strcmp(sf_stop_reason_name(SF_STOP_TIMEOUT), "timeout") == 0, "timeout");
}

/* Feeds samples until the stopper stops (or they run out); returns the reason and sets *stopped_at to n.
 * elapsed_per_sample: the wall time each sample adds. */
static sf_stop_reason feed(sf_stopper *s, double (*sample)(int64_t i), int64_t limit, double elapsed_per_sample,
                           int64_t *stopped_at)
{
    sf_stop_reason r = SF_STOP_CONTINUE;
    int64_t i = 0;
    for (; i < limit && r == SF_STOP_CONTINUE; ++i)
        r = sf_stopper_add(s, sample(i), elapsed_per_sample * (double)(i + 1));
    *stopped_at = i;
    return r;
}

static double tenth(int64_t i) { (void)i; return 0.1; }
static double hundredth(int64_t i) { (void)i; return 0.01; }
static double quarter(int64_t i) { (void)i; return 0.25; }
static double alternating(int64_t i) { return i % 2 ? 1.2 : 1.0; }
/* 1.0 / 1.2, then 1.0 / 1.6 from sample 25: the noise moves again */
static double jump(int64_t i) { return i % 2 ? (i < 24 ? 1.2 : 1.6) : 1.0; }
/* as jump, long after: 1.0 / 3.0 from sample 401, when the ring of 512 estimates is nearly full */
static double late_jump(int64_t i) { return i % 2 ? (i < 400 ? 1.2 : 3.0) : 1.0; }
/* 1 -/+ 0.002 i: the spread keeps growing */
static double growing(int64_t i) { return 1.0 + (i % 2 ? 0.002 : -0.002) * (double)(i + 1); }
/* 1.0 with a 20.0 every 97 samples from the 4th: relative stdev about 1.6, and each outlier moves it */
static double outliers(int64_t i) { return i % 97 == 3 ? 20.0 : 1.0; }

/* The rule as the header states it, computed the slow way: each prefix summarized from scratch (two-pass),
 * every noise estimate kept (no timeout: the runs it checks take no wall time). Returns the first n at which
 * it stops, and why. The stop points asserted beside it were worked out apart from both, in Python. */
static sf_stop_reason oracle(const sf_stop_rule *r, double (*sample)(int64_t i), int64_t limit, int64_t *stopped_at)
{
    static double x[4000], noise[4000];
    int64_t estimates = 0;
    double total = 0.0;
    for (int64_t n = 1; n <= limit && n <= 4000; ++n) {
        x[n - 1] = sample(n - 1);
        total += x[n - 1];
        const sf_summary s = sf_summarize(x, n);
        if (n >= 5)
            noise[estimates++] = s.rel_stdev;
        const int enough = n >= r->min_samples && total >= r->min_time;
        int settled = 0;
        if (r->noise_settle > 0 && estimates > r->noise_estimates && n % 16 == 0 && s.rel_stdev > 0) {
            const int64_t m = estimates < 512 ? estimates : 512;
            const sf_summary tracked = sf_summarize(noise + estimates - m, m);
            settled = tracked.stdev / s.rel_stdev < r->noise_settle;
        }
        *stopped_at = n;
        if (enough && s.rel_stdev <= r->max_noise)
            return SF_STOP_CONVERGED;
        if (enough && settled)
            return SF_STOP_NOISE_STABLE;
        if (r->max_samples > 0 && n >= r->max_samples)
            return SF_STOP_MAX_SAMPLES;
    }
    return SF_STOP_CONTINUE;
}

/* Runs a sequence through the stopper and the oracle: both must stop for `want` at n = at. */
static void stops(const sf_stop_rule *rule, double (*sample)(int64_t), const char *what, sf_stop_reason want,
                  int64_t at)
{
    sf_stopper s;
    int64_t n = 0, n_oracle = 0;
    sf_stopper_init(&s, rule);
    const sf_stop_reason r = feed(&s, sample, 4000, 0.0, &n);
    CHECK(r == want && n == at, "%s: %s at n = %lld, want %s at %lld", what, sf_stop_reason_name(r), (long long)n,
          sf_stop_reason_name(want), (long long)at);
    const sf_stop_reason o = oracle(rule, sample, 4000, &n_oracle);
    CHECK(o == want && n_oracle == at, "%s, oracle: %s at %lld", what, sf_stop_reason_name(o), (long long)n_oracle);
}

static void stopper(void)
{
    const sf_stop_rule def = sf_stop_rule_default();
    sf_stopper s;
    int64_t n = 0;
    sf_stop_reason r;

    sf_stopper_init(&s, &def);
    CHECK(s.n == 0 && s.noise_count == 0 && sf_stopper_noise(&s) == 0.0, "fresh stopper");

    /* constant 0.1 s: noise 0 from the start; n = 10 reaches min_samples with total 1.0 >= 0.5 */
    r = feed(&s, tenth, 1000, 0.1, &n);
    CHECK(r == SF_STOP_CONVERGED && n == 10, "constant 0.1: %s at n = %lld", sf_stop_reason_name(r), (long long)n);
    CHECK(sf_stopper_noise(&s) == 0.0 && near(s.total, 1.0), "noise %g total %g", sf_stopper_noise(&s), s.total);
    CHECK(s.noise_count == 6, "estimates at n = 5..10: %lld", (long long)s.noise_count);

    /* constant 0.01 s: the total reaches 0.5 only at n = 50 (0.49 at n = 49) */
    sf_stopper_init(&s, &def);
    r = feed(&s, hundredth, 1000, 0.01, &n);
    CHECK(r == SF_STOP_CONVERGED && n == 50, "constant 0.01: %s at n = %lld", sf_stop_reason_name(r), (long long)n);

    /* min_time met exactly: 10 x 0.25 = 2.5 with no rounding, so n = 10 counts */
    sf_stop_rule exact = def;
    exact.min_time = 2.5;
    sf_stopper_init(&s, &exact);
    r = feed(&s, quarter, 1000, 0.0, &n);
    CHECK(r == SF_STOP_CONVERGED && n == 10 && s.total == 2.5, "min_time met exactly: %s at n = %lld",
          sf_stop_reason_name(r), (long long)n);

    /* no noise at all, with convergence ruled out: a relative spread of estimates that are all 0 means
     * nothing, so it runs on to max_samples */
    sf_stop_rule never = def;
    never.max_noise = -1.0;
    never.max_samples = 1000;
    sf_stopper_init(&s, &never);
    r = feed(&s, tenth, 2000, 0.0, &n);
    CHECK(r == SF_STOP_MAX_SAMPLES && n == 1000, "constant, no convergence: %s at n = %lld", sf_stop_reason_name(r),
          (long long)n);

    /* NULL rule: the defaults */
    sf_stopper_init(&s, NULL);
    CHECK(s.rule.min_samples == 10 && s.rule.timeout == 15.0, "NULL rule");

    /* Welford against two-pass on 1.0, 1.2, ...: n = 2: mean 1.1, stdev 0.1 sqrt 2, noise 0.128565;
     * n = 3: mean 1.0667, stdev 0.11547, noise 0.108253 */
    sf_stopper_init(&s, &def);
    sf_stopper_add(&s, 1.0, 0.0);
    CHECK(sf_stopper_noise(&s) == 0.0, "one sample: noise %g", sf_stopper_noise(&s));
    sf_stopper_add(&s, 1.2, 0.0);
    CHECK(fabs(sf_stopper_noise(&s) - 0.1 * sqrt(2.0) / 1.1) < 1e-12, "n = 2: noise %.17g", sf_stopper_noise(&s));
    sf_stopper_add(&s, 1.0, 0.0);
    CHECK(fabs(sf_stopper_noise(&s) - 0.108253175473055) < 1e-12, "n = 3: noise %.17g", sf_stopper_noise(&s));
    sf_stopper_init(&s, &def); /* mean -1.5: no relative noise, as in sf_summarize */
    sf_stopper_add(&s, -1.0, 0.0);
    sf_stopper_add(&s, -2.0, 0.0);
    CHECK(isnan(sf_stopper_noise(&s)), "mean < 0: noise %g", sf_stopper_noise(&s));
    {
        double x[700];
        int agree = 1;
        sf_stopper_init(&s, &def);
        for (int64_t i = 0; i < 700; ++i) {
            x[i] = growing(i);
            sf_stopper_add(&s, x[i], 0.0);
            agree = agree && (i < 1 || near(sf_stopper_noise(&s), sf_summarize(x, i + 1).rel_stdev));
            /* the newest estimate sits at (noise_count - 1) mod SF_NOISE_HISTORY, past the ring's wrap too */
            agree = agree && (i < 4 || s.noise[(s.noise_count - 1) % SF_NOISE_HISTORY] == sf_stopper_noise(&s));
        }
        CHECK(agree, "Welford's noise differs from the two-pass one, or the ring's newest estimate from it");
        CHECK(s.noise_count == 696, "estimates at n = 5..700: %lld", (long long)s.noise_count);
    }

    /* 1.0, 1.2, ...: noise about 0.092, never <= 0.005. Estimates from n = 5, more than 64 of them from
     * n = 69; checks at n = 80, 96, ...: at 80 the 76 estimates' stdev is below 5 % of the current one */
    stops(&def, alternating, "alternating", SF_STOP_NOISE_STABLE, 80);
    sf_stopper_init(&s, &def);
    r = feed(&s, alternating, 1000, 0.0, &n);
    CHECK(s.noise_count == 76 && sf_stopper_noise(&s) > 0.09 && sf_stopper_noise(&s) < 0.095, "estimates %lld noise %g",
          (long long)s.noise_count, sf_stopper_noise(&s));
    /* a settle so loose that any spread passes: still not before more than 64 estimates and a check */
    sf_stop_rule loose = def;
    loose.noise_settle = 10.0;
    stops(&loose, alternating, "loose settle", SF_STOP_NOISE_STABLE, 80);
    /* more estimates asked for: from more than 100 (n = 105), the next check is at n = 112 */
    sf_stop_rule patient = def;
    patient.noise_estimates = 100;
    stops(&patient, alternating, "100 estimates", SF_STOP_NOISE_STABLE, 112);
    /* noise-stable waits for min_time: 329 s is reached at n = 300, then the check at n = 304 */
    sf_stop_rule slow = def;
    slow.min_time = 329.0;
    stops(&slow, alternating, "min_time 329", SF_STOP_NOISE_STABLE, 304);

    /* Sequences where it must not stop early. */
    /* noise that moves again: the run that settles at 80 has 1.6 for 1.2 from sample 25; its estimates
     * keep moving, and it settles only at n = 544 */
    stops(&def, jump, "jump", SF_STOP_NOISE_STABLE, 544);
    /* the same far into the ring: 3.0 from sample 401 (min_time 441.5 keeps it running until then) */
    slow.min_time = 441.5;
    stops(&slow, late_jump, "late jump", SF_STOP_NOISE_STABLE, 1008);
    /* a rare large outlier (one in 97): the noise jumps with each. The old rule (a 20-estimate window)
     * stopped at n = 30, having seen one; this one waits until n = 560, six of them */
    stops(&def, outliers, "outliers", SF_STOP_NOISE_STABLE, 560);
    /* a spread growing steadily: not for thousands of samples */
    stops(&def, growing, "growing", SF_STOP_NOISE_STABLE, 2976);
    sf_stop_rule capped = def;
    capped.max_samples = 200;
    stops(&capped, growing, "growing, capped", SF_STOP_MAX_SAMPLES, 200);
    /* noise_settle 0: never noise-stable */
    sf_stop_rule off = def;
    off.noise_settle = 0.0;
    off.max_samples = 1000;
    stops(&off, alternating, "settle 0", SF_STOP_MAX_SAMPLES, 1000);

    /* max_samples before noise-stable (80) */
    capped.max_samples = 15;
    stops(&capped, alternating, "max 15", SF_STOP_MAX_SAMPLES, 15);

    /* timeout: 1 s of wall time per sample reaches 15 s at n = 15; 0.999 s per sample would need n = 16 */
    sf_stopper_init(&s, &def);
    r = feed(&s, alternating, 1000, 1.0, &n);
    CHECK(r == SF_STOP_TIMEOUT && n == 15, "timeout: %s at n = %lld", sf_stop_reason_name(r), (long long)n);
    sf_stopper_init(&s, &def);
    r = feed(&s, alternating, 1000, 0.999, &n);
    CHECK(r == SF_STOP_TIMEOUT && n == 16, "timeout: %s at n = %lld", sf_stop_reason_name(r), (long long)n);
    sf_stopper_init(&s, &def);
    r = sf_stopper_add(&s, 1.0, 100.0);
    CHECK(r == SF_STOP_TIMEOUT, "timeout on the first sample: %s", sf_stop_reason_name(r));
    sf_stop_rule no_time = def;
    no_time.timeout = 0.0; /* as the header says: elapsed 0 >= 0 */
    sf_stopper_init(&s, &no_time);
    r = sf_stopper_add(&s, 1.0, 0.0);
    CHECK(r == SF_STOP_TIMEOUT, "timeout 0: %s", sf_stop_reason_name(r));

    /* order of the checks. max-samples before timeout: */
    capped.max_samples = 15;
    sf_stopper_init(&s, &capped);
    r = feed(&s, alternating, 1000, 1.0, &n);
    CHECK(r == SF_STOP_MAX_SAMPLES && n == 15, "max and timeout: %s at n = %lld", sf_stop_reason_name(r),
          (long long)n);
    /* converged before max-samples: */
    capped.max_samples = 10;
    stops(&capped, tenth, "converged and max", SF_STOP_CONVERGED, 10);
    /* converged first, with min_samples 30 */
    sf_stop_rule late = def;
    late.min_samples = 30;
    stops(&late, tenth, "converged, min_samples 30", SF_STOP_CONVERGED, 30);
    /* noise-stable before max-samples and timeout, all met at n = 80 */
    capped.max_samples = 80;
    sf_stopper_init(&s, &capped);
    for (n = 1; n <= 80; ++n) {
        r = sf_stopper_add(&s, alternating(n - 1), n == 80 ? 100.0 : 0.0);
        if (r != SF_STOP_CONTINUE)
            break;
    }
    CHECK(r == SF_STOP_NOISE_STABLE && n == 80, "stable, max and timeout: %s at n = %lld", sf_stop_reason_name(r),
          (long long)n);
}

/* The median's 95 % interval: order statistics of ranks floor(n/2 - 0.98 sqrt n) and ceil(n/2 + 0.98
 * sqrt n) + 1, clamped. n = 100: ranks 40 and 61 (P(40 <= Binomial(100, 1/2) < 61) = 0.965). */
static void median_intervals(void)
{
    double x[100];
    for (int i = 0; i < 100; ++i)
        x[i] = (double)((i * 37) % 100 + 1); /* 1..100, shuffled */
    sf_summary s = sf_summarize(x, 100);
    CHECK(s.median_lo == 40.0 && s.median_hi == 61.0, "n = 100: [%g, %g]", s.median_lo, s.median_hi);
    const double ten[] = {5, 1, 9, 3, 7, 2, 8, 4, 10, 6};
    s = sf_summarize(ten, 10);
    CHECK(s.median_lo == 1.0 && s.median_hi == 10.0, "n = 10: the whole range, [%g, %g]", s.median_lo, s.median_hi);
    const double one[] = {3.5};
    s = sf_summarize(one, 1);
    CHECK(s.median_lo == 3.5 && s.median_hi == 3.5, "n = 1: [%g, %g]", s.median_lo, s.median_hi);
    s = sf_summarize(NULL, 0);
    CHECK(isnan(s.median_lo) && isnan(s.median_hi), "n = 0: NaN");
}

int main(void)
{
    summaries();
    rule_defaults();
    stopper();
    median_intervals();
    return sf_test_summary();
}
