/* Command-line parsing shared by the subcommands: each command declares its options as a table of rows
 * (name, kind, destination, range) and one parser reads argv against it: --name value or --name=value,
 * strict numbers, and the same usage errors (exit 2) for every command. */
#ifndef SF_CLI_OPTIONS_H
#define SF_CLI_OPTIONS_H

#include <stdint.h>
#include <stdio.h>

#include "spikefuse.h"
#include "stats.h"

/* Exit codes of every subcommand. */
enum { SF_EXIT_OK = 0, SF_EXIT_FAIL = 1, SF_EXIT_USAGE = 2 };

/* The exit code of a library call's status: a name not in its table (SF_ERR_UNKNOWN) is the user's
 * usage error, anything else a failure. */
int sf_exit_code(sf_status s);

typedef enum opt_kind {
    OPT_END = 0, /* ends a table */
    OPT_FLAG,    /* no value: stores `flag_value` in an int */
    OPT_STOP,    /* no value: stores the index of the next argument (>= 1) in an int and ends the parse */
    OPT_STRING,  /* the value itself, into a const char * */
    OPT_INT,     /* an integer in lo..hi, into an int */
    OPT_I64,     /* an integer in lo..hi, into an int64_t */
    OPT_FLOAT,   /* a finite number within `bound`, into a float */
    OPT_REAL,    /* the same number (read as a float, as always), into a double */
    OPT_CALL,    /* call(dest, value): 1 taken, 0 refused after its own message */
} opt_kind;

/* What a real value must satisfy beyond being finite. */
typedef enum opt_bound { OPT_ANY = 0, OPT_NONNEG, OPT_POSITIVE, OPT_UNIT_OPEN } opt_bound;

typedef struct opt_spec {
    const char *name; /* "--decay", "-a" */
    opt_kind kind;
    void *dest;
    int64_t lo, hi;   /* OPT_INT, OPT_I64 */
    opt_bound bound;  /* OPT_FLOAT, OPT_REAL */
    int flag_value;   /* OPT_FLAG */
    int (*call)(void *dest, const char *value);
    int *seen;        /* if not NULL, set to 1 when the option is given */
    const char *meta; /* the value's placeholder in --help: "N", "FILE" */
    const char *help; /* its line in --help, after which a nonzero default is shown */
} opt_spec;

/* Rows, one per kind; a table is an array of them ending with OPT_END_ROW. */
#define OPT_FLAG_ROW(n, d, v, h) {.name = (n), .kind = OPT_FLAG, .dest = (d), .flag_value = (v), .help = (h)}
#define OPT_STOP_ROW(n, d, m, h) {.name = (n), .kind = OPT_STOP, .dest = (d), .meta = (m), .help = (h)}
#define OPT_STRING_ROW(n, d, m, h) {.name = (n), .kind = OPT_STRING, .dest = (d), .meta = (m), .help = (h)}
#define OPT_INT_ROW(n, d, l, u, m, h)                                                              \
    {.name = (n), .kind = OPT_INT, .dest = (d), .lo = (l), .hi = (u), .meta = (m), .help = (h)}
#define OPT_I64_ROW(n, d, l, u, m, h)                                                              \
    {.name = (n), .kind = OPT_I64, .dest = (d), .lo = (l), .hi = (u), .meta = (m), .help = (h)}
#define OPT_FLOAT_ROW(n, d, b, m, h) {.name = (n), .kind = OPT_FLOAT, .dest = (d), .bound = (b), .meta = (m), .help = (h)}
#define OPT_REAL_ROW(n, d, b, m, h) {.name = (n), .kind = OPT_REAL, .dest = (d), .bound = (b), .meta = (m), .help = (h)}
#define OPT_CALL_ROW(n, d, f, m, h) {.name = (n), .kind = OPT_CALL, .dest = (d), .call = (f), .meta = (m), .help = (h)}
#define OPT_END_ROW {.name = NULL, .kind = OPT_END}

/* A command's whole grammar. Arguments no row names go to `positional` (1 taken, 0 refused); refused
 * ones, and all of them where it is NULL, are usage errors: "<name>: <stray> '<arg>'". --help prints
 * `help` (or calls print_help), then "Options:", a line per row, from the table itself. */
typedef struct opt_command {
    const char *name;     /* "sweep": begins every message */
    const opt_spec *rows; /* ends with OPT_END_ROW */
    const char *help;     /* the synopsis and what the command does */
    void (*print_help)(void);
    int (*positional)(void *ctx, const char *arg);
    void *ctx;
    const char *stray; /* how a refused argument is named; NULL: "unknown option" */
} opt_command;

/* Reads argv against the command's table. Returns 1 to go on; 0 to stop with *exit_code: SF_EXIT_OK
 * after --help (anywhere in argv: the defaults shown are the table's), SF_EXIT_USAGE after a message. */
int opt_parse(const opt_command *c, int argc, char **argv, int *exit_code);

/* A positional handler for commands that take one file (ctx: its const char *): the first argument
 * that is not an option; a second one is refused. */
int opt_one_file(void *file, const char *arg);

/* Exact match of argv[i] (main's --help and --version). */
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

/* ---- the groups of options several commands share, as table fragments ---------------------- */

int opt_surrogate(void *dest, const char *value);

/* The neuron options every kernel command takes, into the sf_lif_params *p; `seen` (int *, or NULL)
 * learns whether any was given. */
#define OPT_LIF_ROWS(p, seen_)                                                                     \
    {.name = "--decay", .kind = OPT_FLOAT, .dest = &(p)->decay, .seen = (seen_), .meta = "K",     \
     .help = "membrane decay per step"},                                                         \
    {.name = "--threshold", .kind = OPT_FLOAT, .dest = &(p)->threshold, .seen = (seen_), .meta = "V", \
     .help = "firing threshold"},                                                                \
    {.name = "--rest", .kind = OPT_FLOAT, .dest = &(p)->rest, .seen = (seen_), .meta = "V",       \
     .help = "resting potential, below the threshold"},                                          \
    {.name = "--surrogate", .kind = OPT_CALL, .dest = &(p)->surrogate, .call = opt_surrogate,     \
     .seen = (seen_), .meta = "rect|sigmoid", .help = "surrogate gradient of the spike (rect)"},  \
    {.name = "--width", .kind = OPT_FLOAT, .dest = &(p)->width, .seen = (seen_), .meta = "W",     \
     .help = "rect surrogate's half-width"},                                                     \
    {.name = "--alpha", .kind = OPT_FLOAT, .dest = &(p)->alpha, .seen = (seen_), .meta = "A",     \
     .help = "sigmoid surrogate's steepness"}

/* The stopping rule (sf_stop_rule *r) of every command that measures (sweep, tune); the times and the
 * noise must be >= 0, --min-samples >= 1. */
#define OPT_STOP_RULE_ROWS(r)                                                                      \
    OPT_INT_ROW("--min-samples", &(r)->min_samples, 1, 1000000, "N", "samples at least"),         \
    OPT_I64_ROW("--max-samples", &(r)->max_samples, 0, INT64_MAX, "N", "samples at most (0: no limit)"), \
    OPT_REAL_ROW("--min-time", &(r)->min_time, OPT_NONNEG, "S", "seconds of samples at least"),   \
    OPT_REAL_ROW("--max-noise", &(r)->max_noise, OPT_NONNEG, "F",                                  \
                 "relative standard deviation that ends sampling"),                              \
    OPT_REAL_ROW("--timeout", &(r)->timeout, OPT_NONNEG, "S", "seconds of sampling at most")

/* --block, --grid, --threads into the sf_launch *l. */
#define OPT_LAUNCH_ROWS(l)                                                                         \
    OPT_INT_ROW("--block", &(l)->block, 1, 65536, "N", "threads per block (default: the kernel's)"), \
    OPT_I64_ROW("--grid", &(l)->grid, 1, 2147483647LL, "N", "blocks (default: enough to cover M)"), \
    OPT_INT_ROW("--threads", &(l)->cpu_threads, 1, 4096, "N", "CPU threads (default: OpenMP's)")

#endif
