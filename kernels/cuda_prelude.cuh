/* The CUDA side of the kernel prelude: launch syntax, checked launches, occupancy. */
#ifndef SF_CUDA_PRELUDE_CUH
#define SF_CUDA_PRELUDE_CUH

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

/* vec one-byte spikes by one aligned access of vec bytes (little-endian: byte j is neuron j), as floats. */
SF_DEVICE void sf_vector_load_u8(float *dst, const uint8_t *src, int vec)
{
    unsigned w[4] = {0, 0, 0, 0};
    if (vec == 16) {
        const uint4 q = *(const uint4 *)src;
        w[0] = q.x, w[1] = q.y, w[2] = q.z, w[3] = q.w;
    } else if (vec == 8) {
        const uint2 q = *(const uint2 *)src;
        w[0] = q.x, w[1] = q.y;
    } else if (vec == 4) {
        w[0] = *(const unsigned *)src;
    } else if (vec == 2) {
        w[0] = *(const unsigned short *)src;
    } else {
        w[0] = src[0];
    }
    for (int j = 0; j < vec; ++j)
        dst[j] = (float)((w[j / 4] >> (8 * (j % 4))) & 0xffu);
}

SF_DEVICE void sf_vector_store_u8(uint8_t *dst, const float *src, int vec)
{
    unsigned w[4] = {0, 0, 0, 0};
    for (int j = 0; j < vec; ++j)
        w[j / 4] |= (unsigned)src[j] << (8 * (j % 4));
    if (vec == 16)
        *(uint4 *)dst = make_uint4(w[0], w[1], w[2], w[3]);
    else if (vec == 8)
        *(uint2 *)dst = make_uint2(w[0], w[1]);
    else if (vec == 4)
        *(unsigned *)dst = w[0];
    else if (vec == 2)
        *(unsigned short *)dst = (unsigned short)w[0];
    else
        dst[0] = (uint8_t)w[0];
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
