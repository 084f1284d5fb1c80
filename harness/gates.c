/* spikefuse check: floors on ratios measured within one run and on % of copy bandwidth, as data per
 * device class (ci/gates/<backend>.json; the format is in harness/SCHEMA.md). Ratios within one run hold
 * on a noisy, shared machine where absolute times do not. */
#include "gates.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spikefuse_core.h"
#include "json_util.h"
#include "results_model.h"
#include "sweep.h"
#include "text.h"

#define num sf_json_num
#define str sf_json_str

/* The measured state a selector ({"family", "direction", "T", "N", "B", "kernel"}, any subset) names;
 * *matches says how many there are, for a selector that must name exactly one. A selector is not a
 * problem: it names what it gives and leaves the rest free. */
static const sf_result_state *select_state(const sf_results *results, const cJSON *sel, int *matches)
{
    const sf_result_state *found = NULL;
    *matches = 0;
    for (int k = 0; k < results->n_states; ++k) {
        const sf_result_state *s = &results->states[k];
        if (s->status != SF_STATE_OK)
            continue;
        const char *strings[][2] = {{"family", s->family}, {"direction", s->direction}};
        const struct {
            const char *key;
            double value;
        } numbers[] = {{"T", s->T}, {"N", s->N}, {"B", s->B}};
        int ok = 1;
        for (int i = 0; i < 2; ++i)
            if (cJSON_GetObjectItemCaseSensitive(sel, strings[i][0]) && strcmp(str(sel, strings[i][0]), strings[i][1]))
                ok = 0;
        for (int i = 0; i < 3; ++i)
            if (cJSON_GetObjectItemCaseSensitive(sel, numbers[i].key) && num(sel, numbers[i].key, NULL) != numbers[i].value)
                ok = 0;
        if (cJSON_GetObjectItemCaseSensitive(sel, "kernel") &&
            (s->n_kernels == 0 || strcmp(str(sel, "kernel"), s->kernels[0]) != 0))
            ok = 0;
        if (ok && !(*matches)++)
            found = s;
    }
    return found;
}

/* The one state a gate's selector names, or an error that says why not. */
static sf_status gate_state(const sf_results *results, const cJSON *g, const char *field, int i,
                             const sf_result_state **out)
{
    int n = 0;
    *out = select_state(results, cJSON_GetObjectItemCaseSensitive(g, field), &n);
    if (n == 0)
        return sf_fail(SF_ERR_INVALID, "gate %d (%s): the results have no measured state for its \"%s\"", i,
                       str(g, "name"), field);
    if (n > 1) /* the first of several would be an arbitrary one: a ratio of unrelated problems */
        return sf_fail(SF_ERR_INVALID, "gate %d (%s): its \"%s\" matches %d measured states; name T, N and B", i,
                       str(g, "name"), field, n);
    return SF_OK;
}

sf_status sf_check_gates(const char *gates_path, const char *results_path, const char *md, int *failed)
{
    cJSON *gates = NULL;
    sf_results results = {0};
    *failed = 0;
    sf_status s = sf_json_read_file(gates_path, &gates);
    if (s == SF_OK)
        s = sf_results_load(results_path, &results);
    if (s == SF_OK && (strcmp(str(gates, "schema"), "spikefuse.gates") != 0 ||
                       !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(gates, "gates"))))
        s = sf_fail(SF_ERR_IO, "%s: not a gates file (schema \"spikefuse.gates\" and an array \"gates\")", gates_path);
    if (s != SF_OK) {
        cJSON_Delete(gates), sf_results_free(&results);
        return s;
    }
    const sf_result_device *dev = &results.device;
    sf_text t = {0};
    sf_text_put(&t, "# spikefuse check: %s on %s (%s)\n\n| gate | measured | floor | result |\n|---|---:|---:|---|\n",
                gates_path, dev->name, dev->backend);
    int passed = 0, skipped = 0, i = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(gates, "gates"))
    {
        ++i;
        const char *backend = str(g, "backend"), *kind = str(g, "kind"), *name = str(g, "name");
        if (backend[0] && strcmp(backend, "any") != 0 && strcmp(backend, dev->backend) != 0) {
            ++skipped;
            continue;
        }
        double value = NAN;
        if (!strcmp(kind, "ratio")) {
            const sf_result_state *fast = NULL, *slow = NULL;
            if ((s = gate_state(&results, g, "faster", i, &fast)) != SF_OK ||
                (s = gate_state(&results, g, "slower", i, &slow)) != SF_OK)
                break;
            if (fast->run != slow->run) {
                s = sf_fail(SF_ERR_INVALID, "%s: gate %d (%s): %s and %s were measured by different runs of a "
                            "resumed file, and a ratio needs one run; measure them again into a new file",
                            gates_path, i, name, fast->id, slow->id);
                break;
            }
            value = sf_results_speedup(slow, fast);
        } else if (!strcmp(kind, "pct_copy_bw")) {
            const sf_result_state *st = NULL;
            if ((s = gate_state(&results, g, "state", i, &st)) != SF_OK)
                break;
            value = st->metrics.pct_copy_bw;
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
    if (s == SF_OK && passed + *failed == 0) /* a check that checked nothing must not pass */
        s = sf_fail(SF_ERR_INVALID, "%s: no gate applies to the %s backend of %s", gates_path, dev->backend,
                    results_path);
    if (s == SF_OK)
        fputs(t.s ? t.s : "", stdout);
    if (s == SF_OK && md)
        s = sf_text_finish(&t, md);
    else
        free(t.s);
    cJSON_Delete(gates), sf_results_free(&results);
    return s;
}
