/* Results files read into the typed model (results_model.h), and the one "same problem" matcher. */
#include "results_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spikefuse_core.h"
#include "sweep.h"

const char *sf_state_status_name(sf_state_status s)
{
    static const char *names[] = {"ok", "skipped", "failed", "profiled"};
    return s >= SF_STATE_OK && s <= SF_STATE_PROFILED ? names[s] : "?";
}

/* ---- reading fields, with the first wrong one remembered ---------------------------------------- */

typedef struct field_reader {
    sf_results *out;
    const char *path;
    char where[400]; /* "state <id>", "meta", ...: where the fields being read are ("": the top level) */
    sf_status status;
} field_reader;

static void *keep(field_reader *fr, void *p)
{
    sf_results *r = fr->out;
    if (p && r->n_owned == r->cap_owned) {
        const int cap = r->cap_owned ? 2 * r->cap_owned : 64;
        void **grown = realloc(r->owned, (size_t)cap * sizeof *grown);
        if (!grown) {
            free(p);
            p = NULL;
        } else {
            r->owned = grown, r->cap_owned = cap;
        }
    }
    if (!p) {
        if (fr->status == SF_OK)
            fr->status = sf_fail(SF_ERR_NOMEM, "%s: no memory for the results", fr->path);
        return NULL;
    }
    r->owned[r->n_owned++] = p;
    return p;
}

static void wrong(field_reader *fr, const char *a, const char *b, const char *expected)
{
    if (fr->status == SF_OK) /* the first is the one to fix */
        fr->status = sf_fail(SF_ERR_IO, "%s: %s%s\"%s%s%s\" is not %s", fr->path, fr->where, fr->where[0] ? ": " : "", a,
                             b ? "." : "", b ? b : "", expected);
}

/* o[a], or o[a][b]; NULL when absent or null. */
static const cJSON *item(field_reader *fr, const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b && x && !cJSON_IsNull(x)) {
        if (!cJSON_IsObject(x)) {
            wrong(fr, a, NULL, "an object");
            return NULL;
        }
        x = cJSON_GetObjectItemCaseSensitive(x, b);
    }
    return x && !cJSON_IsNull(x) ? x : NULL;
}

static double num(field_reader *fr, const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = item(fr, o, a, b);
    if (x && !cJSON_IsNumber(x))
        wrong(fr, a, b, "a number");
    return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

static const char *text_of(field_reader *fr, const cJSON *x)
{
    const char *s = keep(fr, strdup(x->valuestring));
    return s ? s : "";
}

static const char *str(field_reader *fr, const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = item(fr, o, a, b);
    if (x && !cJSON_IsString(x))
        wrong(fr, a, b, "a string");
    return cJSON_IsString(x) ? text_of(fr, x) : "";
}

static int flag(field_reader *fr, const cJSON *o, const char *a)
{
    const cJSON *x = item(fr, o, a, NULL);
    if (x && !cJSON_IsBool(x))
        wrong(fr, a, NULL, "true or false");
    return cJSON_IsTrue(x);
}

/* o[a] as an array of strings (empty when absent). */
static const char **strings(field_reader *fr, const cJSON *o, const char *a, int *n)
{
    const cJSON *x = item(fr, o, a, NULL), *e;
    *n = 0;
    if (x && !cJSON_IsArray(x))
        wrong(fr, a, NULL, "an array of strings");
    const int size = cJSON_IsArray(x) ? cJSON_GetArraySize(x) : 0;
    const char **v = keep(fr, malloc((size_t)(size > 0 ? size : 1) * sizeof *v));
    if (!v || !cJSON_IsArray(x))
        return v;
    cJSON_ArrayForEach(e, x)
    {
        if (!cJSON_IsString(e)) {
            wrong(fr, a, NULL, "an array of strings");
            return v;
        }
        v[(*n)++] = text_of(fr, e);
    }
    return v;
}

/* ---- the parts of a file ---------------------------------------------------------------------- */

static sf_result_timing timing(field_reader *fr, const cJSON *st, const char *mode)
{
    sf_result_timing t = {
        num(fr, st, mode, "median_s"), num(fr, st, mode, "min_s"),     num(fr, st, mode, "q1_s"),
        num(fr, st, mode, "q3_s"),     num(fr, st, mode, "mean_s"),    num(fr, st, mode, "stdev_s"),
        num(fr, st, mode, "samples_n"), num(fr, st, mode, "dropped"), NULL, 0};
    const cJSON *a = item(fr, st, mode, "samples_s"), *x;
    if (!a)
        return t;
    /* compare tests on these: a damaged sample must be an error, not a number */
    double *v = cJSON_IsArray(a) ? keep(fr, malloc((size_t)(cJSON_GetArraySize(a) + 1) * sizeof *v)) : NULL;
    if (!v) {
        wrong(fr, mode, "samples_s", "an array of numbers");
        return t;
    }
    cJSON_ArrayForEach(x, a)
    {
        if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble)) {
            wrong(fr, mode, "samples_s", "an array of numbers");
            return t;
        }
        v[t.n_samples++] = x->valuedouble;
    }
    t.samples_s = v;
    return t;
}

static sf_state_status status_of(field_reader *fr, const char *name)
{
    for (int s = SF_STATE_OK; s <= SF_STATE_PROFILED; ++s)
        if (strcmp(name, sf_state_status_name((sf_state_status)s)) == 0)
            return (sf_state_status)s;
    wrong(fr, "status", NULL, "ok, skipped, failed or profiled");
    return SF_STATE_FAILED;
}

static void read_state(field_reader *fr, const cJSON *st, sf_result_state *s)
{
    s->id = str(fr, st, "id", NULL);
    snprintf(fr->where, sizeof fr->where, "state %s", s->id);
    s->status = status_of(fr, str(fr, st, "status", NULL));
    s->family = str(fr, st, "family", NULL), s->direction = str(fr, st, "direction", NULL);
    s->form = str(fr, st, "form", NULL), s->reason = str(fr, st, "reason", NULL);
    s->keep = str(fr, st, "keep", NULL), s->spikes = str(fr, st, "spikes", NULL);
    if (!*s->keep && strcmp(s->direction, "fwd+bwd") == 0)
        s->keep = "vtrace";
    if (!*s->spikes)
        s->spikes = "f32";
    s->dtype = str(fr, st, "dtype", NULL);
    if (!*s->dtype)
        s->dtype = "f32";
    s->kernels = strings(fr, st, "kernels", &s->n_kernels);
    s->T = num(fr, st, "T", NULL), s->N = num(fr, st, "N", NULL), s->B = num(fr, st, "B", NULL);
    s->M = num(fr, st, "M", NULL), s->block_requested = num(fr, st, "block_requested", NULL);
    s->block = num(fr, st, "block", NULL), s->grid = num(fr, st, "grid", NULL);
    s->cold = timing(fr, st, "cold"), s->graph = timing(fr, st, "graph");
    s->hot_per_trial_s = num(fr, st, "hot", "per_trial_s");
    sf_result_metrics *m = &s->metrics;
    m->bytes = num(fr, st, "metrics", "bytes"), m->time_per_step_s = num(fr, st, "metrics", "time_per_step_s");
    m->paper_steps_per_s = num(fr, st, "metrics", "paper_steps_per_s"), m->GBps = num(fr, st, "metrics", "GBps");
    m->pct_copy_bw = num(fr, st, "metrics", "pct_copy_bw");
    m->hot_pct_copy_bw = num(fr, st, "metrics", "hot_pct_copy_bw");
    m->speedup = num(fr, st, "metrics", "speedup");
    m->bytes_per_neuron_step = num(fr, st, "metrics", "bytes_per_neuron_step");
    sf_result_storage_cost *c = &s->storage_cost;
    c->spike_flip_rate = num(fr, st, "storage_cost", "spike_flip_rate");
    c->grad_x_rel_err = num(fr, st, "storage_cost", "grad_x_rel_err");
    c->grad_x_max_err = num(fr, st, "storage_cost", "grad_x_max_err");
    s->peer_implementation = item(fr, st, "peer", NULL) ? str(fr, st, "peer", "implementation") : NULL;
    const double run = num(fr, st, "run", NULL);
    s->run = isnan(run) ? 0 : (int)run;
}

static void read_head(field_reader *fr, const cJSON *root, sf_results *r)
{
    const cJSON *dev = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "devices"), 0);
    if (!cJSON_IsObject(dev))
        wrong(fr, "devices", NULL, "an array of objects");
    snprintf(fr->where, sizeof fr->where, "devices[0]");
    r->device.name = str(fr, dev, "name", NULL), r->device.backend = str(fr, dev, "backend", NULL);
    r->device.key = str(fr, dev, "key", NULL);
    r->device.copy_bandwidth_Bps = num(fr, dev, "copy_bandwidth_Bps", NULL);
    fr->where[0] = '\0';
    const cJSON *meta = item(fr, root, "meta", NULL), *set = item(fr, root, "settings", NULL);
    if ((meta && !cJSON_IsObject(meta)) || (set && !cJSON_IsObject(set)))
        wrong(fr, meta && !cJSON_IsObject(meta) ? "meta" : "settings", NULL, "an object");
    snprintf(fr->where, sizeof fr->where, "meta");
    r->meta.argv = strings(fr, meta, "argv", &r->meta.argc);
    r->meta.git_commit = str(fr, meta, "git_commit", NULL), r->meta.date = str(fr, meta, "date", NULL);
    r->meta.preset = str(fr, meta, "preset", NULL), r->meta.git_dirty = flag(fr, meta, "git_dirty");
    snprintf(fr->where, sizeof fr->where, "settings");
    r->settings.reference_family = str(fr, set, "reference_family", NULL);
    r->settings.surrogate = str(fr, set, "neuron", "surrogate");
}

sf_status sf_results_from_json(const cJSON *root, const char *path, sf_results *out)
{
    memset(out, 0, sizeof *out);
    field_reader fr = {.out = out, .path = path, .status = SF_OK};
    read_head(&fr, root, out);
    const cJSON *states = cJSON_GetObjectItemCaseSensitive(root, "states"), *st;
    const int n = cJSON_GetArraySize(states);
    out->states = keep(&fr, calloc((size_t)(n > 0 ? n : 1), sizeof *out->states));
    if (out->states)
        cJSON_ArrayForEach(st, states)
        {
            if (fr.status != SF_OK)
                break;
            read_state(&fr, st, &out->states[out->n_states++]);
        }
    if (fr.status != SF_OK)
        sf_results_free(out);
    return fr.status;
}

sf_status sf_results_load(const char *path, sf_results *out)
{
    cJSON *root = NULL;
    memset(out, 0, sizeof *out);
    sf_status s = sf_results_read(path, &root); /* the schema, devices, states, ids and statuses */
    if (s == SF_OK)
        s = sf_results_from_json(root, path, out);
    cJSON_Delete(root);
    return s;
}

void sf_results_free(sf_results *r)
{
    for (int i = 0; i < r->n_owned; ++i)
        free(r->owned[i]);
    free(r->owned);
    memset(r, 0, sizeof *r);
}

const sf_result_state *sf_results_by_id(const sf_results *r, const char *id)
{
    for (int i = 0; i < r->n_states; ++i)
        if (strcmp(r->states[i].id, id) == 0)
            return &r->states[i];
    return NULL;
}

/* ---- the same problem --------------------------------------------------------------------------- */

sf_problem sf_problem_of(const sf_result_state *s)
{
    const sf_problem p = {s->direction, s->T, s->N, s->B, s->block_requested};
    return p;
}

int sf_problem_matches(const sf_problem *a, const sf_problem *b, sf_match_rule rule)
{
    if (strcmp(a->direction, b->direction) != 0 || a->T != b->T)
        return 0;
    if (rule == SF_MATCH_DIRECTION_T)
        return 1;
    if (a->N != b->N || a->B != b->B)
        return 0;
    return rule == SF_MATCH_SHAPE || a->block_requested == b->block_requested;
}

const sf_result_state *sf_results_find(const sf_results *r, const char *family, const sf_problem *p,
                                       sf_match_rule rule)
{
    for (int i = 0; i < r->n_states; ++i) {
        const sf_result_state *s = &r->states[i];
        if (s->status != SF_STATE_OK || strcmp(s->family, family) != 0)
            continue;
        const sf_problem q = sf_problem_of(s);
        if (sf_problem_matches(&q, p, rule))
            return s;
    }
    return NULL;
}

int sf_results_values(const sf_results *r, sf_problem_axis axis, int ok_only, double *out, int max)
{
    int n = 0;
    for (int k = 0; k < r->n_states; ++k) {
        const sf_result_state *s = &r->states[k];
        const double v = axis == SF_AXIS_T ? s->T : axis == SF_AXIS_N ? s->N : s->B;
        int i = 0;
        while (i < n && out[i] < v)
            ++i;
        if ((ok_only && s->status != SF_STATE_OK) || isnan(v) || (i < n && out[i] == v) || n == max)
            continue;
        memmove(out + i + 1, out + i, (size_t)(n - i) * sizeof *out);
        out[i] = v, ++n;
    }
    return n;
}

double sf_results_speedup(const sf_result_state *base, const sf_result_state *s)
{
    if (!base || !s || base->run != s->run)
        return NAN;
    return base->cold.median_s / s->cold.median_s;
}
