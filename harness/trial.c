/* A state's trial: buffers on the backend for every set, inputs made once, and the launches. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spikefuse_core.h"
#include "measure.h"

double sf_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

sf_measure_config sf_measure_config_default(void)
{
    sf_measure_config c = {sf_stop_rule_default(), 1, 1, 0.5, 0, 0.75};
    return c;
}

/* Whether a trial holds the [T, M] v trace: the forward writes it, or the backward reads it (an
 * inference kernel keeps only the final v). */
static int needs_trace(const sf_kernel *fwd, const sf_kernel *bwd)
{
    return bwd || (fwd->tensors_out & SF_TENSOR_V);
}

/* Tensors of one set: x, y, the v trace (or checkpoints) where needed (and for backward grad_y, grad_x),
 * v_in/v_out for forms that use them. */
static double set_bytes(const sf_kernel *fwd, const sf_kernel *bwd, int64_t T, int64_t M)
{
    const sf_kernel *any = fwd ? fwd : bwd;
    const double tm = (double)T * (double)M * any->elem_bytes, m = (double)M * any->elem_bytes;
    const double y = (double)sf_tensor_bytes(any, SF_TENSOR_Y, T, M);
    const double v = needs_trace(fwd, bwd) ? (double)sf_tensor_bytes(any, SF_TENSOR_V, T, M) : 0;
    double b = tm + v + y + 2 * m + (fwd ? (double)sf_workspace_bytes(fwd, M) : 0);
    if (bwd)
        b += 2 * tm + (double)sf_workspace_bytes(bwd, M);
    return b;
}

double sf_trial_bytes(const sf_kernel *fwd, const sf_kernel *bwd, int64_t T, int64_t M, int sets)
{
    return set_bytes(fwd, bwd, T, M) * sets;
}

double sf_trial_memory_limit(sf_backend be, const sf_device_info *dev)
{
    return be == SF_BACKEND_CUDA ? 0.9 * (double)dev->memory_bytes : 0.8 * (double)sf_host_memory_bytes();
}

int sf_trial_sets_for(const sf_kernel *fwd, const sf_kernel *bwd, int64_t T, int64_t M, int64_t cache_bytes)
{
    const double one = set_bytes(fwd, bwd, T, M);
    int sets = 1;
    while (sets < SF_MAX_SETS && one * sets < 2.0 * (double)cache_bytes)
        ++sets;
    return sets;
}

int64_t sf_trial_launches(const sf_trial *tr)
{
    return (tr->fwd ? sf_kernel_launches(tr->fwd, tr->T) : 0) + (tr->bwd ? sf_kernel_launches(tr->bwd, tr->T) : 0);
}

/* A backward-only trial needs the tensors a forward pass saves (sf_saved_forward_for: the spikes a float
 * forward fires on its v, which keep=h recomputes; the double's own can differ at V_th; a backward that
 * replays, the fp32 checkpoints of that v). */
static sf_status saved_forward(sf_trial *tr)
{
    const int64_t TM = tr->T * tr->M;
    sf_status s = sf_alloc(SF_BACKEND_CPU, (size_t)TM * sizeof(float), (void **)&tr->host_y);
    if (s == SF_OK)
        s = sf_alloc(SF_BACKEND_CPU, (size_t)TM * sizeof(float), (void **)&tr->host_v);
    if (s == SF_OK)
        s = sf_saved_forward_for(tr->bwd, tr->host_x, tr->T, tr->M, &tr->p, tr->host_y, tr->host_v);
    return s;
}

static sf_status alloc_in(sf_trial *tr, int set, int slot, size_t bytes, void **out)
{
    const sf_status s = sf_alloc(tr->be, bytes, &tr->mem[set][slot]);
    *out = tr->mem[set][slot];
    return s;
}

/* Set k's tensors on the backend, at the kernels' storage types (the host copies are float), with the
 * inputs uploaded: x, v_in (rest), grad_y, and for a backward-only trial the saved y and v. */
static sf_status make_set(sf_trial *tr, int k, const float *rest)
{
    const sf_kernel *fwd = tr->fwd, *bwd = tr->bwd, *any = fwd ? fwd : bwd;
    const int64_t T = tr->T, M = tr->M;
    const size_t tm = sf_tensor_bytes(any, SF_TENSOR_X, T, M), m = sf_tensor_bytes(any, SF_TENSOR_V_IN, 1, M);
    sf_tensors *t = &tr->t[k];
    void *x = NULL, *v_in = NULL, *gy = NULL;
    t->T = T, t->M = M;
    sf_status s = alloc_in(tr, k, 0, tm, &x);
    if (s == SF_OK)
        s = alloc_in(tr, k, 1, sf_tensor_bytes(any, SF_TENSOR_Y, T, M), &t->y);
    if (s == SF_OK && needs_trace(fwd, bwd))
        s = alloc_in(tr, k, 2, sf_tensor_bytes(any, SF_TENSOR_V, T, M), &t->v);
    if (s == SF_OK && fwd && (fwd->tensors_out & SF_TENSOR_V_OUT))
        s = alloc_in(tr, k, 3, m, &t->v_out);
    if (s == SF_OK && fwd && (fwd->tensors_in & SF_TENSOR_V_IN) && (s = alloc_in(tr, k, 4, m, &v_in)) == SF_OK)
        s = sf_upload_tensor(tr->be, fwd, SF_TENSOR_V_IN, v_in, rest, 1, M);
    if (s == SF_OK && !fwd && (bwd->tensors_in & SF_TENSOR_Y))
        s = sf_upload_tensor(tr->be, bwd, SF_TENSOR_Y, t->y, tr->host_y, T, M);
    if (s == SF_OK && !fwd)
        s = sf_upload_tensor(tr->be, bwd, SF_TENSOR_V, t->v, tr->host_v, T, M);
    const size_t ws_f = fwd ? sf_workspace_bytes(fwd, M) : 0, ws_b = bwd ? sf_workspace_bytes(bwd, M) : 0;
    const size_t ws = ws_f > ws_b ? ws_f : ws_b; /* one workspace serves both passes */
    if (s == SF_OK && ws)
        s = alloc_in(tr, k, 5, ws, &t->workspace);
    if (s == SF_OK && bwd && (s = alloc_in(tr, k, 6, tm, &gy)) == SF_OK)
        s = alloc_in(tr, k, 7, tm, &t->grad_x);
    if (s == SF_OK)
        s = sf_upload_tensor(tr->be, any, SF_TENSOR_X, x, tr->host_x, T, M);
    if (s == SF_OK && bwd)
        s = sf_upload_tensor(tr->be, bwd, SF_TENSOR_GRAD_Y, gy, tr->host_gy, T, M);
    t->x = x, t->v_in = v_in, t->grad_y = gy;
    return s;
}

sf_status sf_trial_create(sf_trial *tr, sf_backend be, const sf_kernel *fwd, const sf_kernel *bwd, int64_t T,
                          int64_t M, const sf_lif_params *p, int block_fwd, int block_bwd, int sets, uint64_t seed)
{
    memset(tr, 0, sizeof *tr);
    tr->be = be, tr->fwd = fwd, tr->bwd = bwd, tr->T = T, tr->M = M, tr->p = *p;
    tr->sets = sets < 1 ? 1 : sets > SF_MAX_SETS ? SF_MAX_SETS : sets;
    const sf_launch want_f = {block_fwd, 0, 0, NULL}, want_b = {block_bwd, 0, 0, NULL};
    sf_status s = fwd || bwd ? SF_OK : sf_fail(SF_ERR_INVALID, "a trial needs a kernel");
    if (s == SF_OK && fwd && bwd && (bwd->tensors_in & SF_TENSOR_Y) && strcmp(fwd->spikes, bwd->spikes) != 0)
        s = sf_fail(SF_ERR_INVALID, "%s stores spikes as %s, but %s reads them as %s", fwd->name, fwd->spikes,
                    bwd->name, bwd->spikes);
    if (s == SF_OK && fwd && bwd && !fwd->chunk != !bwd->chunk)
        s = sf_fail(SF_ERR_INVALID, "%s keeps %s, but %s reads %s", fwd->name,
                    fwd->chunk ? "checkpoints" : "a v trace", bwd->name, bwd->chunk ? "checkpoints" : "a v trace");
    if (s == SF_OK && fwd && bwd && fwd->chunk && fwd->chunk != bwd->chunk)
        s = sf_fail(SF_ERR_INVALID, "%s keeps a checkpoint every %d steps, but %s replays chunks of %d", fwd->name,
                    fwd->chunk, bwd->name, bwd->chunk);
    if (s == SF_OK && fwd && bwd && fwd->storage != bwd->storage)
        s = sf_fail(SF_ERR_INVALID, "%s stores its tensors as %s, but %s reads them as %s", fwd->name, fwd->dtype,
                    bwd->name, bwd->dtype);
    if (s == SF_OK && fwd)
        s = sf_plan(fwd, be, M, &want_f, &tr->fwd_launch);
    if (s == SF_OK && bwd)
        s = sf_plan(bwd, be, M, &want_b, &tr->bwd_launch);
    if (s == SF_OK && !fwd)
        tr->fwd_launch = tr->bwd_launch; /* carries cpu_threads for the measurement */
    const sf_kernel *any = fwd ? fwd : bwd;
    const size_t tm = (size_t)(T * M) * sizeof(float), m = (size_t)M * sizeof(float);
    if (s == SF_OK)
        s = sf_alloc(SF_BACKEND_CPU, tm, (void **)&tr->host_x);
    if (s == SF_OK && bwd)
        s = sf_alloc(SF_BACKEND_CPU, tm, (void **)&tr->host_gy);
    float *rest = NULL;
    if (s == SF_OK)
        s = sf_alloc(SF_BACKEND_CPU, m, (void **)&rest);
    if (s != SF_OK) {
        sf_free(SF_BACKEND_CPU, rest);
        sf_trial_destroy(tr);
        return s;
    }
    sf_fill_uniform(tr->host_x, T * M, seed, -0.4f, 0.8f);
    sf_storage_quantize(any->storage, tr->host_x, T * M); /* the reference reads what the kernels read */
    if (bwd) {
        sf_fill_uniform(tr->host_gy, T * M, seed ^ 0x6badull, -1.0f, 1.0f);
        sf_storage_quantize(bwd->storage, tr->host_gy, T * M);
    }
    if (!fwd && (s = saved_forward(tr)) != SF_OK) {
        sf_free(SF_BACKEND_CPU, rest);
        sf_trial_destroy(tr);
        return s;
    }
    for (int64_t i = 0; i < M; ++i)
        rest[i] = p->rest;
    for (int k = 0; k < tr->sets && s == SF_OK; ++k)
        s = make_set(tr, k, rest);
    sf_free(SF_BACKEND_CPU, rest);
    if (s != SF_OK)
        sf_trial_destroy(tr);
    return s;
}

sf_status sf_trial_run(sf_trial *tr, int set, void *stream)
{
    sf_tensors *t = &tr->t[set % tr->sets];
    sf_launch lf = tr->fwd_launch, lb = tr->bwd_launch;
    lf.stream = lb.stream = stream;
    sf_status s = tr->fwd ? sf_run(tr->fwd, tr->be, t, &tr->p, &lf) : SF_OK;
    if (s == SF_OK && tr->bwd)
        s = sf_run(tr->bwd, tr->be, t, &tr->p, &lb);
    return s;
}

sf_status sf_trial_verify(sf_trial *tr, sf_tolerance tol, sf_check_report *fwd, sf_check_report *bwd)
{
    const int64_t T = tr->T, M = tr->M;
    const size_t tm = (size_t)(T * M) * sizeof(float), m = (size_t)M * sizeof(float);
    float *y = NULL, *v = NULL, *out = NULL, *gx = NULL;
    sf_status s = sf_trial_run(tr, 0, NULL);
    if (s == SF_OK)
        s = sf_synchronize(tr->be);
    if (s == SF_OK && !tr->fwd) { /* backward only: against the saved tensors it was given */
        memset(fwd, 0, sizeof *fwd);
        if ((s = sf_alloc(SF_BACKEND_CPU, tm, (void **)&gx)) == SF_OK &&
            (s = sf_download_tensor(tr->be, tr->bwd, SF_TENSOR_GRAD_X, gx, tr->t[0].grad_x, T, M)) == SF_OK)
            *bwd = sf_check_kernel_backward(tr->bwd, tr->host_gy, tr->host_x, tr->host_y, tr->host_v, T, M, &tr->p,
                                            gx, tol);
        sf_free(SF_BACKEND_CPU, gx);
        return s;
    }
    if (s == SF_OK)
        s = sf_alloc(SF_BACKEND_CPU, tm, (void **)&y);
    if (s == SF_OK && tr->t[0].v)
        s = sf_alloc(SF_BACKEND_CPU, tm, (void **)&v);
    if (s == SF_OK)
        s = sf_download_tensor(tr->be, tr->fwd, SF_TENSOR_Y, y, tr->t[0].y, T, M);
    if (s == SF_OK && v)
        s = sf_download_tensor(tr->be, tr->fwd, SF_TENSOR_V, v, tr->t[0].v, T, M);
    if (s == SF_OK && tr->t[0].v_out && (s = sf_alloc(SF_BACKEND_CPU, m, (void **)&out)) == SF_OK)
        s = sf_download_tensor(tr->be, tr->fwd, SF_TENSOR_V_OUT, out, tr->t[0].v_out, 1, M);
    if (s == SF_OK) {
        float *v_in = NULL;
        if (tr->t[0].v_in && (s = sf_alloc(SF_BACKEND_CPU, m, (void **)&v_in)) == SF_OK)
            s = sf_download_tensor(tr->be, tr->fwd, SF_TENSOR_V_IN, v_in, tr->t[0].v_in, 1, M);
        if (s == SF_OK)
            *fwd = sf_check_kernel_forward(tr->fwd, tr->host_x, v_in, T, M, &tr->p, y, v, out, tol);
        sf_free(SF_BACKEND_CPU, v_in);
    }
    if (s == SF_OK && tr->bwd && (s = sf_alloc(SF_BACKEND_CPU, tm, (void **)&gx)) == SF_OK &&
        (s = sf_download_tensor(tr->be, tr->bwd, SF_TENSOR_GRAD_X, gx, tr->t[0].grad_x, T, M)) == SF_OK)
        *bwd = sf_check_kernel_backward(tr->bwd, tr->host_gy, tr->host_x, y, v, T, M, &tr->p, gx, tol);
    sf_free(SF_BACKEND_CPU, y), sf_free(SF_BACKEND_CPU, v), sf_free(SF_BACKEND_CPU, out), sf_free(SF_BACKEND_CPU, gx);
    return s;
}

void sf_trial_destroy(sf_trial *tr)
{
    for (int k = 0; k < SF_MAX_SETS; ++k)
        for (int j = 0; j < 8; ++j) {
            sf_free(tr->be, tr->mem[k][j]);
            tr->mem[k][j] = NULL;
        }
    sf_free(SF_BACKEND_CPU, tr->host_x), sf_free(SF_BACKEND_CPU, tr->host_gy);
    sf_free(SF_BACKEND_CPU, tr->host_y), sf_free(SF_BACKEND_CPU, tr->host_v);
    tr->host_x = tr->host_gy = tr->host_y = tr->host_v = NULL;
}

void sf_mode_add(sf_mode *m, double sample, double clock_ghz, int with_clock)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 64;
        m->samples = realloc(m->samples, (size_t)m->cap * sizeof *m->samples);
        if (with_clock)
            m->clock_ghz = realloc(m->clock_ghz, (size_t)m->cap * sizeof *m->clock_ghz);
    }
    m->samples[m->n] = sample;
    if (with_clock)
        m->clock_ghz[m->n] = clock_ghz;
    m->n++;
}

void sf_measurement_free(sf_measurement *m)
{
    free(m->cold.samples), free(m->cold.clock_ghz), free(m->graph.samples), free(m->graph.clock_ghz);
    memset(m, 0, sizeof *m);
}

sf_status sf_measure(sf_trial *tr, const sf_device_info *dev, const sf_measure_config *c, const char *name,
                     sf_measurement *out)
{
    memset(out, 0, sizeof *out);
    return tr->be == SF_BACKEND_CUDA ? sf_measure_cuda(tr, dev, c, name, out) : sf_measure_cpu(tr, dev, c, name, out);
}

sf_status sf_copy_bandwidth(sf_backend be, const sf_device_info *dev, double *bytes_per_s)
{
    if (be == SF_BACKEND_CUDA)
        return sf_copy_bandwidth_cuda(bytes_per_s);
    /* a copy well beyond the last-level cache, so that it streams from DRAM */
    int64_t bytes = 8 * sf_device_flush_bytes(dev);
    if (bytes < ((int64_t)256 << 20))
        bytes = (int64_t)256 << 20;
    char *a = NULL, *b = NULL;
    sf_status s = sf_alloc(SF_BACKEND_CPU, (size_t)bytes, (void **)&a);
    if (s == SF_OK)
        s = sf_alloc(SF_BACKEND_CPU, (size_t)bytes, (void **)&b);
    if (s != SF_OK) {
        sf_free(SF_BACKEND_CPU, a);
        return s;
    }
    memset(a, 1, (size_t)bytes), memset(b, 2, (size_t)bytes);
    enum { REPS = 9 };
    double t[REPS];
    const int threads = dev->threads_used > 0 ? dev->threads_used : 1;
    for (int r = 0; r < REPS; ++r) {
        const double t0 = sf_now();
        /* the kernels run on all OpenMP threads: so does the copy they are compared with */
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int k = 0; k < threads; ++k) {
            const size_t chunk = (size_t)bytes / (size_t)threads, off = chunk * (size_t)k;
            memcpy(b + off, a + off, k == threads - 1 ? (size_t)bytes - off : chunk);
        }
        t[r] = sf_now() - t0;
    }
    const sf_summary sum = sf_summarize(t, REPS);
    *bytes_per_s = 2.0 * (double)bytes / sum.median;
    sf_free(SF_BACKEND_CPU, a), sf_free(SF_BACKEND_CPU, b);
    return SF_OK;
}
