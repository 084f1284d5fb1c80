/* The reproduction's report, reproduce.md, from the results files of a folder alone (no device): Fig. 5's
 * tables beside the paper's values, the real peers, the crossover T, the multi-GPU model and bandwidth
 * against N. The measuring is reproduce.c. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "json_util.h"
#include "multigpu.h"
#include "reproduce.h"
#include "spikefuse_core.h"
#include "results_model.h"
#include "sweep.h"
#include "text.h"

#define num sf_json_num
#define str sf_json_str

/* The measured state of a family at (direction, T): each of reproduce's files fixes N and B. */
static const sf_result_state *state_of(const sf_results *r, const char *family, const char *direction, double T)
{
    const sf_problem p = {.direction = direction, .T = T};
    return sf_results_find(r, family, &p, SF_MATCH_DIRECTION_T);
}

static void cell(sf_text *t, double v, const char *fmt)
{
    if (isnan(v))
        sf_text_put(t, " - |");
    else
        sf_text_put(t, fmt, v);
}

static double steps(const sf_result_state *s)
{
    return s ? s->metrics.paper_steps_per_s : NAN;
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

/* A results file of the folder, or NULL when it is not there or not readable (that part is left out). */
static sf_results *read_optional_results(const char *dir, const char *name, sf_results *out)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0 && sf_results_load(path, out) == SF_OK ? out : NULL;
}

double sf_crossover_T(const double *T, const double *ratio, int n)
{
    double from = NAN;
    for (int i = n - 1; i >= 0 && ratio[i] >= 1.0; --i) /* NaN (not measured) ends the run too */
        from = T[i];
    return from;
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

static void crossover_section(sf_text *t, const sf_results *xover)
{
    double T[64];
    const int n = sf_results_values(xover, SF_AXIS_T, 1, T, 64);
    if (n == 0)
        return;
    sf_text_put(t, "## Where fusion starts to pay: the crossover T\n\n");
    sf_text_put(t, "One layer of N = %.0f neurons at small T; speedups of fused over step and over eager, from cold "
                   "medians measured in one run (`crossover.json`). A speedup below 1 means fusion does not pay "
                   "there.\n\n",
                xover->states[0].N);
    sf_text_put(t, "| T | fwd: fused / step | fwd: fused / eager | fwd+bwd: fused / step | fwd+bwd: fused / eager |\n"
                   "|---:|---:|---:|---:|---:|\n");
    const char *dirs[] = {"fwd", "fwd+bwd"};
    double r[2][2][64]; /* [direction][over step, over eager][T] */
    for (int i = 0; i < n; ++i) {
        sf_text_put(t, "| %.0f |", T[i]);
        for (int d = 0; d < 2; ++d) {
            const sf_result_state *e = state_of(xover, "eager", dirs[d], T[i]),
                                  *s = state_of(xover, "step", dirs[d], T[i]), *f = state_of(xover, "fused", dirs[d], T[i]);
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
static int families_of(const sf_results *r, const char **out, int max)
{
    int n = 0;
    for (int k = 0; k < r->n_states; ++k) {
        int i = 0;
        while (i < n && strcmp(out[i], r->states[k].family) != 0)
            ++i;
        if (i == n && n < max)
            out[n++] = r->states[k].family;
    }
    return n;
}

/* Why a peer has no time: the reason of its first state that is not ok, or NULL. */
static const sf_result_state *first_not_ok(const sf_results *r, const char *family)
{
    for (int k = 0; k < r->n_states; ++k)
        if (strcmp(r->states[k].family, family) == 0 && r->states[k].status != SF_STATE_OK)
            return &r->states[k];
    return NULL;
}

/* Fig. 5 against the real libraries: peers.json beside peers-fused.json (same run, same surrogate). */
static void peers_section(sf_text *t, const sf_results *ps, const sf_results *fs, const cJSON *paper)
{
    const char *names[16];
    const int n = families_of(ps, names, 16);
    double T[16];
    const int nT = sf_results_values(fs, SF_AXIS_T, 1, T, 16);
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
        const sf_result_state *f_last = state_of(fs, "fused", dirs[d], T[nT - 1]);
        sf_text_put(t, "---:|\n| fused (spikefuse) | `%s` |", f_last && f_last->n_kernels ? f_last->kernels[0] : "-");
        cell(t, f_last ? f_last->metrics.bytes / (T[nT - 1] * f_last->M) : NAN, " %.0f |");
        for (int i = 0; i < nT; ++i)
            cell(t, steps(state_of(fs, "fused", dirs[d], T[i])), " %.3g |");
        sf_text_put(t, " |\n");
        for (int k = 0; k < n; ++k) {
            const sf_result_state *any = state_of(ps, names[k], dirs[d], T[nT - 1]);
            const sf_result_state *shown = any ? any : first_not_ok(ps, names[k]);
            const char *peer = shown ? shown->peer_implementation : NULL;
            sf_text_put(t, "| %s | %s |", names[k], peer ? peer : "-");
            cell(t, any ? any->metrics.bytes_per_neuron_step : NAN, " %.0f |");
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
        const sf_result_state *bad = first_not_ok(ps, names[k]);
        if (bad)
            sf_text_put(t, "- %s: %s: %s\n", names[k], sf_state_status_name(bad->status), bad->reason);
    }
    sf_text_put(t, "- The paper's ratios take ours over each library from Fig. 5's values; the paper does not say "
                   "whether Fig. 5 timed the forward pass alone. snntorch fires at `>` and detaches the reset in "
                   "backward: it is checked against a reference with those semantics, and `peers.json` records "
                   "its distance from the paper's function (`against_paper_function`).\n\n");
}

static void intro_section(sf_text *t, const sf_results *fig5, const cJSON *paper)
{
    const sf_result_device *dev = &fig5->device;
    const sf_result_meta *meta = &fig5->meta;
    const int cpu = strcmp(dev->backend, "cpu") == 0;
    sf_text_put(t, "# Reproducing the paper's Fig. 5 on %s (%s backend%s)\n\n", dev->name, dev->backend,
                cpu ? ": no GPU here, every number below is a CPU measurement" : "");
    sf_text_put(t, "- Device key `%s`; measured copy bandwidth %.1f GB/s. Commit %.12s%s, %s.\n", dev->key,
                dev->copy_bandwidth_Bps / 1e9, meta->git_commit, meta->git_dirty ? " (dirty)" : "", meta->date);
    sf_text_put(t, "- Unit: time steps per second = T / (seconds of 1000 trials), from cold medians, as the paper's "
                   "Fig. 5; one LIF layer of 1,000,000 neurons. eager is the analogue of the paper's Serial (PyTorch), "
                   "step of Serial (CUDA), fused of ours; fused-tuned runs the tuning database's config (the lookup "
                   "level that answered is in `paper-fig5.json`, field `tuned`). Ratios are measured in this run.\n");
    sf_text_put(t, "- Paper columns: %s. They are the paper's numbers, not ours, on another GPU; the paper does not "
                   "say whether Fig. 5 timed the forward pass alone, so its values stand beside both tables.\n\n",
                str(paper, "source"));
}

/* Fig. 5's table per direction: the four families, fused over each, and the paper's A100 values. */
static void fig5_section(sf_text *t, const sf_results *fig5, const cJSON *paper)
{
    const char *dirs[] = {"fwd", "fwd+bwd"};
    static const double Ts[] = {8, 16, 32, 64, 128};
    for (int d = 0; d < 2; ++d) {
        sf_text_put(t, "## %s\n\n", d ? "Forward and backward" : "Forward");
        sf_text_put(t, "| T | eager | step | fused | fused-tuned | fused / eager | fused / step | tuned / fused | "
                       "fused %% of copy BW | paper: Serial (PyTorch) | paper: Serial (CUDA) | paper: ours | "
                       "paper: ours / Serial (CUDA) |\n");
        sf_text_put(t, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (int i = 0; i < 5; ++i) {
            const double T = Ts[i];
            const sf_result_state *e = state_of(fig5, "eager", dirs[d], T), *s = state_of(fig5, "step", dirs[d], T),
                                  *f = state_of(fig5, "fused", dirs[d], T),
                                  *ft = state_of(fig5, SF_TUNED_FAMILY, dirs[d], T);
            sf_text_put(t, "| %.0f |", T);
            cell(t, steps(e), " %.2f |");
            cell(t, steps(s), " %.2f |");
            cell(t, steps(f), " %.2f |");
            cell(t, steps(ft), " %.2f |");
            cell(t, steps(f) / steps(e), " %.2fx |");
            cell(t, steps(f) / steps(s), " %.2fx |");
            cell(t, steps(ft) / steps(f), " %.2fx |");
            cell(t, f ? f->metrics.pct_copy_bw : NAN, " %.1f %% |");
            const double pp = paper_value(paper, "Serial (PyTorch)", T), pc = paper_value(paper, "Serial (CUDA)", T),
                         po = paper_value(paper, "ours", T);
            cell(t, pp, " %.2f |");
            cell(t, pc, " %.2f |");
            cell(t, po, " %.2f |");
            cell(t, po / pc, " %.2fx |");
            sf_text_put(t, "\n");
        }
        sf_text_put(t, "\n");
    }
}

static void multigpu_section(sf_text *t, const cJSON *model, const cJSON *preset)
{
    sf_text_put(t, "## Multi-GPU model (Eqs. 4-5)\n\n");
    sf_text_put(t, "T_s: one fused layer (`%s`, M = %.0f) on this device; T_c: one hand-off of the boundary "
                   "state (M floats), %s: %.3g us. mu(k) = k T_s / (k (k-1) T_c + T_s), k* = sqrt(T_s / T_c).\n\n",
                str(model, "kernel"), num(model, "M", NULL), str(model, "handoff"), 1e6 * num(model, "T_c_s", NULL));
    sf_text_put(t, "| T | T_s (ms) | r = T_s / T_c | k* | mu* | mu(2) | mu(4) | mu(8) |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    const cJSON *row;
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(model, "layers"))
    {
        const cJSON *mu = cJSON_GetObjectItemCaseSensitive(row, "mu_k1_to_8");
        sf_text_put(t, "| %.0f | %.4g | %.4g | %.1f | %.2f | %.2f | %.2f | %.2f |\n", num(row, "T", NULL),
                    1e3 * num(row, "T_s_s", NULL), num(row, "r", NULL), num(row, "k_star", NULL),
                    num(row, "mu_star", NULL), cJSON_GetArrayItem(mu, 1)->valuedouble,
                    cJSON_GetArrayItem(mu, 3)->valuedouble, cJSON_GetArrayItem(mu, 7)->valuedouble);
    }
    const cJSON *fig4 = cJSON_GetObjectItemCaseSensitive(preset, "fig4");
    sf_text_put(t, "\nFig. 4's model curve for r = 64, from the formula beside the paper's values: ");
    const cJSON *pv = cJSON_GetObjectItemCaseSensitive(fig4, "mu_k1_to_8");
    for (int k = 1; k <= 8; ++k)
        sf_text_put(t, "%s%.2f (paper %.2f)", k > 1 ? ", " : "", sf_mu(k, 64), cJSON_GetArrayItem(pv, k - 1)->valuedouble);
    sf_text_put(t, ".\n\n");
}

static void bandwidth_section(sf_text *t, const sf_results *bw)
{
    sf_text_put(t, "## %% of copy bandwidth against N (T = 64, forward)\n\n| N | fused | step |\n|---:|---:|---:|\n");
    for (int k = 0; k < bw->n_states; ++k) {
        const sf_result_state *s = &bw->states[k];
        if (strcmp(s->family, "fused") != 0 || s->status != SF_STATE_OK)
            continue;
        const sf_problem problem = sf_problem_of(s);
        const sf_result_state *p = sf_results_find(bw, "step", &problem, SF_MATCH_SHAPE);
        sf_text_put(t, "| %.0f | %.1f %% |", s->N, s->metrics.pct_copy_bw);
        cell(t, p ? p->metrics.pct_copy_bw : NAN, " %.1f %% |");
        sf_text_put(t, "\n");
    }
    sf_text_put(t, "\n");
}

/* A fused variant of the beyond-paper part: what forward keeps and how the tensors and spikes are
 * stored ("" keep: a forward state). */
typedef struct variant {
    const char *keep, *dtype, *spikes;
} variant;

/* A fused state of the beyond-paper part with these storage knobs at (direction, T); NULL if none. */
static const sf_result_state *variant_of(const sf_results *r, const char *direction, double T, variant v)
{
    const sf_problem p = {direction, T, NAN, NAN, NAN};
    for (int i = 0; i < r->n_states; ++i) {
        const sf_result_state *s = &r->states[i];
        const sf_problem q = sf_problem_of(s);
        if (s->status == SF_STATE_OK && strcmp(s->family, "fused") == 0 && !strcmp(s->keep, v.keep) &&
            !strcmp(s->dtype, v.dtype) && !strcmp(s->spikes, v.spikes) && sf_problem_matches(&p, &q, SF_MATCH_DIRECTION_T))
            return s;
    }
    return NULL;
}

/* The variants measured in a direction, the paper's design (vtrace, f32, f32) first, then in the
 * file's order; returns how many (at most max). */
static int variants_in(const sf_results *r, const char *direction, variant *out, int max)
{
    const int both = strcmp(direction, "fwd+bwd") == 0;
    int n = 0;
    out[n++] = (variant){both ? "vtrace" : "", "f32", "f32"};
    for (int i = 0; i < r->n_states && n < max; ++i) {
        const sf_result_state *s = &r->states[i];
        if (s->status != SF_STATE_OK || strcmp(s->family, "fused") != 0 || strcmp(s->direction, direction) != 0)
            continue;
        int seen = 0;
        for (int k = 0; k < n && !seen; ++k)
            seen = !strcmp(out[k].keep, s->keep) && !strcmp(out[k].dtype, s->dtype) && !strcmp(out[k].spikes, s->spikes);
        if (!seen)
            out[n++] = (variant){s->keep, s->dtype, s->spikes};
    }
    return n;
}

/* One variant's row: bytes per neuron-step, then per T its time, % of copy bandwidth, speedup over the
 * paper's design in this run, and the spike flip rate against fp32 storage. */
static void variant_row(sf_text *t, const sf_results *r, const char *direction, variant v, const double *T, int nT)
{
    const int both = strcmp(direction, "fwd+bwd") == 0;
    const variant paper = {both ? "vtrace" : "", "f32", "f32"};
    const sf_result_state *any = NULL;
    for (int i = 0; i < nT && !any; ++i)
        any = variant_of(r, direction, T[i], v);
    if (!any)
        return;
    sf_text_put(t, "| %s | %s | %s | %.3g |", *v.keep ? v.keep : "-", v.dtype, v.spikes,
                any->metrics.bytes / (any->T * any->M));
    for (int i = 0; i < nT; ++i) {
        const sf_result_state *s = variant_of(r, direction, T[i], v), *p = variant_of(r, direction, T[i], paper);
        if (!s) {
            sf_text_put(t, " - |");
            continue;
        }
        sf_text_put(t, " %.4g ms, %.0f %%", 1e3 * s->cold.median_s, s->metrics.pct_copy_bw);
        if (p && p->run != s->run)
            sf_text_put(t, ", " SF_RATIO_ACROSS_RUNS);
        else if (p)
            sf_text_put(t, ", %.2fx", sf_results_speedup(p, s));
        /* fp32 storage flips nothing by construction; a narrower one says what it measured */
        if (strcmp(s->dtype, "f32") == 0)
            sf_text_put(t, ", exact |");
        else if (!isnan(s->storage_cost.spike_flip_rate))
            sf_text_put(t, ", flips %.2g |", s->storage_cost.spike_flip_rate);
        else
            sf_text_put(t, " |");
    }
    sf_text_put(t, "\n");
}

/* Each storage variant against the paper's design (keep=vtrace, dtype=f32, spikes=f32) measured in the
 * same run: bytes per neuron-step from the byte model, then per T its time, % of copy bandwidth, speedup
 * and spike flip rate. */
static void beyond_section(sf_text *t, const sf_results *r)
{
    static const char *const directions[] = {"fwd", "fwd+bwd"};
    double T[16];
    const int nT = sf_results_values(r, SF_AXIS_T, 1, T, 16);
    sf_text_put(t, "## Beyond the paper's kernel\n\nFused kernels that move fewer bytes, each verified like every "
                   "kernel: `keep=h` reads v alone in backward and recomputes the spikes, `keep=recompute` keeps "
                   "only the spikes and an fp32 v checkpoint every chunk of steps and its backward replays each "
                   "chunk from x, `spikes=u8|b1` stores spikes a byte or a bit each (all exact in fp32), "
                   "`dtype=bf16|f16` stores x, v, dL/dy and dL/dx at 16 bits with fp32 arithmetic. Per T: median, %% of copy bandwidth by the variant's own byte model, the "
                   "paper's design (keep=vtrace, dtype=f32, spikes=f32) over it in this run, and the fraction of "
                   "spikes that flip against fp32 storage (the float64 reference's storage model on the same "
                   "inputs; `spikefuse storage-cost` tabulates it with dL/dx's error).\n\n");
    for (int d = 0; d < 2; ++d) {
        variant vs[32];
        const int nv = variants_in(r, directions[d], vs, 32);
        sf_text_put(t, "%s:\n\n| keep | dtype | spikes | bytes / neuron-step |", d ? "Forward+backward" : "Forward");
        for (int i = 0; i < nT; ++i)
            sf_text_put(t, " T = %.0f |", T[i]);
        sf_text_put(t, "\n|---|---|---|---:|");
        for (int i = 0; i < nT; ++i)
            sf_text_put(t, "---:|");
        sf_text_put(t, "\n");
        for (int v = 0; v < nv; ++v)
            variant_row(t, r, directions[d], vs[v], T, nT);
        sf_text_put(t, "\n");
    }
}

/* The report's optional parts, read from the folder (peers also from ../peers, where the GPU check's
 * peers step leaves them). */
typedef struct report_parts {
    cJSON *multi;
    sf_results *bw, *xover, *peers, *peers_fused, *beyond; /* NULL, or the file read into the one beside */
    sf_results bw_file, xover_file, peers_file, peers_fused_file, beyond_file;
    const char *peers_dir; /* NULL, dir, or beside */
    char beside[4200];
} report_parts;

static void read_parts(const char *dir, report_parts *p)
{
    p->multi = read_optional(dir, "multigpu.json");
    p->bw = read_optional_results(dir, "bandwidth.json", &p->bw_file);
    p->xover = read_optional_results(dir, "crossover.json", &p->xover_file);
    p->beyond = read_optional_results(dir, "beyond-paper.json", &p->beyond_file);
    snprintf(p->beside, sizeof p->beside, "%s/../peers", dir);
    p->peers_dir = access_in(dir, "peers.json") ? dir : access_in(p->beside, "peers.json") ? p->beside : NULL;
    p->peers = p->peers_dir ? read_optional_results(p->peers_dir, "peers.json", &p->peers_file) : NULL;
    p->peers_fused = p->peers_dir ? read_optional_results(p->peers_dir, "peers-fused.json", &p->peers_fused_file) : NULL;
}

/* Where the raw data is, and which parts are not measured yet. */
static void footer(sf_text *t, const char *dir, const report_parts *p)
{
    sf_text_put(t, "Figures: `figures/` (plots/plot.sh %s). Raw data: `paper-fig5.json`%s%s%s%s%s.\n", dir,
                p->xover ? ", `crossover.json`" : "", p->bw ? ", `bandwidth.json`" : "",
                p->multi ? ", `multigpu.json`" : "", p->beyond ? ", `beyond-paper.json`" : "",
                p->peers_dir == dir ? ", `peers.json`, `peers-fused.json`"
                : p->peers_dir      ? ", `../peers/peers.json`, `../peers/peers-fused.json`"
                                    : "");
    const char *missing[5];
    int n_missing = 0;
    if (!p->xover)
        missing[n_missing++] = "crossover";
    if (!p->bw)
        missing[n_missing++] = "bandwidth";
    if (!p->multi)
        missing[n_missing++] = "multigpu";
    if (!p->beyond)
        missing[n_missing++] = "beyond-paper";
    if (!p->peers_dir)
        missing[n_missing++] = "peers";
    if (n_missing) {
        sf_text_put(t, "Parts not measured yet: ");
        for (int i = 0; i < n_missing; ++i)
            sf_text_put(t, "%s`%s`", i ? ", " : "", missing[i]);
        sf_text_put(t, " (`spikefuse reproduce --parts` measures them).\n");
    }
}

static void free_parts(report_parts *p)
{
    sf_results *files[] = {p->bw, p->xover, p->peers, p->peers_fused, p->beyond};
    for (int i = 0; i < 5; ++i)
        if (files[i])
            sf_results_free(files[i]);
    cJSON_Delete(p->multi);
}

sf_status sf_reproduce_write_md(const char *dir, const char *preset_path, const char *out_md)
{
    sf_results fig5;
    cJSON *preset = NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/paper-fig5.json", dir);
    sf_status st = sf_results_load(path, &fig5);
    if (st != SF_OK)
        return st;
    if ((st = sf_json_read_file(preset_path, &preset)) != SF_OK) {
        sf_results_free(&fig5);
        return st;
    }
    report_parts p;
    read_parts(dir, &p);
    const cJSON *paper = cJSON_GetObjectItemCaseSensitive(preset, "paper");
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(p.multi, "model");
    sf_text t = {0};
    intro_section(&t, &fig5, paper);
    fig5_section(&t, &fig5, paper);
    if (p.peers && p.peers_fused)
        peers_section(&t, p.peers, p.peers_fused, paper);
    if (p.xover)
        crossover_section(&t, p.xover);
    if (model)
        multigpu_section(&t, model, preset);
    if (p.bw)
        bandwidth_section(&t, p.bw);
    if (p.beyond)
        beyond_section(&t, p.beyond);
    footer(&t, dir, &p);
    sf_results_free(&fig5), cJSON_Delete(preset), free_parts(&p);
    return sf_text_finish(&t, out_md);
}
