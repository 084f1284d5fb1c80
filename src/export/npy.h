/* Reading and writing .npy files (NumPy's format, versions 1.0-3.0), C order. A read always takes
 * float32 ('<f4') and, where the caller says so, the narrower types spikefuse stores: IEEE half ('<f2'),
 * bf16 as its bits ('<u2': NumPy has no bf16 dtype) and uint8 ('|u1': spikes a byte each, or packed). */
#ifndef SF_NPY_H
#define SF_NPY_H

#include "spikefuse.h"

#define SF_NPY_MAX_DIMS 8

/* The dtypes a read takes besides '<f4', or'd. */
enum {
    SF_NPY_U1 = 1u << 0,   /* '|u1' */
    SF_NPY_F2 = 1u << 1,   /* '<f2' */
    SF_NPY_BF16 = 1u << 2, /* '<u2', read as bf16 bits */
};

typedef struct sf_npy {
    int ndim;
    int64_t shape[SF_NPY_MAX_DIMS];
    int64_t count; /* product of shape */
    float *data;   /* malloc'd; sf_npy_free */
    char descr[8]; /* what the file held: "<f4", "<f2", "<u2" (bf16 bits) or "|u1"; data has it widened, exactly */
} sf_npy;

/* Reads a little-endian, C-order array of '<f4' or a dtype `accept` names (SF_NPY_*). Anything else
 * (another dtype, Fortran order, a malformed header, a truncated or oversized payload) is SF_ERR_IO
 * with a one-line message; a refused dtype's names the dtypes taken. */
sf_status sf_npy_read_as(const char *path, unsigned accept, sf_npy *out);
/* sf_npy_read_as taking '<f4' only. */
sf_status sf_npy_read(const char *path, sf_npy *out);
/* sf_npy_read_as taking '|u1' too: a spikes file. */
sf_status sf_npy_read_spikes(const char *path, sf_npy *out);
/* Writes raw elements of dtype descr ("<f4", "<f2", "<u2", "|u1"; another is SF_ERR_INVALID)
 * atomically: a temporary file in the same folder, then rename. */
sf_status sf_npy_write_as(const char *path, const char *descr, const void *data, int ndim, const int64_t *shape);
/* sf_npy_write_as of float32 ('<f4'). */
sf_status sf_npy_write(const char *path, const float *data, int ndim, const int64_t *shape);
/* sf_npy_write_as of uint8 ('|u1'): spikes a byte each. */
sf_status sf_npy_write_u1(const char *path, const uint8_t *data, int ndim, const int64_t *shape);
/* What a descr holds, in words ("float32", "float16", "bf16 bits", "uint8"); NULL for another. */
const char *sf_npy_dtype_name(const char *descr);
void sf_npy_free(sf_npy *a);

#endif
