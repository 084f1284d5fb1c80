/* spikefuse verify --outputs: outputs computed elsewhere, checked against the float64 reference. */
#ifndef SF_CLI_VERIFY_OUTPUTS_H
#define SF_CLI_VERIFY_OUTPUTS_H

#include "spikefuse.h"

/* Checks the .npy files of dir (see verify_outputs.c) and prints the result, as JSON when json is set.
 * Returns the exit code: 0 passed, 1 failed, 2 bad input. */
int verify_outputs(const char *dir, const sf_lif_params *p, sf_reset_grad reset_grad, int json);

#endif
