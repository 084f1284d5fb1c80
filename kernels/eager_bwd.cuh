/* eager, backward: what autograd runs for each step of eager_fwd, t = T-1 .. 0, three elementwise
 * kernels per step. With g(t+1) = dL/dv(t+1) (NULL at t = T-1):
 *   a = dL/dy(t) + g(t+1) (V_rest - k v(t))      the spike's total gradient, through the reset
 *   b = g(t+1) k (1 - y(t))                        the membrane's direct path through the decay
 *   g(t) = a d(v(t)) + b = dL/dx(t)
 * which is Eq. 3 (with the V_rest d term) arranged as autograd would.
 * Workspace: a and b, [M] each. */
#include "template_begin.h"

SF_GLOBAL void SF_SYM(spike_grad)(const SF_T *SF_RESTRICT grad_y_t, const SF_T *SF_RESTRICT g_next,
                                  const SF_T *SF_RESTRICT v_t, SF_T *SF_RESTRICT a, int64_t M,
                                  sf_lif_params p, int vec_ok)
{
    SF_UNROLL(SF_NPT)
    for (int k = 0; k < SF_NPT; ++k) {
        const int64_t i0 = sf_group_first(k, SF_VEC, SF_NPT);
        const int n = sf_group_size(i0, M, SF_VEC);
        if (n == 0)
            return;
        float gy[SF_VEC], g[SF_VEC], vs[SF_VEC];
        sf_fill_f32(g, 0.0f, SF_VEC);
        if (g_next)
            SF_LOAD(g, g_next + i0, SF_VEC, n, vec_ok);
        SF_LOAD(gy, grad_y_t + i0, SF_VEC, n, vec_ok);
        SF_LOAD(vs, v_t + i0, SF_VEC, n, vec_ok);
        for (int j = 0; j < SF_VEC; ++j)
            gy[j] += g[j] * (p.rest - p.decay * vs[j]);
        SF_STORE(a + i0, gy, SF_VEC, n, vec_ok);
    }
}

SF_GLOBAL void SF_SYM(decay_grad)(const SF_T *SF_RESTRICT g_next, const SF_T *SF_RESTRICT y_t,
                                  SF_T *SF_RESTRICT b, int64_t M, sf_lif_params p, int vec_ok)
{
    SF_UNROLL(SF_NPT)
    for (int k = 0; k < SF_NPT; ++k) {
        const int64_t i0 = sf_group_first(k, SF_VEC, SF_NPT);
        const int n = sf_group_size(i0, M, SF_VEC);
        if (n == 0)
            return;
        float g[SF_VEC], ys[SF_VEC];
        sf_fill_f32(g, 0.0f, SF_VEC);
        if (g_next)
            SF_LOAD(g, g_next + i0, SF_VEC, n, vec_ok);
        SF_LOAD(ys, y_t + i0, SF_VEC, n, vec_ok);
        for (int j = 0; j < SF_VEC; ++j)
            g[j] = g[j] * p.decay * (1.0f - ys[j]);
        SF_STORE(b + i0, g, SF_VEC, n, vec_ok);
    }
}

SF_GLOBAL void SF_SYM(surrogate_grad)(const SF_T *SF_RESTRICT a, const SF_T *SF_RESTRICT v_t,
                                      const SF_T *SF_RESTRICT b, SF_T *SF_RESTRICT grad_x_t, int64_t M,
                                      sf_lif_params p, int vec_ok)
{
    SF_UNROLL(SF_NPT)
    for (int k = 0; k < SF_NPT; ++k) {
        const int64_t i0 = sf_group_first(k, SF_VEC, SF_NPT);
        const int n = sf_group_size(i0, M, SF_VEC);
        if (n == 0)
            return;
        float as[SF_VEC], vs[SF_VEC], bs[SF_VEC];
        SF_LOAD(as, a + i0, SF_VEC, n, vec_ok);
        SF_LOAD(vs, v_t + i0, SF_VEC, n, vec_ok);
        SF_LOAD(bs, b + i0, SF_VEC, n, vec_ok);
        for (int j = 0; j < SF_VEC; ++j)
            as[j] = as[j] * sf_lif_surrogate(vs[j], p) + bs[j];
        SF_STORE(grad_x_t + i0, as, SF_VEC, n, vec_ok);
    }
}

SF_DEFINE_LAUNCH_QUERIES(SF_SYM(spike_grad), (SF_SYM(spike_grad), SF_SYM(decay_grad), SF_SYM(surrogate_grad)))

SF_HOST_EXPORT sf_status SF_RUN_FN(const sf_tensors *t, const sf_lif_params *p, const sf_launch *L)
{
    const int64_t M = t->M;
    const double row_bytes = (double)M * SF_ELEM_BYTES; /* each launch writes one [M] row */
    SF_T *a = (SF_T *)sf_workspace_vector(t, 0, SF_ELEM_BYTES);
    SF_T *b = (SF_T *)sf_workspace_vector(t, 1, SF_ELEM_BYTES);
    const void *ptrs[] = {t->grad_y, t->y, t->v, t->grad_x, a, b};
    const int vec_ok = sf_vec_ok(M, SF_VEC, SF_ELEM_BYTES, ptrs, 6);
    const SF_T *gy = (const SF_T *)t->grad_y, *y = (const SF_T *)t->y, *v = (const SF_T *)t->v;
    SF_T *gx = (SF_T *)t->grad_x;
    for (int64_t s_ = t->T - 1; s_ >= 0; --s_) {
        const SF_T *g_next = s_ + 1 < t->T ? gx + (s_ + 1) * M : NULL;
        SF_LAUNCH(SF_SYM(spike_grad), *L, row_bytes, gy + s_ * M, g_next, v + s_ * M, a, M, *p, vec_ok);
        SF_LAUNCH(SF_SYM(decay_grad), *L, row_bytes, g_next, y + s_ * M, b, M, *p, vec_ok);
        SF_LAUNCH(SF_SYM(surrogate_grad), *L, row_bytes, a, v + s_ * M, b, gx + s_ * M, M, *p, vec_ok);
    }
    return SF_OK;
}

#include "template_end.h"
