/* sf_storage_cost_of: a storage type's numerical cost against fp32 storage, by the float64 reference. */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

/* One layer's forward and backward by the reference at storage s: x rounded as given, the spikes fired
 * on the float v (the register), then v and dL/dy rounded as stored; dL/dx rounded as stored. */
static void layer_at(sf_storage s, const float *x, const float *gy, int64_t T, int64_t M, const sf_lif_params *p,
                     double *y, double *v, float *yf, float *vf, float *gyf, double *gx)
{
    const int64_t TM = T * M;
    sf_reference_forward(x, NULL, T, M, p, y, v, NULL);
    for (int64_t i = 0; i < TM; ++i) {
        vf[i] = (float)v[i];
        yf[i] = sf_lif_spike(vf[i], p);
        gyf[i] = gy[i];
    }
    sf_storage_quantize(s, vf, TM);
    sf_storage_quantize(s, gyf, TM);
    sf_reference_backward(gyf, yf, vf, T, M, p, gx);
    for (int64_t i = 0; i < TM; ++i)
        gx[i] = sf_storage_round(s, (double)(float)gx[i]);
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
    double *y[2], *v[2], *gx[2];
    float *x[2], *gy = malloc((size_t)TM * sizeof *gy), *yf = malloc((size_t)TM * sizeof *yf);
    float *vf = malloc((size_t)TM * sizeof *vf), *gyf = malloc((size_t)TM * sizeof *gyf);
    int ok = gy && yf && vf && gyf;
    for (int k = 0; k < 2; ++k) {
        y[k] = malloc((size_t)TM * sizeof *y[k]), v[k] = malloc((size_t)TM * sizeof *v[k]);
        gx[k] = malloc((size_t)TM * sizeof *gx[k]), x[k] = malloc((size_t)TM * sizeof *x[k]);
        ok = ok && y[k] && v[k] && gx[k] && x[k];
    }
    if (!ok) {
        st = sf_fail(SF_ERR_NOMEM, "storage cost: no host memory for T x M = %lld", (long long)TM);
    } else {
        sf_fill_uniform(x[0], TM, seed, -0.4f, 0.8f);
        sf_fill_uniform(gy, TM, seed ^ 0x6badull, -1.0f, 1.0f);
        for (int64_t i = 0; i < TM; ++i)
            x[1][i] = x[0][i];
        sf_storage_quantize(s, x[1], TM);
        layer_at(SF_STORAGE_F32, x[0], gy, T, M, p, y[0], v[0], yf, vf, gyf, gx[0]);
        layer_at(s, x[1], gy, T, M, p, y[1], v[1], yf, vf, gyf, gx[1]);
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
    free(gy), free(yf), free(vf), free(gyf);
    for (int k = 0; k < 2; ++k)
        free(y[k]), free(v[k]), free(gx[k]), free(x[k]);
    return st;
}
