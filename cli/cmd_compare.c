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

int cmd_compare(int argc, char **argv)
{
    sf_compare_rule r = sf_compare_rule_default();
    const char *md = NULL, *json = NULL, *v;
    const char **files = calloc((size_t)(argc > 0 ? argc : 1), sizeof *files);
    int n = 0, split = -1, ignore = 0;
    if (!files)
        return fail(SF_EXIT_USAGE, "compare: no memory");
    for (int i = 0; i < argc; ++i) {
        float f = 0;
        if (opt_flag(argv, i, "--help")) {
            printf("usage: spikefuse compare BASE.json NEW.json [--md F] [--json F] [--alpha 0.05] [--min-effect 0.05]\n"
                   "                         [--min-samples 8] [--ignore-device]\n"
                   "       spikefuse compare BASE1.json BASE2.json ... -- NEW1.json ... [options]   (repeated runs)\n"
                   "Matches states by id (family, direction, kernels, T, N, B, block) on the same device; for each, the\n"
                   "relative change of the cold median, a Mann-Whitney U test on the raw samples and a minimum effect:\n"
                   "SAME, FASTER, SLOWER or UNSURE with the reason. With repeated runs on either side the samples are\n"
                   "pooled, and a change also has to leave the range of the run medians (drift between runs on a shared\n"
                   "machine is not a regression). Exit 1 if any state is confirmed SLOWER, 2 on bad input.\n");
            free(files);
            return SF_EXIT_OK;
        }
        if (opt_flag(argv, i, "--ignore-device")) {
            ignore = 1;
        } else if (opt_value(argc, argv, &i, "--md", &md) || opt_value(argc, argv, &i, "--json", &json)) {
        } else if (opt_value(argc, argv, &i, "--alpha", &v)) {
            if (!parse_float("--alpha", v, &f) || f <= 0 || f >= 1)
                return fail(SF_EXIT_USAGE, "--alpha must be in (0, 1)");
            r.alpha = f;
        } else if (opt_value(argc, argv, &i, "--min-effect", &v)) {
            if (!parse_float("--min-effect", v, &f) || f < 0)
                return fail(SF_EXIT_USAGE, "--min-effect must be >= 0");
            r.min_effect = f;
        } else if (opt_value(argc, argv, &i, "--min-samples", &v)) {
            if (!parse_int("--min-samples", v, 2, 1 << 30, &r.min_samples))
                return SF_EXIT_USAGE;
        } else if (!strcmp(argv[i], "--") && split < 0) {
            split = n;
        } else if (argv[i][0] != '-') {
            files[n++] = argv[i];
        } else {
            free(files);
            return fail(SF_EXIT_USAGE, "compare: unexpected '%s' (spikefuse compare --help)", argv[i]);
        }
    }
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

int cmd_check(int argc, char **argv)
{
    const char *gates = NULL, *results = NULL, *md = NULL;
    for (int i = 0; i < argc; ++i) {
        if (opt_flag(argv, i, "--help")) {
            printf("usage: spikefuse check --gates GATES.json RESULTS.json [--md F]\n"
                   "Evaluates floors on ratios measured within one run (e.g. step over eager at T = 16) and on %% of\n"
                   "copy bandwidth; gates are data per device class (ci/gates/). Exit 1 if a gate fails, 2 on bad input.\n");
            return SF_EXIT_OK;
        }
        if (opt_value(argc, argv, &i, "--gates", &gates) || opt_value(argc, argv, &i, "--md", &md))
            continue;
        if (argv[i][0] == '-' || results)
            return fail(SF_EXIT_USAGE, "check: unexpected '%s'", argv[i]);
        results = argv[i];
    }
    if (!gates || !results)
        return fail(SF_EXIT_USAGE, "check: give --gates GATES.json and a results file");
    int failed = 0;
    if (sf_check_gates(gates, results, md, &failed) != SF_OK)
        return fail(SF_EXIT_USAGE, "check: %s", sf_last_error());
    return failed ? SF_EXIT_FAIL : SF_EXIT_OK;
}
