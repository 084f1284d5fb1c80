/* sf_storage_cost_of: a storage type's numerical cost against fp32 storage, by the float64 reference. */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

/* One layer's forward and backward by the reference at storage s: the tensors a kernel of that storage
 * saves (sf_reference_saved_forward: x as given, the spikes fired on the float v, v rounded as stored),
 * dL/dy rounded as stored, then dL/dx rounded as stored. */
static sf_status layer_at(sf_storage s, const float *x, const float *gy, int64_t T, int64_t M, const sf_lif_params *p,
                          float *y, float *v, float *gyf, double *gx)
{
    const int64_t TM = T * M;
    const sf_status st = sf_reference_saved_forward(x, T, M, p, s, y, v);
    if (st != SF_OK)
        return st;
    for (int64_t i = 0; i < TM; ++i)
        gyf[i] = gy[i];
    sf_storage_quantize(s, gyf, TM);
    sf_reference_backward(gyf, y, v, T, M, p, gx);
    for (int64_t i = 0; i < TM; ++i)
        gx[i] = sf_storage_round(s, (double)(float)gx[i]);
    return SF_OK;
}

sf_status sf_storage_cost_of(sf_storage s, int64_t T, int64_t M, const sf_lif_params *p, uint64_t seed,
                             sf_storage_cost *out)
{
    sf_status st = sf_verify_check_size(T, M);
    if (st == SF_OK)
        st = sf_lif_check(p);
    if (st != SF_OK)
        return st;
    const int64_t TM = T * M;
    double *gx[2];
    float *x[2], *y[2], *gy = malloc((size_t)TM * sizeof *gy), *v = malloc((size_t)TM * sizeof *v);
    float *gyf = malloc((size_t)TM * sizeof *gyf);
    int ok = gy && v && gyf;
    for (int k = 0; k < 2; ++k) {
        y[k] = malloc((size_t)TM * sizeof *y[k]), gx[k] = malloc((size_t)TM * sizeof *gx[k]);
        x[k] = malloc((size_t)TM * sizeof *x[k]);
        ok = ok && y[k] && gx[k] && x[k];
    }
    if (!ok) {
        st = sf_fail(SF_ERR_NOMEM, "storage cost: no host memory for T x M = %lld", (long long)TM);
    } else {
        sf_fill_uniform(x[0], TM, seed, -0.4f, 0.8f);
        sf_fill_uniform(gy, TM, seed ^ 0x6badull, -1.0f, 1.0f);
        for (int64_t i = 0; i < TM; ++i)
            x[1][i] = x[0][i];
        sf_storage_quantize(s, x[1], TM);
        st = layer_at(SF_STORAGE_F32, x[0], gy, T, M, p, y[0], v, gyf, gx[0]);
        if (st == SF_OK)
            st = layer_at(s, x[1], gy, T, M, p, y[1], v, gyf, gx[1]);
    }
    if (st == SF_OK) {
        int64_t flips = 0;
        double diff2 = 0, ref2 = 0, max_diff = 0, max_ref = 0;
        for (int64_t i = 0; i < TM; ++i) {
            flips += y[0][i] != y[1][i];
            const double d = gx[1][i] - gx[0][i];
            diff2 += d * d, ref2 += gx[0][i] * gx[0][i];
            max_diff = fmax(max_diff, fabs(d)), max_ref = fmax(max_ref, fabs(gx[0][i]));
        }
        out->neuron_steps = TM;
        out->spike_flip_rate = (double)flips / (double)TM;
        out->grad_x_rel_err = ref2 > 0 ? sqrt(diff2 / ref2) : 0.0;
        out->grad_x_max_err = max_ref > 0 ? max_diff / max_ref : 0.0;
    }
    free(gy), free(v), free(gyf);
    for (int k = 0; k < 2; ++k)
        free(y[k]), free(gx[k]), free(x[k]);
    return st;
}
