/* The CUDA runtime behind the buffer API. Every call is checked; errors become one line. */
#include <cuda_runtime.h>

#include "internal.h"

sf_status sf_cuda_fail(int err, const char *what)
{
    return sf_fail(SF_ERR_CUDA, "%s: %s (%s)", what, cudaGetErrorString((cudaError_t)err),
                   cudaGetErrorName((cudaError_t)err));
}

sf_status sf_cuda_available(void)
{
    int n = 0;
    const cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess)
        return sf_fail(SF_ERR_NODEVICE, "no usable CUDA device: %s", cudaGetErrorString(e));
    if (n == 0)
        return sf_fail(SF_ERR_NODEVICE, "no CUDA device found");
    return SF_OK;
}

sf_status sf_cuda_alloc(size_t bytes, void **out)
{
    size_t free_b = 0, total_b = 0;
    cudaError_t e = cudaMemGetInfo(&free_b, &total_b);
    if (e != cudaSuccess)
        return sf_cuda_fail(e, "cudaMemGetInfo");
    if (bytes > free_b)
        return sf_fail(SF_ERR_NOMEM, "a buffer of %.2f GiB does not fit in the GPU's %.2f GiB free (of %.2f GiB)",
                       (double)bytes / (1 << 30), (double)free_b / (1 << 30), (double)total_b / (1 << 30));
    e = cudaMalloc(out, bytes ? bytes : 1);
    if (e == cudaErrorMemoryAllocation) {
        (void)cudaGetLastError();
        return sf_fail(SF_ERR_NOMEM, "cudaMalloc of %.2f GiB failed: out of device memory", (double)bytes / (1 << 30));
    }
    return e == cudaSuccess ? SF_OK : sf_cuda_fail(e, "cudaMalloc");
}

void sf_cuda_free(void *p)
{
    cudaFree(p);
}

sf_status sf_cuda_copy(void *dst, const void *src, size_t bytes)
{
    const cudaError_t e = cudaMemcpy(dst, src, bytes, cudaMemcpyDefault);
    return e == cudaSuccess ? SF_OK : sf_cuda_fail(e, "cudaMemcpy");
}

sf_status sf_cuda_memset(void *dst, int value, size_t bytes)
{
    const cudaError_t e = cudaMemset(dst, value, bytes);
    return e == cudaSuccess ? SF_OK : sf_cuda_fail(e, "cudaMemset");
}

sf_status sf_cuda_synchronize(void)
{
    const cudaError_t e = cudaDeviceSynchronize();
    return e == cudaSuccess ? SF_OK : sf_cuda_fail(e, "kernel execution (cudaDeviceSynchronize)");
}
