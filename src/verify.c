/* sf_verify: run one kernel on seeded random inputs and check it against the float64 reference. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void sf_fill_uniform(float *dst, int64_t n, uint64_t seed, float lo, float hi)
{
    const uint64_t s = seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
    /* splitmix64: element i depends on i alone, so the fill runs in parallel and stays reproducible */
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) {
        uint64_t z = s + (uint64_t)(i + 1) * 0x9E3779B97F4A7C15ull;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        dst[i] = lo + (hi - lo) * (float)((double)(z >> 40) / (double)(1ull << 24));
    }
}

/* A tensor on the backend at the kernel's storage type for it, with its float host copy; `misalign`
 * shifts the device pointer by one element. */
typedef struct buffer {
    float *host;
    void *base, *dev;
    int64_t T, M;    /* a [T, M] tensor; T = 1 for the [M] ones */
    unsigned tensor; /* SF_TENSOR_* */
} buffer;

static sf_status buffer_make(buffer *b, sf_backend be, const sf_kernel *k, unsigned tensor, int64_t T, int64_t M,
                             int misalign)
{
    memset(b, 0, sizeof *b);
    b->T = T, b->M = M;
    b->tensor = tensor;
    /* one element past aligned; packed spikes one word, the least they can be moved */
    const size_t bytes = sf_tensor_bytes(k, tensor, T, M), elem = sf_tensor_bytes(k, tensor, 1, 1);
    sf_status s = sf_alloc(SF_BACKEND_CPU, (size_t)(T * M) * sizeof(float), (void **)&b->host);
    if (s == SF_OK)
        s = sf_alloc(be, bytes + 4 * elem, &b->base);
    if (s == SF_OK)
        b->dev = (char *)b->base + (misalign ? elem : 0);
    return s;
}

static void buffer_drop(buffer *b, sf_backend be)
{
    sf_free(SF_BACKEND_CPU, b->host);
    sf_free(be, b->base);
}

static sf_status upload(const sf_kernel *k, buffer *b, sf_backend be)
{
    return sf_upload_tensor(be, k, b->tensor, b->dev, b->host, b->T, b->M);
}

static sf_status download(const sf_kernel *k, buffer *b, sf_backend be)
{
    return sf_download_tensor(be, k, b->tensor, b->host, b->dev, b->T, b->M);
}

enum { X, Y, V, V_IN, V_OUT, GY, GX, N_BUFFERS };
/* Each buffer's tensor bit, in the order above. */
static const unsigned bit[N_BUFFERS] = {SF_TENSOR_X,     SF_TENSOR_Y,      SF_TENSOR_V,     SF_TENSOR_V_IN,
                                        SF_TENSOR_V_OUT, SF_TENSOR_GRAD_Y, SF_TENSOR_GRAD_X};

sf_status sf_verify_check_size(int64_t T, int64_t M)
{
    int64_t bytes;
    if (T < 1 || M < 1)
        return sf_fail(SF_ERR_INVALID, "verify: T and M must be >= 1 (got T=%lld, M=%lld)", (long long)T, (long long)M);
    if (!sf_mul_ok(T, M, &bytes) || !sf_mul_ok(bytes, 8, &bytes)) /* float64 reference buffers */
        return sf_fail(SF_ERR_INVALID, "verify: T x M = %lld x %lld overflows 64-bit byte sizes", (long long)T,
                       (long long)M);
    return SF_OK;
}

sf_status sf_saved_forward_for(const sf_kernel *k, const float *x, int64_t T, int64_t M, const sf_lif_params *p,
                               float *y, float *v)
{
    /* checkpoints are fp32 whatever the dtype: the state a forward kept, not a rounded copy */
    const sf_status s = sf_reference_saved_forward(x, T, M, p, k->chunk > 0 ? SF_STORAGE_F32 : k->storage, y, v);
    if (s == SF_OK && k->chunk > 0)
        sf_checkpoints_of_trace(v, T, M, k->chunk, v);
    return s;
}

sf_check_report sf_check_kernel_forward(const sf_kernel *k, const float *x, const float *v_in, int64_t T, int64_t M,
                                        const sf_lif_params *p, const float *y, const float *v, const float *v_out,
                                        sf_tolerance tol)
{
    tol.storage = k->storage; /* the storage model is the kernel's, not a choice of the caller */
    if (k->chunk > 0) {
        tol.storage = SF_STORAGE_F32; /* the checkpoints, the only floats it stores, are fp32 */
        return sf_check_forward_checkpoints(x, T, M, p, y, v, k->chunk, tol);
    }
    return sf_check_forward(x, v_in, T, M, p, y, (k->tensors_out & SF_TENSOR_V) ? v : NULL, v_out, tol);
}

sf_check_report sf_check_kernel_backward(const sf_kernel *k, const float *grad_y, const float *x, const float *y,
                                         const float *v, int64_t T, int64_t M, const sf_lif_params *p,
                                         const float *grad_x, sf_tolerance tol)
{
    tol.storage = k->storage;
    if (k->chunk > 0)
        return sf_check_backward_replayed(grad_y, x, v, T, M, p, k->chunk, grad_x, tol);
    return sf_check_backward(grad_y, y, v, T, M, p, grad_x, tol);
}

/* The inputs, on the host and uploaded: x (and v_in) for a forward kernel; for a backward one, the saved
 * tensors as a forward pass would leave them (the reference's v rounded to float, the spikes fired on
 * it, then v rounded to the kernel's storage; for a replaying backward, x and the fp32 checkpoints of
 * that v) and grad_y. Every input is rounded to the kernel's storage
 * on the host, so that the reference sees exactly what the kernel reads. */
static sf_status fill_inputs(const sf_kernel *k, sf_backend be, const sf_verify_config *c, const sf_lif_params *p,
                             buffer *buf)
{
    const int64_t T = c->T, M = c->M, TM = T * M;
    sf_status s = SF_OK;
    if (k->direction == SF_FWD) {
        sf_fill_uniform(buf[X].host, TM, c->seed, -0.4f, 0.8f);
        sf_storage_quantize(k->storage, buf[X].host, TM); /* the reference reads what the kernel reads */
        s = upload(k, &buf[X], be);
        if (s == SF_OK && buf[V_IN].host) {
            sf_fill_uniform(buf[V_IN].host, M, c->seed ^ 0x5eedull, p->rest - 0.5f, p->threshold + 0.5f);
            sf_storage_quantize(k->storage, buf[V_IN].host, M);
            s = upload(k, &buf[V_IN], be);
        }
    } else {
        /* a backward that replays reads x itself: the reference then needs the same rounded x */
        float *x = buf[X].host ? buf[X].host : malloc((size_t)TM * sizeof *x);
        if (!x) {
            s = sf_fail(SF_ERR_NOMEM, "verify: no host memory for T x M = %lld", (long long)TM);
        } else {
            sf_fill_uniform(x, TM, c->seed, -0.4f, 0.8f);
            if (k->chunk > 0)
                sf_storage_quantize(k->storage, x, TM);
            s = sf_saved_forward_for(k, x, T, M, p, buf[Y].host, buf[V].host);
            sf_fill_uniform(buf[GY].host, TM, c->seed ^ 0x6badull, -1.0f, 1.0f);
            sf_storage_quantize(k->storage, buf[GY].host, TM);
        }
        if (x != buf[X].host)
            free(x);
        for (int i = X; i <= GY && s == SF_OK; ++i)
            if (k->tensors_in & bit[i])
                s = upload(k, &buf[i], be);
    }
    return s;
}

/* The kernel's outputs downloaded and checked against the float64 reference into *out. */
static sf_status check_outputs(const sf_kernel *k, sf_backend be, const sf_verify_config *c, const sf_lif_params *p,
                               buffer *buf, sf_check_report *out)
{
    const int64_t T = c->T, M = c->M;
    sf_status s = SF_OK;
    if (k->direction == SF_FWD) {
        for (int i = Y; i <= V_OUT && s == SF_OK; ++i)
            if (buf[i].host && (k->tensors_out & bit[i]))
                s = download(k, &buf[i], be);
        if (s == SF_OK)
            *out = sf_check_kernel_forward(k, buf[X].host, buf[V_IN].host, T, M, p, buf[Y].host, buf[V].host,
                                           buf[V_OUT].host, c->tol);
    } else {
        s = download(k, &buf[GX], be);
        if (s == SF_OK)
            *out = sf_check_kernel_backward(k, buf[GY].host, buf[X].host, buf[Y].host, buf[V].host, T, M, p,
                                            buf[GX].host, c->tol);
    }
    return s;
}

sf_status sf_verify(const sf_kernel *k, sf_backend be, const sf_verify_config *c, const sf_lif_params *p,
                    const sf_launch *launch, sf_check_report *out)
{
    memset(out, 0, sizeof *out);
    out->first_bad = -1;
    if (!k)
        return sf_fail(SF_ERR_INVALID, "no kernel given");
    sf_status s = sf_verify_check_size(c->T, c->M);
    if (s != SF_OK)
        return s;
    s = sf_lif_check(p);
    if (s == SF_OK)
        s = sf_backend_available(be);
    if (s != SF_OK)
        return s;

    const int64_t T = c->T, M = c->M;
    /* a backward kernel's reference needs y and v whatever the kernel itself reads */
    const unsigned used = k->tensors_in | k->tensors_out | (k->direction == SF_BWD ? SF_TENSOR_Y | SF_TENSOR_V : 0);
    buffer buf[N_BUFFERS];
    memset(buf, 0, sizeof buf);
    void *workspace = NULL;
    for (int i = 0; i < N_BUFFERS && s == SF_OK; ++i)
        if (used & bit[i])
            s = buffer_make(&buf[i], be, k, bit[i], (bit[i] & (SF_TENSOR_V_IN | SF_TENSOR_V_OUT)) ? 1 : T, M,
                            c->misalign);
    if (s == SF_OK && sf_workspace_bytes(k, M) > 0)
        s = sf_alloc(be, sf_workspace_bytes(k, M), &workspace);
    if (s != SF_OK)
        goto done;

    s = fill_inputs(k, be, c, p, buf);
    if (s != SF_OK)
        goto done;

    sf_tensors t = {T, M, buf[X].dev, buf[Y].dev, buf[V].dev, buf[V_IN].dev, buf[V_OUT].dev, buf[GY].dev,
                    buf[GX].dev, workspace};
    s = sf_run(k, be, &t, p, launch);
    if (s == SF_OK)
        s = sf_synchronize(be);
    if (s != SF_OK)
        goto done;

    s = check_outputs(k, be, c, p, buf, out);
done:
    for (int i = 0; i < N_BUFFERS; ++i)
        buffer_drop(&buf[i], be);
    sf_free(be, workspace);
    return s;
}
