/* Results files: reading with a schema check, and the CSV and Markdown views. */
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

#define num sf_json_num
#define str sf_json_str

static const char *kernels(const cJSON *st, char *buf, size_t n)
{
    buf[0] = '\0';
    const cJSON *k;
    cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(st, "kernels"))
    {
        if (buf[0])
            strncat(buf, " + ", n - strlen(buf) - 1);
        strncat(buf, cJSON_IsString(k) ? k->valuestring : "?", n - strlen(buf) - 1);
    }
    return buf;
}

typedef sf_text text;
#define put sf_text_put
#define finish sf_text_finish

sf_status sf_results_write_csv(const cJSON *root, const char *path)
{
    text t = {0};
    char kb[256];
    put(&t, "id,status,family,direction,kernels,T,N,B,block,grid,median_s,min_s,q1_s,q3_s,mean_s,stdev_s,samples,dropped,"
            "graph_median_s,hot_per_trial_s,time_per_step_s,paper_steps_per_s,GBps,pct_copy_bw,speedup,reason\n");
    const cJSON *st;
    cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(root, "states"))
    {
        put(&t, "\"%s\",%s,%s,%s,%s,%.0f,%.0f,%.0f,%.0f,%.0f,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.0f,%.0f,%.9g,%.9g,%.9g,%.9g,%.6g,%.6g,%.6g,\"%s\"\n",
            str(st, "id"), str(st, "status"), str(st, "family"), str(st, "direction"), kernels(st, kb, sizeof kb),
            num(st, "T", NULL), num(st, "N", NULL), num(st, "B", NULL), num(st, "block", NULL), num(st, "grid", NULL),
            num(st, "cold", "median_s"), num(st, "cold", "min_s"), num(st, "cold", "q1_s"), num(st, "cold", "q3_s"),
            num(st, "cold", "mean_s"), num(st, "cold", "stdev_s"), num(st, "cold", "samples_n"),
            num(st, "cold", "dropped"), num(st, "graph", "median_s"), num(st, "hot", "per_trial_s"),
            num(st, "metrics", "time_per_step_s"), num(st, "metrics", "paper_steps_per_s"), num(st, "metrics", "GBps"),
            num(st, "metrics", "pct_copy_bw"), num(st, "metrics", "speedup"), str(st, "reason"));
    }
    return finish(&t, path);
}

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

int sf_results_values(const cJSON *states, const char *field, int ok_only, double *out, int max)
{
    int n = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, states)
    {
        const double v = num(s, field, NULL);
        int i = 0;
        while (i < n && out[i] < v)
            ++i;
        if ((ok_only && strcmp(str(s, "status"), "ok") != 0) || isnan(v) || (i < n && out[i] == v) || n == max)
            continue;
        memmove(out + i + 1, out + i, (size_t)(n - i) * sizeof *out);
        out[i] = v, ++n;
    }
    return n;
}

int sf_same_problem(const cJSON *a, const cJSON *b)
{
    return strcmp(str(a, "direction"), str(b, "direction")) == 0 && num(a, "T", NULL) == num(b, "T", NULL) &&
           num(a, "N", NULL) == num(b, "N", NULL) && num(a, "B", NULL) == num(b, "B", NULL);
}

/* The first measured state of `family` with the same problem and block as `like`. */
static const cJSON *peer(const cJSON *states, const cJSON *like, const char *family)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, states)
    {
        if (strcmp(str(s, "status"), "ok") == 0 && strcmp(str(s, "family"), family) == 0 && sf_same_problem(s, like) &&
            num(s, "block_requested", NULL) == num(like, "block_requested", NULL))
            return s;
    }
    return NULL;
}

static void ratio(text *t, const cJSON *a, const cJSON *b)
{
    if (a && b)
        put(t, " %.2fx |", num(b, "cold", "median_s") / num(a, "cold", "median_s"));
    else
        put(t, " - |");
}

sf_status sf_results_write_md(const cJSON *root, const char *path)
{
    text t = {0};
    char kb[256];
    const cJSON *dev = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "devices"), 0);
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "meta");
    const cJSON *set = cJSON_GetObjectItemCaseSensitive(root, "settings");
    const cJSON *states = cJSON_GetObjectItemCaseSensitive(root, "states");
    put(&t, "# spikefuse sweep%s%s on %s\n\n", str(meta, "preset")[0] ? ": " : "", str(meta, "preset"), str(dev, "name"));
    put(&t, "- Device: %s, backend %s, key `%s`; measured copy bandwidth %.1f GB/s.\n", str(dev, "name"),
        str(dev, "backend"), str(dev, "key"), num(dev, "copy_bandwidth_Bps", NULL) / 1e9);
    put(&t, "- Command: `");
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(meta, "argv"))
    put(&t, "%s%s", a == cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(meta, "argv"), 0) ? "" : " ",
        cJSON_IsString(a) ? a->valuestring : "?");
    put(&t, "`; commit %.12s%s; %s.\n", str(meta, "git_commit"),
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(meta, "git_dirty")) ? " (dirty)" : "", str(meta, "date"));
    put(&t, "- Surrogate: %s. Times are medians of cold samples (caches flushed); speedups are over family `%s` "
            "measured in the same run.\n\n",
        str(cJSON_GetObjectItemCaseSensitive(set, "neuron"), "surrogate"), str(set, "reference_family"));

    put(&t, "| family | kernels | dir | T | N | B | block | median ms | steps/s (paper unit) | GB/s | %% of copy BW | hot %% of copy BW | samples | speedup |\n");
    put(&t, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    const cJSON *s;
    cJSON_ArrayForEach(s, states)
    {
        if (strcmp(str(s, "status"), "ok") != 0)
            continue;
        char speedup[32] = "-", hot[32] = "-"; /* not measured: no reference family in the run, --no-hot */
        if (!isnan(num(s, "metrics", "speedup")))
            snprintf(speedup, sizeof speedup, "%.2fx", num(s, "metrics", "speedup"));
        if (!isnan(num(s, "metrics", "hot_pct_copy_bw")))
            snprintf(hot, sizeof hot, "%.1f", num(s, "metrics", "hot_pct_copy_bw"));
        put(&t, "| %s | %s | %s | %.0f | %.0f | %.0f | %.0f | %.4g | %.2f | %.1f | %.1f | %s | %.0f | %s |\n",
            str(s, "family"), kernels(s, kb, sizeof kb), str(s, "direction"), num(s, "T", NULL), num(s, "N", NULL),
            num(s, "B", NULL), num(s, "block", NULL), 1e3 * num(s, "cold", "median_s"),
            num(s, "metrics", "paper_steps_per_s"), num(s, "metrics", "GBps"), num(s, "metrics", "pct_copy_bw"),
            hot, num(s, "cold", "samples_n"), speedup);
    }

    put(&t, "\n## Ratios of cold medians, measured in this run\n\n");
    put(&t, "| dir | T | N | B | block | step over eager | fused over step | fused over eager |\n");
    put(&t, "|---|---:|---:|---:|---:|---:|---:|---:|\n");
    cJSON_ArrayForEach(s, states)
    {
        /* one row per (direction, T, N, B, block): at the first family state of that key */
        if (strcmp(str(s, "status"), "ok") != 0 || peer(states, s, str(s, "family")) != s)
            continue;
        const cJSON *e = peer(states, s, "eager"), *p = peer(states, s, "step"), *f = peer(states, s, "fused");
        const cJSON *first = e ? e : p ? p : f;
        if (first != s || (!!e + !!p + !!f) < 2)
            continue;
        put(&t, "| %s | %.0f | %.0f | %.0f | %.0f |", str(s, "direction"), num(s, "T", NULL), num(s, "N", NULL),
            num(s, "B", NULL), num(s, "block", NULL));
        ratio(&t, p, e), ratio(&t, f, p), ratio(&t, f, e);
        put(&t, "\n");
    }

    int skipped = 0;
    cJSON_ArrayForEach(s, states)
    {
        if (strcmp(str(s, "status"), "ok") == 0)
            continue;
        if (!skipped++)
            put(&t, "\n## Not measured\n\n| state | status | reason |\n|---|---|---|\n");
        put(&t, "| `%s` | %s | %s |\n", str(s, "id"), str(s, "status"), str(s, "reason"));
    }
    return finish(&t, path);
}
