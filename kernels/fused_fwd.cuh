/* fused, forward: all T steps of a layer in one kernel, the membrane state in registers
 * (the paper's "ours"). SF_FORM picks what is written:
 *   SF_FORM_TRAIN:   y[T,M] and the v trace [T,M] (for backward)
 *   SF_FORM_INFER:   y[T,M] and only the final v[M]
 *   SF_FORM_SEGMENT: starts from v_in[M], writes y, the v trace and v_out[M], so that T cut into
 *                    segments chained through v_out -> v_in gives exactly one launch's result.
 *   SF_FORM_CKPT:    y[T,M] and v only at the last step of each chunk of SF_CHUNK steps, in fp32
 *                    ([ceil(T/SF_CHUNK), M]; the last row is the final v): what fused_replay_bwd.cuh
 *                    replays the chunks from (keep=recompute).
 *
 * SF_PREFETCH > 0 keeps the inputs of the next SF_PREFETCH steps in a register queue, each load issued
 * that many steps before its use, so that a thread has that many loads in flight while it computes.
 * SF_STAGE > 0 stages the block's x in shared memory instead, SF_STAGE steps a tile and two tiles in
 * flight: while the block computes one, the next lands (bulk asynchronous copies on sm_90, a row each;
 * cuda_prelude.cuh), so that the loads in flight are the block's, not each thread's.
 *
 * A thread's work is written once, as SF_INIT, SF_STEP(t) and SF_FINISH over its registers, and run
 * by two schedules: the CUDA kernel puts the time loop inside the thread (the paper's kernel), the CPU
 * puts it outside the block's threads (cpu_shim.h). Macros rather than functions, so that the CUDA
 * kernel compiles to exactly the code it did when it was written inline. */
#include "template_begin.h"

/* Where step t's membrane goes: the trace row t at the dtype, a checkpoint row in fp32 at a chunk's last
 * step (and at T - 1), or nowhere (infer). SF_V_T: the element type of v. */
#if SF_FORM == SF_FORM_CKPT
#define SF_V_T float
#define SF_KEEP_V(t, k)                                                                            \
    if ((t) % SF_CHUNK == SF_CHUNK - 1 || (t) == T - 1)                                            \
    sf_store_f32(v + (t) / SF_CHUNK * M + i0[k], vm[k], SF_VEC, n[k], vec_ok)
#elif SF_FORM == SF_FORM_INFER
#define SF_V_T SF_T
#define SF_KEEP_V(t, k) (void)v
#else
#define SF_V_T SF_T
#define SF_KEEP_V(t, k) SF_STORE(v + (t) * M + i0[k], vm[k], SF_VEC, n[k], vec_ok)
#endif

#define SF_PARAMS                                                                                  \
    const SF_T *SF_RESTRICT x, SF_S *SF_RESTRICT y, SF_V_T *SF_RESTRICT v, const SF_T *SF_RESTRICT v_in, \
        SF_T *SF_RESTRICT v_out, int64_t T, int64_t M, sf_lif_params p, int vec_ok

/* What a thread keeps across time steps, as X(type, name, dimensions): membrane and spike per
 * neuron, where its groups start and how many of their neurons exist, and (SF_PREFETCH > 0) the inputs
 * of the next SF_PREFETCH steps, loaded ahead: xq[0] is step t's. */
#define SF_REGISTERS(X)                                                                            \
    X(float, vm, [SF_NPT][SF_VEC]) X(float, sp, [SF_NPT][SF_VEC]) X(int64_t, i0, [SF_NPT]) X(int, n, [SF_NPT]) \
    SF_PREFETCH_REGISTERS(X)

/* How group k gets step t's input xs: loaded now, or (SF_PREFETCH > 0) taken from the queue filled at
 * init, which then shifts and loads step t + SF_PREFETCH's (zeros past T). */
#if SF_PREFETCH > 0
#define SF_PREFETCH_REGISTERS(X) X(float, xq, [SF_PREFETCH][SF_NPT][SF_VEC])
#define SF_FETCH_X(dst, t, k)                                                                      \
    if ((t) < T)                                                                                   \
        SF_LOAD(dst, x + (t) * M + i0[k], SF_VEC, n[k], vec_ok);                                   \
    else                                                                                           \
        sf_fill_f32(dst, 0.0f, SF_VEC)
#define SF_PREFETCH_INIT(k)                                                                        \
    SF_UNROLL(SF_PREFETCH)                                                                         \
    for (int u = 0; u < SF_PREFETCH; ++u) {                                                        \
        SF_FETCH_X(xq[u][k], (int64_t)u, k);                                                       \
    }
#define SF_TAKE_X(xs, t, k)                                                                        \
    for (int j = 0; j < SF_VEC; ++j)                                                               \
        xs[j] = xq[0][k][j];                                                                       \
    SF_UNROLL(SF_PREFETCH)                                                                         \
    for (int u = 0; u + 1 < SF_PREFETCH; ++u)                                                      \
        for (int j = 0; j < SF_VEC; ++j)                                                           \
            xq[u][k][j] = xq[u + 1][k][j];                                                         \
    SF_FETCH_X(xq[SF_PREFETCH - 1][k], (t) + SF_PREFETCH, k)
#else
#define SF_PREFETCH_REGISTERS(X)
#define SF_PREFETCH_INIT(k)
#define SF_TAKE_X(xs, t, k) SF_LOAD(xs, x + (t) * M + i0[k], SF_VEC, n[k], vec_ok)
#endif

/* Staging (SF_STAGE > 0; stage.h): x comes from the block's tile in shared memory, where the launch
 * stages. */
#if SF_STAGE > 0
#define SF_STAGED(Y, ...) Y(x_tile, SF_T, x, 8 * SF_ELEM_BYTES, __VA_ARGS__)
#define SF_STAGE_REVERSED 0
#include "stage.h"
#undef SF_TAKE_X
#define SF_TAKE_X(xs, t, k)                                                                        \
    if (staged)                                                                                    \
        SF_LOAD(xs, x_tile + SF_TILE_ROW(t) * tile_w + (i0[k] - tile_first), SF_VEC, n[k], vec_ok); \
    else                                                                                           \
        SF_LOAD(xs, x + (t) * M + i0[k], SF_VEC, n[k], vec_ok)
#endif

#define SF_INIT()                                                                                  \
    SF_UNROLL(SF_NPT)                                                                              \
    for (int k = 0; k < SF_NPT; ++k) {                                                             \
        i0[k] = sf_group_first(k, SF_VEC, SF_NPT);                                                 \
        n[k] = sf_group_size(i0[k], M, SF_VEC);                                                    \
        sf_fill_f32(vm[k], p.rest, SF_VEC);                                                        \
        sf_fill_f32(sp[k], 0.0f, SF_VEC);                                                          \
        if (SF_FORM == SF_FORM_SEGMENT) {                                                          \
            /* the previous spike is recomputed from the boundary state, as the paper's kernel does */ \
            SF_LOAD(vm[k], v_in + i0[k], SF_VEC, n[k], vec_ok);                                    \
            for (int j = 0; j < SF_VEC; ++j)                                                       \
                sp[k][j] = sf_lif_fire(vm[k][j], p);                                               \
        }                                                                                          \
        SF_PREFETCH_INIT(k)                                                                        \
    }

#define SF_STEP(t)                                                                                 \
    SF_UNROLL(SF_NPT)                                                                              \
    for (int k = 0; k < SF_NPT; ++k) {                                                             \
        if (n[k] == 0 && !SF_WARP_WIDE)                                                            \
            continue;                                                                              \
        float xs[SF_VEC];                                                                          \
        SF_TAKE_X(xs, t, k);                                                                       \
        for (int j = 0; j < SF_VEC; ++j) {                                                         \
            vm[k][j] = sf_lif_decay_reset(vm[k][j], sp[k][j], p) + xs[j];                          \
            sp[k][j] = sf_lif_fire(vm[k][j], p);                                                   \
        }                                                                                          \
        SF_STORE_Y(y, t, M, i0[k], sp[k], SF_VEC, n[k], vec_ok);                                   \
        SF_KEEP_V(t, k);                                                                           \
    }

#define SF_FINISH()                                                                                \
    if (SF_FORM == SF_FORM_INFER || SF_FORM == SF_FORM_SEGMENT) {                                  \
        SF_UNROLL(SF_NPT)                                                                          \
        for (int k = 0; k < SF_NPT; ++k)                                                           \
            SF_STORE(v_out + i0[k], vm[k], SF_VEC, n[k], vec_ok);                                  \
    }

#define SF_TIME_LOOP(t) for (int64_t t = 0; t < T; ++t)
#define SF_WARP_WIDE SF_Y_WARP_WIDE /* packed spikes: a warp stores its words together */

#include "temporal.h"

SF_HOST_EXPORT sf_status SF_RUN_FN(const sf_tensors *t, const sf_lif_params *p, const sf_launch *L)
{
    const void *ptrs[] = {t->x, t->y, t->v, t->v_in, t->v_out};
    /* every row aligned to the vector at its own element size (the checkpoints are fp32) */
    const int vec_ok = sf_vec_ok(t->M, SF_VEC, SF_ELEM_BYTES, ptrs, 5) && sf_vec_ok(t->M, SF_VEC, sizeof(SF_V_T), ptrs + 2, 1);
    const double v_bytes = SF_FORM == SF_FORM_INFER ? 0 : SF_FORM == SF_FORM_CKPT ? 4.0 / SF_CHUNK : SF_ELEM_BYTES;
    const double written = (double)t->T * (double)t->M * (SF_Y_BITS / 8.0 + v_bytes);
    SF_LAUNCH_TEMPORAL(*L, written, (const SF_T *)t->x, (SF_S *)t->y, (SF_V_T *)t->v, (const SF_T *)t->v_in,
                       (SF_T *)t->v_out, t->T, t->M, *p, vec_ok);
    return SF_OK;
}

#undef SF_V_T
#undef SF_KEEP_V
#undef SF_PREFETCH_REGISTERS
#undef SF_FETCH_X
#undef SF_PREFETCH_INIT
#undef SF_TAKE_X
#include "template_end.h"
