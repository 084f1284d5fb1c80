/* The sweep driver: axes -> states -> verified, measured, written after every state. */
#include "sweep.h"

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
#include "spikefuse_core.h"
#include "json_util.h"
#include "spikefuse_tuning.h"

#ifndef SF_SOURCE_DIR
#define SF_SOURCE_DIR "."
#endif

/* ---- configuration ------------------------------------------------------------------------- */

void sf_sweep_config_init(sf_sweep_config *c)
{
    memset(c, 0, sizeof *c);
    c->backend = SF_BACKEND_CPU;
    c->reference_family = "eager";
    c->params = sf_lif_defaults();
    c->measure = sf_measure_config_default();
    c->verify = 1;
}

void sf_sweep_config_free(sf_sweep_config *c)
{
    for (int i = 0; i < c->n_axes; ++i)
        sf_axis_free(&c->axes[i]);
    c->n_axes = 0;
}

int sf_sweep_add_axis(sf_sweep_config *c, const char *spec, char *err, size_t errlen)
{
    sf_axis a;
    if (sf_axis_parse(spec, &a, err, errlen) != 0)
        return -1;
    for (int i = 0; i < c->n_axes; ++i)
        if (strcmp(c->axes[i].name, a.name) == 0) {
            sf_axis_free(&c->axes[i]);
            c->axes[i] = a;
            return 0;
        }
    if (c->n_axes == SF_SWEEP_MAX_AXES) {
        sf_axis_free(&a);
        snprintf(err, errlen, "too many axes");
        return -1;
    }
    c->axes[c->n_axes++] = a;
    return 0;
}

static const sf_axis *axis(const sf_sweep_config *c, const char *name)
{
    for (int i = 0; i < c->n_axes; ++i)
        if (strcmp(c->axes[i].name, name) == 0)
            return &c->axes[i];
    return NULL;
}

/* Where presets are looked up by name, in order: a preset in $SPIKEFUSE_PRESETS hides one of its name
 * in the source tree's. Returns how many of the two folders there are. */
static int preset_dirs(const char *dirs[2])
{
    int n = 0;
    if (getenv("SPIKEFUSE_PRESETS") && *getenv("SPIKEFUSE_PRESETS"))
        dirs[n++] = getenv("SPIKEFUSE_PRESETS");
    dirs[n++] = SF_SOURCE_DIR "/harness/presets";
    return n;
}

static int json_file(const struct dirent *e)
{
    const size_t n = strlen(e->d_name);
    return e->d_name[0] != '.' && n > 5 && strcmp(e->d_name + n - 5, ".json") == 0;
}

sf_status sf_sweep_list_presets(FILE *out, int with_descriptions)
{
    const char *dirs[2];
    const int n_dirs = preset_dirs(dirs);
    int listed = 0;
    for (int d = 0; d < n_dirs; ++d) {
        struct dirent **files = NULL;
        const int n = scandir(dirs[d], &files, json_file, alphasort);
        for (int i = 0; i < n; ++i) {
            char name[256], path[4400];
            snprintf(name, sizeof name, "%.*s", (int)(strlen(files[i]->d_name) - 5), files[i]->d_name);
            int hidden = 0; /* by a preset of that name in an earlier folder, as the lookup finds it first */
            for (int e = 0; e < d && !hidden; ++e) {
                snprintf(path, sizeof path, "%s/%s", dirs[e], files[i]->d_name);
                hidden = access(path, R_OK) == 0;
            }
            if (!hidden) {
                if (with_descriptions) {
                    cJSON *root = NULL;
                    snprintf(path, sizeof path, "%s/%s", dirs[d], files[i]->d_name);
                    const char *what = sf_json_read_file(path, &root) == SF_OK ? sf_json_str(root, "description")
                                                                                 : "(not readable JSON)";
                    fprintf(out, "%-12s %s\n", name, *what ? what : "(no description)");
                    cJSON_Delete(root);
                } else {
                    fprintf(out, "%s%s", listed ? ", " : "", name);
                }
                ++listed;
            }
            free(files[i]);
        }
        free(files);
    }
    return SF_OK;
}

sf_status sf_sweep_load_preset(sf_sweep_config *c, const char *name)
{
    char path[4096];
    int found = 0;
    if (strchr(name, '/') || strstr(name, ".json")) {
        snprintf(path, sizeof path, "%s", name);
        found = access(path, R_OK) == 0;
    } else {
        const char *dirs[2];
        const int n_dirs = preset_dirs(dirs);
        for (int i = 0; i < n_dirs && !found; ++i) {
            snprintf(path, sizeof path, "%s/%s.json", dirs[i], name);
            found = access(path, R_OK) == 0;
        }
    }
    if (!found)
        return sf_fail(SF_ERR_INVALID, "unknown preset '%s' (looked for %s)", name, path);
    cJSON *root = NULL;
    if (sf_json_read_file(path, &root) != SF_OK)
        return SF_ERR_IO; /* the reader said where the file stops being JSON */
    const cJSON *axes = cJSON_GetObjectItemCaseSensitive(root, "axes");
    if (!cJSON_IsArray(axes)) {
        cJSON_Delete(root);
        return sf_fail(SF_ERR_IO, "%s: not a preset (a JSON object with an \"axes\" array of strings)", path);
    }
    sf_status s = SF_OK;
    const cJSON *a;
    cJSON_ArrayForEach(a, axes)
    {
        char err[256];
        if (!cJSON_IsString(a)) {
            s = sf_fail(SF_ERR_IO, "%s: axes must be strings like \"T=[8:128:pow2]\"", path);
            break;
        }
        if (sf_sweep_add_axis(c, a->valuestring, err, sizeof err) != 0) {
            s = sf_fail(SF_ERR_IO, "%s: %s", path, err);
            break;
        }
    }
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(root, "reference_family");
    static char ref_buf[64], name_buf[64];
    if (s == SF_OK && cJSON_IsString(ref)) {
        snprintf(ref_buf, sizeof ref_buf, "%s", ref->valuestring);
        c->reference_family = ref_buf;
    }
    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(root, "name");
    snprintf(name_buf, sizeof name_buf, "%s", cJSON_IsString(nm) ? nm->valuestring : name);
    c->preset = name_buf;
    cJSON_Delete(root);
    return s;
}

/* Names in string axes must exist: a typo is an error, not a sweep of skipped states. */
static sf_status validate(const sf_sweep_config *c)
{
    const sf_axis *fam = axis(c, "family"), *dir = axis(c, "direction"), *form = axis(c, "form");
    for (int i = 0; fam && i < fam->count; ++i)
        if (strcmp(fam->strings[i], SF_TUNED_FAMILY) != 0 && !sf_kernel_default(fam->strings[i], SF_FWD, NULL, c->backend))
            return sf_fail(SF_ERR_INVALID, "unknown family '%s' (spikefuse list shows them)", fam->strings[i]);
    for (int i = 0; dir && i < dir->count; ++i)
        if (strcmp(dir->strings[i], "fwd") != 0 && strcmp(dir->strings[i], "fwd+bwd") != 0)
            return sf_fail(SF_ERR_INVALID, "unknown direction '%s' (fwd, fwd+bwd)", dir->strings[i]);
    for (int i = 0; form && i < form->count; ++i)
        if (strcmp(form->strings[i], "train") && strcmp(form->strings[i], "infer") && strcmp(form->strings[i], "segment"))
            return sf_fail(SF_ERR_INVALID, "unknown form '%s' (train, infer, segment)", form->strings[i]);
    if (!sf_kernel_default(c->reference_family, SF_FWD, NULL, c->backend))
        return sf_fail(SF_ERR_INVALID, "unknown reference family '%s'", c->reference_family);
    return SF_OK;
}

/* ---- states -------------------------------------------------------------------------------- */

typedef struct state {
    char id[320];
    char family[64], direction[16], form[32];
    const sf_kernel *fwd, *bwd;
    int64_t T, N, B, M;
    int block, block_bwd, vec, npt, unroll;
    char tuned[96]; /* fused-tuned: the lookup levels that answered */
    char skip[256]; /* non-empty: why this state is not measured */
} state;

/* Values of an axis, or its one default when the axis is not given. */
typedef struct values {
    int count;
    const int64_t *ints;
    char *const *strings;
    int64_t dflt_int;
    const char *dflt_string;
} values;

static values values_of(const sf_sweep_config *c, const char *name, int64_t dflt_int, const char *dflt_string)
{
    values v = {1, NULL, NULL, dflt_int, dflt_string};
    const sf_axis *a = axis(c, name);
    if (a)
        v.count = a->count, v.ints = a->ints, v.strings = a->strings;
    return v;
}

static int64_t ival(const values *v, int i) { return v->ints ? v->ints[i] : v->dflt_int; }
static const char *sval(const values *v, int i) { return v->strings ? v->strings[i] : v->dflt_string; }

/* The registered kernel of (family, direction, form) with the given knobs (0 = any: take the default). */
static const sf_kernel *find_kernel(sf_backend b, const char *family, sf_direction d, const char *form, int vec,
                                    int npt, int unroll)
{
    if (!vec && !npt && !unroll)
        return sf_kernel_default(family, d, form, b);
    for (int i = 0; i < sf_kernel_count(); ++i) {
        const sf_kernel *k = sf_kernel_at(i);
        if (strcmp(k->family, family) == 0 && k->direction == d && strcmp(k->form, form) == 0 &&
            (!vec || k->vec == vec) && (!npt || k->npt == npt) && (!unroll || k->unroll == unroll))
            return k;
    }
    return NULL;
}

static void describe(state *s)
{
    snprintf(s->id, sizeof s->id, "%s|%s|%s|T=%lld|N=%lld|B=%lld|block=%d", s->family, s->direction,
             s->fwd ? s->fwd->name : "-", (long long)s->T, (long long)s->N, (long long)s->B, s->block);
}

/* fused-tuned: the fused kernels and blocks the tuning database gives for this device and problem. */
static void look_up_tuned(const sf_sweep_config *c, const sf_tuning_db *db, state *s)
{
    sf_tuned f, b;
    int64_t M;
    if (!sf_mul_ok(s->N, s->B, &M) ||
        sf_tuning_lookup(db, c->backend, NULL, NULL, "fused", SF_FWD, s->form, "f32", s->T, M, &f) != SF_OK)
        return;
    s->fwd = f.kernel, s->block = f.launch.block;
    snprintf(s->tuned, sizeof s->tuned, "fwd %s", sf_lookup_level_name(f.level));
    if (strcmp(s->direction, "fwd+bwd") == 0 &&
        sf_tuning_lookup(db, c->backend, NULL, NULL, "fused", SF_BWD, "grad", "f32", s->T, M, &b) == SF_OK) {
        s->bwd = b.kernel, s->block_bwd = b.launch.block;
        snprintf(s->tuned + strlen(s->tuned), sizeof s->tuned - strlen(s->tuned), ", bwd %s",
                 sf_lookup_level_name(b.level));
    }
}

/* Why a state cannot be measured here, or "" if it can. */
static void check_state(const sf_sweep_config *c, state *s, double mem_limit)
{
    const int both = strcmp(s->direction, "fwd+bwd") == 0;
    int64_t tm;
    if (!s->fwd || (both && !s->bwd))
        snprintf(s->skip, sizeof s->skip,
                 "no registered %s kernel of family '%s', form %s with vec=%d npt=%d unroll=%d (0 = default)",
                 !s->fwd ? "forward" : "backward", s->family, s->form, s->vec, s->npt, s->unroll);
    else if (both && !(s->fwd->tensors_out & SF_TENSOR_V))
        snprintf(s->skip, sizeof s->skip, "form %s keeps no v trace for a backward pass", s->form);
    else if (!sf_mul_ok(s->N, s->B, &s->M) || !sf_mul_ok(s->T, s->M, &tm))
        snprintf(s->skip, sizeof s->skip, "T x N x B overflows");
    else if (c->backend == SF_BACKEND_CUDA && s->block > 1024)
        snprintf(s->skip, sizeof s->skip, "block of %d threads exceeds the GPU's 1024", s->block);
    else if (sf_trial_bytes(s->fwd, s->bwd, s->T, s->M, 1) > mem_limit)
        snprintf(s->skip, sizeof s->skip, "needs %.2f GiB, more than the %.2f GiB available",
                 sf_trial_bytes(s->fwd, s->bwd, s->T, s->M, 1) / 1073741824.0, mem_limit / 1073741824.0);
}

/* The cartesian product of the axes, the last axis (T) fastest, so that a family's T series is
 * contiguous: an odometer over the axes' value indices. */
enum { AX_DIRECTION, AX_FAMILY, AX_FORM, AX_VEC, AX_NPT, AX_UNROLL, AX_BLOCK, AX_B, AX_N, AX_T, AX_COUNT };

static state *enumerate(const sf_sweep_config *c, const sf_tuning_db *db, int64_t *count, double mem_limit)
{
    static const int64_t paper_T[] = {8, 16, 32, 64, 128};
    values v[AX_COUNT] = {
        values_of(c, "direction", 0, "fwd"), values_of(c, "family", 0, "fused"), values_of(c, "form", 0, "train"),
        values_of(c, "vec", 0, NULL),        values_of(c, "npt", 0, NULL),       values_of(c, "unroll", 0, NULL),
        values_of(c, "block", 0, NULL),      values_of(c, "B", 1, NULL),         values_of(c, "N", 1000000, NULL),
        values_of(c, "T", 0, NULL),
    };
    if (!axis(c, "T"))
        v[AX_T].count = 5, v[AX_T].ints = paper_T;
    int64_t total = 1;
    for (int a = 0; a < AX_COUNT; ++a)
        total *= v[a].count;
    state *out = calloc((size_t)total, sizeof *out);
    int at[AX_COUNT] = {0};
    for (int64_t n = 0; out && n < total; ++n) {
        state *s = &out[n];
        snprintf(s->direction, sizeof s->direction, "%s", sval(&v[AX_DIRECTION], at[AX_DIRECTION]));
        snprintf(s->family, sizeof s->family, "%s", sval(&v[AX_FAMILY], at[AX_FAMILY]));
        snprintf(s->form, sizeof s->form, "%s", sval(&v[AX_FORM], at[AX_FORM]));
        s->vec = (int)ival(&v[AX_VEC], at[AX_VEC]);
        s->npt = (int)ival(&v[AX_NPT], at[AX_NPT]);
        s->unroll = (int)ival(&v[AX_UNROLL], at[AX_UNROLL]);
        s->block = (int)ival(&v[AX_BLOCK], at[AX_BLOCK]);
        s->B = ival(&v[AX_B], at[AX_B]);
        s->N = ival(&v[AX_N], at[AX_N]);
        s->T = ival(&v[AX_T], at[AX_T]);
        s->block_bwd = s->block;
        if (strcmp(s->family, SF_TUNED_FAMILY) == 0) {
            look_up_tuned(c, db, s);
        } else {
            s->fwd = find_kernel(c->backend, s->family, SF_FWD, s->form, s->vec, s->npt, s->unroll);
            if (strcmp(s->direction, "fwd+bwd") == 0)
                s->bwd = find_kernel(c->backend, s->family, SF_BWD, "grad", s->vec, s->npt, s->unroll);
        }
        describe(s);
        check_state(c, s, mem_limit);
        for (int a = AX_COUNT - 1; a >= 0 && ++at[a] == v[a].count; --a)
            at[a] = 0;
    }
    *count = total;
    return out;
}

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

static cJSON *summary_json(const sf_mode *m, int with_samples)
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

static cJSON *check_json(const sf_check_report *r)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "compared", (double)r->compared);
    cJSON_AddNumberToObject(j, "mismatches", (double)r->mismatches);
    cJSON_AddNumberToObject(j, "ambiguous", (double)r->ambiguous);
    cJSON_AddNumberToObject(j, "max_abs_err", r->max_abs_err);
    return j;
}

static cJSON *state_json(const state *s)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", s->id);
    cJSON_AddStringToObject(j, "family", s->family);
    cJSON_AddStringToObject(j, "direction", s->direction);
    cJSON_AddStringToObject(j, "form", s->form);
    cJSON *kernels = cJSON_AddArrayToObject(j, "kernels");
    if (s->fwd)
        cJSON_AddItemToArray(kernels, cJSON_CreateString(s->fwd->name));
    if (s->bwd)
        cJSON_AddItemToArray(kernels, cJSON_CreateString(s->bwd->name));
    cJSON *knobs = cJSON_AddObjectToObject(j, "knobs");
    cJSON_AddNumberToObject(knobs, "vec", s->fwd ? s->fwd->vec : s->vec);
    cJSON_AddNumberToObject(knobs, "npt", s->fwd ? s->fwd->npt : s->npt);
    cJSON_AddNumberToObject(knobs, "unroll", s->fwd ? s->fwd->unroll : s->unroll);
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
static void add_metrics(cJSON *j, const state *s, const sf_measurement *m, double copy_bw)
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

#define num sf_json_num
#define str sf_json_str

/* Speedup of every measured state over the reference family's state of the same direction, T, N, B
 * and block, measured in this sweep (the reference's default kernel, else its first). */
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
        const cJSON *best = NULL;
        cJSON_ArrayForEach(r, states)
        {
            if (strcmp(str(r, "family"), ref_family) != 0 || strcmp(str(r, "status"), "ok") != 0 ||
                !sf_same_problem(r, s))
                continue;
            /* the same requested block, except for the tuned family, whose block is the database's */
            if (strcmp(str(s, "family"), SF_TUNED_FAMILY) != 0 &&
                num(r, "block_requested", NULL) != num(s, "block_requested", NULL))
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

static cJSON *new_root(const sf_sweep_config *c, const sf_device_info *dev, double copy_bw)
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

static sf_status write_all(cJSON *root, const sf_sweep_config *c)
{
    add_speedups(root, c->reference_family, c->backend);
    char *text = cJSON_Print(root);
    if (!text)
        return sf_fail(SF_ERR_NOMEM, "cannot format the results JSON");
    sf_status s = sf_write_atomic(c->out_json, text);
    cJSON_free(text);
    if (s == SF_OK && c->out_csv)
        s = sf_results_write_csv(root, c->out_csv);
    if (s == SF_OK && c->out_md)
        s = sf_results_write_md(root, c->out_md);
    return s;
}

/* ---- progress and interruption ------------------------------------------------------------- */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    interrupted = sig;
    signal(sig, SIG_DFL); /* a second Ctrl-C ends at once; the file holds every finished state */
}

static void progress(int64_t i, int64_t n, const char *what, double elapsed, double per_state)
{
    const int tty = isatty(STDERR_FILENO);
    const double left = per_state * (double)(n - i);
    fprintf(stderr, "%s[%lld/%lld] %-72.72s elapsed %5.0fs left ~%5.0fs%s", tty ? "\r\033[K" : "", (long long)i + 1,
            (long long)n, what, elapsed, left, tty ? "" : "\n");
    fflush(stderr);
}

/* ---- one writer per output ----------------------------------------------------------------- */

/* Two sweeps writing one file would each drop the other's states: OUT.lock holds the writer's pid.
 * A lock whose process is gone (a crash, kill -9) is stale and taken over. */
static sf_status lock_output(const char *out, char *lock, size_t n)
{
    snprintf(lock, n, "%s.lock", out);
    for (int attempt = 0; attempt < 2; ++attempt) {
        const int fd = open(lock, O_CREAT | O_EXCL | O_WRONLY, 0644);
        if (fd >= 0) {
            dprintf(fd, "%ld\n", (long)getpid());
            close(fd);
            return SF_OK;
        }
        if (errno != EEXIST)
            return sf_fail(SF_ERR_IO, "%s: %s", lock, strerror(errno));
        long pid = 0;
        FILE *f = fopen(lock, "r");
        if (f) {
            if (fscanf(f, "%ld", &pid) != 1)
                pid = 0;
            fclose(f);
        }
        if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
            return sf_fail(SF_ERR_INVALID, "another sweep (pid %ld) is writing %s; wait for it, or remove %s if it is gone",
                           pid, out, lock);
        unlink(lock);
    }
    return sf_fail(SF_ERR_IO, "%s: cannot take the lock", lock);
}

/* ---- the run ------------------------------------------------------------------------------- */

/* Previous results in the output file: finished states by id. Refuses a file from another device. */
static sf_status load_previous(const sf_sweep_config *c, const sf_device_info *dev, cJSON **prev)
{
    *prev = NULL;
    if (access(c->out_json, F_OK) != 0)
        return SF_OK;
    sf_status s = sf_results_read(c->out_json, prev);
    if (s != SF_OK)
        return sf_fail(s, "cannot resume from %s: %s (move it away to start afresh)", c->out_json, sf_last_error());
    const cJSON *d0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(*prev, "devices"), 0);
    if (strcmp(str(d0, "key"), dev->key) != 0) {
        s = sf_fail(SF_ERR_INVALID, "%s holds results of device %s (%s), not this one (%s, %s): use another --out",
                    c->out_json, str(d0, "name"), str(d0, "key"), dev->name, dev->key);
        cJSON_Delete(*prev);
        *prev = NULL;
    }
    return s;
}

/* A state of the earlier run that resume keeps: measured, or skipped for a reason that still holds. */
static cJSON *find_state(cJSON *prev, const char *id)
{
    cJSON *s = sf_results_state(prev, id);
    return s && (strcmp(str(s, "status"), "ok") == 0 || strcmp(str(s, "status"), "skipped") == 0) ? s : NULL;
}

static sf_status sweep_locked(sf_sweep_config *c, const sf_device_info *dev);

/* What the finished file says, as an exit status, so that a script does not read a wrong kernel or an
 * empty file as a result: a state that failed verification (never resumed, so this run's), or a sweep of
 * which nothing could run (skipped states are resumed, so a re-run says it again). */
static sf_status file_verdict(const cJSON *states, int64_t n, const char *path)
{
    int64_t failed = 0, skipped = 0;
    const cJSON *s, *first_skip = NULL;
    cJSON_ArrayForEach(s, states)
    {
        const char *status = str(s, "status");
        failed += strcmp(status, "failed") == 0;
        if (strcmp(status, "skipped") == 0 && !skipped++)
            first_skip = s;
    }
    if (failed)
        return sf_fail(SF_ERR_IO, "%lld states' outputs differ from the float64 reference (status \"failed\" in %s)",
                       (long long)failed, path);
    if (n > 0 && skipped == n)
        return sf_fail(SF_ERR_IO, "nothing could run: all %lld states were skipped (the first: %s: %s)", (long long)n,
                       str(first_skip, "id"), str(first_skip, "reason"));
    return SF_OK;
}

sf_status sf_sweep_run(sf_sweep_config *c)
{
    sf_device_info dev;
    sf_status s = validate(c);
    if (s == SF_OK)
        s = sf_device_query(c->backend, &dev);
    if (s != SF_OK)
        return s;
    if (!c->out_json)
        return sf_fail(SF_ERR_INVALID, "sweep: no output file given");
    const char *outputs[] = {c->out_json, c->out_csv, c->out_md};
    for (int i = 0; i < 3; ++i)
        if (outputs[i] && (s = sf_check_writable(outputs[i])) != SF_OK)
            return s;
    char lock[4096];
    if ((s = lock_output(c->out_json, lock, sizeof lock)) != SF_OK)
        return s;
    s = sweep_locked(c, &dev);
    unlink(lock);
    return s;
}

/* The sweep proper, with the output locked. */
static sf_status sweep_locked(sf_sweep_config *c, const sf_device_info *devp)
{
    sf_device_info dev = *devp;
    cJSON *prev = NULL;
    sf_status s = load_previous(c, &dev, &prev);
    if (s != SF_OK)
        return s;

    const double mem_limit = sf_trial_memory_limit(c->backend, &dev);
    int64_t n = 0;
    sf_tuning_db *db = NULL;
    if (c->tuning_db && (s = sf_tuning_load(c->tuning_db, &db)) != SF_OK) {
        cJSON_Delete(prev);
        return s;
    }
    state *states = enumerate(c, db, &n, mem_limit);
    sf_tuning_free(db);
    if (!states) {
        cJSON_Delete(prev);
        return sf_fail(SF_ERR_NOMEM, "sweep: no memory for the state list");
    }

    double copy_bw = 0;
    const cJSON *pd = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(prev, "devices"), 0);
    if (prev && cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(pd, "copy_bandwidth_Bps")))
        copy_bw = cJSON_GetObjectItemCaseSensitive(pd, "copy_bandwidth_Bps")->valuedouble; /* keep the run's own */
    else if ((s = sf_copy_bandwidth(c->backend, &dev, &copy_bw)) != SF_OK) {
        free(states);
        cJSON_Delete(prev);
        return s;
    }
    fprintf(stderr, "sweep: %lld states on %s (%s), copy bandwidth %.1f GB/s\n", (long long)n, dev.name, dev.key,
            copy_bw / 1e9);

    cJSON *root = new_root(c, &dev, copy_bw);
    if (prev) /* a resumed run keeps the first run's record and appends this one's argv */
        cJSON_ReplaceItemInObjectCaseSensitive(root, "meta",
                                               cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(prev, "meta"), 1));
    cJSON *out_states = cJSON_GetObjectItemCaseSensitive(root, "states");
    interrupted = 0;
    void (*old_int)(int) = signal(SIGINT, on_signal);
    void (*old_term)(int) = signal(SIGTERM, on_signal);
    const double start = sf_now();
    int64_t measured = 0, resumed = 0, skipped = 0;
    for (int64_t i = 0; i < n && s == SF_OK; ++i) {
        state *st = &states[i];
        cJSON *old = prev ? find_state(prev, st->id) : NULL;
        if (old) {
            cJSON_AddItemToArray(out_states, cJSON_Duplicate(old, 1));
            ++resumed;
            continue;
        }
        if (interrupted || (c->max_states && measured >= c->max_states))
            break;
        cJSON *j = state_json(st);
        cJSON_AddItemToArray(out_states, j);
        if (st->skip[0]) {
            cJSON_AddStringToObject(j, "status", "skipped");
            cJSON_AddStringToObject(j, "reason", st->skip);
            ++skipped;
            continue;
        }
        progress(i, n, st->id, sf_now() - start, measured ? (sf_now() - start) / (double)measured : 0);
        sf_trial tr;
        const int sets = sf_trial_sets_for(st->fwd, st->bwd, st->T, st->M, sf_device_flush_bytes(&dev));
        s = sf_trial_create(&tr, c->backend, st->fwd, st->bwd, st->T, st->M, &c->params, st->block, st->block_bwd,
                            sets, (uint64_t)i + 1);
        if (s == SF_ERR_NOMEM || s == SF_ERR_INVALID) { /* this state cannot run here: say why, go on */
            cJSON_AddStringToObject(j, "status", "skipped");
            cJSON_AddStringToObject(j, "reason", sf_last_error());
            ++skipped;
            s = SF_OK;
            continue;
        }
        if (s != SF_OK)
            break;
        if (c->cpu_threads > 0)
            tr.fwd_launch.cpu_threads = tr.bwd_launch.cpu_threads = c->cpu_threads;
        cJSON_AddNumberToObject(j, "block", tr.fwd_launch.block);
        if (st->bwd)
            cJSON_AddNumberToObject(j, "block_bwd", tr.bwd_launch.block);
        cJSON_AddNumberToObject(j, "grid", (double)tr.fwd_launch.grid);
        cJSON_AddNumberToObject(j, "buffer_sets", tr.sets);
        cJSON_AddNumberToObject(j, "launches_per_trial", (double)sf_trial_launches(&tr));
        if (c->verify) {
            sf_check_report f = {0}, b = {0};
            s = sf_trial_verify(&tr, sf_tolerance_default(), &f, &b);
            if (s == SF_OK) {
                cJSON *v = cJSON_AddObjectToObject(j, "verified");
                cJSON_AddItemToObject(v, "forward", check_json(&f));
                if (st->bwd)
                    cJSON_AddItemToObject(v, "backward", check_json(&b));
                if (f.mismatches || b.mismatches || f.compared == 0) {
                    cJSON_AddStringToObject(j, "status", "failed");
                    cJSON_AddStringToObject(j, "reason", "outputs differ from the float64 reference");
                    fprintf(stderr, "\nsweep: %s: outputs differ from the reference; not timed\n", st->id);
                    sf_trial_destroy(&tr);
                    continue;
                }
            }
        }
        sf_measurement m;
        if (s == SF_OK)
            s = sf_measure(&tr, &dev, &c->measure, st->id, &m);
        sf_trial_destroy(&tr);
        if (s != SF_OK)
            break;
        if (c->measure.profile) {
            cJSON_AddStringToObject(j, "status", "profiled");
            continue;
        }
        cJSON_AddStringToObject(j, "status", "ok");
        cJSON_AddBoolToObject(j, "spin", m.spin);
        if (c->backend == SF_BACKEND_CPU)
            cJSON_AddNumberToObject(j, "threads", m.threads);
        cJSON_AddItemToObject(j, "cold", summary_json(&m.cold, 1));
        if (m.graph.present)
            cJSON_AddItemToObject(j, "graph", summary_json(&m.graph, 1));
        if (m.hot_per_trial > 0) {
            cJSON *h = cJSON_AddObjectToObject(j, "hot");
            cJSON_AddNumberToObject(h, "per_trial_s", m.hot_per_trial);
            cJSON_AddNumberToObject(h, "trials", (double)m.hot_trials);
        }
        add_metrics(j, st, &m, copy_bw);
        sf_measurement_free(&m);
        ++measured;
        const sf_status w = write_all(root, c); /* after every state: an interruption loses only the current one */
        if (w != SF_OK) {
            s = w;
            break;
        }
    }
    if (isatty(STDERR_FILENO))
        fputc('\n', stderr);
    const sf_status failure = s;
    char why[512];
    snprintf(why, sizeof why, "%s", sf_last_error());
    /* drop the state that was being measured when it failed: it has no numbers */
    cJSON *last = cJSON_GetArrayItem(out_states, cJSON_GetArraySize(out_states) - 1);
    if (failure != SF_OK && last && !cJSON_GetObjectItemCaseSensitive(last, "status"))
        cJSON_DeleteItemFromArray(out_states, cJSON_GetArraySize(out_states) - 1);
    const sf_status w = write_all(root, c);
    signal(SIGINT, old_int);
    signal(SIGTERM, old_term);
    fprintf(stderr, "sweep: %lld measured, %lld resumed from %s, %lld skipped, %lld of %lld states in the file\n",
            (long long)measured, (long long)resumed, c->out_json, (long long)skipped,
            (long long)cJSON_GetArraySize(out_states), (long long)n);
    const sf_status verdict = file_verdict(out_states, n, c->out_json);
    free(states);
    cJSON_Delete(prev);
    cJSON_Delete(root);
    if (failure != SF_OK)
        return sf_fail(failure, "%s (finished states kept in %s)", why, c->out_json);
    if (w != SF_OK)
        return w;
    if (interrupted)
        return sf_fail(SF_ERR_INVALID, "interrupted; run the same command again to finish the missing states");
    return verdict;
}
