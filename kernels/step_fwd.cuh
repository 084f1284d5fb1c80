/* step, forward: one kernel launch per time step (the paper's "Serial (CUDA)"). The membrane and the
 * previous spike round-trip through memory every step: step t reads v(t-1) and y(t-1) back from the
 * traces it wrote at t-1. */
#include "template_begin.h"

/* v_prev and y_prev are NULL at t = 0: v(0) = V_rest, y(0) = 0. */
SF_GLOBAL void SF_SYM(kernel)(const SF_T *SF_RESTRICT x_t, const SF_T *SF_RESTRICT v_prev,
                              const SF_T *SF_RESTRICT y_prev, SF_T *SF_RESTRICT v_t,
                              SF_T *SF_RESTRICT y_t, int64_t M, sf_lif_params p, int vec_ok)
{
    SF_UNROLL(SF_NPT)
    for (int k = 0; k < SF_NPT; ++k) {
        const int64_t i0 = sf_group_first(k, SF_VEC, SF_NPT);
        const int n = sf_group_size(i0, M, SF_VEC);
        if (n == 0)
            return;
        float xs[SF_VEC], vs[SF_VEC], ys[SF_VEC];
        sf_fill_f32(vs, p.rest, SF_VEC);
        sf_fill_f32(ys, 0.0f, SF_VEC);
        if (v_prev) {
            SF_LOAD(vs, v_prev + i0, SF_VEC, n, vec_ok);
            SF_LOAD(ys, y_prev + i0, SF_VEC, n, vec_ok);
        }
        SF_LOAD(xs, x_t + i0, SF_VEC, n, vec_ok);
        for (int j = 0; j < SF_VEC; ++j) {
            vs[j] = sf_lif_decay_reset(vs[j], ys[j], p) + xs[j];
            ys[j] = sf_lif_fire(vs[j], p);
        }
        SF_STORE(v_t + i0, vs, SF_VEC, n, vec_ok);
        SF_STORE(y_t + i0, ys, SF_VEC, n, vec_ok);
    }
}

SF_DEFINE_LAUNCH_QUERIES(SF_SYM(kernel), (SF_SYM(kernel)))

SF_HOST_EXPORT sf_status SF_RUN_FN(const sf_tensors *t, const sf_lif_params *p, const sf_launch *L)
{
    const void *ptrs[] = {t->x, t->y, t->v};
    const int vec_ok = sf_vec_ok(t->M, SF_VEC, SF_ELEM_BYTES, ptrs, 3);
    const SF_T *x = (const SF_T *)t->x;
    SF_T *y = (SF_T *)t->y, *v = (SF_T *)t->v;
    const int64_t M = t->M;
    const double row_bytes = (double)M * SF_ELEM_BYTES;
    for (int64_t s_ = 0; s_ < t->T; ++s_) {
        const SF_T *v_prev = s_ > 0 ? v + (s_ - 1) * M : NULL;
        const SF_T *y_prev = s_ > 0 ? y + (s_ - 1) * M : NULL;
        SF_LAUNCH(SF_SYM(kernel), *L, 2.0 * row_bytes, x + s_ * M, v_prev, y_prev, v + s_ * M, y + s_ * M, M, *p, vec_ok);
    }
    return SF_OK;
}

#include "template_end.h"
