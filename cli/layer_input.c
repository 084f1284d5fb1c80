/* One layer's tensor read from a .npy (layer_input.h): `run` and `verify --outputs` read theirs here. */
#include "layer_input.h"

#include <stdio.h>
#include <string.h>

#include "options.h"

int read_layer_npy(const char *path, const sf_npy *like, const char *like_name, unsigned accept, sf_npy *a,
                   int64_t *T, int64_t *M)
{
    if (sf_npy_read_as(path, accept, a) != SF_OK)
        return fail(SF_EXIT_FAIL, "%s", sf_last_error()), 0;
    if (a->ndim != 2 && a->ndim != 3)
        return fail(SF_EXIT_FAIL, "%s: shape must be [T, M] or [T, B, N], not %d-dimensional", path, a->ndim), 0;
    if (like && (like->ndim != a->ndim || memcmp(like->shape, a->shape, sizeof(int64_t) * (size_t)a->ndim) != 0))
        return fail(SF_EXIT_FAIL, "%s: shape differs from %s's", path, like_name), 0;
    *T = a->shape[0];
    *M = a->count / (a->shape[0] ? a->shape[0] : 1);
    if (*T < 1)
        return fail(SF_EXIT_FAIL, "%s: T = %lld; a layer needs at least one time step", path, (long long)*T), 0;
    if (*M < 1)
        return fail(SF_EXIT_FAIL, "%s: no neurons (M = 0)", path), 0;
    return 1;
}

int layer_dtype_allowed(const sf_npy *a, const char *path, int bf16_bits)
{
    if (strcmp(a->descr, "<u2") == 0 && !bf16_bits)
        return fail(SF_EXIT_FAIL, "%s: dtype '<u2' is read only as bf16 bits, with --bf16-bits (else convert "
                                  "with .astype(np.float32))", path), 0;
    return 1;
}

int read_state_npy(const char *path, const sf_npy *like, const char *like_name, int bf16_bits, sf_npy *a,
                   int64_t *T, int64_t *M)
{
    return read_layer_npy(path, like, like_name, LAYER_STATE_DTYPES, a, T, M) && layer_dtype_allowed(a, path, bf16_bits);
}

/* "[d0, d1, ...]" */
static const char *shape_text(const sf_npy *a, char *buf, size_t size)
{
    int n = snprintf(buf, size, "[");
    for (int i = 0; i < a->ndim && n > 0 && (size_t)n < size; ++i)
        n += snprintf(buf + n, size - (size_t)n, "%s%lld", i ? ", " : "", (long long)a->shape[i]);
    if (n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, "]");
    return buf;
}

/* Replaces a's bytes (widened to floats 0..255) by the T x M spikes they pack. 0 if out of memory. */
static int unpack(sf_npy *a, const sf_npy *like, int64_t T, int64_t M)
{
    const int64_t row = (M + 7) / 8;
    float *y = NULL;
    if (sf_alloc(SF_BACKEND_CPU, (size_t)(T * M) * sizeof(float), (void **)&y) != SF_OK)
        return 0;
    for (int64_t t = 0; t < T; ++t)
        for (int64_t i = 0; i < M; ++i)
            y[t * M + i] = (float)(((unsigned)a->data[t * row + i / 8] >> (i % 8)) & 1u);
    sf_npy_free(a);
    a->data = y;
    a->ndim = like->ndim;
    memcpy(a->shape, like->shape, sizeof a->shape);
    a->count = T * M;
    return 1;
}

int read_checkpoints_npy(const char *path, const sf_npy *like, int chunk, const char *kernel, int bf16_bits,
                         sf_npy *a)
{
    const int64_t T = like->shape[0], rows = sf_checkpoint_rows(T, chunk);
    if (sf_npy_read_as(path, LAYER_STATE_DTYPES, a) != SF_OK)
        return fail(SF_EXIT_FAIL, "%s", sf_last_error()), 0;
    if (!layer_dtype_allowed(a, path, bf16_bits))
        return 0;
    const size_t trailing = sizeof(int64_t) * (size_t)(like->ndim - 1);
    const int same_neurons = a->ndim == like->ndim && memcmp(a->shape + 1, like->shape + 1, trailing) == 0;
    if (same_neurons && a->shape[0] == rows)
        return 1;
    sf_npy want = *like;
    want.shape[0] = rows;
    char want_text[160], got[160];
    return fail(SF_EXIT_FAIL,
                "%s: %s replays from fp32 checkpoints, one every %d steps: shape must be [ceil(T/chunk), M...] = "
                "%s for T = %lld (the v.npy its ckpt forward writes), not %s%s",
                path, kernel, chunk, shape_text(&want, want_text, sizeof want_text), (long long)T,
                shape_text(a, got, sizeof got),
                same_neurons && a->shape[0] == T ? " (a whole v trace? keep rows chunk-1, 2 chunk-1, ..., T-1)" : ""),
           0;
}

int read_packed_spikes_npy(const char *path, const sf_npy *like, sf_npy *a)
{
    const int64_t T = like->shape[0], M = like->count / T, row = (M + 7) / 8;
    if (sf_npy_read_as(path, SF_NPY_U1, a) != SF_OK)
        return fail(SF_EXIT_FAIL, "%s", sf_last_error()), 0;
    char got[160];
    if (strcmp(a->descr, "|u1") != 0 || a->ndim != 2 || a->shape[0] != T || a->shape[1] != row)
        return fail(SF_EXIT_FAIL,
                    "%s: packed spikes must be uint8 ('|u1') of shape [T, ceil(M/8)] = [%lld, %lld] "
                    "(np.packbits(y.reshape(T, -1), axis=-1, bitorder='little')), not %s of shape %s",
                    path, (long long)T, (long long)row, a->descr, shape_text(a, got, sizeof got)),
               0;
    const unsigned pad = M % 8 ? 0xffu << (M % 8) & 0xffu : 0;
    for (int64_t t = 0; t < T; ++t)
        if ((unsigned)a->data[t * row + row - 1] & pad)
            return fail(SF_EXIT_FAIL, "%s: row %lld has bits set past M = %lld (packed spikes pad with zeros)", path,
                        (long long)t, (long long)M),
                   0;
    if (!unpack(a, like, T, M))
        return fail(SF_EXIT_FAIL, "%s", sf_last_error()), 0;
    return 1;
}

int read_spikes_npy(const char *path, const sf_npy *like, int packed, sf_npy *a)
{
    if (packed)
        return read_packed_spikes_npy(path, like, a);
    int64_t T, M;
    if (!read_layer_npy(path, NULL, NULL, SF_NPY_U1, a, &T, &M))
        return 0;
    if (a->ndim == like->ndim && memcmp(a->shape, like->shape, sizeof(int64_t) * (size_t)a->ndim) == 0)
        return 1;
    const int64_t row = (like->count / like->shape[0] + 7) / 8;
    const int looks_packed =
        strcmp(a->descr, "|u1") == 0 && a->ndim == 2 && a->shape[0] == like->shape[0] && a->shape[1] == row;
    return fail(SF_EXIT_FAIL, "%s: shape differs from the first input's%s", path,
                looks_packed ? " (packed spikes? give --packed-spikes)" : ""), 0;
}
