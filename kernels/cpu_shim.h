/* Host shim: the CUDA built-ins and launch syntax for C11, so that a kernel source runs on the CPU.
 *
 * Two schedules, both exact because no spikefuse kernel uses shared memory or __syncthreads (each
 * thread's work is independent of the others'):
 *   SF_LAUNCH           a kernel without a time loop (eager, step): OpenMP across blocks, a block's
 *                       threads one after another; each thread touches one row, so a block streams.
 *   SF_LAUNCH_TEMPORAL  a kernel written as init / step(t) / finish (fused): OpenMP across blocks, and
 *                       within a block the time loop outside the threads, so that at each t the block
 *                       reads and writes one contiguous stretch of every [T,M] row. Run as CUDA runs
 *                       it (each thread its whole time loop), a thread would walk T rows M x 4 bytes
 *                       apart and the block's lines would not survive in cache between its threads.
 * A launch that writes more than a quarter of the last-level cache stores its vector groups with
 * non-temporal (streaming) stores, as glibc's memcpy does for large copies: what it writes cannot stay
 * cached for its reader anyway, and an ordinary store would first read each line. */
#ifndef SF_CPU_SHIM_H
#define SF_CPU_SHIM_H

#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "float16_cpu.h"

typedef struct dim3 { unsigned x, y, z; } dim3;

/* Per OpenMP thread, as each CUDA thread sees its own. Defined in cpu_shim.c. */
extern _Thread_local dim3 blockIdx, threadIdx, blockDim, gridDim;
/* Per OpenMP thread: whether this launch's vector stores stream (see above). */
extern _Thread_local int sf_cpu_streaming;

#define SF_GLOBAL static
#define SF_DEVICE static inline
#define SF_HOST_EXPORT
#define SF_LAUNCH_BOUNDS(n)
#define SF_RESTRICT restrict
#ifdef SF_CPU_NO_UNROLL /* the sanitizer build: see CMakeLists.txt */
#define SF_UNROLL(n)
#else
#define SF_UNROLL(n) SF_PRAGMA(GCC unroll n)
#endif
#define SF_BACKEND_SYM(name) SF_CAT(name, _cpu)
#define SF_BACKEND_ID SF_BACKEND_CPU
#define SF_BACKEND_HAS_WARPS 0 /* a block's threads run one after another */

#include "storage_types.h"

/* Threads per block when neither the launch nor the table gives one: a block of 256 x vec x npt
 * neurons touches, per time step, a stretch of each row long enough for the prefetchers (8 KiB at
 * vec 4, npt 2), and its registers (a few bytes per neuron) stay in L1. */
#define SF_CPU_DEFAULT_BLOCK 256

/* Aborts with a message: a kernel took its vector path on a misaligned address. On a GPU that would be
 * a misaligned-address fault; here it must fail as loudly. */
void sf_cpu_fault(const char *what, const void *addr);

/* Faults unless p is aligned to the `bytes` of its vector access, as a GPU's access must be. */
static inline void sf_cpu_check_aligned(const void *p, size_t bytes, const char *what)
{
    if ((uintptr_t)p % (uintptr_t)bytes != 0)
        sf_cpu_fault(what, p);
}

/* The vector path of a load or store: one access of `vec` floats, which must be aligned as a GPU's
 * float2/float4 access must be, so that a wrong alignment decision fails here as it would there. */
static inline void sf_vector_load_f32(float *dst, const float *src, int vec)
{
    sf_cpu_check_aligned(src, (size_t)vec * sizeof(float), "vector load not aligned to its width");
    memcpy(dst, src, (size_t)vec * sizeof(float));
}

static inline void sf_vector_store_f32(float *dst, const float *src, int vec)
{
    sf_cpu_check_aligned(dst, (size_t)vec * sizeof(float), "vector store not aligned to its width");
#if defined(__SSE2__)
    if (sf_cpu_streaming) {
        if (vec % 4 == 0) {
            for (int j = 0; j < vec; j += 4)
                _mm_stream_ps(dst + j, _mm_loadu_ps(src + j));
            return;
        }
        if (vec == 2) {
            long long bits;
            memcpy(&bits, src, sizeof bits);
            _mm_stream_si64((long long *)(void *)dst, bits);
            return;
        }
    }
#endif
    memcpy(dst, src, (size_t)vec * sizeof(float));
}

static inline void sf_vector_load_u8(float *dst, const uint8_t *src, int vec)
{
    sf_cpu_check_aligned(src, (size_t)vec, "vector load not aligned to its width");
#if defined(__SSE2__)
    if (vec % 16 == 0) { /* widened in registers: bytes -> 16-bit -> 32-bit lanes -> floats */
        const __m128i zero = _mm_setzero_si128();
        for (int j = 0; j < vec; j += 16) {
            const __m128i b = _mm_load_si128((const __m128i *)(const void *)(src + j));
            const __m128i lo = _mm_unpacklo_epi8(b, zero), hi = _mm_unpackhi_epi8(b, zero);
            _mm_storeu_ps(dst + j, _mm_cvtepi32_ps(_mm_unpacklo_epi16(lo, zero)));
            _mm_storeu_ps(dst + j + 4, _mm_cvtepi32_ps(_mm_unpackhi_epi16(lo, zero)));
            _mm_storeu_ps(dst + j + 8, _mm_cvtepi32_ps(_mm_unpacklo_epi16(hi, zero)));
            _mm_storeu_ps(dst + j + 12, _mm_cvtepi32_ps(_mm_unpackhi_epi16(hi, zero)));
        }
        return;
    }
#endif
    for (int j = 0; j < vec; ++j)
        dst[j] = (float)src[j];
}

/* Spikes (0.0f or 1.0f) narrowed to bytes in registers, 16 at a time (SSE2 has no one-step narrowing
 * that a compiler finds from the scalar loop), and streamed when the launch streams. */
static inline void sf_vector_store_u8(uint8_t *dst, const float *src, int vec)
{
    sf_cpu_check_aligned(dst, (size_t)vec, "vector store not aligned to its width");
#if defined(__SSE2__)
    if (vec % 16 == 0) {
        for (int j = 0; j < vec; j += 16) {
            const __m128i a = _mm_packs_epi32(_mm_cvttps_epi32(_mm_loadu_ps(src + j)),
                                              _mm_cvttps_epi32(_mm_loadu_ps(src + j + 4)));
            const __m128i b = _mm_packs_epi32(_mm_cvttps_epi32(_mm_loadu_ps(src + j + 8)),
                                              _mm_cvttps_epi32(_mm_loadu_ps(src + j + 12)));
            const __m128i bytes = _mm_packus_epi16(a, b);
            if (sf_cpu_streaming)
                _mm_stream_si128((__m128i *)(void *)(dst + j), bytes);
            else
                _mm_store_si128((__m128i *)(void *)(dst + j), bytes);
        }
        return;
    }
#endif
    for (int j = 0; j < vec; ++j)
        dst[j] = (uint8_t)src[j];
}

/* The vector path of a 16-bit float storage type: each element converted (bf16 in SSE2 registers, 8 at
 * a time: widening is a shift into the top half, narrowing rounds as sf_narrow_bf16 does), the stores
 * streamed when the launch streams. */
static inline void sf_vector_load_bf16(float *dst, const uint16_t *src, int vec)
{
    sf_cpu_check_aligned(src, (size_t)vec * 2u, "vector load not aligned to its width");
#if defined(__SSE2__)
    if (vec % 8 == 0) {
        const __m128i zero = _mm_setzero_si128();
        for (int j = 0; j < vec; j += 8) {
            const __m128i h = _mm_load_si128((const __m128i *)(const void *)(src + j));
            _mm_storeu_ps(dst + j, _mm_castsi128_ps(_mm_unpacklo_epi16(zero, h)));
            _mm_storeu_ps(dst + j + 4, _mm_castsi128_ps(_mm_unpackhi_epi16(zero, h)));
        }
        return;
    }
#endif
    for (int j = 0; j < vec; ++j)
        dst[j] = sf_widen_bf16(src[j]);
}

#if defined(__SSE2__)
/* Four floats rounded to bf16 (sf_narrow_bf16's rule), as 32-bit lanes holding the bits sign-extended,
 * so that _mm_packs_epi32 packs them exactly. */
static inline __m128i sf_sse_narrow_bf16(const float *src)
{
    const __m128i u = _mm_castps_si128(_mm_loadu_ps(src));
    const __m128i lsb = _mm_and_si128(_mm_srli_epi32(u, 16), _mm_set1_epi32(1));
    const __m128i rounded = _mm_add_epi32(u, _mm_add_epi32(_mm_set1_epi32(0x7fff), lsb));
    const __m128i nan = _mm_cmpgt_epi32(_mm_and_si128(u, _mm_set1_epi32(0x7fffffff)), _mm_set1_epi32(0x7f800000));
    const __m128i quiet = _mm_or_si128(u, _mm_set1_epi32(0x00400000));
    const __m128i r = _mm_or_si128(_mm_and_si128(nan, quiet), _mm_andnot_si128(nan, rounded));
    return _mm_srai_epi32(r, 16);
}
#endif

static inline void sf_vector_store_bf16(uint16_t *dst, const float *src, int vec)
{
    sf_cpu_check_aligned(dst, (size_t)vec * 2u, "vector store not aligned to its width");
#if defined(__SSE2__)
    if (vec % 8 == 0) {
        for (int j = 0; j < vec; j += 8) {
            const __m128i h = _mm_packs_epi32(sf_sse_narrow_bf16(src + j), sf_sse_narrow_bf16(src + j + 4));
            if (sf_cpu_streaming)
                _mm_stream_si128((__m128i *)(void *)(dst + j), h);
            else
                _mm_store_si128((__m128i *)(void *)(dst + j), h);
        }
        return;
    }
#endif
    for (int j = 0; j < vec; ++j)
        dst[j] = sf_narrow_bf16(src[j]);
}

/* f16: F16C's vcvtph2ps / vcvtps2ph (round to nearest even, as _Float16) 8 at a time where the CPU has
 * them, chosen at run time since they are not baseline x86-64 (cpu_shim.c); else the compiler's
 * _Float16, one element at a time, which calls into libgcc. */
#if defined(__x86_64__) && defined(__GNUC__)
void sf_cpu_f16c_widen(float *dst, const uint16_t *src, int n);
void sf_cpu_f16c_narrow(uint16_t *dst, const float *src, int n, int stream);
#define SF_CPU_HAS_F16C() __builtin_cpu_supports("f16c")
#else
#define sf_cpu_f16c_widen(dst, src, n) ((void)0)
#define sf_cpu_f16c_narrow(dst, src, n, stream) ((void)0)
#define SF_CPU_HAS_F16C() 0
#endif

static inline void sf_vector_load_f16(float *dst, const uint16_t *src, int vec)
{
    sf_cpu_check_aligned(src, (size_t)vec * 2u, "vector load not aligned to its width");
    if (vec % 8 == 0 && SF_CPU_HAS_F16C()) {
        sf_cpu_f16c_widen(dst, src, vec);
        return;
    }
    for (int j = 0; j < vec; ++j)
        dst[j] = sf_widen_f16(src[j]);
}

static inline void sf_vector_store_f16(uint16_t *dst, const float *src, int vec)
{
    sf_cpu_check_aligned(dst, (size_t)vec * 2u, "vector store not aligned to its width");
    if (vec % 8 == 0 && SF_CPU_HAS_F16C()) {
        sf_cpu_f16c_narrow(dst, src, vec, sf_cpu_streaming);
        return;
    }
    for (int j = 0; j < vec; ++j)
        dst[j] = sf_narrow_f16(src[j]);
}

/* Packed spikes: each thread puts its group's bits into the word in place. The threads of a block run in
 * lane order (both schedules), so the first group of a word writes it whole, clearing what was there, and
 * the others add theirs; a word never spans blocks (blocks of whole words, sf_b1_block_multiple). */
static inline void sf_store_y_b1(uint32_t *y, int64_t t, int64_t M, int64_t i0, const float *src, int vec, int n,
                                 int vec_ok)
{
    (void)vec_ok;
    uint32_t *word = y + t * ((M + 31) / 32) + i0 / 32;
    const int shift = (int)(i0 % 32);
    uint32_t bits;
#if defined(__SSE2__)
    if (vec % 4 == 0 && n == vec) { /* a complete group: 4 spikes a compare and movemask */
        bits = 0;
        for (int j = 0; j < vec; j += 4)
            bits |= (uint32_t)_mm_movemask_ps(_mm_cmpneq_ps(_mm_loadu_ps(src + j), _mm_setzero_ps())) << j;
    } else
#endif
        bits = sf_spike_bits(src, vec, n);
    *word = shift == 0 ? bits : *word | bits << shift;
}

/* Staging a block's input tile in shared memory (a template with SF_STAGE > 0; cuda_prelude.cuh has the
 * GPU's bulk asynchronous copies). Here a block's threads run one step at a time after SF_BLOCK_STEP, so
 * a copy is a memcpy done before anyone reads, and a barrier has nothing to wait for. A copy checks what
 * the GPU's bulk copy requires (16-byte aligned addresses, a multiple of 16 bytes), so that a wrong
 * staging decision faults here as it would there; sf_cpu_staged_copies() counts the copies, so that a
 * test can see the staging path taken. */
#define SF_STAGE_CAPABLE 1
void sf_cpu_count_staged_copy(void);
static inline void sf_block_sync(void) {}
static inline void sf_stage_init(uint64_t *bars, int stages) { (void)bars, (void)stages; }
static inline void sf_stage_expect(uint64_t *bar, uint32_t bytes) { (void)bar, (void)bytes; }
static inline void sf_stage_copy(void *dst, const void *src, uint32_t bytes, uint64_t *bar)
{
    (void)bar;
    sf_cpu_check_aligned(dst, 16, "bulk copy to shared memory not 16-byte aligned");
    sf_cpu_check_aligned(src, 16, "bulk copy from global memory not 16-byte aligned");
    if (bytes % 16 != 0)
        sf_cpu_fault("bulk copy size not a multiple of 16 bytes", src);
    memcpy(dst, src, bytes);
    sf_cpu_count_staged_copy();
}
static inline void sf_stage_wait(uint64_t *bar, uint32_t parity) { (void)bar, (void)parity; }
/* Per-OpenMP-thread shared memory of a temporal launch, `bytes` (a multiple of 64) each, 64-byte aligned;
 * or NULL with the error set. */
void *sf_cpu_shared(int threads, size_t bytes);

/* Whether a launch that writes `bytes` streams its stores; decided once per launch. */
int sf_cpu_stream_stores(double bytes);
/* Orders a thread's streaming stores before the launch returns (they are weakly ordered). */
static inline void sf_cpu_stream_fence(void)
{
#if defined(__SSE2__)
    if (sf_cpu_streaming)
        _mm_sfence();
#endif
}

/* The schedule of SF_LAUNCH_TEMPORAL (sf_cpu_set_schedule): 0 the time loop outside the threads (the
 * default), 1 as CUDA runs it, each thread its whole time loop. */
extern int sf_cpu_thread_schedule;

/* kernel is referenced so that a kernel only the CUDA schedule calls still counts as used. */
#define SF_OCCUPANCY_BLOCK(kernel, out) ((void)(kernel), (*(out) = SF_CPU_DEFAULT_BLOCK), SF_OK)
#define SF_BLOCKS_PER_SM(kernel, block, out) ((void)(block), (*(out) = 1), SF_OK)
/* A CPU block is a loop: no limit below sf_plan_finish's */
#define SF_MAX_BLOCK(out, all) ((*(out) = SF_CPU_MAX_BLOCK), SF_OK)

int sf_cpu_default_threads(void);
/* Per-thread register space of a temporal launch: threads x block x bytes, or NULL with the error set. */
void *sf_cpu_registers(int threads, unsigned block, size_t bytes);

/* The grid of a CPU launch: OpenMP across blocks, the built-ins set for each; the statements after
 * `before` and `after` run once, around the parallel region (`before` may return an error), and the
 * remaining arguments once per block. bytes_written: what the launch writes (the streaming rule). */
#define SF_CPU_GRID(L, bytes_written, before, after, ...)                                          \
    do {                                                                                           \
        const int64_t sf_grid_ = (L).grid;                                                         \
        const unsigned sf_block_ = (unsigned)(L).block;                                            \
        const int sf_threads_ = (L).cpu_threads > 0 ? (L).cpu_threads : sf_cpu_default_threads(); \
        const int sf_stream_ = sf_cpu_stream_stores(bytes_written);                                \
        before                                                                                     \
        SF_PRAGMA(omp parallel num_threads(sf_threads_))                                           \
        {                                                                                          \
            sf_cpu_streaming = sf_stream_;                                                         \
            SF_PRAGMA(omp for schedule(static))                                                    \
            for (int64_t sf_b_ = 0; sf_b_ < sf_grid_; ++sf_b_) {                                   \
                gridDim = (dim3){(unsigned)sf_grid_, 1, 1};                                        \
                blockDim = (dim3){sf_block_, 1, 1};                                                \
                blockIdx = (dim3){(unsigned)sf_b_, 0, 0};                                          \
                __VA_ARGS__                                                                        \
            }                                                                                      \
            sf_cpu_stream_fence();                                                                 \
        }                                                                                          \
        after                                                                                      \
    } while (0)

/* kernel<<<L.grid, L.block>>>(args...): a block's threads one after another. */
#define SF_LAUNCH(kernel, L, bytes_written, ...)                                                   \
    SF_CPU_GRID(L, bytes_written, , ,                                                              \
                for (unsigned sf_t_ = 0; sf_t_ < sf_block_; ++sf_t_) {                             \
                    threadIdx = (dim3){sf_t_, 0, 0};                                               \
                    kernel(__VA_ARGS__);                                                           \
                })

/* The temporal kernel of the instantiation being compiled (temporal.h): each block run by
 * SF_SYM(block), the time loop outside its threads, in the blockDim.x register slots and the shared
 * memory of its OpenMP thread; or, with sf_cpu_thread_schedule, as CUDA runs it, except a kernel whose
 * block shares memory (its threads cannot run one after another). */
#define SF_LAUNCH_TEMPORAL(L, bytes_written, ...)                                                  \
    do {                                                                                           \
        const size_t sf_shared_bytes_ = SF_SYM(shared_bytes)((unsigned)(L).block);                 \
        if (sf_cpu_thread_schedule && sf_shared_bytes_ == 0) {                                     \
            SF_LAUNCH(SF_SYM(kernel), L, bytes_written, __VA_ARGS__);                              \
            break;                                                                                 \
        }                                                                                          \
        SF_CPU_GRID(L, bytes_written,                                                              \
                    SF_SYM(registers) *const sf_regs_ = (SF_SYM(registers) *)sf_cpu_registers(     \
                        sf_threads_, sf_block_, sizeof(SF_SYM(registers)));                        \
                    if (!sf_regs_) return SF_ERR_NOMEM;                                            \
                    unsigned char *const sf_shared_ = sf_shared_bytes_ ? (unsigned char *)sf_cpu_shared( \
                        sf_threads_, sf_shared_bytes_) : NULL;                                     \
                    if (sf_shared_bytes_ && !sf_shared_) { free(sf_regs_); return SF_ERR_NOMEM; }, \
                    free(sf_regs_); free(sf_shared_);,                                             \
                    threadIdx = (dim3){0, 0, 0};                                                   \
                    SF_SYM(block)(sf_regs_ + (size_t)omp_get_thread_num() * sf_block_,             \
                                  sf_shared_ ? sf_shared_ + (size_t)omp_get_thread_num() * sf_shared_bytes_ : NULL, \
                                  __VA_ARGS__););                                                  \
    } while (0)

#endif
