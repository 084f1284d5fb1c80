/* spikefuse verify --outputs: outputs computed elsewhere, checked against the float64 reference. */
#ifndef SF_CLI_VERIFY_OUTPUTS_H
#define SF_CLI_VERIFY_OUTPUTS_H

#include "spikefuse.h"

/* How the outputs are judged and read. */
typedef struct verify_outputs_options {
    sf_lif_params lif;
    sf_reset_grad reset_grad;
    sf_storage storage; /* the implementation stored x, v, dL/dy and dL/dx as this: the reference reads x
                           and dL/dy rounded to it, and takes v and dL/dx by its storage model */
    int chunk;          /* > 0: v.npy holds fp32 checkpoints, one every chunk steps, and dL/dx is judged
                           as a backward that replays each chunk from x and them */
    int bf16_bits;      /* '<u2' files hold bf16 bits */
    int packed_spikes;  /* y.npy is packed, 8 spikes a byte */
    int json;           /* print the reports as JSON */
} verify_outputs_options;

/* Checks the .npy files of dir (see verify_outputs.c) and prints the result. Returns the exit code:
 * 0 passed, 1 failed, 2 bad input. */
int verify_outputs(const char *dir, const verify_outputs_options *o);

#endif
