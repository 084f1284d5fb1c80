/* spikefuse compare: SAME, FASTER, SLOWER or UNSURE per state between runs of two versions. */
#include "compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spikefuse_core.h"
#include "json_util.h"
#include "stats.h"
#include "sweep.h"
#include "text.h"

#define num sf_json_num
#define str sf_json_str

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

/* The cold samples of a state; NULL when they are not an array of finite numbers (a damaged file). */
static double *samples_of(const cJSON *state, int64_t *n)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(state, "cold"), "samples_s");
    *n = cJSON_GetArraySize(a);
    double *v = cJSON_IsArray(a) ? malloc((size_t)(*n > 0 ? *n : 1) * sizeof *v) : NULL;
    int64_t i = 0;
    const cJSON *x;
    if (v)
        cJSON_ArrayForEach(x, a)
        {
            if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble)) {
                free(v);
                return NULL;
            }
            v[i++] = x->valuedouble;
        }
    return v;
}

static const cJSON *device_of(const cJSON *results)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(results, "devices"), 0);
}

/* The measured state with this id in a results file, or NULL. */
static const cJSON *find_state(const cJSON *results, const char *id)
{
    const cJSON *s = sf_results_state(results, id);
    return s && strcmp(str(s, "status"), "ok") == 0 ? s : NULL;
}

/* The sample sets of state `id` in the runs that measured it; returns how many did, or fails naming the
 * file whose samples are damaged. */
static sf_status collect(cJSON *const *runs, const char *const *paths, int n, const char *id, sf_sample_set *sets,
                         int *count)
{
    *count = 0;
    for (int i = 0; i < n; ++i) {
        const cJSON *s = find_state(runs[i], id);
        if (!s)
            continue;
        sets[*count].x = samples_of(s, &sets[*count].n);
        if (!sets[*count].x)
            return sf_fail(SF_ERR_IO, "%s: state %s: cold.samples_s is not an array of numbers", paths[i], id);
        ++*count;
    }
    return SF_OK;
}

static void release(sf_sample_set *sets, int n)
{
    for (int i = 0; i < n; ++i)
        free((void *)sets[i].x);
}

/* Reads every run; all must come from the first base run's device unless ignore_device. */
static sf_status read_runs(const char *const *paths, int n, cJSON **docs, const cJSON *want, int ignore_device)
{
    for (int i = 0; i < n; ++i) {
        const sf_status s = sf_results_read(paths[i], &docs[i]);
        if (s != SF_OK)
            return s;
        const cJSON *d = device_of(docs[i]), *w = want ? want : device_of(docs[0]);
        if (!ignore_device && strcmp(str(w, "key"), str(d, "key")) != 0)
            return sf_fail(SF_ERR_INVALID, "%s is from %s (%s), the base from %s (%s): different devices (--ignore-device "
                                           "to compare anyway)",
                           paths[i], str(d, "name"), str(d, "key"), str(w, "name"), str(w, "key"));
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

sf_status sf_compare_files(const char *const *base, int nb, const char *const *cur, int nc, const sf_compare_rule *r,
                           int ignore_device, const char *md, const char *json, int *slower)
{
    *slower = 0;
    cJSON **a = calloc((size_t)nb, sizeof *a), **b = calloc((size_t)nc, sizeof *b);
    sf_sample_set *sa = calloc((size_t)nb, sizeof *sa), *sb = calloc((size_t)nc, sizeof *sb);
    sf_status s = a && b && sa && sb ? SF_OK : sf_fail(SF_ERR_NOMEM, "no memory");
    if (s == SF_OK)
        s = read_runs(base, nb, a, NULL, ignore_device);
    if (s == SF_OK)
        s = read_runs(cur, nc, b, device_of(a[0]), ignore_device);
    cJSON *out = NULL;
    sf_text t = {0};
    if (s != SF_OK)
        goto done;
    const int runs = nb + nc > 2;
    out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "schema", "spikefuse.compare");
    cJSON_AddNumberToObject(out, "schema_version", 1);
    sf_text_put(&t, "# spikefuse compare\n\n- base (%s, %d run%s): ", str(device_of(a[0]), "name"), nb, nb > 1 ? "s" : "");
    put_paths(&t, out, "base", base, nb);
    sf_text_put(&t, "\n- new (%s, %d run%s): ", str(device_of(b[0]), "name"), nc, nc > 1 ? "s" : "");
    put_paths(&t, out, "new", cur, nc);
    sf_text_put(&t, "\n- rule: Mann-Whitney U on the pooled samples, alpha %.3g; minimum effect %.1f %%; at least %d "
                    "samples a side%s\n\n",
                r->alpha, 100 * r->min_effect, r->min_samples,
                runs ? "; the ranges of the run medians must not overlap" : "");
    sf_text_put(&t, "| state | base median | new median | change |%s p | verdict | why |\n|---|---:|---:|---:|%s---:|---|---|\n",
                runs ? " base runs | new runs |" : "", runs ? "---:|---:|" : "");
    cJSON *rows = cJSON_AddArrayToObject(out, "states");
    int counts[4] = {0}, only = 0;
    const cJSON *st;
    cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(a[0], "states"))
    {
        if (strcmp(str(st, "status"), "ok") != 0)
            continue;
        const char *id = str(st, "id");
        int ka = 0, kb = 0;
        s = collect(a, base, nb, id, sa, &ka);
        if (s == SF_OK)
            s = collect(b, cur, nc, id, sb, &kb);
        if (s != SF_OK) {
            release(sa, ka), release(sb, kb);
            goto done;
        }
        if (kb == 0) {
            ++only;
            release(sa, ka);
            continue;
        }
        const sf_comparison c = sf_compare_runs(sa, ka, sb, kb, r);
        release(sa, ka), release(sb, kb);
        counts[c.verdict]++;
        sf_text_put(&t, "| `%s` | %.4g ms | %.4g ms | %+.1f %% |", id, 1e3 * c.base_median, 1e3 * c.new_median,
                    100 * c.change);
        if (runs)
            sf_text_put(&t, " %.4g-%.4g ms | %.4g-%.4g ms |", 1e3 * c.base_lo, 1e3 * c.base_hi, 1e3 * c.new_lo,
                        1e3 * c.new_hi);
        sf_text_put(&t, " %.2g | %s | %s |\n", c.p, sf_verdict_name(c.verdict), c.reason);
        cJSON *row = cJSON_CreateObject();
        cJSON_AddStringToObject(row, "id", id);
        cJSON_AddNumberToObject(row, "base_median_s", c.base_median);
        cJSON_AddNumberToObject(row, "new_median_s", c.new_median);
        cJSON_AddNumberToObject(row, "base_runs", ka);
        cJSON_AddNumberToObject(row, "new_runs", kb);
        cJSON_AddNumberToObject(row, "base_run_median_min_s", c.base_lo);
        cJSON_AddNumberToObject(row, "base_run_median_max_s", c.base_hi);
        cJSON_AddNumberToObject(row, "new_run_median_min_s", c.new_lo);
        cJSON_AddNumberToObject(row, "new_run_median_max_s", c.new_hi);
        cJSON_AddNumberToObject(row, "change", c.change);
        cJSON_AddNumberToObject(row, "p", c.p);
        cJSON_AddStringToObject(row, "verdict", sf_verdict_name(c.verdict));
        cJSON_AddStringToObject(row, "reason", c.reason);
        cJSON_AddItemToArray(rows, row);
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
        cJSON_Delete(a[i]);
    for (int i = 0; b && i < nc; ++i)
        cJSON_Delete(b[i]);
    free(a), free(b), free(sa), free(sb);
    return s;
}
