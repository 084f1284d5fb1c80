/* fused, backward: one kernel loops t = T-1 .. 0 with g(t+1) in registers and writes dL/dx. SF_FORM
 * picks what it reads per neuron-step, that is what forward kept for it:
 *   SF_FORM_GRAD:   dL/dy, y and v (16 bytes in fp32, as the paper's);
 *   SF_FORM_GRAD_H: dL/dy and v only (12 bytes), the spike recomputed as v >= V_th, as SpikingJelly 2.0
 *                   does: exact, since forward fired on the very float it stored.
 * SF_PREFETCH > 0 loads what the next SF_PREFETCH steps read ahead into a register queue, and SF_STAGE
 * > 0 stages it in shared memory by tiles of SF_STAGE steps (stage.h), as fused_fwd.cuh does. Written as the parts of a temporal kernel, as fused_fwd.cuh is (temporal.h). */
#include "template_begin.h"

#define SF_PARAMS                                                                                  \
    const SF_T *SF_RESTRICT grad_y, const SF_S *SF_RESTRICT y, const SF_T *SF_RESTRICT v,          \
        SF_T *SF_RESTRICT grad_x, int64_t T, int64_t M, sf_lif_params p, int vec_ok

/* g(t+1) per neuron, where the thread's groups start and how many of their neurons exist, and
 * (SF_PREFETCH > 0) what the next SF_PREFETCH steps (t, t-1, ...) read, loaded ahead: slot 0 is step t's. */
#define SF_REGISTERS(X)                                                                            \
    X(float, g, [SF_NPT][SF_VEC]) X(int64_t, i0, [SF_NPT]) X(int, n, [SF_NPT]) SF_PREFETCH_REGISTERS(X)

/* What step t reads, into gy, ys, vs (ys not for grad_h, which recomputes it): from the tensors, or
 * (SF_STAGE > 0, below) from the block's tiles where the launch stages. */
#define SF_FETCH_GLOBAL(gy, ys, vs, t, k)                                                          \
    SF_LOAD(gy, grad_y + (t) * M + i0[k], SF_VEC, n[k], vec_ok);                                   \
    if (SF_FORM != SF_FORM_GRAD_H)                                                                 \
        SF_LOAD_Y(ys, y, t, M, i0[k], SF_VEC, n[k], vec_ok);                                       \
    SF_LOAD(vs, v + (t) * M + i0[k], SF_VEC, n[k], vec_ok)

/* Staging (SF_STAGE > 0; stage.h): what step t reads comes from the block's tiles in shared memory,
 * where the launch stages, the tiles walked from the last step as the loop walks. */
#if SF_STAGE > 0
#if SF_FORM == SF_FORM_GRAD_H
#define SF_STAGED(Y, ...) Y(gy_tile, SF_T, grad_y, 8 * SF_ELEM_BYTES, __VA_ARGS__) Y(v_tile, SF_T, v, 8 * SF_ELEM_BYTES, __VA_ARGS__)
#define SF_TILE_Y(ys, r, k)
#else
#define SF_STAGED(Y, ...)                                                                          \
    Y(gy_tile, SF_T, grad_y, 8 * SF_ELEM_BYTES, __VA_ARGS__) Y(y_tile, SF_S, y, SF_Y_BITS, __VA_ARGS__) \
    Y(v_tile, SF_T, v, 8 * SF_ELEM_BYTES, __VA_ARGS__)
#define SF_TILE_Y(ys, r, k) SF_LOAD_Y(ys, y_tile, r, tile_w, i0[k] - tile_first, SF_VEC, n[k], vec_ok);
#endif
#define SF_STAGE_REVERSED 1
#include "stage.h"
#define SF_FETCH(gy, ys, vs, t, k)                                                                 \
    if (staged) {                                                                                  \
        const int64_t r_ = SF_TILE_ROW(t);                                                         \
        SF_LOAD(gy, gy_tile + r_ * tile_w + (i0[k] - tile_first), SF_VEC, n[k], vec_ok);           \
        SF_TILE_Y(ys, r_, k)                                                                       \
        SF_LOAD(vs, v_tile + r_ * tile_w + (i0[k] - tile_first), SF_VEC, n[k], vec_ok);            \
    } else {                                                                                       \
        SF_FETCH_GLOBAL(gy, ys, vs, t, k);                                                         \
    }
#else
#define SF_FETCH SF_FETCH_GLOBAL
#endif

/* How group k gets step t's: loaded now, or (SF_PREFETCH > 0) taken from the queue filled at init,
 * which then shifts and loads step t - SF_PREFETCH's (zeros before step 0). */
#if SF_PREFETCH > 0
#define SF_PREFETCH_REGISTERS(X)                                                                   \
    X(float, gq, [SF_PREFETCH][SF_NPT][SF_VEC]) X(float, yq, [SF_PREFETCH][SF_NPT][SF_VEC])        \
    X(float, vq, [SF_PREFETCH][SF_NPT][SF_VEC])
#define SF_FETCH_AHEAD(u, t, k)                                                                    \
    if ((t) >= 0) {                                                                                \
        SF_FETCH(gq[u][k], yq[u][k], vq[u][k], t, k);                                              \
        if (SF_FORM == SF_FORM_GRAD_H)                                                             \
            sf_fill_f32(yq[u][k], 0.0f, SF_VEC); /* recomputed from v when taken */                \
    } else {                                                                                       \
        sf_fill_f32(gq[u][k], 0.0f, SF_VEC), sf_fill_f32(yq[u][k], 0.0f, SF_VEC);                  \
        sf_fill_f32(vq[u][k], 0.0f, SF_VEC);                                                       \
    }
#define SF_PREFETCH_INIT(k)                                                                        \
    SF_UNROLL(SF_PREFETCH)                                                                         \
    for (int u = 0; u < SF_PREFETCH; ++u) {                                                        \
        SF_FETCH_AHEAD(u, T - 1 - u, k)                                                            \
    }
#define SF_TAKE(gy, ys, vs, t, k)                                                                  \
    for (int j = 0; j < SF_VEC; ++j)                                                               \
        gy[j] = gq[0][k][j], ys[j] = yq[0][k][j], vs[j] = vq[0][k][j];                             \
    SF_UNROLL(SF_PREFETCH)                                                                         \
    for (int u = 0; u + 1 < SF_PREFETCH; ++u)                                                      \
        for (int j = 0; j < SF_VEC; ++j)                                                           \
            gq[u][k][j] = gq[u + 1][k][j], yq[u][k][j] = yq[u + 1][k][j], vq[u][k][j] = vq[u + 1][k][j]; \
    SF_FETCH_AHEAD(SF_PREFETCH - 1, (t) - SF_PREFETCH, k)
#else
#define SF_PREFETCH_REGISTERS(X)
#define SF_PREFETCH_INIT(k)
#define SF_TAKE(gy, ys, vs, t, k) SF_FETCH(gy, ys, vs, t, k);
#endif

#define SF_INIT()                                                                                  \
    SF_UNROLL(SF_NPT)                                                                              \
    for (int k = 0; k < SF_NPT; ++k) {                                                             \
        i0[k] = sf_group_first(k, SF_VEC, SF_NPT);                                                 \
        n[k] = sf_group_size(i0[k], M, SF_VEC);                                                    \
        sf_fill_f32(g[k], 0.0f, SF_VEC); /* g(T) = 0 */                                            \
        SF_PREFETCH_INIT(k)                                                                        \
    }

#define SF_STEP(t)                                                                                 \
    const int64_t row = (t) * M;                                                                   \
    SF_UNROLL(SF_NPT)                                                                              \
    for (int k = 0; k < SF_NPT; ++k) {                                                             \
        if (n[k] == 0)                                                                             \
            continue;                                                                              \
        float gy[SF_VEC], ys[SF_VEC], vs[SF_VEC];                                                  \
        SF_TAKE(gy, ys, vs, t, k)                                                                  \
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

#undef SF_FETCH
#undef SF_FETCH_GLOBAL
#undef SF_TILE_Y
#undef SF_PREFETCH_REGISTERS
#undef SF_FETCH_AHEAD
#undef SF_PREFETCH_INIT
#undef SF_TAKE
#include "template_end.h"
