#include "test_util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

int sf_test_passed, sf_test_failed;

int sf_test_summary(void)
{
    printf("%d passed, %d failed\n", sf_test_passed, sf_test_failed);
    return sf_test_failed ? 1 : 0;
}

tbuf tbuf_make(sf_backend be, size_t n)
{
    tbuf b = {be, n, NULL, NULL};
    if (sf_alloc(SF_BACKEND_CPU, n * sizeof(float), (void **)&b.host) != SF_OK ||
        sf_alloc(be, n * sizeof(float), &b.dev) != SF_OK) {
        fprintf(stderr, "test buffer of %zu floats: %s\n", n, sf_last_error());
        exit(1);
    }
    return b;
}

void tbuf_upload(tbuf *b)
{
    CHECK_OK(sf_upload(b->be, b->dev, b->host, b->n * sizeof(float)));
}

void tbuf_download(tbuf *b)
{
    CHECK_OK(sf_synchronize(b->be));
    CHECK_OK(sf_download(b->be, b->host, b->dev, b->n * sizeof(float)));
}

void tbuf_drop(tbuf *b)
{
    sf_free(SF_BACKEND_CPU, b->host);
    sf_free(b->be, b->dev);
    b->host = NULL, b->dev = NULL;
}

static const char *cli_bin, *cli_dir;

void sf_test_cli_init(const char *binary, const char *folder)
{
    cli_bin = binary, cli_dir = folder;
    mkdir(folder, 0777); /* may exist from an earlier run */
}

const char *sf_test_path(const char *name)
{
    static char p[8][4096]; /* one call's arguments may name up to 8 paths */
    static int i;
    i = (i + 1) % 8;
    snprintf(p[i], sizeof p[i], "%s/%s", cli_dir, name);
    return p[i];
}

int sf_test_sh(const char *fmt, ...)
{
    char args[3000], cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s/stdout' 2>'%s/stderr' </dev/null", cli_bin, args, cli_dir, cli_dir);
    const int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

const char *sf_test_slurp(const char *name)
{
    static char buf[1 << 16];
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", cli_dir, name);
    FILE *f = fopen(path, "rb");
    const size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return buf;
}
