/* A temporal kernel (one whose threads loop over time) from its parts, under both schedules. Included
 * by a template after it defines:
 *   SF_PARAMS            the kernel's parameters;
 *   SF_REGISTERS(X)      what a thread keeps across time steps, as X(type, name, dimensions), with
 *                        n[] (neurons per group; n[0] == 0: the whole thread is past M);
 *   SF_INIT(), SF_STEP(t), SF_FINISH()
 *                        a thread's work before, at and after time step t, over its registers and
 *                        the parameters by name;
 *   SF_TIME_LOOP(t)      the order of the time steps;
 *   SF_WARP_WIDE         1 where SF_STEP takes every lane of a warp (packed spikes stored on CUDA): the
 *                        threads past M then run the loop with no neurons instead of returning.
 * and, where its block shares memory (SF_BLOCK_SHARES 1; fused_fwd.cuh staging x):
 *   SF_SHARED(X, block)  the block's shared arrays for `block` threads, as X(type, name, count); on CUDA
 *                        static, sized for SF_BLOCK threads, which the kernel's launch bounds make its
 *                        largest block;
 *   SF_BLOCK_INIT(), SF_BLOCK_STEP(t)
 *                        the block's work after its threads' init and before step t. On CUDA every
 *                        thread runs them (they hold the block's barriers), and threads past M stay in
 *                        the loop; on the CPU they run once per block, as thread 0, before the threads
 *                        step.
 * It defines:
 *   SF_SYM(kernel)       each thread runs init, its whole time loop, then finish: the CUDA kernel, as
 *                        the paper wrote it, and on the CPU the check schedule (cpu_shim.h);
 *   SF_SYM(block)        (CPU) one block with the time loop outside its threads: at each t every live
 *                        thread steps, so the block walks each row as one contiguous stretch. */

#ifndef SF_BLOCK_SHARES
#define SF_BLOCK_SHARES 0
#define SF_SHARED(X, block)
#define SF_BLOCK_INIT()
#define SF_BLOCK_STEP(t)
#endif

#define SF_DECLARE_REGISTER(type, name, dims) type name dims;
#ifdef __CUDACC__
#define SF_DECLARE_SHARED(type, name, count) __shared__ __align__(16) type name[count];
#else /* the CPU runs a block that shares memory only by SF_SYM(block) (cpu_shim.h) */
#define SF_DECLARE_SHARED(type, name, count) type *const name = NULL;
#endif

#if SF_BLOCK_SHARES
SF_GLOBAL void SF_LAUNCH_BOUNDS(SF_BLOCK) SF_SYM(kernel)(SF_PARAMS)
#else
SF_GLOBAL void SF_SYM(kernel)(SF_PARAMS)
#endif
{
    SF_SHARED(SF_DECLARE_SHARED, SF_BLOCK)
    SF_REGISTERS(SF_DECLARE_REGISTER)
    SF_INIT()
    if (n[0] == 0 && !SF_WARP_WIDE && !SF_BLOCK_SHARES)
        return; /* groups ascend: the whole thread is past M */
    SF_BLOCK_INIT()

    SF_UNROLL(SF_UNROLL_N)
    SF_TIME_LOOP(t) {
        SF_BLOCK_STEP(t)
        SF_STEP(t)
    }
    SF_FINISH()
}

#ifndef __CUDACC__
typedef struct {
    SF_REGISTERS(SF_DECLARE_REGISTER)
} SF_SYM(registers);

/* Names the registers of one thread's slot as SF_INIT, SF_STEP and SF_FINISH spell them. */
#define SF_BIND_REGISTER(type, name, dims)                                                         \
    __typeof__(&sf_slot_->name[0]) const name = sf_slot_->name;                                    \
    (void)name;
#define SF_BIND_REGISTERS(slot)                                                                    \
    SF_SYM(registers) *const sf_slot_ = (slot);                                                    \
    SF_REGISTERS(SF_BIND_REGISTER)

/* The block's shared arrays, bound in order in its OpenMP thread's shared memory, each at a multiple of
 * 64 bytes; and their size for a block of `block` threads (0: the block shares none). */
#define SF_SHARED_ROUND(bytes) (((bytes) + 63) / 64 * 64)
#define SF_BIND_SHARED(type, name, count)                                                          \
    type *const name = (type *)(void *)(sf_shared + sf_shared_at_);                                \
    sf_shared_at_ += SF_SHARED_ROUND((size_t)(count) * sizeof(type));                              \
    (void)name;
#define SF_COUNT_SHARED(type, name, count) +SF_SHARED_ROUND((size_t)(count) * sizeof(type))
static size_t SF_SYM(shared_bytes)(unsigned block)
{
    (void)block;
    return (size_t)0 SF_SHARED(SF_COUNT_SHARED, block);
}

/* Every live thread's step, for each t in order, after the block's; `shadow` may redeclare what SF_STEP
 * reads. */
#define SF_CPU_STEPS(shadow)                                                                       \
    SF_TIME_LOOP(t) {                                                                              \
        SF_BLOCK_STEP(t)                                                                           \
        for (unsigned j = 0; j < live; ++j) {                                                      \
            SF_BIND_REGISTERS(&R[j]);                                                              \
            {                                                                                      \
                shadow SF_STEP(t)                                                                  \
            }                                                                                      \
        }                                                                                          \
    }
/* Every group complete and every row aligned, as constants. */
#define SF_COMPLETE_GROUPS                                                                         \
    int n[SF_NPT];                                                                                 \
    for (int k = 0; k < SF_NPT; ++k)                                                               \
        n[k] = SF_VEC;                                                                             \
    const int vec_ok = 1;                                                                          \
    (void)vec_ok;

/* R: blockDim.x slots; sf_shared: SF_SYM(shared_bytes)(blockDim.x) bytes. Threads past M are not run:
 * they ascend, so the live ones are a prefix. The block's own work runs as thread 0. */
static void SF_SYM(block)(SF_SYM(registers) *R, unsigned char *sf_shared, SF_PARAMS)
{
    size_t sf_shared_at_ = 0;
    (void)sf_shared, (void)sf_shared_at_;
    SF_SHARED(SF_BIND_SHARED, blockDim.x)
    unsigned live = 0;
    for (; live < blockDim.x; ++live) {
        threadIdx.x = live;
        SF_BIND_REGISTERS(&R[live]);
        SF_INIT()
        if (n[0] == 0)
            break;
    }
    threadIdx.x = 0;
    SF_BLOCK_INIT()
    /* A block whose groups are all complete and aligned steps with n and vec_ok as constants, so that
     * the compiler drops the tail and alignment branches of every access; and it is compiled once for
     * the rect surrogate, so that the surrogate's branch leaves the loop and the loop vectorises. */
    const int full = live == blockDim.x && (SF_VEC == 1 || vec_ok) &&
                     ((int64_t)blockIdx.x + 1) * blockDim.x * SF_NPT * SF_VEC <= M;
    sf_lif_params rect = p; /* p, with its surrogate a constant the compiler sees */
    rect.surrogate = SF_SURROGATE_RECT;
    if (full && p.surrogate == SF_SURROGATE_RECT)
        SF_CPU_STEPS(SF_COMPLETE_GROUPS const sf_lif_params p = rect;)
    else if (full)
        SF_CPU_STEPS(SF_COMPLETE_GROUPS)
    else
        SF_CPU_STEPS()
    for (unsigned j = 0; j < live; ++j) {
        SF_BIND_REGISTERS(&R[j]);
        SF_FINISH()
    }
}

#undef SF_BIND_REGISTER
#undef SF_BIND_REGISTERS
#undef SF_SHARED_ROUND
#undef SF_BIND_SHARED
#undef SF_COUNT_SHARED
#undef SF_CPU_STEPS
#undef SF_COMPLETE_GROUPS
#endif

#undef SF_DECLARE_REGISTER
#undef SF_DECLARE_SHARED

SF_DEFINE_LAUNCH_QUERIES(SF_SYM(kernel), (SF_SYM(kernel)))
