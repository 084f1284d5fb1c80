/* fused, backward from checkpoints (keep=recompute): forward kept only the spikes and fp32 v at the end
 * of every chunk of SF_CHUNK steps (fused_fwd.cuh, SF_FORM_CKPT). One kernel walks the chunks from the
 * last to the first; for each it replays the chunk forward from x and the checkpoint before it (V_rest
 * before the first) into a chunk-deep register array, then runs the chunk backward with g(t+1) in
 * registers and writes dL/dx. It reads dL/dy, x and a checkpoint a chunk: no v trace and no spikes.
 *
 * The replay is the forward's own arithmetic on the same floats: with y(t-1) 0 or 1, the reset
 * k v (1 - y) + V_rest y rounds once whether or not the compiler contracts it into FMAs, and + x once
 * more, so each replayed v is bit for bit the v forward fired on, and the spikes come out the same.
 * Written as the parts of a temporal kernel (temporal.h) whose time step is one chunk.
 *
 * SF_STAGE > 0 (= SF_CHUNK) stages each chunk's dL/dy and x rows in shared memory, a chunk a tile and
 * two in flight (stage.h, by chunks), so that the next chunk's rows land while the block replays one. */
#include "template_begin.h"

#if SF_PREFETCH != 0
#error "fused_replay_bwd.cuh: its loads per chunk are already ahead of their use; prefetch must be 0"
#endif

#if SF_STAGE > 0 && SF_STAGE != SF_CHUNK
#error "fused_replay_bwd.cuh: a staged tile is one chunk; stage must equal chunk"
#endif

#define SF_PARAMS                                                                                  \
    const SF_T *SF_RESTRICT grad_y, const SF_T *SF_RESTRICT x, const float *SF_RESTRICT v,         \
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

/* Where step t's x and dL/dy come from: global memory, or (SF_STAGE > 0) the block's tile of the chunk
 * where the launch stages. */
#define SF_LOAD_X_GLOBAL(xs, t, k) SF_LOAD(xs, x + (t) * M + i0[k], SF_VEC, n[k], vec_ok)
#define SF_LOAD_GY_GLOBAL(gy, t, k) SF_LOAD(gy, grad_y + (t) * M + i0[k], SF_VEC, n[k], vec_ok)
#if SF_STAGE > 0
#define SF_STAGED(Y, ...) Y(gy_tile, SF_T, grad_y, 8 * SF_ELEM_BYTES, __VA_ARGS__) Y(x_tile, SF_T, x, 8 * SF_ELEM_BYTES, __VA_ARGS__)
#define SF_STAGE_REVERSED 1
#define SF_STAGE_CHUNKS 1
#include "stage.h"
#define SF_LOAD_X(xs, t, k)                                                                        \
    if (staged)                                                                                    \
        SF_LOAD(xs, x_tile + SF_TILE_ROW(t) * tile_w + (i0[k] - tile_first), SF_VEC, n[k], vec_ok); \
    else                                                                                           \
        SF_LOAD_X_GLOBAL(xs, t, k)
#define SF_LOAD_GY(gy, t, k)                                                                       \
    if (staged)                                                                                    \
        SF_LOAD(gy, gy_tile + SF_TILE_ROW(t) * tile_w + (i0[k] - tile_first), SF_VEC, n[k], vec_ok); \
    else                                                                                           \
        SF_LOAD_GY_GLOBAL(gy, t, k)
#else
#define SF_LOAD_X SF_LOAD_X_GLOBAL
#define SF_LOAD_GY SF_LOAD_GY_GLOBAL
#endif

/* Chunk c: steps c SF_CHUNK .. min((c+1) SF_CHUNK, T) - 1. The loops over the chunk unroll fully, so
 * that vr[j] is a register on CUDA (an index known at compile time). */
#define SF_STEP(c)                                                                                 \
    const int64_t t0 = (c) * SF_CHUNK;                                                             \
    SF_UNROLL(SF_NPT)                                                                              \
    for (int k = 0; k < SF_NPT; ++k) {                                                             \
        if (n[k] == 0)                                                                             \
            continue;                                                                              \
        float vm[SF_VEC], sp[SF_VEC], vr[SF_CHUNK][SF_VEC];                                        \
        sf_fill_f32(vm, p.rest, SF_VEC);                                                           \
        if ((c) > 0)                                                                               \
            sf_load_f32(vm, v + ((c) - 1) * M + i0[k], SF_VEC, n[k], vec_ok);                      \
        for (int j = 0; j < SF_VEC; ++j)                                                           \
            sp[j] = (c) > 0 ? sf_lif_fire(vm[j], p) : 0.0f;                                        \
        SF_UNROLL(SF_CHUNK)                                                                        \
        for (int s = 0; s < SF_CHUNK; ++s) {                                                       \
            if (t0 + s < T) {                                                                      \
                float xs[SF_VEC];                                                                  \
                SF_LOAD_X(xs, t0 + s, k);                                                          \
                for (int j = 0; j < SF_VEC; ++j) {                                                 \
                    vm[j] = sf_lif_decay_reset(vm[j], sp[j], p) + xs[j];                           \
                    sp[j] = sf_lif_fire(vm[j], p);                                                 \
                    vr[s][j] = vm[j];                                                              \
                }                                                                                  \
            } else {                                                                               \
                sf_fill_f32(vr[s], 0.0f, SF_VEC); /* past T: never read, but defined */            \
            }                                                                                      \
        }                                                                                          \
        SF_UNROLL(SF_CHUNK)                                                                        \
        for (int s = SF_CHUNK - 1; s >= 0; --s) {                                                  \
            if (t0 + s < T) {                                                                      \
                float gy[SF_VEC];                                                                  \
                SF_LOAD_GY(gy, t0 + s, k);                                                         \
                for (int j = 0; j < SF_VEC; ++j)                                                   \
                    g[k][j] = sf_lif_grad(g[k][j], gy[j], sf_lif_fire(vr[s][j], p), vr[s][j], p);  \
                SF_STORE(grad_x + (t0 + s) * M + i0[k], g[k], SF_VEC, n[k], vec_ok);               \
            }                                                                                      \
        }                                                                                          \
    }

#define SF_FINISH() /* dL/dx is written step by step */
#define SF_TIME_LOOP(c) for (int64_t c = (T - 1) / SF_CHUNK; c >= 0; --c)
#define SF_WARP_WIDE 0

#include "temporal.h"

SF_HOST_EXPORT sf_status SF_RUN_FN(const sf_tensors *t, const sf_lif_params *p, const sf_launch *L)
{
    const void *ptrs[] = {t->grad_y, t->x, t->v, t->grad_x};
    /* every row aligned to the vector at its own element size (the checkpoints are fp32) */
    const int vec_ok = sf_vec_ok(t->M, SF_VEC, SF_ELEM_BYTES, ptrs, 4) && sf_vec_ok(t->M, SF_VEC, 4, ptrs + 2, 1);
    const double written = (double)t->T * (double)t->M * SF_ELEM_BYTES;
    SF_LAUNCH_TEMPORAL(*L, written, (const SF_T *)t->grad_y, (const SF_T *)t->x, (const float *)t->v,
                       (SF_T *)t->grad_x, t->T, t->M, *p, vec_ok);
    return SF_OK;
}

#undef SF_LOAD_X_GLOBAL
#undef SF_LOAD_GY_GLOBAL
#undef SF_LOAD_X
#undef SF_LOAD_GY

#include "template_end.h"
