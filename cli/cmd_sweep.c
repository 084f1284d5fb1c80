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
    "  keep               vtrace|h|recompute: what fused forward keeps     default vtrace\n"
    "                     for backward (h: v alone, the spikes recomputed; fwd+bwd only;\n"
    "                     recompute: the spikes and an fp32 v checkpoint every chunk steps,\n"
    "                     backward replays each chunk from x)\n"
    "  dtype              f32|bf16|f16: storage of x, v, grad_y, grad_x   default f32\n"
    "                     (fused; arithmetic and membrane state stay fp32 in registers)\n"
    "  spikes             f32|u8|b1: storage of the spikes y (fused)      default f32 (u8 for bf16, f16)\n"
    "  block              threads per block (0 = the kernel's default)     default 0\n"
    "  vec, npt, unroll   kernel knobs (0 = the family's default kernel)   default 0\n"
    "  chunk              steps per checkpoint (keep=recompute; 0 = default) default 0\n"
    "  prefetch           time steps loaded ahead (fused; 0 = none)        default: the default kernel's\n"
    "  stage              time steps of its inputs a block stages in       default: the default kernel's\n"
    "                     shared memory (fused; TMA on sm_90; 0 = none)\n"
    "Values: 128 | 2^20 | 8,16,32 | [8,16,32] | [8:128:pow2] | [1:10:3] | [fwd,fwd+bwd]\n"
    "Presets (--list-presets describes them; harness/presets/, and $SPIKEFUSE_PRESETS adds a folder):\n"
    "  %s\n"
    "The output is rewritten atomically after every state; running the same command again resumes,\n"
    "measuring only the states the file lacks.\n";

static void print_sweep_help(void)
{
    /* the presets are the files there are, not a list kept here */
    const char *mark = strstr(sweep_help, "%s");
    fwrite(sweep_help, 1, (size_t)(mark - sweep_help), stdout);
    sf_sweep_list_presets(stdout, 0);
    fputs(mark + 2, stdout);
}

/* The -a specs in their order, applied after the preset's (a later axis replaces an earlier one). */
typedef struct axis_specs {
    const char *spec[64];
    int n;
} axis_specs;

static int take_axis(void *dest, const char *value)
{
    axis_specs *a = dest;
    if (a->n == 64)
        return fail(0, "sweep: too many axes"), 0;
    a->spec[a->n++] = value;
    return 1;
}

/* The configuration the options give, the preset's axes then the -a ones. Returns 1 to go on; 0 to stop
 * with *code (after --help or --list-presets, or a usage error). */
static int configure_sweep(sf_sweep_config *c, int argc, char **argv, int *code)
{
    const char *backend = "cpu", *preset = NULL;
    axis_specs axes = {{NULL}, 0};
    int list_presets = 0;
    const opt_spec rows[] = {
        OPT_STRING_ROW("--preset", &preset, "NAME|FILE", "start from a preset's axes"),
        OPT_CALL_ROW("-a", &axes, take_axis, "AXIS=VALUES", "an axis (repeatable)"),
        OPT_CALL_ROW("--axis", &axes, take_axis, "AXIS=VALUES", "the same as -a"),
        OPT_STOP_ROW("--list-presets", &list_presets, NULL, "describe the presets and stop"),
        OPT_STRING_ROW("--backend", &backend, "cpu|cuda", "where to measure"),
        OPT_STRING_ROW("--out", &c->out_json, "FILE.json", "the results (required; resumed if present)"),
        OPT_STRING_ROW("--csv", &c->out_csv, "FILE", "also the CSV view"),
        OPT_STRING_ROW("--md", &c->out_md, "FILE", "also the Markdown view"),
        OPT_STRING_ROW("--reference-family", &c->reference_family, "F", "speedups are over this family"),
        OPT_STRING_ROW("--db", &c->tuning_db, "FILE", "tuning database for fused-tuned"),
        OPT_INT_ROW("--max-states", &c->max_states, 0, 1 << 30, "N", "stop after measuring N states (0: all)"),
        OPT_INT_ROW("--threads", &c->cpu_threads, 1, 4096, "N", "CPU threads"),
        OPT_STOP_RULE_ROWS(&c->measure.rule),
        OPT_REAL_ROW("--hot-time", &c->measure.hot_time, OPT_NONNEG, "S", "seconds of back-to-back runs"),
        OPT_FLAG_ROW("--no-hot", &c->measure.hot, 0, "no back-to-back throughput"),
        OPT_FLAG_ROW("--no-verify", &c->verify, 0, "skip checking each state against the reference"),
        OPT_FLAG_ROW("--profile", &c->measure.profile, 1, "run each state once, untimed, for a profiler"),
        OPT_LIF_ROWS(&c->params, NULL),
        OPT_END_ROW,
    };
    const opt_command cmd = {.name = "sweep", .rows = rows, .print_help = print_sweep_help};
    if (!opt_parse(&cmd, argc, argv, code))
        return 0;
    if (list_presets) {
        *code = sf_sweep_list_presets(stdout, 1) == SF_OK ? SF_EXIT_OK : fail(SF_EXIT_FAIL, "%s", sf_last_error());
        return 0;
    }
    *code = SF_EXIT_USAGE;
    if (sf_backend_parse(backend, &c->backend) != SF_OK || sf_lif_check(&c->params) != SF_OK)
        return fail(0, "sweep: %s", sf_last_error());
    if (!c->out_json)
        return fail(0, "sweep: --out FILE.json is required");
    if (preset && sf_sweep_load_preset(c, preset) != SF_OK)
        return fail(0, "sweep: %s", sf_last_error());
    for (int i = 0; i < axes.n; ++i) {
        char err[256];
        if (sf_sweep_add_axis(c, axes.spec[i], err, sizeof err) != 0)
            return fail(0, "sweep: %s", err);
    }
    return 1;
}

/* Runs the sweep; at a terminal, also shows the results as nvbench does (scripts read the files). */
static int run_sweep(sf_sweep_config *c)
{
    const sf_status s = sf_sweep_run(c);
    if (s != SF_OK)
        return fail(sf_exit_code(s), "sweep: %s", sf_last_error());
    printf("wrote %s%s%s%s%s\n", c->out_json, c->out_csv ? ", " : "", c->out_csv ? c->out_csv : "",
           c->out_md ? ", " : "", c->out_md ? c->out_md : "");
    sf_results r;
    if (isatty(STDOUT_FILENO) && sf_results_load(c->out_json, &r) == SF_OK) {
        fflush(stdout);
        if (sf_results_write_md(&r, "-") != SF_OK)
            fprintf(stderr, "sweep: the summary was not shown: %s\n", sf_last_error());
        sf_results_free(&r);
    }
    return SF_EXIT_OK;
}

int cmd_sweep(int argc, char **argv)
{
    sf_sweep_config c;
    sf_sweep_config_init(&c);
    c.argc = argc + 2;
    c.argv = argv - 2; /* "spikefuse sweep ..." */
    int code;
    if (configure_sweep(&c, argc, argv, &code))
        code = run_sweep(&c);
    sf_sweep_config_free(&c);
    return code;
}

static const char report_help[] =
    "usage: spikefuse report RESULTS.json [--csv FILE] [--md FILE]\n"
    "       spikefuse report RESULTS.json|multigpu.json|tune-cache.jsonl --dat DIR\n"
    "Checks a results file's schema and writes its CSV and Markdown views (Markdown to stdout\n"
    "when neither is given), or the whitespace tables plots/*.gp read (--dat).\n";

int cmd_report(int argc, char **argv)
{
    const char *in = NULL, *csv = NULL, *md = NULL, *dat = NULL;
    const opt_spec rows[] = {
        OPT_STRING_ROW("--csv", &csv, "FILE", "the CSV view"),
        OPT_STRING_ROW("--md", &md, "FILE", "the Markdown view (-: stdout)"),
        OPT_STRING_ROW("--dat", &dat, "DIR", "the tables plots/*.gp read"),
        OPT_END_ROW,
    };
    const opt_command cmd = {
        .name = "report", .rows = rows, .help = report_help, .positional = opt_one_file, .ctx = &in, .stray = "unexpected"};
    int code;
    if (!opt_parse(&cmd, argc, argv, &code))
        return code;
    if (!in)
        return fail(SF_EXIT_USAGE, "report: give a results file");
    if (dat)
        return sf_write_plot_data(in, dat) == SF_OK ? SF_EXIT_OK : fail(SF_EXIT_FAIL, "%s", sf_last_error());
    sf_results r;
    if (sf_results_load(in, &r) != SF_OK)
        return fail(SF_EXIT_FAIL, "%s", sf_last_error());
    sf_status s = SF_OK;
    if (csv)
        s = sf_results_write_csv(&r, csv);
    if (s == SF_OK && (md || !csv))
        s = sf_results_write_md(&r, md ? md : "-");
    sf_results_free(&r);
    return s == SF_OK ? SF_EXIT_OK : fail(SF_EXIT_FAIL, "%s", sf_last_error());
}
