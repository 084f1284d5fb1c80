/* spikefuse reproduce: measure what the paper's Fig. 4-6 need on the present device, then write a report
 * and figures. Each part is an ordinary results file, so that `report` and plots/ work on it as on any.
 * The report itself is reproduce_report.c. */
#include "reproduce.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spikefuse_core.h"
#include "multigpu.h"
#include "text.h"

#ifndef SF_SOURCE_DIR
#define SF_SOURCE_DIR "."
#endif

static sf_status make_dirs(const char *path)
{
    char p[4096];
    snprintf(p, sizeof p, "%s", path);
    for (char *c = p + 1; *c; ++c)
        if (*c == '/') {
            *c = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST)
                return sf_fail(SF_ERR_IO, "%s: %s", p, strerror(errno));
            *c = '/';
        }
    if (mkdir(p, 0777) != 0 && errno != EEXIST)
        return sf_fail(SF_ERR_IO, "%s: %s", p, strerror(errno));
    return SF_OK;
}

typedef struct reproduce_part reproduce_part;
typedef sf_status (*part_fn)(const sf_reproduce_config *c, const sf_device_info *dev, const char *dir,
                             const reproduce_part *part, const char *tuning_db);

/* What a part measures: a sweep (the paper-fig5 preset if named, then its axes) or the multi-GPU model. */
struct reproduce_part {
    const char *name; /* its file: dir/name.json */
    part_fn measure;
    const char *preset;
    const char *axes[6];
    int tuned; /* runs fused-tuned, so it gets the tuning database */
    int sigmoid; /* the paper's function as the peers compute it: sigmoid surrogate (alpha 4) */
};

/* One sweep of the reproduction into dir/name.json (and .md): resumable like any sweep. */
static sf_status sweep_part(const sf_reproduce_config *c, const sf_device_info *dev, const char *dir,
                            const reproduce_part *part, const char *tuning_db)
{
    (void)dev;
    char json[4096], md[4096];
    snprintf(json, sizeof json, "%s/%s.json", dir, part->name);
    snprintf(md, sizeof md, "%s/%s.md", dir, part->name);
    sf_sweep_config s;
    sf_sweep_config_init(&s);
    s.backend = c->backend;
    s.out_json = json, s.out_md = md;
    s.tuning_db = part->tuned ? tuning_db : NULL;
    s.measure.rule.timeout = c->timeout;
    s.argc = c->argc, s.argv = c->argv;
    if (part->sigmoid)
        s.params.surrogate = SF_SURROGATE_SIGMOID;
    sf_status st = part->preset ? sf_sweep_load_preset(&s, part->preset) : SF_OK;
    for (int i = 0; part->axes[i] && st == SF_OK; ++i) {
        char err[256];
        if (sf_sweep_add_axis(&s, part->axes[i], err, sizeof err) != 0)
            st = sf_fail(SF_ERR_INVALID, "%s", err);
    }
    if (st == SF_OK) {
        fprintf(stderr, "reproduce: %s\n", part->name);
        st = sf_sweep_run(&s);
    }
    sf_sweep_config_free(&s);
    return st;
}

/* T_s and T_c at the largest M whose longest layer fits (sf_multigpu_layer_neurons). */
static sf_status multigpu_part(const sf_reproduce_config *c, const sf_device_info *dev, const char *dir,
                               const reproduce_part *part, const char *tuning_db)
{
    (void)part, (void)tuning_db;
    static const int64_t Ts[] = {1024, 2048, 4096};
    char path[4096];
    snprintf(path, sizeof path, "%s/multigpu.json", dir);
    if (access(path, F_OK) == 0) {
        fprintf(stderr, "reproduce: multigpu: kept %s\n", path);
        return SF_OK;
    }
    int64_t M;
    sf_status st = sf_multigpu_layer_neurons(c->backend, dev, Ts[2], &M);
    if (st != SF_OK)
        return st;
    fprintf(stderr, "reproduce: multigpu model (T_s for T = 1024, 2048, 4096 at M = %lld; T_c)\n", (long long)M);
    sf_measure_config mc = sf_measure_config_default();
    mc.rule.timeout = c->timeout;
    mc.hot = 0;
    cJSON *model = NULL;
    st = sf_multigpu_measure(c->backend, dev, Ts, 3, M, &mc, &model);
    if (st != SF_OK)
        return st;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", "spikefuse.multigpu");
    cJSON_AddNumberToObject(root, "schema_version", 1);
    cJSON_AddItemToObject(root, "meta", sf_meta_json(c->argc, c->argv));
    cJSON_AddItemToArray(cJSON_AddArrayToObject(root, "devices"), sf_device_to_json(dev));
    cJSON_AddItemToObject(root, "model", model);
    char *text = cJSON_Print(root);
    st = text ? sf_write_atomic(path, text) : sf_fail(SF_ERR_NOMEM, "no memory");
    cJSON_free(text);
    cJSON_Delete(root);
    return st;
}

/* The distinct values of a numeric state field of a results file, comma-separated (at most 64). */
static void state_values(const sf_results *r, sf_problem_axis axis, char *out, size_t n)
{
    double v[64];
    const int k = sf_results_values(r, axis, 0, v, 64);
    out[0] = '\0';
    for (int i = 0; i < k; ++i)
        snprintf(out + strlen(out), n - strlen(out), "%s%.0f", i ? "," : "", v[i]);
}

/* This very binary, wherever it was built (what the scripts it runs call back), else fallback. */
static const char *self_exe(char *buf, size_t n, const char *fallback)
{
    const ssize_t got = readlink("/proc/self/exe", buf, n - 1);
    if (got <= 0)
        return fallback;
    buf[got] = '\0';
    return buf;
}

/* The real peers (peers/run.py) and spikefuse's fused kernel at the same states, in one part: the fused
 * sweep (the paper's function: sigmoid surrogate, alpha 4) into peers-fused.json, then every peer,
 * verified and timed by the same rules, into peers.json. A peer that is missing or fails is recorded
 * there; only a runner that cannot run fails the part. */
static sf_status peers_part(const sf_reproduce_config *c, const sf_device_info *dev, const char *dir,
                            const reproduce_part *part, const char *tuning_db)
{
    const reproduce_part fused = {"peers-fused", sweep_part, part->preset, {"family=fused", "direction=fwd,fwd+bwd"}, 0, 1};
    sf_status st = sweep_part(c, dev, dir, &fused, tuning_db);
    sf_results doc;
    char path[4096], T[512], N[512], B[512], exe[4096] = "", python[4200], cmd[16384];
    snprintf(path, sizeof path, "%s/peers-fused.json", dir);
    if (st != SF_OK || (st = sf_results_load(path, &doc)) != SF_OK)
        return st;
    state_values(&doc, SF_AXIS_T, T, sizeof T);
    state_values(&doc, SF_AXIS_N, N, sizeof N);
    state_values(&doc, SF_AXIS_B, B, sizeof B);
    sf_results_free(&doc);
    const char *py = getenv("SF_PEERS_PYTHON");
    snprintf(python, sizeof python, "%s/.peers/venv/bin/python", SF_SOURCE_DIR);
    if (!py || !*py)
        py = access(python, X_OK) == 0 ? python : "python3";
    snprintf(cmd, sizeof cmd,
             "'%s' '%s/peers/run.py' --backend %s --out '%s/peers.json' --T %s --N %s --B %s --timeout %g --spikefuse '%s'",
             py, SF_SOURCE_DIR, sf_backend_name(c->backend), dir, T, N, B, c->timeout,
             self_exe(exe, sizeof exe, "spikefuse"));
    fprintf(stderr, "reproduce: peers (%s)\n", py);
    const int rc = system(cmd);
    const int code = rc == -1 ? -1 : WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
    if (code == 1)
        fprintf(stderr, "reproduce: peers: some peers failed; %s/peers.json says why\n", dir);
    else if (code != 0)
        return sf_fail(SF_ERR_IO, "the peers runner failed (exit status %d): %s", code, cmd);
    return SF_OK;
}

/* The parts, in the order they run. */
static const reproduce_part parts[] = {
    {"paper-fig5", sweep_part, "paper-fig5", {"family=eager,step,fused,fused-tuned"}, 1, 0},
    /* small T, where the launches fusion saves no longer dominate: from which T on does fusion pay? */
    {"crossover", sweep_part, NULL, {"family=eager,step,fused", "direction=fwd,fwd+bwd", "T=1,2,3,4,6,8,12,16",
                                     "N=1000000", "B=1"}, 0, 0},
    {"bandwidth", sweep_part, NULL, {"family=fused,step", "direction=fwd", "T=64",
                                     "N=2^10,2^12,2^14,2^16,2^18,2^20,2^22"}, 0, 0},
    {"multigpu", multigpu_part, NULL, {NULL}, 0, 0},
    /* fused kernels that move fewer bytes than the paper's: keep x spikes at its Fig. 5 size */
    {"beyond-paper", sweep_part, "beyond-paper", {NULL}, 0, 0},
    {"peers", peers_part, "paper-fig5", {NULL}, 0, 0},
};
enum { n_parts = sizeof parts / sizeof parts[0] };

/* The parts a comma-separated list names, as bits (part i: 1 << i; NULL: every part); an unknown name is
 * an error that lists the parts. */
static sf_status parse_parts(const char *list, unsigned *mask)
{
    *mask = list ? 0u : (1u << n_parts) - 1;
    for (const char *p = list; p;) {
        const char *end = strchr(p, ',');
        const size_t n = end ? (size_t)(end - p) : strlen(p);
        int found = -1;
        for (int i = 0; i < n_parts; ++i)
            if (strlen(parts[i].name) == n && strncmp(p, parts[i].name, n) == 0)
                found = i;
        if (found < 0) {
            char known[256] = "";
            for (int i = 0; i < n_parts; ++i)
                snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "", parts[i].name);
            return sf_fail(SF_ERR_UNKNOWN, "unknown part '%.*s' (parts: %s)", (int)n, p, known);
        }
        *mask |= 1u << found;
        p = end ? end + 1 : NULL;
    }
    return SF_OK;
}

sf_status sf_reproduce_check_parts(const char *list)
{
    unsigned mask;
    return parse_parts(list, &mask);
}

/* results/<slug>/reproduce, unless its paper-fig5.json is another device's (a machine whose slug is the
 * same, whose key is not): that folder is kept, and this device's results go to reproduce-<key> beside
 * it, where a later run resumes them. */
static void default_dir(const sf_device_info *dev, char *dir, size_t n)
{
    char fig5[2200];
    snprintf(dir, n, "results/%s/reproduce", dev->slug);
    snprintf(fig5, sizeof fig5, "%s/paper-fig5.json", dir);
    sf_results fig5_results;
    if (access(fig5, F_OK) != 0 || sf_results_load(fig5, &fig5_results) != SF_OK)
        return;
    const char *key = fig5_results.device.key;
    if (*key && strcmp(key, dev->key) != 0) {
        fprintf(stderr, "reproduce: %s holds device %s's results; this device (%s) writes beside it\n", dir, key,
                dev->key);
        snprintf(dir, n, "results/%s/reproduce-%s", dev->slug, dev->key);
    }
    sf_results_free(&fig5_results);
}

sf_status sf_reproduce_run(const sf_reproduce_config *c)
{
    unsigned selected;
    sf_status st = parse_parts(c->parts, &selected);
    if (st != SF_OK)
        return st;
    sf_device_info dev;
    if ((st = sf_device_query(c->backend, &dev)) != SF_OK)
        return st;
    char dir[2048], db[4096];
    if (c->out_dir)
        snprintf(dir, sizeof dir, "%s", c->out_dir);
    else
        default_dir(&dev, dir, sizeof dir);
    if ((st = make_dirs(dir)) != SF_OK)
        return st;
    /* after make_dirs: a path through DIR/.. resolves only once DIR exists */
    snprintf(db, sizeof db, "%s/../tuning/tuning.json", dir);
    const char *tuning = c->tuning_db ? c->tuning_db : access(db, F_OK) == 0 ? db : NULL;
    fprintf(stderr, "reproduce on %s (%s) into %s; tuned configs from %s\n", dev.name, sf_backend_name(c->backend), dir,
            tuning ? tuning : "no database (fused-tuned falls back to the defaults)");
    for (int i = 0; i < n_parts && st == SF_OK; ++i)
        if (selected & (1u << i))
            st = parts[i].measure(c, &dev, dir, &parts[i], tuning);
    return st == SF_OK ? sf_reproduce_report(dir, c->plots, 0) : st;
}

sf_status sf_reproduce_report(const char *dir, int plots, int need_report)
{
    char md[4200], fig5[4200], preset[4096];
    snprintf(md, sizeof md, "%s/reproduce.md", dir);
    snprintf(fig5, sizeof fig5, "%s/paper-fig5.json", dir);
    snprintf(preset, sizeof preset, "%s/harness/presets/paper-fig5.json", SF_SOURCE_DIR);
    if (access(fig5, F_OK) != 0) {
        if (need_report)
            return sf_fail(SF_ERR_IO, "no %s (the paper-fig5 part writes it)", fig5);
        fprintf(stderr, "reproduce: no %s yet, so no report: the paper-fig5 part writes it\n", fig5);
    } else {
        sf_status st = sf_reproduce_write_md(dir, preset, md);
        if (st != SF_OK)
            return st;
        printf("wrote %s\n", md);
    }
    if (plots) {
        /* plot.sh runs this very binary, wherever it was built */
        char exe[4096], cmd[13000];
        snprintf(cmd, sizeof cmd, "SPIKEFUSE='%s' '%s/plots/plot.sh' '%s'", self_exe(exe, sizeof exe, "build/spikefuse"),
                 SF_SOURCE_DIR, dir);
        if (system(cmd) != 0)
            return sf_fail(SF_ERR_IO, "figures not made (plots/plot.sh said why; gnuplot: apt-get install "
                                      "gnuplot-nox); --no-plots leaves them out");
    }
    return SF_OK;
}

