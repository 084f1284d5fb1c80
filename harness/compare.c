/* spikefuse compare and spikefuse check. */
#include "compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
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

sf_verdict sf_compare_samples(const double *base, int64_t nb, const double *cur, int64_t nc, const sf_compare_rule *r,
                              double *change, double *p, const char **reason)
{
    const sf_summary sb = sf_summarize(base, nb), sc = sf_summarize(cur, nc);
    *change = sb.count && sc.count ? sc.median / sb.median - 1.0 : NAN;
    *p = 1.0;
    if (nb < r->min_samples || nc < r->min_samples) {
        *reason = "too few samples to decide";
        return SF_UNSURE;
    }
    *p = sf_mann_whitney_u(base, nb, cur, nc).p;
    if (fabs(*change) < r->min_effect) {
        *reason = "median moved less than the minimum effect";
        return SF_SAME;
    }
    if (*p >= r->alpha) {
        *reason = "median moved, but the U test does not confirm it (noisy)";
        return SF_UNSURE;
    }
    *reason = "median moved beyond the minimum effect and the U test confirms it";
    return *change > 0 ? SF_SLOWER : SF_FASTER;
}

static double *samples_of(const cJSON *state, int64_t *n)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(state, "cold"), "samples_s");
    *n = cJSON_GetArraySize(a);
    double *v = malloc((size_t)(*n > 0 ? *n : 1) * sizeof *v);
    int64_t i = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, a)
    v[i++] = cJSON_IsNumber(x) ? x->valuedouble : NAN;
    return v;
}

sf_status sf_compare_files(const char *base, const char *cur, const sf_compare_rule *r, int ignore_device,
                           const char *md, const char *json, int *slower)
{
    cJSON *a = NULL, *b = NULL;
    *slower = 0;
    sf_status s = sf_results_read(base, &a);
    if (s == SF_OK)
        s = sf_results_read(cur, &b);
    const cJSON *da = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(a, "devices"), 0),
                *db = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(b, "devices"), 0);
    if (s == SF_OK && !ignore_device && strcmp(str(da, "key"), str(db, "key")) != 0)
        s = sf_fail(SF_ERR_INVALID, "%s is from %s (%s), %s from %s (%s): different devices (--ignore-device to compare anyway)",
                    base, str(da, "name"), str(da, "key"), cur, str(db, "name"), str(db, "key"));
    if (s != SF_OK) {
        cJSON_Delete(a), cJSON_Delete(b);
        return s;
    }
    sf_text t = {0};
    cJSON *out = cJSON_CreateObject(), *rows = cJSON_AddArrayToObject(out, "states");
    cJSON_AddStringToObject(out, "schema", "spikefuse.compare");
    cJSON_AddStringToObject(out, "base", base);
    cJSON_AddStringToObject(out, "new", cur);
    sf_text_put(&t, "# spikefuse compare\n\n- base: `%s` (%s)\n- new: `%s` (%s)\n- rule: Mann-Whitney U, alpha %.3g; "
                    "minimum effect %.1f %%; at least %d samples each\n\n",
                base, str(da, "name"), cur, str(db, "name"), r->alpha, 100 * r->min_effect, r->min_samples);
    sf_text_put(&t, "| state | base median | new median | change | p | verdict | why |\n|---|---:|---:|---:|---:|---|---|\n");
    int counts[4] = {0}, only = 0;
    const cJSON *sa, *sb;
    cJSON_ArrayForEach(sa, cJSON_GetObjectItemCaseSensitive(a, "states"))
    {
        if (strcmp(str(sa, "status"), "ok") != 0)
            continue;
        const cJSON *match = NULL;
        cJSON_ArrayForEach(sb, cJSON_GetObjectItemCaseSensitive(b, "states"))
        {
            if (!strcmp(str(sb, "id"), str(sa, "id")) && !strcmp(str(sb, "status"), "ok"))
                match = sb;
        }
        if (!match) {
            ++only;
            continue;
        }
        int64_t na, nb;
        double *xa = samples_of(sa, &na), *xb = samples_of(match, &nb), change, p;
        const char *why;
        const sf_verdict v = sf_compare_samples(xa, na, xb, nb, r, &change, &p, &why);
        free(xa), free(xb);
        counts[v]++;
        sf_text_put(&t, "| `%s` | %.4g ms | %.4g ms | %+.1f %% | %.2g | %s | %s |\n", str(sa, "id"),
                    1e3 * num(sa, "cold", "median_s"), 1e3 * num(match, "cold", "median_s"), 100 * change, p,
                    sf_verdict_name(v), why);
        cJSON *row = cJSON_CreateObject();
        cJSON_AddStringToObject(row, "id", str(sa, "id"));
        cJSON_AddNumberToObject(row, "base_median_s", num(sa, "cold", "median_s"));
        cJSON_AddNumberToObject(row, "new_median_s", num(match, "cold", "median_s"));
        cJSON_AddNumberToObject(row, "change", change);
        cJSON_AddNumberToObject(row, "p", p);
        cJSON_AddStringToObject(row, "verdict", sf_verdict_name(v));
        cJSON_AddStringToObject(row, "reason", why);
        cJSON_AddItemToArray(rows, row);
    }
    sf_text_put(&t, "\n%d same, %d faster, %d slower, %d unsure; %d states of the base not in the new file.\n",
                counts[SF_SAME], counts[SF_FASTER], counts[SF_SLOWER], counts[SF_UNSURE], only);
    cJSON *sum = cJSON_AddObjectToObject(out, "summary");
    for (int v = 0; v < 4; ++v)
        cJSON_AddNumberToObject(sum, sf_verdict_name((sf_verdict)v), counts[v]);
    *slower = counts[SF_SLOWER];
    fputs(t.s ? t.s : "", stdout);
    s = md ? sf_text_finish(&t, md) : (free(t.s), SF_OK);
    if (s == SF_OK && json) {
        char *text = cJSON_Print(out);
        s = text ? sf_write_atomic(json, text) : sf_fail(SF_ERR_NOMEM, "no memory");
        cJSON_free(text);
    }
    cJSON_Delete(out), cJSON_Delete(a), cJSON_Delete(b);
    return s;
}

/* The one measured state a selector ({"family", "direction", "T", "N", "B", "kernel"}, any subset) names. */
static const cJSON *select_state(const cJSON *results, const cJSON *sel)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(results, "states"))
    {
        if (strcmp(str(s, "status"), "ok") != 0)
            continue;
        int ok = 1;
        static const char *strings[] = {"family", "direction"};
        static const char *numbers[] = {"T", "N", "B"};
        for (int i = 0; i < 2; ++i)
            if (cJSON_GetObjectItemCaseSensitive(sel, strings[i]) && strcmp(str(sel, strings[i]), str(s, strings[i])))
                ok = 0;
        for (int i = 0; i < 3; ++i)
            if (cJSON_GetObjectItemCaseSensitive(sel, numbers[i]) && num(sel, numbers[i], NULL) != num(s, numbers[i], NULL))
                ok = 0;
        const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(s, "kernels"), 0);
        if (cJSON_GetObjectItemCaseSensitive(sel, "kernel") &&
            (!cJSON_IsString(first) || strcmp(str(sel, "kernel"), first->valuestring) != 0))
            ok = 0;
        if (ok)
            return s;
    }
    return NULL;
}

sf_status sf_check_gates(const char *gates_path, const char *results_path, const char *md, int *failed)
{
    cJSON *gates = NULL, *results = NULL;
    *failed = 0;
    sf_status s = sf_json_read_file(gates_path, &gates);
    if (s == SF_OK)
        s = sf_results_read(results_path, &results);
    if (s == SF_OK && strcmp(str(gates, "schema"), "spikefuse.gates") != 0)
        s = sf_fail(SF_ERR_IO, "%s: not a gates file (schema \"spikefuse.gates\")", gates_path);
    if (s != SF_OK) {
        cJSON_Delete(gates), cJSON_Delete(results);
        return s;
    }
    const cJSON *dev = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(results, "devices"), 0);
    sf_text t = {0};
    sf_text_put(&t, "# spikefuse check: %s on %s (%s)\n\n| gate | measured | floor | result |\n|---|---:|---:|---|\n",
                gates_path, str(dev, "name"), str(dev, "backend"));
    int passed = 0, skipped = 0, i = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(gates, "gates"))
    {
        ++i;
        const char *backend = str(g, "backend"), *kind = str(g, "kind"), *name = str(g, "name");
        if (backend[0] && strcmp(backend, "any") != 0 && strcmp(backend, str(dev, "backend")) != 0) {
            ++skipped;
            continue;
        }
        double value = NAN;
        if (!strcmp(kind, "ratio")) {
            const cJSON *fast = select_state(results, cJSON_GetObjectItemCaseSensitive(g, "faster")),
                        *slow = select_state(results, cJSON_GetObjectItemCaseSensitive(g, "slower"));
            if (!fast || !slow) {
                s = sf_fail(SF_ERR_INVALID, "gate %d (%s): the results have no measured state for its %s", i, name,
                            !fast ? "\"faster\"" : "\"slower\"");
                break;
            }
            value = num(slow, "cold", "median_s") / num(fast, "cold", "median_s");
        } else if (!strcmp(kind, "pct_copy_bw")) {
            const cJSON *st = select_state(results, cJSON_GetObjectItemCaseSensitive(g, "state"));
            if (!st) {
                s = sf_fail(SF_ERR_INVALID, "gate %d (%s): the results have no measured state for it", i, name);
                break;
            }
            value = num(st, "metrics", "pct_copy_bw");
        } else {
            s = sf_fail(SF_ERR_IO, "%s: gate %d: unknown kind '%s' (ratio, pct_copy_bw)", gates_path, i, kind);
            break;
        }
        const double floor_ = num(g, "min", NULL);
        if (isnan(floor_)) {
            s = sf_fail(SF_ERR_IO, "%s: gate %d: no \"min\"", gates_path, i);
            break;
        }
        const int ok = value >= floor_;
        ok ? ++passed : ++*failed;
        sf_text_put(&t, "| %s | %.3g%s | %.3g%s | %s |\n", name, value, !strcmp(kind, "ratio") ? "x" : " %", floor_,
                    !strcmp(kind, "ratio") ? "x" : " %", ok ? "pass" : "FAIL");
    }
    sf_text_put(&t, "\n%d passed, %d failed, %d for another device class\n", passed, *failed, skipped);
    if (s == SF_OK)
        fputs(t.s ? t.s : "", stdout);
    if (s == SF_OK && md)
        s = sf_text_finish(&t, md);
    else
        free(t.s);
    cJSON_Delete(gates), cJSON_Delete(results);
    return s;
}
