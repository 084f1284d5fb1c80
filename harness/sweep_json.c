/* The results file of a sweep (harness/SCHEMA.md): its meta, device, settings and states, written after
 * every state. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "build_info.h"
#include "json_util.h"
#include "spikefuse_core.h"
#include "sweep_private.h"

#define num sf_json_num
#define str sf_json_str

/* ---- results JSON -------------------------------------------------------------------------- */

/* Samples are written in whole nanoseconds: no timer here resolves finer (CUDA events about 0.5 us,
 * clock_gettime 1 ns), and the 17 digits of the raw doubles made a results file about 1.7 times as large. */
static cJSON *samples_json(const double *seconds, int64_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (int64_t i = 0; a && i < n; ++i)
        cJSON_AddItemToArray(a, cJSON_CreateNumber(round(seconds[i] * 1e9) / 1e9));
    return a;
}

cJSON *sweep_summary_json(const sf_mode *m, int with_samples)
{
    cJSON *j = cJSON_CreateObject();
    const sf_summary *s = &m->summary;
    cJSON_AddNumberToObject(j, "samples_n", (double)s->count);
    cJSON_AddNumberToObject(j, "dropped", (double)m->dropped);
    cJSON_AddStringToObject(j, "stop", sf_stop_reason_name(m->stop));
    cJSON_AddNumberToObject(j, "median_s", s->median);
    cJSON_AddNumberToObject(j, "min_s", s->min);
    cJSON_AddNumberToObject(j, "q1_s", s->q1);
    cJSON_AddNumberToObject(j, "q3_s", s->q3);
    cJSON_AddNumberToObject(j, "max_s", s->max);
    cJSON_AddNumberToObject(j, "mean_s", s->mean);
    cJSON_AddNumberToObject(j, "stdev_s", s->stdev);
    cJSON_AddNumberToObject(j, "rel_stdev", s->rel_stdev);
    cJSON *ci = cJSON_AddArrayToObject(j, "median_ci95_s");
    cJSON_AddItemToArray(ci, cJSON_CreateNumber(s->median_lo));
    cJSON_AddItemToArray(ci, cJSON_CreateNumber(s->median_hi));
    if (with_samples) {
        cJSON_AddItemToObject(j, "samples_s", samples_json(m->samples, m->n));
        if (m->clock_ghz)
            cJSON_AddItemToObject(j, "sm_clock_ghz", cJSON_CreateDoubleArray(m->clock_ghz, (int)m->n));
    }
    return j;
}

cJSON *sf_check_json(const sf_check_report *r)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "compared", (double)r->compared);
    cJSON_AddNumberToObject(j, "mismatches", (double)r->mismatches);
    cJSON_AddNumberToObject(j, "ambiguous", (double)r->ambiguous);
    cJSON_AddNumberToObject(j, "max_abs_err", r->max_abs_err);
    return j;
}

cJSON *sweep_state_json(const sweep_state *s)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", s->id);
    cJSON_AddStringToObject(j, "family", s->family);
    cJSON_AddStringToObject(j, "direction", s->direction);
    cJSON_AddStringToObject(j, "form", s->form);
    /* a forward state keeps what keep=recompute's forward keeps; h and vtrace share one forward */
    if (strcmp(s->direction, "fwd+bwd") == 0 || strcmp(s->keep, "recompute") == 0)
        cJSON_AddStringToObject(j, "keep", s->keep);
    cJSON_AddStringToObject(j, "dtype", s->dtype);
    cJSON_AddStringToObject(j, "spikes", s->spikes);
    cJSON *kernels = cJSON_AddArrayToObject(j, "kernels");
    if (s->fwd)
        cJSON_AddItemToArray(kernels, cJSON_CreateString(s->fwd->name));
    if (s->bwd)
        cJSON_AddItemToArray(kernels, cJSON_CreateString(s->bwd->name));
    cJSON *knobs = cJSON_AddObjectToObject(j, "knobs");
    cJSON_AddNumberToObject(knobs, "vec", s->fwd ? s->fwd->vec : s->vec);
    cJSON_AddNumberToObject(knobs, "npt", s->fwd ? s->fwd->npt : s->npt);
    cJSON_AddNumberToObject(knobs, "unroll", s->fwd ? s->fwd->unroll : s->unroll);
    cJSON_AddNumberToObject(knobs, "chunk", s->fwd ? s->fwd->chunk : s->chunk);
    cJSON_AddNumberToObject(knobs, "prefetch", s->fwd ? s->fwd->prefetch : s->prefetch);
    cJSON_AddNumberToObject(knobs, "stage", s->fwd ? s->fwd->stage : s->stage);
    cJSON_AddNumberToObject(j, "T", (double)s->T);
    cJSON_AddNumberToObject(j, "N", (double)s->N);
    cJSON_AddNumberToObject(j, "B", (double)s->B);
    cJSON_AddNumberToObject(j, "M", (double)s->M);
    cJSON_AddNumberToObject(j, "block_requested", s->block);
    if (s->tuned[0])
        cJSON_AddStringToObject(j, "tuned", s->tuned);
    return j;
}

/* Derived numbers of a measured state: per step, the paper's unit, bytes and bandwidth. */
void sweep_add_metrics(cJSON *j, const sweep_state *s, const sf_measurement *m, double copy_bw)
{
    const double bytes = sf_kernel_bytes(s->fwd, s->T, s->M) + (s->bwd ? sf_kernel_bytes(s->bwd, s->T, s->M) : 0);
    const double med = m->cold.summary.median;
    cJSON *x = cJSON_AddObjectToObject(j, "metrics");
    cJSON_AddNumberToObject(x, "bytes", bytes);
    cJSON_AddNumberToObject(x, "time_per_step_s", med / (double)s->T);
    /* the paper's Fig. 5 unit: time steps per second = T / (seconds of 1000 trials) */
    cJSON_AddNumberToObject(x, "paper_steps_per_s", (double)s->T / (1000.0 * med));
    cJSON_AddNumberToObject(x, "GBps", bytes / med / 1e9);
    cJSON_AddNumberToObject(x, "pct_copy_bw", 100.0 * bytes / med / copy_bw);
    if (m->graph.present) {
        cJSON_AddNumberToObject(x, "graph_GBps", bytes / m->graph.summary.median / 1e9);
        cJSON_AddNumberToObject(x, "graph_pct_copy_bw", 100.0 * bytes / m->graph.summary.median / copy_bw);
    }
    if (m->hot_per_trial > 0) {
        cJSON_AddNumberToObject(x, "hot_GBps", bytes / m->hot_per_trial / 1e9);
        cJSON_AddNumberToObject(x, "hot_pct_copy_bw", 100.0 * bytes / m->hot_per_trial / copy_bw);
    }
}


/* A state of the results tree being written, as the matcher sees it. */
static sf_problem problem_of_json(const cJSON *s)
{
    const sf_problem p = {str(s, "direction"), num(s, "T", NULL), num(s, "N", NULL), num(s, "B", NULL),
                          num(s, "block_requested", NULL)};
    return p;
}

/* Which run of a resumed file added a state (0: the first); a speedup compares states of one run. */
static int run_of(const cJSON *state)
{
    const cJSON *run = cJSON_GetObjectItemCaseSensitive(state, "run");
    return cJSON_IsNumber(run) ? run->valueint : 0;
}

/* Speedup of every measured state over the reference family's state of the same direction, T, N, B
 * and block, measured in this sweep (the reference's default kernel, else its first). The tree itself
 * gains the numbers, so this reads the tree rather than the model, through the one matcher. */
static void add_speedups(cJSON *root, const char *ref_family, sf_backend b)
{
    cJSON *states = cJSON_GetObjectItemCaseSensitive(root, "states"), *s, *r;
    cJSON_ArrayForEach(s, states)
    {
        cJSON *x = cJSON_GetObjectItemCaseSensitive(s, "metrics");
        /* computed once, from the medians as measured: a median read back from JSON can differ in its
         * last bit, and a resumed state must not change */
        if (!x || cJSON_GetObjectItemCaseSensitive(x, "speedup"))
            continue;
        /* the same requested block, except for the tuned family, whose block is the database's */
        const sf_match_rule rule = strcmp(str(s, "family"), SF_TUNED_FAMILY) != 0 ? SF_MATCH_LAUNCH : SF_MATCH_SHAPE;
        const sf_problem want = problem_of_json(s);
        const cJSON *best = NULL;
        cJSON_ArrayForEach(r, states)
        {
            const sf_problem have = problem_of_json(r);
            if (strcmp(str(r, "family"), ref_family) != 0 || strcmp(str(r, "status"), "ok") != 0 ||
                run_of(r) != run_of(s) || !sf_problem_matches(&have, &want, rule))
                continue;
            const cJSON *k = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "kernels"), 0);
            const sf_kernel *d =
                sf_kernel_default(ref_family, SF_FWD, str(r, "form")[0] ? str(r, "form") : NULL, b);
            if (!best || (k && d && strcmp(k->valuestring, d->name) == 0))
                best = r;
        }
        if (!best)
            continue;
        cJSON_AddNumberToObject(x, "speedup", num(best, "cold", "median_s") / num(s, "cold", "median_s"));
        cJSON_AddStringToObject(x, "speedup_over", str(best, "id"));
    }
}

cJSON *sf_meta_json(int argc, char **argv)
{
    char date[32];
    cJSON *meta = cJSON_CreateObject();
    cJSON *args = cJSON_AddArrayToObject(meta, "argv");
    for (int i = 0; i < argc; ++i)
        cJSON_AddItemToArray(args, cJSON_CreateString(argv[i]));
    cJSON_AddStringToObject(meta, "spikefuse_version", SPIKEFUSE_VERSION);
    cJSON_AddStringToObject(meta, "git_commit", SF_GIT_COMMIT);
    cJSON_AddBoolToObject(meta, "git_dirty", SF_GIT_DIRTY);
    cJSON_AddStringToObject(meta, "compiler", SF_C_COMPILER);
    cJSON_AddStringToObject(meta, "c_flags", SF_C_FLAGS);
    cJSON_AddStringToObject(meta, "cuda_compiler", SF_CUDA_COMPILER);
    cJSON_AddStringToObject(meta, "cuda_architectures", SF_CUDA_ARCHITECTURES);
    cJSON_AddStringToObject(meta, "date", sf_utc_now(date, sizeof date));
    return meta;
}

cJSON *sweep_new_root(const sf_sweep_config *c, const sf_device_info *dev, double copy_bw)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", SF_SWEEP_SCHEMA);
    cJSON_AddNumberToObject(root, "schema_version", SF_SWEEP_SCHEMA_VERSION);
    cJSON *meta = sf_meta_json(c->argc, c->argv);
    cJSON_AddItemToObject(root, "meta", meta);
    if (c->preset)
        cJSON_AddStringToObject(meta, "preset", c->preset);
    cJSON *devs = cJSON_AddArrayToObject(root, "devices");
    cJSON *d = sf_device_to_json(dev);
    cJSON_AddNumberToObject(d, "copy_bandwidth_Bps", copy_bw);
    cJSON_AddItemToArray(devs, d);
    cJSON *set = cJSON_AddObjectToObject(root, "settings");
    cJSON_AddStringToObject(set, "backend", sf_backend_name(c->backend));
    cJSON_AddStringToObject(set, "reference_family", c->reference_family);
    cJSON *p = cJSON_AddObjectToObject(set, "neuron");
    cJSON_AddNumberToObject(p, "decay", c->params.decay);
    cJSON_AddNumberToObject(p, "threshold", c->params.threshold);
    cJSON_AddNumberToObject(p, "rest", c->params.rest);
    cJSON_AddStringToObject(p, "surrogate", sf_surrogate_name(c->params.surrogate));
    cJSON_AddNumberToObject(p, "width", c->params.width);
    cJSON_AddNumberToObject(p, "alpha", c->params.alpha);
    cJSON *r = cJSON_AddObjectToObject(set, "stop_rule");
    cJSON_AddNumberToObject(r, "min_samples", c->measure.rule.min_samples);
    cJSON_AddNumberToObject(r, "min_time_s", c->measure.rule.min_time);
    cJSON_AddNumberToObject(r, "max_noise", c->measure.rule.max_noise);
    cJSON_AddNumberToObject(r, "noise_estimates", c->measure.rule.noise_estimates);
    cJSON_AddNumberToObject(r, "noise_settle", c->measure.rule.noise_settle);
    cJSON_AddNumberToObject(r, "max_samples", (double)c->measure.rule.max_samples);
    cJSON_AddNumberToObject(r, "timeout_s", c->measure.rule.timeout);
    cJSON_AddNumberToObject(set, "warmup_trials", c->measure.warmup);
    cJSON_AddNumberToObject(set, "hot_time_s", c->measure.hot ? c->measure.hot_time : 0);
    cJSON_AddNumberToObject(set, "min_clock_fraction", c->measure.min_clock_fraction);
    cJSON_AddBoolToObject(set, "verify", c->verify);
    cJSON_AddArrayToObject(root, "states");
    return root;
}

sf_status sweep_write_all(cJSON *root, const sf_sweep_config *c)
{
    add_speedups(root, c->reference_family, c->backend);
    char *text = cJSON_Print(root);
    if (!text)
        return sf_fail(SF_ERR_NOMEM, "cannot format the results JSON");
    sf_status s = sf_write_atomic(c->out_json, text);
    cJSON_free(text);
    if (s != SF_OK || (!c->out_csv && !c->out_md))
        return s;
    sf_results r; /* the views read the model, taken from the tree as measured (no JSON round trip) */
    if ((s = sf_results_from_json(root, c->out_json, &r)) != SF_OK)
        return s;
    if (c->out_csv)
        s = sf_results_write_csv(&r, c->out_csv);
    if (s == SF_OK && c->out_md)
        s = sf_results_write_md(&r, c->out_md);
    sf_results_free(&r);
    return s;
}


void sweep_add_storage_cost(cJSON *j, const sweep_state *s, const sf_lif_params *p)
{
    if (!s->fwd || s->fwd->storage == SF_STORAGE_F32)
        return;
    const int64_t budget = (int64_t)1 << 21, M = s->M < budget / s->T ? s->M : (budget / s->T > 0 ? budget / s->T : 1);
    sf_storage_cost cost;
    if (sf_storage_cost_of(s->fwd->storage, s->T, M, p, 1, &cost) != SF_OK)
        return; /* a cost that cannot be evaluated here is left out, not guessed */
    cJSON *c = cJSON_AddObjectToObject(j, "storage_cost");
    cJSON_AddNumberToObject(c, "neurons", (double)M);
    cJSON_AddNumberToObject(c, "spike_flip_rate", cost.spike_flip_rate);
    cJSON_AddNumberToObject(c, "grad_x_rel_err", cost.grad_x_rel_err);
    cJSON_AddNumberToObject(c, "grad_x_max_err", cost.grad_x_max_err);
}
