#include "test_util.h"

#include <stdlib.h>

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
