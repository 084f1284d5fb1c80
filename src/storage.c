/* Tensors at a kernel's storage types: the host side holds float, the kernel's buffer the type the
 * registry names for that tensor (today the spikes y may be one byte each). */
#include <stdlib.h>

#include "internal.h"

sf_status sf_upload_tensor(sf_backend b, const sf_kernel *k, unsigned tensor, void *dst, const float *host,
                           int64_t count)
{
    const size_t bytes = sf_tensor_bytes(k, tensor, count);
    if (bytes == (size_t)count * sizeof(float))
        return sf_upload(b, dst, host, bytes);
    uint8_t *packed = malloc(bytes ? bytes : 1);
    if (!packed)
        return sf_fail(SF_ERR_NOMEM, "no host memory for %lld spikes", (long long)count);
    for (int64_t i = 0; i < count; ++i)
        packed[i] = host[i] != 0.0f; /* a spike is 0 or 1 */
    const sf_status s = sf_upload(b, dst, packed, bytes);
    free(packed);
    return s;
}

sf_status sf_download_tensor(sf_backend b, const sf_kernel *k, unsigned tensor, float *host, const void *src,
                             int64_t count)
{
    const size_t bytes = sf_tensor_bytes(k, tensor, count);
    if (bytes == (size_t)count * sizeof(float))
        return sf_download(b, host, src, bytes);
    uint8_t *packed = malloc(bytes ? bytes : 1);
    if (!packed)
        return sf_fail(SF_ERR_NOMEM, "no host memory for %lld spikes", (long long)count);
    sf_status s = sf_download(b, packed, src, bytes);
    for (int64_t i = 0; s == SF_OK && i < count; ++i)
        host[i] = packed[i]; /* any byte but 0 or 1 is a wrong kernel: the check sees it as it is */
    free(packed);
    return s;
}
