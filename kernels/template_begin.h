/* Opens one instantiation of a family template. The generated file defines, per row of
 * kernels/variants.csv: SF_NAME, SF_DTYPE, SF_SPIKES, SF_VEC, SF_NPT, SF_UNROLL_N, SF_CHUNK, SF_PREFETCH,
 * SF_STAGE, SF_BLOCK, SF_FORM. */
#define SF_SYM(x) SF_CAT(SF_CAT(sf_, SF_NAME), SF_CAT(_, x))
#define SF_T SF_CAT(SF_CAT(sf_, SF_DTYPE), _t)
#define SF_LOAD SF_CAT(sf_load_, SF_DTYPE)
#define SF_STORE SF_CAT(sf_store_, SF_DTYPE)
#define SF_ELEM_BYTES ((int)sizeof(SF_T))
/* The spikes y at their own storage type (SF_SPIKES): f32, u8 or packed bits (b1), accessed by step
 * (tile.h: sf_load_y_<spikes>); the block multiple and warp-wide storing that storage needs. */
#define SF_S SF_CAT(SF_CAT(sf_, SF_SPIKES), _t)
#define SF_LOAD_Y SF_CAT(sf_load_y_, SF_SPIKES)
#define SF_STORE_Y SF_CAT(sf_store_y_, SF_SPIKES)
#define SF_Y_BLOCK_MULTIPLE SF_CAT(SF_CAT(sf_, SF_SPIKES), _block_multiple)
#define SF_Y_WARP_WIDE SF_CAT(SF_CAT(sf_, SF_SPIKES), _warp_wide)
#define SF_Y_BITS SF_CAT(SF_CAT(sf_, SF_SPIKES), _bits)
/* The exported entry points: sf_<name>_plan_<backend> and sf_<name>_run_<backend>. */
#define SF_PLAN_FN SF_BACKEND_SYM(SF_SYM(plan))
#define SF_RUN_FN SF_BACKEND_SYM(SF_SYM(run))
#define SF_OCCUPANCY_FN SF_BACKEND_SYM(SF_SYM(occupancy))
#define SF_MAX_BLOCK_FN SF_BACKEND_SYM(SF_SYM(max_block))

/* The launch queries of an instantiation. kernel: the first kernel of the set; all: every kernel the run
 * launches, parenthesized, e.g. (SF_SYM(a), SF_SYM(b)):
 *   max_block: the largest block every kernel of the set can launch with on this device (CUDA: what its
 *              registers allow, cudaFuncGetAttributes; the CPU: no limit below SF_CPU_MAX_BLOCK);
 *   plan:      block from the launch, else the table, else the backend's choice (the occupancy API on
 *              CUDA), the default clamped to max_block and a requested block above it refused; grid to
 *              cover M;
 *   occupancy: resident blocks per SM at a block size (the occupancy API; 1 on the CPU). */
#define SF_DEFINE_LAUNCH_QUERIES(kernel, all)                                          \
    SF_HOST_EXPORT sf_status SF_MAX_BLOCK_FN(int *max_block)                           \
    {                                                                                  \
        return SF_MAX_BLOCK(max_block, all);                                           \
    }                                                                                  \
    SF_HOST_EXPORT sf_status SF_PLAN_FN(int64_t M, const sf_launch *in, sf_launch *out) \
    {                                                                                  \
        sf_launch r = sf_plan_begin(in, SF_BLOCK);                                     \
        int max_ = 0;                                                                  \
        sf_status s = SF_MAX_BLOCK(&max_, all);                                        \
        if (s == SF_OK && r.block == 0 && (s = SF_OCCUPANCY_BLOCK(kernel, &r.block)) == SF_OK && r.block > max_) \
            r.block = max_;                                                            \
        if (s == SF_OK && r.block > max_)                                              \
            s = sf_plan_over_limit(r.block, max_, SF_BACKEND_ID);                      \
        if (s == SF_OK && r.block % SF_Y_BLOCK_MULTIPLE != 0)                          \
            s = sf_plan_not_multiple(r.block, SF_Y_BLOCK_MULTIPLE);                    \
        return s != SF_OK ? s : sf_plan_finish(&r, SF_BACKEND_ID, M, SF_VEC * SF_NPT, out); \
    }                                                                                  \
    SF_HOST_EXPORT sf_status SF_OCCUPANCY_FN(int block, int *blocks_per_sm)            \
    {                                                                                  \
        return SF_BLOCKS_PER_SM(kernel, block, blocks_per_sm);                         \
    }
