/* The device fingerprint written into every result: what ran the kernels, and a key that changes
 * when anything that affects performance does. */
#ifndef SF_DEVICE_H
#define SF_DEVICE_H

#include <cjson/cJSON.h>

#include "spikefuse.h"

typedef struct sf_device_info {
    sf_backend backend;
    char name[256];  /* GPU name, or CPU model */
    char slug[96];   /* readable folder name: "nvidia-h100-80gb-hbm3", "cpu-amd-epyc-7b13-2t" */
    char key[17];    /* 16 hex digits: FNV-1a of the performance-relevant fields */
    int64_t memory_bytes;
    /* CUDA */
    char uuid[48], pci_bus_id[32], nvcc[32];
    int cc_major, cc_minor, sm_count, bus_width_bits, ecc, max_threads_per_sm;
    int sm_clock_khz, mem_clock_khz, driver_version, runtime_version;
    int64_t l2_bytes;
    /* CPU */
    int cores_online, threads_used;
    int64_t l1d_bytes, l2_cpu_bytes, l3_bytes;
} sf_device_info;

sf_status sf_device_query(sf_backend b, sf_device_info *out);
cJSON *sf_device_to_json(const sf_device_info *d);
/* The architecture a tuning database groups devices by: "sm_90", or the CPU model. */
void sf_device_arch(const sf_device_info *d, char *out, size_t n);
/* Largest cache to flush before a cold sample: L2 on a GPU, the last-level cache on the CPU. */
int64_t sf_device_flush_bytes(const sf_device_info *d);

/* CUDA part (device_cuda.c, or a stub without CUDA). */
sf_status sf_device_query_cuda(sf_device_info *out);

#endif
