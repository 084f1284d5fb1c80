/* A planted kernel: the fused backward template compiled with the paper's Eq. 3, which drops the
 * V_rest d(v) term, in place of kernels/lif.h's. The checks must catch it where V_rest != 0 (the "rest"
 * and "below" constants) and must pass it where V_rest = 0 (the paper's), where the two agree; the
 * registered kernel must pass everywhere. So a test that claims exact gradients for any V_rest can fail. */
#include <stdio.h>
#include <stdlib.h>

/* kernels/lif.h as it is, but for its gradient, which is renamed on the way in and planted below */
#define sf_lif_grad sf_lif_grad_exact
#include "prelude.h"
#undef sf_lif_grad

/* the planted error: the paper's Eq. 3, g(t) = dL/dy d + g(t+1) k (1 - y - v d), without V_rest d */
SF_DEVICE float sf_lif_grad(float g_next, float grad_y, float y, float v, sf_lif_params p)
{
    const float d = sf_lif_surrogate(v, p);
    return grad_y * d + g_next * (p.decay * (1.0f - y - v * d));
}

#define SF_NAME planted_paper_grad
#define SF_DTYPE f32
#define SF_SPIKES f32
#define SF_VEC 4
#define SF_NPT 1
#define SF_UNROLL_N 1
#define SF_BLOCK 0
#define SF_FORM SF_FORM_GRAD
#include "fused_bwd.cuh"

#include "test_util.h"

/* Backward of the planted kernel and of the registered default on the same saved tensors, checked. */
static void check_under(const sf_lif_param_set *set, sf_surrogate surrogate)
{
    const int64_t T = 64, M = 4099, TM = T * M;
    sf_lif_params p = set->params;
    p.surrogate = surrogate;
    float *x = malloc((size_t)TM * sizeof *x), *gy = malloc((size_t)TM * sizeof *gy);
    float *y = malloc((size_t)TM * sizeof *y), *v = malloc((size_t)TM * sizeof *v);
    float *gx = malloc((size_t)TM * sizeof *gx);
    double *yd = malloc((size_t)TM * sizeof *yd), *vd = malloc((size_t)TM * sizeof *vd);
    sf_fill_uniform(x, TM, 41, -0.4f, 0.8f);
    sf_fill_uniform(gy, TM, 42, -1.0f, 1.0f);
    sf_reference_forward(x, NULL, T, M, &p, yd, vd, NULL);
    for (int64_t i = 0; i < TM; ++i)
        y[i] = (float)yd[i], v[i] = (float)vd[i];
    sf_tensors t = {T, M, NULL, y, v, NULL, NULL, gy, gx, NULL};
    sf_launch l;
    CHECK_OK(sf_planted_paper_grad_plan_cpu(M, NULL, &l));
    CHECK_OK(sf_planted_paper_grad_run_cpu(&t, &p, &l));
    const sf_check_report planted = sf_check_backward(gy, y, v, T, M, &p, gx, sf_tolerance_default());
    const int exact_there = set->params.rest == 0.0f;
    CHECK(sf_check_passed(&planted) == exact_there,
          "the paper's formula under %s (V_rest %g), %s: %lld of %lld mismatch; it must %s", set->name,
          (double)set->params.rest, sf_surrogate_name(surrogate), (long long)planted.mismatches,
          (long long)planted.compared, exact_there ? "pass (V_rest d = 0)" : "fail");
    CHECK_OK(sf_run(sf_kernel_default("fused", SF_BWD, NULL, SF_BACKEND_CPU), SF_BACKEND_CPU, &t, &p, NULL));
    const sf_check_report real = sf_check_backward(gy, y, v, T, M, &p, gx, sf_tolerance_default());
    CHECK(sf_check_passed(&real), "the registered kernel under %s, %s: %lld mismatches", set->name,
          sf_surrogate_name(surrogate), (long long)real.mismatches);
    printf("%-6s %-8s planted: %lld of %lld mismatch; registered: %lld\n", set->name, sf_surrogate_name(surrogate),
           (long long)planted.mismatches, (long long)planted.compared, (long long)real.mismatches);
    free(x), free(gy), free(y), free(v), free(gx), free(yd), free(vd);
}

int main(void)
{
    int n = 0;
    const sf_lif_param_set *sets = sf_lif_param_sets(&n);
    CHECK(n >= 2 && sets[0].params.rest == 0.0f, "the first set is the paper's, V_rest = 0");
    int nonzero_rest = 0;
    for (int i = 0; i < n; ++i) {
        nonzero_rest += sets[i].params.rest != 0.0f;
        check_under(&sets[i], SF_SURROGATE_RECT);
        check_under(&sets[i], SF_SURROGATE_SIGMOID);
    }
    CHECK(nonzero_rest >= 1, "no set of constants has V_rest != 0: the planted kernel could not be caught");
    return sf_test_summary();
}
