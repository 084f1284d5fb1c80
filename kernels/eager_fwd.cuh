/* eager, forward: the step loop as a tensor library runs it in eager mode (the paper's
 * "Serial (PyTorch)"): four elementwise kernels per step, each reading and writing whole [M] tensors.
 *   h = decay_reset(v, y_prev)   k v (1 - y_prev) + V_rest y_prev
 *   v = h + x(t)
 *   y(t) = fire(v)
 *   v_trace(t) = v               (kept for backward)
 * Workspace: h and v, [M] each. */
#include "template_begin.h"

SF_GLOBAL void SF_SYM(decay_reset)(const SF_T *SF_RESTRICT v_state, const SF_T *SF_RESTRICT y_prev,
                                   SF_T *SF_RESTRICT h, int64_t M, sf_lif_params p, int vec_ok)
{
    SF_UNROLL(SF_NPT)
    for (int k = 0; k < SF_NPT; ++k) {
        const int64_t i0 = sf_group_first(k, SF_VEC, SF_NPT);
        const int n = sf_group_size(i0, M, SF_VEC);
        if (n == 0)
            return;
        float vs[SF_VEC], ys[SF_VEC], hs[SF_VEC];
        sf_fill_f32(vs, p.rest, SF_VEC); /* t = 0: v(0) = V_rest, y(0) = 0 */
        sf_fill_f32(ys, 0.0f, SF_VEC);
        if (y_prev) {
            SF_LOAD(vs, v_state + i0, SF_VEC, n, vec_ok);
            SF_LOAD(ys, y_prev + i0, SF_VEC, n, vec_ok);
        }
        for (int j = 0; j < SF_VEC; ++j)
            hs[j] = sf_lif_decay_reset(vs[j], ys[j], p);
        SF_STORE(h + i0, hs, SF_VEC, n, vec_ok);
    }
}

SF_GLOBAL void SF_SYM(add)(const SF_T *SF_RESTRICT a, const SF_T *SF_RESTRICT b, SF_T *SF_RESTRICT out,
                           int64_t M, int vec_ok)
{
    SF_UNROLL(SF_NPT)
    for (int k = 0; k < SF_NPT; ++k) {
        const int64_t i0 = sf_group_first(k, SF_VEC, SF_NPT);
        const int n = sf_group_size(i0, M, SF_VEC);
        if (n == 0)
            return;
        float as[SF_VEC], bs[SF_VEC];
        SF_LOAD(as, a + i0, SF_VEC, n, vec_ok);
        SF_LOAD(bs, b + i0, SF_VEC, n, vec_ok);
        for (int j = 0; j < SF_VEC; ++j)
            as[j] += bs[j];
        SF_STORE(out + i0, as, SF_VEC, n, vec_ok);
    }
}

SF_GLOBAL void SF_SYM(fire)(const SF_T *SF_RESTRICT v_state, SF_T *SF_RESTRICT y_t, int64_t M,
                            sf_lif_params p, int vec_ok)
{
    SF_UNROLL(SF_NPT)
    for (int k = 0; k < SF_NPT; ++k) {
        const int64_t i0 = sf_group_first(k, SF_VEC, SF_NPT);
        const int n = sf_group_size(i0, M, SF_VEC);
        if (n == 0)
            return;
        float vs[SF_VEC], ys[SF_VEC];
        SF_LOAD(vs, v_state + i0, SF_VEC, n, vec_ok);
        for (int j = 0; j < SF_VEC; ++j)
            ys[j] = sf_lif_fire(vs[j], p);
        SF_STORE(y_t + i0, ys, SF_VEC, n, vec_ok);
    }
}

SF_GLOBAL void SF_SYM(copy)(const SF_T *SF_RESTRICT src, SF_T *SF_RESTRICT dst, int64_t M, int vec_ok)
{
    SF_UNROLL(SF_NPT)
    for (int k = 0; k < SF_NPT; ++k) {
        const int64_t i0 = sf_group_first(k, SF_VEC, SF_NPT);
        const int n = sf_group_size(i0, M, SF_VEC);
        if (n == 0)
            return;
        float vs[SF_VEC];
        SF_LOAD(vs, src + i0, SF_VEC, n, vec_ok);
        SF_STORE(dst + i0, vs, SF_VEC, n, vec_ok);
    }
}

SF_DEFINE_LAUNCH_QUERIES(SF_SYM(decay_reset), (SF_SYM(decay_reset), SF_SYM(add), SF_SYM(fire), SF_SYM(copy)))

SF_HOST_EXPORT sf_status SF_RUN_FN(const sf_tensors *t, const sf_lif_params *p, const sf_launch *L)
{
    const int64_t M = t->M;
    const double row_bytes = (double)M * SF_ELEM_BYTES; /* each launch writes one [M] row */
    SF_T *h = (SF_T *)sf_workspace_vector(t, 0, SF_ELEM_BYTES);
    SF_T *v_state = (SF_T *)sf_workspace_vector(t, 1, SF_ELEM_BYTES);
    const void *ptrs[] = {t->x, t->y, t->v, h, v_state};
    const int vec_ok = sf_vec_ok(M, SF_VEC, SF_ELEM_BYTES, ptrs, 5);
    const SF_T *x = (const SF_T *)t->x;
    SF_T *y = (SF_T *)t->y, *v = (SF_T *)t->v;
    for (int64_t s_ = 0; s_ < t->T; ++s_) {
        const SF_T *y_prev = s_ > 0 ? y + (s_ - 1) * M : NULL;
        SF_LAUNCH(SF_SYM(decay_reset), *L, row_bytes, v_state, y_prev, h, M, *p, vec_ok);
        SF_LAUNCH(SF_SYM(add), *L, row_bytes, h, x + s_ * M, v_state, M, vec_ok);
        SF_LAUNCH(SF_SYM(fire), *L, row_bytes, v_state, y + s_ * M, M, *p, vec_ok);
        SF_LAUNCH(SF_SYM(copy), *L, row_bytes, v_state, v + s_ * M, M, vec_ok);
    }
    return SF_OK;
}

#include "template_end.h"
