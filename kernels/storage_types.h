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

SF_DEVICE float sf_widen_f32(float x) { return x; }
SF_DEVICE float sf_narrow_f32(float x) { return x; }
SF_DEVICE float sf_widen_u8(uint8_t x) { return (float)x; }
SF_DEVICE uint8_t sf_narrow_u8(float spike) { return (uint8_t)spike; } /* 0.0f or 1.0f */

#endif
