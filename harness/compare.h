/* Deciding a performance change, and gates that hold on noisy machines (issue 6).
 *   compare: two results files, state by state: relative change of the cold median, a Mann-Whitney U
 *            test on the raw samples, and a minimum effect size;
 *   gates:   floors on ratios measured within one run (fused over step at T = 64, ...) and on % of
 *            copy bandwidth, as data per device class (ci/gates/<backend>.json). */
#ifndef SF_COMPARE_H
#define SF_COMPARE_H

#include <cjson/cJSON.h>

#include "spikefuse.h"

typedef enum sf_verdict { SF_SAME = 0, SF_FASTER, SF_SLOWER, SF_UNSURE } sf_verdict;
const char *sf_verdict_name(sf_verdict v);

typedef struct sf_compare_rule {
    double alpha;      /* significance of the U test: 0.05 */
    double min_effect; /* |relative change of the median| below this is SAME: 0.05 */
    int min_samples;   /* fewer samples on either side is UNSURE: 8 */
} sf_compare_rule;

sf_compare_rule sf_compare_rule_default(void);

/* The verdict on two sample sets (seconds; base first): SLOWER or FASTER when the U test's p < alpha
 * and the median moved by at least min_effect; SAME when it moved by less; UNSURE otherwise (too few
 * samples, or a large move the test does not confirm). *reason says which. */
sf_verdict sf_compare_samples(const double *base, int64_t nb, const double *cur, int64_t nc, const sf_compare_rule *r,
                              double *change, double *p, const char **reason);

/* Compares two sweep results files; writes Markdown and/or JSON if paths are given. *slower: states
 * confirmed slower. Refuses files of different devices unless ignore_device. */
sf_status sf_compare_files(const char *base, const char *cur, const sf_compare_rule *r, int ignore_device,
                           const char *md, const char *json, int *slower);

/* Evaluates a gates file on a results file; *failed: gates below their floor. Gates for another device
 * class are skipped; a gate whose states are missing is an error. Markdown to md if given. */
sf_status sf_check_gates(const char *gates, const char *results, const char *md, int *failed);

#endif
