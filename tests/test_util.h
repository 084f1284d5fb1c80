/* A few helpers for spikefuse's tests: checks that count, and buffers on either backend. */
#ifndef SF_TEST_UTIL_H
#define SF_TEST_UTIL_H

#include <stdio.h>

#include "spikefuse.h"

/* Exit code CTest reads as "skipped" (SKIP_RETURN_CODE). */
#define SF_TEST_SKIP 77

extern int sf_test_passed, sf_test_failed;

#define CHECK(cond, ...)                                                         \
    do {                                                                         \
        if (cond) {                                                              \
            ++sf_test_passed;                                                    \
        } else {                                                                 \
            ++sf_test_failed;                                                    \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);      \
            fprintf(stderr, __VA_ARGS__);                                        \
            fputc('\n', stderr);                                                 \
        }                                                                        \
    } while (0)

/* Prints "N passed, M failed" and returns the process exit code. */
int sf_test_summary(void);

/* Check the status of a library call; on failure report sf_last_error(). */
#define CHECK_OK(call) CHECK((call) == SF_OK, "%s", sf_last_error())

/* A float tensor with a host copy and a copy on a backend. */
typedef struct tbuf {
    sf_backend be;
    size_t n;
    float *host;
    void *dev;
} tbuf;

tbuf tbuf_make(sf_backend be, size_t n);
void tbuf_upload(tbuf *b);
void tbuf_download(tbuf *b);
void tbuf_drop(tbuf *b);

/* Running the spikefuse command: sf_test_sh("run --family fused ...") runs the binary given to
 * sf_test_cli_init with stdout and stderr to files in its folder (which init creates), returns the exit code;
 * sf_test_slurp("stderr") reads such a file back (up to 64 KiB). */
void sf_test_cli_init(const char *binary, const char *folder);
/* folder/name for the folder given to sf_test_cli_init; eight results live at once. */
const char *sf_test_path(const char *name);
int sf_test_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *sf_test_slurp(const char *name);

#endif
