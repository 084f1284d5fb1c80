/* Deciding a change: the U test and the verdicts on hand-built sample sets (identical, shifted, noisy,
 * tiny), then spikefuse compare and check on a short CPU sweep with a planted slowdown, which must fail
 * them. argv[1]: the spikefuse binary, argv[2]: ci/gates/cpu.json, argv[3]: a scratch folder. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compare.h"
#include "gates.h"
#include "json_util.h"
#include "stats.h"
#include "sweep.h"
#include "test_util.h"

#define path_of sf_test_path

/* n samples around `center` with a spread of +-`spread` (deterministic). */
static void make(double *x, int n, double center, double spread, uint64_t seed)
{
    float u[256];
    sf_fill_uniform(u, n, seed, -1.0f, 1.0f);
    for (int i = 0; i < n; ++i)
        x[i] = center * (1.0 + spread * u[i]);
}

static void test_statistics(void)
{
    /* U test by hand: 1..10 against 11..20: U = 0, mean 50, var 175, z = (50 - 0.5) / sqrt(175) = 3.742,
     * p = erfc(3.742 / sqrt 2) = 1.83e-4 */
    double a[10], b[10];
    for (int i = 0; i < 10; ++i)
        a[i] = i + 1, b[i] = i + 11;
    sf_mann_whitney m = sf_mann_whitney_u(a, 10, b, 10);
    CHECK(m.u == 0 && fabs(m.p - 1.83e-4) < 2e-6, "U %g p %g", m.u, m.p);
    m = sf_mann_whitney_u(a, 10, a, 10);
    CHECK(fabs(m.p - 1.0) < 1e-12, "identical sets: p %g", m.p);
    const double same[4] = {2, 2, 2, 2};
    CHECK(sf_mann_whitney_u(same, 4, same, 4).p == 1.0, "all ties: p must be 1");

    const sf_compare_rule r = sf_compare_rule_default();
    double base[64], cur[64], change, p;
    const char *why;
    make(base, 64, 1.0, 0.01, 1);
    make(cur, 64, 1.0, 0.01, 2);
    CHECK(sf_compare_samples(base, 64, cur, 64, &r, &change, &p, &why) == SF_SAME, "identical: %s", why);
    make(cur, 64, 1.2, 0.01, 3);
    CHECK(sf_compare_samples(base, 64, cur, 64, &r, &change, &p, &why) == SF_SLOWER && fabs(change - 0.2) < 0.01,
          "20 %% slower: %s, change %g", why, change);
    make(cur, 64, 0.8, 0.01, 4);
    CHECK(sf_compare_samples(base, 64, cur, 64, &r, &change, &p, &why) == SF_FASTER, "20 %% faster: %s", why);
    make(base, 10, 1.0, 0.9, 5); /* noisy: +-90 % */
    make(cur, 10, 1.1, 0.9, 6);
    CHECK(sf_compare_samples(base, 10, cur, 10, &r, &change, &p, &why) != SF_SLOWER, "noise called a slowdown: %s", why);
    CHECK(sf_compare_samples(base, 3, cur, 3, &r, &change, &p, &why) == SF_UNSURE, "3 samples decided: %s", why);
    make(cur, 64, 1.03, 0.001, 7); /* a real but small move: below the minimum effect */
    make(base, 64, 1.0, 0.001, 8);
    CHECK(sf_compare_samples(base, 64, cur, 64, &r, &change, &p, &why) == SF_SAME && p < 0.05, "3 %%: %s", why);
}

/* Repeated runs: drift between runs of the same code is not a regression; a move past the runs' spread is. */
static void test_runs(void)
{
    const sf_compare_rule r = sf_compare_rule_default();
    double b1[32], b2[32], b3[32], n1[32], n2[32];
    /* the same code run twice on a drifting machine: 32 samples at 1.0, then 8 at 1.3 (the pooled median
     * stays near 1.0); a new run at 1.25 is 25 % slower by the U test, but inside the runs' range */
    make(b1, 32, 1.00, 0.01, 11);
    make(b2, 8, 1.30, 0.01, 12);
    make(n1, 32, 1.25, 0.01, 13);
    const sf_sample_set base[2] = {{b1, 32}, {b2, 8}}, one[1] = {{n1, 32}};
    sf_comparison c = sf_compare_runs(base, 1, one, 1, &r);
    CHECK(c.verdict == SF_SLOWER, "one run each: a 25 %% move is SLOWER (%s)", c.reason);
    c = sf_compare_runs(base, 2, one, 1, &r);
    CHECK(c.verdict == SF_UNSURE && strstr(c.reason, "spread"), "a new run inside the base runs' spread: %s %s",
          sf_verdict_name(c.verdict), c.reason);
    CHECK(fabs(c.base_lo - 1.0) < 0.01 && fabs(c.base_hi - 1.3) < 0.01 && fabs(c.new_lo - 1.25) < 0.01,
          "run medians %g %g %g", c.base_lo, c.base_hi, c.new_lo);
    make(b2, 32, 1.02, 0.01, 14); /* a quiet machine, then a real 20 % slowdown seen in two runs */
    make(n1, 32, 1.20, 0.01, 15);
    make(n2, 32, 1.22, 0.01, 16);
    const sf_sample_set quiet[2] = {{b1, 32}, {b2, 32}}, slow[2] = {{n1, 32}, {n2, 32}};
    c = sf_compare_runs(quiet, 2, slow, 2, &r);
    CHECK(c.verdict == SF_SLOWER && c.change > 0.15, "20 %% past the spread: %s %s", sf_verdict_name(c.verdict),
          c.reason);
    c = sf_compare_runs(slow, 2, quiet, 2, &r);
    CHECK(c.verdict == SF_FASTER, "the other way: %s", sf_verdict_name(c.verdict));
    make(b3, 32, 1.01, 0.01, 17); /* three runs of the same code on a quiet machine */
    const sf_sample_set three[3] = {{b1, 32}, {b2, 32}, {b3, 32}};
    c = sf_compare_runs(three, 2, three + 2, 1, &r);
    CHECK(c.verdict == SF_SAME, "the same code: %s %s", sf_verdict_name(c.verdict), c.reason);
    const sf_sample_set tiny[2] = {{b1, 3}, {b2, 3}};
    c = sf_compare_runs(tiny, 2, tiny, 2, &r);
    CHECK(c.verdict == SF_UNSURE, "6 samples pooled decided: %s", c.reason);
}

/* Writes a results tree to path and frees it. */
static void save(cJSON *root, const char *path)
{
    char *text = cJSON_Print(root);
    CHECK_OK(sf_write_atomic(path, text));
    free(text);
    cJSON_Delete(root);
}

/* results with every sample and median of `family` multiplied by `factor`, and the rates derived from
 * them divided by it: a replayed slowdown */
static void plant(const char *in, const char *out, const char *family, double factor)
{
    cJSON *root = NULL;
    CHECK_OK(sf_results_read(in, &root));
    cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(root, "states"))
    {
        if (strcmp(sf_json_str(s, "family"), family) != 0)
            continue;
        cJSON *cold = cJSON_GetObjectItemCaseSensitive(s, "cold"), *x;
        cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(cold, "samples_s"))
        cJSON_SetNumberValue(x, x->valuedouble * factor);
        cJSON *med = cJSON_GetObjectItemCaseSensitive(cold, "median_s");
        cJSON_SetNumberValue(med, med->valuedouble * factor);
        static const char *const rates[] = {"pct_copy_bw", "GBps", "paper_steps_per_s"};
        cJSON *metrics = cJSON_GetObjectItemCaseSensitive(s, "metrics");
        for (size_t i = 0; i < sizeof rates / sizeof *rates; ++i) {
            cJSON *r = cJSON_GetObjectItemCaseSensitive(metrics, rates[i]);
            if (cJSON_IsNumber(r))
                cJSON_SetNumberValue(r, r->valuedouble / factor);
        }
        cJSON *per_step = cJSON_GetObjectItemCaseSensitive(metrics, "time_per_step_s");
        if (cJSON_IsNumber(per_step))
            cJSON_SetNumberValue(per_step, per_step->valuedouble * factor);
    }
    save(root, out);
}

/* Whether check's table has the row of the gate named `name` and that row says FAIL. */
static int gate_row_failed(const char *table, const char *name)
{
    char key[256];
    snprintf(key, sizeof key, "| %s", name);
    const char *row = strstr(table, key), *fail = row ? strstr(row, "| FAIL |") : NULL, *end = row ? strchr(row, '\n') : NULL;
    return fail && (!end || fail < end);
}

/* ci/regress.sh cpu with the given results folder and compare options; output to stdout and stderr in
 * the scratch folder. */
static int regress(const char *bin, const char *script, const char *results, const char *out, const char *compare_args,
                   const char *runs)
{
    char cmd[16384];
    snprintf(cmd, sizeof cmd,
             "SF_BIN='%s' SF_RESULTS='%s' SF_COMPARE_ARGS='%s' SF_REGRESS_RUNS='%s' '%s' cpu '%s' >'%s' 2>'%s' </dev/null",
             bin, results, compare_args, runs, script, out, path_of("stdout"), path_of("stderr"));
    const int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Verdict counts of a compare --json file: how many states it compared and how many were SLOWER. */
static void verdicts(const char *path, int *states, int *slower)
{
    cJSON *root = NULL;
    *states = *slower = -1;
    if (sf_json_read_file(path, &root) != SF_OK)
        return;
    const cJSON *s;
    *states = *slower = 0;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(root, "states"))
    {
        ++*states;
        *slower += !strcmp(sf_json_str(s, "verdict"), "SLOWER");
    }
    cJSON_Delete(root);
}

/* The CPU recipe end to end: with no baseline it sweeps again and compares the two runs, and its exit
 * says what the comparison and the gates found; a baseline whose fused kernel was three times as fast
 * as this machine's must fail it by the comparison, whatever the gates say of this machine. */
static void test_regress_script(const char *bin, const char *ci_dir)
{
    char script[4096], results[4096], dev_dir[4096];
    CHECK(snprintf(script, sizeof script, "%s/regress.sh", ci_dir) < (int)sizeof script, "path too long");
    snprintf(results, sizeof results, "%s", path_of("results"));
    char clean[16384]; /* a fresh start: sweeps resume from files they find, and a baseline changes the path */
    snprintf(clean, sizeof clean, "rm -rf '%s' '%s' '%s' '%s'", results, path_of("bootstrap"), path_of("against"),
             path_of("bad"));
    CHECK(system(clean) == 0, "%s", clean);
    mkdir(results, 0777);
    /* bootstrap: two real runs of the same code compared; on a noisy machine they may differ, so the
     * check is that the exit says what compare.json and the gates say */
    const int boot = regress(bin, script, results, path_of("bootstrap"), "", "1");
    int states = 0, slower = 0;
    verdicts(path_of("bootstrap/compare.json"), &states, &slower);
    const int gates_failed = access(path_of("bootstrap/gates-failed"), F_OK) == 0;
    CHECK(access(path_of("bootstrap/rerun.json"), F_OK) == 0 && strstr(sf_test_slurp("stderr"), "no baseline"),
          "regress.sh without a baseline did not sweep again: %s", sf_test_slurp("stderr"));
    CHECK(states == 3 && boot == (slower > 0 || gates_failed ? 1 : 0),
          "regress.sh bootstrap: exit %d with %d states compared, %d slower, gates failed %d: %s", boot, states, slower,
          gates_failed, sf_test_slurp("stderr"));
    cJSON *root = NULL;
    CHECK_OK(sf_results_read(path_of("bootstrap/ci-cpu.json"), &root));
    const cJSON *dev = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "devices"), 0);
    CHECK(snprintf(dev_dir, sizeof dev_dir, "%s/%s", results, sf_json_str(dev, "slug")) < (int)sizeof dev_dir,
          "path too long");
    cJSON_Delete(root);
    mkdir(dev_dir, 0777);
    char baseline[8192];
    snprintf(baseline, sizeof baseline, "%s/baseline.json", dev_dir);
    plant(path_of("bootstrap/ci-cpu.json"), baseline, "fused", 1.0 / 3.0);
    CHECK(regress(bin, script, results, path_of("against"), "", "1") == 1 &&
              strstr(sf_test_slurp("stdout"), "SLOWER"),
          "regress.sh missed a 3x slowdown against its baseline: %s %s", sf_test_slurp("stdout"),
          sf_test_slurp("stderr"));
    verdicts(path_of("against/compare.json"), &states, &slower);
    CHECK(states == 3 && slower >= 1, "against the planted baseline: %d states, %d slower", states, slower);
    CHECK(regress(bin, script, results, path_of("bad"), "", "none") == 2 && strstr(sf_test_slurp("stderr"), "SF_REGRESS_RUNS"),
          "regress.sh with a bad run count: %s", sf_test_slurp("stderr"));
}

/* ci/ab-compare.sh as an A/A check (one binary on both sides, alternating): its exit must say what its
 * comparison says; and its bad input. */
static void test_ab_script(const char *bin, const char *ci_dir)
{
    char cmd[16384];
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && SF_AB_BASE_BIN='%s' SF_AB_NEW_BIN='%s' "
             "'%s/ab-compare.sh' --runs 2 cpu '%s' >'%s' 2>'%s' </dev/null",
             path_of("ab"), bin, bin, ci_dir, path_of("ab"), path_of("stdout"), path_of("stderr"));
    int st = system(cmd);
    int states = 0, slower = 0;
    verdicts(path_of("ab/compare.json"), &states, &slower);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == (slower > 0 ? 1 : 0) && states == 3 &&
              access(path_of("ab/base-2.json"), F_OK) == 0 && access(path_of("ab/new-2.json"), F_OK) == 0 &&
              strstr(sf_test_slurp("stdout"), "2 runs"),
          "ab-compare A/A: exit %d, %d states, %d slower: %s %s", WIFEXITED(st) ? WEXITSTATUS(st) : -1, states, slower,
          sf_test_slurp("stdout"), sf_test_slurp("stderr"));
    snprintf(cmd, sizeof cmd, "'%s/ab-compare.sh' --runs 0 cpu '%s' >/dev/null 2>&1 </dev/null", ci_dir, path_of("ab0"));
    st = system(cmd);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2, "ab-compare --runs 0 was not refused");
    snprintf(cmd, sizeof cmd, "SF_AB_NEW_BIN='%s' '%s/ab-compare.sh' --base no-such-revision cpu '%s' >/dev/null 2>&1 </dev/null",
             bin, ci_dir, path_of("ab1"));
    st = system(cmd);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2, "ab-compare with an unknown revision was not refused");
}

/* The regression recipes, ci/regress.sh and ci/ab-compare.sh, end to end. They check what the scripts
 * decide from what they measured, not the machine, so they measure briefly ($SF_REGRESS_MEASURE) and may
 * run beside other tests. */
static int scripts_main(const char *bin, const char *gates_dir)
{
    setenv("SF_REGRESS_MEASURE", "--min-samples 5 --min-time 0.05 --timeout 2 --no-hot", 1);
    char ci_dir[4096];
    CHECK(snprintf(ci_dir, sizeof ci_dir, "%s/..", gates_dir) < (int)sizeof ci_dir, "path too long");
    test_regress_script(bin, ci_dir);
    test_ab_script(bin, ci_dir);
    return sf_test_summary();
}

/* usage: test_compare BIN GATES.json WORK_DIR [gates|scripts]: the timed gates and compare's verdicts on
 * planted moves (the default; run alone), or the regression scripts */
int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5)
        return 2;
    sf_test_cli_init(argv[1], argv[3]);
    char gates_dir[4096];
    snprintf(gates_dir, sizeof gates_dir, "%s", argv[2]);
    char *slash = strrchr(gates_dir, '/');
    if (slash)
        *slash = '\0';
    if (argc == 5 && !strcmp(argv[4], "scripts"))
        return scripts_main(argv[1], gates_dir);
    if (argc == 5 && strcmp(argv[4], "gates") != 0)
        return 2;
    test_statistics();
    test_runs();

    /* the CPU gate: a short sweep, well under a minute */
    remove(path_of("perf.json"));
    CHECK(sf_test_sh("sweep --preset ci-cpu --min-samples 10 "
                     "--min-time 0.2 --timeout 5 --no-hot --out %s",
                     path_of("perf.json")) == 0,
          "short sweep: %s", sf_test_slurp("stderr"));
    CHECK(sf_test_sh("check --gates %s %s", argv[2], path_of("perf.json")) == 0, "CPU gates fail on a clean run: %s",
          sf_test_slurp("stdout"));
    /* planted moves of the fused kernel's samples, against the run they came from: 3 % is real (every
     * sample moved) but below the 5 % minimum effect, so SAME; 10 % is SLOWER, and -10 % FASTER */
    plant(path_of("perf.json"), path_of("plus3.json"), "fused", 1.03);
    CHECK(sf_test_sh("compare %s %s --json %s", path_of("perf.json"), path_of("plus3.json"), path_of("cmp3.json")) == 0 &&
              strstr(sf_test_slurp("stdout"), "0 slower"),
          "3 %% (below the minimum effect) called slower: %s", sf_test_slurp("stdout"));
    plant(path_of("perf.json"), path_of("plus10.json"), "fused", 1.10);
    CHECK(sf_test_sh("compare %s %s", path_of("perf.json"), path_of("plus10.json")) == 1 &&
              strstr(sf_test_slurp("stdout"), "1 slower"),
          "a 10 %% slowdown of one state: %s", sf_test_slurp("stdout"));
    plant(path_of("perf.json"), path_of("minus10.json"), "fused", 0.90);
    CHECK(sf_test_sh("compare %s %s", path_of("perf.json"), path_of("minus10.json")) == 0 &&
              strstr(sf_test_slurp("stdout"), "1 faster"),
          "a 10 %% speed-up of one state: %s", sf_test_slurp("stdout"));

    /* planted: fused three times as slow. The gates and compare must both fail. */
    plant(path_of("perf.json"), path_of("slow.json"), "fused", 3.0);
    CHECK(sf_test_sh("check --gates %s %s", argv[2], path_of("slow.json")) == 1 && strstr(sf_test_slurp("stdout"), "FAIL"),
          "a 3x slower fused kernel passed the gates: %s", sf_test_slurp("stdout"));
    CHECK(gate_row_failed(sf_test_slurp("stdout"), "fused fwd over step fwd"),
          "the planted slowdown must fail fused over step, the gate that catches it in every regime seen: %s",
          sf_test_slurp("stdout"));
    CHECK(sf_test_sh("compare %s %s --json %s", path_of("perf.json"), path_of("slow.json"), path_of("cmp.json")) == 1 &&
              strstr(sf_test_slurp("stdout"), "SLOWER"),
          "compare missed a 3x slowdown: %s", sf_test_slurp("stdout"));
    /* repeated runs: two clean base runs against the planted one still fail; against a clean one they pass */
    CHECK(sf_test_sh("compare %s %s -- %s", path_of("perf.json"), path_of("perf.json"), path_of("slow.json")) == 1 &&
              strstr(sf_test_slurp("stdout"), "2 runs"),
          "runs: compare missed a 3x slowdown: %s", sf_test_slurp("stdout"));
    /* and the planted 10 % in two runs against two clean ones: past the spread of the base runs */
    CHECK(sf_test_sh("compare %s %s -- %s %s --md %s", path_of("perf.json"), path_of("minus10.json"),
                     path_of("plus10.json"), path_of("plus10.json"), path_of("cmp.md")) == 1 &&
              strstr(sf_test_slurp("stdout"), "1 slower"),
          "runs: a 10 %% slowdown past the base runs' spread: %s", sf_test_slurp("stdout"));
    /* bad input: exit 2 */
    CHECK(sf_test_sh("compare %s --", path_of("perf.json")) == 2, "no new runs");
    CHECK(sf_test_sh("compare %s", path_of("perf.json")) == 2, "one file");
    /* damaged samples: an error naming the file and state, not an UNSURE that passes */
    cJSON *damaged = NULL;
    CHECK_OK(sf_results_read(path_of("perf.json"), &damaged));
    cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(damaged, "states"), 0);
    cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(first, "cold"), "samples_s",
                                           cJSON_CreateString("oops"));
    save(damaged, path_of("damaged.json"));
    CHECK(sf_test_sh("compare %s %s", path_of("perf.json"), path_of("damaged.json")) == 2 &&
              strstr(sf_test_slurp("stderr"), "samples_s"),
          "damaged samples: %s", sf_test_slurp("stderr"));
    /* nothing in common: an error, not a pass */
    plant(path_of("perf.json"), path_of("other.json"), "none", 1.0);
    cJSON *root = NULL;
    CHECK_OK(sf_results_read(path_of("other.json"), &root));
    cJSON *st;
    cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(root, "states"))
    cJSON_SetValuestring(cJSON_GetObjectItemCaseSensitive(st, "id"), "another state");
    save(root, path_of("other.json"));
    CHECK(sf_test_sh("compare %s %s", path_of("perf.json"), path_of("other.json")) == 2 &&
              strstr(sf_test_slurp("stderr"), "nothing to compare"),
          "disjoint files: %s", sf_test_slurp("stderr"));
    CHECK(sf_test_sh("compare %s %s", path_of("perf.json"), path_of("missing.json")) == 2, "missing file");
    CHECK(sf_test_sh("check --gates %s %s", path_of("perf.json"), path_of("perf.json")) == 2, "a results file as gates");
    CHECK(sf_test_sh("check --gates %s/cuda.json %s", gates_dir, path_of("perf.json")) == 2 &&
              strstr(sf_test_slurp("stderr"), "no gate applies"),
          "CUDA gates on a CPU run: %s", sf_test_slurp("stderr"));
    /* a gate whose selector names two measured states (here two N) must not pick one of them */
    CHECK_OK(sf_results_read(path_of("perf.json"), &root));
    cJSON *states = cJSON_GetObjectItemCaseSensitive(root, "states"), *twin = NULL;
    cJSON_ArrayForEach(st, states)
    if (!strcmp(sf_json_str(st, "family"), "fused"))
        twin = cJSON_Duplicate(st, 1);
    CHECK(twin != NULL, "no fused state in the CPU run");
    if (twin) {
        cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(twin, "N"), 12345);
        cJSON_SetValuestring(cJSON_GetObjectItemCaseSensitive(twin, "id"), "fused at another N");
        cJSON_AddItemToArray(states, twin);
    }
    save(root, path_of("two-n.json"));
    FILE *f = fopen(path_of("loose-gates.json"), "w");
    if (f) {
        fputs("{\"schema\": \"spikefuse.gates\", \"schema_version\": 1, \"gates\": [{\"name\": \"loose\", "
              "\"backend\": \"cpu\", \"kind\": \"pct_copy_bw\", \"state\": {\"family\": \"fused\", "
              "\"direction\": \"fwd\"}, \"min\": 0}]}",
              f);
        fclose(f);
    }
    CHECK(sf_test_sh("check --gates %s %s", path_of("loose-gates.json"), path_of("two-n.json")) == 2 &&
              strstr(sf_test_slurp("stderr"), "matches 2 measured states"),
          "an ambiguous gate: %s", sf_test_slurp("stderr"));
    CHECK(sf_test_sh("check --gates %s %s", argv[2], path_of("two-n.json")) == 0,
          "the CPU gates name N, so the extra state does not disturb them: %s", sf_test_slurp("stderr"));
    return sf_test_summary();
}
