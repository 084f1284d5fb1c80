/* Tensors at a kernel's storage types: the host side holds float, the kernel's buffer the type the
 * registry names for that tensor: the spikes y as f32, one byte each or packed to bits, the others as
 * f32, bf16 or f16 (converted as the CPU kernels convert, kernels/float16_cpu.h).
 *
 * Packed spikes (b1): row t is ceil(M / 32) little-endian 32-bit words; bit b of word w is neuron
 * 32 w + b (the lowest bit first), bits past M zero. As bytes, a row is numpy's
 * packbits(y, axis=-1, bitorder='little') padded to a multiple of 4 bytes. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "float16_cpu.h"

/* How a tensor of k is stored. */
typedef enum stored { STORED_F32, STORED_BF16, STORED_F16, STORED_U8, STORED_B1 } stored;

static stored stored_as(const sf_kernel *k, unsigned tensor)
{
    if (tensor == SF_TENSOR_Y)
        return k->spike_bits == 1 ? STORED_B1 : k->spike_bits == 8 ? STORED_U8 : STORED_F32;
    if (tensor == SF_TENSOR_V && k->chunk > 0)
        return STORED_F32; /* checkpoints: the membrane state, fp32 as in registers */
    return k->storage == SF_STORAGE_BF16 ? STORED_BF16 : k->storage == SF_STORAGE_F16 ? STORED_F16 : STORED_F32;
}

static void narrow(stored as, void *dst, const float *src, int64_t n)
{
    uint8_t *b = dst;
    uint16_t *h = dst;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) {
        if (as == STORED_U8)
            b[i] = src[i] != 0.0f; /* a spike is 0 or 1 */
        else if (as == STORED_BF16)
            h[i] = sf_narrow_bf16(src[i]);
        else
            h[i] = sf_narrow_f16(src[i]);
    }
}

/* Any byte but 0 or 1 is a wrong kernel: the check sees it as it is. */
static void widen(stored as, float *dst, const void *src, int64_t n)
{
    const uint8_t *b = src;
    const uint16_t *h = src;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i)
        dst[i] = as == STORED_U8 ? (float)b[i] : as == STORED_BF16 ? sf_widen_bf16(h[i]) : sf_widen_f16(h[i]);
}

/* Spikes to and from rows of words (see above); any non-zero float is a spike. */
static void pack_bits(uint32_t *dst, const float *src, int64_t T, int64_t M)
{
    const int64_t W = (M + 31) / 32;
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < T * W; ++r) {
        const int64_t t = r / W, i0 = (r % W) * 32;
        uint32_t word = 0;
        for (int64_t b = 0; b < 32 && i0 + b < M; ++b)
            word |= (uint32_t)(src[t * M + i0 + b] != 0.0f) << b;
        dst[r] = word;
    }
}

static void unpack_bits(float *dst, const uint32_t *src, int64_t T, int64_t M)
{
    const int64_t W = (M + 31) / 32;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < T * M; ++i)
        dst[i] = (float)((src[(i / M) * W + (i % M) / 32] >> ((i % M) % 32)) & 1u);
}

sf_status sf_upload_tensor(sf_backend b, const sf_kernel *k, unsigned tensor, void *dst, const float *host,
                           int64_t T, int64_t M)
{
    const size_t bytes = sf_tensor_bytes(k, tensor, T, M);
    const stored as = stored_as(k, tensor);
    if (as == STORED_F32)
        return sf_upload(b, dst, host, bytes);
    void *packed = malloc(bytes ? bytes : 1);
    if (!packed)
        return sf_fail(SF_ERR_NOMEM, "no host memory to convert %lld values for upload", (long long)(T * M));
    if (as == STORED_B1)
        pack_bits(packed, host, T, M);
    else
        narrow(as, packed, host, sf_tensor_rows(k, tensor, T) * M);
    const sf_status s = sf_upload(b, dst, packed, bytes);
    free(packed);
    return s;
}

sf_status sf_download_tensor(sf_backend b, const sf_kernel *k, unsigned tensor, float *host, const void *src,
                             int64_t T, int64_t M)
{
    const size_t bytes = sf_tensor_bytes(k, tensor, T, M);
    const stored as = stored_as(k, tensor);
    if (as == STORED_F32)
        return sf_download(b, host, src, bytes);
    void *packed = malloc(bytes ? bytes : 1);
    if (!packed)
        return sf_fail(SF_ERR_NOMEM, "no host memory to convert %lld downloaded values", (long long)(T * M));
    const sf_status s = sf_download(b, packed, src, bytes);
    if (s == SF_OK && as == STORED_B1)
        unpack_bits(host, packed, T, M);
    else if (s == SF_OK)
        widen(as, host, packed, sf_tensor_rows(k, tensor, T) * M);
    free(packed);
    return s;
}

void sf_checkpoints_of_trace(const float *trace, int64_t T, int64_t M, int chunk, float *out)
{
    for (int64_t c = 0; c < sf_checkpoint_rows(T, chunk); ++c)
        memmove(out + c * M, trace + sf_checkpoint_step(c, T, chunk) * M, (size_t)M * sizeof *out);
}
