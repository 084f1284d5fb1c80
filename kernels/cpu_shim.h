/* Host shim: the CUDA built-ins and launch syntax for C11, so that a kernel source runs on the CPU.
 *
 * A launch runs the grid as loops: OpenMP across blocks, the threads of a block one after another.
 * That is exact for spikefuse's kernels because they use neither shared memory nor __syncthreads:
 * each thread's work is independent of the others'. */
#ifndef SF_CPU_SHIM_H
#define SF_CPU_SHIM_H

#include <math.h>
#include <stdint.h>
#include <string.h>

typedef struct dim3 { unsigned x, y, z; } dim3;

/* Per OpenMP thread, as each CUDA thread sees its own. Defined in cpu_shim.c. */
extern _Thread_local dim3 blockIdx, threadIdx, blockDim, gridDim;

#define SF_GLOBAL static
#define SF_DEVICE static inline
#define SF_HOST_EXPORT
#define SF_LAUNCH_BOUNDS(n)
#define SF_RESTRICT restrict
#define SF_UNROLL(n) SF_PRAGMA(GCC unroll n)
#define SF_BACKEND_SYM(name) SF_CAT(name, _cpu)
#define SF_BACKEND_ID SF_BACKEND_CPU

/* Threads per block when neither the launch nor the table gives one: a task of 256 x vec x npt
 * neurons keeps a block's time-strided working set in a core's L2 for T up to a few hundred. */
#define SF_CPU_DEFAULT_BLOCK 256
#define SF_CPU_MAX_BLOCK 65536

/* Aborts with a message: a kernel took its vector path on a misaligned address. On a GPU that would be
 * a misaligned-address fault; here it must fail as loudly. */
void sf_cpu_fault(const char *what, const void *addr);

/* The vector path of a load or store: one access of `vec` floats, which must be aligned as a GPU's
 * float2/float4 access must be, so that a wrong alignment decision fails here as it would there. */
static inline void sf_vector_load_f32(float *dst, const float *src, int vec)
{
    if ((uintptr_t)src % ((uintptr_t)vec * sizeof(float)) != 0)
        sf_cpu_fault("vector load not aligned to its width", src);
    memcpy(dst, src, (size_t)vec * sizeof(float));
}

static inline void sf_vector_store_f32(float *dst, const float *src, int vec)
{
    if ((uintptr_t)dst % ((uintptr_t)vec * sizeof(float)) != 0)
        sf_cpu_fault("vector store not aligned to its width", dst);
    memcpy(dst, src, (size_t)vec * sizeof(float));
}

#define SF_OCCUPANCY_BLOCK(kernel, out) ((*(out) = SF_CPU_DEFAULT_BLOCK), SF_OK)
#define SF_BLOCKS_PER_SM(kernel, block, out) ((void)(block), (*(out) = 1), SF_OK)

/* kernel<<<L.grid, L.block>>>(args...) */
#define SF_LAUNCH(kernel, L, ...)                                                                  \
    do {                                                                                           \
        const int64_t sf_grid_ = (L).grid;                                                         \
        const unsigned sf_block_ = (unsigned)(L).block;                                            \
        const int sf_threads_ = (L).cpu_threads > 0 ? (L).cpu_threads : sf_cpu_default_threads(); \
        SF_PRAGMA(omp parallel for schedule(static) num_threads(sf_threads_))                      \
        for (int64_t sf_b_ = 0; sf_b_ < sf_grid_; ++sf_b_) {                                       \
            gridDim = (dim3){(unsigned)sf_grid_, 1, 1};                                            \
            blockDim = (dim3){sf_block_, 1, 1};                                                    \
            blockIdx = (dim3){(unsigned)sf_b_, 0, 0};                                              \
            for (unsigned sf_t_ = 0; sf_t_ < sf_block_; ++sf_t_) {                                 \
                threadIdx = (dim3){sf_t_, 0, 0};                                                   \
                kernel(__VA_ARGS__);                                                               \
            }                                                                                      \
        }                                                                                          \
    } while (0)

int sf_cpu_default_threads(void);

#endif
