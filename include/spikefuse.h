/* spikefuse: fused and unfused temporal LIF kernels for spiking neural networks.
 *
 * Plain C API in the style of cJSON: a registry of generated kernels, a run call that executes one of
 * them on the CPU or on a CUDA device, buffers for either backend, and a float64 reference of the
 * paper's Eqs. 1-3 to check them against.
 *
 * Layout is time-major: element (t, i) of a [T, M] tensor sits at t*M + i, M = batch x neurons.
 */
#ifndef SPIKEFUSE_H
#define SPIKEFUSE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SPIKEFUSE_VERSION "0.1.0"

/* ---- status ----------------------------------------------------------------------------------- */

typedef enum sf_status {
    SF_OK = 0,
    SF_ERR_INVALID,     /* bad argument: impossible size, missing tensor, a combination with no kernel */
    SF_ERR_NOMEM,       /* does not fit in host or device memory */
    SF_ERR_NODEVICE,    /* no CUDA device, or built without CUDA */
    SF_ERR_CUDA,        /* a CUDA call failed */
    SF_ERR_IO,          /* a file could not be read or written, or is malformed */
    SF_ERR_UNKNOWN,     /* a name not in its table: family, preset, form, direction, surrogate, backend,
                         * strategy, part (last, so that the values above keep their numbers) */
} sf_status;

const char *sf_status_name(sf_status s);
/* One line saying what went wrong in the calling thread's last failed call. */
const char *sf_last_error(void);

/* ---- the neuron ------------------------------------------------------------------------------- */

typedef enum sf_surrogate {
    SF_SURROGATE_RECT = 0,    /* d = 1 if |v - V_th| < width (the released kernel) */
    SF_SURROGATE_SIGMOID = 1, /* d = sigmoid'(alpha (v - V_th)) * alpha (the paper's text) */
} sf_surrogate;

typedef struct sf_lif_params {
    float decay;     /* k: v(t) = k v(t-1) (1 - y(t-1)) + V_rest y(t-1) + x(t) */
    float threshold; /* V_th: y(t) = 1 if v(t) - V_th >= 0 */
    float rest;      /* V_rest: v(0) = V_rest, and the reset value */
    sf_surrogate surrogate;
    float width;     /* rect half-width */
    float alpha;     /* sigmoid steepness */
} sf_lif_params;

/* k = 0.2, V_th = 0.3, V_rest = 0, rect surrogate with width 0.5, alpha = 4 (the paper's constants). */
sf_lif_params sf_lif_defaults(void);
/* The neuron constants every kernel is checked under (the tests, spikefuse verify), each with a name:
 *   paper  the defaults above (V_rest = 0, where the paper's Eq. 3 is exact);
 *   rest   V_rest = 0.1, V_th = 0.5, k = 0.9, width 0.3, alpha 2: the V_rest d(v) term of the gradient
 *          that the paper drops is non-zero, and every other constant differs from the defaults;
 *   below  V_rest = -0.15 (a reset below zero), V_th = 0.2, k = 0.5, width 0.1, alpha 8.
 * The surrogate field is rect; a check sets the one it exercises. */
typedef struct sf_lif_param_set {
    const char *name;
    sf_lif_params params;
} sf_lif_param_set;
const sf_lif_param_set *sf_lif_param_sets(int *count);
/* Rejects non-finite values, V_rest >= V_th (a neuron that fires forever), width or alpha <= 0. */
sf_status sf_lif_check(const sf_lif_params *p);
/* The spike a float forward fires on a membrane value v it stores: 1 if v - V_th >= 0 in fp32, else 0
 * (the reference's own statement of Eq. 2 in fp32, written apart from the kernels). */
float sf_lif_spike(float v, const sf_lif_params *p);
const char *sf_surrogate_name(sf_surrogate s);
sf_status sf_surrogate_parse(const char *name, sf_surrogate *out);

/* ---- backends and buffers --------------------------------------------------------------------- */

typedef enum sf_backend { SF_BACKEND_CPU = 0, SF_BACKEND_CUDA = 1 } sf_backend;
#define SF_BACKEND_COUNT 2

const char *sf_backend_name(sf_backend b);
sf_status sf_backend_parse(const char *name, sf_backend *out);
/* SF_OK when the backend can run kernels here; otherwise sf_last_error() says why. */
sf_status sf_backend_available(sf_backend b);
/* Whether this library was built with the CUDA backend compiled in. */
int sf_built_with_cuda(void);

/* How the CPU backend runs a fused (temporal) kernel, whose threads each loop over T steps. Both give
 * the same bits; the first is the fast one and the default, the second is for checking it.
 *   SF_CPU_TIME_OUTER:   per block, for each t, every thread's step: a block streams each row;
 *   SF_CPU_THREAD_ORDER: each thread its whole time loop, one after another, as CUDA's threads run.
 * A process-wide setting: change it only while no kernel runs. */
typedef enum sf_cpu_schedule { SF_CPU_TIME_OUTER = 0, SF_CPU_THREAD_ORDER = 1 } sf_cpu_schedule;
void sf_cpu_set_schedule(sf_cpu_schedule s);
/* Rows of input the CPU backend has staged into a block's shared memory (kernels with stage > 0) since the
 * process started: what shows that a staged kernel took its staging path rather than its fallback. A
 * kernel that stages runs SF_CPU_TIME_OUTER under either schedule: its threads share memory. */
uint64_t sf_cpu_staged_copies(void);

/* Buffers on a backend: page-aligned host memory for the CPU, cudaMalloc memory for CUDA.
 * sf_alloc refuses sizes that do not fit in the backend's memory with SF_ERR_NOMEM and a message. */
sf_status sf_alloc(sf_backend b, size_t bytes, void **out);
void sf_free(sf_backend b, void *p);
sf_status sf_upload(sf_backend b, void *dst, const void *host_src, size_t bytes);
sf_status sf_download(sf_backend b, void *host_dst, const void *src, size_t bytes);
sf_status sf_memset(sf_backend b, void *dst, int value, size_t bytes);
sf_status sf_synchronize(sf_backend b);

/* ---- the kernel registry (generated from kernels/variants.csv and kernels/forms.csv) ---------- */

typedef enum sf_direction { SF_FWD = 0, SF_BWD = 1 } sf_direction;

/* Tensors a kernel reads or writes, as bits of sf_kernel.tensors_in / tensors_out. */
enum {
    SF_TENSOR_X = 1 << 0,      /* [T,M] input current */
    SF_TENSOR_Y = 1 << 1,      /* [T,M] spikes */
    SF_TENSOR_V = 1 << 2,      /* [T,M] membrane trace v(t) before reset; for a kernel with chunk > 0,
                                  [ceil(T/chunk), M] fp32 checkpoints, row c = v(min((c+1) chunk, T) - 1) */
    SF_TENSOR_V_IN = 1 << 3,   /* [M] boundary membrane state in (previous time segment) */
    SF_TENSOR_V_OUT = 1 << 4,  /* [M] final membrane state out */
    SF_TENSOR_GRAD_Y = 1 << 5, /* [T,M] dL/dy */
    SF_TENSOR_GRAD_X = 1 << 6, /* [T,M] dL/dx */
};

/* Storage types of a kernel's [T,M] and [M] tensors other than the spikes (variants.csv's dtype). The
 * arithmetic is fp32 whatever the storage; a value rounds, to nearest even, where it is stored. */
typedef enum sf_storage { SF_STORAGE_F32 = 0, SF_STORAGE_BF16 = 1, SF_STORAGE_F16 = 2 } sf_storage;
/* "f32", "bf16", "f16"; SF_ERR_UNKNOWN with a message for any other name. */
sf_status sf_storage_parse(const char *name, sf_storage *out);
const char *sf_storage_name(sf_storage s);
/* The float64 reference's storage model: x rounded to the nearest value of s, ties to even, with s's
 * subnormals and its overflow to infinity (f32: x unchanged, the reference's own precision). Written
 * apart from the kernels' conversions (frexp and nearbyint, not bit tricks), so that it checks them. */
double sf_storage_round(sf_storage s, double x);
/* values[0..n) rounded in place to s: what a kernel reads of a tensor it was given as float. */
void sf_storage_quantize(sf_storage s, float *values, int64_t n);

typedef struct sf_kernel {
    const char *name;      /* e.g. "fused_fwd_train_f32_v4_n1_u1" */
    const char *family;    /* "eager", "step" or "fused" */
    sf_direction direction;
    const char *form;      /* fwd: "train" (y and v trace), "infer" (y and final v), "segment"
                              (v_in -> y, v trace, v_out), "ckpt" (y and fp32 v checkpoints every chunk
                              steps); bwd: "grad" (reads dL/dy, y, v), "grad_h" (dL/dy, v: the spike
                              recomputed), "grad_ckpt" (dL/dy, x and the checkpoints: each chunk
                              replayed forward in registers, then run backward) */
    const char *dtype;     /* storage type of the tensors other than y: "f32", "bf16" or "f16" */
    sf_storage storage;    /* the same, as a value */
    int elem_bytes;
    const char *spikes;    /* storage type of the spikes y: "f32", "u8" (one byte a spike, 0 or 1) or "b1"
                              (packed, 32 a word) */
    int spike_bits;        /* bits a stored spike takes: 32, 8 or 1 */
    int vec;               /* neurons per vector load/store: 1, 2, 4, 8 or 16 */
    int npt;               /* vector groups per thread */
    int unroll;            /* time-loop unroll (fused only) */
    int chunk;             /* forms that keep checkpoints (ckpt, grad_ckpt): steps per fp32 v checkpoint,
                              v then [ceil(T / chunk), M] (sf_tensor_rows); 0 for every other form */
    int prefetch;          /* time steps whose loads a thread issues ahead of the one it computes, held in
                              registers (fused only; 0: none) */
    int stage;             /* time steps of its [T,M] inputs a block stages into shared memory at a time,
                              two tiles in flight, by bulk asynchronous copies (TMA) on sm_90 (fused
                              train, infer, ckpt, grad, grad_h; 0: none; other GPUs, and rows not 16-byte
                              aligned, load directly) */
    int default_block;     /* threads per block when the launch gives none; 0 = backend heuristic */
    int launches_per_step; /* kernel launches per time step; 0: one launch for the layer (fused) */
    int reads_per_step;    /* elements read per neuron-step (sf_kernel_step_bytes: in bytes) */
    int writes_per_step;   /* elements written per neuron-step */
    int workspace_vectors; /* [M] scratch vectors the kernel needs */
    unsigned tensors_in, tensors_out; /* SF_TENSOR_* bits */
    unsigned default_on;              /* SF_DEFAULT_ON_* bits: the backends this is the form's default on */
} sf_kernel;

#define SF_DEFAULT_ON_CPU (1u << SF_BACKEND_CPU)
#define SF_DEFAULT_ON_CUDA (1u << SF_BACKEND_CUDA)

int sf_kernel_count(void);
const sf_kernel *sf_kernel_at(int index);
const sf_kernel *sf_kernel_find(const char *name);
/* The default kernel of a family, direction and form on a backend (form NULL: "train" or "grad"):
 * the row of kernels/variants.csv whose "default" column names the backend. */
const sf_kernel *sf_kernel_default(const char *family, sf_direction d, const char *form, sf_backend b);
const char *sf_direction_name(sf_direction d);
sf_status sf_direction_parse(const char *name, sf_direction *out);
/* Bytes read and written per neuron-step, from the registry's byte model: the tensors' elements at their
 * storage types (a spike at spike_bits, the rest at elem_bytes). */
void sf_kernel_step_bytes(const sf_kernel *k, double *read, double *written);
/* Whether k stores its spikes as `spikes`, or touches none (then any storage will do). */
int sf_kernel_stores_spikes(const sf_kernel *k, const char *spikes);
/* Whether some registered kernel stores spikes as `spikes`: the spike storages there are. */
int sf_spikes_known(const char *spikes);
/* The spike storage that goes with tensors stored as dtype when none is asked for: the widest that a
 * registered kernel of that dtype has (f32 for f32, the paper's; u8 for bf16 and f16, whose kernels
 * store no float spikes); NULL for a dtype no kernel has. */
const char *sf_spikes_default(const char *dtype);
/* The registered kernel that is k but stores its tensors as `dtype` ("f32", "bf16", "f16") and its
 * spikes as `spikes` ("f32", "u8"): the same family, direction, form and knobs. NULL dtype or spikes:
 * k's own. k itself where it already does (a kernel that touches no spikes stores any); NULL if the
 * registry has no such variant. */
const sf_kernel *sf_kernel_with_storage(const sf_kernel *k, const char *dtype, const char *spikes);
/* Bytes moved by one whole layer (all T steps), from the registry's byte model. */
double sf_kernel_bytes(const sf_kernel *k, int64_t T, int64_t M);
/* Rows of a kernel's tensor (one of SF_TENSOR_*) for a layer of T steps: T, or 1 for the [M] ones
 * (give T = 1 for them), or ceil(T / chunk) for the checkpoints of a kernel with chunk > 0. Host buffers
 * of sf_upload_tensor and sf_download_tensor hold this many rows of M floats. */
int64_t sf_tensor_rows(const sf_kernel *k, unsigned tensor, int64_t T);
/* Bytes of one tensor (one of SF_TENSOR_*; T = 1 for the [M] ones) of a layer of T steps and M neurons,
 * at the kernel's storage type for it: sf_tensor_rows rows; packed spikes take a row of whole 32-bit
 * words, ceil(M / 32) of them; checkpoints are fp32 whatever the dtype. */
size_t sf_tensor_bytes(const sf_kernel *k, unsigned tensor, int64_t T, int64_t M);
/* The checkpoints a forward of chunk `chunk` keeps over T steps: ceil(T / chunk) rows, row c the
 * membrane v at step sf_checkpoint_step(c, T, chunk) = min((c + 1) chunk, T) - 1. */
int64_t sf_checkpoint_rows(int64_t T, int chunk);
int64_t sf_checkpoint_step(int64_t c, int64_t T, int chunk);
/* Those checkpoints from a [T, M] v trace into out, [sf_checkpoint_rows, M]. out may be trace (the rows
 * move down in place). */
void sf_checkpoints_of_trace(const float *trace, int64_t T, int64_t M, int chunk, float *out);
/* A kernel's tensor (one of SF_TENSOR_*; T = 1 for the [M] ones) of a layer of T steps from float host
 * values (sf_tensor_rows(k, tensor, T) rows of M) to its storage type on the backend, and back:
 * sf_tensor_bytes(k, tensor, T, M) bytes there. Spikes stored as bytes take 0 or 1 (any non-zero float
 * is a spike); bf16 and f16 round to nearest even, as the kernels store. */
sf_status sf_upload_tensor(sf_backend b, const sf_kernel *k, unsigned tensor, void *dst, const float *host,
                           int64_t T, int64_t M);
sf_status sf_download_tensor(sf_backend b, const sf_kernel *k, unsigned tensor, float *host, const void *src,
                             int64_t T, int64_t M);
/* Launches needed for one whole layer (all T steps). */
int64_t sf_kernel_launches(const sf_kernel *k, int64_t T);

/* ---- running a kernel ------------------------------------------------------------------------- */

typedef struct sf_tensors {
    int64_t T, M;
    const void *x;      /* [T,M] in (fwd) */
    void *y;            /* [T,M] written by fwd, read by bwd */
    void *v;            /* [T,M] written by fwd train/segment, read by bwd */
    const void *v_in;   /* [M] in (segment) */
    void *v_out;        /* [M] out (infer, segment) */
    const void *grad_y; /* [T,M] in (bwd) */
    void *grad_x;       /* [T,M] out (bwd) */
    void *workspace;    /* sf_workspace_bytes() bytes on the same backend, or NULL if that is 0 */
} sf_tensors;

typedef struct sf_launch {
    int block;       /* threads per block; 0 = the kernel's default (table, then occupancy API) */
    int64_t grid;    /* blocks; 0 = enough to cover M (no kernel grid-strides, so never fewer) */
    int cpu_threads; /* CPU backend: OpenMP threads; 0 = OpenMP's default */
    void *stream;    /* CUDA backend: cudaStream_t; NULL = the default stream */
} sf_launch;

size_t sf_workspace_bytes(const sf_kernel *k, int64_t M);
/* Resolves a launch (block, grid) for M neurons on a backend without running anything. */
sf_status sf_plan(const sf_kernel *k, sf_backend b, int64_t M, const sf_launch *in, sf_launch *out);
/* Resident blocks per SM at a block size (the CUDA occupancy API; 1 on the CPU). */
sf_status sf_occupancy(const sf_kernel *k, sf_backend b, int block, int *blocks_per_sm);
/* The largest block the kernel (every kernel its run launches) can launch with on the backend's device:
 * on CUDA what its registers per thread allow (cudaFuncGetAttributes), below 1024 for some; sf_plan
 * refuses a larger requested block with SF_ERR_INVALID and clamps its own default to it. */
sf_status sf_max_block(const sf_kernel *k, sf_backend b, int *max_block);
/* Runs one whole layer (all T steps). Tensors live on backend b. Asynchronous on CUDA. */
sf_status sf_run(const sf_kernel *k, sf_backend b, const sf_tensors *t, const sf_lif_params *p,
                 const sf_launch *launch);

/* ---- float64 reference and validation --------------------------------------------------------- */

/* Compares a kernel's outputs (host buffers, float32) with a float64 evaluation of Eqs. 1-3.
 * Forward: spikes must equal the reference's except at steps where the reference membrane lies within
 * `band` of the threshold; there the reference takes the kernel's spike and goes on (teacher forcing),
 * so one ambiguous step does not hide the rest of the trace. v within atol + rtol |v_ref|.
 * Backward: gradients from y and v as given; where rounding of v - V_th could flip rect's window test
 * (|v - V_th| within a few ulps of width), that neuron's gradients at and before that step are not
 * compared (they depend on it). */
typedef struct sf_tolerance {
    double band;        /* forward: |v_ref - V_th| within which either spike is right */
    double atol, rtol;  /* membrane and gradient tolerance of the fp32 arithmetic */
    sf_storage storage; /* the stored membranes and gradients are rounded to this: a value passes when it
                           is what storing some float within atol + rtol |ref| of the reference gives,
                           i.e. it lies in [round(ref - tol), round(ref + tol)] */
} sf_tolerance;

typedef struct sf_check_report {
    int64_t compared;       /* values compared */
    int64_t mismatches;     /* values outside tolerance, or spikes that differ */
    int64_t ambiguous;      /* steps decided by the kernel because the reference was on the edge */
    double max_abs_err;     /* over compared membrane or gradient values */
    int64_t first_bad;      /* flat index of the first mismatch, -1 if none */
    double got, want;       /* values at first_bad */
} sf_check_report;

sf_tolerance sf_tolerance_default(void);
/* The default tolerance for checking kernel k: its storage model. */
sf_tolerance sf_tolerance_for(const sf_kernel *k);
/* Whether a check passed: something was compared, nothing mismatched, and at most 1 % of the compared
 * values were ambiguous (else the check would be checking little). */
int sf_check_passed(const sf_check_report *r);

/* Forward of one layer in float64. v_in may be NULL (v(0) = V_rest). y, v: [T,M]; v_out: [M] or NULL. */
void sf_reference_forward(const float *x, const float *v_in, int64_t T, int64_t M,
                          const sf_lif_params *p, double *y, double *v, double *v_out);
/* Backward of one layer in float64 from float32 y and v. grad_x: [T,M]. */
void sf_reference_backward(const float *grad_y, const float *y, const float *v, int64_t T, int64_t M,
                           const sf_lif_params *p, double *grad_x);
/* The tensors a forward kernel that stores its tensors as s saves for backward, from input x: v the
 * reference's membrane rounded to float, y the spike a float forward fires on that v (sf_lif_spike; the
 * double's own spike can differ where rounding crosses V_th, a pair no kernel leaves), then v rounded
 * to s as it is stored. y, v: [T,M] floats. SF_ERR_NOMEM without host memory for the float64 trace. */
sf_status sf_reference_saved_forward(const float *x, int64_t T, int64_t M, const sf_lif_params *p, sf_storage s,
                                     float *y, float *v);

/* Check a forward kernel's y and v (v may be NULL for infer) and v_out (may be NULL). */
sf_check_report sf_check_forward(const float *x, const float *v_in, int64_t T, int64_t M,
                                 const sf_lif_params *p, const float *y, const float *v,
                                 const float *v_out, sf_tolerance tol);
sf_check_report sf_check_backward(const float *grad_y, const float *y, const float *v, int64_t T,
                                  int64_t M, const sf_lif_params *p, const float *grad_x,
                                  sf_tolerance tol);
/* A forward that keeps checkpoints (chunk > 0): y as sf_check_forward checks it, and ckpt
 * ([ceil(T/chunk), M], fp32) against the reference's v at the last step of each chunk. */
sf_check_report sf_check_forward_checkpoints(const float *x, int64_t T, int64_t M, const sf_lif_params *p,
                                             const float *y, const float *ckpt, int chunk, sf_tolerance tol);
/* A backward that replays each chunk from x and the checkpoint before it (grad_ckpt). Its replay is
 * the forward's fp32 arithmetic on the same floats, so it recomputes the very v forward fired on: the
 * reference replays the same way (each fp32 operation modelled as a float64 one rounded once to float,
 * the spike at a chunk's start fired on its checkpoint), then checks dL/dx from that trace as
 * sf_check_backward does, but with rect's window test on v - V_th rounded to float, as fp32 computes it
 * (every value compared; none ambiguous). */
sf_check_report sf_check_backward_replayed(const float *grad_y, const float *x, const float *ckpt, int64_t T,
                                           int64_t M, const sf_lif_params *p, int chunk, const float *grad_x,
                                           sf_tolerance tol);
/* Which paths of dL/dy(t) the reference keeps: KEPT (the paper's and every kernel's: directly, and
 * through the reset into v(t+1)); DETACHED (the reset treated as a constant in backward, as snnTorch
 * and SpikingJelly's detach_reset=True do). Checking other implementations is what DETACHED is for. */
typedef enum sf_reset_grad {
    SF_RESET_GRAD_KEPT = 0,
    SF_RESET_GRAD_DETACHED = 1,
} sf_reset_grad;
sf_check_report sf_check_backward_reset(const float *grad_y, const float *y, const float *v, int64_t T,
                                        int64_t M, const sf_lif_params *p, sf_reset_grad reset_grad,
                                        const float *grad_x, sf_tolerance tol);

/* One run of a kernel on seeded random inputs, checked against the reference: what `spikefuse verify`,
 * the tests and (before timing) the harness do. Inputs: x uniform in [-0.4, 0.8) (about a third of
 * the neuron-steps spike with the default constants); for segment kernels v_in uniform in
 * [V_rest - 0.5, V_th + 0.5); for backward kernels y and v from the reference forward of such an x,
 * and dL/dy uniform in [-1, 1). */
typedef struct sf_verify_config {
    int64_t T, M;
    uint64_t seed;
    int misalign;     /* place every tensor one element past an aligned address: no vector path */
    sf_tolerance tol;
} sf_verify_config;

sf_status sf_verify(const sf_kernel *k, sf_backend b, const sf_verify_config *c, const sf_lif_params *p,
                    const sf_launch *launch, sf_check_report *out);
/* SF_OK when sf_verify can take a T x M problem at all: T, M >= 1 and the float64 reference's byte
 * sizes within 64 bits; else SF_ERR_INVALID saying which. */
sf_status sf_verify_check_size(int64_t T, int64_t M);

/* What sf_verify and the harness's trials share, by kernel:
 * sf_saved_forward_for: the tensors backward kernel k reads, as a forward of its kind leaves them, from
 *   input x: y and v as sf_reference_saved_forward makes them at k's storage or, for a kernel that
 *   replays (chunk > 0), the fp32 checkpoints of that v in v's first ceil(T/chunk) rows. y, v: [T,M].
 * sf_check_kernel_forward: k's outputs under k's storage model: sf_check_forward (v only if k writes the
 *   trace), or sf_check_forward_checkpoints in fp32 for a kernel that keeps checkpoints.
 * sf_check_kernel_backward: k's dL/dx: sf_check_backward from y and v, or sf_check_backward_replayed
 *   from x and the checkpoints in v. */
sf_status sf_saved_forward_for(const sf_kernel *k, const float *x, int64_t T, int64_t M, const sf_lif_params *p,
                               float *y, float *v);
sf_check_report sf_check_kernel_forward(const sf_kernel *k, const float *x, const float *v_in, int64_t T, int64_t M,
                                        const sf_lif_params *p, const float *y, const float *v, const float *v_out,
                                        sf_tolerance tol);
sf_check_report sf_check_kernel_backward(const sf_kernel *k, const float *grad_y, const float *x, const float *y,
                                         const float *v, int64_t T, int64_t M, const sf_lif_params *p,
                                         const float *grad_x, sf_tolerance tol);

/* Seeded uniform floats in [lo, hi) (splitmix64), as sf_verify's inputs are made. */
void sf_fill_uniform(float *dst, int64_t n, uint64_t seed, float lo, float hi);

/* What storing a layer's tensors as s costs against fp32 storage, on sf_verify's inputs (x uniform in
 * [-0.4, 0.8), dL/dy in [-1, 1)), by the float64 reference and its storage model: one forward and
 * backward with fp32 storage, one with x, the v trace, dL/dy and dL/dx rounded to s where a kernel of
 * that storage stores them (the arithmetic and the membrane state unrounded, as in a kernel's
 * registers; each the tensors sf_reference_saved_forward gives, so spikes fire on the float membrane,
 * as a kernel's do). Every kernel of storage s matches the second up to rounding (sf_verify checks it), so
 * these are what its numerics cost, on any device. */
typedef struct sf_storage_cost {
    int64_t neuron_steps;   /* T x M compared */
    double spike_flip_rate; /* fraction of neuron-steps whose spike differs from fp32 storage's */
    double grad_x_rel_err;  /* || dL/dx - dL/dx_fp32 ||_2 / || dL/dx_fp32 ||_2 over the layer */
    double grad_x_max_err;  /* max | dL/dx - dL/dx_fp32 |, in units of max | dL/dx_fp32 | */
} sf_storage_cost;

sf_status sf_storage_cost_of(sf_storage s, int64_t T, int64_t M, const sf_lif_params *p, uint64_t seed,
                             sf_storage_cost *out);

#ifdef __cplusplus
}
#endif
#endif
