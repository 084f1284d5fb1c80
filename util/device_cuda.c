/* The GPU's fingerprint from the CUDA runtime. */
#include <cuda_runtime.h>
#include <stdio.h>

#include "device.h"
#include "spikefuse_core.h"

#ifndef SF_NVCC_VERSION
#define SF_NVCC_VERSION "unknown"
#endif

sf_status sf_device_query_cuda(sf_device_info *d)
{
    sf_status s = sf_cuda_available();
    if (s != SF_OK)
        return s;
    int dev = 0;
    struct cudaDeviceProp p;
    cudaError_t e = cudaGetDevice(&dev);
    if (e == cudaSuccess)
        e = cudaGetDeviceProperties(&p, dev);
    if (e != cudaSuccess)
        return sf_cuda_fail(e, "cudaGetDeviceProperties");
    snprintf(d->name, sizeof d->name, "%s", p.name);
    const unsigned char *u = (const unsigned char *)p.uuid.bytes;
    snprintf(d->uuid, sizeof d->uuid, "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
             u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
    snprintf(d->pci_bus_id, sizeof d->pci_bus_id, "%08x:%02x:%02x.0", p.pciDomainID, p.pciBusID, p.pciDeviceID);
    snprintf(d->nvcc, sizeof d->nvcc, "%s", SF_NVCC_VERSION);
    d->cc_major = p.major;
    d->cc_minor = p.minor;
    d->sm_count = p.multiProcessorCount;
    d->max_threads_per_sm = p.maxThreadsPerMultiProcessor;
    d->l2_bytes = p.l2CacheSize;
    d->memory_bytes = (int64_t)p.totalGlobalMem;
    d->bus_width_bits = p.memoryBusWidth;
    d->ecc = p.ECCEnabled;
    cudaDeviceGetAttribute(&d->sm_clock_khz, cudaDevAttrClockRate, dev);
    cudaDeviceGetAttribute(&d->mem_clock_khz, cudaDevAttrMemoryClockRate, dev);
    cudaDriverGetVersion(&d->driver_version);
    cudaRuntimeGetVersion(&d->runtime_version);
    return SF_OK;
}
