/* spikefuse sweep as a user runs it: the JSON schema round trip, the CSV and Markdown views, resume
 * after a stop and after a kill, and the error paths. argv[1]: the binary, argv[2]: a scratch folder. */
#define _DEFAULT_SOURCE /* usleep */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sweep.h"
#include "test_util.h"

static char dir[2048];

#define path_of sf_test_path

/* A quick measurement: few samples, little time, so that the suite stays fast. */
/* tiny states never reach 0.5 % noise, and noise-stable needs more than 64 estimates: cap the samples */
#define QUICK "--min-samples 3 --min-time 0.002 --max-samples 40 --timeout 2 --hot-time 0.002"
#define AXES "-a family=eager,step,fused -a direction=fwd,fwd+bwd -a T=[2,5] -a N=1001 -a B=3"

static double num(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        x = cJSON_GetObjectItemCaseSensitive(x, b);
    return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(x) ? x->valuestring : "";
}

static cJSON *load(const char *name)
{
    cJSON *root = NULL;
    CHECK(sf_results_read(path_of(name), &root) == SF_OK, "%s: %s", name, sf_last_error());
    return root;
}

static int count_lines(const char *text)
{
    int n = 0;
    for (; *text; ++text)
        n += *text == '\n';
    return n;
}

static void test_schema_round_trip(void)
{
    CHECK(sf_test_sh("sweep " AXES " " QUICK " --out %s --csv %s --md %s", path_of("a.json"), path_of("a.csv"),
                     path_of("a.md")) == 0,
          "sweep failed: %s", sf_test_slurp("stderr"));
    cJSON *root = load("a.json");
    if (!root)
        return;
    CHECK(num(root, "schema_version", NULL) == SF_SWEEP_SCHEMA_VERSION, "schema_version");
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "meta");
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(meta, "argv")) > 10, "argv not recorded");
    CHECK(strlen(str(meta, "git_commit")) > 0 && cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(meta, "git_dirty")),
          "commit and dirty flag");
    CHECK(strlen(str(meta, "date")) == 20 && strlen(str(meta, "compiler")) > 0, "date, compiler");
    const cJSON *dev = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "devices"), 0);
    CHECK(strcmp(str(dev, "backend"), "cpu") == 0 && strlen(str(dev, "key")) == 16 && strlen(str(dev, "slug")) > 4,
          "device fingerprint: backend, key, slug");
    CHECK(num(dev, "threads_used", NULL) >= 1 && num(dev, "memory_bytes", NULL) > 0 &&
              num(dev, "copy_bandwidth_Bps", NULL) > 1e8,
          "CPU fingerprint: threads, memory, copy bandwidth");
    const cJSON *states = cJSON_GetObjectItemCaseSensitive(root, "states"), *s;
    CHECK(cJSON_GetArraySize(states) == 12, "%d states, want 3 families x 2 directions x 2 T", cJSON_GetArraySize(states));
    cJSON_ArrayForEach(s, states)
    {
        CHECK(strcmp(str(s, "status"), "ok") == 0, "%s: %s %s", str(s, "id"), str(s, "status"), str(s, "reason"));
        const double n = num(s, "cold", "samples_n"), med = num(s, "cold", "median_s"), T = num(s, "T", NULL);
        const cJSON *samples = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "cold"), "samples_s");
        CHECK(n >= 3 && cJSON_GetArraySize(samples) == (int)n, "%s: %g samples, %d raw", str(s, "id"), n,
              cJSON_GetArraySize(samples));
        const cJSON *x;
        int whole_ns = 1;
        cJSON_ArrayForEach(x, samples) whole_ns &= x->valuedouble > 0 &&
                                                   fabs(x->valuedouble * 1e9 - round(x->valuedouble * 1e9)) < 1e-3;
        CHECK(whole_ns, "%s: samples must be positive whole nanoseconds", str(s, "id"));
        CHECK(num(s, "cold", "min_s") <= med && med <= num(s, "cold", "max_s") && num(s, "cold", "q1_s") <= med &&
                  med <= num(s, "cold", "q3_s"),
              "%s: summary out of order", str(s, "id"));
        CHECK(num(s, "M", NULL) == 3003 && num(s, "N", NULL) == 1001 && num(s, "B", NULL) == 3, "M = N x B");
        CHECK(fabs(num(s, "metrics", "paper_steps_per_s") - T / (1000 * med)) <= 1e-9 * T / (1000 * med),
              "paper unit is T / (1000 trials x median)");
        const sf_kernel *f = sf_kernel_find(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(s, "kernels"), 0)->valuestring);
        const cJSON *k1 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(s, "kernels"), 1);
        const double bytes = sf_kernel_bytes(f, (int64_t)T, 3003) + (k1 ? sf_kernel_bytes(sf_kernel_find(k1->valuestring), (int64_t)T, 3003) : 0);
        CHECK(num(s, "metrics", "bytes") == bytes, "%s: bytes %g, byte model says %g", str(s, "id"),
              num(s, "metrics", "bytes"), bytes);
        const cJSON *vf = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "verified"), "forward");
        CHECK(num(vf, "mismatches", NULL) == 0 && num(vf, "compared", NULL) > 0, "%s: not verified", str(s, "id"));
        CHECK(num(s, "hot", "per_trial_s") > 0, "%s: no hot figure", str(s, "id"));
        if (strcmp(str(s, "family"), "eager") == 0)
            CHECK(num(s, "metrics", "speedup") == 1.0, "eager over itself: %g", num(s, "metrics", "speedup"));
        else
            CHECK(num(s, "metrics", "speedup") > 0, "%s: no speedup", str(s, "id"));
    }
    cJSON_Delete(root);
    CHECK(count_lines(sf_test_slurp("a.csv")) == 13, "CSV: header + 12 rows");
    const char *md = sf_test_slurp("a.md");
    CHECK(strstr(md, "fused over step") && strstr(md, "| fused |") && strstr(md, "copy bandwidth"), "Markdown views");
    /* report re-renders any results file */
    CHECK(sf_test_sh("report %s --csv %s", path_of("a.json"), path_of("b.csv")) == 0, "report: %s",
          sf_test_slurp("stderr"));
    CHECK(count_lines(sf_test_slurp("b.csv")) == 13, "report CSV");
    /* with no --md or --csv, the Markdown goes to standard output */
    CHECK(sf_test_sh("report %s", path_of("a.json")) == 0 && strstr(sf_test_slurp("stdout"), "| fused |"),
          "report to stdout: %s", sf_test_slurp("stderr"));
    /* a link (such as /dev/stdout) is written through, not replaced by a file */
    char target[4096], link[4096];
    snprintf(target, sizeof target, "%s", path_of("md-target.md"));
    snprintf(link, sizeof link, "%s", path_of("md-link"));
    remove(target), remove(link);
    CHECK(symlink("md-target.md", link) == 0, "symlink");
    CHECK(sf_test_sh("report %s --md %s", path_of("a.json"), link) == 0, "report --md LINK: %s", sf_test_slurp("stderr"));
    struct stat st;
    CHECK(lstat(link, &st) == 0 && S_ISLNK(st.st_mode) && strstr(sf_test_slurp("md-target.md"), "| fused |"),
          "the link must stay a link, and its target get the report");
}

/* At a terminal, sweep shows the results table, as nvbench does; in a pipe it does not. `script` gives
 * the command a terminal (a test of its own, skipped where `script` is missing). */
static const char *const terminal_sweep = "sweep -a family=fused,step -a T=2 -a N=64 " QUICK " --no-hot --out";

static void test_pipe_summary(void)
{
    remove(path_of("tty.json"));
    CHECK(sf_test_sh("%s %s", terminal_sweep, path_of("tty.json")) == 0 && !strstr(sf_test_slurp("stdout"), "| fused |"),
          "in a pipe, sweep prints only what it wrote: %s", sf_test_slurp("stdout"));
}

static void test_terminal_summary(const char *bin)
{
    char cmd[8192];
    const char *sweep = terminal_sweep;
    remove(path_of("tty.json"));
    snprintf(cmd, sizeof cmd, "script -qec \"'%s' %s '%s' 2>/dev/null\" /dev/null > '%s' 2>&1", bin, sweep,
             path_of("tty.json"), path_of("tty.out"));
    CHECK(system(cmd) == 0 && strstr(sf_test_slurp("tty.out"), "| fused |") &&
              strstr(sf_test_slurp("tty.out"), "fused over step"),
          "at a terminal, sweep shows the table: %s", sf_test_slurp("tty.out"));
}

/* A measured state of a sweep file: ok, and its forward (and for fwd+bwd its backward) verified, with
 * something compared and nothing mismatched. */
static int state_verified(const cJSON *s)
{
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(s, "verified");
    const cJSON *vf = cJSON_GetObjectItemCaseSensitive(ver, "forward"), *vb = cJSON_GetObjectItemCaseSensitive(ver, "backward");
    const int both = !strcmp(str(s, "direction"), "fwd+bwd");
    return !strcmp(str(s, "status"), "ok") && num(vf, "mismatches", NULL) == 0 && num(vf, "compared", NULL) > 0 &&
           (!both || (num(vb, "mismatches", NULL) == 0 && num(vb, "compared", NULL) > 0));
}

/* A state's i-th kernel name ("" if none). */
static const char *kernel_of(const cJSON *s, int i)
{
    const cJSON *k = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(s, "kernels"), i);
    return cJSON_IsString(k) ? k->valuestring : "";
}

/* A state's JSON text, for comparing a resumed state with the original. */
static char *state_text(const char *file, int i)
{
    cJSON *root = load(file);
    char *t = root ? cJSON_PrintUnformatted(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "states"), i)) : NULL;
    cJSON_Delete(root);
    return t;
}

/* How many runs resumed the file (meta.resumes), and the "run" of each state (0: absent). */
static int resumes_of(const char *file, int *runs, int max)
{
    cJSON *root = load(file);
    const cJSON *st;
    int i = 0;
    cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(root, "states"))
    {
        const cJSON *run = cJSON_GetObjectItemCaseSensitive(st, "run");
        if (i < max)
            runs[i++] = cJSON_IsNumber(run) ? run->valueint : 0;
    }
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "meta");
    const cJSON *resumes = cJSON_GetObjectItemCaseSensitive(meta, "resumes");
    const int n = !root ? -1 : cJSON_IsArray(resumes) ? cJSON_GetArraySize(resumes) : 0;
    const cJSON *last = cJSON_GetArrayItem(resumes, n - 1);
    if (n > 0 && !(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(last, "git_commit")) &&
                   cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(last, "argv"))))
        i = -1; /* a resume record without its build and command */
    cJSON_Delete(root);
    return i < 0 ? -1 : n;
}

static int run_of(const cJSON *state)
{
    const double run = num(state, "run", NULL);
    return isnan(run) ? 0 : (int)run;
}

/* Whether every speedup in the file compares states of one run: a state has metrics.speedup exactly when
 * the eager state of its direction and T was measured by the same run. */
static int speedups_within_runs(const char *file)
{
    cJSON *root = load(file);
    const cJSON *states = cJSON_GetObjectItemCaseSensitive(root, "states"), *s, *e;
    int ok = root != NULL, n_speedups = 0;
    cJSON_ArrayForEach(s, states)
    {
        int base = 0;
        cJSON_ArrayForEach(e, states)
        base |= !strcmp(str(e, "family"), "eager") && !strcmp(str(e, "direction"), str(s, "direction")) &&
                num(e, "T", NULL) == num(s, "T", NULL) && run_of(e) == run_of(s);
        const int has = !isnan(num(s, "metrics", "speedup"));
        n_speedups += has;
        ok &= has == base;
    }
    cJSON_Delete(root);
    return ok && n_speedups > 0;
}

static void test_resume(void)
{
    int runs[12];
    CHECK(sf_test_sh("sweep " AXES " " QUICK " --out %s --max-states 5", path_of("r.json")) == 0, "partial: %s",
          sf_test_slurp("stderr"));
    char *before[5];
    for (int i = 0; i < 5; ++i)
        before[i] = state_text("r.json", i);
    CHECK(sf_test_sh("sweep " AXES " " QUICK " --out %s", path_of("r.json")) == 0, "resume: %s", sf_test_slurp("stderr"));
    CHECK(strstr(sf_test_slurp("stderr"), "7 measured, 5 resumed") != NULL, "resume did not keep 5 states: %s",
          sf_test_slurp("stderr"));
    for (int i = 0; i < 5; ++i) {
        char *after = state_text("r.json", i);
        size_t at = 0;
        while (before[i] && after && before[i][at] && before[i][at] == after[at])
            ++at;
        CHECK(before[i] && after && strcmp(before[i], after) == 0, "state %d changed at byte %zu: '%.80s' vs '%.80s'", i,
              at, before[i] ? before[i] + (at > 20 ? at - 20 : 0) : "", after ? after + (at > 20 ? at - 20 : 0) : "");
        free(after), free(before[i]);
    }
    /* the resuming run records itself, and which states it added */
    int tagged = resumes_of("r.json", runs, 12) == 1;
    for (int i = 0; i < 12; ++i)
        tagged &= runs[i] == (i < 5 ? 0 : 1);
    CHECK(tagged, "a resume must append its record to meta.resumes and tag the 7 states it added with run 1");
    CHECK(speedups_within_runs("r.json"), "a speedup must compare two states of one run");
    CHECK(sf_test_sh("sweep " AXES " " QUICK " --out %s", path_of("r.json")) == 0 &&
              strstr(sf_test_slurp("stderr"), "0 measured, 12 resumed"),
          "a finished sweep re-run measures nothing: %s", sf_test_slurp("stderr"));
    CHECK(resumes_of("r.json", runs, 12) == 1, "a run that added nothing must not add a resume record");
    /* a state recorded as failing verification is not kept: the next run verifies and measures it again */
    cJSON *root = load("r.json");
    cJSON *third = root ? cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "states"), 2) : NULL;
    if (third) {
        cJSON_ReplaceItemInObjectCaseSensitive(third, "status", cJSON_CreateString("failed"));
        char *text = cJSON_Print(root);
        CHECK_OK(sf_write_atomic(path_of("r.json"), text));
        cJSON_free(text);
    }
    cJSON_Delete(root);
    CHECK(sf_test_sh("sweep " AXES " " QUICK " --out %s", path_of("r.json")) == 0 &&
              strstr(sf_test_slurp("stderr"), "1 measured, 11 resumed"),
          "a failed state must be run again: %s", sf_test_slurp("stderr"));
    CHECK(resumes_of("r.json", runs, 12) == 2 && runs[2] == 2 && runs[3] == 0,
          "the re-run state must be tagged with the second resume (%d)", runs[2]);
    /* a state recorded with another backward kernel (another build's or database's) is not kept: its id
     * names only the forward, so resume also matches the kernels and runs this build's again */
    root = load("r.json");
    const cJSON *st;
    cJSON *bwd = NULL;
    cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(root, "states"))
    {
        if (!bwd && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(st, "kernels")) == 2)
            bwd = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(st, "kernels"), 1);
    }
    char was[128] = "";
    if (bwd) {
        snprintf(was, sizeof was, "%s", bwd->valuestring);
        cJSON_SetValuestring(bwd, "fused_bwd_from_another_build");
        char *text = cJSON_Print(root);
        CHECK_OK(sf_write_atomic(path_of("r.json"), text));
        cJSON_free(text);
    }
    cJSON_Delete(root);
    CHECK(bwd && sf_test_sh("sweep " AXES " " QUICK " --out %s", path_of("r.json")) == 0 &&
              strstr(sf_test_slurp("stderr"), "1 measured, 11 resumed"),
          "a state with another backward kernel must be run again: %s", sf_test_slurp("stderr"));
    root = load("r.json");
    int restored = 0;
    cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(root, "states"))
    {
        restored += strcmp(kernel_of(st, 1), was) == 0 && state_verified(st);
    }
    char *all = root ? cJSON_PrintUnformatted(root) : NULL;
    CHECK(was[0] && restored >= 1 && all && !strstr(all, "from_another_build"),
          "the re-run state must record this build's backward %s", was);
    cJSON_free(all);
    cJSON_Delete(root);
}

/* Kill -9 in the middle; the next run finishes only what is missing. */
static void test_kill_and_resume(const char *bin)
{
    const char *out = path_of("k.json");
    remove(out);
    const pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr))
            _exit(126);
        execl(bin, bin, "sweep", "-a", "family=eager,step,fused", "-a", "T=[3,4,5,6]", "-a", "N=20000",
              "--min-samples", "20", "--min-time", "0.3", "--timeout", "5", "--no-hot", "--out", out, (char *)NULL);
        _exit(127);
    }
    int states = 0;
    for (int tries = 0; tries < 600 && states < 2; ++tries) { /* up to 60 s */
        usleep(100000);
        cJSON *root = NULL;
        if (sf_results_read(out, &root) == SF_OK)
            states = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "states"));
        cJSON_Delete(root);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    CHECK(states >= 2 && states < 12, "killed after %d states", states);
    CHECK(sf_test_sh("sweep -a family=eager,step,fused -a T=[3,4,5,6] -a N=20000 --min-samples 3 --min-time 0.002 "
                     "--timeout 2 --no-hot --out %s",
                     out) == 0,
          "resume after kill: %s", sf_test_slurp("stderr"));
    char expect[64];
    snprintf(expect, sizeof expect, "%d measured, %d resumed", 12 - states, states);
    CHECK(strstr(sf_test_slurp("stderr"), expect) != NULL, "want '%s': %s", expect, sf_test_slurp("stderr"));
    cJSON *root = load("k.json");
    CHECK(root && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "states")) == 12, "12 states after resume");
    cJSON_Delete(root);
}

static void refused(int code, const char *expect, const char *args)
{
    const int got = sf_test_sh("%s", args);
    const char *err = sf_test_slurp("stderr");
    CHECK(got == code, "'%s': exit %d, want %d (%s)", args, got, code, err);
    CHECK(strstr(err, expect) != NULL, "'%s': stderr '%s' lacks '%s'", args, err, expect);
}

static void test_errors(void)
{
    char args[4096];
    refused(2, "unknown family 'lava'", "sweep -a family=lava --out /dev/null/x.json");
    refused(2, "axis T", "sweep -a T=[8: --out x.json");
    refused(2, "unknown axis", "sweep -a Q=3 --out x.json");
    refused(2, "unknown preset", "sweep --preset no-such-preset --out x.json");
    refused(2, "--out", "sweep -a T=4");
    refused(2, "unknown direction", "sweep -a direction=sideways --out x.json");
    /* an output that cannot be written is refused before anything is measured */
    snprintf(args, sizeof args, "sweep -a T=2 -a N=64 --out %s --md /no-such-folder/x.md", path_of("never.json"));
    refused(1, "/no-such-folder/x.md: cannot write into /no-such-folder", args);
    CHECK(access(path_of("never.json"), F_OK) != 0, "a refused sweep wrote its results file");
    /* resuming from a malformed file: refused, and the file is left as it was */
    FILE *f = fopen(path_of("bad.json"), "w");
    fputs("{\"schema\": \"spikefuse.sweep\", \"states\": [", f);
    fclose(f);
    snprintf(args, sizeof args, "sweep -a T=2 -a N=10 " QUICK " --out %s", path_of("bad.json"));
    refused(1, "malformed JSON", args);
    CHECK(strcmp(sf_test_slurp("bad.json"), "{\"schema\": \"spikefuse.sweep\", \"states\": [") == 0,
          "malformed file was overwritten");
    snprintf(args, sizeof args, "report %s", path_of("bad.json"));
    refused(1, "malformed JSON", args);
    /* another device's results: refused */
    cJSON *root = load("a.json");
    if (root) {
        cJSON *dev = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "devices"), 0);
        cJSON_ReplaceItemInObjectCaseSensitive(dev, "key", cJSON_CreateString("0123456789abcdef"));
        char *text = cJSON_Print(root);
        CHECK(sf_write_atomic(path_of("other.json"), text) == SF_OK, "write");
        free(text);
        cJSON_Delete(root);
        snprintf(args, sizeof args, "sweep " AXES " " QUICK " --out %s", path_of("other.json"));
        refused(1, "holds results of device", args);
    }
    if (sf_backend_available(SF_BACKEND_CUDA) != SF_OK) {
        snprintf(args, sizeof args, "sweep --backend cuda -a T=2 --out %s", path_of("gpu.json"));
        refused(1, "CUDA", args);
    }
    /* one writer per output: a live lock holder refuses a second sweep; a dead one's lock is stale */
    f = fopen(path_of("locked.json.lock"), "w");
    fprintf(f, "%ld\n", (long)getpid());
    fclose(f);
    snprintf(args, sizeof args, "sweep -a T=2 -a N=10 " QUICK " --out %s", path_of("locked.json"));
    refused(1, "another sweep", args);
    const pid_t gone = fork();
    if (gone == 0)
        _exit(0);
    waitpid(gone, NULL, 0);
    f = fopen(path_of("locked.json.lock"), "w");
    fprintf(f, "%ld\n", (long)gone);
    fclose(f);
    CHECK(sf_test_sh("%s", args) == 0, "a stale lock blocked the sweep: %s", sf_test_slurp("stderr"));
    CHECK(access(path_of("locked.json.lock"), F_OK) != 0, "the lock was left behind");
    /* a size that does not fit is skipped with a reason, not a crash; when nothing could run, the sweep
     * fails with that reason, also when it is run again and resumes the file */
    for (int run = 0; run < 2; ++run) {
        const int rc = sf_test_sh("sweep -a T=2^30 -a N=2^30 " QUICK " --out %s", path_of("huge.json"));
        CHECK(rc == 1 && strstr(sf_test_slurp("stderr"), "nothing could run") && strstr(sf_test_slurp("stderr"), "GiB"),
              "huge, run %d: exit %d, %s", run + 1, rc, sf_test_slurp("stderr"));
    }
    root = load("huge.json");
    const cJSON *s = root ? cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "states"), 0) : NULL;
    CHECK(s && strcmp(str(s, "status"), "skipped") == 0 && strstr(str(s, "reason"), "GiB"), "huge state: %s",
          s ? str(s, "reason") : "missing");
    cJSON_Delete(root);
    /* beside a state that runs, it is only skipped */
    remove(path_of("huge.json"));
    CHECK(sf_test_sh("sweep -a T=2 -a N=64,2^40 " QUICK " --no-hot --out %s", path_of("huge.json")) == 0,
          "a sweep with one state too large: %s", sf_test_slurp("stderr"));
}

static void test_preset(void)
{
    CHECK(sf_test_sh("sweep --preset paper-fig5 -a T=2 -a N=64 " QUICK " --out %s", path_of("p.json")) == 0,
          "preset: %s", sf_test_slurp("stderr"));
    cJSON *root = load("p.json");
    const cJSON *meta = root ? cJSON_GetObjectItemCaseSensitive(root, "meta") : NULL;
    CHECK(root && strcmp(str(meta, "preset"), "paper-fig5") == 0 &&
              cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "states")) == 6,
          "paper-fig5 with T and N overridden: 3 families x 2 directions");
    cJSON_Delete(root);
}

/* The presets are the files there are: --list-presets names and describes each once, a preset in
 * $SPIKEFUSE_PRESETS hides the source tree's of that name, and every shipped preset loads and runs. */
static void test_list_presets(void)
{
    char mine[4096], path[4200];
    snprintf(mine, sizeof mine, "%s/presets", dir);
    mkdir(mine, 0777);
    static const char *files[][2] = {
        {"zz-mine.json", "{\"description\": \"mine, from the extra folder\", \"axes\": [\"family=step\"]}"},
        {"paper-fig5.json", "{\"description\": \"a local paper-fig5\", \"axes\": [\"family=fused\"]}"},
    };
    for (int i = 0; i < 2; ++i) {
        snprintf(path, sizeof path, "%s/%s", mine, files[i][0]);
        FILE *f = fopen(path, "w");
        if (f)
            fputs(files[i][1], f), fclose(f);
    }
    setenv("SPIKEFUSE_PRESETS", mine, 1);
    CHECK(sf_test_sh("sweep --list-presets") == 0, "--list-presets: %s", sf_test_slurp("stderr"));
    const char *out = sf_test_slurp("stdout");
    CHECK(strstr(out, "zz-mine      mine, from the extra folder\n") && strstr(out, "paper-fig5   a local paper-fig5\n") &&
              !strstr(out, "The paper's Fig. 5") && strstr(out, "ci-short ") && strstr(out, "sj-fp32 "),
          "the listing:\n%s", out);
    unsetenv("SPIKEFUSE_PRESETS");
    CHECK(sf_test_sh("sweep --help") == 0 && strstr(sf_test_slurp("stdout"), "beyond-paper, ci-cpu, ci-short, fused-knobs, paper-fig5"),
          "--help lists the presets: %s", sf_test_slurp("stdout"));
    /* every shipped preset expands and runs, at a tiny size, once a state (--profile: untimed) */
    CHECK(sf_test_sh("sweep --list-presets") == 0, "--list-presets: %s", sf_test_slurp("stderr"));
    char names[4096];
    snprintf(names, sizeof names, "%s", sf_test_slurp("stdout"));
    int n = 0;
    for (char *line = strtok(names, "\n"); line; line = strtok(NULL, "\n")) {
        char name[64];
        if (sscanf(line, "%63s", name) != 1)
            continue;
        remove(path_of("preset.json"));
        CHECK(sf_test_sh("sweep --preset %s -a T=2 -a N=64 -a B=1 --profile --out %s", name,
                         path_of("preset.json")) == 0,
              "preset %s: %s", name, sf_test_slurp("stderr"));
        ++n;
    }
    CHECK(n >= 5, "%d presets listed", n);
}

/* The forms: inference and segment kernels are verified (ragged N); inference keeps no v trace, so a
 * forward+backward of it is skipped with the reason, and its trial holds no [T, M] v buffer. */
static void test_forms(void)
{
    CHECK(sf_test_sh("sweep -a family=fused -a form=infer,segment -a direction=fwd,fwd+bwd -a T=[1,33] -a N=1001 " QUICK
                     " --out %s",
                     path_of("forms.json")) == 0,
          "forms: %s", sf_test_slurp("stderr"));
    cJSON *root = load("forms.json");
    const cJSON *s;
    int ok = 0, skipped = 0;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(root, "states"))
    {
        const int infer = !strcmp(str(s, "form"), "infer"), both = !strcmp(str(s, "direction"), "fwd+bwd");
        if (infer && both) {
            skipped += !strcmp(str(s, "status"), "skipped") && strstr(str(s, "reason"), "no v trace");
            continue;
        }
        const cJSON *vf = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "verified"), "forward");
        ok += !strcmp(str(s, "status"), "ok") && num(vf, "mismatches", NULL) == 0 && num(vf, "compared", NULL) > 0;
    }
    CHECK(ok == 6 && skipped == 2, "forms: %d verified of 6, %d skipped of 2", ok, skipped);
    cJSON_Delete(root);
}

/* keep=h: forward+backward with the backward that reads only v (the spike recomputed), verified on a
 * ragged N at T = 1 and 33 against the float64 reference, under its own id beside keep=vtrace's; a
 * forward state of keep=h is skipped (it would measure keep=vtrace's kernel again), and families without
 * such a backward say so. */
static void test_keep(void)
{
    CHECK(sf_test_sh("sweep -a family=fused,step -a keep=vtrace,h -a direction=fwd,fwd+bwd -a T=[1,33] -a N=1001 " QUICK
                     " --out %s",
                     path_of("keep.json")) == 0,
          "keep: %s", sf_test_slurp("stderr"));
    cJSON *root = load("keep.json");
    const cJSON *s;
    int h_ok = 0, fwd_skipped = 0, step_skipped = 0, vtrace_ok = 0;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(root, "states"))
    {
        const int both = !strcmp(str(s, "direction"), "fwd+bwd"), ok = !strcmp(str(s, "status"), "ok");
        const int h = strstr(str(s, "id"), "|keep=h") != NULL, fused = !strcmp(str(s, "family"), "fused");
        const cJSON *vb = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "verified"), "backward");
        const char *bwd = cJSON_IsString(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(s, "kernels"), 1))
                              ? cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(s, "kernels"), 1)->valuestring
                              : "";
        const int verified = num(vb, "mismatches", NULL) == 0 && num(vb, "compared", NULL) > 0;
        h_ok += h && both && fused && ok && verified && strstr(bwd, "fused_bwd_grad_h_") == bwd &&
                !strcmp(str(s, "keep"), "h");
        vtrace_ok += !h && both && fused && ok && verified && strstr(bwd, "fused_bwd_grad_f32") == bwd &&
                     !strcmp(str(s, "keep"), "vtrace");
        fwd_skipped += h && !both && strstr(str(s, "reason"), "changes only the backward pass") != NULL;
        step_skipped += h && both && !fused && strstr(str(s, "reason"), "form grad_h") != NULL;
    }
    CHECK(h_ok == 2 && vtrace_ok == 2 && fwd_skipped == 4 && step_skipped == 2,
          "keep: %d keep=h verified of 2, %d vtrace of 2, %d fwd skipped of 4, %d step skipped of 2", h_ok, vtrace_ok,
          fwd_skipped, step_skipped);
    cJSON_Delete(root);
    refused(2, "unknown keep 'all'", "sweep -a keep=all --out x.json");
}

/* A state's bytes per neuron-step by the byte model. */
static double bytes_per_step(const cJSON *s)
{
    return num(s, "metrics", "bytes") / (num(s, "T", NULL) * num(s, "M", NULL));
}

/* spikes=u8: spikes stored a byte each, forward and backward verified (ragged N, T = 1 and 33), the byte
 * model per neuron-step 9 forward, 9 + 13 with keep=vtrace and 9 + 12 with keep=h (fp32: 12, 28, 24). */
static void test_spikes(void)
{
    CHECK(sf_test_sh("sweep -a family=fused -a spikes=u8 -a keep=vtrace,h -a direction=fwd,fwd+bwd -a T=[1,33] "
                     "-a N=1001 " QUICK " --out %s",
                     path_of("spikes.json")) == 0,
          "spikes: %s", sf_test_slurp("stderr"));
    cJSON *root = load("spikes.json");
    const cJSON *s;
    int right = 0, skipped = 0;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(root, "states"))
    {
        const int both = !strcmp(str(s, "direction"), "fwd+bwd"), h = !strcmp(str(s, "keep"), "h");
        if (!both && strstr(str(s, "id"), "|keep=h")) {
            skipped += !strcmp(str(s, "status"), "skipped");
            continue;
        }
        const double expect = !both ? 9 : h ? 21 : 22;
        right += state_verified(s) && !strcmp(str(s, "spikes"), "u8") && strstr(kernel_of(s, 0), "_yu8_") &&
                 bytes_per_step(s) == expect;
    }
    CHECK(right == 6 && skipped == 2, "spikes: %d of 6 states verified with their byte model, %d of 2 skipped", right,
          skipped);
    cJSON_Delete(root);
    refused(2, "unknown spikes 'bits'", "sweep -a spikes=bits --out x.json");
    /* fused-tuned asks the lookup for the state's spike storage: with no database, the default kernel's
     * u8 variant answers (never f32's kernel under a u8 id) */
    CHECK(sf_test_sh("sweep -a family=fused-tuned -a spikes=u8 -a T=2 -a N=64 " QUICK " --out %s",
                     path_of("spikes-tuned.json")) == 0,
          "fused-tuned, spikes=u8: %s", sf_test_slurp("stderr"));
    root = load("spikes-tuned.json");
    const cJSON *only = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "states"), 0);
    const cJSON *k0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(only, "kernels"), 0);
    CHECK(!strcmp(str(only, "status"), "ok") && cJSON_IsString(k0) && strstr(k0->valuestring, "_yu8_"),
          "fused-tuned with spikes=u8: %s %s", str(only, "status"), cJSON_IsString(k0) ? k0->valuestring : "?");
    cJSON_Delete(root);
}

/* keep=recompute: the forward keeps the spikes and fp32 checkpoints (form ckpt), the backward replays
 * (grad_ckpt); both verified on a ragged N at T = 1, 33 (chunks of 16, the last ragged) and with a chunk
 * of 8 asked for, at f32, bf16 and f16 with packed spikes, under the byte model: forward 4 + 1/8 + 4/16,
 * backward 8 + 4/16 read and 4 written (16.625 a training step; 16-bit 8.625). A forward state is measured
 * (its forward differs from keep=vtrace's), and a family without checkpoints says so. */
static void test_recompute(void)
{
    CHECK(sf_test_sh("sweep -a family=fused,step -a keep=recompute -a dtype=f32,bf16,f16 -a spikes=b1 "
                     "-a direction=fwd,fwd+bwd -a chunk=0,8 -a T=[1,33] -a N=1001 " QUICK " --out %s",
                     path_of("recompute.json")) == 0,
          "recompute: %s", sf_test_slurp("stderr"));
    cJSON *root = load("recompute.json");
    const cJSON *s;
    int right = 0, step_skipped = 0;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(root, "states"))
    {
        if (strcmp(str(s, "family"), "fused") != 0) {
            step_skipped += !strcmp(str(s, "status"), "skipped") && strstr(str(s, "reason"), "form ckpt") != NULL;
            continue;
        }
        const int both = !strcmp(str(s, "direction"), "fwd+bwd"), narrow = strcmp(str(s, "dtype"), "f32") != 0;
        const int chunk = (int)num(s, "knobs", "chunk");
        const double e = narrow ? 2 : 4, fwd = e + 0.125 + 4.0 / chunk, expect = both ? fwd + 3 * e + 4.0 / chunk : fwd;
        right += state_verified(s) && !strcmp(str(s, "keep"), "recompute") && strstr(kernel_of(s, 0), "fused_fwd_ckpt_") &&
                 (!both || strstr(kernel_of(s, 1), "fused_bwd_grad_ckpt_")) && (chunk == 16 || chunk == 8) &&
                 fabs(bytes_per_step(s) - expect) < 1e-9;
    }
    /* chunk=8 at 16 bits has no kernel (registered: f32 with b1 only): those states are skipped and say so */
    CHECK(right == 16 && step_skipped == 24, "recompute: %d of 16 states verified with their byte model, %d of 24 step states skipped",
          right, step_skipped);
    cJSON_Delete(root);
}

/* The verified states of a sweep file whose knobs.<knob> is `value` and each of whose kernels' names has
 * `mark` (value > 0) or has not (value 0): a knob's states ran its kernels, the others none of them. */
static int verified_with_knob(const char *file, const char *knob, int value, const char *mark)
{
    cJSON *root = load(file);
    const cJSON *s;
    int n = 0;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(root, "states"))
    {
        int marked = 1;
        for (int i = 0; i < cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s, "kernels")); ++i)
            marked &= (strstr(kernel_of(s, i), mark) != NULL) == (value > 0);
        n += state_verified(s) && (int)num(s, "knobs", knob) == value && marked;
    }
    cJSON_Delete(root);
    return n;
}

/* prefetch=4: the kernels that load four steps ahead, forward and backward, verified at T below and
 * above the queue's depth; prefetch=0 is the default kernel's. */
static void test_prefetch(void)
{
    CHECK(sf_test_sh("sweep -a family=fused -a direction=fwd+bwd -a prefetch=0,4 -a T=[1,9] -a N=1001 " QUICK " --out %s",
                     path_of("prefetch.json")) == 0,
          "prefetch: %s", sf_test_slurp("stderr"));
    const int ahead = verified_with_knob("prefetch.json", "prefetch", 4, "_p4");
    const int none = verified_with_knob("prefetch.json", "prefetch", 0, "_p");
    CHECK(ahead == 2 && none == 2, "prefetch: %d of 2 states with prefetch 4 verified, %d of 2 without", ahead, none);
}

/* stage=0,8: the kernels that stage their inputs in shared memory (N = 1000: rows staging can take),
 * forward and backward (a fwd+bwd state stages both), verified; knobs.stage records it. */
static void test_stage(void)
{
    CHECK(sf_test_sh("sweep -a family=fused -a direction=fwd,fwd+bwd -a stage=0,8 -a vec=1 -a npt=1 -a unroll=1 "
                     "-a T=[1,9] -a N=1000 " QUICK " --out %s",
                     path_of("stage.json")) == 0,
          "stage: %s", sf_test_slurp("stderr"));
    const int staged = verified_with_knob("stage.json", "stage", 8, "_s8_");
    const int none = verified_with_knob("stage.json", "stage", 0, "_s8");
    CHECK(staged == 4 && none == 4, "stage: %d of 4 states staging 8 steps verified, %d of 4 without", staged, none);
    /* keep=recompute stages too: the ckpt forward by tiles of steps, the replaying backward a chunk a tile */
    CHECK(sf_test_sh("sweep -a family=fused -a direction=fwd+bwd -a keep=recompute -a spikes=b1 -a stage=16 -a chunk=16 "
                     "-a vec=1 -a T=[1,37] -a N=1000 " QUICK " --out %s",
                     path_of("stage_recompute.json")) == 0,
          "stage, keep=recompute: %s", sf_test_slurp("stderr"));
    const int replayed = verified_with_knob("stage_recompute.json", "stage", 16, "_s16_c16_");
    CHECK(replayed == 2, "stage, keep=recompute: %d of 2 states staging a chunk verified", replayed);
}

/* dtype=bf16,f16: the 16-bit kernels (spikes a byte each, the dtype's default), verified under their
 * storage model, with their byte model and what their rounding costs; ids and JSON say the dtype. */
static void test_dtype(void)
{
    CHECK(sf_test_sh("sweep -a family=fused -a dtype=bf16,f16 -a direction=fwd,fwd+bwd -a T=[1,33] -a N=1001 " QUICK
                     " --out %s",
                     path_of("dtype.json")) == 0,
          "dtype: %s", sf_test_slurp("stderr"));
    cJSON *root = load("dtype.json");
    const cJSON *s;
    int right = 0;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(root, "states"))
    {
        const int both = !strcmp(str(s, "direction"), "fwd+bwd");
        const char *dtype = str(s, "dtype");
        char want_id[32], want_kernel[32];
        snprintf(want_id, sizeof want_id, "|dtype=%s", dtype);
        snprintf(want_kernel, sizeof want_kernel, "_%s_yu8_", dtype);
        right += state_verified(s) && !strcmp(str(s, "spikes"), "u8") && strstr(str(s, "id"), want_id) &&
                 strstr(kernel_of(s, 0), want_kernel) &&
                 bytes_per_step(s) == (both ? 2 + 1 + 2 + 2 + 1 + 2 + 2 : 2 + 1 + 2) &&
                 num(s, "storage_cost", "spike_flip_rate") >= 0 && num(s, "storage_cost", "grad_x_rel_err") >= 0;
    }
    CHECK(right == 8, "dtype: %d of 8 states verified with their byte model and storage cost", right);
    cJSON_Delete(root);
    refused(2, "unknown storage type 'fp8'", "sweep -a dtype=fp8 --out x.json");
    /* a storage no kernel has (bf16 with float spikes) is a skipped state that says why */
    CHECK(sf_test_sh("sweep -a family=fused -a dtype=bf16 -a spikes=f32 -a T=2 -a N=64 " QUICK " --out %s",
                     path_of("dtype-f32y.json")) == 1 &&
              strstr(sf_test_slurp("stderr"), "dtype bf16, spikes f32"),
          "dtype=bf16 spikes=f32: %s", sf_test_slurp("stderr"));
}

/* argv[3] "terminal": only the terminal summary, reported skipped (77) where `script` is missing */
int main(int argc, char **argv)
{
    if (argc != 3 && !(argc == 4 && !strcmp(argv[3], "terminal")))
        return 2;
    snprintf(dir, sizeof dir, "%s", argv[2]);
    sf_test_cli_init(argv[1], dir);
    if (argc == 4) {
        if (system("command -v script >/dev/null 2>&1") != 0) {
            printf("skipped: no `script` (util-linux) to give sweep a terminal\n");
            return SF_TEST_SKIP;
        }
        test_terminal_summary(argv[1]);
        return sf_test_summary();
    }
    /* a fresh folder each run: resume must not find an earlier run's files */
    const char *files[] = {"a.json", "a.csv", "a.md", "b.csv", "r.json", "k.json", "bad.json", "other.json",
                           "huge.json", "p.json", "gpu.json", "locked.json", "locked.json.lock", "forms.json",
                           "tty.json", "keep.json", "spikes.json", "spikes-tuned.json", "dtype.json",
                           "dtype-f32y.json"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; ++i)
        remove(path_of(files[i]));
    test_schema_round_trip();
    test_resume();
    test_kill_and_resume(argv[1]);
    test_errors();
    test_preset();
    test_list_presets();
    test_pipe_summary();
    test_forms();
    test_keep();
    test_recompute();
    test_prefetch();
    test_stage();
    test_spikes();
    test_dtype();
    return sf_test_summary();
}
