/* spikefuse list: the registry as a table. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "options.h"

static const char help[] =
    "usage: spikefuse list [--family F] [--direction fwd|bwd]\n"
    "Columns: storage types (dtype: the [T,M] tensors; spikes: y), knobs (vec: neurons per vector access,\n"
    "npt: groups per thread, unroll: time-loop unroll, pf: time steps loaded ahead (prefetch), stage: time\n"
    "steps of its [T,M] inputs a block stages in shared memory (TMA on sm_90), chunk: steps per fp32 v\n"
    "checkpoint of the forms that keep them, ckpt and grad_ckpt, \"-\" for the others; block: default\n"
    "threads per block, 0 = occupancy API), launches per step (0 = one launch per layer), bytes read and\n"
    "written per neuron-step (checkpoints included, 4 / chunk each), [M] workspace vectors, and the backends\n"
    "on which the kernel is its form's default.\n";

int cmd_list(int argc, char **argv)
{
    const char *family = NULL, *direction = NULL;
    const opt_spec rows[] = {
        OPT_STRING_ROW("--family", &family, "F", "only kernels of this family: eager, step, fused"),
        OPT_STRING_ROW("--direction", &direction, "fwd|bwd", "only kernels of this direction"),
        OPT_END_ROW,
    };
    const opt_command cmd = {.name = "list", .rows = rows, .help = help};
    int code;
    if (!opt_parse(&cmd, argc, argv, &code))
        return code;
    /* a typo is named before any output, not answered with an empty table */
    int family_known = !family;
    for (int i = 0; i < sf_kernel_count() && !family_known; ++i)
        family_known = !strcmp(family, sf_kernel_at(i)->family);
    if (!family_known)
        return fail(SF_EXIT_USAGE, "list: unknown family '%s'", family);
    sf_direction d = SF_FWD;
    if (direction && sf_direction_parse(direction, &d) != SF_OK)
        return fail(SF_EXIT_USAGE, "list: %s", sf_last_error());
    int shown = 0, width = 4; /* the longest name's, so that the columns line up */
    for (int i = 0; i < sf_kernel_count(); ++i)
        if ((int)strlen(sf_kernel_at(i)->name) > width)
            width = (int)strlen(sf_kernel_at(i)->name);
    printf("%-*s %-6s %-3s %-9s %-5s %-6s %3s %3s %6s %2s %5s %5s %5s %8s %5s %5s %4s  %s\n", width, "name", "family",
           "dir", "form", "dtype", "spikes", "vec", "npt", "unroll", "pf", "stage", "chunk", "block", "launches", "rd_B",
           "wr_B", "ws",
           "default_on");
    for (int i = 0; i < sf_kernel_count(); ++i) {
        const sf_kernel *k = sf_kernel_at(i);
        if ((family && strcmp(family, k->family) != 0) ||
            (direction && k->direction != d))
            continue;
        char dflt[32] = "";
        for (int b = 0; b < SF_BACKEND_COUNT; ++b)
            if (k->default_on & (1u << b))
                snprintf(dflt + strlen(dflt), sizeof dflt - strlen(dflt), "%s%s", dflt[0] ? "," : "",
                         sf_backend_name((sf_backend)b));
        double rd, wr;
        sf_kernel_step_bytes(k, &rd, &wr);
        char chunk[16] = "-";
        if (k->chunk > 0)
            snprintf(chunk, sizeof chunk, "%d", k->chunk);
        printf("%-*s %-6s %-3s %-9s %-5s %-6s %3d %3d %6d %2d %5d %5s %5d %8d %5g %5g %4d  %s\n", width, k->name,
               k->family, sf_direction_name(k->direction), k->form, k->dtype, k->spikes, k->vec, k->npt, k->unroll,
               k->prefetch, k->stage, chunk,
               k->default_block, k->launches_per_step, rd, wr, k->workspace_vectors, dflt[0] ? dflt : "-");
        ++shown;
    }
    if (!shown)
        return fail(SF_EXIT_FAIL, "list: no kernel matches");
    return SF_EXIT_OK;
}
