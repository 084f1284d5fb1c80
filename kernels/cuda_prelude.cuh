/* The CUDA side of the kernel prelude: launch syntax, checked launches, occupancy. */
#ifndef SF_CUDA_PRELUDE_CUH
#define SF_CUDA_PRELUDE_CUH

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>

#define SF_GLOBAL static __global__
#define SF_DEVICE static __device__ __forceinline__
#define SF_HOST_EXPORT extern "C"
#define SF_LAUNCH_BOUNDS(n) __launch_bounds__(n)
#define SF_RESTRICT __restrict__
#define SF_UNROLL(n) SF_PRAGMA(unroll n)
#define SF_BACKEND_SYM(name) SF_CAT(name, _cuda)
#define SF_BACKEND_ID SF_BACKEND_CUDA
#define SF_BACKEND_HAS_WARPS 1

#include "storage_types.h"

/* Records "what: cudaGetErrorString(e)" as the last error and returns SF_ERR_CUDA (src/device_cuda.c). */
extern "C" sf_status sf_cuda_fail(int err, const char *what);

/* The vector path of a load or store: one 8- or 16-byte access; vec 8 and 16 take two or four 16-byte
 * ones. */
SF_DEVICE void sf_vector_load_f32(float *dst, const float *src, int vec)
{
    if (vec == 4) {
        const float4 q = *(const float4 *)src;
        dst[0] = q.x, dst[1] = q.y, dst[2] = q.z, dst[3] = q.w;
    } else if (vec == 2) {
        const float2 q = *(const float2 *)src;
        dst[0] = q.x, dst[1] = q.y;
    } else if (vec > 4) {
        for (int j = 0; j < vec; j += 4) {
            const float4 q = *(const float4 *)(src + j);
            dst[j] = q.x, dst[j + 1] = q.y, dst[j + 2] = q.z, dst[j + 3] = q.w;
        }
    } else {
        dst[0] = src[0];
    }
}

SF_DEVICE void sf_vector_store_f32(float *dst, const float *src, int vec)
{
    if (vec == 4)
        *(float4 *)dst = make_float4(src[0], src[1], src[2], src[3]);
    else if (vec == 2)
        *(float2 *)dst = make_float2(src[0], src[1]);
    else if (vec > 4)
        for (int j = 0; j < vec; j += 4)
            *(float4 *)(dst + j) = make_float4(src[j], src[j + 1], src[j + 2], src[j + 3]);
    else
        dst[0] = src[0];
}

/* `bytes` bytes (1 to 64, a power of two) by aligned accesses of up to 16 bytes, as little-endian
 * 32-bit words w[0 .. bytes/4): the vector path of the narrow storage types. */
SF_DEVICE void sf_load_words(unsigned *w, const void *src, int bytes)
{
    if (bytes >= 16) {
        for (int i = 0; i < bytes / 16; ++i) {
            const uint4 q = ((const uint4 *)src)[i];
            w[4 * i] = q.x, w[4 * i + 1] = q.y, w[4 * i + 2] = q.z, w[4 * i + 3] = q.w;
        }
    } else if (bytes == 8) {
        const uint2 q = *(const uint2 *)src;
        w[0] = q.x, w[1] = q.y;
    } else if (bytes == 4) {
        w[0] = *(const unsigned *)src;
    } else if (bytes == 2) {
        w[0] = *(const unsigned short *)src;
    } else {
        w[0] = *(const unsigned char *)src;
    }
}

SF_DEVICE void sf_store_words(void *dst, const unsigned *w, int bytes)
{
    if (bytes >= 16)
        for (int i = 0; i < bytes / 16; ++i)
            ((uint4 *)dst)[i] = make_uint4(w[4 * i], w[4 * i + 1], w[4 * i + 2], w[4 * i + 3]);
    else if (bytes == 8)
        *(uint2 *)dst = make_uint2(w[0], w[1]);
    else if (bytes == 4)
        *(unsigned *)dst = w[0];
    else if (bytes == 2)
        *(unsigned short *)dst = (unsigned short)w[0];
    else
        *(unsigned char *)dst = (unsigned char)w[0];
}

/* The narrow storage types, element j of a vector at bits [j*width, (j+1)*width) of the words. */
SF_DEVICE float sf_widen_bf16(uint16_t b) { return __bfloat162float(__ushort_as_bfloat16(b)); }
SF_DEVICE uint16_t sf_narrow_bf16(float f) { return __bfloat16_as_ushort(__float2bfloat16_rn(f)); }
SF_DEVICE float sf_widen_f16(uint16_t b) { return __half2float(__ushort_as_half(b)); }
SF_DEVICE uint16_t sf_narrow_f16(float f) { return __half_as_ushort(__float2half_rn(f)); }

#define SF_DEFINE_NARROW_VECTOR(type, width)                                                       \
    SF_DEVICE void sf_vector_load_##type(float *dst, const sf_##type##_t *src, int vec)            \
    {                                                                                              \
        unsigned w[16];                                                                            \
        sf_load_words(w, src, vec * (width) / 8);                                                  \
        for (int j = 0; j < vec; ++j)                                                              \
            dst[j] = sf_widen_##type((sf_##type##_t)(w[j * (width) / 32] >> ((j * (width)) % 32))); \
    }                                                                                              \
    SF_DEVICE void sf_vector_store_##type(sf_##type##_t *dst, const float *src, int vec)           \
    {                                                                                              \
        unsigned w[16] = {0};                                                                      \
        for (int j = 0; j < vec; ++j)                                                              \
            w[j * (width) / 32] |= (unsigned)sf_narrow_##type(src[j]) << ((j * (width)) % 32);     \
        sf_store_words(dst, w, vec * (width) / 8);                                                 \
    }

SF_DEFINE_NARROW_VECTOR(u8, 8)
SF_DEFINE_NARROW_VECTOR(bf16, 16)
SF_DEFINE_NARROW_VECTOR(f16, 16)
#undef SF_DEFINE_NARROW_VECTOR

/* Packed spikes: a warp's 32 vec neurons are vec words; lane l's bits go to bit (l vec) % 32 of its word,
 * gathered by a ballot (vec 1) or xor-shuffles among the 32 / vec lanes of a word, and the first of
 * them stores it. Every lane of the warp must call this, those past M too (with n = 0): blocks are whole
 * warps (sf_b1_block_multiple) and a b1 kernel's threads past M do not return early (sf_b1_warp_wide). */
SF_DEVICE void sf_store_y_b1(uint32_t *y, int64_t t, int64_t M, int64_t i0, const float *src, int vec, int n,
                             int vec_ok)
{
    (void)vec_ok;
    const unsigned lane = threadIdx.x % 32u, bits = sf_spike_bits(src, vec, n);
    unsigned word;
    if (vec == 1) {
        word = __ballot_sync(0xffffffffu, bits);
    } else {
        word = bits << ((lane * vec) % 32u);
        for (int lanes = 1; lanes < 32 / vec; lanes *= 2)
            word |= __shfl_xor_sync(0xffffffffu, word, lanes);
    }
    if ((lane * vec) % 32u == 0 && i0 < M)
        y[t * ((M + 31) / 32) + i0 / 32] = word;
}

/* Staging a block's input tile in shared memory (a template with SF_STAGE > 0). On sm_90 one thread
 * issues bulk asynchronous copies (cp.async.bulk, the TMA unit), each completing bytes on a stage's
 * mbarrier (count 1: that thread's arrive.expect_tx), and every thread waits for the stage's phase; the
 * PTX comes from the CUDA Toolkit's libcu++ (cuda::ptx). Before sm_90 there is no bulk copy:
 * SF_STAGE_CAPABLE is 0 there and the kernel loads from global memory as an unstaged one does. */
#include <cuda/ptx>
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
#define SF_STAGE_CAPABLE 1
#else
#define SF_STAGE_CAPABLE 0
#endif

SF_DEVICE void sf_block_sync(void) { __syncthreads(); }

/* Every thread calls it: thread 0 sets up the stages' barriers, visible to the async proxy. */
SF_DEVICE void sf_stage_init(uint64_t *bars, int stages)
{
#if SF_STAGE_CAPABLE
    if (threadIdx.x == 0) {
        for (int s = 0; s < stages; ++s)
            cuda::ptx::mbarrier_init(bars + s, 1u);
        cuda::ptx::fence_mbarrier_init(cuda::ptx::sem_release, cuda::ptx::scope_cluster);
    }
    __syncthreads();
#else
    (void)bars, (void)stages;
#endif
}

/* The issuing thread: the stage's next phase completes when `bytes` have landed. The fence orders the
 * block's earlier reads of the stage (generic proxy) before the copies that refill it (async proxy). */
SF_DEVICE void sf_stage_expect(uint64_t *bar, uint32_t bytes)
{
#if SF_STAGE_CAPABLE
    cuda::ptx::fence_proxy_async(cuda::ptx::space_shared);
    (void)cuda::ptx::mbarrier_arrive_expect_tx(cuda::ptx::sem_release, cuda::ptx::scope_cta, cuda::ptx::space_shared,
                                               bar, bytes);
#else
    (void)bar, (void)bytes;
#endif
}

/* bytes (a multiple of 16; both addresses 16-byte aligned) from global to shared memory. */
SF_DEVICE void sf_stage_copy(void *dst, const void *src, uint32_t bytes, uint64_t *bar)
{
#if SF_STAGE_CAPABLE
    cuda::ptx::cp_async_bulk(cuda::ptx::space_cluster, cuda::ptx::space_global, dst, src, bytes, bar);
#else
    (void)dst, (void)src, (void)bytes, (void)bar;
#endif
}

SF_DEVICE void sf_stage_wait(uint64_t *bar, uint32_t parity)
{
#if SF_STAGE_CAPABLE
    while (!cuda::ptx::mbarrier_try_wait_parity(bar, parity)) {
    }
#else
    (void)bar, (void)parity;
#endif
}

/* The paper's launch rule: the block size cudaOccupancyMaxPotentialBlockSize picks for the kernel. */
#define SF_OCCUPANCY_BLOCK(kernel, out) sf_cuda_occupancy_block((const void *)(kernel), (out))
static inline sf_status sf_cuda_occupancy_block(const void *kernel, int *out)
{
    int min_grid = 0;
    cudaError_t e = cudaOccupancyMaxPotentialBlockSize(&min_grid, out, kernel, 0, 0);
    return e == cudaSuccess ? SF_OK : sf_cuda_fail((int)e, "cudaOccupancyMaxPotentialBlockSize");
}

/* The largest block every kernel of a set can launch with: what each one's registers (and the device)
 * allow, the minimum over the set. A block above it fails at launch with cudaErrorLaunchOutOfResources. */
#define SF_UNPAREN(...) __VA_ARGS__
#define SF_MAX_BLOCK(out, all) sf_cuda_max_block((out), SF_UNPAREN all)
template <typename... Kernels> static inline sf_status sf_cuda_max_block(int *out, Kernels... kernels)
{
    const void *set[] = {(const void *)kernels...};
    *out = 0x7fffffff; /* the minimum over the set (sf_plan_finish caps blocks at SF_CUDA_MAX_BLOCK) */
    for (const void *k : set) {
        cudaFuncAttributes a;
        const cudaError_t e = cudaFuncGetAttributes(&a, k);
        if (e != cudaSuccess)
            return sf_cuda_fail((int)e, "cudaFuncGetAttributes");
        if (a.maxThreadsPerBlock < *out)
            *out = a.maxThreadsPerBlock;
    }
    return SF_OK;
}

/* Resident blocks per SM at a block size. */
#define SF_BLOCKS_PER_SM(kernel, block, out) sf_cuda_blocks_per_sm((const void *)(kernel), (block), (out))
static inline sf_status sf_cuda_blocks_per_sm(const void *kernel, int block, int *out)
{
    cudaError_t e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(out, kernel, block, 0);
    return e == cudaSuccess ? SF_OK : sf_cuda_fail((int)e, "cudaOccupancyMaxActiveBlocksPerMultiprocessor");
}

/* kernel<<<L.grid, L.block, 0, L.stream>>>(args...), with the launch error checked. bytes_written
 * (what the launch writes) is the CPU shim's streaming rule; a GPU's stores need no such choice. */
#define SF_LAUNCH(kernel, L, bytes_written, ...)                                               \
    do {                                                                                       \
        (void)(bytes_written);                                                                 \
        kernel<<<(unsigned)(L).grid, (unsigned)(L).block, 0, (cudaStream_t)(L).stream>>>(__VA_ARGS__); \
        const cudaError_t sf_e_ = cudaGetLastError();                                          \
        if (sf_e_ != cudaSuccess) return sf_cuda_fail((int)sf_e_, "launch of " #kernel);       \
    } while (0)

/* A temporal kernel (init / step / finish) runs as the paper's: each thread its whole time loop. */
#define SF_LAUNCH_TEMPORAL(L, bytes_written, ...) SF_LAUNCH(SF_SYM(kernel), L, bytes_written, __VA_ARGS__)

#endif
