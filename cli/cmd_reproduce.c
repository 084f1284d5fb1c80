/* spikefuse reproduce: the paper's tables and figures on the present device. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "options.h"
#include "reproduce.h"

static const char help[] =
    "usage: spikefuse reproduce [--backend auto|cpu|cuda] [--out-dir DIR] [--db tuning.json] [--timeout 15]\n"
    "                           [--parts LIST] [--no-plots]\n"
    "       spikefuse reproduce --report-only --out-dir DIR [--no-plots]\n"
    "Measures, on the GPU when one is usable (auto) else the CPU, these parts (--parts: a comma-separated\n"
    "subset, in this order; default all):\n"
    "  paper-fig5  the paper's Fig. 5: eager, step, fused and fused-tuned, fwd and fwd+bwd, T = 8..128, 1M neurons\n"
    "  crossover   where fusion starts to pay: eager, step and fused, fwd and fwd+bwd, T = 1..16, 1M neurons\n"
    "  bandwidth   % of copy bandwidth against N (T = 64, fused and step)\n"
    "  multigpu    the multi-GPU model's T_s (T = 1024, 2048, 4096) and hand-off cost T_c\n"
    "  beyond-paper  fused kernels that move fewer bytes (keep x spikes) beside the paper's, T = 8..128\n"
    "  peers       the real peers (SpikingJelly, snnTorch, a PyTorch loop: peers/run.py) verified, then timed\n"
    "              at paper-fig5's states beside fused with the same (sigmoid) surrogate; python3 with torch,\n"
    "              or $SF_PEERS_PYTHON, or .peers/venv (peers/install.sh venv)\n"
    "each into DIR/PART.json, then writes DIR/reproduce.md from the files there (beside the paper's A100\n"
    "values; it needs paper-fig5.json) and figures/ (gnuplot). DIR defaults to results/<device>/reproduce;\n"
    "tuned configs come from DIR/../tuning/tuning.json unless --db is given.\n"
    "Every part resumes: running it again measures only what is missing. --report-only measures nothing\n"
    "and needs no device: the report and figures from the files in DIR.\n";

int cmd_reproduce(int argc, char **argv)
{
    sf_reproduce_config c = {SF_BACKEND_CPU, NULL, NULL, 15.0, 1, NULL, argc + 2, argv - 2};
    const char *backend = "auto";
    int report_only = 0;
    const opt_spec rows[] = {
        OPT_STRING_ROW("--backend", &backend, "auto|cpu|cuda", "where to measure"),
        OPT_STRING_ROW("--out-dir", &c.out_dir, "DIR", "the parts' files and the report"),
        OPT_STRING_ROW("--db", &c.tuning_db, "FILE", "tuning database for fused-tuned"),
        OPT_REAL_ROW("--timeout", &c.timeout, OPT_POSITIVE, "S", "seconds of sampling per state at most"),
        OPT_STRING_ROW("--parts", &c.parts, "LIST", "comma-separated parts (default: all)"),
        OPT_FLAG_ROW("--no-plots", &c.plots, 0, "no figures"),
        OPT_FLAG_ROW("--report-only", &report_only, 1, "measure nothing: the report from the files in DIR"),
        OPT_END_ROW,
    };
    const opt_command cmd = {.name = "reproduce", .rows = rows, .help = help};
    int code;
    if (!opt_parse(&cmd, argc, argv, &code))
        return code;
    if (report_only) {
        if (!c.out_dir)
            return fail(SF_EXIT_USAGE, "reproduce: --report-only needs --out-dir DIR");
        return sf_reproduce_report(c.out_dir, c.plots, 1) == SF_OK
                   ? SF_EXIT_OK
                   : fail(SF_EXIT_FAIL, "reproduce: --report-only: %s", sf_last_error());
    }
    const sf_status parts = sf_reproduce_check_parts(c.parts);
    if (parts != SF_OK)
        return fail(sf_exit_code(parts), "reproduce: --parts: %s", sf_last_error());
    code = opt_backend_usable("reproduce", backend, &c.backend);
    if (code != SF_EXIT_OK)
        return code;
    return sf_reproduce_run(&c) == SF_OK ? SF_EXIT_OK : fail(SF_EXIT_FAIL, "reproduce: %s", sf_last_error());
}
