/* fused, backward: one kernel loops t = T-1 .. 0 with g(t+1) in registers and writes dL/dx. SF_FORM
 * picks what it reads per neuron-step, that is what forward kept for it:
 *   SF_FORM_GRAD:   dL/dy, y and v (16 bytes in fp32, as the paper's);
 *   SF_FORM_GRAD_H: dL/dy and v only (12 bytes), the spike recomputed as v >= V_th, as SpikingJelly 2.0
 *                   does: exact, since forward fired on the very float it stored.
 * Written as the parts of a temporal kernel, as fused_fwd.cuh is (temporal.h). */
#include "template_begin.h"

#define SF_PARAMS                                                                                  \
    const SF_T *SF_RESTRICT grad_y, const SF_S *SF_RESTRICT y, const SF_T *SF_RESTRICT v,          \
        SF_T *SF_RESTRICT grad_x, int64_t T, int64_t M, sf_lif_params p, int vec_ok

/* g(t+1) per neuron, where the thread's groups start and how many of their neurons exist. */
#define SF_REGISTERS(X) X(float, g, [SF_NPT][SF_VEC]) X(int64_t, i0, [SF_NPT]) X(int, n, [SF_NPT])

#define SF_INIT()                                                                                  \
    SF_UNROLL(SF_NPT)                                                                              \
    for (int k = 0; k < SF_NPT; ++k) {                                                             \
        i0[k] = sf_group_first(k, SF_VEC, SF_NPT);                                                 \
        n[k] = sf_group_size(i0[k], M, SF_VEC);                                                    \
        sf_fill_f32(g[k], 0.0f, SF_VEC); /* g(T) = 0 */                                            \
    }

#define SF_STEP(t)                                                                                 \
    const int64_t row = (t) * M;                                                                   \
    SF_UNROLL(SF_NPT)                                                                              \
    for (int k = 0; k < SF_NPT; ++k) {                                                             \
        if (n[k] == 0)                                                                             \
            continue;                                                                              \
        float gy[SF_VEC], ys[SF_VEC], vs[SF_VEC];                                                  \
        SF_LOAD(gy, grad_y + row + i0[k], SF_VEC, n[k], vec_ok);                                   \
        if (SF_FORM != SF_FORM_GRAD_H)                                                             \
            SF_LOAD_Y(ys, y, t, M, i0[k], SF_VEC, n[k], vec_ok);                                   \
        SF_LOAD(vs, v + row + i0[k], SF_VEC, n[k], vec_ok);                                        \
        if (SF_FORM == SF_FORM_GRAD_H)                                                             \
            for (int j = 0; j < SF_VEC; ++j)                                                       \
                ys[j] = sf_lif_fire(vs[j], p);                                                     \
        for (int j = 0; j < SF_VEC; ++j)                                                           \
            g[k][j] = sf_lif_grad(g[k][j], gy[j], ys[j], vs[j], p);                                \
        SF_STORE(grad_x + row + i0[k], g[k], SF_VEC, n[k], vec_ok);                                \
    }

#define SF_FINISH() /* dL/dx is written step by step */
#define SF_TIME_LOOP(t) for (int64_t t = T - 1; t >= 0; --t)
#define SF_WARP_WIDE 0

#include "temporal.h"

SF_HOST_EXPORT sf_status SF_RUN_FN(const sf_tensors *t, const sf_lif_params *p, const sf_launch *L)
{
    const void *ptrs[] = {t->grad_y, t->y, t->v, t->grad_x};
    const int vec_ok = sf_vec_ok(t->M, SF_VEC, SF_ELEM_BYTES, ptrs, 4);
    const double written = (double)t->T * (double)t->M * SF_ELEM_BYTES;
    SF_LAUNCH_TEMPORAL(*L, written, (const SF_T *)t->grad_y, (const SF_S *)t->y, (const SF_T *)t->v,
                       (SF_T *)t->grad_x, t->T, t->M, *p, vec_ok);
    return SF_OK;
}

#include "template_end.h"
