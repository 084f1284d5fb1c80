/* spikefuse tune: for each problem size, search the knob space of one family and direction on the
 * current device, verify and measure candidates through the harness, and write the best
 * configuration to the tuning database. Every evaluation is appended to a JSON-lines cache as it
 * finishes, so an interrupted tune resumes, and a replay answers from the cache with no device. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "build_info.h"
#include "spikefuse_core.h"
#include "json_util.h"
#include "sweep.h"
#include "tuning.h"

void sf_tune_config_init(sf_tune_config *c)
{
    memset(c, 0, sizeof *c);
    c->backend = SF_BACKEND_CPU;
    c->family = "fused";
    c->direction = SF_FWD;
    c->strategy = SF_TUNE_EXHAUSTIVE;
    c->seed = 1;
    c->params = sf_lif_defaults();
    c->measure = sf_measure_config_default();
    /* a tuner compares many candidates: fewer samples than a sweep, and no hot figure */
    c->measure.rule.min_samples = 5;
    c->measure.rule.min_time = 0.05;
    c->measure.rule.max_noise = 0.01;
    c->measure.rule.timeout = 2.0;
    c->measure.hot = 0;
}

static const char *strategy_names[] = {"exhaustive", "random", "model"};

const char *sf_tune_strategy_name(sf_tune_strategy s)
{
    return s >= SF_TUNE_EXHAUSTIVE && s <= SF_TUNE_MODEL ? strategy_names[s] : "?";
}

sf_status sf_tune_strategy_parse(const char *name, sf_tune_strategy *out)
{
    for (int i = 0; i < 3; ++i)
        if (name && strcmp(name, strategy_names[i]) == 0) {
            *out = (sf_tune_strategy)i;
            return SF_OK;
        }
    return sf_fail(SF_ERR_UNKNOWN, "unknown strategy '%s' (exhaustive, random, model)", name ? name : "");
}

/* ---- constraints: predicates over a candidate, as a table ------------------------------------ */

typedef struct constraint {
    const char *name;
    int (*holds)(sf_backend b, const sf_candidate *c);
} constraint;

static int block_fits(sf_backend b, const sf_candidate *c)
{
    return c->block >= 1 && c->block <= (b == SF_BACKEND_CUDA ? 1024 : 65536);
}

static int whole_warps(sf_backend b, const sf_candidate *c)
{
    return b != SF_BACKEND_CUDA || c->block % 32 == 0;
}

static int whole_words(sf_backend b, const sf_candidate *c)
{
    (void)b;
    return c->kernel->spike_bits != 1 || c->block % 32 == 0;
}

static int threads_fit(sf_backend b, const sf_candidate *c)
{
    return b == SF_BACKEND_CUDA ? c->threads == 0 : c->threads >= 1;
}

static const constraint constraints[] = {
    {"block within the backend's limit", block_fits},
    {"CUDA blocks are whole warps", whole_warps},
    {"packed spikes: blocks of whole 32-spike words", whole_words},
    {"CPU threads >= 1 (none on CUDA)", threads_fit},
};

/* ---- the cache --------------------------------------------------------------------------------- */

typedef struct cache {
    cJSON **lines;
    int n, cap;
    FILE *append; /* NULL in replay */
} cache;

static void cache_add(cache *k, cJSON *line)
{
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 256;
        k->lines = realloc(k->lines, (size_t)k->cap * sizeof *k->lines);
    }
    k->lines[k->n++] = line;
}

/* Reads a JSON-lines cache. A last line cut short (the tune was killed while writing it) is dropped
 * with a note; a malformed line before the last is an error. */
static sf_status cache_load(cache *k, const char *path, int must_exist)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (!must_exist && errno == ENOENT)
            return SF_OK;
        return sf_fail(SF_ERR_IO, "%s: %s", path, strerror(errno));
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int no = 0, bad_at = 0;
    sf_status s = SF_OK;
    while ((len = getline(&line, &cap, f)) >= 0) {
        ++no;
        if (bad_at) { /* a bad line followed by another: not a cut-short tail */
            s = sf_fail(SF_ERR_IO, "%s: line %d is not a JSON object", path, bad_at);
            break;
        }
        cJSON *j = cJSON_Parse(line);
        if (!cJSON_IsObject(j) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "record"))) {
            cJSON_Delete(j);
            bad_at = no;
            continue;
        }
        cache_add(k, j);
    }
    free(line);
    fclose(f);
    if (s == SF_OK && bad_at)
        fprintf(stderr, "tune: %s: dropped line %d, cut short by an interruption\n", path, bad_at);
    return s;
}

static sf_status cache_append(cache *k, cJSON *line)
{
    cache_add(k, line);
    if (!k->append)
        return SF_OK;
    char *text = cJSON_PrintUnformatted(line);
    const int ok = text && fprintf(k->append, "%s\n", text) > 0 && fflush(k->append) == 0 && fsync(fileno(k->append)) == 0;
    cJSON_free(text);
    return ok ? SF_OK : sf_fail(SF_ERR_IO, "cannot append to the tuning cache: %s", strerror(errno));
}

static void cache_free(cache *k)
{
    for (int i = 0; i < k->n; ++i)
        cJSON_Delete(k->lines[i]);
    free(k->lines);
    if (k->append)
        fclose(k->append);
}

#define str sf_json_str
#define num(o, key) sf_json_num(o, key, NULL)

static const cJSON *find_device(const cache *k, const char *key)
{
    for (int i = 0; i < k->n; ++i)
        if (strcmp(str(k->lines[i], "record"), "device") == 0 && (!key || strcmp(str(k->lines[i], "device_key"), key) == 0))
            return k->lines[i];
    return NULL;
}

static const cJSON *find_occupancy(const cache *k, const char *key, const char *kernel, int block)
{
    for (int i = 0; i < k->n; ++i) {
        const cJSON *l = k->lines[i];
        if (strcmp(str(l, "record"), "occupancy") == 0 && strcmp(str(l, "device_key"), key) == 0 &&
            strcmp(str(l, "kernel"), kernel) == 0 && num(l, "block") == block)
            return l;
    }
    return NULL;
}

/* An evaluation of (kernel, block, threads) at (T, M); block < 0 finds the kernel's evaluation as the
 * default config (its block is whatever the backend chose then). */
static const cJSON *find_eval(const cache *k, const char *key, const char *kernel, int block, int threads, int64_t T,
                              int64_t M)
{
    for (int i = 0; i < k->n; ++i) {
        const cJSON *l = k->lines[i];
        if (strcmp(str(l, "record"), "eval") != 0 || strcmp(str(l, "device_key"), key) != 0 ||
            strcmp(str(l, "kernel"), kernel) != 0 || num(l, "T") != (double)T || num(l, "M") != (double)M)
            continue;
        if (block < 0 ? cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(l, "default"))
                      : num(l, "block") == block && num(l, "threads") == threads)
            return l;
    }
    return NULL;
}

/* Whether the cache holds any evaluation of a kernel for a device: a replay searches the kernels its
 * cache recorded, not those registered after it (whose evaluations it cannot have). */
static int kernel_recorded(const cache *k, const char *key, const char *kernel)
{
    for (int i = 0; i < k->n; ++i) {
        const cJSON *l = k->lines[i];
        if (!strcmp(str(l, "record"), "eval") && !strcmp(str(l, "device_key"), key) && !strcmp(str(l, "kernel"), kernel))
            return 1;
    }
    return 0;
}

/* ---- evaluation ------------------------------------------------------------------------------ */

typedef struct session {
    const sf_tune_config *c;
    const char *form;
    const char *dtype, *spikes; /* the storage searched now (one entry per storage) */
    cache k;
    int replay;
    sf_device_info dev;      /* live only */
    char key[17], arch[128], name[256];
    sf_model_device model;
    int evaluated, reused;
} session;

/* Measures one candidate (verified first: a wrong kernel cannot win) and appends it to the cache. */
static sf_status evaluate(session *s, const sf_candidate *cand, int64_t T, int64_t M, int is_default, const cJSON **out)
{
    const sf_tune_config *c = s->c;
    *out = is_default ? find_eval(&s->k, s->key, cand->kernel->name, -1, 0, T, M)
                      : find_eval(&s->k, s->key, cand->kernel->name, cand->block, cand->threads, T, M);
    if (*out) {
        ++s->reused;
        return SF_OK;
    }
    if (s->replay)
        return sf_fail(SF_ERR_INVALID, "replay: %s block %d threads %d at T=%lld M=%lld is not in the cache",
                       cand->kernel->name, cand->block, cand->threads, (long long)T, (long long)M);
    const int fwd = cand->kernel->direction == SF_FWD;
    sf_trial tr;
    const int sets = sf_trial_sets_for(fwd ? cand->kernel : NULL, fwd ? NULL : cand->kernel, T, M,
                                       sf_device_flush_bytes(&s->dev));
    sf_status st = sf_trial_create(&tr, c->backend, fwd ? cand->kernel : NULL, fwd ? NULL : cand->kernel, T, M,
                                   &c->params, cand->block, cand->block, sets, 1);
    /* a block the kernel's registers do not allow on this device (sf_max_block; the plan refuses it) is a
     * candidate that loses, recorded (so that a replay knows it), not an error that ends the search */
    char refused[300] = "";
    int max_block = 0;
    if (st == SF_ERR_INVALID && sf_max_block(cand->kernel, c->backend, &max_block) == SF_OK && cand->block > max_block)
        snprintf(refused, sizeof refused, "%s", sf_last_error());
    else if (st != SF_OK)
        return st;
    sf_check_report rf = {0}, rb = {0};
    const sf_check_report *r = fwd ? &rf : &rb;
    sf_measurement m;
    memset(&m, 0, sizeof m);
    int ok = 0;
    if (!refused[0]) {
        tr.fwd_launch.cpu_threads = tr.bwd_launch.cpu_threads = cand->threads;
        st = sf_trial_verify(&tr, sf_tolerance_default(), &rf, &rb);
        ok = st == SF_OK && r->mismatches == 0 && r->compared > 0;
        char label[200];
        snprintf(label, sizeof label, "tune %s block=%d T=%lld M=%lld", cand->kernel->name, cand->block,
                 (long long)T, (long long)M);
        if (ok)
            st = sf_measure(&tr, &s->dev, &c->measure, label, &m);
        sf_trial_destroy(&tr);
        if (st != SF_OK) {
            sf_measurement_free(&m);
            return st;
        }
    }
    char date[32];
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "record", "eval");
    cJSON_AddStringToObject(l, "device_key", s->key);
    cJSON_AddStringToObject(l, "kernel", cand->kernel->name);
    cJSON_AddNumberToObject(l, "block", cand->block);
    cJSON_AddNumberToObject(l, "threads", cand->threads);
    cJSON_AddNumberToObject(l, "T", (double)T);
    cJSON_AddNumberToObject(l, "M", (double)M);
    cJSON_AddBoolToObject(l, "default", is_default);
    cJSON_AddStringToObject(l, "status", ok ? "ok" : "failed");
    cJSON_AddNumberToObject(l, "mismatches", (double)r->mismatches);
    if (refused[0])
        cJSON_AddStringToObject(l, "reason", refused);
    if (ok) {
        cJSON_AddNumberToObject(l, "median_s", m.cold.summary.median);
        cJSON_AddNumberToObject(l, "rel_stdev", m.cold.summary.rel_stdev);
        cJSON_AddNumberToObject(l, "samples", (double)m.cold.summary.count);
    }
    cJSON_AddStringToObject(l, "commit", SF_GIT_COMMIT);
    cJSON_AddStringToObject(l, "date", sf_utc_now(date, sizeof date));
    sf_measurement_free(&m);
    ++s->evaluated;
    *out = l;
    if (!c->quiet)
        fprintf(stderr, "tune: %-34s block %4d threads %2d T=%-5lld M=%-8lld %s %.4g ms\n", cand->kernel->name,
                cand->block, cand->threads, (long long)T, (long long)M, ok ? "ok    " : refused[0] ? "REFUSED" : "FAILED",
                ok ? 1e3 * num(l, "median_s") : 0.0);
    return cache_append(&s->k, l);
}

/* ---- the search ---------------------------------------------------------------------------- */

/* The model's order. Equal predictions (on a GPU, grids that fit in the same number of waves) go to the
 * larger block: as many bytes with fewer blocks to schedule and set up, a cost the model leaves out;
 * then by kernel name and threads, so that the order never depends on qsort's. */
static int by_prediction(const void *a, const void *b)
{
    const sf_candidate *x = a, *y = b;
    if (x->rank_s != y->rank_s)
        return x->rank_s < y->rank_s ? -1 : 1;
    if (x->block != y->block)
        return x->block > y->block ? -1 : 1;
    const int by_name = strcmp(x->kernel->name, y->kernel->name);
    return by_name ? by_name : (x->threads > y->threads) - (x->threads < y->threads);
}

static sf_status occupancy_of(session *s, const sf_kernel *k, int block, int *out)
{
    *out = 1;
    if (s->c->backend != SF_BACKEND_CUDA)
        return SF_OK;
    const cJSON *o = find_occupancy(&s->k, s->key, k->name, block);
    if (o) {
        *out = (int)num(o, "blocks_per_sm");
        return SF_OK;
    }
    if (s->replay)
        return SF_OK; /* not recorded: the model assumes one block */
    const sf_status st = sf_occupancy(k, SF_BACKEND_CUDA, block, out);
    if (st != SF_OK)
        return st;
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "record", "occupancy");
    cJSON_AddStringToObject(l, "device_key", s->key);
    cJSON_AddStringToObject(l, "kernel", k->name);
    cJSON_AddNumberToObject(l, "block", block);
    cJSON_AddNumberToObject(l, "blocks_per_sm", *out);
    return cache_append(&s->k, l);
}

/* Whether an axis given to restrict the space (NULL: none) holds a kernel's knob value. */
static int knob_allowed(const sf_axis *a, int value)
{
    if (!a)
        return 1;
    for (int i = 0; i < a->count; ++i)
        if (a->ints[i] == value)
            return 1;
    return 0;
}

/* The knob space of the family at one size, filtered by the constraints, with model predictions. */
static sf_status build_space(session *s, int64_t T, int64_t M, sf_candidate **out, int *n)
{
    const sf_tune_config *c = s->c;
    static const int64_t cuda_blocks[] = {32, 64, 128, 256, 512, 1024}, cpu_blocks[] = {1, 4, 16, 64, 256, 1024};
    const int64_t *blocks = c->block ? c->block->ints : c->backend == SF_BACKEND_CUDA ? cuda_blocks : cpu_blocks;
    const int nb = c->block ? c->block->count : 6;
    const int64_t one_thread[] = {c->backend == SF_BACKEND_CUDA ? 0 : (s->replay ? 0 : s->dev.threads_used)};
    const int64_t *threads = c->threads ? c->threads->ints : one_thread;
    const int nt = c->threads ? c->threads->count : 1;
    *n = 0;
    *out = calloc((size_t)sf_kernel_count() * (size_t)nb * (size_t)nt, sizeof **out);
    if (!*out)
        return sf_fail(SF_ERR_NOMEM, "no memory for the search space");
    for (int i = 0; i < sf_kernel_count(); ++i) {
        const sf_kernel *k = sf_kernel_at(i);
        if (strcmp(k->family, c->family) != 0 || k->direction != c->direction || strcmp(k->form, s->form) != 0 ||
            strcmp(k->dtype, s->dtype) != 0 || !knob_allowed(c->vec, k->vec) || !knob_allowed(c->npt, k->npt) ||
            !knob_allowed(c->unroll, k->unroll) || !knob_allowed(c->chunk, k->chunk) ||
            !knob_allowed(c->prefetch, k->prefetch) || !knob_allowed(c->stage, k->stage) ||
            !sf_kernel_stores_spikes(k, s->spikes) || (s->replay && !kernel_recorded(&s->k, s->key, k->name)))
            continue;
        for (int b = 0; b < nb; ++b)
            for (int t = 0; t < nt; ++t) {
                sf_candidate cand = {k, (int)blocks[b], (int)threads[t], 0, 0};
                if (s->replay && c->backend == SF_BACKEND_CPU && !c->threads) {
                    const cJSON *d = find_device(&s->k, s->key);
                    cand.threads = (int)num(d, "threads_used");
                }
                int holds = 1;
                for (size_t p = 0; p < sizeof constraints / sizeof *constraints; ++p)
                    holds &= constraints[p].holds(c->backend, &cand);
                if (!holds)
                    continue;
                int bpsm = 1;
                const sf_status st = occupancy_of(s, k, cand.block, &bpsm);
                if (st != SF_OK)
                    return st;
                cand.predicted_s = cand.rank_s = sf_model_time(&s->model, k, cand.block, cand.threads, bpsm, T, M);
                (*out)[(*n)++] = cand;
            }
    }
    if (*n == 0)
        return sf_fail(SF_ERR_INVALID, "no %s %s kernel of family '%s' (form %s, dtype %s, spikes %s) satisfies the constraints",
                       sf_backend_name(c->backend), sf_direction_name(c->direction), c->family, s->form, s->dtype,
                       s->spikes);
    return SF_OK;
}

/* The model strategy, first half of its budget: the best-predicted candidate of each kernel, kernels in
 * the order of those, moved to the front of the ranked space. The model prices bytes and DRAM round
 * trips, which rank one kernel's blocks well, but not what a kernel's instructions cost (vector width,
 * coalescing, unrolling): one measurement of each kernel tells that. Returns how many were moved. */
static int spread_across_kernels(sf_candidate *space, int n, int probes)
{
    int moved = 0;
    for (int i = 0; i < n && moved < probes; ++i) {
        int seen = !isfinite(space[i].predicted_s); /* one that cannot launch is no probe */
        for (int j = 0; j < moved && !seen; ++j)
            seen = space[j].kernel == space[i].kernel;
        if (seen)
            continue;
        const sf_candidate probe = space[i];
        memmove(space + moved + 1, space + moved, (size_t)(i - moved) * sizeof *space);
        space[moved++] = probe;
    }
    return moved;
}

/* Which candidates to measure: all, a seeded random subset, or the model's ranking (its first *probes
 * spread across kernels; tune_size reorders the rest once those are measured). */
static int choose(const sf_tune_config *c, sf_candidate *space, int n, int *probes)
{
    *probes = n;
    if (c->strategy == SF_TUNE_EXHAUSTIVE)
        return n;
    if (c->strategy == SF_TUNE_RANDOM) {
        uint64_t x = c->seed * 0x9E3779B97F4A7C15ull + 1;
        for (int i = n - 1; i > 0; --i) { /* Fisher-Yates with xorshift */
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            const int j = (int)(x % (uint64_t)(i + 1));
            const sf_candidate t = space[i];
            space[i] = space[j], space[j] = t;
        }
        return c->budget > 0 && c->budget < n ? c->budget : n;
    }
    qsort(space, (size_t)n, sizeof *space, by_prediction);
    const int quarter = n / 4 > 0 ? n / 4 : 1; /* at most a quarter of the space */
    const int budget = c->budget > 0 && c->budget < n ? c->budget : quarter;
    *probes = spread_across_kernels(space, n, budget / 2 > 0 ? budget / 2 : 1);
    return budget;
}

/* The model strategy, second half: a kernel whose probe measured more than 3 % slower than the fastest
 * probe (the tolerance within which the tuner counts configs as equals) goes to the back; the rest keep
 * the model's order. */
static void drop_slow_kernels(sf_candidate *space, int n, int probed, const cJSON **evals)
{
    double fastest = INFINITY;
    for (int i = 0; i < probed; ++i)
        if (strcmp(str(evals[i], "status"), "ok") == 0)
            fastest = fmin(fastest, num(evals[i], "median_s"));
    for (int i = probed; i < n; ++i)
        for (int j = 0; j < probed; ++j)
            if (space[j].kernel == space[i].kernel && strcmp(str(evals[j], "status"), "ok") == 0 &&
                num(evals[j], "median_s") > 1.03 * fastest)
                space[i].rank_s = INFINITY;
    qsort(space + probed, (size_t)(n - probed), sizeof *space, by_prediction);
}

static cJSON *config_json(const cJSON *eval)
{
    cJSON *j = cJSON_CreateObject();
    const sf_kernel *k = sf_kernel_find(str(eval, "kernel"));
    cJSON_AddStringToObject(j, "kernel", str(eval, "kernel"));
    if (k) {
        cJSON_AddNumberToObject(j, "vec", k->vec);
        cJSON_AddNumberToObject(j, "npt", k->npt);
        cJSON_AddNumberToObject(j, "unroll", k->unroll);
        cJSON_AddNumberToObject(j, "chunk", k->chunk);
        cJSON_AddNumberToObject(j, "prefetch", k->prefetch);
        cJSON_AddNumberToObject(j, "stage", k->stage);
    }
    cJSON_AddNumberToObject(j, "block", num(eval, "block"));
    cJSON_AddNumberToObject(j, "threads", num(eval, "threads"));
    cJSON_AddNumberToObject(j, "time_s", num(eval, "median_s"));
    cJSON_AddNumberToObject(j, "rel_stdev", num(eval, "rel_stdev"));
    return j;
}

/* The paper's choice, measured beside the search: the default kernel with the backend's block (in a
 * replay, its recorded evaluation). */
static sf_status measure_default(session *s, int threads, int64_t T, int64_t M, const cJSON **out)
{
    const sf_tune_config *c = s->c;
    const sf_kernel *dk = sf_kernel_with_storage(sf_kernel_default(c->family, c->direction, s->form, c->backend),
                                                 s->dtype, s->spikes);
    *out = NULL;
    if (!dk)
        return sf_fail(SF_ERR_INVALID, "no variant of the default %s kernel stores spikes as %s", s->form, s->spikes);
    if (s->replay) {
        *out = find_eval(&s->k, s->key, dk->name, -1, 0, T, M);
        return *out ? SF_OK
                    : sf_fail(SF_ERR_INVALID, "replay: no default evaluation at T=%lld M=%lld in the cache", (long long)T,
                              (long long)M);
    }
    sf_candidate d = {dk, 0, threads, 0, 0};
    sf_launch planned, none = {0, 0, 0, NULL};
    sf_status st = sf_plan(dk, c->backend, M, &none, &planned);
    d.block = planned.block;
    return st == SF_OK ? evaluate(s, &d, T, M, 1, out) : st;
}

/* The database entry of one size: the best, the configs within 3 % of it, and the default's time. */
static cJSON *entry_json(const session *s, int64_t T, int64_t M, const cJSON *best, const cJSON *dflt,
                         const cJSON **evals, int chosen, int n)
{
    const sf_tune_config *c = s->c;
    char date[32];
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "device_key", s->key);
    cJSON_AddStringToObject(e, "device", s->name);
    cJSON_AddStringToObject(e, "arch", s->arch);
    cJSON_AddStringToObject(e, "backend", sf_backend_name(c->backend));
    cJSON_AddStringToObject(e, "family", c->family);
    cJSON_AddStringToObject(e, "direction", sf_direction_name(c->direction));
    cJSON_AddStringToObject(e, "form", s->form);
    cJSON_AddStringToObject(e, "dtype", s->dtype);
    cJSON_AddStringToObject(e, "spikes", s->spikes);
    cJSON_AddNumberToObject(e, "T", (double)T);
    cJSON_AddNumberToObject(e, "M", (double)M);
    cJSON_AddNumberToObject(e, "T_bucket", sf_log2_bucket(T));
    cJSON_AddNumberToObject(e, "M_bucket", sf_log2_bucket(M));
    cJSON_AddItemToObject(e, "best", config_json(best));
    cJSON_AddNumberToObject(e, "time_s", num(best, "median_s"));
    cJSON_AddNumberToObject(e, "rel_stdev", num(best, "rel_stdev"));
    cJSON *near = cJSON_AddArrayToObject(e, "within_3pct");
    for (int i = 0; i < chosen; ++i)
        if (evals[i] != best && strcmp(str(evals[i], "status"), "ok") == 0 &&
            num(evals[i], "median_s") <= 1.03 * num(best, "median_s"))
            cJSON_AddItemToArray(near, config_json(evals[i]));
    if (dflt && strcmp(str(dflt, "status"), "ok") == 0) {
        cJSON_AddItemToObject(e, "default", config_json(dflt));
        cJSON_AddNumberToObject(e, "speedup_over_default", num(dflt, "median_s") / num(best, "median_s"));
    }
    cJSON_AddStringToObject(e, "strategy", sf_tune_strategy_name(c->strategy));
    cJSON_AddNumberToObject(e, "measured", chosen);
    cJSON_AddNumberToObject(e, "space", n);
    cJSON_AddStringToObject(e, "commit", SF_GIT_COMMIT);
    cJSON_AddStringToObject(e, "date", sf_utc_now(date, sizeof date));
    return e;
}

/* Whether the default's evaluation may be the best: always, unless -a chunk leaves its chunk out. Vec, npt
 * and unroll only change speed; the chunk changes what forward keeps for backward (and the backward
 * must replay the same chunk), so a tune asked for some chunks answers with one of them. */
static int default_may_win(const sf_tune_config *c, const cJSON *dflt)
{
    const sf_kernel *k = sf_kernel_find(str(dflt, "kernel"));
    return k && knob_allowed(c->chunk, k->chunk);
}

/* One size: the space, the strategy's candidates measured (the model's probes first, then slow kernels
 * dropped), the default beside them, and the best of all into the database. */
static sf_status tune_size(session *s, sf_tuning_db *db, int64_t T, int64_t M)
{
    const sf_tune_config *c = s->c;
    sf_candidate *space = NULL;
    int n = 0;
    sf_status st = build_space(s, T, M, &space, &n);
    int probes = 0;
    const int chosen = st == SF_OK ? choose(c, space, n, &probes) : 0;
    const cJSON **evals = calloc((size_t)(n + 1), sizeof *evals);
    if (st == SF_OK && !evals)
        st = sf_fail(SF_ERR_NOMEM, "no memory");
    for (int i = 0; st == SF_OK && i < chosen; ++i) {
        if (i == probes && c->strategy == SF_TUNE_MODEL)
            drop_slow_kernels(space, n, probes, evals);
        st = evaluate(s, &space[i], T, M, 0, &evals[i]);
    }
    const cJSON *dflt = NULL, *best = NULL;
    if (st == SF_OK)
        st = measure_default(s, space[0].threads, T, M, &dflt);
    for (int i = 0; st == SF_OK && i < chosen; ++i)
        if (strcmp(str(evals[i], "status"), "ok") == 0 && (!best || num(evals[i], "median_s") < num(best, "median_s")))
            best = evals[i];
    if (st == SF_OK && dflt && strcmp(str(dflt, "status"), "ok") == 0 && default_may_win(c, dflt) &&
        (!best || num(dflt, "median_s") < num(best, "median_s")))
        best = dflt; /* the default is part of what was measured */
    if (st == SF_OK && !best)
        st = sf_fail(SF_ERR_INVALID, "no candidate at T=%lld M=%lld passed verification", (long long)T, (long long)M);
    if (st == SF_OK) {
        printf("T=%-5lld M=%-9lld best %-34s block %4.0f threads %2.0f %.4g ms; default %.4g ms (%.2fx); measured %d of %d\n",
               (long long)T, (long long)M, str(best, "kernel"), num(best, "block"), num(best, "threads"),
               1e3 * num(best, "median_s"), dflt ? 1e3 * num(dflt, "median_s") : NAN,
               dflt ? num(dflt, "median_s") / num(best, "median_s") : NAN, chosen, n);
        st = sf_tuning_replace(db, entry_json(s, T, M, best, dflt, evals, chosen, n));
    }
    free(evals);
    free(space);
    return st;
}

/* ---- the run --------------------------------------------------------------------------------- */

static sf_status open_session(session *s)
{
    const sf_tune_config *c = s->c;
    const char *path = s->replay ? c->replay_path : c->cache_path;
    sf_status st = path ? cache_load(&s->k, path, s->replay) : SF_OK;
    if (st != SF_OK)
        return st;
    s->model.backend = c->backend;
    s->model.latency_s = 700e-9;
    s->model.launch_s = c->backend == SF_BACKEND_CUDA ? 3e-6 : 5e-6;
    if (s->replay) { /* the device as the cache recorded it */
        const cJSON *d = find_device(&s->k, NULL);
        if (!d || strcmp(str(d, "backend"), sf_backend_name(c->backend)) != 0)
            return sf_fail(SF_ERR_INVALID, "replay: %s has no %s device record", c->replay_path, sf_backend_name(c->backend));
        snprintf(s->key, sizeof s->key, "%s", str(d, "device_key"));
        snprintf(s->arch, sizeof s->arch, "%s", str(d, "arch"));
        snprintf(s->name, sizeof s->name, "%s", str(d, "device"));
        s->model.copy_bw = num(d, "copy_bandwidth_Bps");
        s->model.sm_count = (int)num(d, "sm_count");
        s->model.max_threads_per_sm = (int)num(d, "max_threads_per_sm");
        s->model.cache_bytes = (int64_t)num(d, "cache_bytes");
        return SF_OK;
    }
    if ((st = sf_device_query(c->backend, &s->dev)) != SF_OK)
        return st;
    snprintf(s->key, sizeof s->key, "%s", s->dev.key);
    sf_device_arch(&s->dev, s->arch, sizeof s->arch);
    snprintf(s->name, sizeof s->name, "%s", s->dev.name);
    s->model.sm_count = s->dev.sm_count;
    s->model.max_threads_per_sm = s->dev.max_threads_per_sm;
    s->model.cache_bytes = c->backend == SF_BACKEND_CUDA ? s->dev.l2_bytes : s->dev.l2_cpu_bytes;
    if (c->cache_path && !(s->k.append = fopen(c->cache_path, "a")))
        return sf_fail(SF_ERR_IO, "%s: %s", c->cache_path, strerror(errno));
    const cJSON *d = find_device(&s->k, s->key);
    if (d) {
        s->model.copy_bw = num(d, "copy_bandwidth_Bps"); /* the first session's measurement */
        return SF_OK;
    }
    if ((st = sf_copy_bandwidth(c->backend, &s->dev, &s->model.copy_bw)) != SF_OK)
        return st;
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "record", "device");
    cJSON_AddStringToObject(l, "device_key", s->key);
    cJSON_AddStringToObject(l, "device", s->name);
    cJSON_AddStringToObject(l, "arch", s->arch);
    cJSON_AddStringToObject(l, "backend", sf_backend_name(c->backend));
    cJSON_AddNumberToObject(l, "copy_bandwidth_Bps", s->model.copy_bw);
    cJSON_AddNumberToObject(l, "sm_count", s->model.sm_count);
    cJSON_AddNumberToObject(l, "max_threads_per_sm", s->model.max_threads_per_sm);
    cJSON_AddNumberToObject(l, "cache_bytes", (double)s->model.cache_bytes);
    cJSON_AddNumberToObject(l, "threads_used", s->dev.threads_used);
    return cache_append(&s->k, l);
}

/* Whether some kernel of the session's family, direction and form keeps checkpoints (chunk > 0). */
static int form_chunked(const session *s)
{
    for (int i = 0; i < sf_kernel_count(); ++i) {
        const sf_kernel *k = sf_kernel_at(i);
        if (strcmp(k->family, s->c->family) == 0 && k->direction == s->c->direction && strcmp(k->form, s->form) == 0 &&
            k->chunk > 0)
            return 1;
    }
    return 0;
}

/* Whether some kernel of the session's family, direction and form stores its storage (at a chunk asked
 * for, where -a chunk restricts them). */
static int storage_exists(const session *s)
{
    for (int i = 0; i < sf_kernel_count(); ++i) {
        const sf_kernel *k = sf_kernel_at(i);
        if (strcmp(k->family, s->c->family) == 0 && k->direction == s->c->direction && strcmp(k->form, s->form) == 0 &&
            strcmp(k->dtype, s->dtype) == 0 && sf_kernel_stores_spikes(k, s->spikes) && knob_allowed(s->c->chunk, k->chunk))
            return 1;
    }
    return 0;
}

sf_status sf_tune_run(const sf_tune_config *c)
{
    session s;
    memset(&s, 0, sizeof s);
    s.c = c;
    s.form = c->form ? c->form : c->direction == SF_FWD ? "train" : "grad";
    s.replay = c->replay_path != NULL;
    if (!sf_kernel_default(c->family, c->direction, s.form, c->backend))
        return sf_fail(SF_ERR_UNKNOWN, "unknown family '%s' or form '%s' for %s (spikefuse list shows them)", c->family,
                       s.form, sf_direction_name(c->direction));
    if (c->chunk && !form_chunked(&s))
        return sf_fail(SF_ERR_INVALID, "-a chunk applies to the forms that keep checkpoints (ckpt, grad_ckpt), not %s",
                       s.form);
    if (!c->db_path)
        return sf_fail(SF_ERR_INVALID, "tune: no database given (--db FILE.json)");
    sf_status st = sf_check_writable(c->db_path);
    if (st == SF_OK && c->cache_path && !s.replay)
        st = sf_check_writable(c->cache_path);
    if (st == SF_OK)
        st = open_session(&s);
    sf_tuning_db *db = NULL;
    if (st == SF_OK && access(c->db_path, F_OK) == 0)
        st = sf_tuning_load(c->db_path, &db);
    else if (st == SF_OK && !(db = sf_tuning_new()))
        st = sf_fail(SF_ERR_NOMEM, "no memory");
    static const int64_t default_T[] = {32, 128}, default_N[] = {1 << 20}, one[] = {1};
    const int64_t *Ts = c->T ? c->T->ints : default_T, *Ns = c->N ? c->N->ints : default_N, *Bs = c->B ? c->B->ints : one;
    const int nT = c->T ? c->T->count : 2, nN = c->N ? c->N->count : 1, nB = c->B ? c->B->count : 1;
    const int nD = c->dtype ? c->dtype->count : 1, nS = c->spikes ? c->spikes->count : 1;
    int storages = 0;
    for (int i = 0; st == SF_OK && i < nD * nS; ++i) { /* one entry per storage: the lookup chooses */
        s.dtype = c->dtype ? c->dtype->strings[i / nS] : "f32";
        s.spikes = c->spikes ? c->spikes->strings[i % nS] : sf_spikes_default(s.dtype);
        if (!s.spikes || !storage_exists(&s)) {
            if (!c->quiet)
                fprintf(stderr, "tune: no %s kernel of family '%s' stores %s with spikes %s%s: skipped\n", s.form,
                        c->family, s.dtype, s.spikes ? s.spikes : "-", c->chunk ? " at a chunk asked for" : "");
            continue;
        }
        ++storages;
        for (int a = 0; st == SF_OK && a < nT; ++a)
            for (int b = 0; st == SF_OK && b < nN; ++b)
                for (int d = 0; st == SF_OK && d < nB; ++d) {
                    st = tune_size(&s, db, Ts[a], Ns[b] * Bs[d]);
                    if (st == SF_OK) /* after every size: an interruption keeps what is done */
                        st = sf_tuning_save(db, c->db_path);
                }
    }
    if (st == SF_OK && !storages)
        st = sf_fail(SF_ERR_INVALID, "tune: no %s kernel of family '%s' stores any of the storages asked for", s.form,
                     c->family);
    if (!c->quiet)
        fprintf(stderr, "tune: %d measured, %d answered from %s\n", s.evaluated, s.reused,
                s.replay ? c->replay_path : c->cache_path ? c->cache_path : "(no cache)");
    sf_tuning_free(db);
    cache_free(&s.k);
    return st;
}
