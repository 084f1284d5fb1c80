/* spikefuse reproduce: measure what the paper's Fig. 4-6 need on the present device, then write a report
 * and figures. Each part is an ordinary results file, so that `report` and plots/ work on it as on any. */
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
#include "json_util.h"
#include "multigpu.h"
#include "text.h"

#ifndef SF_SOURCE_DIR
#define SF_SOURCE_DIR "."
#endif

#define num sf_json_num
#define str sf_json_str

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
static void state_values(const cJSON *states, const char *field, char *out, size_t n)
{
    double seen[64];
    int k = 0;
    out[0] = '\0';
    const cJSON *s;
    cJSON_ArrayForEach(s, states)
    {
        const double v = num(s, field, NULL);
        int i = 0;
        while (i < k && seen[i] != v)
            ++i;
        if (i < k || k == 64 || isnan(v))
            continue;
        seen[k++] = v;
        snprintf(out + strlen(out), n - strlen(out), "%s%.0f", k > 1 ? "," : "", v);
    }
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
    cJSON *doc = NULL;
    char path[4096], T[512], N[512], B[512], exe[4096] = "", python[4200], cmd[16384];
    snprintf(path, sizeof path, "%s/peers-fused.json", dir);
    if (st != SF_OK || (st = sf_results_read(path, &doc)) != SF_OK)
        return st;
    const cJSON *states = cJSON_GetObjectItemCaseSensitive(doc, "states");
    state_values(states, "T", T, sizeof T);
    state_values(states, "N", N, sizeof N);
    state_values(states, "B", B, sizeof B);
    cJSON_Delete(doc);
    const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    const char *py = getenv("SF_PEERS_PYTHON");
    snprintf(python, sizeof python, "%s/.peers/venv/bin/python", SF_SOURCE_DIR);
    if (!py || !*py)
        py = access(python, X_OK) == 0 ? python : "python3";
    snprintf(cmd, sizeof cmd,
             "'%s' '%s/peers/run.py' --backend %s --out '%s/peers.json' --T %s --N %s --B %s --timeout %g --spikefuse '%s'",
             py, SF_SOURCE_DIR, sf_backend_name(c->backend), dir, T, N, B, c->timeout, n > 0 ? exe : "spikefuse");
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
            return sf_fail(SF_ERR_INVALID, "unknown part '%.*s' (parts: %s)", (int)n, p, known);
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
    cJSON *root = NULL;
    if (access(fig5, F_OK) != 0 || sf_results_read(fig5, &root) != SF_OK)
        return;
    const char *key = sf_json_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "devices"), 0), "key");
    if (*key && strcmp(key, dev->key) != 0) {
        fprintf(stderr, "reproduce: %s holds device %s's results; this device (%s) writes beside it\n", dir, key,
                dev->key);
        snprintf(dir, n, "results/%s/reproduce-%s", dev->slug, dev->key);
    }
    cJSON_Delete(root);
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
        char exe[4096] = "", cmd[13000];
        const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        exe[n > 0 ? n : 0] = '\0';
        snprintf(cmd, sizeof cmd, "SPIKEFUSE='%s' '%s/plots/plot.sh' '%s'", n > 0 ? exe : "build/spikefuse",
                 SF_SOURCE_DIR, dir);
        if (system(cmd) != 0)
            return sf_fail(SF_ERR_IO, "figures not made (plots/plot.sh said why; gnuplot: apt-get install "
                                      "gnuplot-nox); --no-plots leaves them out");
    }
    return SF_OK;
}

/* ---- the report ------------------------------------------------------------------------------ */

static const cJSON *state_of(const cJSON *states, const char *family, const char *direction, double T)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, states)
    {
        if (strcmp(str(s, "status"), "ok") == 0 && strcmp(str(s, "family"), family) == 0 &&
            strcmp(str(s, "direction"), direction) == 0 && num(s, "T", NULL) == T)
            return s;
    }
    return NULL;
}

static void cell(sf_text *t, double v, const char *fmt)
{
    if (isnan(v))
        sf_text_put(t, " - |");
    else
        sf_text_put(t, fmt, v);
}

static double steps(const cJSON *s)
{
    return s ? num(s, "metrics", "paper_steps_per_s") : NAN;
}

static double paper_value(const cJSON *paper, const char *series, double T)
{
    const cJSON *Ts = cJSON_GetObjectItemCaseSensitive(paper, "T");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(paper, "series"), series);
    for (int i = 0; i < cJSON_GetArraySize(Ts); ++i)
        if (cJSON_GetArrayItem(Ts, i)->valuedouble == T)
            return cJSON_GetArrayItem(v, i) ? cJSON_GetArrayItem(v, i)->valuedouble : NAN;
    return NAN;
}

static int access_in(const char *dir, const char *name)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static cJSON *read_optional(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cJSON *j = NULL;
    if (access(path, F_OK) == 0 && sf_json_read_file(path, &j) != SF_OK)
        return NULL;
    return j;
}

double sf_crossover_T(const double *T, const double *ratio, int n)
{
    double from = NAN;
    for (int i = n - 1; i >= 0 && ratio[i] >= 1.0; --i) /* NaN (not measured) ends the run too */
        from = T[i];
    return from;
}

/* The measured T values of a results file, ascending (at most max). */
static int measured_Ts(const cJSON *states, double *T, int max)
{
    int n = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, states)
    {
        const double v = num(s, "T", NULL);
        int i = 0;
        while (i < n && T[i] < v)
            ++i;
        if (strcmp(str(s, "status"), "ok") != 0 || (i < n && T[i] == v) || n == max)
            continue;
        memmove(T + i + 1, T + i, (size_t)(n - i) * sizeof *T);
        T[i] = v, ++n;
    }
    return n;
}

static void crossover_sentence(sf_text *t, const char *over, const double *T, const double *r, int n)
{
    const double from = sf_crossover_T(T, r, n);
    if (isnan(from))
        sf_text_put(t, "fused does not beat %s at T = %.0f, the largest measured", over, T[n - 1]);
    else if (from == T[0])
        sf_text_put(t, "fused beats %s at every measured T, from T = %.0f", over, from);
    else
        sf_text_put(t, "fused beats %s from T = %.0f on (at every measured T from there)", over, from);
}

static void crossover_section(sf_text *t, const cJSON *xover)
{
    const cJSON *states = cJSON_GetObjectItemCaseSensitive(xover, "states");
    double T[64];
    const int n = measured_Ts(states, T, 64);
    if (n == 0)
        return;
    sf_text_put(t, "## Where fusion starts to pay: the crossover T\n\n");
    sf_text_put(t, "One layer of N = %.0f neurons at small T; speedups of fused over step and over eager, from cold "
                   "medians measured in one run (`crossover.json`). A speedup below 1 means fusion does not pay "
                   "there.\n\n",
                num(cJSON_GetArrayItem(states, 0), "N", NULL));
    sf_text_put(t, "| T | fwd: fused / step | fwd: fused / eager | fwd+bwd: fused / step | fwd+bwd: fused / eager |\n"
                   "|---:|---:|---:|---:|---:|\n");
    const char *dirs[] = {"fwd", "fwd+bwd"};
    double r[2][2][64]; /* [direction][over step, over eager][T] */
    for (int i = 0; i < n; ++i) {
        sf_text_put(t, "| %.0f |", T[i]);
        for (int d = 0; d < 2; ++d) {
            const cJSON *e = state_of(states, "eager", dirs[d], T[i]), *s = state_of(states, "step", dirs[d], T[i]),
                        *f = state_of(states, "fused", dirs[d], T[i]);
            r[d][0][i] = steps(f) / steps(s);
            r[d][1][i] = steps(f) / steps(e);
            cell(t, r[d][0][i], " %.2fx |");
            cell(t, r[d][1][i], " %.2fx |");
        }
        sf_text_put(t, "\n");
    }
    sf_text_put(t, "\n");
    for (int d = 0; d < 2; ++d) {
        sf_text_put(t, "- %s: ", d ? "Forward and backward" : "Forward");
        crossover_sentence(t, "step", T, r[d][0], n);
        sf_text_put(t, "; ");
        crossover_sentence(t, "eager", T, r[d][1], n);
        sf_text_put(t, ".\n");
    }
    sf_text_put(t, "\n");
}

/* The paper's Fig. 5 series each peer stands for (peers without one are newer than the paper). */
static const struct {
    const char *peer, *series;
} paper_series[] = {
    {"sj-torch", "SpikingJelly torch"},
    {"sj-cupy", "SpikingJelly CuPy"},
    {"snntorch", "snnTorch"},
    {"torch-eager", "Serial (PyTorch)"},
};

static const char *series_of(const char *peer)
{
    for (size_t i = 0; i < sizeof paper_series / sizeof paper_series[0]; ++i)
        if (strcmp(paper_series[i].peer, peer) == 0)
            return paper_series[i].series;
    return NULL;
}

/* The families of a results file in their order of appearance (at most max). */
static int families_of(const cJSON *states, const char **out, int max)
{
    int n = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, states)
    {
        int i = 0;
        while (i < n && strcmp(out[i], str(s, "family")) != 0)
            ++i;
        if (i == n && n < max)
            out[n++] = str(s, "family");
    }
    return n;
}

/* Why a peer has no time: the reason of its first state that is not ok, or NULL. */
static const cJSON *first_not_ok(const cJSON *states, const char *family)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, states)
    {
        if (strcmp(str(s, "family"), family) == 0 && strcmp(str(s, "status"), "ok") != 0)
            return s;
    }
    return NULL;
}

/* Fig. 5 against the real libraries: peers.json beside peers-fused.json (same run, same surrogate). */
static void peers_section(sf_text *t, const cJSON *peers, const cJSON *fused, const cJSON *paper)
{
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(peers, "states"),
                *fs = cJSON_GetObjectItemCaseSensitive(fused, "states");
    const char *names[16];
    const int n = families_of(ps, names, 16);
    double T[16];
    const int nT = measured_Ts(fs, T, 16);
    if (n == 0 || nT == 0)
        return;
    sf_text_put(t, "## Against the real peers (Fig. 5's libraries)\n\n");
    sf_text_put(t, "Each peer computes the paper's function with the sigmoid surrogate (alpha 4); it was first checked "
                   "against spikefuse's float64 reference (`spikefuse verify --outputs`: T = 1, 33, 256, ragged M; "
                   "a peer that differs is not timed), then timed by the sweep's rules (cold samples, caches "
                   "flushed, the same stopping rule). fused ran with the same surrogate in the same run "
                   "(`peers-fused.json`, `peers.json`). Cells: time steps per second (the paper's unit), and fused "
                   "over the peer in parentheses; paper: ours over that library on the A100, at T = 8 and 128.\n\n");
    const char *dirs[] = {"fwd", "fwd+bwd"};
    for (int d = 0; d < 2; ++d) {
        sf_text_put(t, "### %s\n\n| peer | what ran | bytes / neuron-step at T = %.0f |", d ? "Forward and backward" : "Forward",
                    T[nT - 1]);
        for (int i = 0; i < nT; ++i)
            sf_text_put(t, " T = %.0f |", T[i]);
        sf_text_put(t, " paper: ours / it |\n|---|---|---:|");
        for (int i = 0; i < nT; ++i)
            sf_text_put(t, "---:|");
        const cJSON *f_last = state_of(fs, "fused", dirs[d], T[nT - 1]);
        const cJSON *f_kernel = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(f_last, "kernels"), 0);
        sf_text_put(t, "---:|\n| fused (spikefuse) | `%s` |", cJSON_IsString(f_kernel) ? f_kernel->valuestring : "-");
        cell(t, f_last ? num(f_last, "metrics", "bytes") / (T[nT - 1] * num(f_last, "M", NULL)) : NAN, " %.0f |");
        for (int i = 0; i < nT; ++i)
            cell(t, steps(state_of(fs, "fused", dirs[d], T[i])), " %.3g |");
        sf_text_put(t, " |\n");
        for (int k = 0; k < n; ++k) {
            const cJSON *any = state_of(ps, names[k], dirs[d], T[nT - 1]);
            const cJSON *peer = cJSON_GetObjectItemCaseSensitive(any ? any : first_not_ok(ps, names[k]), "peer");
            sf_text_put(t, "| %s | %s |", names[k], peer ? str(peer, "implementation") : "-");
            cell(t, any ? num(any, "metrics", "bytes_per_neuron_step") : NAN, " %.0f |");
            for (int i = 0; i < nT; ++i) {
                const double f = steps(state_of(fs, "fused", dirs[d], T[i])), p = steps(state_of(ps, names[k], dirs[d], T[i]));
                if (isnan(p))
                    sf_text_put(t, " - |");
                else
                    sf_text_put(t, " %.3g (%.1fx) |", p, f / p);
            }
            const char *series = series_of(names[k]);
            const double ours = paper_value(paper, "ours", 8), ours_hi = paper_value(paper, "ours", 128);
            if (series && !isnan(paper_value(paper, series, 8)))
                sf_text_put(t, " %.1fx, %.1fx |\n", ours / paper_value(paper, series, 8),
                            ours_hi / paper_value(paper, series, 128));
            else
                sf_text_put(t, " - |\n");
        }
        sf_text_put(t, "\n");
    }
    for (int k = 0; k < n; ++k) {
        const cJSON *bad = first_not_ok(ps, names[k]);
        if (bad)
            sf_text_put(t, "- %s: %s: %s\n", names[k], str(bad, "status"), str(bad, "reason"));
    }
    sf_text_put(t, "- The paper's ratios take ours over each library from Fig. 5's values; the paper does not say "
                   "whether Fig. 5 timed the forward pass alone. snntorch fires at `>` and detaches the reset in "
                   "backward: it is checked against a reference with those semantics, and `peers.json` records "
                   "its distance from the paper's function (`against_paper_function`).\n\n");
}

sf_status sf_reproduce_write_md(const char *dir, const char *preset_path, const char *out_md)
{
    cJSON *fig5 = NULL, *preset = NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/paper-fig5.json", dir);
    sf_status st = sf_results_read(path, &fig5);
    if (st == SF_OK)
        st = sf_json_read_file(preset_path, &preset);
    if (st != SF_OK) {
        cJSON_Delete(fig5);
        return st;
    }
    cJSON *multi = read_optional(dir, "multigpu.json"), *bw = read_optional(dir, "bandwidth.json"),
          *xover = read_optional(dir, "crossover.json");
    const cJSON *paper = cJSON_GetObjectItemCaseSensitive(preset, "paper");
    const cJSON *dev = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(fig5, "devices"), 0);
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(fig5, "meta");
    const int cpu = strcmp(str(dev, "backend"), "cpu") == 0;
    const cJSON *states = cJSON_GetObjectItemCaseSensitive(fig5, "states");
    sf_text t = {0};
    sf_text_put(&t, "# Reproducing the paper's Fig. 5 on %s (%s backend%s)\n\n", str(dev, "name"), str(dev, "backend"),
                cpu ? ": no GPU here, every number below is a CPU measurement" : "");
    sf_text_put(&t, "- Device key `%s`; measured copy bandwidth %.1f GB/s. Commit %.12s%s, %s.\n", str(dev, "key"),
                num(dev, "copy_bandwidth_Bps", NULL) / 1e9, str(meta, "git_commit"),
                cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(meta, "git_dirty")) ? " (dirty)" : "", str(meta, "date"));
    sf_text_put(&t, "- Unit: time steps per second = T / (seconds of 1000 trials), from cold medians, as the paper's "
                    "Fig. 5; one LIF layer of 1,000,000 neurons. eager is the analogue of the paper's Serial (PyTorch), "
                    "step of Serial (CUDA), fused of ours; fused-tuned runs the tuning database's config (the lookup "
                    "level that answered is in `paper-fig5.json`, field `tuned`). Ratios are measured in this run.\n");
    sf_text_put(&t, "- Paper columns: %s. They are the paper's numbers, not ours, on another GPU; the paper does not "
                    "say whether Fig. 5 timed the forward pass alone, so its values stand beside both tables.\n\n",
                str(paper, "source"));
    const char *dirs[] = {"fwd", "fwd+bwd"};
    for (int d = 0; d < 2; ++d) {
        sf_text_put(&t, "## %s\n\n", d ? "Forward and backward" : "Forward");
        sf_text_put(&t, "| T | eager | step | fused | fused-tuned | fused / eager | fused / step | tuned / fused | "
                        "fused %% of copy BW | paper: Serial (PyTorch) | paper: Serial (CUDA) | paper: ours | "
                        "paper: ours / Serial (CUDA) |\n");
        sf_text_put(&t, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        static const double Ts[] = {8, 16, 32, 64, 128};
        for (int i = 0; i < 5; ++i) {
            const double T = Ts[i];
            const cJSON *e = state_of(states, "eager", dirs[d], T), *s = state_of(states, "step", dirs[d], T),
                        *f = state_of(states, "fused", dirs[d], T), *ft = state_of(states, SF_TUNED_FAMILY, dirs[d], T);
            sf_text_put(&t, "| %.0f |", T);
            cell(&t, steps(e), " %.2f |");
            cell(&t, steps(s), " %.2f |");
            cell(&t, steps(f), " %.2f |");
            cell(&t, steps(ft), " %.2f |");
            cell(&t, steps(f) / steps(e), " %.2fx |");
            cell(&t, steps(f) / steps(s), " %.2fx |");
            cell(&t, steps(ft) / steps(f), " %.2fx |");
            cell(&t, f ? num(f, "metrics", "pct_copy_bw") : NAN, " %.1f %% |");
            const double pp = paper_value(paper, "Serial (PyTorch)", T), pc = paper_value(paper, "Serial (CUDA)", T),
                         po = paper_value(paper, "ours", T);
            cell(&t, pp, " %.2f |");
            cell(&t, pc, " %.2f |");
            cell(&t, po, " %.2f |");
            cell(&t, po / pc, " %.2fx |");
            sf_text_put(&t, "\n");
        }
        sf_text_put(&t, "\n");
    }

    /* the peers part's files: here, or in ../peers where the GPU check's peers step leaves them */
    const char *peers_dir = access_in(dir, "peers.json") ? dir : NULL;
    char beside[4200];
    snprintf(beside, sizeof beside, "%s/../peers", dir);
    if (!peers_dir && access_in(beside, "peers.json"))
        peers_dir = beside;
    cJSON *peers = peers_dir ? read_optional(peers_dir, "peers.json") : NULL,
          *peers_fused = peers_dir ? read_optional(peers_dir, "peers-fused.json") : NULL;
    if (peers && peers_fused)
        peers_section(&t, peers, peers_fused, paper);
    cJSON_Delete(peers), cJSON_Delete(peers_fused);
    if (xover)
        crossover_section(&t, xover);
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(multi, "model");
    if (model) {
        sf_text_put(&t, "## Multi-GPU model (Eqs. 4-5)\n\n");
        sf_text_put(&t, "T_s: one fused layer (`%s`, M = %.0f) on this device; T_c: one hand-off of the boundary "
                        "state (M floats), %s: %.3g us. mu(k) = k T_s / (k (k-1) T_c + T_s), k* = sqrt(T_s / T_c).\n\n",
                    str(model, "kernel"), num(model, "M", NULL), str(model, "handoff"), 1e6 * num(model, "T_c_s", NULL));
        sf_text_put(&t, "| T | T_s (ms) | r = T_s / T_c | k* | mu* | mu(2) | mu(4) | mu(8) |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        const cJSON *row;
        cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(model, "layers"))
        {
            const cJSON *mu = cJSON_GetObjectItemCaseSensitive(row, "mu_k1_to_8");
            sf_text_put(&t, "| %.0f | %.4g | %.4g | %.1f | %.2f | %.2f | %.2f | %.2f |\n", num(row, "T", NULL),
                        1e3 * num(row, "T_s_s", NULL), num(row, "r", NULL), num(row, "k_star", NULL),
                        num(row, "mu_star", NULL), cJSON_GetArrayItem(mu, 1)->valuedouble,
                        cJSON_GetArrayItem(mu, 3)->valuedouble, cJSON_GetArrayItem(mu, 7)->valuedouble);
        }
        const cJSON *fig4 = cJSON_GetObjectItemCaseSensitive(preset, "fig4");
        sf_text_put(&t, "\nFig. 4's model curve for r = 64, from the formula beside the paper's values: ");
        const cJSON *pv = cJSON_GetObjectItemCaseSensitive(fig4, "mu_k1_to_8");
        for (int k = 1; k <= 8; ++k)
            sf_text_put(&t, "%s%.2f (paper %.2f)", k > 1 ? ", " : "", sf_mu(k, 64), cJSON_GetArrayItem(pv, k - 1)->valuedouble);
        sf_text_put(&t, ".\n\n");
    }
    if (bw) {
        sf_text_put(&t, "## %% of copy bandwidth against N (T = 64, forward)\n\n| N | fused | step |\n|---:|---:|---:|\n");
        const cJSON *s;
        cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(bw, "states"))
        {
            if (strcmp(str(s, "family"), "fused") != 0 || strcmp(str(s, "status"), "ok") != 0)
                continue;
            const cJSON *p = NULL, *o;
            cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(bw, "states"))
            {
                if (!p && strcmp(str(o, "family"), "step") == 0 && strcmp(str(o, "status"), "ok") == 0 &&
                    sf_same_problem(o, s))
                    p = o;
            }
            sf_text_put(&t, "| %.0f | %.1f %% |", num(s, "N", NULL), num(s, "metrics", "pct_copy_bw"));
            cell(&t, p ? num(p, "metrics", "pct_copy_bw") : NAN, " %.1f %% |");
            sf_text_put(&t, "\n");
        }
        sf_text_put(&t, "\n");
    }
    sf_text_put(&t, "Figures: `figures/` (plots/plot.sh %s). Raw data: `paper-fig5.json`%s%s%s%s.\n", dir,
                xover ? ", `crossover.json`" : "", bw ? ", `bandwidth.json`" : "", multi ? ", `multigpu.json`" : "",
                peers_dir == dir ? ", `peers.json`, `peers-fused.json`" : peers_dir ? ", `../peers/peers.json`, `../peers/peers-fused.json`" : "");
    const char *missing[4];
    int n_missing = 0;
    if (!xover)
        missing[n_missing++] = "crossover";
    if (!bw)
        missing[n_missing++] = "bandwidth";
    if (!multi)
        missing[n_missing++] = "multigpu";
    if (!peers_dir)
        missing[n_missing++] = "peers";
    if (n_missing) {
        sf_text_put(&t, "Parts not measured yet: ");
        for (int i = 0; i < n_missing; ++i)
            sf_text_put(&t, "%s`%s`", i ? ", " : "", missing[i]);
        sf_text_put(&t, " (`spikefuse reproduce --parts` measures them).\n");
    }
    cJSON_Delete(fig5), cJSON_Delete(preset), cJSON_Delete(multi), cJSON_Delete(bw), cJSON_Delete(xover);
    return sf_text_finish(&t, out_md);
}
