/* The tuner without a device: replaying a recorded cache (tests/data), the database it writes, merges,
 * malformed and truncated files, every lookup level, the emitted header and the example program.
 * argv[1]: the spikefuse binary, argv[2]: tuning_example, argv[3]: tests/data, argv[4]: a scratch folder. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sweep.h"
#include "test_util.h"
#include "tuning.h"

static char dir[2048], data[2048];

#define path_of sf_test_path

static double num(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

/* The fastest verified evaluation of a size in a cache file, computed here independently. */
static double fastest_in_cache(const char *cache, double T, double M, int *count)
{
    FILE *f = fopen(cache, "r");
    char line[4096];
    double best = INFINITY;
    *count = 0;
    while (f && fgets(line, sizeof line, f)) {
        cJSON *j = cJSON_Parse(line);
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "record"), *st = cJSON_GetObjectItemCaseSensitive(j, "status");
        if (cJSON_IsString(r) && !strcmp(r->valuestring, "eval") && num(j, "T") == T && num(j, "M") == M &&
            cJSON_IsString(st) && !strcmp(st->valuestring, "ok")) {
            best = fmin(best, num(j, "median_s"));
            ++*count;
        }
        cJSON_Delete(j);
    }
    if (f)
        fclose(f);
    return best;
}

static const cJSON *entry_for(const sf_tuning_db *db, double T)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, sf_tuning_entries(db))
    {
        if (num(e, "T") == T)
            return e;
    }
    return NULL;
}

#define REPLAY "tune --family fused --direction fwd -a T=[4,16] -a N=4096 -a block=[1,16,256] --replay %s --db %s"

static void test_replay(const char *cache)
{
    CHECK(sf_test_sh(REPLAY, cache, path_of("ex.json")) == 0, "exhaustive replay: %s", sf_test_slurp("stderr"));
    CHECK(strstr(sf_test_slurp("stderr"), "0 measured") != NULL, "a replay measured something: %s",
          sf_test_slurp("stderr"));
    sf_tuning_db *ex = NULL;
    CHECK_OK(sf_tuning_load(path_of("ex.json"), &ex));
    CHECK(sf_tuning_count(ex) == 2, "%d entries, want one per size", sf_tuning_count(ex));
    for (double T = 4; T <= 16; T *= 4) {
        int n = 0;
        const double want = fastest_in_cache(cache, T, 4096, &n);
        const cJSON *e = entry_for(ex, T);
        CHECK(e && num(e, "time_s") == want, "T=%g: best %g, the cache's fastest is %g", T, e ? num(e, "time_s") : NAN,
              want);
        CHECK(e && num(e, "space") == 27 && num(e, "measured") == 27, "exhaustive: measured all 27");
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(e, "default");
        CHECK(d && fabs(num(e, "speedup_over_default") - num(d, "time_s") / want) < 1e-12, "speedup over default");
        const cJSON *w;
        cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(e, "within_3pct"))
        CHECK(num(w, "time_s") <= 1.03 * want && num(w, "time_s") >= want, "within_3pct holds a slower config");
    }
    /* random with a budget, and the model: fewer measured, never better than exhaustive */
    char args[16384];
    snprintf(args, sizeof args, REPLAY " --strategy random --budget 5 --seed 3", cache, path_of("rnd.json"));
    CHECK(sf_test_sh("%s", args) == 0, "random replay: %s", sf_test_slurp("stderr"));
    snprintf(args, sizeof args, REPLAY " --strategy model", cache, path_of("model.json"));
    CHECK(sf_test_sh("%s", args) == 0, "model replay: %s", sf_test_slurp("stderr"));
    sf_tuning_db *rnd = NULL, *model = NULL;
    CHECK_OK(sf_tuning_load(path_of("rnd.json"), &rnd));
    CHECK_OK(sf_tuning_load(path_of("model.json"), &model));
    for (double T = 4; T <= 16; T *= 4) {
        const cJSON *r = entry_for(rnd, T), *m = entry_for(model, T), *e = entry_for(ex, T);
        CHECK(r && num(r, "measured") == 5 && num(r, "time_s") >= num(e, "time_s"), "random: budget 5");
        CHECK(m && num(m, "measured") <= 6 && num(m, "time_s") >= num(e, "time_s"), "model: at most a quarter of 27");
    }
    sf_tuning_free(rnd), sf_tuning_free(model), sf_tuning_free(ex);
    /* a size the cache never saw: replay says so */
    snprintf(args, sizeof args, "tune --family fused -a T=5 -a N=4096 -a block=[1,16,256] --replay %s --db %s", cache,
             path_of("miss.json"));
    CHECK(sf_test_sh("%s", args) == 1 && strstr(sf_test_slurp("stderr"), "not in the cache"), "missing: %s",
          sf_test_slurp("stderr"));
}

/* A recorded exhaustive cache and the space to replay from it: only what it measured (the kernels and
 * blocks registered then). vec and blocks: the knob values kept, NULL for all. */
typedef struct model_job {
    const char *cache, *backend, *direction, *T, *N, *vec, *blocks;
} model_job;

static const model_job model_jobs[] = {
    {"tune-h100.jsonl", "cuda", "fwd", "[32,128]", "2^20", "[1,2,4]", NULL},
    {"tune-h100.jsonl", "cuda", "bwd", "128", "2^20", "[1,2,4]", NULL},
    {"tune-h200-fwd.jsonl", "cuda", "fwd", "[32,128]", "2^20", NULL, NULL},
    {"tune-h200-bwd.jsonl", "cuda", "bwd", "128", "2^20", NULL, "[32,64,128,256,512]"},
    {"tune-h200-v16.jsonl", "cuda", "bwd", "128", "2^20", "16", NULL},
    {"tune-cpu.jsonl", "cpu", "fwd", "[4,16]", "4096", NULL, "[1,16,256]"},
};

/* Whether an axis text such as "[1,2,4]" or "16" (NULL: every value) holds a value. */
static int axis_holds(const char *axis, double value)
{
    if (!axis)
        return 1;
    for (const char *p = axis; *p;) {
        char *end;
        const double v = strtod(p + (*p == '[' || *p == ','), &end);
        if (end == p + (*p == '[' || *p == ','))
            break;
        if (v == value)
            return 1;
        p = end;
    }
    return 0;
}

/* The times of the space a replay searched, read from the cache here: one per non-default evaluation of
 * the job's direction, T and M whose kernel and block the job keeps; a failed one is infinitely slow. */
static int space_times(const char *cache, const model_job *j, double T, double M, double *times, int cap)
{
    FILE *f = fopen(cache, "r");
    char line[4096];
    int n = 0;
    while (f && fgets(line, sizeof line, f)) {
        cJSON *e = cJSON_Parse(line);
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(e, "record"), *kn = cJSON_GetObjectItemCaseSensitive(e, "kernel");
        const sf_kernel *k = cJSON_IsString(kn) ? sf_kernel_find(kn->valuestring) : NULL;
        if (cJSON_IsString(r) && !strcmp(r->valuestring, "eval") && k && num(e, "T") == T && num(e, "M") == M &&
            !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "default")) &&
            !strcmp(sf_direction_name(k->direction), j->direction) && axis_holds(j->vec, k->vec) &&
            axis_holds(j->blocks, num(e, "block")) && n < cap) {
            const cJSON *st = cJSON_GetObjectItemCaseSensitive(e, "status");
            times[n++] = cJSON_IsString(st) && !strcmp(st->valuestring, "ok") ? num(e, "median_s") : INFINITY;
        }
        cJSON_Delete(e);
    }
    if (f)
        fclose(f);
    return n;
}

static int ascending(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Random sampling's expected best when it measures k of the n times, exactly: the i-th fastest (from 0)
 * is the best of a uniform k-subset with probability C(n-1-i, k-1) / C(n, k). The default config is
 * measured beside either strategy, so the best is never slower than it. */
static double random_expected_best(double *times, int n, int k, double default_s)
{
    qsort(times, (size_t)n, sizeof *times, ascending);
    double p = (double)k / n, expected = 0; /* P(the fastest is in the subset) = C(n-1, k-1) / C(n, k) */
    for (int i = 0; i <= n - k && p > 0; ++i) {
        expected += p * fmin(times[i], default_s);
        p *= (double)(n - k - i) / (n - 1 - i); /* C(n-2-i, k-1) / C(n-1-i, k-1) */
    }
    return expected;
}

/* The model strategy on real devices' exhaustive measurements (H100, H200: ci/gpu-check.sh; the CPU
 * cache), replayed with no device: at most a quarter of the space measured, a best within 3 % of
 * exhaustive's, and nearer to it than random sampling's expected best at the same budget. */
static void test_model_on_recorded_caches(void)
{
    for (size_t j = 0; j < sizeof model_jobs / sizeof *model_jobs; ++j) {
        const model_job *m = &model_jobs[j];
        char cache[4096], args[16384], axes[512];
        snprintf(cache, sizeof cache, "%s/%s", data, m->cache);
        snprintf(axes, sizeof axes, "--family fused --backend %s --direction %s -a T=%s -a N=%s%s%s%s%s", m->backend,
                 m->direction, m->T, m->N, m->vec ? " -a vec=" : "", m->vec ? m->vec : "", m->blocks ? " -a block=" : "",
                 m->blocks ? m->blocks : "");
        for (int model = 0; model < 2; ++model) {
            snprintf(args, sizeof args, "tune %s --strategy %s --replay %s --db %s", axes, model ? "model" : "exhaustive",
                     cache, path_of(model ? "m-model.json" : "m-ex.json"));
            remove(path_of(model ? "m-model.json" : "m-ex.json"));
            CHECK(sf_test_sh("%s", args) == 0, "%s: %s", args, sf_test_slurp("stderr"));
        }
        sf_tuning_db *ex = NULL, *model = NULL;
        CHECK_OK(sf_tuning_load(path_of("m-ex.json"), &ex));
        CHECK_OK(sf_tuning_load(path_of("m-model.json"), &model));
        CHECK(ex && model && sf_tuning_count(ex) == sf_tuning_count(model) && sf_tuning_count(ex) > 0,
              "%s %s: no entries", m->cache, m->direction);
        const cJSON *e, *entries = ex ? sf_tuning_entries(ex) : NULL;
        cJSON_ArrayForEach(e, entries)
        {
            const cJSON *p = model ? entry_for(model, num(e, "T")) : NULL;
            const cJSON *d = cJSON_GetObjectItemCaseSensitive(e, "default");
            double times[512];
            const int n = space_times(cache, m, num(e, "T"), num(e, "M"), times, 512), k = p ? (int)num(p, "measured") : 0;
            CHECK(p && d && n == num(e, "space") && n == num(p, "space"), "%s %s T=%g: the space is %d here, %g in the tune",
                  m->cache, m->direction, num(e, "T"), n, num(e, "space"));
            if (!p || !d || n != num(e, "space") || k < 1)
                continue;
            const double best = num(e, "time_s"), regret = num(p, "time_s") / best - 1;
            const double random = random_expected_best(times, n, k, num(d, "time_s")) / best - 1;
            printf("model vs random: %-19s %s T=%-4g space %3d measured %3d: model %+.3f %%, random %+.3f %%\n",
                   m->cache, m->direction, num(e, "T"), n, k, 100 * regret, 100 * random);
            CHECK(4 * k <= n, "%s %s T=%g: the model measured %d of %d", m->cache, m->direction, num(e, "T"), k, n);
            CHECK(regret <= 0.03, "%s %s T=%g: the model's best is %.2f %% off exhaustive's", m->cache, m->direction,
                  num(e, "T"), 100 * regret);
            CHECK(regret < random, "%s %s T=%g: the model's best %.3f %% off, random's expected %.3f %% at %d of %d",
                  m->cache, m->direction, num(e, "T"), 100 * regret, 100 * random, k, n);
        }
        sf_tuning_free(ex), sf_tuning_free(model);
    }
}

/* A cache cut short mid-line (a killed tune) still replays; a broken line before the end does not. */
static void test_damaged_cache(const char *cache)
{
    FILE *in = fopen(cache, "r"), *cut = fopen(path_of("cut.jsonl"), "w"), *bad = fopen(path_of("bad.jsonl"), "w");
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, in)) {
        fputs(line, cut);
        fputs(n == 3 ? "{\"record\": \"eval\", \"dev\n" : line, bad);
        ++n;
    }
    fputs("{\"record\":\"eval\",\"device_key\":\"f9", cut);
    fclose(in), fclose(cut), fclose(bad);
    char args[16384];
    snprintf(args, sizeof args, REPLAY, path_of("cut.jsonl"), path_of("cut.json"));
    CHECK(sf_test_sh("%s", args) == 0 && strstr(sf_test_slurp("stderr"), "cut short"), "cut cache: %s",
          sf_test_slurp("stderr"));
    snprintf(args, sizeof args, REPLAY, path_of("bad.jsonl"), path_of("bad.json"));
    CHECK(sf_test_sh("%s", args) == 1 && strstr(sf_test_slurp("stderr"), "line 4"), "broken cache: %s",
          sf_test_slurp("stderr"));
}

static cJSON *entry(const char *key, const char *arch, double T, double M, const char *kernel, int block, double t)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "device_key", key);
    cJSON_AddStringToObject(e, "arch", arch);
    cJSON_AddStringToObject(e, "backend", "cpu");
    cJSON_AddStringToObject(e, "family", "fused");
    cJSON_AddStringToObject(e, "direction", "fwd");
    cJSON_AddStringToObject(e, "form", "train");
    cJSON_AddStringToObject(e, "dtype", "f32");
    cJSON_AddNumberToObject(e, "T", T);
    cJSON_AddNumberToObject(e, "M", M);
    cJSON_AddNumberToObject(e, "T_bucket", sf_log2_bucket((int64_t)T));
    cJSON_AddNumberToObject(e, "M_bucket", sf_log2_bucket((int64_t)M));
    cJSON_AddNumberToObject(e, "time_s", t);
    cJSON *b = cJSON_AddObjectToObject(e, "best");
    cJSON_AddStringToObject(b, "kernel", kernel);
    cJSON_AddNumberToObject(b, "block", block);
    cJSON_AddNumberToObject(b, "threads", 2);
    return e;
}

static void test_lookup_levels(void)
{
    sf_tuning_db *db = sf_tuning_new();
    CHECK_OK(sf_tuning_put(db, entry("aaaaaaaaaaaaaaaa", "cpu-x", 128, 1 << 20, "fused_fwd_train_f32_v4_n2_u1", 64, 1e-3)));
    CHECK_OK(sf_tuning_put(db, entry("aaaaaaaaaaaaaaaa", "cpu-x", 8, 1 << 10, "fused_fwd_train_f32_v1_n4_u1", 16, 1e-5)));
    CHECK_OK(sf_tuning_put(db, entry("bbbbbbbbbbbbbbbb", "cpu-y", 128, 1 << 20, "fused_fwd_train_f32_v2_n1_u1", 4, 1e-3)));
    sf_tuned t;
    CHECK_OK(sf_tuning_lookup(db, SF_BACKEND_CPU, "aaaaaaaaaaaaaaaa", "cpu-x", "fused", SF_FWD, NULL, NULL, 120,
                              1000000, &t));
    CHECK(t.level == SF_LOOKUP_EXACT && t.launch.block == 64, "exact: %s block %d", sf_lookup_level_name(t.level),
          t.launch.block);
    CHECK_OK(sf_tuning_lookup(db, SF_BACKEND_CPU, "aaaaaaaaaaaaaaaa", "cpu-x", "fused", SF_FWD, NULL, NULL, 16, 4096, &t));
    CHECK(t.level == SF_LOOKUP_NEAREST && t.launch.block == 16 && t.T == 8, "nearest: %s T=%lld",
          sf_lookup_level_name(t.level), (long long)t.T);
    CHECK_OK(sf_tuning_lookup(db, SF_BACKEND_CPU, "cccccccccccccccc", "cpu-y", "fused", SF_FWD, NULL, NULL, 64,
                              1 << 20, &t));
    CHECK(t.level == SF_LOOKUP_ARCH && t.launch.block == 4, "arch: %s", sf_lookup_level_name(t.level));
    CHECK_OK(sf_tuning_lookup(db, SF_BACKEND_CPU, "cccccccccccccccc", "cpu-z", "fused", SF_FWD, NULL, NULL, 64,
                              1 << 20, &t));
    /* the CPU's default kernels carry their table's block: family-default */
    CHECK(t.level == SF_LOOKUP_FAMILY_DEFAULT && t.kernel == sf_kernel_default("fused", SF_FWD, NULL, SF_BACKEND_CPU) &&
              t.launch.block == t.kernel->default_block && t.launch.block > 0,
          "fallback: %s block %d", sf_lookup_level_name(t.level), t.launch.block);
    CHECK_OK(sf_tuning_lookup(NULL, SF_BACKEND_CPU, NULL, NULL, "step", SF_BWD, NULL, NULL, 64, 1 << 20, &t));
    CHECK(t.level == SF_LOOKUP_FAMILY_DEFAULT && strcmp(t.kernel->family, "step") == 0 && t.kernel->direction == SF_BWD,
          "no database: the default kernel");
    /* CUDA's (the paper's) leave the block to the occupancy API: heuristic */
    CHECK_OK(sf_tuning_lookup(NULL, SF_BACKEND_CUDA, NULL, NULL, "fused", SF_FWD, NULL, NULL, 64, 1 << 20, &t));
    CHECK(t.level == SF_LOOKUP_HEURISTIC && t.kernel == sf_kernel_default("fused", SF_FWD, NULL, SF_BACKEND_CUDA) &&
              t.launch.block == 0,
          "no database on CUDA: %s", sf_lookup_level_name(t.level));
    CHECK(sf_tuning_lookup(db, SF_BACKEND_CPU, NULL, NULL, "lava", SF_FWD, NULL, NULL, 8, 8, &t) == SF_ERR_INVALID,
          "unknown family looked up");

    /* the override wins over everything; a broken override is an error, not a silent fallback */
    sf_tuning_db *o = sf_tuning_new();
    CHECK_OK(sf_tuning_put(o, entry("aaaaaaaaaaaaaaaa", "cpu-x", 2, 2, "fused_fwd_train_f32_v4_n1_u1", 1024, 1.0)));
    CHECK_OK(sf_tuning_save(o, path_of("override.json")));
    setenv("SPIKEFUSE_TUNING_OVERRIDE", path_of("override.json"), 1);
    CHECK_OK(sf_tuning_lookup(db, SF_BACKEND_CPU, "aaaaaaaaaaaaaaaa", "cpu-x", "fused", SF_FWD, NULL, NULL, 128,
                              1 << 20, &t));
    CHECK(t.level == SF_LOOKUP_OVERRIDE && t.launch.block == 1024, "override: %s", sf_lookup_level_name(t.level));
    FILE *f = fopen(path_of("broken.json"), "w");
    fputs("{\"schema\": \"spikefuse.tuning\", \"schema_version\": 1, \"entries\": [", f);
    fclose(f);
    setenv("SPIKEFUSE_TUNING_OVERRIDE", path_of("broken.json"), 1);
    CHECK(sf_tuning_lookup(db, SF_BACKEND_CPU, NULL, NULL, "fused", SF_FWD, NULL, NULL, 8, 8, &t) == SF_ERR_IO &&
              strstr(sf_last_error(), "SPIKEFUSE_TUNING_OVERRIDE"),
          "broken override: %s", sf_last_error());
    unsetenv("SPIKEFUSE_TUNING_OVERRIDE");

    /* merge: union of keys, the faster of a shared key */
    sf_tuning_db *m = sf_tuning_new();
    CHECK_OK(sf_tuning_put(m, entry("aaaaaaaaaaaaaaaa", "cpu-x", 128, 1 << 20, "fused_fwd_train_f32_v1_n1_u1", 8, 5e-4)));
    CHECK_OK(sf_tuning_put(m, entry("dddddddddddddddd", "cpu-x", 8, 8, "fused_fwd_train_f32_v1_n1_u1", 8, 5e-4)));
    CHECK_OK(sf_tuning_merge(db, m));
    CHECK(sf_tuning_count(db) == 4, "merged: %d entries, want 4", sf_tuning_count(db));
    CHECK_OK(sf_tuning_lookup(db, SF_BACKEND_CPU, "aaaaaaaaaaaaaaaa", "cpu-x", "fused", SF_FWD, NULL, NULL, 128,
                              1 << 20, &t));
    CHECK(t.launch.block == 8 && t.time_s == 5e-4, "merge kept the slower entry");

    /* save, reload, emit a header */
    CHECK_OK(sf_tuning_save(db, path_of("db.json")));
    sf_tuning_db *again = NULL;
    CHECK_OK(sf_tuning_load(path_of("db.json"), &again));
    CHECK(again && sf_tuning_count(again) == 4, "reloaded");
    CHECK_OK(sf_tuning_emit_header(db, path_of("tuned.h")));
    const char *h = sf_test_slurp("tuned.h");
    CHECK(strstr(h, "sf_tuned_table") && strstr(h, "fused_fwd_train_f32_v2_n1_u1") && strstr(h, "sf_tuned_find"),
          "header lacks the table");
    sf_tuning_free(again), sf_tuning_free(m), sf_tuning_free(o), sf_tuning_free(db);
}

/* Spike storage is part of an entry's key; a caller names the storages it accepts and gets the fastest
 * of the best level among them, or the default kernel at the first accepted storage that has it. */
static void test_storages(void)
{
    const char *key = "aaaaaaaaaaaaaaaa";
    sf_tuning_db *db = sf_tuning_new();
    CHECK_OK(sf_tuning_put(db, entry(key, "cpu-x", 128, 1 << 20, "fused_fwd_train_f32_v4_n1_u1", 64, 1e-3)));
    cJSON *u8 = entry(key, "cpu-x", 128, 1 << 20, "fused_fwd_train_f32_yu8_v4_n1_u1", 32, 8e-4);
    cJSON_AddStringToObject(u8, "spikes", "u8");
    CHECK_OK(sf_tuning_put(db, u8));
    CHECK(sf_tuning_count(db) == 2, "an f32 and a u8 entry of one size are two keys: %d", sf_tuning_count(db));
    sf_tuned t;
    CHECK_OK(sf_tuning_lookup(db, SF_BACKEND_CPU, key, "cpu-x", "fused", SF_FWD, NULL, "f32", 128, 1 << 20, &t));
    CHECK(t.launch.block == 64 && !strstr(t.kernel->name, "_yu8"), "f32 asked, %s answered", t.kernel->name);
    CHECK_OK(sf_tuning_lookup(db, SF_BACKEND_CPU, key, "cpu-x", "fused", SF_FWD, NULL, "f32_yu8", 128, 1 << 20, &t));
    CHECK(t.launch.block == 32 && strstr(t.kernel->name, "_yu8"), "f32_yu8 asked, %s answered", t.kernel->name);
    CHECK_OK(sf_tuning_lookup(db, SF_BACKEND_CPU, key, "cpu-x", "fused", SF_FWD, NULL, "f32,f32_yu8", 128, 1 << 20, &t));
    CHECK(t.time_s == 8e-4, "either accepted: the faster (u8) must answer, %s did", t.kernel->name);
    CHECK_OK(sf_tuning_lookup(db, SF_BACKEND_CPU, "cccccccccccccccc", "cpu-z", "fused", SF_FWD, NULL, "f32_yu8", 8, 8, &t));
    CHECK(t.level == SF_LOOKUP_FAMILY_DEFAULT &&
              t.kernel == sf_kernel_with_storage(sf_kernel_default("fused", SF_FWD, NULL, SF_BACKEND_CPU), NULL, "u8") &&
              strstr(t.kernel->name, "_yu8"),
          "no entry: the default's u8 variant, not %s", t.kernel->name);
    CHECK(sf_tuning_lookup(db, SF_BACKEND_CPU, key, "cpu-x", "fused", SF_FWD, NULL, "f32_yu4", 8, 8, &t) ==
                  SF_ERR_INVALID &&
              strstr(sf_last_error(), "stores"),
          "a storage no kernel has: %s", sf_last_error());
    CHECK(sf_tuning_lookup(db, SF_BACKEND_CPU, key, "cpu-x", "fused", SF_FWD, NULL, ",", 8, 8, &t) == SF_ERR_INVALID,
          "an empty storage list");
    CHECK_OK(sf_tuning_emit_header(db, path_of("tuned-storage.h")));
    CHECK(strstr(sf_test_slurp("tuned-storage.h"), "\"f32_yu8\""), "the header names the u8 entry's storage");
    sf_tuning_free(db);

    /* the tuner: one entry per storage it is given, measured on this CPU; the lookup compares them */
    CHECK(sf_test_sh("tune --family fused -a T=4 -a N=4096 -a vec=[4] -a npt=[1] -a unroll=[1] -a block=[16,256] "
                     "-a spikes=[f32,u8] --min-time 0.01 --timeout 0.5 --db %s",
                     path_of("storage.json")) == 0,
          "tune -a spikes: %s", sf_test_slurp("stderr"));
    sf_tuning_db *tuned = NULL;
    CHECK_OK(sf_tuning_load(path_of("storage.json"), &tuned));
    int f32 = 0, yu8 = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, sf_tuning_entries(tuned))
    {
        const char *k = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(e, "best"), "kernel")->valuestring;
        const char *sp = cJSON_GetObjectItemCaseSensitive(e, "spikes")->valuestring;
        f32 += !strcmp(sp, "f32") && !strstr(k, "_yu8");
        yu8 += !strcmp(sp, "u8") && strstr(k, "_yu8") != NULL;
    }
    CHECK(f32 == 1 && yu8 == 1, "tuned entries: %d f32, %d u8", f32, yu8);
    sf_tuning_free(tuned);
    CHECK(sf_test_sh("tune --lookup --family fused --T 4 --M 4096 --storage f32_yu8 --db %s", path_of("storage.json")) == 0 &&
              strstr(sf_test_slurp("stdout"), "_yu8_") && strstr(sf_test_slurp("stdout"), "level exact"),
          "lookup of the u8 entry: %s%s", sf_test_slurp("stdout"), sf_test_slurp("stderr"));
    CHECK(sf_test_sh("tune --family fused -a spikes=u4 --db %s", path_of("never.json")) == 2, "tune -a spikes=u4");

    /* dtype: one entry per storage; bf16's spikes default to its u8; the lookup serves the precision its
     * caller accepts, and the faster of several */
    CHECK(sf_test_sh("tune --family fused -a T=4 -a N=4096 -a vec=[16] -a block=[128] -a dtype=[f32,bf16] "
                     "--min-time 0.01 --timeout 0.5 --db %s",
                     path_of("dtype.json")) == 0,
          "tune -a dtype: %s", sf_test_slurp("stderr"));
    CHECK_OK(sf_tuning_load(path_of("dtype.json"), &tuned));
    int bf16 = 0, plain = 0;
    cJSON_ArrayForEach(e, sf_tuning_entries(tuned))
    {
        const char *k = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(e, "best"), "kernel")->valuestring;
        const char *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype")->valuestring;
        const char *sp = cJSON_GetObjectItemCaseSensitive(e, "spikes")->valuestring;
        bf16 += !strcmp(dt, "bf16") && !strcmp(sp, "u8") && strstr(k, "_bf16_yu8_") != NULL;
        plain += !strcmp(dt, "f32") && !strcmp(sp, "f32") && strstr(k, "_f32_v") != NULL;
    }
    CHECK(bf16 == 1 && plain == 1, "tuned entries: %d bf16, %d f32", bf16, plain);
    sf_tuning_free(tuned);
    CHECK(sf_test_sh("tune --lookup --family fused --T 4 --M 4096 --storage bf16_yu8 --db %s", path_of("dtype.json")) == 0 &&
              strstr(sf_test_slurp("stdout"), "_bf16_yu8_") && strstr(sf_test_slurp("stdout"), "level exact"),
          "lookup of the bf16 entry: %s%s", sf_test_slurp("stdout"), sf_test_slurp("stderr"));
    CHECK(sf_test_sh("tune --lookup --family fused --T 4 --M 4096 --storage f32 --db %s", path_of("dtype.json")) == 0 &&
              strstr(sf_test_slurp("stdout"), "_f32_v") && !strstr(sf_test_slurp("stdout"), "bf16"),
          "an fp32 caller never gets bf16: %s", sf_test_slurp("stdout"));
    CHECK(sf_test_sh("tune --family fused -a dtype=fp8 --db %s", path_of("never.json")) == 2, "tune -a dtype=fp8");
}

/* The forms that keep checkpoints: -a chunk keeps only kernels of those chunks, the entry records the
 * chunk, and the default (another chunk) is measured beside them but cannot win: a chunk is what forward
 * keeps for backward, not a speed knob. Real CPU tunes, one candidate each. */
static void test_checkpoint_forms(void)
{
    const char *forms[][3] = {{"fwd", "ckpt", "-a spikes=b1"}, {"bwd", "grad_ckpt", ""}};
    for (int i = 0; i < 2; ++i) {
        char db[4096];
        snprintf(db, sizeof db, "%s", path_of(i ? "grad_ckpt.json" : "ckpt.json"));
        remove(db);
        CHECK(sf_test_sh("tune --family fused --direction %s --form %s %s -a T=20 -a N=4096 -a vec=[1] -a chunk=[8] "
                         "-a block=[128] --min-time 0.01 --timeout 0.5 --db %s",
                         forms[i][0], forms[i][1], forms[i][2], db) == 0,
              "tune --form %s: %s", forms[i][1], sf_test_slurp("stderr"));
        sf_tuning_db *tuned = NULL;
        CHECK_OK(sf_tuning_load(db, &tuned));
        CHECK(sf_tuning_count(tuned) == 1, "tune --form %s: %d entries", forms[i][1], sf_tuning_count(tuned));
        const cJSON *e = cJSON_GetArrayItem(sf_tuning_entries(tuned), 0);
        const cJSON *best = cJSON_GetObjectItemCaseSensitive(e, "best"),
                    *dflt = cJSON_GetObjectItemCaseSensitive(e, "default");
        const cJSON *kernel = cJSON_GetObjectItemCaseSensitive(best, "kernel"),
                    *chunk = cJSON_GetObjectItemCaseSensitive(best, "chunk"),
                    *form = cJSON_GetObjectItemCaseSensitive(e, "form");
        const sf_kernel *k = cJSON_IsString(kernel) ? sf_kernel_find(kernel->valuestring) : NULL;
        CHECK(k && strcmp(k->form, forms[i][1]) == 0 && k->chunk == 8 && cJSON_IsNumber(chunk) &&
                  chunk->valueint == 8 && cJSON_IsString(form) && strcmp(form->valuestring, forms[i][1]) == 0,
              "tune --form %s -a chunk=[8]: best %s, chunk %g", forms[i][1], k ? k->name : "?",
              cJSON_IsNumber(chunk) ? chunk->valuedouble : -1);
        const cJSON *dchunk = cJSON_GetObjectItemCaseSensitive(dflt, "chunk");
        CHECK(cJSON_IsNumber(dchunk) && dchunk->valueint == 16, "tune --form %s: the default's chunk is not 16",
              forms[i][1]);
        sf_tuning_free(tuned);
        CHECK(sf_test_sh("tune --lookup --family fused --direction %s --form %s --T 20 --M 4096 --storage %s --db %s",
                         forms[i][0], forms[i][1], i ? "f32" : "f32_yb1", db) == 0 &&
                  strstr(sf_test_slurp("stdout"), "_c8 ") && strstr(sf_test_slurp("stdout"), "level exact"),
              "lookup of the %s entry: %s%s", forms[i][1], sf_test_slurp("stdout"), sf_test_slurp("stderr"));
    }
    CHECK(sf_test_sh("tune --family fused -a T=4 -a N=64 -a chunk=[8] --db %s", path_of("never.json")) == 1 &&
              strstr(sf_test_slurp("stderr"), "-a chunk applies"),
          "-a chunk on form train: %s", sf_test_slurp("stderr"));
    CHECK(sf_test_sh("tune --help") == 0 && strstr(sf_test_slurp("stdout"), "-a chunk") &&
              strstr(sf_test_slurp("stdout"), "grad_ckpt"),
          "tune --help says nothing of chunk: %s", sf_test_slurp("stdout"));
}

/* -a stage: the search holds the kernels that stage so many steps, and the default beside them (staging
 * is a speed knob: the default may win); entries record the stage; a stage no kernel has is refused. A
 * real CPU tune. */
static void test_stage_axis(void)
{
    remove(path_of("stage.json"));
    remove(path_of("stage.jsonl"));
    CHECK(sf_test_sh("tune --family fused -a T=20 -a N=4096 -a vec=[1] -a npt=[1] -a unroll=[1] -a stage=[8] "
                     "-a block=[128] --min-time 0.01 --timeout 0.5 --db %s --cache %s",
                     path_of("stage.json"), path_of("stage.jsonl")) == 0,
          "tune -a stage=[8]: %s", sf_test_slurp("stderr"));
    const char *cache = sf_test_slurp("stage.jsonl");
    const sf_kernel *dflt = sf_kernel_default("fused", SF_FWD, "train", SF_BACKEND_CPU);
    int others = 0;
    for (const char *at = cache; (at = strstr(at, "\"kernel\":\"")) != NULL; ++at) {
        const char *name = at + strlen("\"kernel\":\"");
        others += strncmp(name, "fused_fwd_train_f32_v1_n1_u1_s8_b256\"", 37) != 0 &&
                  strncmp(name, dflt->name, strlen(dflt->name)) != 0;
    }
    CHECK(strstr(cache, "fused_fwd_train_f32_v1_n1_u1_s8_b256") && others == 0,
          "tune -a stage=[8] measured other kernels: %s", cache);
    sf_tuning_db *tuned = NULL;
    CHECK_OK(sf_tuning_load(path_of("stage.json"), &tuned));
    const cJSON *best = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(sf_tuning_entries(tuned), 0), "best");
    const cJSON *stage = cJSON_GetObjectItemCaseSensitive(best, "stage");
    const cJSON *kernel = cJSON_GetObjectItemCaseSensitive(best, "kernel");
    const sf_kernel *k = cJSON_IsString(kernel) ? sf_kernel_find(kernel->valuestring) : NULL;
    CHECK(k && cJSON_IsNumber(stage) && stage->valueint == k->stage, "tune -a stage: the entry's stage");
    sf_tuning_free(tuned);
    CHECK(sf_test_sh("tune --family fused --direction bwd -a T=4 -a N=64 -a stage=[16] --db %s", path_of("never.json")) == 1 &&
              strstr(sf_test_slurp("stderr"), "satisfies the constraints"),
          "-a stage=[16] on a backward (none stages 16 steps): %s", sf_test_slurp("stderr"));
}

static void refused_db(const char *name, const char *text, const char *expect)
{
    FILE *f = fopen(path_of(name), "w");
    fputs(text, f);
    fclose(f);
    sf_tuning_db *db = NULL;
    CHECK(sf_tuning_load(path_of(name), &db) == SF_ERR_IO && db == NULL, "%s accepted", name);
    CHECK(strstr(sf_last_error(), expect) != NULL, "%s: '%s' lacks '%s'", name, sf_last_error(), expect);
}

static void test_bad_databases(void)
{
    refused_db("trunc.json", "{\"schema\": \"spikefuse.tuning\", \"schema_version\": 1, \"entries\": [{\"dev", "malformed");
    refused_db("other.json", "{\"schema\": \"spikefuse.sweep\", \"schema_version\": 1, \"states\": []}", "not a spikefuse tuning");
    refused_db("newer.json", "{\"schema\": \"spikefuse.tuning\", \"schema_version\": 99, \"entries\": []}", "newer");
    refused_db("noentry.json", "{\"schema\": \"spikefuse.tuning\", \"schema_version\": 1}", "entries");
    refused_db("field.json",
               "{\"schema\": \"spikefuse.tuning\", \"schema_version\": 1, \"entries\": [{\"device_key\": \"a\", "
               "\"arch\": \"x\", \"backend\": \"cpu\", \"family\": \"fused\", \"direction\": \"fwd\", \"form\": "
               "\"train\", \"dtype\": \"f32\", \"T\": 8, \"M\": 8, \"T_bucket\": 3, \"M_bucket\": 3, \"time_s\": 1}]}",
               "best");
    /* a database or cache that cannot be written is refused before anything is measured */
    CHECK(sf_test_sh("tune --family fused --backend cpu -a T=2 -a N=64 --db /no-such-folder/db.json") == 1 &&
              strstr(sf_test_slurp("stderr"), "cannot write into /no-such-folder") &&
              !strstr(sf_test_slurp("stderr"), " ok "),
          "unwritable --db: %s", sf_test_slurp("stderr"));
    CHECK(sf_test_sh("tune --family fused --backend cpu -a T=2 -a N=64 --db %s --cache /no-such-folder/c.jsonl",
                     path_of("never.json")) == 1 &&
              strstr(sf_test_slurp("stderr"), "cannot write into /no-such-folder"),
          "unwritable --cache: %s", sf_test_slurp("stderr"));
    /* the atomic write leaves no temporary file behind */
    sf_tuning_db *db = sf_tuning_new();
    CHECK_OK(sf_tuning_save(db, path_of("empty.json")));
    sf_tuning_free(db);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -q tmp", dir);
    CHECK(system(cmd) != 0, "a temporary file was left behind");
    CHECK(sf_test_sh("tune --lookup --db %s --family nope --direction fwd --T 8 --M 8", path_of("empty.json")) == 2 &&
              strstr(sf_test_slurp("stderr"), "no kernel of family 'nope'"),
          "lookup of an unknown family: %s", sf_test_slurp("stderr"));
}

/* A heat map of a cache with more blocks than the plot table holds (64): the rest are left out, and said,
 * rather than written through an index of -1. */
static void test_heatmap_overflow(void)
{
    FILE *f = fopen(path_of("wide.jsonl"), "w");
    CHECK(f != NULL, "cannot write wide.jsonl");
    if (!f)
        return;
    fputs("{\"record\":\"device\",\"device_key\":\"aaaaaaaaaaaaaaaa\",\"device\":\"x\",\"arch\":\"x\",\"backend\":\"cpu\"}\n", f);
    for (int b = 1; b <= 70; ++b)
        fprintf(f,
                "{\"record\":\"eval\",\"device_key\":\"aaaaaaaaaaaaaaaa\",\"kernel\":\"fused_fwd_train_f32_v1_n1_u1\","
                "\"block\":%d,\"threads\":2,\"T\":4,\"M\":4096,\"default\":false,\"status\":\"ok\",\"mismatches\":0,"
                "\"median_s\":%g}\n",
                b, 1e-4 * b);
    fclose(f);
    char dat[4200];
    snprintf(dat, sizeof dat, "%s/wide-dat", dir);
    mkdir(dat, 0777);
    CHECK(sf_test_sh("report %s --dat %s", path_of("wide.jsonl"), dat) == 0 && strstr(sf_test_slurp("stderr"), "left out"),
          "a cache of 70 blocks: %s", sf_test_slurp("stderr"));
}

int main(int argc, char **argv)
{
    if (argc != 5)
        return 2;
    snprintf(data, sizeof data, "%s", argv[3]);
    snprintf(dir, sizeof dir, "%s", argv[4]);
    sf_test_cli_init(argv[1], dir);
    char cache[4096];
    snprintf(cache, sizeof cache, "%s/tune-cpu.jsonl", data);
    const char *outputs[] = {"ex.json",  "rnd.json", "model.json", "miss.json",  "cut.json",
                             "bad.json", "db.json",  "storage.json"};
    for (size_t i = 0; i < sizeof outputs / sizeof *outputs; ++i)
        remove(path_of(outputs[i]));
    test_replay(cache);
    test_model_on_recorded_caches();
    test_damaged_cache(cache);
    test_lookup_levels();
    test_storages();
    test_checkpoint_forms();
    test_stage_axis();
    test_bad_databases();
    test_heatmap_overflow();
    /* the example program, as another program would link and use the library */
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' --db '%s' --T 4 --M 4096 > '%s/example.out' 2>&1", argv[2], path_of("ex.json"), dir);
    (void)!system(cmd);
    const char *out = sf_test_slurp("example.out");
    /* the recorded cache's device is not this one unless it is the same machine: exact, nearest or arch */
    CHECK(strstr(out, "ran fused_fwd_train") && strstr(out, "lookup level"), "example: %s", out);
    return sf_test_summary();
}
