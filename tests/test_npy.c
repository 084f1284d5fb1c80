/* .npy round trips, and malformed files refused with a message. argv[1]: a scratch folder. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "npy.h"
#include "test_util.h"

static char dir[2048];

static const char *path_of(const char *name)
{
    static char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

/* Writes a file with a hand-made header (v1.0) and `payload` bytes of zeros. */
static const char *craft(const char *name, const char *magic6, const char *header, size_t payload)
{
    const char *p = path_of(name);
    FILE *f = fopen(p, "wb");
    const size_t hl = strlen(header);
    fwrite(magic6, 1, 6, f);
    const unsigned char ver[4] = {1, 0, (unsigned char)(hl & 0xff), (unsigned char)(hl >> 8)};
    fwrite(ver, 1, 4, f);
    fwrite(header, 1, hl, f);
    for (size_t i = 0; i < payload; ++i)
        fputc(0, f);
    fclose(f);
    return p;
}

static void refused(const char *path, const char *why, const char *expect)
{
    sf_npy a;
    const sf_status s = sf_npy_read(path, &a);
    CHECK(s == SF_ERR_IO && a.data == NULL, "%s accepted", why);
    CHECK(strstr(sf_last_error(), expect) != NULL, "%s: message '%s' lacks '%s'", why, sf_last_error(), expect);
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    snprintf(dir, sizeof dir, "%s", argv[1]);
    mkdir(dir, 0777);

    /* round trips in 1, 2 and 3 dimensions; data starts on a 64-byte boundary */
    const int64_t shapes[3][3] = {{5}, {3, 7}, {2, 3, 4}};
    for (int nd = 1; nd <= 3; ++nd) {
        float data[24];
        for (int i = 0; i < 24; ++i)
            data[i] = (float)i * 0.5f - 3.0f;
        const char *p = path_of("rt.npy");
        CHECK_OK(sf_npy_write(p, data, nd, shapes[nd - 1]));
        sf_npy a;
        CHECK_OK(sf_npy_read(p, &a));
        CHECK(a.ndim == nd, "ndim %d want %d", a.ndim, nd);
        int64_t n = 1;
        for (int d = 0; d < nd; ++d)
        {
            n *= shapes[nd - 1][d];
            CHECK(a.shape[d] == shapes[nd - 1][d], "dim %d", d);
        }
        CHECK(a.count == n && memcmp(a.data, data, (size_t)n * 4) == 0, "data differs");
        sf_npy_free(&a);
        struct stat st;
        stat(p, &st);
        CHECK((st.st_size - n * 4) % 64 == 0, "header not padded to 64 bytes");
    }

    /* NumPy's own header spelling, with spaces and a trailing comma */
    const char *np = craft("numpy.npy", "\x93NUMPY",
                           "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }          \n", 24);
    sf_npy a;
    CHECK_OK(sf_npy_read(np, &a));
    CHECK(a.ndim == 2 && a.shape[0] == 2 && a.shape[1] == 3, "numpy header");
    sf_npy_free(&a);

    refused(path_of("missing.npy"), "missing file", "No such file");
    refused(craft("magic.npy", "PK\x03\x04xx", "{}", 0), "bad magic", "not a .npy");
    refused(craft("f8.npy", "\x93NUMPY", "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n", 16),
            "float64", "not float32");
    refused(craft("be.npy", "\x93NUMPY", "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }\n", 8),
            "big-endian", "not float32");
    refused(craft("fortran.npy", "\x93NUMPY", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }\n", 16),
            "Fortran order", "C order");
    refused(craft("short.npy", "\x93NUMPY", "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 4), }\n", 60),
            "truncated payload", "payload");
    refused(craft("long.npy", "\x93NUMPY", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", 12),
            "extra payload", "payload");
    refused(craft("huge.npy", "\x93NUMPY",
                  "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }\n", 0),
            "overflowing shape", "overflow");
    refused(craft("noshape.npy", "\x93NUMPY", "{'descr': '<f4', 'fortran_order': False}\n", 0), "no shape",
            "shape");
    refused(craft("badshape.npy", "\x93NUMPY", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }\n", 0),
            "malformed shape", "shape");
    fclose(fopen(path_of("empty.npy"), "wb"));
    refused(path_of("empty.npy"), "empty file", "not a .npy");
    return sf_test_summary();
}
