/* NVTX ranges, so that a profiler trace names every state and phase. Compiled out without the CUDA
 * Toolkit's NVTX3 headers. */
#ifndef SF_NVTX_H
#define SF_NVTX_H

#ifdef SF_HAVE_NVTX
#include <nvtx3/nvToolsExt.h>
#define SF_RANGE_PUSH(name) nvtxRangePushA(name)
#define SF_RANGE_POP() nvtxRangePop()
#else
#define SF_RANGE_PUSH(name) ((void)(name))
#define SF_RANGE_POP() ((void)0)
#endif

#endif
