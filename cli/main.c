/* spikefuse: the command. One table of subcommands; each lives in cli/cmd_<name>.c. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "options.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"list", cmd_list, "the kernel registry, one kernel per line with its knobs and byte model"},
    {"run", cmd_run, "run one kernel on .npy inputs, write its outputs as .npy"},
    {"verify", cmd_verify, "check every kernel on a backend against the float64 reference"},
    {"device", cmd_device, "the device's fingerprint: name, key, and the slug that names its results folder"},
    {"sweep", cmd_sweep, "measure kernels over axes of T, N, B, block, family and knobs; JSON out"},
    {"report", cmd_report, "check a results file and write its CSV and Markdown views"},
    {"reproduce", cmd_reproduce, "the paper's Fig. 5 table, the multi-GPU model and figures on this device"},
    {"compare", cmd_compare, "SAME / FASTER / SLOWER / UNSURE per state between two results files"},
    {"check", cmd_check, "ratio and bandwidth gates on a results file (CI)"},
    {"storage-cost", cmd_storage_cost, "spike flips and dL/dx error of bf16 and f16 storage against fp32, per T"},
    {"tune", cmd_tune, "search launch configs per device into a tuning database; look up, merge"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: spikefuse COMMAND [options]   (spikefuse COMMAND --help for its options)\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; ++i)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nspikefuse %s, backends: cpu%s\n", SPIKEFUSE_VERSION, sf_built_with_cuda() ? ", cuda" : "");
}

int main(int argc, char **argv)
{
    if (argc < 2 || opt_flag(argv, 1, "--help") || opt_flag(argv, 1, "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? SF_EXIT_USAGE : SF_EXIT_OK;
    }
    if (opt_flag(argv, 1, "--version")) {
        printf("spikefuse %s\n", SPIKEFUSE_VERSION);
        return SF_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; ++i)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 2, argv + 2);
    return fail(SF_EXIT_USAGE, "unknown command '%s' (spikefuse --help lists them)", argv[1]);
}
