/* The storage types of a kernel's tensors, named as the dtype and spikes columns of variants.csv spell
 * them, and their conversions to and from the fp32 registers. Included by each backend's prelude once
 * SF_DEVICE is defined; a 16-bit float is kept as its bits and converted by the backend's
 * sf_widen_<type> and sf_narrow_<type> (round to nearest even). */
#ifndef SF_STORAGE_TYPES_H
#define SF_STORAGE_TYPES_H

#include <stdint.h>

typedef float sf_f32_t;
typedef uint16_t sf_bf16_t;
typedef uint16_t sf_f16_t;
typedef uint8_t sf_u8_t; /* a spike as one byte, 0 or 1 */
typedef uint32_t sf_b1_t; /* 32 spikes packed, a bit each (tile.h: sf_load_y_b1) */

/* Per spike storage: the bits a spike takes, the multiple of threads a block needs (packed bits: a word
 * is 32 neurons of one block), and whether storing spikes takes every lane of a warp (packed bits on a
 * backend with warps: a word is gathered by shuffles, so lanes past M join in rather than return). */
enum {
    sf_f32_bits = 32,
    sf_u8_bits = 8,
    sf_b1_bits = 1,
    sf_f32_block_multiple = 1,
    sf_u8_block_multiple = 1,
    sf_b1_block_multiple = 32,
    sf_f32_warp_wide = 0,
    sf_u8_warp_wide = 0,
    sf_b1_warp_wide = SF_BACKEND_HAS_WARPS,
};

/* A group's spikes (0.0f or 1.0f) as the low bits of a word: bit j is src[j], none past n. */
SF_DEVICE uint32_t sf_spike_bits(const float *src, int vec, int n)
{
    uint32_t bits = 0;
    for (int j = 0; j < vec; ++j)
        bits |= (j < n && src[j] != 0.0f ? 1u : 0u) << j;
    return bits;
}

SF_DEVICE float sf_widen_f32(float x) { return x; }
SF_DEVICE float sf_narrow_f32(float x) { return x; }
SF_DEVICE float sf_widen_u8(uint8_t x) { return (float)x; }
SF_DEVICE uint8_t sf_narrow_u8(float spike) { return (uint8_t)spike; } /* 0.0f or 1.0f */

#endif
