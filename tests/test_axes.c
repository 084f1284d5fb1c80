/* The axis grammar: every form parses to the values it means, and every mistake is refused with one line. */
#include <stdlib.h>
#include <string.h>

#include "axes.h"
#include "test_util.h"

/* A list of int64 values and its length, for the helpers below. */
#define INTS(...) (const int64_t[]){__VA_ARGS__}, (int)(sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t))
#define STRS(...) (const char *[]){__VA_ARGS__}, (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *))

static void parses_ints(const char *spec, const char *name, const int64_t *want, int n)
{
    sf_axis a;
    char err[256] = "";
    const int rc = sf_axis_parse(spec, &a, err, sizeof err);
    CHECK(rc == 0, "%s: refused: %s", spec, err);
    if (rc != 0)
        return;
    CHECK(strcmp(a.name, name) == 0 && a.kind == SF_AXIS_INT, "%s: axis %s kind %d", spec, a.name, (int)a.kind);
    CHECK(a.count == n && a.ints && !a.strings, "%s: %d values, want %d", spec, a.count, n);
    for (int i = 0; i < n && i < a.count; ++i)
        CHECK(a.ints[i] == want[i], "%s: value %d is %lld, want %lld", spec, i, (long long)a.ints[i],
              (long long)want[i]);
    sf_axis_free(&a);
}

static void parses_strings(const char *spec, const char *name, const char *const *want, int n)
{
    sf_axis a;
    char err[256] = "";
    const int rc = sf_axis_parse(spec, &a, err, sizeof err);
    CHECK(rc == 0, "%s: refused: %s", spec, err);
    if (rc != 0)
        return;
    CHECK(strcmp(a.name, name) == 0 && a.kind == SF_AXIS_STRING, "%s: axis %s kind %d", spec, a.name,
          (int)a.kind);
    CHECK(a.count == n && a.strings && !a.ints, "%s: %d values, want %d", spec, a.count, n);
    for (int i = 0; i < n && i < a.count; ++i)
        CHECK(strcmp(a.strings[i], want[i]) == 0, "%s: value %d is '%s', want '%s'", spec, i, a.strings[i], want[i]);
    sf_axis_free(&a);
}

/* Refused, with a one-line message that starts with `prefix` and contains `expect`; *out left empty. */
static void refused_as(const char *spec, const char *prefix, const char *expect)
{
    sf_axis a;
    char err[512] = "";
    const int rc = sf_axis_parse(spec, &a, err, sizeof err);
    CHECK(rc == -1, "%s: accepted", spec);
    CHECK(a.count == 0 && !a.ints && !a.strings, "%s: result not left empty", spec);
    CHECK(strncmp(err, prefix, strlen(prefix)) == 0, "%s: message '%s' does not start with '%s'", spec, err, prefix);
    CHECK(strstr(err, expect) != NULL, "%s: message '%s' lacks '%s'", spec, err, expect);
    CHECK(strchr(err, '\n') == NULL, "%s: message has several lines", spec);
    sf_axis_free(&a);
}

static void refused(const char *spec, const char *axis, const char *expect)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "axis %s: ", axis);
    refused_as(spec, prefix, expect);
}

static void single_values(void)
{
    parses_ints("T=128", "T", INTS(128));
    parses_ints("N=2^20", "N", INTS(1048576));
    parses_ints("T=2^0", "T", INTS(1));
    parses_ints("T=010", "T", INTS(10));
    parses_ints("vec=4", "vec", INTS(4));
    parses_strings("family=fused", "family", STRS("fused"));
    parses_strings("form=a_b-c+d", "form", STRS("a_b-c+d"));
    parses_ints("  T =  64  ", "T", INTS(64)); /* white space around tokens */
}

static void lists(void)
{
    parses_ints("T=8,16,32", "T", INTS(8, 16, 32));
    parses_ints("T=[8,16,32]", "T", INTS(8, 16, 32));
    parses_ints("T=[32,8,2^4]", "T", INTS(32, 8, 16)); /* in the order given */
    parses_ints("T=[ 8 , 16 ]", "T", INTS(8, 16));
    parses_ints("T=[7]", "T", INTS(7));
    parses_strings("direction=[fwd,fwd+bwd]", "direction", STRS("fwd", "fwd+bwd"));
    parses_strings("form=train, infer ,segment", "form", STRS("train", "infer", "segment"));

    /* exactly SF_AXIS_MAX_VALUES values, and one more */
    static char spec[SF_AXIS_MAX_VALUES * 6 + 16];
    size_t used = (size_t)snprintf(spec, sizeof spec, "threads=1");
    for (int v = 2; v <= SF_AXIS_MAX_VALUES; ++v)
        used += (size_t)snprintf(spec + used, sizeof spec - used, ",%d", v);
    sf_axis a;
    char err[256] = "";
    CHECK(sf_axis_parse(spec, &a, err, sizeof err) == 0 && a.count == SF_AXIS_MAX_VALUES, "4096 values: %s", err);
    CHECK(a.count == SF_AXIS_MAX_VALUES && a.ints[4095] == 4096, "4096 values: last %lld",
          a.count ? (long long)a.ints[a.count - 1] : -1LL);
    sf_axis_free(&a);
    snprintf(spec, sizeof spec, "T=1");
    used = strlen(spec);
    for (int v = 2; v <= SF_AXIS_MAX_VALUES + 1; ++v)
        used += (size_t)snprintf(spec + used, sizeof spec - used, ",%d", v);
    refused(spec, "T", "more than 4096");
}

static void ranges(void)
{
    parses_ints("T=[1:10:4]", "T", INTS(1, 5, 9)); /* 13 > 10: stop not reached exactly */
    parses_ints("T=[1:9:4]", "T", INTS(1, 5, 9));  /* stop reached: included */
    parses_ints("T=[5:5:1]", "T", INTS(5));
    parses_ints("vec=[1:4:1]", "vec", INTS(1, 2, 3, 4));
    parses_ints("T=[2^3:2^5:2^3]", "T", INTS(8, 16, 24, 32));
    parses_ints("T=[ 1 : 3 : 1 ]", "T", INTS(1, 2, 3));
    parses_ints("T=[8:128:pow2]", "T", INTS(8, 16, 32, 64, 128));
    parses_ints("T=[8:127:pow2]", "T", INTS(8, 16, 32, 64));
    parses_ints("T=[3:20:pow2]", "T", INTS(3, 6, 12));
    parses_ints("T=[1:1:pow2]", "T", INTS(1));
    parses_ints("N=[2^38:2^40:pow2]", "N", INTS(INT64_C(1) << 38, INT64_C(1) << 39, INT64_C(1) << 40));
    parses_ints("T=[2^31:2^31:1]", "T", INTS(INT64_C(2147483648)));

    sf_axis a;
    char err[256] = "";
    CHECK(sf_axis_parse("threads=[1:4096:1]", &a, err, sizeof err) == 0 && a.count == 4096, "1..4096: %s", err);
    CHECK(a.count == 4096 && a.ints[0] == 1 && a.ints[4095] == 4096, "1..4096");
    sf_axis_free(&a);
    CHECK(sf_axis_parse("N=[1:2^40:pow2]", &a, err, sizeof err) == 0 && a.count == 41, "2^0..2^40: %s", err);
    CHECK(a.count == 41 && a.ints[40] == INT64_C(1) << 40, "2^0..2^40");
    sf_axis_free(&a);
}

static void errors(void)
{
    /* the name */
    refused_as("foo=8", "axis spec 'foo=8': ", "unknown axis 'foo'");
    refused_as("foo=8", "axis spec 'foo=8': ", "T, N, B, block, vec, npt, unroll, chunk, prefetch, stage, threads, family, direction, form");
    refused_as("t=8", "axis spec 't=8': ", "unknown axis 't'");
    refused_as("T8", "axis spec 'T8': ", "expected NAME=VALUES");
    refused_as("", "axis spec '': ", "expected NAME=VALUES");
    refused_as("=8", "axis spec '=8': ", "missing axis name");

    /* out of range, at each end */
    refused("T=0", "T", "0 is out of range 1..2^31");
    refused("T=-1", "T", "-1 is out of range");
    refused("T=2147483649", "T", "out of range 1..2^31");
    refused("T=2^32", "T", "2^32 is out of range");
    refused("N=2^41", "N", "out of range 1..2^40");
    refused("vec=17", "vec", "17 is out of range 0..16");
    refused("block=65537", "block", "out of range 0..65536");
    refused("threads=4097", "threads", "out of range 1..4096");
    refused("npt=65", "npt", "out of range 0..64");
    refused("unroll=-1", "unroll", "out of range 0..64");
    refused("threads=0", "threads", "out of range 1..4096");
    /* 0 is the default for block and the knobs, as sweep --help and the README say */
    parses_ints("block=0", "block", INTS(0));
    parses_ints("vec=0,4", "vec", INTS(0, 4));
    refused("B=[1:2^32:2^31]", "B", "out of range"); /* 1, 2^31 + 1 */
    refused("vec=[1:32:pow2]", "vec", "[1:32:pow2]: 32 is out of range 0..16");
    parses_ints("block=65536", "block", INTS(65536));
    parses_ints("B=2^31", "B", INTS(INT64_C(1) << 31));

    /* repeated, empty */
    refused("T=8,16,8", "T", "value 8 is repeated");
    refused("T=8,2^3", "T", "repeated");
    refused("direction=fwd,bwd,fwd", "direction", "'fwd' is repeated");
    refused("T=", "T", "no values");
    refused("T=[]", "T", "empty list");
    refused("T=[ ]", "T", "empty list");
    refused("T=8,,16", "T", "empty value");
    refused("T=8,", "T", "empty value");
    refused("family=,fused", "family", "empty value");

    /* bad ranges */
    refused("T=[16:8:1]", "T", "start is greater than stop");
    refused("T=[8:16:0]", "T", "step must be > 0");
    refused("T=[8:16:-2]", "T", "step must be > 0");
    refused("T=[0:16:pow2]", "T", "pow2 range needs start > 0");
    refused("T=[-4:16:pow2]", "T", "pow2 range needs start > 0");
    refused("T=[8:128:pow3]", "T", "[8:128:pow3]: unknown range step 'pow3' (a number or pow2)");
    refused("T=[8:]", "T", "expected [start:stop:step]");
    refused("T=[8:16]", "T", "expected [start:stop:step]");
    refused("T=[8:16:2:4]", "T", "expected [start:stop:step]");
    refused("T=[8:16:]", "T", "unknown range step ''");
    refused("T=[:16:2]", "T", "start '' is not an integer");
    refused("T=[x:16:2]", "T", "start 'x' is not an integer");
    refused("T=[8:y:2]", "T", "stop 'y' is not an integer");
    refused("family=[a:b:1]", "family", "ranges apply only to integer axes");

    /* too many values: refused before anything is allocated */
    refused("T=[1:4097:1]", "T", "more than 4096 values");
    refused("N=[1:2^40:1]", "N", "more than 4096 values");
    refused("N=[1:9223372036854775807:1]", "N", "more than 4096 values");
    refused("N=[-9223372036854775808:9223372036854775807:1]", "N", "more than 4096 values"); /* 2^64 values */

    /* overflow never wraps */
    refused("T=2^63", "T", "exponent outside 0..62");
    refused("T=2^99999999999999999999", "T", "exponent outside 0..62");
    refused("T=99999999999999999999", "T", "'99999999999999999999' does not fit in a 64-bit integer");
    refused("T=-99999999999999999999", "T", "does not fit in a 64-bit integer");
    refused("T=[1:99999999999999999999:1]", "T", "stop '99999999999999999999' does not fit");
    refused("T=[1:8:99999999999999999999]", "T", "step '99999999999999999999' does not fit");
    refused("N=9223372036854775807", "N", "out of range"); /* INT64_MAX itself parses */

    /* garbage */
    refused("T=[8:", "T", "lacks a closing ']'");
    refused("T=[8,16", "T", "lacks a closing ']'");
    refused("T=8]", "T", "'8]' is not an integer");
    refused("T=abc", "T", "'abc' is not an integer (decimal or 2^k)");
    refused("T=8x", "T", "'8x' is not an integer");
    refused("T=2^", "T", "'2^' is not an integer");
    refused("T=2^-1", "T", "is not an integer");
    refused("T=0x10", "T", "is not an integer");
    refused("T=+8", "T", "is not an integer");
    refused("T=1 6", "T", "'1 6' is not an integer");
    refused("T=8:16:2", "T", "is not an integer"); /* a range needs its brackets */
    refused("T=[[8]]", "T", "'[8]' is not an integer");
    refused("family=a b", "family", "character ' '");
    refused("family=[fused,[x]]", "family", "character '['");
    refused("direction=fwd;bwd", "direction", "character ';'");

    /* string length: 63 characters pass, 64 do not */
    char spec[128], want[64];
    memset(want, 'x', 63);
    want[63] = '\0';
    snprintf(spec, sizeof spec, "form=%s", want);
    parses_strings(spec, "form", STRS(want));
    snprintf(spec, sizeof spec, "form=%sy", want);
    refused(spec, "form", "longer than 63 characters");

    /* a newline in the spec does not make the message two lines */
    refused_as("foo\n=8", "axis spec 'foo", "unknown axis");
}

static void messages_and_memory(void)
{
    sf_axis a;
    char err[8];
    memset(err, 'z', sizeof err);
    CHECK(sf_axis_parse("T=0", &a, err, sizeof err) == -1, "T=0 accepted");
    CHECK(memchr(err, '\0', sizeof err) != NULL && strcmp(err, "axis T:") == 0, "small buffer: '%.8s'", err);
    err[0] = 'z';
    CHECK(sf_axis_parse("T=0", &a, err, 1) == -1 && err[0] == '\0', "one-byte buffer");
    CHECK(sf_axis_parse("T=0", &a, NULL, 0) == -1, "no buffer");
    CHECK(sf_axis_parse(NULL, &a, err, sizeof err) == -1, "NULL spec accepted");
    CHECK(sf_axis_parse("T=8", NULL, err, sizeof err) == -1, "NULL result accepted");

    /* free: safe on a zeroed struct, twice, and after an error */
    sf_axis zero;
    memset(&zero, 0, sizeof zero);
    sf_axis_free(&zero);
    sf_axis_free(&zero);
    sf_axis_free(NULL);
    char big[256];
    CHECK(sf_axis_parse("direction=fwd,bwd", &a, big, sizeof big) == 0, "%s", big);
    sf_axis_free(&a);
    CHECK(a.count == 0 && a.strings == NULL && a.ints == NULL, "free leaves pointers");
    sf_axis_free(&a);
    /* errors after some values were already kept (LeakSanitizer checks they are freed) */
    CHECK(sf_axis_parse("direction=fwd,bwd,b@d", &a, big, sizeof big) == -1, "b@d accepted");
    CHECK(sf_axis_parse("T=8,16,32,8", &a, big, sizeof big) == -1, "repeat accepted");
    CHECK(sf_axis_parse("vec=[1:32:1]", &a, big, sizeof big) == -1, "vec 1..32 accepted");
    sf_axis_free(&a);

    sf_axis_kind kind = SF_AXIS_STRING;
    CHECK(sf_axis_known("T", &kind) && kind == SF_AXIS_INT, "T");
    CHECK(sf_axis_known("threads", &kind) && kind == SF_AXIS_INT, "threads");
    CHECK(sf_axis_known("form", &kind) && kind == SF_AXIS_STRING, "form");
    CHECK(sf_axis_known("direction", NULL), "direction, no kind");
    CHECK(!sf_axis_known("foo", &kind) && !sf_axis_known("", NULL) && !sf_axis_known(NULL, NULL), "unknown names");
}

int main(void)
{
    single_values();
    lists();
    ranges();
    errors();
    messages_and_memory();
    return sf_test_summary();
}
