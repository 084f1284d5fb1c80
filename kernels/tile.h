/* How a thread finds its neurons, and loads and stores with scalar tails.
 *
 * A thread owns `npt` groups of `vec` consecutive neurons. Group k of thread j in block b starts at
 * ((b npt + k) blockDim + j) vec, so the threads of a warp touch consecutive groups and their accesses
 * coalesce. Vector accesses are taken only when the whole row is aligned (vec_ok, decided once per
 * launch) and the group is complete; ragged rows and the last group use scalar accesses. */
#ifndef SF_TILE_H
#define SF_TILE_H

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

/* sf_load_<type>: registers dst[0..vec) = src[0..n) widened to float, zero past n; sf_store_<type>:
 * src[0..n) narrowed to the storage type. One vector access (the backend's sf_vector_load_<type>) where
 * the group is complete and the rows aligned, else one element at a time. */
#define SF_DEFINE_ACCESS(type)                                                                     \
    SF_DEVICE void sf_load_##type(float *dst, const sf_##type##_t *src, int vec, int n, int vec_ok) \
    {                                                                                              \
        if (vec > 1 && vec_ok && n == vec) {                                                       \
            sf_vector_load_##type(dst, src, vec);                                                  \
            return;                                                                                \
        }                                                                                          \
        for (int j = 0; j < vec; ++j)                                                              \
            dst[j] = j < n ? sf_widen_##type(src[j]) : 0.0f;                                       \
    }                                                                                              \
    SF_DEVICE void sf_store_##type(sf_##type##_t *dst, const float *src, int vec, int n, int vec_ok) \
    {                                                                                              \
        if (vec > 1 && vec_ok && n == vec) {                                                       \
            sf_vector_store_##type(dst, src, vec);                                                 \
            return;                                                                                \
        }                                                                                          \
        for (int j = 0; j < vec && j < n; ++j)                                                     \
            dst[j] = sf_narrow_##type(src[j]);                                                     \
    }

SF_DEFINE_ACCESS(f32)
SF_DEFINE_ACCESS(bf16)
SF_DEFINE_ACCESS(f16)
SF_DEFINE_ACCESS(u8)
#undef SF_DEFINE_ACCESS

/* The spikes y of step t: sf_load_y_<spikes>, sf_store_y_<spikes>. Element-wise storages are a row of
 * M elements; packed bits (b1) a row of ceil(M / 32) words, bit b of word w neuron 32 w + b. */
#define SF_DEFINE_Y_ACCESS(type)                                                                   \
    SF_DEVICE void sf_load_y_##type(float *dst, const sf_##type##_t *y, int64_t t, int64_t M, int64_t i0, int vec, \
                                    int n, int vec_ok)                                             \
    {                                                                                              \
        sf_load_##type(dst, y + t * M + i0, vec, n, vec_ok);                                       \
    }                                                                                              \
    SF_DEVICE void sf_store_y_##type(sf_##type##_t *y, int64_t t, int64_t M, int64_t i0, const float *src, int vec, \
                                     int n, int vec_ok)                                            \
    {                                                                                              \
        sf_store_##type(y + t * M + i0, src, vec, n, vec_ok);                                      \
    }

SF_DEFINE_Y_ACCESS(f32)
SF_DEFINE_Y_ACCESS(u8)
#undef SF_DEFINE_Y_ACCESS

/* A group's vec spikes (vec divides 32, and a group starts at a multiple of vec) from its word. */
SF_DEVICE void sf_load_y_b1(float *dst, const sf_b1_t *y, int64_t t, int64_t M, int64_t i0, int vec, int n, int vec_ok)
{
    (void)vec_ok;
    const uint32_t word = y[t * ((M + 31) / 32) + i0 / 32] >> (i0 % 32);
    for (int j = 0; j < vec; ++j)
        dst[j] = j < n ? (float)((word >> j) & 1u) : 0.0f;
}

/* A [vec] register group set to one value. */
SF_DEVICE void sf_fill_f32(float *dst, float value, int vec)
{
    for (int j = 0; j < vec; ++j)
        dst[j] = value;
}

#endif
