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

/* Staging (SF_STAGE > 0). The block's neurons are one stretch, [tile_first, tile_first + tile_w) of each
 * row; tile k (steps [k SF_STAGE, (k+1) SF_STAGE) capped at T) lands in stage k % SF_STAGES of x_tile,
 * row r of it at (stage SF_STAGE + r) tile_w, its barrier x_full[stage] completing phase k / SF_STAGES.
 * Bulk copies need 16-byte aligned rows of whole 16 bytes (`staged`, the same for every block of the
 * launch); else, and before sm_90, the block loads x as an unstaged kernel does. At the start of tile k,
 * after a barrier (every thread is done with tile k - 1), thread 0 refills tile k - 1's stage with tile
 * k + SF_STAGES - 1, and every thread waits for tile k. */
#if SF_STAGE > 0
#define SF_STAGES 2
#define SF_BLOCK_SHARES 1
#define SF_SHARED(X, block) X(SF_T, x_tile, SF_STAGES * SF_STAGE * (block) * SF_VEC * SF_NPT) X(uint64_t, x_full, SF_STAGES)
#define SF_ISSUE_TILE(k)                                                                           \
    if ((k) * SF_STAGE < T) {                                                                      \
        const int64_t first_ = (k) * SF_STAGE, rows_ = T - first_ < SF_STAGE ? T - first_ : SF_STAGE; \
        uint64_t *const bar_ = x_full + (k) % SF_STAGES;                                           \
        sf_stage_expect(bar_, (uint32_t)rows_ * tile_row_bytes);                                   \
        for (int64_t r_ = 0; r_ < rows_; ++r_)                                                     \
            sf_stage_copy(x_tile + ((k) % SF_STAGES * SF_STAGE + r_) * tile_w, x + (first_ + r_) * M + tile_first, \
                          tile_row_bytes, bar_);                                                   \
    }
#define SF_BLOCK_INIT()                                                                            \
    const int64_t tile_w = (int64_t)blockDim.x * SF_VEC * SF_NPT;                                  \
    const int64_t tile_first = (int64_t)blockIdx.x * tile_w;                                       \
    const int64_t tile_n = M - tile_first < tile_w ? M - tile_first : tile_w; /* <= 0: a block past M */ \
    const uint32_t tile_row_bytes = tile_n > 0 ? (uint32_t)(tile_n * SF_ELEM_BYTES) : 0u;          \
    const int staged = SF_STAGE_CAPABLE && tile_n > 0 && (uintptr_t)x % 16 == 0 && M * SF_ELEM_BYTES % 16 == 0 && \
                       tile_w * SF_ELEM_BYTES % 16 == 0;                                           \
    if (staged) {                                                                                  \
        sf_stage_init(x_full, SF_STAGES);                                                          \
        if (threadIdx.x == 0)                                                                      \
            for (int64_t k_ = 0; k_ + 1 < SF_STAGES; ++k_) {                                       \
                SF_ISSUE_TILE(k_)                                                                  \
            }                                                                                      \
    }
#define SF_BLOCK_STEP(t)                                                                           \
    if (staged && (t) % SF_STAGE == 0) {                                                           \
        const int64_t tile_ = (t) / SF_STAGE, next_ = tile_ + SF_STAGES - 1;                       \
        sf_block_sync();                                                                           \
        if (threadIdx.x == 0) {                                                                    \
            SF_ISSUE_TILE(next_)                                                                   \
        }                                                                                          \
        sf_stage_wait(x_full + tile_ % SF_STAGES, (uint32_t)(tile_ / SF_STAGES % 2));              \
    }
#undef SF_TAKE_X
#define SF_TAKE_X(xs, t, k)                                                                        \
    if (staged)                                                                                    \
        SF_LOAD(xs, x_tile + ((t) / SF_STAGE % SF_STAGES * SF_STAGE + (t) % SF_STAGE) * tile_w + (i0[k] - tile_first), \
                SF_VEC, n[k], vec_ok);                                                             \
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
#undef SF_STAGES
#undef SF_ISSUE_TILE
#include "template_end.h"
