/* spikefuse tune: best launch configurations per device into a tuning database; also lookups, merges
 * and the compiled-in header, so that every use of the database is a command. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "options.h"
#include "tuning.h"

static const char help[] =
    "usage: spikefuse tune --family F [--direction fwd|bwd] [--form FORM] [--backend cpu|cuda]\n"
    "                      --db tuning.json [--cache tune.jsonl | --replay tune.jsonl]\n"
    "                      [--strategy exhaustive|random|model] [--budget N] [--seed S]\n"
    "                      [-a T=[32,128]] [-a N=2^20] [-a B=1] [-a block=[...]] [-a threads=[...]]\n"
    "                      [-a vec=[...]] [-a npt=[...]] [-a unroll=[...]] [-a prefetch=[...]] [-a chunk=[...]]\n"
    "                      [-a stage=[...]]\n"
    "                      (only kernels with these knobs; chunk: forms ckpt and grad_ckpt)\n"
    "                      [-a dtype=f32,bf16,f16] [-a spikes=f32,u8]   (storages: one entry each, the\n"
    "                      lookup chooses among those its caller accepts; spikes default: the dtype's)\n"
    "       spikefuse tune --lookup --db tuning.json --family F [--direction D] [--backend B] --T T --M M\n"
    "                      [--storage f32|f32_yu8|bf16_yu8|f32,bf16_yu8]\n"
    "                      [--device-key KEY --arch ARCH]\n"
    "       spikefuse tune --merge OUT.json IN.json...\n"
    "       spikefuse tune --emit-header tuned.h --db tuning.json\n"
    "Searches each problem size's knob space (the family's registered kernels x blocks x CPU threads, filtered\n"
    "by constraints), verifies every candidate against the float64 reference, measures it with the\n"
    "harness, and records the best, the configs within 3 %, and the default config's time. Every\n"
    "evaluation is appended to the cache as it finishes: re-running resumes; --replay answers from a cache\n"
    "with no device, searching the kernels it recorded (not those registered since). model: an analytic model ranks the space and measures a quarter of it (or --budget):\n"
    "first, for half of that, each kernel's best-predicted config; kernels that measured more than 3 %\n"
    "slower than the fastest are then dropped, and the rest of the budget follows the model's ranking.\n"
    "Forms: fwd train (default), infer, segment, ckpt (spikes and an fp32 v checkpoint every chunk steps);\n"
    "bwd grad (default), grad_h (v alone, the spikes recomputed), grad_ckpt (each chunk replayed from x and\n"
    "its checkpoint). A form's entry is its own: tune ckpt and grad_ckpt apart.\n";

static int do_merge(int argc, char **argv, int first)
{
    if (first + 1 >= argc)
        return fail(SF_EXIT_USAGE, "tune --merge OUT.json IN.json...");
    sf_tuning_db *out = sf_tuning_new();
    for (int i = first + 1; i < argc; ++i) {
        sf_tuning_db *in = NULL;
        if (sf_tuning_load(argv[i], &in) != SF_OK || sf_tuning_merge(out, in) != SF_OK) {
            sf_tuning_free(in), sf_tuning_free(out);
            return fail(SF_EXIT_FAIL, "%s", sf_last_error());
        }
        sf_tuning_free(in);
    }
    const sf_status s = sf_tuning_save(out, argv[first]);
    printf("merged %d entries into %s\n", sf_tuning_count(out), argv[first]);
    sf_tuning_free(out);
    return s == SF_OK ? SF_EXIT_OK : fail(SF_EXIT_FAIL, "%s", sf_last_error());
}

/* The -a axes, parsed as given; each replaces the config's axis of its name. */
typedef struct tune_axes {
    sf_tune_config *c;
    sf_axis axes[16];
    int n;
} tune_axes;

static int take_axis(void *dest, const char *value)
{
    tune_axes *t = dest;
    char err[256];
    const int most = (int)(sizeof t->axes / sizeof t->axes[0]);
    if (t->n == most || sf_axis_parse(value, &t->axes[t->n], err, sizeof err) != 0)
        return fail(0, "tune: %s", t->n == most ? "too many axes" : err), 0;
    sf_axis *a = &t->axes[t->n++];
    sf_tune_config *c = t->c;
    sf_axis **slot = strcmp(a->name, "T") == 0         ? &c->T
                     : strcmp(a->name, "N") == 0       ? &c->N
                     : strcmp(a->name, "B") == 0       ? &c->B
                     : strcmp(a->name, "block") == 0   ? &c->block
                     : strcmp(a->name, "threads") == 0 ? &c->threads
                     : strcmp(a->name, "vec") == 0     ? &c->vec
                     : strcmp(a->name, "npt") == 0     ? &c->npt
                     : strcmp(a->name, "unroll") == 0  ? &c->unroll
                     : strcmp(a->name, "chunk") == 0   ? &c->chunk
                     : strcmp(a->name, "prefetch") == 0 ? &c->prefetch
                     : strcmp(a->name, "stage") == 0   ? &c->stage
                     : strcmp(a->name, "spikes") == 0  ? &c->spikes
                     : strcmp(a->name, "dtype") == 0   ? &c->dtype
                                                       : NULL;
    if (!slot)
        return fail(0, "tune: axis %s does not apply (T, N, B, block, threads, vec, npt, unroll, prefetch, stage, chunk, dtype, spikes)",
                    a->name), 0;
    sf_storage storage;
    for (int i = 0; slot == &c->dtype && i < a->count; ++i)
        if (sf_storage_parse(a->strings[i], &storage) != SF_OK)
            return fail(0, "tune: %s", sf_last_error()), 0;
    for (int i = 0; slot == &c->spikes && i < a->count; ++i)
        if (!sf_spikes_known(a->strings[i]))
            return fail(0, "tune: unknown spikes '%s' (f32, u8)", a->strings[i]), 0;
    *slot = a;
    return 1;
}

/* What the options ask for besides the search's config. */
typedef struct tune_request {
    const char *backend, *direction, *strategy, *header, *key, *arch, *storage;
    int lookup, merge_at;
    int64_t T, M, seed;
} tune_request;

/* Reads the options into c and q. Returns 1 to go on, 0 to stop with *code. */
static int configure_tune(sf_tune_config *c, tune_request *q, tune_axes *axes, int argc, char **argv, int *code)
{
    const opt_spec rows[] = {
        OPT_STRING_ROW("--family", &c->family, "F", "the family whose kernels are searched"),
        OPT_STRING_ROW("--direction", &q->direction, "fwd|bwd", "its direction"),
        OPT_STRING_ROW("--form", &c->form, "FORM",
                       "fwd train|infer|segment|ckpt, bwd grad|grad_h|grad_ckpt (default: train, grad)"),
        OPT_STRING_ROW("--backend", &q->backend, "cpu|cuda", "where to measure"),
        OPT_STRING_ROW("--db", &c->db_path, "FILE", "the tuning database"),
        OPT_STRING_ROW("--cache", &c->cache_path, "FILE", "every evaluation appended here; resumed from it"),
        OPT_STRING_ROW("--replay", &c->replay_path, "FILE", "answer from this cache, measuring nothing"),
        OPT_STRING_ROW("--strategy", &q->strategy, "NAME", "exhaustive, random or model"),
        OPT_INT_ROW("--budget", &c->budget, 1, 1 << 20, "N", "random: evaluations; model: candidates measured"),
        OPT_I64_ROW("--seed", &q->seed, 0, INT64_MAX, "S", "of the random strategy"),
        OPT_CALL_ROW("-a", axes, take_axis, "AXIS=VALUES", "sizes and knobs to search (repeatable)"),
        OPT_FLAG_ROW("--lookup", &q->lookup, 1, "look one size up instead of searching"),
        OPT_I64_ROW("--T", &q->T, 1, INT64_MAX, "T", "--lookup: time steps"),
        OPT_I64_ROW("--M", &q->M, 1, INT64_MAX, "M", "--lookup: neurons"),
        OPT_STRING_ROW("--device-key", &q->key, "KEY", "--lookup: the device's key (spikefuse device --key)"),
        OPT_STRING_ROW("--arch", &q->arch, "ARCH", "--lookup: the device's architecture"),
        OPT_STRING_ROW("--storage", &q->storage, "LIST", "--lookup: storages accepted: f32, f32_yu8, or both comma-separated"),
        OPT_STOP_ROW("--merge", &q->merge_at, "OUT IN...", "merge databases IN into OUT; the rest are files"),
        OPT_STRING_ROW("--emit-header", &q->header, "FILE.h", "the database as the compiled-in header"),
        OPT_STOP_RULE_ROWS(&c->measure.rule),
        OPT_LIF_ROWS(&c->params, NULL),
        OPT_END_ROW,
    };
    const opt_command cmd = {.name = "tune", .rows = rows, .help = help};
    if (!opt_parse(&cmd, argc, argv, code))
        return 0;
    if (q->merge_at) { /* the files after --merge are not options */
        *code = do_merge(argc, argv, q->merge_at);
        return 0;
    }
    c->seed = (uint64_t)q->seed;
    if (sf_backend_parse(q->backend, &c->backend) != SF_OK || sf_direction_parse(q->direction, &c->direction) != SF_OK ||
        sf_tune_strategy_parse(q->strategy, &c->strategy) != SF_OK || sf_lif_check(&c->params) != SF_OK) {
        *code = fail(SF_EXIT_USAGE, "tune: %s", sf_last_error());
        return 0;
    }
    return 1;
}

/* tune --lookup: the configuration the database answers for one problem size. */
static int do_lookup(const sf_tune_config *c, const tune_request *q)
{
    if (!q->T || !q->M)
        return fail(SF_EXIT_USAGE, "tune --lookup needs --T and --M");
    sf_tuning_db *db = NULL;
    if (c->db_path && sf_tuning_load(c->db_path, &db) != SF_OK)
        return fail(SF_EXIT_FAIL, "%s", sf_last_error());
    sf_tuned t;
    const sf_status s =
        sf_tuning_lookup(db, c->backend, q->key, q->arch, c->family, c->direction, c->form, q->storage, q->T, q->M, &t);
    sf_tuning_free(db);
    /* the database answers for every registered family: a failure names a bad one (or a combination
     * with no kernel, SF_ERR_INVALID, which sweeps skip rather than refuse: a usage error here too) */
    if (s != SF_OK)
        return fail(s == SF_ERR_INVALID ? SF_EXIT_USAGE : sf_exit_code(s), "tune --lookup: %s", sf_last_error());
    printf("%s block %d threads %d (level %s", t.kernel->name, t.launch.block, t.launch.cpu_threads,
           sf_lookup_level_name(t.level));
    if (t.time_s > 0)
        printf(": entry of device %s at T=%lld M=%lld, %.4g ms", t.device_key, (long long)t.T, (long long)t.M,
               1e3 * t.time_s);
    printf(")\n");
    return SF_EXIT_OK;
}

/* tune --emit-header: the database as the compiled-in header. */
static int emit_header(const char *db_path, const char *header)
{
    if (!db_path)
        return fail(SF_EXIT_USAGE, "tune --emit-header needs --db");
    sf_tuning_db *db = NULL;
    const int code = sf_tuning_load(db_path, &db) == SF_OK && sf_tuning_emit_header(db, header) == SF_OK
                         ? (printf("wrote %s (%d entries)\n", header, sf_tuning_count(db)), SF_EXIT_OK)
                         : fail(SF_EXIT_FAIL, "%s", sf_last_error());
    sf_tuning_free(db);
    return code;
}

/* What the parsed options ask for: the header, a lookup, or a search. */
static int tune_action(sf_tune_config *c, const tune_request *q)
{
    if (q->header)
        return emit_header(c->db_path, q->header);
    if (q->lookup)
        return do_lookup(c, q);
    if (c->cache_path && c->replay_path)
        return fail(SF_EXIT_USAGE, "tune: --cache and --replay exclude each other");
    const sf_status s = sf_tune_run(c);
    return s == SF_OK ? SF_EXIT_OK : fail(sf_exit_code(s), "tune: %s", sf_last_error());
}

int cmd_tune(int argc, char **argv)
{
    sf_tune_config c;
    sf_tune_config_init(&c);
    tune_request q = {"cpu", "fwd", "exhaustive", NULL, NULL, NULL, "f32", 0, 0, 0, 0, 1};
    tune_axes axes;
    memset(&axes, 0, sizeof axes);
    axes.c = &c;
    int code;
    if (configure_tune(&c, &q, &axes, argc, argv, &code))
        code = tune_action(&c, &q);
    for (int i = 0; i < axes.n; ++i)
        sf_axis_free(&axes.axes[i]);
    return code;
}
