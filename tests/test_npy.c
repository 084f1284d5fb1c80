/* .npy round trips, and malformed files refused with a message. argv[1]: a scratch folder. */
#include <math.h>
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

/* A file's elements, written raw with descr and read back widened: the dtype recorded, the values
 * exact (compared as bits, so a NaN counts too). */
static void round_trip(const char *descr, unsigned accept, const void *raw, const float *want, int64_t n)
{
    const char *p = path_of("typed.npy");
    CHECK_OK(sf_npy_write_as(p, descr, raw, 1, &n));
    sf_npy a;
    CHECK_OK(sf_npy_read_as(p, accept, &a));
    CHECK(strcmp(a.descr, descr) == 0, "%s read back as %s", descr, a.descr);
    CHECK(a.ndim == 1 && a.count == n && memcmp(a.data, want, (size_t)n * sizeof(float)) == 0,
          "%s: values differ after widening", descr);
    sf_npy_free(&a);
}

/* '<f2', '<u2' (bf16 bits) and '|u1': each widens exactly, and in place over a long array (a narrow
 * payload is read into the end of the float buffer). */
static void narrow_dtypes(void)
{
    /* IEEE half: 1, -2, 1/3 rounded, the smallest subnormal, the largest finite, -inf, -0 */
    const uint16_t h[] = {0x3c00, 0xc000, 0x3555, 0x0001, 0x7bff, 0xfc00, 0x8000};
    const float hw[] = {1.0f, -2.0f, 0.333251953125f, 0x1p-24f, 65504.0f, -INFINITY, -0.0f};
    round_trip("<f2", SF_NPY_F2, h, hw, 7);
    enum { N = 4099 };
    static uint16_t bits[N];
    static float want[N];
    static uint8_t bytes[N];
    static float want_u1[N];
    for (int i = 0; i < N; ++i) {
        bits[i] = (uint16_t)(i * 40503u);
        const uint32_t u = (uint32_t)bits[i] << 16; /* bf16 is the top half of a float */
        memcpy(&want[i], &u, sizeof u);
        bytes[i] = (uint8_t)(i * 7);
        want_u1[i] = (float)bytes[i];
    }
    round_trip("<u2", SF_NPY_BF16, bits, want, N);
    round_trip("|u1", SF_NPY_U1, bytes, want_u1, N);
    /* a dtype the caller does not take is refused, naming those it does */
    const int64_t n = 4;
    CHECK_OK(sf_npy_write_as(path_of("u2.npy"), "<u2", bits, 1, &n));
    sf_npy a;
    CHECK(sf_npy_read_as(path_of("u2.npy"), SF_NPY_F2, &a) == SF_ERR_IO && a.data == NULL &&
              strstr(sf_last_error(), "'<u2' is not float32 ('<f4') or float16 ('<f2')"),
          "'<u2' where bf16 is not taken: %s", sf_last_error());
    CHECK_OK(sf_npy_write_as(path_of("f2.npy"), "<f2", h, 1, &n));
    refused(path_of("f2.npy"), "'<f2' where only float32 is taken", "not float32 ('<f4');");
    CHECK(sf_npy_read_as(path_of("f2.npy"), SF_NPY_U1 | SF_NPY_BF16, &a) == SF_ERR_IO &&
              strstr(sf_last_error(), "float32 ('<f4'), bf16 bits ('<u2') or uint8 ('|u1')"),
          "'<f2' where u1 and bf16 are taken: %s", sf_last_error());
    CHECK(sf_npy_write_as(path_of("f8.npy"), "<f8", h, 1, &n) == SF_ERR_INVALID, "'<f8' written");
}

/* A payload whose size is not the shape's elements of the dtype's size. */
static void wrong_payloads(void)
{
    sf_npy a;
    const char *f2 = craft("f2short.npy", "\x93NUMPY",
                           "{'descr': '<f2', 'fortran_order': False, 'shape': (4,), }\n", 6);
    CHECK(sf_npy_read_as(f2, SF_NPY_F2, &a) == SF_ERR_IO && strstr(sf_last_error(), "payload is 6 bytes"),
          "short '<f2' payload: %s", sf_last_error());
    const char *u2 = craft("u2long.npy", "\x93NUMPY",
                           "{'descr': '<u2', 'fortran_order': False, 'shape': (4,), }\n", 16);
    CHECK(sf_npy_read_as(u2, SF_NPY_BF16, &a) == SF_ERR_IO && strstr(sf_last_error(), "elements of 2 bytes"),
          "'<u2' payload of floats: %s", sf_last_error());
    const char *u1 = craft("u1long.npy", "\x93NUMPY",
                           "{'descr': '|u1', 'fortran_order': False, 'shape': (3, 3), }\n", 10);
    CHECK(sf_npy_read_spikes(u1, &a) == SF_ERR_IO && strstr(sf_last_error(), "payload"), "long '|u1' payload: %s",
          sf_last_error());
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
    narrow_dtypes();
    wrong_payloads();
    fclose(fopen(path_of("empty.npy"), "wb"));
    refused(path_of("empty.npy"), "empty file", "not a .npy");
    return sf_test_summary();
}
