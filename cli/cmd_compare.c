/* spikefuse compare and spikefuse check: performance changes between two results files, and floors on
 * ratios measured within one run. Exit 0: nothing slower / every gate holds; 1: something confirmed
 * slower / a gate below its floor; 2: bad input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "compare.h"
#include "gates.h"
#include "options.h"

static const char compare_help[] =
    "usage: spikefuse compare BASE.json NEW.json [--md F] [--json F] [--alpha 0.05] [--min-effect 0.05]\n"
    "                         [--min-samples 8] [--ignore-device]\n"
    "       spikefuse compare BASE1.json BASE2.json ... -- NEW1.json ... [options]   (repeated runs)\n"
    "Matches states by id (family, direction, kernels, T, N, B, block) on the same device; for each, the\n"
    "relative change of the cold median, a Mann-Whitney U test on the raw samples and a minimum effect:\n"
    "SAME, FASTER, SLOWER or UNSURE with the reason. With repeated runs on either side the samples are\n"
    "pooled, and a change also has to leave the range of the run medians (drift between runs on a shared\n"
    "machine is not a regression). Exit 1 if any state is confirmed SLOWER, 2 on bad input.\n";

/* The files compare reads, BASE runs then NEW runs; `split`: where NEW begins (-1 until a "--"). */
typedef struct compare_files {
    const char **files;
    int n, split;
} compare_files;

static int take_compare_file(void *ctx, const char *arg)
{
    compare_files *f = ctx;
    if (strcmp(arg, "--") == 0 && f->split < 0)
        f->split = f->n;
    else if (arg[0] != '-')
        f->files[f->n++] = arg;
    else
        return 0;
    return 1;
}

int cmd_compare(int argc, char **argv)
{
    sf_compare_rule r = sf_compare_rule_default();
    const char *md = NULL, *json = NULL;
    compare_files in = {calloc((size_t)(argc > 0 ? argc : 1), sizeof(const char *)), 0, -1};
    int ignore = 0;
    if (!in.files)
        return fail(SF_EXIT_USAGE, "compare: no memory");
    const opt_spec rows[] = {
        OPT_STRING_ROW("--md", &md, "FILE", "the verdicts as Markdown"),
        OPT_STRING_ROW("--json", &json, "FILE", "the verdicts as JSON"),
        OPT_REAL_ROW("--alpha", &r.alpha, OPT_UNIT_OPEN, "P", "significance of the U test"),
        OPT_REAL_ROW("--min-effect", &r.min_effect, OPT_NONNEG, "F", "a smaller relative change is SAME"),
        OPT_INT_ROW("--min-samples", &r.min_samples, 2, 1 << 30, "N", "fewer samples on either side is UNSURE"),
        OPT_FLAG_ROW("--ignore-device", &ignore, 1, "compare files from different devices"),
        OPT_END_ROW,
    };
    const opt_command cmd = {.name = "compare", .rows = rows, .help = compare_help, .positional = take_compare_file,
                             .ctx = &in, .stray = "unexpected"};
    int code;
    if (!opt_parse(&cmd, argc, argv, &code)) {
        free(in.files);
        return code;
    }
    const char **files = in.files;
    const int n = in.n;
    int split = in.split;
    if (split < 0 && n == 2)
        split = 1;
    if (split <= 0 || split >= n) {
        free(files);
        return fail(SF_EXIT_USAGE, "compare: give BASE.json NEW.json, or BASE runs -- NEW runs");
    }
    int slower = 0;
    const sf_status s = sf_compare_files(files, split, files + split, n - split, &r, ignore, md, json, &slower);
    free(files);
    if (s != SF_OK)
        return fail(SF_EXIT_USAGE, "compare: %s", sf_last_error());
    return slower ? SF_EXIT_FAIL : SF_EXIT_OK;
}

static const char check_help[] =
    "usage: spikefuse check --gates GATES.json RESULTS.json [--md F]\n"
    "Evaluates floors on ratios measured within one run (e.g. step over eager at T = 16) and on % of\n"
    "copy bandwidth; gates are data per device class (ci/gates/). Exit 1 if a gate fails, 2 on bad input.\n";

int cmd_check(int argc, char **argv)
{
    const char *gates = NULL, *results = NULL, *md = NULL;
    const opt_spec rows[] = {
        OPT_STRING_ROW("--gates", &gates, "FILE", "the gates (ci/gates/)"),
        OPT_STRING_ROW("--md", &md, "FILE", "the verdicts as Markdown"),
        OPT_END_ROW,
    };
    const opt_command cmd = {
        .name = "check", .rows = rows, .help = check_help, .positional = opt_one_file, .ctx = &results, .stray = "unexpected"};
    int code;
    if (!opt_parse(&cmd, argc, argv, &code))
        return code;
    if (!gates || !results)
        return fail(SF_EXIT_USAGE, "check: give --gates GATES.json and a results file");
    int failed = 0;
    if (sf_check_gates(gates, results, md, &failed) != SF_OK)
        return fail(SF_EXIT_USAGE, "check: %s", sf_last_error());
    return failed ? SF_EXIT_FAIL : SF_EXIT_OK;
}
