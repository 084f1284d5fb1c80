/* spikefuse compare: SAME, FASTER, SLOWER or UNSURE per state between runs of two versions. */
#include "compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results_model.h"
#include "spikefuse_core.h"
#include "stats.h"
#include "sweep.h"
#include "text.h"

const char *sf_verdict_name(sf_verdict v)
{
    static const char *names[] = {"SAME", "FASTER", "SLOWER", "UNSURE"};
    return v >= SF_SAME && v <= SF_UNSURE ? names[v] : "?";
}

sf_compare_rule sf_compare_rule_default(void)
{
    sf_compare_rule r = {0.05, 0.05, 8};
    return r;
}

/* Pools the samples of n runs; lo, hi: the smallest and largest run median. */
static double *pool(const sf_sample_set *runs, int n, int64_t *count, double *lo, double *hi)
{
    int64_t total = 0;
    for (int i = 0; i < n; ++i)
        total += runs[i].n;
    double *x = malloc((size_t)(total > 0 ? total : 1) * sizeof *x);
    *count = 0, *lo = INFINITY, *hi = -INFINITY;
    for (int i = 0; i < n && x; ++i) {
        memcpy(x + *count, runs[i].x, (size_t)runs[i].n * sizeof *x);
        *count += runs[i].n;
        const double m = sf_summarize(runs[i].x, runs[i].n).median;
        *lo = fmin(*lo, m), *hi = fmax(*hi, m);
    }
    return x;
}

sf_comparison sf_compare_runs(const sf_sample_set *base, int nb, const sf_sample_set *cur, int nc,
                              const sf_compare_rule *r)
{
    sf_comparison c = {.verdict = SF_UNSURE, .base_median = NAN, .new_median = NAN, .change = NAN, .p = 1.0,
                       .reason = "no memory"};
    int64_t na, nn;
    double *xa = pool(base, nb, &na, &c.base_lo, &c.base_hi), *xn = pool(cur, nc, &nn, &c.new_lo, &c.new_hi);
    if (!xa || !xn)
        goto done;
    const sf_summary sa = sf_summarize(xa, na), sn = sf_summarize(xn, nn);
    c.base_median = sa.median, c.new_median = sn.median;
    c.change = sa.count && sn.count ? sn.median / sa.median - 1.0 : NAN;
    if (na < r->min_samples || nn < r->min_samples) {
        c.reason = "too few samples to decide";
        goto done;
    }
    c.p = sf_mann_whitney_u(xa, na, xn, nn).p;
    if (fabs(c.change) < r->min_effect) {
        c.verdict = SF_SAME, c.reason = "median moved less than the minimum effect";
    } else if (c.p >= r->alpha) {
        c.reason = "median moved, but the U test does not confirm it (noisy)";
    } else if (nb + nc > 2 && c.new_lo <= c.base_hi && c.base_lo <= c.new_hi) {
        c.reason = "median moved, but within the spread of the run medians (drift between runs)";
    } else {
        c.verdict = c.change > 0 ? SF_SLOWER : SF_FASTER;
        c.reason = nb + nc > 2 ? "median moved beyond the minimum effect and the run spread; the U test confirms it"
                               : "median moved beyond the minimum effect and the U test confirms it";
    }
done:
    free(xa), free(xn);
    return c;
}

sf_verdict sf_compare_samples(const double *base, int64_t nb, const double *cur, int64_t nc, const sf_compare_rule *r,
                              double *change, double *p, const char **reason)
{
    const sf_sample_set a = {base, nb}, b = {cur, nc};
    const sf_comparison c = sf_compare_runs(&a, 1, &b, 1, r);
    *change = c.change, *p = c.p, *reason = c.reason;
    return c.verdict;
}

/* The sample sets of state `id` in the runs that measured it; returns how many did, or fails naming the
 * file that has no samples for it. The sets borrow the runs' samples. */
static sf_status collect(const sf_results *runs, const char *const *paths, int n, const char *id, sf_sample_set *sets,
                         int *count)
{
    *count = 0;
    for (int i = 0; i < n; ++i) {
        const sf_result_state *s = sf_results_by_id(&runs[i], id);
        if (!s || s->status != SF_STATE_OK)
            continue;
        if (!s->cold.samples_s) /* the loader refused damaged ones; a state without any cannot be compared */
            return sf_fail(SF_ERR_IO, "%s: state %s: cold.samples_s is not an array of numbers", paths[i], id);
        sets[*count].x = s->cold.samples_s, sets[*count].n = s->cold.n_samples;
        ++*count;
    }
    return SF_OK;
}

/* Reads every run; all must come from the first base run's device unless ignore_device. */
static sf_status read_runs(const char *const *paths, int n, sf_results *docs, const sf_result_device *want,
                           int ignore_device)
{
    for (int i = 0; i < n; ++i) {
        const sf_status s = sf_results_load(paths[i], &docs[i]);
        if (s != SF_OK)
            return s;
        const sf_result_device *d = &docs[i].device, *w = want ? want : &docs[0].device;
        if (!ignore_device && strcmp(w->key, d->key) != 0)
            return sf_fail(SF_ERR_INVALID, "%s is from %s (%s), the base from %s (%s): different devices (--ignore-device "
                                           "to compare anyway)",
                           paths[i], d->name, d->key, w->name, w->key);
    }
    return SF_OK;
}

static void put_paths(sf_text *t, cJSON *out, const char *key, const char *const *paths, int n)
{
    cJSON *a = cJSON_AddArrayToObject(out, key);
    for (int i = 0; i < n; ++i) {
        sf_text_put(t, "%s`%s`", i ? ", " : "", paths[i]);
        cJSON_AddItemToArray(a, cJSON_CreateString(paths[i]));
    }
}

/* One state's verdict: a row of the Markdown table and one of the JSON's "states". */
static void put_row(sf_text *t, cJSON *rows, const char *id, int ka, int kb, const sf_comparison *c, int runs)
{
    sf_text_put(t, "| `%s` | %.4g ms | %.4g ms | %+.1f %% |", id, 1e3 * c->base_median, 1e3 * c->new_median,
                100 * c->change);
    if (runs)
        sf_text_put(t, " %.4g-%.4g ms | %.4g-%.4g ms |", 1e3 * c->base_lo, 1e3 * c->base_hi, 1e3 * c->new_lo,
                    1e3 * c->new_hi);
    sf_text_put(t, " %.2g | %s | %s |\n", c->p, sf_verdict_name(c->verdict), c->reason);
    cJSON *row = cJSON_CreateObject();
    cJSON_AddStringToObject(row, "id", id);
    cJSON_AddNumberToObject(row, "base_median_s", c->base_median);
    cJSON_AddNumberToObject(row, "new_median_s", c->new_median);
    cJSON_AddNumberToObject(row, "base_runs", ka);
    cJSON_AddNumberToObject(row, "new_runs", kb);
    cJSON_AddNumberToObject(row, "base_run_median_min_s", c->base_lo);
    cJSON_AddNumberToObject(row, "base_run_median_max_s", c->base_hi);
    cJSON_AddNumberToObject(row, "new_run_median_min_s", c->new_lo);
    cJSON_AddNumberToObject(row, "new_run_median_max_s", c->new_hi);
    cJSON_AddNumberToObject(row, "change", c->change);
    cJSON_AddNumberToObject(row, "p", c->p);
    cJSON_AddStringToObject(row, "verdict", sf_verdict_name(c->verdict));
    cJSON_AddStringToObject(row, "reason", c->reason);
    cJSON_AddItemToArray(rows, row);
}

sf_status sf_compare_files(const char *const *base, int nb, const char *const *cur, int nc, const sf_compare_rule *r,
                           int ignore_device, const char *md, const char *json, int *slower)
{
    *slower = 0;
    sf_results *a = calloc((size_t)nb, sizeof *a), *b = calloc((size_t)nc, sizeof *b);
    sf_sample_set *sa = calloc((size_t)nb, sizeof *sa), *sb = calloc((size_t)nc, sizeof *sb);
    sf_status s = a && b && sa && sb ? SF_OK : sf_fail(SF_ERR_NOMEM, "no memory");
    if (s == SF_OK)
        s = read_runs(base, nb, a, NULL, ignore_device);
    if (s == SF_OK)
        s = read_runs(cur, nc, b, &a[0].device, ignore_device);
    cJSON *out = NULL;
    sf_text t = {0};
    if (s != SF_OK)
        goto done;
    const int runs = nb + nc > 2;
    out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "schema", "spikefuse.compare");
    cJSON_AddNumberToObject(out, "schema_version", 1);
    sf_text_put(&t, "# spikefuse compare\n\n- base (%s, %d run%s): ", a[0].device.name, nb, nb > 1 ? "s" : "");
    put_paths(&t, out, "base", base, nb);
    sf_text_put(&t, "\n- new (%s, %d run%s): ", b[0].device.name, nc, nc > 1 ? "s" : "");
    put_paths(&t, out, "new", cur, nc);
    sf_text_put(&t, "\n- rule: Mann-Whitney U on the pooled samples, alpha %.3g; minimum effect %.1f %%; at least %d "
                    "samples a side%s\n\n",
                r->alpha, 100 * r->min_effect, r->min_samples,
                runs ? "; the ranges of the run medians must not overlap" : "");
    sf_text_put(&t, "| state | base median | new median | change |%s p | verdict | why |\n|---|---:|---:|---:|%s---:|---|---|\n",
                runs ? " base runs | new runs |" : "", runs ? "---:|---:|" : "");
    cJSON *rows = cJSON_AddArrayToObject(out, "states");
    int counts[4] = {0}, only = 0;
    for (int i = 0; i < a[0].n_states; ++i) {
        if (a[0].states[i].status != SF_STATE_OK)
            continue;
        const char *id = a[0].states[i].id;
        int ka = 0, kb = 0;
        s = collect(a, base, nb, id, sa, &ka);
        if (s == SF_OK)
            s = collect(b, cur, nc, id, sb, &kb);
        if (s != SF_OK)
            goto done;
        if (kb == 0) {
            ++only;
            continue;
        }
        const sf_comparison c = sf_compare_runs(sa, ka, sb, kb, r);
        counts[c.verdict]++;
        put_row(&t, rows, id, ka, kb, &c, runs);
    }
    sf_text_put(&t, "\n%d same, %d faster, %d slower, %d unsure; %d states of the base not in the new runs.\n",
                counts[SF_SAME], counts[SF_FASTER], counts[SF_SLOWER], counts[SF_UNSURE], only);
    cJSON *sum = cJSON_AddObjectToObject(out, "summary");
    for (int v = 0; v < 4; ++v)
        cJSON_AddNumberToObject(sum, sf_verdict_name((sf_verdict)v), counts[v]);
    *slower = counts[SF_SLOWER];
    if (counts[SF_SAME] + counts[SF_FASTER] + counts[SF_SLOWER] + counts[SF_UNSURE] == 0) {
        /* a check that compared nothing must not pass */
        s = sf_fail(SF_ERR_INVALID, "no measured state of %s is in the new runs: nothing to compare", base[0]);
        goto done;
    }
    fputs(t.s ? t.s : "", stdout);
    if (md) {
        s = sf_text_finish(&t, md);
        t.s = NULL;
    }
    if (s == SF_OK && json) {
        char *text = cJSON_Print(out);
        s = text ? sf_write_atomic(json, text) : sf_fail(SF_ERR_NOMEM, "no memory");
        cJSON_free(text);
    }
done:
    free(t.s);
    cJSON_Delete(out);
    for (int i = 0; a && i < nb; ++i)
        sf_results_free(&a[i]);
    for (int i = 0; b && i < nc; ++i)
        sf_results_free(&b[i]);
    free(a), free(b), free(sa), free(sb);
    return s;
}
