/* Included first by every generated kernel file: picks the backend that compiles the kernel source.
 * Under nvcc the kernels are CUDA; under a C compiler the host shim turns the same source into C11
 * whose grid runs as loops. Only the helpers below differ between the two. */
#ifndef SF_KERNEL_PRELUDE_H
#define SF_KERNEL_PRELUDE_H

#include "spikefuse.h"

#define SF_CAT_(a, b) a##b
#define SF_CAT(a, b) SF_CAT_(a, b)
#define SF_PRAGMA(x) _Pragma(#x)

/* Values of a template's SF_FORM (the "form" column of forms.csv). */
#define SF_FORM_TRAIN 0
#define SF_FORM_INFER 1
#define SF_FORM_SEGMENT 2
#define SF_FORM_GRAD 3
#define SF_FORM_GRAD_H 4
#define SF_FORM_CKPT 5
#define SF_FORM_GRAD_CKPT 6

#ifdef __CUDACC__
#include "cuda_prelude.cuh"
#else
#include "cpu_shim.h"
#endif

#include "launch.h"
#include "lif.h"
#include "tile.h"

#endif
