/* The command as a user runs it: .npy in, .npy out, checked against the reference; bad input gets one
 * line on stderr and a non-zero exit. argv[1]: the spikefuse binary, argv[2]: a scratch folder. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "npy.h"
#include "reproduce.h"
#include "sweep.h"
#include "test_util.h"
#include "tuning.h"

static char dir[2048];

#define path_of sf_test_path

#define sh sf_test_sh
#define slurp sf_test_slurp

/* A refusal: non-zero exit and exactly one line on stderr, naming the problem. */
static void refused(const char *what, const char *expect, const char *fmt, ...)
{
    char args[3000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    const int code = sh("%s", args);
    const char *err = slurp("stderr");
    int lines = 0;
    for (const char *c = err; *c; ++c)
        lines += *c == '\n';
    CHECK(code != 0, "%s: exit 0", what);
    CHECK(lines == 1 && strncmp(err, "spikefuse: error: ", 18) == 0, "%s: stderr was '%s'", what, err);
    CHECK(strstr(err, expect) != NULL, "%s: stderr '%s' lacks '%s'", what, err, expect);
}

/* A usage error: exit 2 and one line on stderr that says `expect`. */
static void usage_error(const char *what, const char *expect, const char *args)
{
    const int code = sh("%s", args);
    const char *err = slurp("stderr");
    CHECK(code == 2, "%s ('%s'): exit %d, want 2 (%s)", what, args, code, err);
    CHECK(strchr(err, '\n') == err + strlen(err) - 1 && strstr(err, expect), "%s ('%s'): stderr '%s' lacks '%s'", what,
          args, err, expect);
}

/* Every subcommand reads its options through the one table-driven parser: the same errors, the same
 * forms. `value_option` takes a value; `with_equals` gives an option as --name=value and `answer` is
 * what the command then says (on stdout, or stderr where it refuses the value, which it could only
 * have read through the '='). */
static void test_parsing_alike(void)
{
    const struct {
        const char *command, *value_option, *with_equals, *answer;
    } cases[] = {
        {"list", "--family", "list --family=fused --direction=bwd", "fused_bwd"},
        {"run", "--out-dir", "run --family=nope --out-dir=/tmp", "no kernel of family 'nope'"},
        {"verify", "--T", "verify --backend=cpu --T=0", "--T: '0' is not an integer in 1.."},
        {"device", "--backend", "device --backend=cpu --slug", "cpu-"},
        {"sweep", "-a", "sweep --max-states=-1 --out x.json", "--max-states: '-1' is not an integer in 0.."},
        {"report", "--csv", "report --dat=/nonexistent-dir /nonexistent.json", "/nonexistent.json"},
        {"reproduce", "--timeout", "reproduce --timeout=0", "--timeout must be > 0"},
        {"compare", "--alpha", "compare a.json b.json --alpha=1", "--alpha must be in (0, 1)"},
        {"check", "--gates", "check --gates=/nonexistent-gates.json r.json", "/nonexistent-gates.json"},
        {"tune", "--budget", "tune --family fused --budget=0", "--budget: '0' is not an integer in 1..1048576"},
        {"storage-cost", "--dtype", "storage-cost --dtype=bf16 --T=4 --M=256", "| bf16 | 4 | 1024 |"},
    };
    char args[256], expect[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        const char *cmd = cases[i].command;
        snprintf(args, sizeof args, "%s --bogus", cmd);
        snprintf(expect, sizeof expect, "%s: ", cmd);
        usage_error("unknown option", expect, args);
        CHECK(strstr(slurp("stderr"), "'--bogus'"), "%s --bogus: %s", cmd, slurp("stderr"));
        snprintf(args, sizeof args, "%s %s", cmd, cases[i].value_option);
        snprintf(expect, sizeof expect, "%s: %s needs a value", cmd, cases[i].value_option);
        usage_error("missing value", expect, args);
        sh("%s", cases[i].with_equals);
        CHECK(strstr(slurp("stdout"), cases[i].answer) || strstr(slurp("stderr"), cases[i].answer),
              "'%s' lacks '%s': %s%s", cases[i].with_equals, cases[i].answer, slurp("stdout"), slurp("stderr"));
        snprintf(args, sizeof args, "%s --help", cmd);
        snprintf(expect, sizeof expect, "usage: spikefuse %s", cmd);
        CHECK(sh("%s", args) == 0 && strncmp(slurp("stdout"), expect, strlen(expect)) == 0 &&
                  strstr(slurp("stdout"), "\nOptions:\n  -"),
              "%s: %s", args, slurp("stdout"));
    }
    /* the options' lines come from the tables, their defaults from the configs the commands start from */
    CHECK(sh("sweep --help") == 0 && strstr(slurp("stdout"), "--min-samples N            samples at least (default 10)"),
          "sweep --help: %s", slurp("stdout"));
    CHECK(sh("tune --help") == 0 && strstr(slurp("stdout"), "--min-samples N            samples at least (default 5)") &&
              strstr(slurp("stdout"), "--decay K"),
          "tune --help: %s", slurp("stdout"));
    /* flags take no value: --json=1 is not --json */
    usage_error("a flag with a value", "unexpected '--json=1'", "device --backend cpu --json=1");
}

/* A name not in its table is SF_ERR_UNKNOWN, and that status (not the message's wording) makes it a
 * usage error (2); other refusals of the same calls stay failures (1). */
static void test_unknown_names(void)
{
    sf_direction d;
    sf_tune_strategy st;
    CHECK(sf_direction_parse("sideways", &d) == SF_ERR_UNKNOWN, "direction: %s", sf_last_error());
    CHECK(sf_tune_strategy_parse("greedy", &st) == SF_ERR_UNKNOWN, "strategy: %s", sf_last_error());
    CHECK(sf_reproduce_check_parts("paper-fig5,nope") == SF_ERR_UNKNOWN, "part: %s", sf_last_error());
    CHECK(strcmp(sf_status_name(SF_ERR_UNKNOWN), "unknown status") != 0, "SF_ERR_UNKNOWN has no name");
    sf_sweep_config c;
    sf_sweep_config_init(&c);
    CHECK(sf_sweep_load_preset(&c, "no-such-preset") == SF_ERR_UNKNOWN, "preset: %s", sf_last_error());
    char err[256];
    CHECK(sf_sweep_add_axis(&c, "family=lava", err, sizeof err) == 0, "%s", err);
    c.out_json = path_of("never.json");
    CHECK(sf_sweep_run(&c) == SF_ERR_UNKNOWN && strstr(sf_last_error(), "'lava'"), "family: %s", sf_last_error());
    sf_sweep_config_free(&c);

    usage_error("tune, unknown family", "unknown family 'lava'", "tune --family lava --db /tmp/never.json");
    usage_error("tune, unknown form", "form 'sideways'", "tune --family fused --form sideways --db /tmp/never.json");
    usage_error("sweep, unknown reference family", "unknown reference family 'lava'",
                "sweep --reference-family lava --out /tmp/never.json");
    CHECK(sh("tune --family fused") == 1 && strstr(slurp("stderr"), "no database"), "tune without --db: %s",
          slurp("stderr"));
    usage_error("storage-cost, unknown dtype", "unknown storage type 'fp8'", "storage-cost --dtype fp8");
}

/* storage-cost: a row per dtype and T, and the same rows as JSON, written atomically */
static void test_storage_cost(void)
{
    CHECK(sh("storage-cost --dtype bf16,f16 --T 2,8 --M 512 --json %s", path_of("cost.json")) == 0 &&
              strstr(slurp("stdout"), "| bf16 | 8 | 4096 |") && strstr(slurp("stdout"), "| f16 | 2 | 1024 |"),
          "storage-cost: %s%s", slurp("stdout"), slurp("stderr"));
    cJSON *j = NULL;
    CHECK_OK(sf_json_read_file(path_of("cost.json"), &j));
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(j, "rows");
    CHECK(cJSON_GetArraySize(rows) == 4 &&
              cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(rows, 3), "grad_x_rel_err")),
          "storage-cost JSON: %d rows", cJSON_GetArraySize(rows));
    cJSON_Delete(j);
}

static sf_npy load(const char *name)
{
    sf_npy a;
    CHECK_OK(sf_npy_read(path_of(name), &a));
    return a;
}

/* A file `run` wrote, read as it is: its dtype and shape checked. */
static sf_npy load_as(const char *name, const char *descr, int ndim, const int64_t *shape)
{
    sf_npy a;
    memset(&a, 0, sizeof a);
    CHECK_OK(sf_npy_read_as(path_of(name), SF_NPY_U1 | SF_NPY_F2 | SF_NPY_BF16, &a));
    CHECK(strcmp(a.descr, descr) == 0, "%s: dtype %s, want %s", name, a.descr, descr);
    CHECK(a.ndim == ndim && memcmp(a.shape, shape, sizeof(int64_t) * (size_t)ndim) == 0, "%s: shape", name);
    return a;
}

static int same_floats(const sf_npy *a, const sf_npy *b)
{
    return a->count == b->count && memcmp(a->data, b->data, (size_t)a->count * sizeof(float)) == 0;
}

/* numpy's packbits(y.reshape(T, -1), axis=-1, bitorder='little') of float spikes, written out by hand */
static int packbits_equal(const sf_npy *packed, const float *y, int64_t T, int64_t M)
{
    const int64_t row = (M + 7) / 8;
    for (int64_t t = 0; t < T; ++t)
        for (int64_t j = 0; j < row; ++j) {
            unsigned byte = 0;
            for (int b = 0; b < 8 && 8 * j + b < M; ++b)
                byte |= (unsigned)(y[t * M + 8 * j + b] != 0.0f) << b;
            if ((float)byte != packed->data[t * row + j])
                return 0;
        }
    return 1;
}

/* A forward at a narrow storage, as its files hold it (nat/) and as float32 (f32/): the files hold the
 * stored bits, which widen to the float32 files' values exactly; packed spikes are numpy's packbits. */
static void narrow_forward(const char *kernel, const char *input, const char *out, const char *state_descr,
                           const char *spikes_descr, int64_t T, const int64_t *shape)
{
    const int64_t M = shape[1] * shape[2], packed_shape[2] = {T, (M + 7) / 8};
    const int packed = strcmp(spikes_descr, "packed") == 0;
    CHECK(sh("run --kernel %s --input %s --out-dir %s/nat", kernel, input, path_of(out)) == 0, "%s: %s", kernel,
          slurp("stderr"));
    CHECK(strstr(slurp("stdout"), state_descr) != NULL, "%s prints no '%s': %s", kernel, state_descr,
          slurp("stdout"));
    CHECK(sh("run --kernel %s --float32 --input %s --out-dir %s/f32", kernel, input, path_of(out)) == 0, "%s: %s",
          kernel, slurp("stderr"));
    char name[256];
    snprintf(name, sizeof name, "%s/nat/y.npy", out);
    sf_npy y = load_as(name, "|u1", packed ? 2 : 3, packed ? packed_shape : shape);
    snprintf(name, sizeof name, "%s/nat/v.npy", out);
    sf_npy v = load_as(name, state_descr, 3, shape);
    snprintf(name, sizeof name, "%s/f32/y.npy", out);
    sf_npy yf = load_as(name, "<f4", 3, shape);
    snprintf(name, sizeof name, "%s/f32/v.npy", out);
    sf_npy vf = load_as(name, "<f4", 3, shape);
    double spikes = 0;
    for (int64_t i = 0; i < T * M; ++i)
        spikes += yf.data[i];
    CHECK(spikes > 0 && spikes < T * M, "%s: %g spikes of %lld", kernel, spikes, (long long)(T * M));
    CHECK(packed ? packbits_equal(&y, yf.data, T, M) : same_floats(&y, &yf), "%s: y.npy differs from float32's",
          kernel);
    CHECK(same_floats(&v, &vf), "%s: v.npy does not widen to the float32 file's", kernel);
    sf_npy_free(&y), sf_npy_free(&v), sf_npy_free(&yf), sf_npy_free(&vf);
}

/* The backward fed the forward's own files (with the flags they need) and fed the float32 ones: the
 * same gradient, bit for bit, at the kernel's storage; and the reference's, within that storage. */
static void narrow_backward(const char *kernel, const char *fwd, const char *flags, const char *descr,
                            const float *gy, int64_t T, const int64_t *shape)
{
    const int64_t M = shape[1] * shape[2];
    char dir[256], name[256];
    snprintf(dir, sizeof dir, "%s/nat", fwd);
    CHECK(sh("run --kernel %s %s --grad-y %s --spikes %s/y.npy --v %s/v.npy --out-dir %s/bnat", kernel, flags,
             path_of("gy.npy"), path_of(dir), path_of(dir), path_of(fwd)) == 0,
          "%s on native files: %s", kernel, slurp("stderr"));
    snprintf(dir, sizeof dir, "%s/f32", fwd);
    CHECK(sh("run --kernel %s --grad-y %s --spikes %s/y.npy --v %s/v.npy --out-dir %s/bf32", kernel,
             path_of("gy.npy"), path_of(dir), path_of(dir), path_of(fwd)) == 0,
          "%s on float32 files: %s", kernel, slurp("stderr"));
    snprintf(name, sizeof name, "%s/bnat/gx.npy", fwd);
    sf_npy g = load_as(name, descr, 3, shape);
    snprintf(name, sizeof name, "%s/bf32/gx.npy", fwd);
    sf_npy gf = load_as(name, descr, 3, shape);
    CHECK(same_floats(&g, &gf), "%s: the native files' gradient differs from the float32 files'", kernel);
    snprintf(name, sizeof name, "%s/f32/y.npy", fwd);
    sf_npy y = load_as(name, "<f4", 3, shape);
    snprintf(name, sizeof name, "%s/f32/v.npy", fwd);
    sf_npy v = load_as(name, "<f4", 3, shape);
    const sf_kernel *k = sf_kernel_find(kernel);
    float *gq = malloc((size_t)(T * M) * sizeof *gq);
    memcpy(gq, gy, (size_t)(T * M) * sizeof *gq);
    sf_storage_quantize(k->storage, gq, T * M);
    const sf_lif_params p = sf_lif_defaults();
    const sf_check_report r = sf_check_backward(gq, y.data, v.data, T, M, &p, g.data, sf_tolerance_for(k));
    CHECK(sf_check_passed(&r), "%s via native files: %lld mismatches", kernel, (long long)r.mismatches);
    free(gq);
    sf_npy_free(&g), sf_npy_free(&gf), sf_npy_free(&y), sf_npy_free(&v);
}

/* A folder for verify --outputs, name/, of copies of x, y, v, gy and gx (paths under the test folder). */
static void judge_dir(const char *name, const char *x, const char *y, const char *v, const char *gy, const char *gx)
{
    const char *src[] = {x, y, v, gy, gx}, *dst[] = {"x.npy", "y.npy", "v.npy", "gy.npy", "gx.npy"};
    mkdir(path_of(name), 0777);
    for (int i = 0; i < 5; ++i) {
        char cmd[8192], to[4096];
        snprintf(to, sizeof to, "%s/%s", path_of(name), dst[i]);
        snprintf(cmd, sizeof cmd, "cp '%s' '%s'", path_of(src[i]), to);
        CHECK(system(cmd) == 0, "%s", cmd);
    }
}

/* verify --outputs judges files at the storage `run` writes them (bf16 bits, packed spikes, f16) by that
 * storage's model: passes with --dtype, fails by fp32's rules, refuses the files without their flags. */
static void judge_narrow_files(void)
{
    judge_dir("b1/judge", "x.npy", "b1/nat/y.npy", "b1/nat/v.npy", "gy.npy", "b1/bnat/gx.npy");
    const char *d = path_of("b1/judge");
    CHECK(sh("verify --outputs %s --dtype bf16 --bf16-bits --packed-spikes", d) == 0 && strstr(slurp("stdout"), "passed") &&
              strstr(slurp("stdout"), "dtype bf16"),
          "bf16 files with packed spikes: %s%s", slurp("stdout"), slurp("stderr"));
    CHECK(sh("verify --outputs %s --bf16-bits --packed-spikes", d) == 1 && strstr(slurp("stdout"), "FAILED"),
          "bf16 files judged by fp32's storage model must fail: %s", slurp("stdout"));
    refused("verify --outputs, bf16 bits without --bf16-bits", "--bf16-bits",
            "verify --outputs %s --dtype bf16 --packed-spikes", d);
    refused("verify --outputs, packed spikes without --packed-spikes", "give --packed-spikes",
            "verify --outputs %s --dtype bf16 --bf16-bits", d);
    judge_dir("h/judge", "x.npy", "h/nat/y.npy", "h/nat/v.npy", "gy.npy", "h/bnat/gx.npy");
    CHECK(sh("verify --outputs %s --dtype f16 --json", path_of("h/judge")) == 0 &&
              strstr(slurp("stdout"), "\"dtype\":\t\"f16\""),
          "f16 files: %s%s", slurp("stdout"), slurp("stderr"));
    CHECK(sh("verify --outputs %s", path_of("h/judge")) == 1, "f16 files judged by fp32's storage model must fail: %s",
          slurp("stdout"));
    usage_error("verify --dtype without --outputs", "describe --outputs DIR", "verify --dtype bf16");
}

/* Packed and 16-bit files: refused where a flag is missing or the packed shape is wrong. */
static void narrow_refusals(int64_t T, const int64_t *shape)
{
    const int64_t M = shape[1] * shape[2], row = (M + 7) / 8;
    const char *bwd = "run --kernel fused_bwd_grad_bf16_yb1_v8_n1_u1";
    char gy[4096], want[64]; /* path_of's buffers rotate */
    snprintf(gy, sizeof gy, "%s", path_of("gy.npy"));
    CHECK(sh("%s --packed-spikes --grad-y %s --spikes %s --v %s --out-dir %s", bwd, gy, path_of("b1/nat/y.npy"),
             path_of("b1/nat/v.npy"), path_of("never")) == 1 && strstr(slurp("stderr"), "--bf16-bits"),
          "'<u2' without --bf16-bits: %s", slurp("stderr"));
    refused("packed spikes without --packed-spikes", "give --packed-spikes",
            "%s --bf16-bits --grad-y %s --spikes %s --v %s --out-dir %s", bwd, gy, path_of("b1/nat/y.npy"),
            path_of("b1/nat/v.npy"), path_of("never"));
    snprintf(want, sizeof want, "[T, ceil(M/8)] = [%lld, %lld]", (long long)T, (long long)row);
    refused("float spikes as packed", want, "%s --packed-spikes --grad-y %s --spikes %s --v %s --out-dir %s", bwd,
            gy, path_of("b1/f32/y.npy"), path_of("b1/f32/v.npy"), path_of("never"));
    /* the right bytes in the wrong shapes, and a bit set past M (M % 8 != 0 here) */
    sf_npy y;
    CHECK_OK(sf_npy_read_spikes(path_of("b1/nat/y.npy"), &y));
    uint8_t *bytes = malloc((size_t)(T * row));
    for (int64_t i = 0; i < T * row; ++i)
        bytes[i] = (uint8_t)y.data[i];
    const int64_t short_row[2] = {T, row - 1}, flat[1] = {T * row}, right[2] = {T, row};
    CHECK_OK(sf_npy_write_u1(path_of("short.npy"), bytes, 2, short_row));
    CHECK_OK(sf_npy_write_u1(path_of("flat_packed.npy"), bytes, 1, flat));
    bytes[row - 1] |= 0x80;
    CHECK_OK(sf_npy_write_u1(path_of("padded.npy"), bytes, 2, right));
    char short_shape[64], flat_shape[64];
    snprintf(short_shape, sizeof short_shape, "[%lld, %lld]", (long long)T, (long long)(row - 1));
    snprintf(flat_shape, sizeof flat_shape, "[%lld]", (long long)(T * row));
    const char *bad[][2] = {{"short.npy", short_shape}, {"flat_packed.npy", flat_shape}, {"padded.npy", "past M"}};
    for (int i = 0; i < 3; ++i)
        refused(bad[i][0], bad[i][1], "%s --packed-spikes --grad-y %s --spikes %s --v %s --out-dir %s", bwd, gy,
                path_of(bad[i][0]), path_of("b1/f32/v.npy"), path_of("never"));
    usage_error("--packed-spikes on a forward", "--packed-spikes",
                "run --kernel fused_fwd_train_bf16_yb1_v8_n1_u1 --packed-spikes --input /none --out-dir /tmp");
    CHECK(sh("run --help") == 0 && strstr(slurp("stdout"), "--bf16-bits") && strstr(slurp("stdout"), "--float32") &&
              strstr(slurp("stdout"), "bitorder='little'"),
          "run --help: %s", slurp("stdout"));
    free(bytes);
    sf_npy_free(&y);
}

/* One neuron: a row of packed words takes as many bytes as a float, and --float32 still converts it. */
static void single_neuron(const float *x, int64_t T, int64_t M)
{
    float *column = malloc((size_t)T * sizeof *column);
    for (int64_t t = 0; t < T; ++t)
        column[t] = x[t * M];
    const int64_t shape[2] = {T, 1};
    CHECK_OK(sf_npy_write(path_of("column.npy"), column, 2, shape));
    const char *fwd = "run --kernel fused_fwd_train_bf16_yb1_v8_n1_u1";
    CHECK(sh("%s --input %s --out-dir %s", fwd, path_of("column.npy"), path_of("one")) == 0 &&
              sh("%s --float32 --input %s --out-dir %s", fwd, path_of("column.npy"), path_of("onef")) == 0,
          "one neuron: %s", slurp("stderr"));
    sf_npy p = load_as("one/y.npy", "|u1", 2, shape), y = load_as("onef/y.npy", "<f4", 2, shape);
    CHECK(same_floats(&p, &y), "one neuron: packed and float32 spikes differ");
    sf_npy_free(&p), sf_npy_free(&y);
    free(column);
}

/* run at bf16 (packed spikes) and f16 (byte spikes) storage: files at the storage, fed back. */
static void test_narrow_files(const float *x, const float *gy, int64_t T, const int64_t *shape)
{
    mkdir(path_of("b1"), 0777), mkdir(path_of("h"), 0777);
    narrow_forward("fused_fwd_train_bf16_yb1_v8_n1_u1", path_of("x.npy"), "b1", "<u2", "packed", T, shape);
    narrow_backward("fused_bwd_grad_bf16_yb1_v8_n1_u1", "b1", "--packed-spikes --bf16-bits", "<u2", gy, T, shape);
    /* an f16 forward fed '<f2' (its own v.npy) and '<f4' of the same values: alike, nothing rounds */
    narrow_forward("fused_fwd_train_f16_yu8_v8_n1_u1", path_of("x.npy"), "h", "<f2", "|u1", T, shape);
    narrow_backward("fused_bwd_grad_f16_yu8_v8_n1_u1", "h", "", "<f2", gy, T, shape);
    judge_narrow_files();
    CHECK(sh("run --kernel fused_fwd_train_f16_yu8_v8_n1_u1 --input %s --out-dir %s", path_of("h/nat/v.npy"),
             path_of("h/in16")) == 0 &&
              sh("run --kernel fused_fwd_train_f16_yu8_v8_n1_u1 --input %s --out-dir %s", path_of("h/f32/v.npy"),
                 path_of("h/in32")) == 0,
          "f16 forward of '<f2' and '<f4' inputs: %s", slurp("stderr"));
    sf_npy a = load_as("h/in16/v.npy", "<f2", 3, shape), b = load_as("h/in32/v.npy", "<f2", 3, shape);
    CHECK(same_floats(&a, &b), "an '<f2' input and the '<f4' of its values run differently");
    sf_npy_free(&a), sf_npy_free(&b);
    single_neuron(x, T, shape[1] * shape[2]);
    narrow_refusals(T, shape);
}

/* keep=recompute through files: a ckpt forward's v.npy holds the fp32 checkpoints ([ceil(T/chunk), B, N],
 * float32 whatever the dtype), and a grad_ckpt backward fed them, x and dL/dy gives the gradient of
 * fused_fwd_train + fused_bwd_grad bit for bit (the replay recomputes the very floats the forward fired
 * on); at bf16 it passes the reference's replayed check. Bad checkpoints and spikes are refused. */
static void test_checkpoints(void)
{
    enum { T = 37, B = 3, N = 37, M = B * N };
    const int64_t shape[3] = {T, B, N};
    static float x[T * M], gy[T * M], ckpt[T * M];
    sf_fill_uniform(x, T * M, 17, -0.4f, 0.8f);
    sf_fill_uniform(gy, T * M, 18, -1.0f, 1.0f);
    mkdir(path_of("ck"), 0777);
    CHECK_OK(sf_npy_write(path_of("ck/x.npy"), x, 3, shape));
    CHECK_OK(sf_npy_write(path_of("ck/gy.npy"), gy, 3, shape));
    char xp[4096], gp[4096];
    snprintf(xp, sizeof xp, "%s", path_of("ck/x.npy"));
    snprintf(gp, sizeof gp, "%s", path_of("ck/gy.npy"));
    const char *surrogates[] = {"rect", "sigmoid"};
    /* the same pairs under both surrogates: the family's defaults (chunk 16: 3 rows, the last of 5
     * steps) and chunk 8 with packed spikes (5 rows, the last of 5 steps) */
    const struct {
        const char *fwd, *bwd;
        int chunk;
    } pairs[] = {
        {"--family fused --form ckpt", "--family fused --direction bwd --form grad_ckpt", 16},
        {"--kernel fused_fwd_ckpt_f32_yb1_v1_n1_u1_c8 --float-spikes", "--kernel fused_bwd_grad_ckpt_f32_v1_n1_u1_c8", 8},
    };
    for (int s = 0; s < 2; ++s) {
        CHECK(sh("run --kernel fused_fwd_train_f32_v1_n1_u1 --input %s --out-dir %s", xp, path_of("ck/t")) == 0 &&
                  sh("run --kernel fused_bwd_grad_f32_v1_n1_u1 --surrogate %s --grad-y %s --spikes %s --v %s --out-dir %s",
                     surrogates[s], gp, path_of("ck/t/y.npy"), path_of("ck/t/v.npy"), path_of("ck/tb")) == 0,
              "train + grad: %s", slurp("stderr"));
        sf_npy ty = load_as("ck/t/y.npy", "<f4", 3, shape), tv = load_as("ck/t/v.npy", "<f4", 3, shape),
               tg = load_as("ck/tb/gx.npy", "<f4", 3, shape);
        for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; ++i) {
            const int chunk = pairs[i].chunk;
            const int64_t rows = (T + chunk - 1) / chunk, ck_shape[3] = {rows, B, N};
            CHECK(sh("run %s --input %s --out-dir %s", pairs[i].fwd, xp, path_of("ck/f")) == 0, "%s: %s", pairs[i].fwd,
                  slurp("stderr"));
            CHECK(strstr(slurp("stdout"), "checkpoints"), "%s does not say v.npy holds checkpoints: %s", pairs[i].fwd,
                  slurp("stdout"));
            CHECK(sh("run %s --surrogate %s --grad-y %s --x %s --v %s --out-dir %s", pairs[i].bwd, surrogates[s], gp, xp,
                     path_of("ck/f/v.npy"), path_of("ck/b")) == 0,
                  "%s: %s", pairs[i].bwd, slurp("stderr"));
            sf_npy y = load_as("ck/f/y.npy", "<f4", 3, shape), v = load_as("ck/f/v.npy", "<f4", 3, ck_shape),
                   g = load_as("ck/b/gx.npy", "<f4", 3, shape);
            sf_checkpoints_of_trace(tv.data, T, M, chunk, ckpt);
            CHECK(same_floats(&y, &ty), "%s: spikes differ from train's", pairs[i].fwd);
            CHECK(v.count == rows * M && memcmp(v.data, ckpt, (size_t)v.count * sizeof(float)) == 0,
                  "%s: checkpoints are not rows chunk-1, 2 chunk-1, ..., T-1 of train's v trace", pairs[i].fwd);
            CHECK(same_floats(&g, &tg), "%s (%s): gradient differs from fused_fwd_train + fused_bwd_grad's",
                  pairs[i].bwd, surrogates[s]);
            sf_npy_free(&y), sf_npy_free(&v), sf_npy_free(&g);
        }
        sf_npy_free(&ty), sf_npy_free(&tv), sf_npy_free(&tg);
    }

    /* verify --outputs --chunk judges the last pair's files (chunk 8, sigmoid) as checkpoints and a replay;
     * other chunks or none refuse them, a planted checkpoint or gradient fails */
    judge_dir("ck/judge", "ck/x.npy", "ck/f/y.npy", "ck/f/v.npy", "ck/gy.npy", "ck/b/gx.npy");
    const char *jd = path_of("ck/judge");
    CHECK(sh("verify --outputs %s --chunk 8 --surrogate sigmoid", jd) == 0 &&
              strstr(slurp("stdout"), "membrane checkpoints (one every 8 steps)"),
          "verify --outputs --chunk 8: %s%s", slurp("stdout"), slurp("stderr"));
    CHECK(sh("verify --outputs %s --chunk 8", jd) == 1, "the replayed gradient under the other surrogate must fail: %s",
          slurp("stdout"));
    refused("verify --outputs, checkpoints of another chunk", "[3, 3, 37]", "verify --outputs %s --chunk 16", jd);
    refused("verify --outputs, checkpoints without --chunk", "shape differs", "verify --outputs %s", jd);
    usage_error("verify --outputs --chunk, detached", "does not apply",
                "verify --outputs /nowhere --chunk 8 --reset-grad detached");
    {
        const int64_t c8[3] = {(T + 7) / 8, B, N};
        sf_npy v = load_as("ck/judge/v.npy", "<f4", 3, c8);
        v.data[M + 5] += 0.01f;
        char vp[4096];
        snprintf(vp, sizeof vp, "%s/v.npy", jd);
        CHECK_OK(sf_npy_write(vp, v.data, 3, c8));
        CHECK(sh("verify --outputs %s --chunk 8 --surrogate sigmoid", jd) == 1 && strstr(slurp("stdout"), "FAILED"),
              "a planted checkpoint must fail: %s", slurp("stdout"));
        sf_npy_free(&v);
    }

    /* bf16: the checkpoints stay float32 ('<f4'); x read as the forward read it (rounded to bf16) */
    const int64_t c16[3] = {(T + 15) / 16, B, N};
    CHECK(sh("run --kernel fused_fwd_ckpt_bf16_yu8_v1_n1_u1_c16 --input %s --out-dir %s", xp, path_of("ck/h")) == 0 &&
              sh("run --kernel fused_bwd_grad_ckpt_bf16_v1_n1_u1_c16 --grad-y %s --x %s --v %s --out-dir %s", gp, xp,
                 path_of("ck/h/v.npy"), path_of("ck/hb")) == 0,
          "bf16 ckpt + grad_ckpt: %s", slurp("stderr"));
    {
        sf_npy v = load_as("ck/h/v.npy", "<f4", 3, c16), g = load_as("ck/hb/gx.npy", "<u2", 3, shape);
        const sf_kernel *k = sf_kernel_find("fused_bwd_grad_ckpt_bf16_v1_n1_u1_c16");
        static float xq[T * M], gq[T * M];
        memcpy(xq, x, sizeof xq), memcpy(gq, gy, sizeof gq);
        sf_storage_quantize(SF_STORAGE_BF16, xq, T * M), sf_storage_quantize(SF_STORAGE_BF16, gq, T * M);
        const sf_lif_params p = sf_lif_defaults();
        const sf_check_report r = sf_check_backward_replayed(gq, xq, v.data, T, M, &p, 16, g.data, sf_tolerance_for(k));
        CHECK(k && sf_check_passed(&r) && r.compared == T * M, "bf16 grad_ckpt via files: %lld mismatches of %lld",
              (long long)r.mismatches, (long long)r.compared);
        sf_npy_free(&v), sf_npy_free(&g);
    }
    judge_dir("ck/hjudge", "ck/x.npy", "ck/h/y.npy", "ck/h/v.npy", "ck/gy.npy", "ck/hb/gx.npy");
    CHECK(sh("verify --outputs %s --chunk 16 --dtype bf16 --bf16-bits", path_of("ck/hjudge")) == 0,
          "verify --outputs of bf16 ckpt + grad_ckpt files: %s%s", slurp("stdout"), slurp("stderr"));

    /* refusals: a whole trace or other neurons as checkpoints, spikes, no x, x where none is read */
    const char *bwd = "run --family fused --direction bwd --form grad_ckpt";
    refused("a v trace as checkpoints", "a whole v trace", "%s --grad-y %s --x %s --v %s --out-dir %s", bwd, gp, xp,
            path_of("ck/t/v.npy"), path_of("never"));
    refused("checkpoints of a chunk of 8 to one of 16", "[3, 3, 37]", "%s --grad-y %s --x %s --v %s --out-dir %s", bwd,
            gp, xp, path_of("ck/f/v.npy"), path_of("never"));
    const int64_t other[3] = {(T + 15) / 16, B, N - 1};
    CHECK_OK(sf_npy_write(path_of("ck/other.npy"), x, 3, other));
    refused("checkpoints of other neurons", "shape must be [ceil(T/chunk), M...]",
            "%s --grad-y %s --x %s --v %s --out-dir %s", bwd, gp, xp, path_of("ck/other.npy"), path_of("never"));
    refused("spikes given to grad_ckpt", "give no --spikes", "%s --grad-y %s --x %s --spikes %s --v %s --out-dir %s",
            bwd, gp, xp, path_of("ck/f/y.npy"), path_of("ck/h/v.npy"), path_of("never"));
    refused("grad_ckpt without x", "give --x", "%s --grad-y %s --v %s --out-dir %s", bwd, gp, path_of("ck/h/v.npy"),
            path_of("never"));
    refused("x given to grad", "reads no x", "run --family fused --direction bwd --grad-y %s --x %s --spikes %s --v %s "
            "--out-dir %s", gp, xp, path_of("ck/t/y.npy"), path_of("ck/t/v.npy"), path_of("never"));
    usage_error("--x and --input apart", "give one of them",
                "run --family fused --form ckpt --x /a.npy --input /b.npy --out-dir /tmp");
    CHECK(sh("%s --grad-y %s --input %s --v %s --out-dir %s", bwd, gp, xp, path_of("ck/h/v.npy"), path_of("ck/bi")) == 0,
          "grad_ckpt with --input for x: %s", slurp("stderr"));
    CHECK(sh("run --help") == 0 && strstr(slurp("stdout"), "ceil(T/chunk)") && strstr(slurp("stdout"), "--x"),
          "run --help says nothing of checkpoints: %s", slurp("stdout"));
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    snprintf(dir, sizeof dir, "%s", argv[2]);
    sf_test_cli_init(argv[1], dir);

    CHECK(sh("list") == 0, "list failed");
    const char *listing = slurp("stdout");
    const char *must[] = {"eager_fwd", "eager_bwd", "step_fwd", "step_bwd", "fused_fwd_train", "fused_fwd_infer",
                          "fused_fwd_segment", "fused_bwd"};
    for (size_t i = 0; i < sizeof must / sizeof must[0]; ++i)
        CHECK(strstr(listing, must[i]) != NULL, "list lacks %s", must[i]);
    CHECK(sh("list --family fused --direction bwd") == 0 && strstr(slurp("stdout"), "fused_bwd") &&
              !strstr(slurp("stdout"), "fused_fwd") && !strstr(slurp("stdout"), "step_"),
          "list --family fused --direction bwd: %s", slurp("stdout"));
    /* the chunk column: a ckpt kernel's chunk, "-" for a kernel that keeps no checkpoints */
    CHECK(sh("list --family fused") == 0 && strstr(slurp("stdout"), " chunk ") &&
              strstr(slurp("stdout"), "fused_bwd_grad_ckpt_f32_v1_n1_u1_c8"),
          "list --family fused: %s", slurp("stdout"));
    {
        /* columns: name family dir form dtype spikes vec npt unroll pf stage chunk ... */
        char ckpt[12][48], train[12][48], ahead[12][48], staged[12][48];
        const char *out = slurp("stdout"), *a = strstr(out, "\nfused_fwd_ckpt_f32_yb1_v1_n1_u1_c8 "),
                   *b = strstr(out, "\nfused_fwd_train_f32_v1_n1_u1 "), *c = strstr(out, "\nfused_fwd_train_f32_v1_n1_u1_p4 "),
                   *d = strstr(out, "\nfused_fwd_train_f32_v1_n1_u1_s8_b256 ");
        const char *fmt = "%47s %47s %47s %47s %47s %47s %47s %47s %47s %47s %47s %47s";
#define COLUMNS(x) x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8], x[9], x[10], x[11]
        CHECK(a && b && c && d && sscanf(a, fmt, COLUMNS(ckpt)) == 12 && sscanf(b, fmt, COLUMNS(train)) == 12 &&
                  sscanf(c, fmt, COLUMNS(ahead)) == 12 && sscanf(d, fmt, COLUMNS(staged)) == 12 &&
                  strcmp(ckpt[3], "ckpt") == 0 && strcmp(ckpt[11], "8") == 0 && strcmp(train[11], "-") == 0 &&
                  strcmp(train[9], "0") == 0 && strcmp(train[10], "0") == 0 && strcmp(ahead[9], "4") == 0 &&
                  strcmp(staged[10], "8") == 0 && strcmp(staged[9], "0") == 0,
              "list's pf, stage and chunk columns: %s", out);
#undef COLUMNS
    }
    CHECK(sh("list --family nope") == 2 && strstr(slurp("stderr"), "unknown family 'nope'") && !slurp("stdout")[0],
          "list --family nope: %s", slurp("stderr"));
    CHECK(sh("list --direction up") == 2 && strstr(slurp("stderr"), "unknown direction"), "list --direction up: %s",
          slurp("stderr"));
    /* verify: bad sizes are one usage error, not one error per kernel */
    CHECK(sh("verify --backend cpu --T 4611686018427387904 --M 4") == 2 && strstr(slurp("stderr"), "overflows") &&
              !strstr(slurp("stdout"), "ERROR"),
          "verify with T x M overflowing: %s", slurp("stderr"));
    CHECK(sh("verify --backend cpu --T 0") == 2, "verify --T 0");
    CHECK(sh("verify --backend cpu --kernel nope") == 2 && strstr(slurp("stderr"), "unknown kernel"), "verify --kernel nope");

    /* device: the CPU's fingerprint, the same key and slug in every form; a bad option is refused */
    CHECK(sh("device --backend cpu") == 0 && strstr(slurp("stdout"), "(cpu backend)"), "device: %s", slurp("stderr"));
    char slug[128] = "", key[64] = "";
    CHECK(sh("device --backend cpu --slug") == 0 && sscanf(slurp("stdout"), "%127s", slug) == 1 &&
              strncmp(slug, "cpu-", 4) == 0,
          "device --slug: '%s'", slurp("stdout"));
    CHECK(sh("device --backend cpu --key") == 0 && sscanf(slurp("stdout"), "%63s", key) == 1 && strlen(key) == 16,
          "device --key: '%s'", slurp("stdout"));
    CHECK(sh("device --backend cpu --json") == 0 && strstr(slurp("stdout"), slug) && strstr(slurp("stdout"), key),
          "device --json lacks the slug or key: %s", slurp("stdout"));
    refused("device, bad option", "unexpected '--bogus'", "device --bogus");
    /* the stopping rule's options: one parser for sweep and tune, so both explain a bad value (tune used
     * to exit 2 silently on --timeout -1) */
    refused("tune, negative timeout", "--timeout must be >= 0", "tune --family fused --timeout -1");
    refused("sweep, negative timeout", "--timeout must be >= 0", "sweep --timeout -1 --out %s", path_of("neg.json"));
    refused("tune, zero min-samples", "--min-samples", "tune --family fused --min-samples 0");
    refused("device, bad backend", "device:", "device --backend tpu");

    /* forward, [T, B, N] input, every family: outputs keep the shape and match the reference */
    enum { T = 9, B = 3, N = 37, M = B * N };
    const int64_t shape[3] = {T, B, N};
    static float x[T * M], gy[T * M], v0[M];
    sf_fill_uniform(x, T * M, 7, -0.4f, 0.8f);
    sf_fill_uniform(gy, T * M, 8, -1.0f, 1.0f);
    sf_fill_uniform(v0, M, 9, -0.5f, 0.8f);
    CHECK_OK(sf_npy_write(path_of("x.npy"), x, 3, shape));
    CHECK_OK(sf_npy_write(path_of("gy.npy"), gy, 3, shape));
    CHECK_OK(sf_npy_write(path_of("v0.npy"), v0, 2, shape + 1));
    const sf_lif_params p = sf_lif_defaults();
    const char *families[] = {"eager", "step", "fused"};
    for (int f = 0; f < 3; ++f) {
        CHECK(sh("run --family %s --input %s --out-dir %s", families[f], path_of("x.npy"), path_of("out")) == 0,
              "run %s: %s", families[f], slurp("stderr"));
        sf_npy y = load("out/y.npy"), v = load("out/v.npy");
        CHECK(y.ndim == 3 && y.shape[0] == T && y.shape[1] == B && y.shape[2] == N, "y shape");
        const sf_check_report r = sf_check_forward(x, NULL, T, M, &p, y.data, v.data, NULL, sf_tolerance_default());
        CHECK(r.mismatches == 0 && r.compared > 0, "%s fwd via CLI: %lld mismatches", families[f],
              (long long)r.mismatches);
        /* backward from these saved tensors, sigmoid surrogate */
        CHECK(sh("run --family %s --direction bwd --surrogate sigmoid --grad-y %s --spikes %s --v %s --out-dir %s",
                 families[f], path_of("gy.npy"), path_of("out/y.npy"), path_of("out/v.npy"), path_of("outb")) == 0,
              "bwd %s: %s", families[f], slurp("stderr"));
        sf_npy gx = load("outb/gx.npy");
        sf_lif_params q = p;
        q.surrogate = SF_SURROGATE_SIGMOID;
        const sf_check_report rb =
            sf_check_backward(gy, y.data, v.data, T, M, &q, gx.data, sf_tolerance_default());
        CHECK(rb.mismatches == 0 && rb.compared > 0, "%s bwd via CLI: %lld mismatches", families[f],
              (long long)rb.mismatches);
        sf_npy_free(&y), sf_npy_free(&v), sf_npy_free(&gx);
    }

    /* verify --outputs: fused's outputs (the last of the loop) judged by the reference through the command,
     * as peers/ uses it; a planted gradient fails (1), a missing input is bad input (2) */
    {
        sf_npy y = load("out/y.npy"), v = load("out/v.npy"), gx = load("outb/gx.npy");
        mkdir(path_of("judge"), 0777);
        CHECK_OK(sf_npy_write(path_of("judge/x.npy"), x, 3, shape));
        CHECK_OK(sf_npy_write(path_of("judge/y.npy"), y.data, 3, shape));
        CHECK_OK(sf_npy_write(path_of("judge/v.npy"), v.data, 3, shape));
        CHECK_OK(sf_npy_write(path_of("judge/gy.npy"), gy, 3, shape));
        CHECK_OK(sf_npy_write(path_of("judge/gx.npy"), gx.data, 3, shape));
        CHECK(sh("verify --outputs %s --surrogate sigmoid", path_of("judge")) == 0 && strstr(slurp("stdout"), "passed"),
              "verify --outputs: %s%s", slurp("stdout"), slurp("stderr"));
        CHECK(sh("verify --outputs %s --surrogate sigmoid --json", path_of("judge")) == 0 &&
                  strstr(slurp("stdout"), "\"passed\":\ttrue"),
              "verify --outputs --json: %s", slurp("stdout"));
        CHECK(sh("verify --outputs %s --surrogate sigmoid --reset-grad detached", path_of("judge")) == 1,
              "the detached reference must differ from fused's gradient: %s", slurp("stdout"));
        gx.data[T * M / 2] += 0.01f;
        CHECK_OK(sf_npy_write(path_of("judge/gx.npy"), gx.data, 3, shape));
        CHECK(sh("verify --outputs %s --surrogate sigmoid", path_of("judge")) == 1 && strstr(slurp("stdout"), "FAILED"),
              "a planted gradient: %s", slurp("stdout"));
        remove(path_of("judge/x.npy"));
        refused("verify --outputs without x.npy", "x.npy is missing", "verify --outputs %s", path_of("judge"));
        refused("verify --outputs, bad --reset-grad", "kept or detached", "verify --outputs %s --reset-grad maybe",
                path_of("judge"));
        sf_npy_free(&y), sf_npy_free(&v), sf_npy_free(&gx);
    }

    /* other constants, infer and segment forms */
    CHECK(sh("run --family fused --form infer --decay 0.5 --threshold 1.0 --rest -0.2 --input %s --out-dir %s",
             path_of("x.npy"), path_of("inf")) == 0,
          "infer: %s", slurp("stderr"));
    sf_npy yi = load("inf/y.npy"), vo = load("inf/v_out.npy");
    CHECK(vo.ndim == 2 && vo.shape[0] == B && vo.shape[1] == N, "v_out shape");
    sf_lif_params c = {0.5f, 1.0f, -0.2f, SF_SURROGATE_RECT, 0.5f, 4.0f};
    sf_check_report r = sf_check_forward(x, NULL, T, M, &c, yi.data, NULL, vo.data, sf_tolerance_default());
    CHECK(r.mismatches == 0 && r.compared > 0, "infer with other constants: %lld mismatches", (long long)r.mismatches);
    sf_npy_free(&yi), sf_npy_free(&vo);
    CHECK(sh("run --family fused --form segment --input %s --v-in %s --out-dir %s --block 32", path_of("x.npy"),
             path_of("v0.npy"), path_of("seg")) == 0,
          "segment: %s", slurp("stderr"));
    sf_npy ys = load("seg/y.npy"), vs = load("seg/v.npy"), so = load("seg/v_out.npy");
    r = sf_check_forward(x, v0, T, M, &p, ys.data, vs.data, so.data, sf_tolerance_default());
    CHECK(r.mismatches == 0 && r.compared > 0, "segment: %lld mismatches", (long long)r.mismatches);
    sf_npy_free(&ys), sf_npy_free(&vs), sf_npy_free(&so);

    /* spikes stored a byte each, and the backward that recomputes them from v: the same arithmetic as the
     * fp32 kernels, so the files must equal theirs bit for bit (out/ and outb/ are fused's, above) */
    CHECK(sh("run --kernel fused_fwd_train_f32_yu8_v4_n1_u1 --input %s --out-dir %s", path_of("x.npy"),
             path_of("u8")) == 0,
          "yu8 forward: %s", slurp("stderr"));
    CHECK(sh("run --kernel fused_bwd_grad_f32_yu8_v4_n1_u1 --surrogate sigmoid --grad-y %s --spikes %s --v %s --out-dir %s",
             path_of("gy.npy"), path_of("u8/y.npy"), path_of("u8/v.npy"), path_of("u8b")) == 0,
          "yu8 backward: %s", slurp("stderr"));
    CHECK(sh("run --kernel fused_bwd_grad_h_f32_v4_n1_u1 --surrogate sigmoid --grad-y %s --v %s --out-dir %s",
             path_of("gy.npy"), path_of("out/v.npy"), path_of("hb")) == 0,
          "grad_h backward: %s", slurp("stderr"));
    CHECK(sh("run --kernel fused_fwd_train_f32_yu8_v4_n1_u1 --float-spikes --input %s --out-dir %s", path_of("x.npy"),
             path_of("u8f")) == 0,
          "yu8 forward, --float-spikes: %s", slurp("stderr"));
    {
        sf_npy y32 = load("out/y.npy"), y8f = load("u8f/y.npy"), g32 = load("outb/gx.npy"), g8 = load("u8b/gx.npy"),
               gh = load("hb/gx.npy"), y8;
        const size_t bytes = (size_t)T * M * sizeof(float);
        /* a byte a spike in the file too ('|u1'), or float32 on request */
        CHECK_OK(sf_npy_read_spikes(path_of("u8/y.npy"), &y8));
        CHECK(strcmp(y8.descr, "|u1") == 0 && y8.count == T * M && memcmp(y32.data, y8.data, bytes) == 0,
              "yu8 forward's uint8 spikes differ from fp32's");
        CHECK(y8f.count == T * M && memcmp(y32.data, y8f.data, bytes) == 0, "--float-spikes differ from fp32's");
        sf_npy_free(&y8f);
        sf_npy plain;
        CHECK(sf_npy_read(path_of("u8/y.npy"), &plain) == SF_ERR_IO && strstr(sf_last_error(), "'|u1'"),
              "a uint8 file where only float32 is taken: %s", sf_last_error());
        /* verify --outputs takes the uint8 spikes as they are */
        char cp[8192];
        snprintf(cp, sizeof cp, "cp '%s' '%s/'", path_of("x.npy"), path_of("u8"));
        CHECK(system(cp) == 0, "%s", cp);
        CHECK(sh("verify --outputs %s", path_of("u8")) == 0 && strstr(slurp("stdout"), "passed"),
              "verify --outputs of uint8 spikes: %s%s", slurp("stdout"), slurp("stderr"));
        CHECK(g8.count == T * M && memcmp(g32.data, g8.data, bytes) == 0, "yu8 backward's gradient differs from fp32's");
        CHECK(gh.count == T * M && memcmp(g32.data, gh.data, bytes) == 0, "grad_h's gradient differs from grad's");
        sf_npy_free(&y32), sf_npy_free(&y8), sf_npy_free(&g32), sf_npy_free(&g8), sf_npy_free(&gh);
    }
    refused("spikes given to grad_h", "recomputes the spikes from v",
            "run --kernel fused_bwd_grad_h_f32_v4_n1_u1 --grad-y %s --spikes %s --v %s --out-dir %s", path_of("gy.npy"),
            path_of("out/y.npy"), path_of("out/v.npy"), path_of("hb"));

    /* refusals */
    FILE *f = fopen(path_of("junk.npy"), "wb");
    fputs("this is not an array", f);
    fclose(f);
    const int64_t flat[1] = {5}, empty_t[2] = {0, 5};
    CHECK_OK(sf_npy_write(path_of("flat.npy"), x, 1, flat));
    CHECK_OK(sf_npy_write(path_of("t0.npy"), x, 2, empty_t));
    const int64_t other[3] = {T, B, N - 1};
    CHECK_OK(sf_npy_write(path_of("other.npy"), x, 3, other));
    refused("malformed .npy", "not a .npy", "run --family fused --input %s --out-dir %s", path_of("junk.npy"), dir);
    refused("1-D input", "[T, M]", "run --family fused --input %s --out-dir %s", path_of("flat.npy"), dir);
    refused("T = 0", "T = 0", "run --family fused --input %s --out-dir %s", path_of("t0.npy"), dir);
    refused("missing input", "No such file", "run --family fused --input %s --out-dir %s", path_of("nope.npy"), dir);
    refused("unknown family", "no kernel of family 'lava'", "run --family lava --input %s --out-dir %s",
            path_of("x.npy"), dir);
    refused("unknown kernel", "unknown kernel", "run --kernel fused_fwd_bogus --input %s --out-dir %s",
            path_of("x.npy"), dir);
    refused("unknown option", "unknown option", "run --family fused --frobnicate 3");
    refused("no out dir", "--out-dir", "run --family fused --input %s", path_of("x.npy"));
    refused("bad number", "not a finite number", "run --family fused --decay abc --input %s --out-dir %s",
            path_of("x.npy"), dir);
    refused("rest above threshold", "below threshold", "run --family fused --rest 0.5 --input %s --out-dir %s",
            path_of("x.npy"), dir);
    refused("unknown surrogate", "unknown surrogate", "run --family fused --surrogate tanh --input %s --out-dir %s",
            path_of("x.npy"), dir);
    refused("bwd shapes differ", "shape differs",
            "run --family fused --direction bwd --grad-y %s --spikes %s --v %s --out-dir %s", path_of("x.npy"),
            path_of("other.npy"), path_of("x.npy"), dir);
    refused("grid too small", "grid-stride", "run --family fused --grid 1 --block 2 --input %s --out-dir %s",
            path_of("x.npy"), dir);
    refused("v-in on a train kernel", "segment", "run --family fused --input %s --v-in %s --out-dir %s",
            path_of("x.npy"), path_of("v0.npy"), dir);
    refused("unknown command", "unknown command", "frobnicate");
    test_narrow_files(x, gy, T, shape);
    test_checkpoints();
    test_parsing_alike();
    test_unknown_names();
    test_storage_cost();
    if (sf_backend_available(SF_BACKEND_CUDA) != SF_OK)
        refused("no device", "backend cuda", "run --family fused --backend cuda --input %s --out-dir %s",
                path_of("x.npy"), dir);
    return sf_test_summary();
}
