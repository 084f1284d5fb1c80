/* spikefuse tune: best launch configurations per device into a tuning database; also lookups, merges
 * and the compiled-in header, so that every use of the database is a command. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "options.h"
#include "tuning.h"

static const char help[] =
    "usage: spikefuse tune --family F [--direction fwd|bwd] [--form train|infer|segment] [--backend cpu|cuda]\n"
    "                      --db tuning.json [--cache tune.jsonl | --replay tune.jsonl]\n"
    "                      [--strategy exhaustive|random|model] [--budget N] [--seed S]\n"
    "                      [-a T=[32,128]] [-a N=2^20] [-a B=1] [-a block=[...]] [-a threads=[...]]\n"
    "                      [-a vec=[...]] [-a npt=[...]] [-a unroll=[...]]   (only kernels with these knobs)\n"
    "       spikefuse tune --lookup --db tuning.json --family F [--direction D] [--backend B] --T T --M M\n"
    "                      [--device-key KEY --arch ARCH]\n"
    "       spikefuse tune --merge OUT.json IN.json...\n"
    "       spikefuse tune --emit-header tuned.h --db tuning.json\n"
    "Searches each problem size's knob space (the family's registered kernels x blocks x CPU threads, filtered\n"
    "by constraints), verifies every candidate against the float64 reference, measures it with the\n"
    "harness, and records the best, the configs within 3 %, and the default config's time. Every\n"
    "evaluation is appended to the cache as it finishes: re-running resumes; --replay answers from a cache\n"
    "with no device. model: an analytic model ranks the space and the best quarter (or --budget) is measured.\n"
    "Measurement: --min-samples 5 --min-time 0.05 --max-noise 0.01 --timeout 2 --max-samples 0\n";

static int do_lookup(const char *db_path, sf_backend be, const char *family, sf_direction d, const char *form,
                     int64_t T, int64_t M, const char *key, const char *arch)
{
    sf_tuning_db *db = NULL;
    if (db_path && sf_tuning_load(db_path, &db) != SF_OK)
        return fail(SF_EXIT_FAIL, "%s", sf_last_error());
    sf_tuned t;
    const sf_status s = sf_tuning_lookup(db, be, key, arch, family, d, form, "f32", T, M, &t);
    sf_tuning_free(db);
    if (s != SF_OK) /* the database answers for every registered family: a failure names a bad one */
        return fail(s == SF_ERR_INVALID ? SF_EXIT_USAGE : SF_EXIT_FAIL, "tune --lookup: %s", sf_last_error());
    printf("%s block %d threads %d (level %s", t.kernel->name, t.launch.block, t.launch.cpu_threads,
           sf_lookup_level_name(t.level));
    if (t.time_s > 0)
        printf(": entry of device %s at T=%lld M=%lld, %.4g ms", t.device_key, (long long)t.T, (long long)t.M,
               1e3 * t.time_s);
    printf(")\n");
    return SF_EXIT_OK;
}

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

int cmd_tune(int argc, char **argv)
{
    sf_tune_config c;
    sf_tune_config_init(&c);
    const char *backend = "cpu", *dir = "fwd", *strategy = "exhaustive", *header = NULL, *key = NULL, *arch = NULL, *v;
    int lookup = 0, code = SF_EXIT_USAGE;
    int64_t T = 0, M = 0, seed = 1;
    sf_axis axes[8];
    int n_axes = 0;
    memset(axes, 0, sizeof axes);
    for (int i = 0; i < argc; ++i) {
        int matched;
        if (opt_flag(argv, i, "--help"))
            return fputs(help, stdout), SF_EXIT_OK;
        if (opt_flag(argv, i, "--merge"))
            return do_merge(argc, argv, i + 1);
        if (!opt_lif(argc, argv, &i, &c.params, &matched))
            goto out;
        if (matched)
            continue;
        if (opt_flag(argv, i, "--lookup")) {
            lookup = 1;
        } else if (opt_value(argc, argv, &i, "-a", &v)) {
            char err[256];
            if (n_axes == 8 || sf_axis_parse(v, &axes[n_axes], err, sizeof err) != 0) {
                fail(SF_EXIT_USAGE, "tune: %s", n_axes == 8 ? "too many axes" : err);
                goto out;
            }
            sf_axis *a = &axes[n_axes++];
            sf_axis **slot = strcmp(a->name, "T") == 0         ? &c.T
                             : strcmp(a->name, "N") == 0       ? &c.N
                             : strcmp(a->name, "B") == 0       ? &c.B
                             : strcmp(a->name, "block") == 0   ? &c.block
                             : strcmp(a->name, "threads") == 0 ? &c.threads
                             : strcmp(a->name, "vec") == 0     ? &c.vec
                             : strcmp(a->name, "npt") == 0     ? &c.npt
                             : strcmp(a->name, "unroll") == 0  ? &c.unroll
                                                               : NULL;
            if (!slot) {
                fail(SF_EXIT_USAGE, "tune: axis %s does not apply (T, N, B, block, threads, vec, npt, unroll)", a->name);
                goto out;
            }
            *slot = a;
        } else if (opt_value(argc, argv, &i, "--family", &c.family) || opt_value(argc, argv, &i, "--form", &c.form) ||
                   opt_value(argc, argv, &i, "--direction", &dir) || opt_value(argc, argv, &i, "--backend", &backend) ||
                   opt_value(argc, argv, &i, "--db", &c.db_path) || opt_value(argc, argv, &i, "--cache", &c.cache_path) ||
                   opt_value(argc, argv, &i, "--replay", &c.replay_path) ||
                   opt_value(argc, argv, &i, "--strategy", &strategy) ||
                   opt_value(argc, argv, &i, "--emit-header", &header) ||
                   opt_value(argc, argv, &i, "--device-key", &key) || opt_value(argc, argv, &i, "--arch", &arch)) {
        } else if (opt_value(argc, argv, &i, "--budget", &v)) {
            if (!parse_int("--budget", v, 1, 1 << 20, &c.budget))
                goto out;
        } else if (opt_value(argc, argv, &i, "--seed", &v)) {
            if (!parse_i64("--seed", v, 0, INT64_MAX, &seed))
                goto out;
        } else if (opt_value(argc, argv, &i, "--T", &v)) {
            if (!parse_i64("--T", v, 1, INT64_MAX, &T))
                goto out;
        } else if (opt_value(argc, argv, &i, "--M", &v)) {
            if (!parse_i64("--M", v, 1, INT64_MAX, &M))
                goto out;
        } else {
            int hit = 0;
            if (!opt_stop_rule(argc, argv, &i, &c.measure.rule, NULL, &hit))
                goto out;
            if (!hit) {
                fail(SF_EXIT_USAGE, "tune: unknown option '%s' (spikefuse tune --help)", argv[i]);
                goto out;
            }
        }
    }
    c.seed = (uint64_t)seed;
    if (sf_backend_parse(backend, &c.backend) != SF_OK || sf_direction_parse(dir, &c.direction) != SF_OK ||
        sf_tune_strategy_parse(strategy, &c.strategy) != SF_OK || sf_lif_check(&c.params) != SF_OK) {
        fail(SF_EXIT_USAGE, "tune: %s", sf_last_error());
        goto out;
    }
    if (header) {
        sf_tuning_db *db = NULL;
        if (!c.db_path) {
            fail(SF_EXIT_USAGE, "tune --emit-header needs --db");
            goto out;
        }
        code = sf_tuning_load(c.db_path, &db) == SF_OK && sf_tuning_emit_header(db, header) == SF_OK
                   ? (printf("wrote %s (%d entries)\n", header, sf_tuning_count(db)), SF_EXIT_OK)
                   : fail(SF_EXIT_FAIL, "%s", sf_last_error());
        sf_tuning_free(db);
        goto out;
    }
    if (lookup) {
        code = T && M ? do_lookup(c.db_path, c.backend, c.family, c.direction, c.form, T, M, key, arch)
                      : fail(SF_EXIT_USAGE, "tune --lookup needs --T and --M");
        goto out;
    }
    if (c.cache_path && c.replay_path) {
        fail(SF_EXIT_USAGE, "tune: --cache and --replay exclude each other");
        goto out;
    }
    const sf_status s = sf_tune_run(&c);
    code = s == SF_OK ? SF_EXIT_OK
                      : fail(sf_exit_code(s), "tune: %s", sf_last_error());
out:
    for (int i = 0; i < n_axes; ++i)
        sf_axis_free(&axes[i]);
    return code;
}
