/* One layer's tensor read from a .npy, as every command that takes .npy inputs checks it. */
#ifndef SF_CLI_LAYER_INPUT_H
#define SF_CLI_LAYER_INPUT_H

#include "npy.h"

/* Reads path into a: float32 (or, for a spikes file, uint8 too), [T, M] or [T, B, N], T >= 1 and M >= 1
 * (M: all but the time axis), and of like's shape when like is given (like_name says which file that is,
 * in the message). Returns 1, or 0 after a message on stderr. */
int read_layer_npy(const char *path, const sf_npy *like, const char *like_name, int spikes, sf_npy *a, int64_t *T,
                   int64_t *M);

#endif
