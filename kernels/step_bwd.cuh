/* step, backward: one kernel launch per time step, t = T-1 .. 0; g(t+1) round-trips through memory
 * as the dL/dx row written by the previous launch. */
#include "template_begin.h"

/* g_next is NULL at t = T-1: g(T) = 0. */
SF_GLOBAL void SF_SYM(kernel)(const SF_T *SF_RESTRICT grad_y_t, const SF_T *SF_RESTRICT y_t,
                              const SF_T *SF_RESTRICT v_t, const SF_T *SF_RESTRICT g_next,
                              SF_T *SF_RESTRICT grad_x_t, int64_t M, sf_lif_params p, int vec_ok)
{
    SF_UNROLL(SF_NPT)
    for (int k = 0; k < SF_NPT; ++k) {
        const int64_t i0 = sf_group_first(k, SF_VEC, SF_NPT);
        const int n = sf_group_size(i0, M, SF_VEC);
        if (n == 0)
            return;
        float gy[SF_VEC], ys[SF_VEC], vs[SF_VEC], g[SF_VEC];
        sf_fill_f32(g, 0.0f, SF_VEC);
        if (g_next)
            SF_LOAD(g, g_next + i0, SF_VEC, n, vec_ok);
        SF_LOAD(gy, grad_y_t + i0, SF_VEC, n, vec_ok);
        SF_LOAD(ys, y_t + i0, SF_VEC, n, vec_ok);
        SF_LOAD(vs, v_t + i0, SF_VEC, n, vec_ok);
        for (int j = 0; j < SF_VEC; ++j)
            g[j] = sf_lif_grad(g[j], gy[j], ys[j], vs[j], p);
        SF_STORE(grad_x_t + i0, g, SF_VEC, n, vec_ok);
    }
}

SF_DEFINE_LAUNCH_QUERIES(SF_SYM(kernel), (SF_SYM(kernel)))

SF_HOST_EXPORT sf_status SF_RUN_FN(const sf_tensors *t, const sf_lif_params *p, const sf_launch *L)
{
    const void *ptrs[] = {t->grad_y, t->y, t->v, t->grad_x};
    const int vec_ok = sf_vec_ok(t->M, SF_VEC, SF_ELEM_BYTES, ptrs, 4);
    const SF_T *gy = (const SF_T *)t->grad_y, *y = (const SF_T *)t->y, *v = (const SF_T *)t->v;
    SF_T *gx = (SF_T *)t->grad_x;
    const int64_t M = t->M;
    const double row_bytes = (double)M * SF_ELEM_BYTES;
    for (int64_t s_ = t->T - 1; s_ >= 0; --s_) {
        const SF_T *g_next = s_ + 1 < t->T ? gx + (s_ + 1) * M : NULL;
        SF_LAUNCH(SF_SYM(kernel), *L, row_bytes, gy + s_ * M, y + s_ * M, v + s_ * M, g_next, gx + s_ * M, M, *p,
                  vec_ok);
    }
    return SF_OK;
}

#include "template_end.h"
