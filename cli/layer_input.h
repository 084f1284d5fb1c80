/* One layer's tensor read from a .npy, as every command that takes .npy inputs checks it. */
#ifndef SF_CLI_LAYER_INPUT_H
#define SF_CLI_LAYER_INPUT_H

#include "npy.h"

/* Reads path into a: '<f4' or a dtype `accept` names (SF_NPY_*), widened to float, [T, M] or [T, B, N],
 * T >= 1 and M >= 1 (M: all but the time axis), and of like's shape when like is given (like_name says
 * which file that is, in the message). Returns 1, or 0 after a message on stderr. */
int read_layer_npy(const char *path, const sf_npy *like, const char *like_name, unsigned accept, sf_npy *a,
                   int64_t *T, int64_t *M);
/* The dtypes a layer's float tensor (x, v, dL/dy, dL/dx, v-in) is read in besides '<f4': '<f2', widened
 * exactly, and '<u2' holding bf16 bits, taken only where the command's --bf16-bits says so. */
enum { LAYER_STATE_DTYPES = SF_NPY_F2 | SF_NPY_BF16 };
/* Whether a, read from path in LAYER_STATE_DTYPES, is a dtype the options take ('<u2' only with
 * bf16_bits); 0 after a message naming --bf16-bits. */
int layer_dtype_allowed(const sf_npy *a, const char *path, int bf16_bits);
/* read_layer_npy in LAYER_STATE_DTYPES, then layer_dtype_allowed. */
int read_state_npy(const char *path, const sf_npy *like, const char *like_name, int bf16_bits, sf_npy *a,
                   int64_t *T, int64_t *M);
/* Reads spikes for a layer of like's shape: '<f4' or '|u1' (0 or 1) of that shape, or packed
 * (read_packed_spikes_npy) when packed is set; a packed file without it is refused with a hint.
 * Returns 1, or 0 after a message on stderr. */
int read_spikes_npy(const char *path, const sf_npy *like, int packed, sf_npy *a);
/* Reads packed spikes for a layer of like's shape [T, M...]: '|u1' of shape [T, ceil(M / 8)], bit b
 * (the lowest first) of byte j in row t the spike of neuron 8 j + b (numpy's packbits(y.reshape(T, -1),
 * axis=-1, bitorder='little')), bits past M zero. Unpacked into a as floats 0 or 1 of like's shape.
 * Returns 1, or 0 after a message on stderr. */
int read_packed_spikes_npy(const char *path, const sf_npy *like, sf_npy *a);
/* Reads the fp32 membrane checkpoints of a layer of like's shape [T, M...] that keeps one every `chunk`
 * steps (a ckpt forward's v.npy): a dtype read_state_npy takes, widened to float, of like's shape but
 * with ceil(T / chunk) rows, row c the membrane at step min((c + 1) chunk, T) - 1. `kernel` names the
 * kernel in the message. Returns 1, or 0 after a message on stderr. */
int read_checkpoints_npy(const char *path, const sf_npy *like, int chunk, const char *kernel, int bf16_bits,
                         sf_npy *a);

#endif
