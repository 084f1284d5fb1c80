/* The multi-GPU model and the measurement of its inputs on the present device. */
#include "multigpu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "spikefuse_core.h"
#include "measure.h"

double sf_mu(int k, double r)
{
    return (double)k * r / ((double)k * (k - 1) + r);
}

double sf_mu_k_star(double r)
{
    return sqrt(r);
}

double sf_mu_peak(double r)
{
    return r / (2.0 * sqrt(r) - 1.0);
}

/* The layer the model times: the fused forward kernel of the inference form. */
static const sf_kernel *layer_kernel(sf_backend be)
{
    const sf_kernel *k = sf_kernel_default("fused", SF_FWD, "infer", be);
    if (!k)
        sf_fail(SF_ERR_INVALID, "no fused inference kernel registered");
    return k;
}

sf_status sf_multigpu_layer_neurons(sf_backend be, const sf_device_info *dev, int64_t T, int64_t *M)
{
    const sf_kernel *k = layer_kernel(be);
    if (!k)
        return SF_ERR_INVALID;
    const double limit = sf_trial_memory_limit(be, dev);
    /* on the CPU the trial's host copy of x shares that memory */
    const double host_x = be == SF_BACKEND_CPU ? (double)T * k->elem_bytes : 0;
    *M = 1000000;
    while (*M > 1024 && sf_trial_bytes(k, NULL, T, *M, 1) + host_x * (double)*M > limit)
        *M /= 2;
    return SF_OK;
}

/* T_c on the CPU: memcpy of the boundary state between two buffers. */
static sf_status handoff_cpu(size_t bytes, int samples, double *seconds)
{
    void *a = NULL, *b = NULL;
    sf_status s = sf_alloc(SF_BACKEND_CPU, bytes, &a);
    if (s == SF_OK)
        s = sf_alloc(SF_BACKEND_CPU, bytes, &b);
    double *t = malloc((size_t)samples * sizeof *t);
    if (s == SF_OK && !t)
        s = sf_fail(SF_ERR_NOMEM, "no memory");
    if (s == SF_OK) {
        memset(a, 1, bytes), memset(b, 2, bytes);
        for (int i = 0; i < samples; ++i) {
            const double t0 = sf_now();
            memcpy(b, a, bytes);
            t[i] = sf_now() - t0;
        }
        *seconds = sf_summarize(t, samples).median;
    }
    free(t);
    sf_free(SF_BACKEND_CPU, a), sf_free(SF_BACKEND_CPU, b);
    return s;
}

sf_status sf_multigpu_measure(sf_backend be, const sf_device_info *dev, const int64_t *Ts, int nT, int64_t M,
                              const sf_measure_config *mc, cJSON **out)
{
    *out = NULL;
    const sf_kernel *k = layer_kernel(be);
    if (!k)
        return SF_ERR_INVALID;
    double tc = 0;
    int peer = 0;
    const size_t bytes = (size_t)M * sizeof(float);
    sf_status s = be == SF_BACKEND_CUDA ? sf_handoff_cuda(bytes, 101, &tc, &peer) : handoff_cpu(bytes, 101, &tc);
    if (s != SF_OK)
        return s;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "kernel", k->name);
    cJSON_AddNumberToObject(j, "M", (double)M);
    cJSON_AddNumberToObject(j, "T_c_s", tc);
    cJSON_AddStringToObject(j, "handoff", peer ? "cudaMemcpyPeer between two GPUs"
                                               : be == SF_BACKEND_CUDA ? "cudaMemcpy between two buffers on one GPU (one device present)"
                                                                       : "memcpy between two buffers in host memory (CPU backend)");
    cJSON *rows = cJSON_AddArrayToObject(j, "layers");
    for (int i = 0; i < nT && s == SF_OK; ++i) {
        sf_trial tr;
        const sf_lif_params p = sf_lif_defaults();
        s = sf_trial_create(&tr, be, k, NULL, Ts[i], M, &p, 0, 0, 1, (uint64_t)i + 1);
        if (s != SF_OK)
            break;
        sf_measurement m;
        s = sf_measure(&tr, dev, mc, "multigpu T_s", &m);
        sf_trial_destroy(&tr);
        if (s != SF_OK)
            break;
        const double ts = m.cold.summary.median, r = ts / tc;
        cJSON *row = cJSON_CreateObject();
        cJSON_AddNumberToObject(row, "T", (double)Ts[i]);
        cJSON_AddNumberToObject(row, "T_s_s", ts);
        cJSON_AddNumberToObject(row, "rel_stdev", m.cold.summary.rel_stdev);
        cJSON_AddNumberToObject(row, "samples", (double)m.cold.summary.count);
        cJSON_AddNumberToObject(row, "r", r);
        cJSON_AddNumberToObject(row, "k_star", sf_mu_k_star(r));
        cJSON_AddNumberToObject(row, "mu_star", sf_mu_peak(r));
        double mu[8];
        for (int kk = 1; kk <= 8; ++kk)
            mu[kk - 1] = sf_mu(kk, r);
        cJSON_AddItemToObject(row, "mu_k1_to_8", cJSON_CreateDoubleArray(mu, 8));
        cJSON_AddItemToArray(rows, row);
        sf_measurement_free(&m);
    }
    if (s != SF_OK) {
        cJSON_Delete(j);
        return s;
    }
    /* Fig. 4's model curves, recomputed from the formula as a check of it */
    cJSON *fig4 = cJSON_AddArrayToObject(j, "fig4_model");
    const double rs[] = {64, 16, 1};
    for (int i = 0; i < 3; ++i) {
        double mu[8];
        for (int kk = 1; kk <= 8; ++kk)
            mu[kk - 1] = sf_mu(kk, rs[i]);
        cJSON *c = cJSON_CreateObject();
        cJSON_AddNumberToObject(c, "r", rs[i]);
        cJSON_AddItemToObject(c, "mu_k1_to_8", cJSON_CreateDoubleArray(mu, 8));
        cJSON_AddItemToArray(fig4, c);
    }
    *out = j;
    return SF_OK;
}
