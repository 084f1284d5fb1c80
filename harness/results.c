/* Results files: reading with a schema check, and the CSV and Markdown views of the results model. */
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "files.h"
#include "json_util.h"
#include "results_model.h"
#include "spikefuse_core.h"
#include "text.h"
#include "sweep.h"

sf_status sf_results_read(const char *path, cJSON **out)
{
    cJSON *root = NULL;
    const sf_status rs = sf_json_read_file(path, &root);
    *out = NULL;
    if (rs != SF_OK)
        return rs;
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(root, "schema");
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "schema_version");
    const cJSON *states = cJSON_GetObjectItemCaseSensitive(root, "states");
    const cJSON *devices = cJSON_GetObjectItemCaseSensitive(root, "devices");
    if (!cJSON_IsString(schema) || strcmp(schema->valuestring, SF_SWEEP_SCHEMA) != 0) {
        cJSON_Delete(root);
        return sf_fail(SF_ERR_IO, "%s: not a spikefuse sweep result (schema is not \"%s\")", path, SF_SWEEP_SCHEMA);
    }
    if (!cJSON_IsNumber(version) || version->valueint > SF_SWEEP_SCHEMA_VERSION) {
        cJSON_Delete(root);
        return sf_fail(SF_ERR_IO, "%s: schema_version %s is newer than this spikefuse reads (%d)", path,
                       cJSON_IsNumber(version) ? "given" : "missing", SF_SWEEP_SCHEMA_VERSION);
    }
    if (!cJSON_IsArray(states) || !cJSON_IsArray(devices) || cJSON_GetArraySize(devices) < 1) {
        cJSON_Delete(root);
        return sf_fail(SF_ERR_IO, "%s: results need \"devices\" and \"states\" arrays", path);
    }
    const cJSON *st;
    cJSON_ArrayForEach(st, states)
    {
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(st, "id")) ||
            !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(st, "status"))) {
            cJSON_Delete(root);
            return sf_fail(SF_ERR_IO, "%s: a state lacks its \"id\" or \"status\"", path);
        }
    }
    *out = root;
    return SF_OK;
}

#define str sf_json_str

/* The state with this id in a results tree, whatever its status: sweep resume copies it verbatim. */
cJSON *sf_results_state(const cJSON *results, const char *id)
{
    cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(results, "states"))
    {
        if (strcmp(str(s, "id"), id) == 0)
            return s;
    }
    return NULL;
}

static const char *kernels(const sf_result_state *st, char *buf, size_t n)
{
    buf[0] = '\0';
    for (int i = 0; i < st->n_kernels; ++i) {
        if (buf[0])
            strncat(buf, " + ", n - strlen(buf) - 1);
        strncat(buf, st->kernels[i], n - strlen(buf) - 1);
    }
    return buf;
}

typedef sf_text text;
#define put sf_text_put
#define finish sf_text_finish

sf_status sf_results_write_csv(const sf_results *r, const char *path)
{
    text t = {0};
    char kb[256];
    put(&t, "id,status,family,direction,kernels,T,N,B,block,grid,median_s,min_s,q1_s,q3_s,mean_s,stdev_s,samples,dropped,"
            "graph_median_s,hot_per_trial_s,time_per_step_s,paper_steps_per_s,GBps,pct_copy_bw,speedup,reason\n");
    for (int i = 0; i < r->n_states; ++i) {
        const sf_result_state *st = &r->states[i];
        const sf_result_timing *c = &st->cold;
        const sf_result_metrics *m = &st->metrics;
        put(&t, "\"%s\",%s,%s,%s,%s,%.0f,%.0f,%.0f,%.0f,%.0f,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.0f,%.0f,%.9g,%.9g,%.9g,%.9g,%.6g,%.6g,%.6g,\"%s\"\n",
            st->id, sf_state_status_name(st->status), st->family, st->direction, kernels(st, kb, sizeof kb), st->T,
            st->N, st->B, st->block, st->grid, c->median_s, c->min_s, c->q1_s, c->q3_s, c->mean_s, c->stdev_s,
            c->samples_n, c->dropped, st->graph.median_s, st->hot_per_trial_s, m->time_per_step_s,
            m->paper_steps_per_s, m->GBps, m->pct_copy_bw, m->speedup, st->reason);
    }
    return finish(&t, path);
}

/* The first measured state of `family` with the same problem and block as `like`. */
static const sf_result_state *peer(const sf_results *r, const sf_result_state *like, const char *family)
{
    const sf_problem p = sf_problem_of(like);
    return sf_results_find(r, family, &p, SF_MATCH_LAUNCH);
}

static void ratio(text *t, const sf_result_state *a, const sf_result_state *b)
{
    if (a && b && a->run != b->run)
        put(t, " " SF_RATIO_ACROSS_RUNS " |");
    else if (a && b)
        put(t, " %.2fx |", sf_results_speedup(b, a));
    else
        put(t, " - |");
}

static void md_head(text *t, const sf_results *r)
{
    const sf_result_device *dev = &r->device;
    const sf_result_meta *meta = &r->meta;
    put(t, "# spikefuse sweep%s%s on %s\n\n", meta->preset[0] ? ": " : "", meta->preset, dev->name);
    put(t, "- Device: %s, backend %s, key `%s`; measured copy bandwidth %.1f GB/s.\n", dev->name, dev->backend,
        dev->key, dev->copy_bandwidth_Bps / 1e9);
    put(t, "- Command: `");
    for (int i = 0; i < meta->argc; ++i)
        put(t, "%s%s", i ? " " : "", meta->argv[i]);
    put(t, "`; commit %.12s%s; %s.\n", meta->git_commit, meta->git_dirty ? " (dirty)" : "", meta->date);
    put(t, "- Surrogate: %s. Times are medians of cold samples (caches flushed); speedups are over family `%s` "
           "measured in the same run.\n\n",
        r->settings.surrogate, r->settings.reference_family);
}

static void md_states(text *t, const sf_results *r)
{
    char kb[256];
    put(t, "| family | kernels | dir | T | N | B | block | median ms | steps/s (paper unit) | GB/s | %% of copy BW | hot %% of copy BW | samples | speedup |\n");
    put(t, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < r->n_states; ++i) {
        const sf_result_state *s = &r->states[i];
        const sf_result_metrics *m = &s->metrics;
        if (s->status != SF_STATE_OK)
            continue;
        char speedup[32] = "-", hot[32] = "-"; /* not measured: no reference family in the run, --no-hot */
        if (!isnan(m->speedup))
            snprintf(speedup, sizeof speedup, "%.2fx", m->speedup);
        if (!isnan(m->hot_pct_copy_bw))
            snprintf(hot, sizeof hot, "%.1f", m->hot_pct_copy_bw);
        put(t, "| %s | %s | %s | %.0f | %.0f | %.0f | %.0f | %.4g | %.2f | %.1f | %.1f | %s | %.0f | %s |\n", s->family,
            kernels(s, kb, sizeof kb), s->direction, s->T, s->N, s->B, s->block, 1e3 * s->cold.median_s,
            m->paper_steps_per_s, m->GBps, m->pct_copy_bw, hot, s->cold.samples_n, speedup);
    }
}

static void md_ratios(text *t, const sf_results *r)
{
    put(t, "\n## Ratios of cold medians, measured in this run\n\n");
    put(t, "| dir | T | N | B | block | step over eager | fused over step | fused over eager |\n");
    put(t, "|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < r->n_states; ++i) {
        const sf_result_state *s = &r->states[i];
        /* one row per (direction, T, N, B, block): at the first family state of that key */
        if (s->status != SF_STATE_OK || peer(r, s, s->family) != s)
            continue;
        const sf_result_state *e = peer(r, s, "eager"), *p = peer(r, s, "step"), *f = peer(r, s, "fused");
        const sf_result_state *first = e ? e : p ? p : f;
        if (first != s || (!!e + !!p + !!f) < 2)
            continue;
        put(t, "| %s | %.0f | %.0f | %.0f | %.0f |", s->direction, s->T, s->N, s->B, s->block);
        ratio(t, p, e), ratio(t, f, p), ratio(t, f, e);
        put(t, "\n");
    }
}

sf_status sf_results_write_md(const sf_results *r, const char *path)
{
    text t = {0};
    md_head(&t, r);
    md_states(&t, r);
    md_ratios(&t, r);
    int skipped = 0;
    for (int i = 0; i < r->n_states; ++i) {
        const sf_result_state *s = &r->states[i];
        if (s->status == SF_STATE_OK)
            continue;
        if (!skipped++)
            put(&t, "\n## Not measured\n\n| state | status | reason |\n|---|---|---|\n");
        put(&t, "| `%s` | %s | %s |\n", s->id, sf_state_status_name(s->status), s->reason);
    }
    return finish(&t, path);
}
