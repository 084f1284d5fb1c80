/* spikefuse run: one kernel on .npy inputs, outputs written as .npy. How users check spikefuse
 * against their own framework. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "layer_input.h"
#include "options.h"

static const char help[] =
    "usage: spikefuse run (--family F | --kernel NAME) [--direction fwd|bwd]\n"
    "                     [--form train|infer|segment|ckpt | grad|grad_h|grad_ckpt] [--backend cpu|cuda] --out-dir DIR\n"
    "                     fwd: --input x.npy [--v-in v0.npy]   bwd: --grad-y gy.npy --spikes y.npy --v v.npy\n"
    "                     bwd grad_ckpt: --grad-y gy.npy --x x.npy --v v.npy (the checkpoints)\n"
    "Inputs are C-order .npy of shape [T, M] or [T, B, N] (time-major); v-in is [M] or [B, N]. They may be\n"
    "float32 ('<f4', rounded to the kernel's storage), float16 ('<f2', widened exactly) or, with --bf16-bits,\n"
    "uint16 ('<u2') holding bf16 bits (NumPy has no bf16). --spikes: float32 or uint8 ('|u1', 0 or 1), or with\n"
    "--packed-spikes uint8 of shape [T, ceil(M/8)]: bit b (lowest first) of byte j in row t is neuron 8j+b of\n"
    "the flattened neurons, np.packbits(y.reshape(T, -1), axis=-1, bitorder='little').\n"
    "Writes, with the input's shape: fwd y.npy and v.npy (the membrane trace, before reset) and, for\n"
    "infer and segment, v_out.npy (final membrane); bwd gx.npy (dL/dx). Each holds what the kernel stores:\n"
    "f32 '<f4', f16 '<f2', bf16 its bits as '<u2'; spikes of a _yu8 kernel uint8 ('|u1'), of a _yb1 kernel\n"
    "packed as above ('|u1', [T, ceil(M/8)]). --float32: every output float32; --float-spikes: y only.\n"
    "A grad_h backward takes no --spikes: it recomputes them from v.\n"
    "A ckpt forward (kernels _cN: chunk N) writes in v.npy not the trace but fp32 checkpoints, float32 ('<f4')\n"
    "whatever the dtype, of shape [ceil(T/chunk), M...]: row c is v at step min((c+1) chunk, T) - 1. A grad_ckpt\n"
    "backward of the same chunk replays each chunk from them: it takes --x (the layer input, as the forward read\n"
    "it; --input also names it), --v (those checkpoints, that shape) and --grad-y, and no --spikes.\n";

/* A loaded input: the file's array, checked to be [T, M...]. */
typedef struct input {
    const char *option;
    const char *path;
    sf_npy a;
} input;

/* What the options ask for. */
typedef struct run_options {
    const char *family, *kernel, *form, *dir_s, *backend_s, *out_dir;
    const char *x_path; /* --x: the layer input, another name for --input */
    sf_lif_params p;
    sf_launch launch;
    int float_spikes;  /* y.npy as float32 even where the kernel stores bytes or bits */
    int float32;       /* every output as float32 */
    int bf16_bits;     /* '<u2' inputs hold bf16 bits */
    int packed_spikes; /* --spikes holds 8 spikes a byte */
} run_options;

/* Everything a run holds, released in one place. */
typedef struct run_state {
    const run_options *o;
    sf_backend be;
    input x, gy, y, v, v_in;
    void *dev[8];
    void *out[4];
} run_state;

static int load(run_state *r, input *in, int64_t *T, int64_t *M, const sf_npy *like)
{
    if (!in->path)
        return fail(SF_EXIT_USAGE, "run: %s is required", in->option), 0;
    if (in == &r->y)
        return read_spikes_npy(in->path, like, r->o->packed_spikes, &in->a);
    return read_state_npy(in->path, like, "the first input", r->o->bf16_bits, &in->a, T, M);
}

static void release(run_state *r)
{
    input *ins[] = {&r->x, &r->gy, &r->y, &r->v, &r->v_in};
    for (size_t i = 0; i < sizeof ins / sizeof ins[0]; ++i)
        sf_npy_free(&ins[i]->a);
    for (size_t i = 0; i < sizeof r->dev / sizeof r->dev[0]; ++i)
        sf_free(r->be, r->dev[i]);
    for (size_t i = 0; i < sizeof r->out / sizeof r->out[0]; ++i)
        sf_free(SF_BACKEND_CPU, r->out[i]);
}

/* A backend buffer of `count` elements of the kernel's tensor (one of SF_TENSOR_*) at its storage type,
 * filled from host floats if given. Registered for release. */
static void *device_buffer(run_state *r, const sf_kernel *k, unsigned tensor, int slot, const float *host,
                           int64_t T, int64_t M, sf_status *s)
{
    if (*s != SF_OK)
        return NULL;
    *s = sf_alloc(r->be, sf_tensor_bytes(k, tensor, T, M), &r->dev[slot]);
    if (*s == SF_OK && host)
        *s = sf_upload_tensor(r->be, k, tensor, r->dev[slot], host, T, M);
    return r->dev[slot];
}

/* Whether the kernel stores the tensor as float32: checkpoints always, spikes as floats, the rest at f32. */
static int stored_f32(const sf_kernel *k, unsigned tensor)
{
    if (tensor == SF_TENSOR_Y)
        return k->spike_bits == 32;
    return (tensor == SF_TENSOR_V && k->chunk > 0) || k->storage == SF_STORAGE_F32;
}

/* The dtype a tensor's file holds: the kernel's storage for it, or float32 where the options ask. */
static const char *output_descr(const sf_kernel *k, unsigned tensor, const run_options *o)
{
    if (tensor == SF_TENSOR_Y)
        return o->float32 || o->float_spikes || k->spike_bits == 32 ? "<f4" : "|u1";
    if (o->float32 || stored_f32(k, tensor))
        return "<f4";
    return k->storage == SF_STORAGE_BF16 ? "<u2" : k->storage == SF_STORAGE_F16 ? "<f2" : "<f4";
}

/* Rows of 32-bit words to rows of their first ceil(M / 8) bytes, in place: numpy's packbits rows. */
static void words_to_packbits(uint8_t *bytes, int64_t T, int64_t M)
{
    const int64_t from = (M + 31) / 32 * 4, to = (M + 7) / 8;
    for (int64_t t = 1; t < T; ++t)
        memmove(bytes + t * to, bytes + t * from, (size_t)to);
}

/* One output file: the stored bytes as they are (packed spikes trimmed to whole bytes), or float32
 * converted where the file's dtype is wider than the storage. T: the layer's steps (the file has the
 * tensor's sf_tensor_rows rows, shape[0]). 0 after a message. */
static int write_output(run_state *r, const sf_kernel *k, unsigned tensor, int slot, const void *dev, int64_t T,
                        int64_t M, const char *name, int ndim, const int64_t *shape)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", r->o->out_dir, name);
    const char *descr = output_descr(k, tensor, r->o);
    const int convert = strcmp(descr, "<f4") == 0 && !stored_f32(k, tensor);
    const size_t stored = sf_tensor_bytes(k, tensor, T, M),
                 floats = (size_t)(sf_tensor_rows(k, tensor, T) * M) * sizeof(float);
    const int packed = tensor == SF_TENSOR_Y && k->spike_bits == 1 && !convert;
    sf_status s = sf_alloc(SF_BACKEND_CPU, convert ? floats : stored, &r->out[slot]);
    if (s == SF_OK)
        s = convert ? sf_download_tensor(r->be, k, tensor, r->out[slot], dev, T, M)
                    : sf_download(r->be, r->out[slot], dev, stored);
    const int64_t rows[2] = {T, (M + 7) / 8};
    if (s == SF_OK && packed)
        words_to_packbits(r->out[slot], T, M);
    if (s == SF_OK)
        s = sf_npy_write_as(path, descr, r->out[slot], packed ? 2 : ndim, packed ? rows : shape);
    if (s != SF_OK)
        return fail(SF_EXIT_FAIL, "%s", sf_last_error()), 0;
    if (tensor == SF_TENSOR_V && k->chunk > 0)
        printf("wrote %s (fp32 checkpoints, one every %d steps: %lld rows; %s, %s)\n", path, k->chunk,
               (long long)shape[0], sf_npy_dtype_name(descr), descr);
    else
        printf("wrote %s (%s, %s)\n", path, packed ? "spikes packed 8 a byte" : sf_npy_dtype_name(descr), descr);
    return 1;
}

/* The kernel the options name: --kernel, or the default of --family for the direction and form. Returns
 * an exit code (OK, or USAGE after a message). */
static int choose_kernel(const run_options *o, sf_backend be, sf_direction *dir, const sf_kernel **out)
{
    const sf_kernel *k;
    if (o->kernel) {
        if (!(k = sf_kernel_find(o->kernel)))
            return fail(SF_EXIT_USAGE, "run: unknown kernel '%s' (spikefuse list shows them)", o->kernel);
        if ((o->family && strcmp(o->family, k->family) != 0) || (o->form && strcmp(o->form, k->form) != 0))
            return fail(SF_EXIT_USAGE, "run: kernel %s is not of family %s, form %s", o->kernel,
                        o->family ? o->family : k->family, o->form ? o->form : k->form);
        *dir = k->direction;
    } else {
        if (!o->family)
            return fail(SF_EXIT_USAGE, "run: give --family (eager, step, fused) or --kernel");
        if (!(k = sf_kernel_default(o->family, *dir, o->form, be)))
            return fail(SF_EXIT_USAGE, "run: no kernel of family '%s', direction %s, form %s (spikefuse list)",
                        o->family, o->dir_s, o->form ? o->form : "default");
    }
    *out = k;
    return SF_EXIT_OK;
}

/* The spikes a backward kernel reads (--spikes); one that recomputes them from v (grad_h), or replays
 * the forward from x and checkpoints (grad_ckpt), takes none. */
static int load_spikes(run_state *r, const sf_kernel *k, int64_t *T, int64_t *M)
{
    if (k->tensors_in & SF_TENSOR_Y)
        return load(r, &r->y, T, M, &r->gy.a);
    if (r->y.path && k->chunk > 0)
        return fail(SF_EXIT_USAGE, "run: %s replays the spikes from x and the checkpoints: give no --spikes",
                    k->name), 0;
    if (r->y.path)
        return fail(SF_EXIT_USAGE, "run: %s recomputes the spikes from v: give no --spikes", k->name), 0;
    return 1;
}

/* The layer input a backward kernel reads (a replaying one, grad_ckpt): --x, of gy's shape. */
static int load_backward_x(run_state *r, const sf_kernel *k, int64_t *T, int64_t *M)
{
    if (k->tensors_in & SF_TENSOR_X) {
        if (!r->x.path)
            return fail(SF_EXIT_USAGE, "run: %s replays the forward from x: give --x (the layer input)", k->name), 0;
        return load(r, &r->x, T, M, &r->gy.a);
    }
    if (r->x.path)
        return fail(SF_EXIT_USAGE, "run: %s reads no x: give no %s", k->name, r->x.option), 0;
    return 1;
}

/* What forward kept of v for a backward kernel: the trace (--v, of gy's shape), or a replaying one's fp32
 * checkpoints, ceil(T / chunk) rows. */
static int load_state(run_state *r, const sf_kernel *k, int64_t *T, int64_t *M)
{
    if (k->chunk == 0)
        return load(r, &r->v, T, M, &r->gy.a);
    if (!r->v.path)
        return fail(SF_EXIT_USAGE, "run: --v is required (the checkpoints of a ckpt forward of chunk %d)", k->chunk),
               0;
    return read_checkpoints_npy(r->v.path, &r->gy.a, k->chunk, k->name, r->o->bf16_bits, &r->v.a);
}

/* The inputs the direction needs, each [T, M...] of one shape, and v-in where the kernel takes it;
 * *first: the array whose shape the outputs take. 0 after a message. */
static int load_inputs(run_state *r, const sf_kernel *k, sf_direction dir, int64_t *T, int64_t *M,
                       const sf_npy **first)
{
    int64_t T2, M2;
    int ok;
    if (dir == SF_FWD)
        ok = load(r, &r->x, T, M, NULL);
    else
        ok = load(r, &r->gy, T, M, NULL) && load_spikes(r, k, &T2, &M2) && load_backward_x(r, k, &T2, &M2) &&
             load_state(r, k, &T2, &M2);
    *first = dir == SF_FWD ? &r->x.a : &r->gy.a;
    if (!ok || !r->v_in.path)
        return ok;
    if (!(k->tensors_in & SF_TENSOR_V_IN))
        return fail(SF_EXIT_USAGE, "run: --v-in applies only to segment kernels (--form segment)"), 0;
    if (sf_npy_read_as(r->v_in.path, LAYER_STATE_DTYPES, &r->v_in.a) != SF_OK)
        return fail(SF_EXIT_FAIL, "%s", sf_last_error()), 0;
    if (!layer_dtype_allowed(&r->v_in.a, r->v_in.path, r->o->bf16_bits))
        return 0;
    if (r->v_in.a.count != *M || r->v_in.a.ndim != (*first)->ndim - 1 ||
        memcmp(r->v_in.a.shape, (*first)->shape + 1, sizeof(int64_t) * (size_t)r->v_in.a.ndim) != 0)
        return fail(SF_EXIT_FAIL, "%s: shape must be the input's without its time axis", r->v_in.path), 0;
    return 1;
}

/* The boundary state of a segment kernel: v-in's values, or rest where none was given (as an
 * unsegmented layer starts). */
static void *boundary_state(run_state *r, const sf_kernel *k, int64_t M, float rest, sf_status *s)
{
    if (r->v_in.a.data)
        return device_buffer(r, k, SF_TENSOR_V_IN, 4, r->v_in.a.data, 1, M, s);
    float *host = NULL;
    if (*s != SF_OK || (*s = sf_alloc(SF_BACKEND_CPU, (size_t)M * sizeof(float), (void **)&host)) != SF_OK)
        return NULL;
    for (int64_t i = 0; i < M; ++i)
        host[i] = rest;
    void *dev = device_buffer(r, k, SF_TENSOR_V_IN, 4, host, 1, M, s);
    sf_free(SF_BACKEND_CPU, host);
    return dev;
}

/* The kernel's tensors on the backend: inputs uploaded, outputs and workspace allocated. */
static sf_status bind_tensors(run_state *r, const sf_kernel *k, sf_direction dir, int64_t T, int64_t M, float rest,
                              sf_tensors *t)
{
    sf_status s = SF_OK;
    memset(t, 0, sizeof *t);
    t->T = T, t->M = M;
    if (dir == SF_FWD) {
        t->x = device_buffer(r, k, SF_TENSOR_X, 0, r->x.a.data, T, M, &s);
        t->y = device_buffer(r, k, SF_TENSOR_Y, 1, NULL, T, M, &s);
        if (k->tensors_out & SF_TENSOR_V)
            t->v = device_buffer(r, k, SF_TENSOR_V, 2, NULL, T, M, &s);
        if (k->tensors_out & SF_TENSOR_V_OUT)
            t->v_out = device_buffer(r, k, SF_TENSOR_V_OUT, 3, NULL, 1, M, &s);
        if (k->tensors_in & SF_TENSOR_V_IN)
            t->v_in = boundary_state(r, k, M, rest, &s);
    } else {
        t->grad_y = device_buffer(r, k, SF_TENSOR_GRAD_Y, 0, r->gy.a.data, T, M, &s);
        if (k->tensors_in & SF_TENSOR_Y)
            t->y = device_buffer(r, k, SF_TENSOR_Y, 1, r->y.a.data, T, M, &s);
        if (k->tensors_in & SF_TENSOR_X)
            t->x = device_buffer(r, k, SF_TENSOR_X, 6, r->x.a.data, T, M, &s);
        t->v = device_buffer(r, k, SF_TENSOR_V, 2, r->v.a.data, T, M, &s); /* sf_tensor_rows of them */
        t->grad_x = device_buffer(r, k, SF_TENSOR_GRAD_X, 3, NULL, T, M, &s);
    }
    if (s == SF_OK && sf_workspace_bytes(k, M) > 0 && (s = sf_alloc(r->be, sf_workspace_bytes(k, M), &r->dev[5])) == SF_OK)
        t->workspace = r->dev[5];
    return s;
}

/* The outputs, with the shape of the first input (v_out without its time axis; checkpoints with
 * ceil(T / chunk) rows). 0 after a message. */
static int write_outputs(run_state *r, const sf_kernel *k, const sf_tensors *t, sf_direction dir,
                         const sf_npy *first)
{
    if (dir == SF_BWD)
        return write_output(r, k, SF_TENSOR_GRAD_X, 0, t->grad_x, t->T, t->M, "gx.npy", first->ndim, first->shape);
    int ok = write_output(r, k, SF_TENSOR_Y, 0, t->y, t->T, t->M, "y.npy", first->ndim, first->shape);
    int64_t v_shape[SF_NPY_MAX_DIMS];
    memcpy(v_shape, first->shape, sizeof(int64_t) * (size_t)first->ndim);
    v_shape[0] = sf_tensor_rows(k, SF_TENSOR_V, t->T);
    if (ok && t->v)
        ok = write_output(r, k, SF_TENSOR_V, 1, t->v, t->T, t->M, "v.npy", first->ndim, v_shape);
    if (ok && t->v_out)
        ok = write_output(r, k, SF_TENSOR_V_OUT, 2, t->v_out, 1, t->M, "v_out.npy", first->ndim - 1,
                          first->shape + 1);
    return ok;
}

/* Loads, runs k and writes its outputs; the caller releases r. Returns an exit code. */
static int run_kernel(run_state *r, const sf_kernel *k, sf_direction dir, const run_options *o)
{
    int64_t T = 0, M = 0;
    const sf_npy *first;
    if (!load_inputs(r, k, dir, &T, &M, &first))
        return SF_EXIT_FAIL;
    sf_tensors t;
    sf_launch planned;
    sf_status s = bind_tensors(r, k, dir, T, M, o->p.rest, &t);
    if (s == SF_OK)
        s = sf_plan(k, r->be, M, &o->launch, &planned);
    if (s == SF_OK)
        s = sf_run(k, r->be, &t, &o->p, &o->launch);
    if (s == SF_OK)
        s = sf_synchronize(r->be);
    if (s != SF_OK)
        return fail(SF_EXIT_FAIL, "run: %s", sf_last_error());
    if (mkdir(o->out_dir, 0777) != 0 && errno != EEXIST)
        return fail(SF_EXIT_FAIL, "run: cannot create %s: %s", o->out_dir, strerror(errno));
    printf("ran %s on %s: T=%lld M=%lld block=%d grid=%lld surrogate=%s\n", k->name, sf_backend_name(r->be),
           (long long)T, (long long)M, planned.block, (long long)planned.grid, sf_surrogate_name(o->p.surrogate));
    return write_outputs(r, k, &t, dir, first) ? SF_EXIT_OK : SF_EXIT_FAIL;
}

int cmd_run(int argc, char **argv)
{
    run_options o = {.dir_s = "fwd", .backend_s = "cpu", .p = sf_lif_defaults()};
    run_state r;
    memset(&r, 0, sizeof r);
    r.o = &o;
    r.x.option = "--input", r.gy.option = "--grad-y", r.y.option = "--spikes", r.v.option = "--v";
    r.v_in.option = "--v-in";
    const opt_spec rows[] = {
        OPT_STRING_ROW("--family", &o.family, "F", "the family's default kernel: eager, step, fused"),
        OPT_STRING_ROW("--kernel", &o.kernel, "NAME", "this kernel (spikefuse list)"),
        OPT_STRING_ROW("--direction", &o.dir_s, "fwd|bwd", "with --family"),
        OPT_STRING_ROW("--form", &o.form, "FORM",
                       "with --family: train|infer|segment|ckpt, bwd grad|grad_h|grad_ckpt (default: train, grad)"),
        OPT_STRING_ROW("--backend", &o.backend_s, "cpu|cuda", "where it runs"),
        OPT_STRING_ROW("--out-dir", &o.out_dir, "DIR", "where the outputs go"),
        OPT_STRING_ROW("--input", &r.x.path, "x.npy", "fwd: the input current"),
        OPT_STRING_ROW("--x", &o.x_path, "x.npy", "bwd grad_ckpt: the layer input the forward read (or --input)"),
        OPT_STRING_ROW("--v-in", &r.v_in.path, "v0.npy", "segment: the membrane before the first step"),
        OPT_STRING_ROW("--grad-y", &r.gy.path, "gy.npy", "bwd: dL/dy"),
        OPT_STRING_ROW("--spikes", &r.y.path, "y.npy", "bwd: the forward pass's spikes"),
        OPT_STRING_ROW("--v", &r.v.path, "v.npy",
                       "bwd: the forward pass's membrane trace (grad_ckpt: its checkpoints, ceil(T/chunk) rows)"),
        OPT_FLAG_ROW("--bf16-bits", &o.bf16_bits, 1, "uint16 ('<u2') inputs hold bf16 bits"),
        OPT_FLAG_ROW("--packed-spikes", &o.packed_spikes, 1, "bwd: --spikes is uint8 [T, ceil(M/8)], 8 a byte"),
        OPT_FLAG_ROW("--float32", &o.float32, 1, "every output as float32 ('<f4'), not the kernel's storage"),
        OPT_FLAG_ROW("--float-spikes", &o.float_spikes, 1, "fwd: y.npy as float32 where stored as bytes or bits"),
        OPT_LIF_ROWS(&o.p, NULL),
        OPT_LAUNCH_ROWS(&o.launch),
        OPT_END_ROW,
    };
    const opt_command cmd = {.name = "run", .rows = rows, .help = help};
    int code;
    if (!opt_parse(&cmd, argc, argv, &code))
        return code;

    sf_direction dir;
    if (sf_direction_parse(o.dir_s, &dir) != SF_OK || sf_backend_parse(o.backend_s, &r.be) != SF_OK)
        return fail(SF_EXIT_USAGE, "run: %s", sf_last_error());
    if (sf_lif_check(&o.p) != SF_OK)
        return fail(SF_EXIT_USAGE, "run: %s", sf_last_error());
    if (!o.out_dir)
        return fail(SF_EXIT_USAGE, "run: --out-dir is required");
    if (o.x_path && r.x.path && strcmp(o.x_path, r.x.path) != 0)
        return fail(SF_EXIT_USAGE, "run: --x and --input name the same tensor: give one of them");
    if (o.x_path)
        r.x.path = o.x_path, r.x.option = "--x";
    const sf_kernel *k = NULL;
    if ((code = choose_kernel(&o, r.be, &dir, &k)) != SF_EXIT_OK)
        return code;
    if (o.packed_spikes && dir != SF_BWD)
        return fail(SF_EXIT_USAGE, "run: --packed-spikes describes --spikes, an input of the backward");
    if (sf_backend_available(r.be) != SF_OK)
        return fail(SF_EXIT_FAIL, "run: backend %s: %s", o.backend_s, sf_last_error());
    code = run_kernel(&r, k, dir, &o);
    release(&r);
    return code;
}
