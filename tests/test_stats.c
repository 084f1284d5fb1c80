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
    CHECK(r.min_samples == 10 && r.min_time == 0.5 && r.max_noise == 0.005 && r.noise_window == 20 &&
              r.noise_settle == 0.05 && r.max_samples == 0 && r.timeout == 15.0,
          "defaults %d %g %g %d %g %lld %g", r.min_samples, r.min_time, r.max_noise, r.noise_window, r.noise_settle,
          (long long)r.max_samples, r.timeout);
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
/* 1.0 / 1.2, then 1.0 / 1.6 from sample 26: the noise moves again */
static double jump(int64_t i) { return i % 2 ? (i < 24 ? 1.2 : 1.6) : 1.0; }
/* as jump, after the ring has wrapped: 1.0 / 3.0 from sample 402 */
static double late_jump(int64_t i) { return i % 2 ? (i < 400 ? 1.2 : 3.0) : 1.0; }
/* 1 -/+ 0.002 i: the spread keeps growing */
static double growing(int64_t i) { return 1.0 + (i % 2 ? 0.002 : -0.002) * (double)(i + 1); }

/* The rule as the header states it, computed the slow way: each prefix summarized from scratch (two-pass),
 * every noise estimate kept (no timeout: the runs it checks take no wall time). Returns the first n at which
 * it stops, and why. */
static sf_stop_reason oracle(const sf_stop_rule *r, double (*sample)(int64_t i), int64_t limit, int64_t *stopped_at)
{
    static double x[1000], noise[1000];
    int64_t estimates = 0;
    double total = 0.0;
    for (int64_t n = 1; n <= limit && n <= 1000; ++n) {
        x[n - 1] = sample(n - 1);
        total += x[n - 1];
        const sf_summary s = sf_summarize(x, n);
        if (n >= 5)
            noise[estimates++] = s.rel_stdev;
        const int enough = n >= r->min_samples && total >= r->min_time;
        int settled = estimates >= r->noise_window && r->noise_window > 0;
        for (int64_t k = estimates - r->noise_window; settled && k < estimates; ++k)
            for (int64_t j = estimates - r->noise_window; j < estimates; ++j)
                if (noise[k] - noise[j] > r->noise_settle * s.rel_stdev)
                    settled = 0;
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

    /* noise that never moves, with convergence ruled out: the span 0 <= 0.05 x 0 settles as soon as
     * 20 estimates exist, at n = 24 */
    sf_stop_rule never = def;
    never.max_noise = -1.0;
    sf_stopper_init(&s, &never);
    r = feed(&s, tenth, 1000, 0.0, &n);
    CHECK(r == SF_STOP_NOISE_STABLE && n == 24, "constant, no convergence: %s at n = %lld", sf_stop_reason_name(r),
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
        double x[300];
        int agree = 1;
        sf_stopper_init(&s, &def);
        for (int64_t i = 0; i < 300; ++i) {
            x[i] = growing(i);
            sf_stopper_add(&s, x[i], 0.0);
            agree = agree && (i < 1 || near(sf_stopper_noise(&s), sf_summarize(x, i + 1).rel_stdev));
            /* the newest estimate sits at (noise_count - 1) mod SF_NOISE_HISTORY, past the ring's wrap too */
            agree = agree && (i < 4 || s.noise[(s.noise_count - 1) % SF_NOISE_HISTORY] == sf_stopper_noise(&s));
        }
        CHECK(agree, "Welford's noise differs from the two-pass one, or the ring's newest estimate from it");
        CHECK(s.noise_count == 296, "estimates at n = 5..300: %lld", (long long)s.noise_count);
    }

    /* 1.0, 1.2, ...: noise about 0.092 (0.1 / 1.1 for long runs), never <= 0.005. Estimates from n = 5; the
     * window of 20 is full at n = 24. At n = 26 the last 20 span 0.00576 > 0.05 x 0.0927; at n = 27
     * they span 0.00448 <= 0.05 x 0.0929 = 0.00464: noise-stable. */
    sf_stopper_init(&s, &def);
    r = feed(&s, alternating, 1000, 0.0, &n);
    CHECK(r == SF_STOP_NOISE_STABLE && n == 27, "alternating: %s at n = %lld", sf_stop_reason_name(r), (long long)n);
    CHECK(s.noise_count == 23, "estimates at n = 5..27: %lld", (long long)s.noise_count);
    CHECK(sf_stopper_noise(&s) > 0.09 && sf_stopper_noise(&s) < 0.095, "noise %g", sf_stopper_noise(&s));
    {
        int64_t at = 0;
        const sf_stop_reason want = oracle(&def, alternating, 1000, &at);
        CHECK(want == r && at == n, "oracle: %s at %lld", sf_stop_reason_name(want), (long long)at);
    }

    /* a settle so loose that any window passes: noise-stable as soon as 20 estimates exist (n = 5..24) */
    sf_stop_rule loose = def;
    loose.noise_settle = 10.0;
    sf_stopper_init(&s, &loose);
    r = feed(&s, alternating, 1000, 0.0, &n);
    CHECK(r == SF_STOP_NOISE_STABLE && n == 24, "loose settle: %s at n = %lld", sf_stop_reason_name(r),
          (long long)n);

    /* noise-stable waits for min_time: with 40 s, the total is 39.6 at n = 36 and 40.6 at n = 37 */
    sf_stop_rule slow = def;
    slow.min_time = 40.0;
    sf_stopper_init(&s, &slow);
    r = feed(&s, alternating, 1000, 0.0, &n);
    CHECK(r == SF_STOP_NOISE_STABLE && n == 37, "min_time 40: %s at n = %lld", sf_stop_reason_name(r),
          (long long)n);

    /* past the ring's 256 estimates: min_time 329 is reached at n = 300 (150 pairs x 2.2 = 330, 328.8 at 299) */
    slow.min_time = 329.0;
    sf_stopper_init(&s, &slow);
    r = feed(&s, alternating, 1000, 0.0, &n);
    CHECK(r == SF_STOP_NOISE_STABLE && n == 300, "min_time 329: %s at n = %lld", sf_stop_reason_name(r),
          (long long)n);
    CHECK(s.noise_count == 296, "estimates at n = 5..300: %lld", (long long)s.noise_count);

    /* noise that keeps moving: the alternating run that settled at 27 has 1.6 for 1.2 from sample 26,
     * and settles again only at n = 69; a spread growing steadily does not settle within 200 samples */
    sf_stopper_init(&s, &def);
    r = feed(&s, jump, 1000, 0.0, &n);
    CHECK(r == SF_STOP_NOISE_STABLE && n == 69, "jump: %s at n = %lld", sf_stop_reason_name(r), (long long)n);
    {
        int64_t at = 0;
        const sf_stop_reason want = oracle(&def, jump, 1000, &at);
        CHECK(want == r && at == n, "oracle: %s at %lld", sf_stop_reason_name(want), (long long)at);
    }
    /* the same after the ring has wrapped: min_time 441.5 holds it until n = 402 (total 441 at n = 401, then
     * + 3.0); the newest 20 estimates move with the jump, the settled ones before it must not be read. The
     * noise settles again at n = 501 (span / (0.05 x noise): 1.11 at n = 500, 0.98 at 501). */
    slow.min_time = 441.5;
    sf_stopper_init(&s, &slow);
    r = feed(&s, late_jump, 1000, 0.0, &n);
    CHECK(r == SF_STOP_NOISE_STABLE && n == 501, "late jump: %s at n = %lld", sf_stop_reason_name(r),
          (long long)n);
    {
        int64_t at = 0;
        const sf_stop_reason want = oracle(&slow, late_jump, 1000, &at);
        CHECK(want == r && at == n, "oracle: %s at %lld", sf_stop_reason_name(want), (long long)at);
    }

    sf_stop_rule capped = def;
    capped.max_samples = 200;
    sf_stopper_init(&s, &capped);
    r = feed(&s, growing, 1000, 0.0, &n);
    CHECK(r == SF_STOP_MAX_SAMPLES && n == 200, "growing: %s at n = %lld", sf_stop_reason_name(r), (long long)n);
    {
        int64_t at = 0;
        const sf_stop_reason want = oracle(&capped, growing, 1000, &at);
        CHECK(want == r && at == n, "oracle: %s at %lld", sf_stop_reason_name(want), (long long)at);
    }

    /* no window: never noise-stable */
    sf_stop_rule no_window = capped;
    no_window.noise_window = 0;
    no_window.max_samples = 100;
    sf_stopper_init(&s, &no_window);
    r = feed(&s, alternating, 1000, 0.0, &n);
    CHECK(r == SF_STOP_MAX_SAMPLES && n == 100, "no window: %s at n = %lld", sf_stop_reason_name(r), (long long)n);

    /* max_samples before noise-stable (27) */
    capped.max_samples = 15;
    sf_stopper_init(&s, &capped);
    r = feed(&s, alternating, 1000, 0.0, &n);
    CHECK(r == SF_STOP_MAX_SAMPLES && n == 15, "max 15: %s at n = %lld", sf_stop_reason_name(r), (long long)n);

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
    sf_stopper_init(&s, &capped);
    r = feed(&s, tenth, 1000, 0.0, &n);
    CHECK(r == SF_STOP_CONVERGED && n == 10, "converged and max: %s at n = %lld", sf_stop_reason_name(r),
          (long long)n);
    /* converged before noise-stable: constant samples with min_samples 30 meet both at n = 30 */
    sf_stop_rule late = def;
    late.min_samples = 30;
    sf_stopper_init(&s, &late);
    r = feed(&s, tenth, 1000, 0.0, &n);
    CHECK(r == SF_STOP_CONVERGED && n == 30, "converged and stable: %s at n = %lld", sf_stop_reason_name(r),
          (long long)n);
    /* noise-stable before max-samples and timeout, all met at n = 27 */
    capped.max_samples = 27;
    sf_stopper_init(&s, &capped);
    for (n = 1; n <= 27; ++n) {
        r = sf_stopper_add(&s, alternating(n - 1), n == 27 ? 100.0 : 0.0);
        if (r != SF_STOP_CONTINUE)
            break;
    }
    CHECK(r == SF_STOP_NOISE_STABLE && n == 27, "stable, max and timeout: %s at n = %lld", sf_stop_reason_name(r),
          (long long)n);
}

int main(void)
{
    summaries();
    rule_defaults();
    stopper();
    return sf_test_summary();
}
