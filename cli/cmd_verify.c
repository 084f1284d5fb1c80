/* spikefuse verify: every registered kernel (or a filtered few) on one backend, on seeded random
 * inputs, checked against the float64 reference; backward kernels under both surrogates. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "options.h"
#include "verify_outputs.h"

static const char help[] =
    "usage: spikefuse verify [--backend cpu|cuda] [--T 16] [--M 100003] [--seed 1] [--family F]\n"
    "                        [--kernel NAME] [--misalign]\n"
    "       spikefuse verify --outputs DIR [--reset-grad kept|detached] [--dtype f32|bf16|f16] [--chunk K]\n"
    "                        [--bf16-bits] [--packed-spikes] [--json] [neuron options]\n"
    "Runs each kernel once and compares it with a float64 evaluation of the paper's Eqs. 1-3: spikes\n"
    "exactly (but where the reference membrane lies within 1e-5 of the threshold), membrane and\n"
    "gradients within 1e-5 + 1e-5 |ref|; a check with more than 1 % of its values ambiguous fails too.\n"
    "Each kernel runs under every set of neuron constants (paper: the defaults; rest: V_rest 0.1,\n"
    "V_th 0.5, k 0.9, width 0.3, alpha 2; below: V_rest -0.15, V_th 0.2, k 0.5, width 0.1, alpha 8),\n"
    "or only under the constants given below. Exits 1 if any check fails.\n"
    "--outputs checks another implementation's outputs by the same rules: DIR holds .npy files x\n"
    "(input), y (spikes), v (membrane before the reset) or v_reset (after it), and gy with gx (dL/dy\n"
    "given, dL/dx computed), in the dtypes run reads; --reset-grad detached takes the reset out of the\n"
    "reference's gradient (snnTorch, detach_reset=True); --dtype judges x, v, gy and gx as stored at\n"
    "that type; --chunk K: v holds fp32 checkpoints, one every K steps, and gx comes from a backward that\n"
    "replays each chunk (run's ckpt and grad_ckpt); --json prints the reports as JSON.\n";

/* One check of kernel k under constants q: its line of the table; returns 1 if it failed. */
static int verify_one(const sf_kernel *k, sf_backend be, const sf_verify_config *c, const char *set_name,
                      const sf_lif_params *q, const sf_launch *launch)
{
    sf_check_report rep;
    const sf_status s = sf_verify(k, be, c, q, launch, &rep);
    if (s != SF_OK) {
        printf("%-36s %-6s %-9s %-6s %s\n", k->name, set_name, sf_surrogate_name(q->surrogate), "ERROR", sf_last_error());
        return 1;
    }
    const int bad = !sf_check_passed(&rep);
    printf("%-36s %-6s %-9s %-6s %12lld %10lld %10.2e", k->name, set_name,
           k->direction == SF_BWD ? sf_surrogate_name(q->surrogate) : "-", bad ? "FAIL" : "ok", (long long)rep.compared,
           (long long)rep.ambiguous, rep.max_abs_err);
    if (rep.mismatches)
        printf("  %lld mismatches, first at %lld: got %.9g want %.9g", (long long)rep.mismatches,
               (long long)rep.first_bad, rep.got, rep.want);
    else if (bad && rep.compared > 0)
        printf("  more than 1 %% of the values ambiguous");
    printf("\n");
    return bad;
}

/* Every kernel the filters let through, under the table's sets of constants or the one the options gave. */
static int verify_kernels(sf_backend be, const sf_verify_config *c, const sf_lif_params *p, int lif_given,
                          const sf_launch *launch, const char *family, const char *kernel)
{
    int n_sets = 0;
    const sf_lif_param_set *sets = sf_lif_param_sets(&n_sets);
    const sf_lif_param_set given = {"given", *p};
    if (lif_given)
        sets = &given, n_sets = 1;

    printf("verify on %s: T=%lld M=%lld seed=%llu%s\n", sf_backend_name(be), (long long)c->T, (long long)c->M,
           (unsigned long long)c->seed, c->misalign ? " misaligned" : "");
    printf("%-36s %-6s %-9s %-6s %12s %10s %10s\n", "kernel", "params", "surrogate", "result", "compared", "ambiguous",
           "max_err");
    int failed = 0, ran = 0;
    for (int i = 0; i < sf_kernel_count(); ++i) {
        const sf_kernel *k = sf_kernel_at(i);
        if ((family && strcmp(family, k->family) != 0) || (kernel && strcmp(kernel, k->name) != 0))
            continue;
        /* the forward pass does not depend on the surrogate: one run; backward: each surrogate */
        const int n_sur = k->direction == SF_BWD ? 2 : 1;
        for (int set = 0; set < n_sets; ++set)
            for (int s_i = 0; s_i < n_sur; ++s_i) {
                sf_lif_params q = sets[set].params;
                if (k->direction == SF_BWD)
                    q.surrogate = (sf_surrogate)s_i;
                failed += verify_one(k, be, c, sets[set].name, &q, launch);
                ++ran;
            }
    }
    if (!ran)
        return fail(SF_EXIT_USAGE, "verify: no kernel matches");
    printf("%d of %d checks passed\n", ran - failed, ran);
    return failed ? SF_EXIT_FAIL : SF_EXIT_OK;
}

int cmd_verify(int argc, char **argv)
{
    const char *backend_s = "cpu", *family = NULL, *kernel = NULL, *outputs = NULL, *reset_s = "kept", *dtype_s = NULL;
    int json = 0, lif_given = 0, chunk = 0, bf16_bits = 0, packed_spikes = 0;
    sf_verify_config c = {16, 100003, 1, 0, sf_tolerance_default()};
    sf_lif_params p = sf_lif_defaults();
    sf_launch launch = {0, 0, 0, NULL};
    int64_t seed = 1;
    const opt_spec rows[] = {
        OPT_STRING_ROW("--backend", &backend_s, "cpu|cuda", "where the kernels run"),
        OPT_I64_ROW("--T", &c.T, 1, INT64_MAX, "T", "time steps"),
        OPT_I64_ROW("--M", &c.M, 1, INT64_MAX, "M", "neurons"),
        OPT_I64_ROW("--seed", &seed, 0, INT64_MAX, "S", "of the random inputs"),
        OPT_STRING_ROW("--family", &family, "F", "only kernels of this family"),
        OPT_STRING_ROW("--kernel", &kernel, "NAME", "only this kernel (spikefuse list)"),
        OPT_FLAG_ROW("--misalign", &c.misalign, 1, "every tensor one element off alignment"),
        OPT_STRING_ROW("--outputs", &outputs, "DIR", "check another implementation's .npy outputs"),
        OPT_STRING_ROW("--reset-grad", &reset_s, "kept|detached", "with --outputs: the reference's reset gradient"),
        OPT_STRING_ROW("--dtype", &dtype_s, "f32|bf16|f16", "with --outputs: the storage of x, v, gy and gx"),
        OPT_INT_ROW("--chunk", &chunk, 1, 1 << 20, "K", "with --outputs: v holds checkpoints every K steps"),
        OPT_FLAG_ROW("--bf16-bits", &bf16_bits, 1, "with --outputs: '<u2' files hold bf16 bits"),
        OPT_FLAG_ROW("--packed-spikes", &packed_spikes, 1, "with --outputs: y is uint8 [T, ceil(M/8)], 8 a byte"),
        OPT_FLAG_ROW("--json", &json, 1, "with --outputs: the reports as JSON"),
        OPT_LIF_ROWS(&p, &lif_given),
        OPT_LAUNCH_ROWS(&launch),
        OPT_END_ROW,
    };
    const opt_command cmd = {.name = "verify", .rows = rows, .help = help};
    int code;
    if (!opt_parse(&cmd, argc, argv, &code))
        return code;
    c.seed = (uint64_t)seed;
    if (!outputs && (dtype_s || chunk || bf16_bits || packed_spikes || json))
        return fail(SF_EXIT_USAGE, "verify: --dtype, --chunk, --bf16-bits, --packed-spikes and --json describe "
                                   "--outputs DIR; without it verify runs the kernels");
    if (outputs) {
        verify_outputs_options vo = {.lif = p, .chunk = chunk, .bf16_bits = bf16_bits,
                                     .packed_spikes = packed_spikes, .json = json};
        if (strcmp(reset_s, "kept") != 0 && strcmp(reset_s, "detached") != 0)
            return fail(SF_EXIT_USAGE, "verify: --reset-grad is kept or detached, not '%s'", reset_s);
        vo.reset_grad = strcmp(reset_s, "kept") == 0 ? SF_RESET_GRAD_KEPT : SF_RESET_GRAD_DETACHED;
        if (chunk && vo.reset_grad != SF_RESET_GRAD_KEPT)
            return fail(SF_EXIT_USAGE, "verify: --chunk judges a replaying backward, whose reference keeps the "
                                       "reset's gradient: --reset-grad detached does not apply");
        if (dtype_s && sf_storage_parse(dtype_s, &vo.storage) != SF_OK)
            return fail(SF_EXIT_USAGE, "verify: --dtype: %s", sf_last_error());
        if (sf_lif_check(&p) != SF_OK)
            return fail(SF_EXIT_USAGE, "verify: %s", sf_last_error());
        return verify_outputs(outputs, &vo);
    }
    sf_backend be;
    if (sf_backend_parse(backend_s, &be) != SF_OK || sf_lif_check(&p) != SF_OK)
        return fail(SF_EXIT_USAGE, "verify: %s", sf_last_error());
    if (kernel && !sf_kernel_find(kernel))
        return fail(SF_EXIT_USAGE, "verify: unknown kernel '%s' (spikefuse list shows them)", kernel);
    if (sf_backend_available(be) != SF_OK)
        return fail(SF_EXIT_FAIL, "verify: backend %s: %s", backend_s, sf_last_error());
    /* a size no kernel can take is one error, not one per kernel */
    if (sf_verify_check_size(c.T, c.M) != SF_OK)
        return fail(SF_EXIT_USAGE, "%s", sf_last_error());
    return verify_kernels(be, &c, &p, lif_given, &launch, family, kernel);
}
