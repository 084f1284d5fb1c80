/* The reproduction without a device: the multi-GPU model against Fig. 4's values, the report writer
 * against recorded results (tests/data/reproduce, from `spikefuse reproduce --backend cpu --timeout 0.2`),
 * the crossover T on hand-built rows, the choice of parts,
 * and the plot scripts on those results. argv[1]: tests/data/reproduce, argv[2]: the source tree,
 * argv[3]: a scratch folder, argv[4]: the spikefuse binary. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "json_util.h"
#include "multigpu.h"
#include "reproduce.h"
#include "test_util.h"

static void test_model(void)
{
    /* Fig. 4, r = 64: 1.00, 1.94, 2.74, 3.37, 3.81, 4.09, 4.23, 4.27 */
    static const double fig4[8] = {1.00, 1.94, 2.74, 3.37, 3.81, 4.09, 4.23, 4.27};
    for (int k = 1; k <= 8; ++k)
        CHECK(fabs(round(100 * sf_mu(k, 64)) / 100 - fig4[k - 1]) < 1e-9, "mu(%d, 64) = %.4f, Fig. 4 says %.2f", k,
              sf_mu(k, 64), fig4[k - 1]);
    /* r = 16 peaks at k = 4 with 2.29 */
    int best = 1;
    for (int k = 2; k <= 8; ++k)
        if (sf_mu(k, 16) > sf_mu(best, 16))
            best = k;
    CHECK(best == 4 && fabs(sf_mu(4, 16) - 2.29) < 0.005, "r = 16 peaks at k = %d with %.3f", best, sf_mu(best, 16));
    /* r = 1 falls monotonically */
    for (int k = 2; k <= 8; ++k)
        CHECK(sf_mu(k, 1) < sf_mu(k - 1, 1), "r = 1 rises at k = %d", k);
    /* k* = sqrt(r), mu* = r / (2 sqrt(r) - 1), and mu(k*) = mu* where k* is whole */
    CHECK(sf_mu_k_star(64) == 8 && fabs(sf_mu_peak(64) - 64.0 / 15) < 1e-12 && fabs(sf_mu(8, 64) - sf_mu_peak(64)) < 1e-12,
          "k* and mu*");
}

/* The multi-GPU layer size: the largest of 1,000,000 / 2^j whose layer at T = 4096 fits the memory rule. */
static void test_layer_size(void)
{
    sf_device_info dev;
    CHECK_OK(sf_device_query(SF_BACKEND_CPU, &dev));
    int64_t M = 0;
    CHECK_OK(sf_multigpu_layer_neurons(SF_BACKEND_CPU, &dev, 4096, &M));
    const sf_kernel *k = sf_kernel_default("fused", SF_FWD, "infer", SF_BACKEND_CPU);
    const double limit = sf_trial_memory_limit(SF_BACKEND_CPU, &dev), host_x = 4096.0 * k->elem_bytes;
    CHECK(M >= 1024 && M <= 1000000, "M = %lld", (long long)M);
    CHECK(M == 1024 || sf_trial_bytes(k, NULL, 4096, M, 1) + host_x * (double)M <= limit, "M = %lld does not fit",
          (long long)M);
    CHECK(M == 1000000 || sf_trial_bytes(k, NULL, 4096, 2 * M, 1) + host_x * 2.0 * (double)M > limit,
          "M = %lld, but %lld fits", (long long)M, (long long)(2 * M));
}

/* The crossover T on hand-built ratio rows. */
static void test_crossover(void)
{
    const double T[6] = {1, 2, 3, 4, 6, 8};
    const double dip[6] = {0.5, 1.1, 1.2, 0.9, 1.2, 1.3}; /* pays at 2 and 3, not at 4, then from 6 */
    const double always[6] = {1.0, 1.1, 1.2, 1.3, 1.4, 1.5};
    const double never[6] = {1.5, 1.4, 1.2, 1.1, 1.0, 0.99};
    const double hole[6] = {1.5, 1.4, 1.2, 1.1, NAN, 1.2}; /* T = 6 not measured */
    CHECK(sf_crossover_T(T, dip, 6) == 6, "dip: %g", sf_crossover_T(T, dip, 6));
    CHECK(sf_crossover_T(T, always, 6) == 1, "always: %g", sf_crossover_T(T, always, 6));
    CHECK(isnan(sf_crossover_T(T, never, 6)), "never: %g", sf_crossover_T(T, never, 6));
    CHECK(sf_crossover_T(T, hole, 6) == 8, "hole: %g", sf_crossover_T(T, hole, 6));
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    const long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    s[fread(s, 1, (size_t)n, f)] = '\0';
    fclose(f);
    return s;
}

static void test_report(const char *data, const char *src, const char *dir)
{
    char preset[4096], md[4096], path[4096];
    snprintf(preset, sizeof preset, "%s/harness/presets/paper-fig5.json", src);
    snprintf(md, sizeof md, "%s/reproduce.md", dir);
    CHECK_OK(sf_reproduce_write_md(data, preset, md));
    char *text = slurp(md);
    CHECK(text != NULL, "no report");
    if (!text)
        return;
    CHECK(strstr(text, "cpu backend: no GPU here") != NULL, "a CPU report must say so in its title");
    CHECK(strstr(text, "| 8 |") && strstr(text, "| 128 |") && strstr(text, "## Forward and backward"), "rows and sections");
    CHECK(strstr(text, "147.60") && strstr(text, "108.99") && strstr(text, "12.55"), "the paper's A100 values beside ours");
    CHECK(strstr(text, "Multi-GPU model") && strstr(text, "4.27 (paper 4.27)"), "the model section and the Fig. 4 check");
    CHECK(!strstr(text, "not measured yet"), "every part is there, none may be called missing");
    /* beyond the paper: a row per storage variant with its byte model, and the paper's design over it */
    CHECK(strstr(text, "## Beyond the paper's kernel") && strstr(text, "| - | f32 | u8 | 9 |") &&
              strstr(text, "| vtrace | f32 | f32 | 28 |") && strstr(text, "| h | f32 | u8 | 21 |") &&
              strstr(text, ", 1.00x, exact |") && strstr(text, "| vtrace | bf16 | b1 | 10.2 |") &&
              strstr(text, ", flips 0.0003"),
          "the beyond-the-paper table");
    /* the peers part, read from DIR/../peers (where the GPU check leaves it): a row per peer, fused over
     * it in parentheses, the paper's ratio beside the paper's libraries, and why a peer has no time */
    CHECK(strstr(text, "## Against the real peers") && strstr(text, "| torch-eager | torch |") &&
              strstr(text, "x) |") && strstr(text, "| 11.8x, 11.2x |") &&
              strstr(text, "- sj2-triton: skipped: ") && strstr(text, "`../peers/peers.json`"),
          "the peers section: %s", strstr(text, "## Against") ? strstr(text, "## Against") : "(none)");
    /* every measured number in the table is the recorded file's, formatted: check one of each family */
    snprintf(path, sizeof path, "%s/paper-fig5.json", data);
    cJSON *root = NULL;
    CHECK_OK(sf_results_read(path, &root));
    const cJSON *s;
    int checked = 0;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(root, "states"))
    {
        if (strcmp(sf_json_str(s, "status"), "ok") != 0 || sf_json_num(s, "T", NULL) != 32)
            continue;
        char want[64];
        snprintf(want, sizeof want, " %.2f |", sf_json_num(s, "metrics", "paper_steps_per_s"));
        CHECK(strstr(text, want) != NULL, "%s: %s not in the report", sf_json_str(s, "id"), want);
        ++checked;
    }
    CHECK(checked == 8, "%d states at T = 32, want 4 families x 2 directions", checked);
    cJSON_Delete(root);
    /* the crossover table: fused over step forward at T = 4, from the recorded medians */
    snprintf(path, sizeof path, "%s/crossover.json", data);
    CHECK_OK(sf_results_read(path, &root));
    double fused = NAN, step = NAN;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(root, "states"))
    {
        if (sf_json_num(s, "T", NULL) != 4 || strcmp(sf_json_str(s, "direction"), "fwd") != 0)
            continue;
        if (!strcmp(sf_json_str(s, "family"), "fused"))
            fused = sf_json_num(s, "cold", "median_s");
        if (!strcmp(sf_json_str(s, "family"), "step"))
            step = sf_json_num(s, "cold", "median_s");
    }
    char row[64];
    snprintf(row, sizeof row, "| 4 | %.2fx |", step / fused);
    CHECK(strstr(text, "## Where fusion starts to pay") && strstr(text, row), "crossover row %s missing", row);
    CHECK(strstr(text, "- Forward: fused ") && strstr(text, "- Forward and backward: fused "), "crossover sentences");
    cJSON_Delete(root);
    free(text);
}

static void test_plots(const char *data, const char *src, const char *dir, const char *bin)
{
    char cmd[16384], path[4096];
    snprintf(cmd, sizeof cmd, "SPIKEFUSE='%s' '%s/plots/plot.sh' '%s' '%s/figures' > '%s/plot.log' 2>&1", bin, src, data,
             dir, dir);
    CHECK(system(cmd) == 0, "plots/plot.sh failed (see %s/plot.log)", dir);
    static const char *figures[] = {"paper-fig5-steps-fwd",      "paper-fig5-steps-fwdbwd",  "paper-fig5-speedup-fwd",
                                    "paper-fig5-speedup-fwdbwd", "bandwidth-pct-copy-bw-fwd", "mu",
                                    "crossover-speedup-fwd",     "crossover-speedup-fwdbwd"};
    for (size_t i = 0; i < sizeof figures / sizeof *figures; ++i)
        for (int png = 0; png < 2; ++png) {
            snprintf(path, sizeof path, "%s/figures/%s.%s", dir, figures[i], png ? "png" : "svg");
            struct stat st;
            CHECK(stat(path, &st) == 0 && st.st_size > 2000, "%s missing or empty", path);
            if (png) { /* a real PNG: its signature */
                FILE *f = fopen(path, "rb");
                unsigned char sig[8] = {0};
                if (f) {
                    if (fread(sig, 1, 8, f) != 8)
                        sig[0] = 0;
                    fclose(f);
                }
                CHECK(sig[0] == 0x89 && sig[1] == 'P' && sig[2] == 'N' && sig[3] == 'G', "%s is not a PNG", path);
            }
        }
}

/* reproduce --report-only draws the figures with the binary that runs it, from any folder (it ran
 * build/spikefuse by a fixed path, and from elsewhere made none and still exited 0); and figures it cannot
 * make are an error, not a success. */
static void test_report_figures(const char *data, const char *dir, const char *bin)
{
    char out[4096], cmd[20000], path[4300];
    snprintf(out, sizeof out, "%s/report-figures", dir);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && cp '%s'/*.json '%s/'", out, out, data, out);
    CHECK(system(cmd) == 0, "%s", cmd);
    snprintf(cmd, sizeof cmd, "cd / && '%s' reproduce --report-only --out-dir '%s' > '%s/log' 2>&1", bin, out, dir);
    CHECK(system(cmd) == 0, "reproduce --report-only from / failed (see %s/log)", dir);
    snprintf(path, sizeof path, "%s/figures/paper-fig5-steps-fwd.png", out);
    struct stat st;
    CHECK(stat(path, &st) == 0 && st.st_size > 2000, "from /, no %s", path);
    /* no gnuplot (nor anything else) on PATH: the figures cannot be made, and that is a failure */
    snprintf(cmd, sizeof cmd, "cd / && PATH=/nonexistent '%s' reproduce --report-only --out-dir '%s' > '%s/log' 2>&1",
             bin, out, dir);
    const int rc = system(cmd);
    snprintf(path, sizeof path, "%s/log", dir);
    char *log = slurp(path);
    CHECK(rc != 0 && log && strstr(log, "figures not made"), "figures that could not be made passed: %s",
          log ? log : "(no log)");
    free(log);
}

/* --parts runs only the parts named: multigpu alone, its file already there, measures nothing; with no
 * paper-fig5.json there is no report to write, which is said, not an error. Unknown names are refused. */
static void test_parts(const char *data, const char *dir, const char *bin)
{
    char folder[4096], out[4096], cmd[20000], path[4200];
    snprintf(folder, sizeof folder, "%s/parts-cli", dir);
    snprintf(out, sizeof out, "%s/parts", dir);
    sf_test_cli_init(bin, folder);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && cp '%s/multigpu.json' '%s/'", out, out, data, out);
    CHECK(system(cmd) == 0, "%s", cmd);
    CHECK(sf_test_sh("reproduce --backend cpu --parts multigpu --out-dir '%s' --no-plots", out) == 0,
          "reproduce --parts multigpu: %s", sf_test_slurp("stderr"));
    const char *log = sf_test_slurp("stderr");
    CHECK(strstr(log, "multigpu: kept") && strstr(log, "no report"), "stderr: %s", log);
    static const char *absent[] = {"paper-fig5.json", "crossover.json", "bandwidth.json", "reproduce.md"};
    for (int i = 0; i < 4; ++i) {
        snprintf(path, sizeof path, "%s/%s", out, absent[i]);
        struct stat st;
        CHECK(stat(path, &st) != 0, "--parts multigpu wrote %s", path);
    }
    /* --report-only: the report from the files alone, naming the parts not there */
    CHECK(sf_test_sh("reproduce --report-only --out-dir '%s' --no-plots", out) == 1 &&
              strstr(sf_test_slurp("stderr"), "no ") && strstr(sf_test_slurp("stderr"), "paper-fig5.json"),
          "--report-only without paper-fig5.json: %s", sf_test_slurp("stderr"));
    snprintf(cmd, sizeof cmd, "cp '%s/paper-fig5.json' '%s/crossover.json' '%s/'", data, data, out);
    CHECK(system(cmd) == 0, "%s", cmd);
    CHECK(sf_test_sh("reproduce --report-only --out-dir '%s' --no-plots", out) == 0, "--report-only: %s",
          sf_test_slurp("stderr"));
    snprintf(path, sizeof path, "%s/reproduce.md", out);
    char *md = slurp(path);
    CHECK(md && strstr(md, "## Where fusion starts to pay") && strstr(md, "Parts not measured yet: `bandwidth`, `beyond-paper`, `peers`") &&
              !strstr(md, "`multigpu` ("),
          "the report of paper-fig5, crossover and multigpu: %s", md ? md : "(none)");
    free(md);
    CHECK(sf_test_sh("reproduce --report-only") == 2, "--report-only with no --out-dir must be a usage error");
    static const char *bad[] = {"nope", "multigpu,", "paper-fig5,crossovers", ""};
    for (int i = 0; i < 4; ++i) {
        const int rc = sf_test_sh("reproduce --backend cpu --parts '%s' --out-dir '%s'", bad[i], out);
        log = sf_test_slurp("stderr");
        CHECK(rc == 2 && strstr(log, "unknown part") && strstr(log, "paper-fig5, crossover, bandwidth, multigpu"),
              "--parts '%s': exit %d, %s", bad[i], rc, log);
    }
}

/* With no --out-dir, a committed results/<slug>/reproduce of another machine of the same slug (another
 * device key) is kept, and this device's files go to results/<slug>/reproduce-<key> beside it. The run
 * is cheap: that folder already holds a multigpu.json, which the multigpu part keeps. */
static void test_default_dir(const char *data, const char *dir, const char *bin)
{
    char folder[4096], cwd[4096], slug[256] = "", key[64] = "", cmd[20000], path[8300];
    snprintf(folder, sizeof folder, "%s/default-dir-cli", dir);
    snprintf(cwd, sizeof cwd, "%s/default-dir", dir);
    sf_test_cli_init(bin, folder);
    CHECK(sf_test_sh("device --backend cpu --slug") == 0, "device --slug: %s", sf_test_slurp("stderr"));
    sscanf(sf_test_slurp("stdout"), "%255s", slug);
    CHECK(sf_test_sh("device --backend cpu --key") == 0, "device --key: %s", sf_test_slurp("stderr"));
    sscanf(sf_test_slurp("stdout"), "%63s", key);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s/results/%s/reproduce' '%s/results/%s/reproduce-%s' && "
             "cp '%s/multigpu.json' '%s/results/%s/reproduce-%s/'",
             cwd, cwd, slug, cwd, slug, key, data, cwd, slug, key);
    CHECK(system(cmd) == 0, "%s", cmd);
    /* another machine's committed Fig. 5: the data's, its key made surely not this one's */
    cJSON *root = NULL;
    snprintf(path, sizeof path, "%s/paper-fig5.json", data);
    CHECK_OK(sf_results_read(path, &root));
    cJSON *d0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "devices"), 0);
    cJSON_ReplaceItemInObjectCaseSensitive(d0, "key", cJSON_CreateString(strcmp(key, "0000000000000000")
                                                                              ? "0000000000000000"
                                                                              : "1111111111111111"));
    char *text = cJSON_Print(root);
    snprintf(path, sizeof path, "%s/results/%s/reproduce/paper-fig5.json", cwd, slug);
    CHECK_OK(sf_write_atomic(path, text));
    free(text);
    cJSON_Delete(root);
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' reproduce --backend cpu --parts multigpu --no-plots > '%s/out' 2> '%s/err'",
             cwd, bin, folder, folder);
    CHECK(system(cmd) == 0, "reproduce in a folder holding another device's results: %s", sf_test_slurp("err"));
    char want[600];
    snprintf(want, sizeof want, "results/%s/reproduce-%s", slug, key);
    CHECK(strstr(sf_test_slurp("err"), "holds device") && strstr(sf_test_slurp("err"), want) &&
              strstr(sf_test_slurp("err"), "multigpu: kept"),
          "this device's results must go beside the other's, to %s: %s", want, sf_test_slurp("err"));
}

/* argv[5] "plots": only the figures, a test of its own that reports skipped (77) without gnuplot */
int main(int argc, char **argv)
{
    if (argc != 5 && !(argc == 6 && !strcmp(argv[5], "plots")))
        return 2;
    mkdir(argv[3], 0777);
    if (argc == 6) {
        if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
            printf("skipped: gnuplot is not installed (ci/install-deps.sh installs it)\n");
            return SF_TEST_SKIP;
        }
        test_plots(argv[1], argv[2], argv[3], argv[4]);
        test_report_figures(argv[1], argv[3], argv[4]);
        return sf_test_summary();
    }
    test_model();
    test_crossover();
    test_layer_size();
    test_report(argv[1], argv[2], argv[3]);
    test_parts(argv[1], argv[3], argv[4]);
    test_default_dir(argv[1], argv[3], argv[4]);
    return sf_test_summary();
}
