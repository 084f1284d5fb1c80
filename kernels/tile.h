/* How a thread finds its neurons, and loads and stores with scalar tails.
 *
 * A thread owns `npt` groups of `vec` consecutive neurons. Group k of thread j in block b starts at
 * ((b npt + k) blockDim + j) vec, so the threads of a warp touch consecutive groups and their accesses
 * coalesce. Vector accesses are taken only when the whole row is aligned (vec_ok, decided once per
 * launch) and the group is complete; ragged rows and the last group use scalar accesses. */
#ifndef SF_TILE_H
#define SF_TILE_H

/* Storage types, named as the dtype and spikes columns of variants.csv spell them. */
typedef float sf_f32_t;
typedef uint8_t sf_u8_t; /* a spike as one byte, 0 or 1 */

SF_DEVICE int64_t sf_group_first(int k, int vec, int npt)
{
    return (((int64_t)blockIdx.x * npt + k) * blockDim.x + threadIdx.x) * vec;
}

/* Neurons of the group starting at i0 that exist: 0..vec. */
SF_DEVICE int sf_group_size(int64_t i0, int64_t M, int vec)
{
    const int64_t left = M - i0;
    return left <= 0 ? 0 : (left < vec ? (int)left : vec);
}

/* dst[0..vec) = src[0..n), zero past n. */
SF_DEVICE void sf_load_f32(float *dst, const float *src, int vec, int n, int vec_ok)
{
    if (vec > 1 && vec_ok && n == vec) {
        sf_vector_load_f32(dst, src, vec);
        return;
    }
    for (int j = 0; j < vec; ++j)
        dst[j] = j < n ? src[j] : 0.0f;
}

SF_DEVICE void sf_store_f32(float *dst, const float *src, int vec, int n, int vec_ok)
{
    if (vec > 1 && vec_ok && n == vec) {
        sf_vector_store_f32(dst, src, vec);
        return;
    }
    for (int j = 0; j < vec && j < n; ++j)
        dst[j] = src[j];
}

/* Spikes stored as bytes: dst[0..vec) = src[0..n) as 0.0f or 1.0f, zero past n. */
SF_DEVICE void sf_load_u8(float *dst, const uint8_t *src, int vec, int n, int vec_ok)
{
    if (vec > 1 && vec_ok && n == vec) {
        sf_vector_load_u8(dst, src, vec);
        return;
    }
    for (int j = 0; j < vec; ++j)
        dst[j] = j < n ? (float)src[j] : 0.0f;
}

/* src holds spikes, 0.0f or 1.0f: stored as the bytes 0 or 1. */
SF_DEVICE void sf_store_u8(uint8_t *dst, const float *src, int vec, int n, int vec_ok)
{
    if (vec > 1 && vec_ok && n == vec) {
        sf_vector_store_u8(dst, src, vec);
        return;
    }
    for (int j = 0; j < vec && j < n; ++j)
        dst[j] = (uint8_t)src[j];
}

/* A [vec] register group set to one value. */
SF_DEVICE void sf_fill_f32(float *dst, float value, int vec)
{
    for (int j = 0; j < vec; ++j)
        dst[j] = value;
}

#endif
