/* Reading and writing float32 .npy files (NumPy's format, versions 1.0-3.0), C order; spikes also as
 * uint8 ('|u1', one byte a spike), as kernels that store them so write them. */
#ifndef SF_NPY_H
#define SF_NPY_H

#include "spikefuse.h"

#define SF_NPY_MAX_DIMS 8

typedef struct sf_npy {
    int ndim;
    int64_t shape[SF_NPY_MAX_DIMS];
    int64_t count; /* product of shape */
    float *data;   /* malloc'd; sf_npy_free */
    int spikes_u1; /* the file held uint8 ('|u1'), widened into data */
} sf_npy;

/* Reads a little-endian float32 ('<f4'), C-order array. Anything else (another dtype, Fortran order,
 * a malformed header, a truncated or oversized payload) is SF_ERR_IO with a one-line message. */
sf_status sf_npy_read(const char *path, sf_npy *out);
/* The same, accepting uint8 ('|u1') too, widened to float: a spikes file. */
sf_status sf_npy_read_spikes(const char *path, sf_npy *out);
/* Writes atomically: a temporary file in the same folder, then rename. */
sf_status sf_npy_write(const char *path, const float *data, int ndim, const int64_t *shape);
/* Writes uint8 ('|u1'), atomically: spikes a byte each. */
sf_status sf_npy_write_u1(const char *path, const uint8_t *data, int ndim, const int64_t *shape);
void sf_npy_free(sf_npy *a);

#endif
