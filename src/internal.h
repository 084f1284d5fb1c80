/* Helpers shared by the core library's sources; not part of any API. What the layers above may use is in
 * src/export/spikefuse_core.h. */
#ifndef SF_INTERNAL_H
#define SF_INTERNAL_H

#include "spikefuse.h"
#include "spikefuse_core.h"

/* The CUDA side of the buffer API (device_cuda.c, or device_none.c without CUDA). */
sf_status sf_cuda_alloc(size_t bytes, void **out);
void sf_cuda_free(void *p);
sf_status sf_cuda_copy(void *dst, const void *src, size_t bytes);
sf_status sf_cuda_memset(void *dst, int value, size_t bytes);
sf_status sf_cuda_synchronize(void);

#endif
