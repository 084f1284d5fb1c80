/* The 16-bit float storage types on the host, kept as their bits: float to bits rounds to nearest even,
 * as the GPU's cvt.rn does, and bits to float is exact. The CPU kernels (cpu_shim.h) and the core's
 * uploads and downloads (src/storage.c) convert with these, so that both round alike.
 *   f16:  the compiler's _Float16 (C23 / ISO TS 18661-3; GCC >= 12 and Clang on x86-64 and AArch64).
 *   bf16: the top half of a float. C compilers before GCC 13 have no bf16 type, so the rounding is
 *         spelled out: add half an ulp less one, plus the kept lowest bit (ties to even), and keep a NaN
 *         a quiet NaN rather than let the carry turn it into an infinity. */
#ifndef SF_FLOAT16_CPU_H
#define SF_FLOAT16_CPU_H

#include <stdint.h>
#include <string.h>

__extension__ typedef _Float16 sf_float16; /* not ISO C11: said once, here */

static inline float sf_widen_bf16(uint16_t bits)
{
    const uint32_t u = (uint32_t)bits << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline uint16_t sf_narrow_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

static inline float sf_widen_f16(uint16_t bits)
{
    sf_float16 h;
    memcpy(&h, &bits, sizeof h);
    return (float)h;
}

static inline uint16_t sf_narrow_f16(float f)
{
    const sf_float16 h = (sf_float16)f;
    uint16_t bits;
    memcpy(&bits, &h, sizeof bits);
    return bits;
}

#endif
