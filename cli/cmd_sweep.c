/* spikefuse sweep: measure the cartesian product of axes; spikefuse report: re-render a results file. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "options.h"
#include "sweep.h"

static const char sweep_help[] =
    "usage: spikefuse sweep [--preset NAME|FILE.json] [-a AXIS=VALUES]... [--backend cpu|cuda] --out FILE.json\n"
    "                       [--csv FILE] [--md FILE] [--reference-family eager]\n"
    "Axes (-a, repeatable; a later one replaces an earlier one or the preset's):\n"
    "  T, N, B            time steps, neurons, batch (M = N x B)           default T=[8:128:pow2] N=1000000 B=1\n"
    "  family, direction  eager|step|fused|fused-tuned, fwd|fwd+bwd        default family=fused direction=fwd\n"
    "                     fused-tuned: kernels and blocks from --db tuning.json (spikefuse tune), else defaults\n"
    "  form               train|infer|segment                              default train\n"
    "  block              threads per block (0 = the kernel's default)     default 0\n"
    "  vec, npt, unroll   kernel knobs (0 = the family's default kernel)   default 0\n"
    "Values: 128 | 2^20 | 8,16,32 | [8,16,32] | [8:128:pow2] | [1:10:3] | [fwd,fwd+bwd]\n"
    "Presets (--list-presets describes them; harness/presets/, and $SPIKEFUSE_PRESETS adds a folder):\n"
    "  %s\n"
    "Measurement: --min-samples 10 --min-time 0.5 --max-noise 0.005 --timeout 15 --max-samples 0\n"
    "             --hot-time 0.5 | --no-hot   --no-verify   --profile (each state once, for a profiler)\n"
    "             --threads N (CPU)\n"
    "The output is rewritten atomically after every state; running the same command again resumes,\n"
    "measuring only the states the file lacks.\n" SF_LIF_OPTIONS_HELP;

int cmd_sweep(int argc, char **argv)
{
    sf_sweep_config c;
    sf_sweep_config_init(&c);
    c.argc = argc + 2;
    c.argv = argv - 2; /* "spikefuse sweep ..." */
    const char *backend = "cpu", *preset = NULL, *v;
    const char *axes[64];
    int n_axes = 0, code = SF_EXIT_USAGE;
    for (int i = 0; i < argc; ++i) {
        int matched;
        if (opt_flag(argv, i, "--help")) {
            /* the presets are the files there are, not a list kept here */
            const char *mark = strstr(sweep_help, "%s");
            fwrite(sweep_help, 1, (size_t)(mark - sweep_help), stdout);
            sf_sweep_list_presets(stdout, 0);
            fputs(mark + 2, stdout);
            return SF_EXIT_OK;
        }
        if (opt_flag(argv, i, "--list-presets"))
            return sf_sweep_list_presets(stdout, 1) == SF_OK ? SF_EXIT_OK : fail(SF_EXIT_FAIL, "%s", sf_last_error());
        if (!opt_lif(argc, argv, &i, &c.params, &matched))
            goto out;
        if (matched)
            continue;
        if (!opt_stop_rule(argc, argv, &i, &c.measure.rule, &c.measure.hot_time, &matched))
            goto out;
        if (matched)
            continue;
        if (opt_value(argc, argv, &i, "-a", &v) || opt_value(argc, argv, &i, "--axis", &v)) {
            if (n_axes == 64) {
                fail(SF_EXIT_USAGE, "sweep: too many axes");
                goto out;
            }
            axes[n_axes++] = v;
        } else if (opt_value(argc, argv, &i, "--preset", &preset) || opt_value(argc, argv, &i, "--backend", &backend) ||
                   opt_value(argc, argv, &i, "--out", &c.out_json) || opt_value(argc, argv, &i, "--csv", &c.out_csv) ||
                   opt_value(argc, argv, &i, "--md", &c.out_md) ||
                   opt_value(argc, argv, &i, "--reference-family", &c.reference_family) ||
                   opt_value(argc, argv, &i, "--db", &c.tuning_db)) {
        } else if (opt_value(argc, argv, &i, "--max-states", &v)) {
            if (!parse_int("--max-states", v, 0, 1 << 30, &c.max_states))
                goto out;
        } else if (opt_value(argc, argv, &i, "--threads", &v)) {
            if (!parse_int("--threads", v, 1, 4096, &c.cpu_threads))
                goto out;
        } else if (opt_flag(argv, i, "--no-hot")) {
            c.measure.hot = 0;
        } else if (opt_flag(argv, i, "--no-verify")) {
            c.verify = 0;
        } else if (opt_flag(argv, i, "--profile")) {
            c.measure.profile = 1;
        } else {
            fail(SF_EXIT_USAGE, "sweep: unknown option '%s' (spikefuse sweep --help)", argv[i]);
            goto out;
        }
    }
    if (sf_backend_parse(backend, &c.backend) != SF_OK || sf_lif_check(&c.params) != SF_OK) {
        fail(SF_EXIT_USAGE, "sweep: %s", sf_last_error());
        goto out;
    }
    if (!c.out_json) {
        fail(SF_EXIT_USAGE, "sweep: --out FILE.json is required");
        goto out;
    }
    if (preset && sf_sweep_load_preset(&c, preset) != SF_OK) {
        fail(SF_EXIT_USAGE, "sweep: %s", sf_last_error());
        goto out;
    }
    for (int i = 0; i < n_axes; ++i) {
        char err[256];
        if (sf_sweep_add_axis(&c, axes[i], err, sizeof err) != 0) {
            fail(SF_EXIT_USAGE, "sweep: %s", err);
            goto out;
        }
    }
    const sf_status s = sf_sweep_run(&c);
    if (s == SF_OK) {
        code = SF_EXIT_OK;
        printf("wrote %s%s%s%s%s\n", c.out_json, c.out_csv ? ", " : "", c.out_csv ? c.out_csv : "",
               c.out_md ? ", " : "", c.out_md ? c.out_md : "");
        /* at a terminal, the results as nvbench shows them; scripts read the files */
        cJSON *root = NULL;
        if (isatty(STDOUT_FILENO) && sf_results_read(c.out_json, &root) == SF_OK) {
            fflush(stdout);
            if (sf_results_write_md(root, "-") != SF_OK)
                fprintf(stderr, "sweep: the summary was not shown: %s\n", sf_last_error());
            cJSON_Delete(root);
        }
    } else {
        code = fail(sf_exit_code(s), "sweep: %s", sf_last_error());
    }
out:
    sf_sweep_config_free(&c);
    return code;
}

int cmd_report(int argc, char **argv)
{
    const char *in = NULL, *csv = NULL, *md = NULL, *dat = NULL;
    for (int i = 0; i < argc; ++i) {
        if (opt_flag(argv, i, "--help")) {
            printf("usage: spikefuse report RESULTS.json [--csv FILE] [--md FILE]\n"
                   "       spikefuse report RESULTS.json|multigpu.json|tune-cache.jsonl --dat DIR\n"
                   "Checks a results file's schema and writes its CSV and Markdown views (Markdown to stdout\n"
                   "when neither is given), or the whitespace tables plots/*.gp read (--dat).\n");
            return SF_EXIT_OK;
        }
        if (opt_value(argc, argv, &i, "--csv", &csv) || opt_value(argc, argv, &i, "--md", &md) ||
            opt_value(argc, argv, &i, "--dat", &dat))
            continue;
        if (argv[i][0] == '-' || in)
            return fail(SF_EXIT_USAGE, "report: unexpected '%s'", argv[i]);
        in = argv[i];
    }
    if (!in)
        return fail(SF_EXIT_USAGE, "report: give a results file");
    if (dat)
        return sf_write_plot_data(in, dat) == SF_OK ? SF_EXIT_OK : fail(SF_EXIT_FAIL, "%s", sf_last_error());
    cJSON *root;
    if (sf_results_read(in, &root) != SF_OK)
        return fail(SF_EXIT_FAIL, "%s", sf_last_error());
    sf_status s = SF_OK;
    if (csv)
        s = sf_results_write_csv(root, csv);
    if (s == SF_OK && (md || !csv))
        s = sf_results_write_md(root, md ? md : "-");
    cJSON_Delete(root);
    return s == SF_OK ? SF_EXIT_OK : fail(SF_EXIT_FAIL, "%s", sf_last_error());
}
