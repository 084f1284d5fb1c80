/* What the core library (src/) lends the layers above it (util, lookup, harness, tuner): its error
 * recording, checked arithmetic, host facts, the atomic file writer, and the CUDA runtime's availability
 * and error message. Not installed: other programs use spikefuse.h. src/internal.h is core's alone. */
#ifndef SF_SPIKEFUSE_CORE_H
#define SF_SPIKEFUSE_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "spikefuse.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SF_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SF_PRINTF(f, a)
#endif

/* Records a one-line message as the calling thread's last error and returns s. */
sf_status sf_fail(sf_status s, const char *fmt, ...) SF_PRINTF(2, 3);

/* a * b into *out unless it overflows int64 (then 0). Both >= 0. */
int sf_mul_ok(int64_t a, int64_t b, int64_t *out);

/* Bytes of physical memory on this machine (0 if unknown). */
uint64_t sf_host_memory_bytes(void);
/* Size of CPU 0's data or unified cache of a level (1, 2, 3) as sysfs reports it; 0 if unknown. It is
 * the share one core sees, where the C library may report a whole package's. */
int64_t sf_host_cache_bytes(int level);
/* Writes the n parts to path atomically (temporary file, fsync, rename); SF_ERR_IO with a message. */
sf_status sf_write_file_atomic(const char *path, const void *const *parts, const size_t *sizes, int n);

/* SF_OK when a CUDA device is usable, else why not (SF_ERR_NODEVICE). */
sf_status sf_cuda_available(void);
/* A CUDA runtime error as a status with its message; also called by generated CUDA code. */
sf_status sf_cuda_fail(int err, const char *what);

#ifdef __cplusplus
}
#endif

#endif
