/* spikefuse reproduce: the paper's tables and figures on the present device. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "options.h"
#include "reproduce.h"

static const char help[] =
    "usage: spikefuse reproduce [--backend auto|cpu|cuda] [--out-dir DIR] [--db tuning.json] [--timeout 15]\n"
    "                           [--no-plots]\n"
    "Measures, on the GPU when one is usable (auto) else the CPU:\n"
    "  paper-fig5.json  the paper's Fig. 5: eager, step, fused and fused-tuned, fwd and fwd+bwd, T = 8..128, 1M neurons\n"
    "  bandwidth.json   %% of copy bandwidth against N (T = 64, fused and step)\n"
    "  multigpu.json    the multi-GPU model's T_s (T = 1024, 2048, 4096) and hand-off cost T_c\n"
    "and writes reproduce.md (beside the paper's A100 values) and figures/ (gnuplot). DIR defaults to\n"
    "results/<device>/reproduce; tuned configs come from DIR/../tuning/tuning.json unless --db is given.\n"
    "Every part resumes: running it again measures only what is missing.\n";

int cmd_reproduce(int argc, char **argv)
{
    sf_reproduce_config c = {SF_BACKEND_CPU, NULL, NULL, 15.0, 1, argc + 2, argv - 2};
    const char *backend = "auto", *v;
    for (int i = 0; i < argc; ++i) {
        if (opt_flag(argv, i, "--help"))
            return fputs(help, stdout), SF_EXIT_OK;
        if (opt_flag(argv, i, "--no-plots")) {
            c.plots = 0;
        } else if (opt_value(argc, argv, &i, "--timeout", &v)) {
            float f = 0;
            if (!parse_float("--timeout", v, &f) || f <= 0)
                return SF_EXIT_USAGE;
            c.timeout = f;
        } else if (!opt_value(argc, argv, &i, "--backend", &backend) && !opt_value(argc, argv, &i, "--out-dir", &c.out_dir) &&
                   !opt_value(argc, argv, &i, "--db", &c.tuning_db)) {
            return fail(SF_EXIT_USAGE, "reproduce: unknown option '%s' (spikefuse reproduce --help)", argv[i]);
        }
    }
    const int code = opt_backend_usable("reproduce", backend, &c.backend);
    if (code != SF_EXIT_OK)
        return code;
    return sf_reproduce_run(&c) == SF_OK ? SF_EXIT_OK : fail(SF_EXIT_FAIL, "reproduce: %s", sf_last_error());
}
