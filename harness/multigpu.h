/* The paper's multi-GPU pipeline model (Eqs. 4-5, Fig. 4): T split into k contiguous segments, one per
 * GPU, each layer's boundary membrane state handed from GPU j to j+1.
 *   T_s = single-device time of the whole layer, T_c = one hand-off of the boundary state (M floats);
 *   mu(k) = k T_s / (k (k - 1) T_c + T_s),  k* = sqrt(T_s / T_c),  mu* = r / (2 sqrt(r) - 1), r = T_s / T_c. */
#ifndef SF_MULTIGPU_H
#define SF_MULTIGPU_H

#include <cjson/cJSON.h>

#include "device.h"
#include "measure.h"

double sf_mu(int k, double r);      /* speedup on k devices for r = T_s / T_c */
double sf_mu_k_star(double r);      /* sqrt(r) */
double sf_mu_peak(double r);        /* r / (2 sqrt(r) - 1) */

/* The layer size the model measures at: M = 1,000,000, halved until a trial of the layer at T fits the
 * sweep's memory rule (sf_trial_memory_limit). */
sf_status sf_multigpu_layer_neurons(sf_backend be, const sf_device_info *dev, int64_t T, int64_t *M);

/* Measures T_s (fused forward, inference form, one layer of M neurons) for each T, and T_c: a copy of
 * M floats between two devices when two are present (cudaMemcpyPeer), else between two buffers on
 * the one device (memcpy on the CPU). Returns a JSON object (schema in harness/SCHEMA.md). */
sf_status sf_multigpu_measure(sf_backend be, const sf_device_info *dev, const int64_t *Ts, int nT, int64_t M,
                              const sf_measure_config *mc, cJSON **out);

/* The hand-off timing on CUDA (measure_cuda.cu): median seconds of copying `bytes`; *peer set to 1 when
 * it went between two devices. */
sf_status sf_handoff_cuda(size_t bytes, int samples, double *seconds, int *peer);

#endif
