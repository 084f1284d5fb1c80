/* Staging a fused kernel's [T, M] inputs in shared memory (SF_STAGE > 0): the block's tiles of SF_STAGE
 * time steps, two in flight, so that the next tile lands while the block computes one. Included by a
 * template after it defines
 *   SF_STAGED(Y, ...)    Y(tile, type, src, bits, __VA_ARGS__) for each input it stages: the shared array
 *                        `tile` of `type`, filled from the [T, M] tensor `src` whose neurons take `bits`
 *                        bits (1: packed words, a row of ceil(M/32) of them);
 *   SF_STAGE_REVERSED    1 where its time loop runs t = T-1 .. 0;
 *   SF_STAGE_CHUNKS      1 where its loop's variable is a chunk c of SF_STAGE steps (c SF_STAGE ..
 *                        min((c + 1) SF_STAGE, T) - 1), walked from the last chunk, and each chunk is
 *                        one tile (fused_replay_bwd.cuh); 0 or undefined: the variable is a step.
 * It defines the block's part of a temporal kernel (temporal.h: SF_BLOCK_SHARES, SF_SHARED,
 * SF_BLOCK_INIT, SF_BLOCK_STEP), and for the template's loads:
 *   staged               whether this launch stages (the same in every block); else the template loads
 *                        from src as it would without staging;
 *   SF_TILE_ROW(t)       the row of step t in a tile array, a [SF_STAGES x SF_STAGE, tile_w] matrix laid out
 *                        as src is, so that the template's own loads read it with M = tile_w and the
 *                        group's first neuron at i0 - tile_first.
 *
 * The block's neurons are one stretch of each row, [tile_first, tile_first + tile_w). Tile k holds the
 * steps the loop visits k-th in SF_STAGE's (u = t, or T-1-t reversed: u in [k S, (k+1) S) capped at T),
 * their rows in time order, in stage k % SF_STAGES, whose barrier completes phase k / SF_STAGES when all of
 * them have landed. At the start of tile k, after a barrier (every thread is done with tile k - 1),
 * thread 0 refills tile k - 1's stage with tile k + SF_STAGES - 1, and every thread waits for tile k.
 * Bulk copies move 16-byte aligned rows of whole 16 bytes: every staged tensor aligned to 16, its rows and
 * the block's stretch of them multiples of 16 bytes; else, and before sm_90, nothing is staged. */

#define SF_STAGES 2
#define SF_BLOCK_SHARES 1

/* Bytes of n neurons of a row at `bits` a neuron (packed: whole words). */
#define SF_ROW_BYTES(n, bits) ((bits) == 1 ? ((n) + 31) / 32 * 4 : (n) * (bits) / 8)

#define SF_TILE_ARRAY(tile, type, src, bits, X, block)                                             \
    X(type, tile, (SF_ROW_BYTES((int64_t)(block) * SF_VEC * SF_NPT, bits) * SF_STAGES * SF_STAGE + sizeof(type) - 1) / sizeof(type))
#define SF_SHARED(X, block) SF_STAGED(SF_TILE_ARRAY, X, block) X(uint64_t, stage_full, SF_STAGES)

/* Per staged tensor: its row's bytes, the block's stretch's offset and bytes, and a tile row's. */
#define SF_TILE_BYTES(tile, type, src, bits, unused)                                               \
    const int64_t tile##_row = SF_ROW_BYTES(M, bits), tile##_at = SF_ROW_BYTES(tile_first, bits);  \
    const int64_t tile##_pitch = SF_ROW_BYTES(tile_w, bits);                                      \
    const uint32_t tile##_copy = (uint32_t)(tile_n > 0 ? (tile##_row - tile##_at < tile##_pitch ? tile##_row - tile##_at : tile##_pitch) : 0); \
    (void)tile##_copy;
#define SF_TILE_OK(tile, type, src, bits, unused)                                                  \
    &&(uintptr_t)(src) % 16 == 0 && tile##_row % 16 == 0 && tile##_pitch % 16 == 0
#define SF_TILE_COPY_BYTES(tile, type, src, bits, unused) +tile##_copy
#define SF_TILE_COPY(tile, type, src, bits, k)                                                     \
    sf_stage_copy((unsigned char *)(void *)tile + ((k) % SF_STAGES * SF_STAGE + r_) * tile##_pitch, \
                  (const unsigned char *)(const void *)(src) + (lo_ + r_) * tile##_row + tile##_at, tile##_copy, bar_);

/* u: the how-many-th step the loop visits t (by chunks: the first step of the loop's chunk t, counted
 * in tiles the loop visits before it); rows: tile k's steps; lo: its first step in time; a step's row in
 * its stage, in time order. */
#ifndef SF_STAGE_CHUNKS
#define SF_STAGE_CHUNKS 0
#endif
#if SF_STAGE_CHUNKS
#define SF_STAGE_TILES ((T + SF_STAGE - 1) / SF_STAGE)
#define SF_STAGE_U(c) ((SF_STAGE_TILES - 1 - (c)) * SF_STAGE)
#define SF_TILE_LO(k, rows) ((SF_STAGE_TILES - 1 - (k)) * SF_STAGE)
#define SF_TILE_ROWS(k) (T - SF_TILE_LO(k, 0) < SF_STAGE ? T - SF_TILE_LO(k, 0) : SF_STAGE)
#define SF_TILE_ROW(t) ((SF_STAGE_TILES - 1 - (t) / SF_STAGE) % SF_STAGES * SF_STAGE + (t) % SF_STAGE)
#else
#if SF_STAGE_REVERSED
#define SF_STAGE_U(t) (T - 1 - (t))
#define SF_TILE_LO(k, rows) (T - (k) * SF_STAGE - (rows))
#else
#define SF_STAGE_U(t) (t)
#define SF_TILE_LO(k, rows) ((k) * SF_STAGE)
#endif
#define SF_TILE_ROWS(k) (T - (k) * SF_STAGE < SF_STAGE ? T - (k) * SF_STAGE : SF_STAGE)
#define SF_TILE_ROW(t)                                                                             \
    (SF_STAGE_U(t) / SF_STAGE % SF_STAGES * SF_STAGE + (t) -                                       \
     SF_TILE_LO(SF_STAGE_U(t) / SF_STAGE, SF_TILE_ROWS(SF_STAGE_U(t) / SF_STAGE)))
#endif

#define SF_ISSUE_TILE(k)                                                                           \
    if ((k) * SF_STAGE < T) {                                                                      \
        const int64_t rows_ = SF_TILE_ROWS(k);                                                     \
        const int64_t lo_ = SF_TILE_LO(k, rows_);                                                  \
        uint64_t *const bar_ = stage_full + (k) % SF_STAGES;                                       \
        sf_stage_expect(bar_, (uint32_t)rows_ * (0u SF_STAGED(SF_TILE_COPY_BYTES, 0)));            \
        for (int64_t r_ = 0; r_ < rows_; ++r_) {                                                   \
            SF_STAGED(SF_TILE_COPY, k)                                                             \
        }                                                                                          \
    }

#define SF_BLOCK_INIT()                                                                            \
    const int64_t tile_w = (int64_t)blockDim.x * SF_VEC * SF_NPT;                                  \
    const int64_t tile_first = (int64_t)blockIdx.x * tile_w;                                       \
    const int64_t tile_n = M - tile_first < tile_w ? M - tile_first : tile_w; /* <= 0: a block past M */ \
    SF_STAGED(SF_TILE_BYTES, 0)                                                                    \
    const int staged = SF_STAGE_CAPABLE && tile_n > 0 SF_STAGED(SF_TILE_OK, 0);                    \
    if (staged) {                                                                                  \
        sf_stage_init(stage_full, SF_STAGES);                                                      \
        if (threadIdx.x == 0)                                                                      \
            for (int64_t k_ = 0; k_ + 1 < SF_STAGES; ++k_) {                                       \
                SF_ISSUE_TILE(k_)                                                                  \
            }                                                                                      \
    }

#define SF_BLOCK_STEP(t)                                                                           \
    if (staged && SF_STAGE_U(t) % SF_STAGE == 0) {                                                 \
        const int64_t tile_ = SF_STAGE_U(t) / SF_STAGE, next_ = tile_ + SF_STAGES - 1;             \
        sf_block_sync();                                                                           \
        if (threadIdx.x == 0) {                                                                    \
            SF_ISSUE_TILE(next_)                                                                   \
        }                                                                                          \
        sf_stage_wait(stage_full + tile_ % SF_STAGES, (uint32_t)(tile_ / SF_STAGES % 2));          \
    }
