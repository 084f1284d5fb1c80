/* Command-line parsing shared by the subcommands: --name value or --name=value, strict numbers. */
#ifndef SF_CLI_OPTIONS_H
#define SF_CLI_OPTIONS_H

#include <stdint.h>

#include "spikefuse.h"
#include "stats.h"

/* Exit codes of every subcommand. */
enum { SF_EXIT_OK = 0, SF_EXIT_FAIL = 1, SF_EXIT_USAGE = 2 };

/* The exit code of a library call's status: a name not in its table (SF_ERR_UNKNOWN) is the user's
 * usage error, anything else a failure. */
int sf_exit_code(sf_status s);

/* If argv[*i] is `name` (taking the next argument) or `name=value`, sets *value, advances *i past what
 * it used and returns 1. A `name` with no value left is a usage error: message, exit. */
int opt_value(int argc, char **argv, int *i, const char *name, const char **value);
int opt_flag(char **argv, int i, const char *name);

/* Strict parsers: the whole string must be a number in range; else a message and 0. */
int parse_i64(const char *name, const char *s, int64_t lo, int64_t hi, int64_t *out);
int parse_int(const char *name, const char *s, int lo, int hi, int *out);
int parse_float(const char *name, const char *s, float *out);

/* --backend auto|cpu|cuda for command `cmd`: auto is the GPU when one is usable, else the CPU. Returns an
 * exit code: OK, USAGE for an unknown name, FAIL for a backend that is not usable here (after a message). */
int opt_backend_usable(const char *cmd, const char *name, sf_backend *out);

/* "spikefuse: error: ..." on stderr; returns code. */
int fail(int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The neuron options every kernel command takes; returns 0 after a message on a bad one. */
int opt_lif(int argc, char **argv, int *i, sf_lif_params *p, int *matched);
#define SF_LIF_OPTIONS_HELP                                                                        \
    "  --decay K --threshold V --rest V      neuron constants (0.2, 0.3, 0)\n"                   \
    "  --surrogate rect|sigmoid --width W --alpha A   (rect, 0.5, 4)\n"

/* The stopping rule's options, one table for every command that measures (sweep, tune): --min-samples,
 * --max-samples, --min-time, --max-noise, --timeout, and --hot-time where hot_time is not NULL. Every
 * value must be >= 0 (--min-samples >= 1); returns 0 after a message on a bad one. */
int opt_stop_rule(int argc, char **argv, int *i, sf_stop_rule *r, double *hot_time, int *matched);

/* --block, --grid, --threads into a launch; returns 0 after a message on a bad one. */
int opt_launch(int argc, char **argv, int *i, sf_launch *l, int *matched);
#define SF_LAUNCH_OPTIONS_HELP                                                                     \
    "  --block N --grid N --threads N        launch: threads per block, blocks, CPU threads\n"

#endif
