/* Gates that hold on noisy machines (issue 6): floors on ratios measured within one run (fused over
 * step at T = 64, ...) and on % of copy bandwidth, as data per device class (ci/gates/<backend>.json). */
#ifndef SF_GATES_H
#define SF_GATES_H

#include "spikefuse.h"

/* Evaluates a gates file on a results file; *failed: gates below their floor. Gates for another device
 * class are skipped; a gate whose states are missing is an error. Markdown to md if given. */
sf_status sf_check_gates(const char *gates, const char *results, const char *md, int *failed);

#endif
