/* The sweep driver: axes -> states -> verified, measured, written after every state; one writer per
 * output, resumable, interruptible. */
#include "sweep.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "build_info.h"
#include "json_util.h"
#include "spikefuse_core.h"
#include "sweep_private.h"

#define num sf_json_num
#define str sf_json_str

/* ---- progress and interruption ------------------------------------------------------------- */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    interrupted = sig;
    signal(sig, SIG_DFL); /* a second Ctrl-C ends at once; the file holds every finished sweep_state */
}

static void progress(int64_t i, int64_t n, const char *what, double elapsed, double per_state)
{
    const int tty = isatty(STDERR_FILENO);
    const double left = per_state * (double)(n - i);
    fprintf(stderr, "%s[%lld/%lld] %-72.72s elapsed %5.0fs left ~%5.0fs%s", tty ? "\r\033[K" : "", (long long)i + 1,
            (long long)n, what, elapsed, left, tty ? "" : "\n");
    fflush(stderr);
}

/* ---- one writer per output ----------------------------------------------------------------- */

/* Two sweeps writing one file would each drop the other's states: OUT.lock holds the writer's pid.
 * A lock whose process is gone (a crash, kill -9) is stale and taken over. */
static sf_status lock_output(const char *out, char *lock, size_t n)
{
    snprintf(lock, n, "%s.lock", out);
    for (int attempt = 0; attempt < 2; ++attempt) {
        const int fd = open(lock, O_CREAT | O_EXCL | O_WRONLY, 0644);
        if (fd >= 0) {
            dprintf(fd, "%ld\n", (long)getpid());
            close(fd);
            return SF_OK;
        }
        if (errno != EEXIST)
            return sf_fail(SF_ERR_IO, "%s: %s", lock, strerror(errno));
        long pid = 0;
        FILE *f = fopen(lock, "r");
        if (f) {
            if (fscanf(f, "%ld", &pid) != 1)
                pid = 0;
            fclose(f);
        }
        if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
            return sf_fail(SF_ERR_INVALID, "another sweep (pid %ld) is writing %s; wait for it, or remove %s if it is gone",
                           pid, out, lock);
        unlink(lock);
    }
    return sf_fail(SF_ERR_IO, "%s: cannot take the lock", lock);
}

/* ---- the run ------------------------------------------------------------------------------- */

/* Previous results in the output file: finished states by id. Refuses a file from another device. */
static sf_status load_previous(const sf_sweep_config *c, const sf_device_info *dev, cJSON **prev)
{
    *prev = NULL;
    if (access(c->out_json, F_OK) != 0)
        return SF_OK;
    sf_status s = sf_results_read(c->out_json, prev);
    if (s != SF_OK)
        return sf_fail(s, "cannot resume from %s: %s (move it away to start afresh)", c->out_json, sf_last_error());
    const cJSON *d0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(*prev, "devices"), 0);
    if (strcmp(str(d0, "key"), dev->key) != 0) {
        s = sf_fail(SF_ERR_INVALID, "%s holds results of device %s (%s), not this one (%s, %s): use another --out",
                    c->out_json, str(d0, "name"), str(d0, "key"), dev->name, dev->key);
        cJSON_Delete(*prev);
        *prev = NULL;
    }
    return s;
}

/* Whether a recorded state ran exactly this state's kernels: the id names only the forward one, and a
 * fwd+bwd state's backward (or a tuned state's pair) can change with the build or the database. */
static int same_kernels(const cJSON *old, const sweep_state *st)
{
    const char *want[2] = {st->fwd ? st->fwd->name : NULL, st->bwd ? st->bwd->name : NULL};
    const cJSON *ks = cJSON_GetObjectItemCaseSensitive(old, "kernels");
    int n = 0;
    for (int i = 0; i < 2; ++i) {
        if (!want[i])
            continue;
        const cJSON *k = cJSON_GetArrayItem(ks, n++);
        if (!cJSON_IsString(k) || strcmp(k->valuestring, want[i]) != 0)
            return 0;
    }
    return cJSON_GetArraySize(ks) == n;
}

/* A state of the earlier run that resume keeps: measured, or skipped for a reason that still holds, by
 * the same kernels; any other is run again and replaced. */
static cJSON *find_state(cJSON *prev, const sweep_state *st)
{
    cJSON *s = sf_results_state(prev, st->id);
    return s && (strcmp(str(s, "status"), "ok") == 0 || strcmp(str(s, "status"), "skipped") == 0) &&
                   same_kernels(s, st)
               ? s
               : NULL;
}

static sf_status sweep_locked(sf_sweep_config *c, const sf_device_info *dev);

/* What the finished file says, as an exit status, so that a script does not read a wrong kernel or an
 * empty file as a result: a state that failed verification (never resumed, so this run's), or a sweep of
 * which nothing could run (skipped states are resumed, so a re-run says it again). */
static sf_status file_verdict(const cJSON *states, int64_t n, const char *path)
{
    int64_t failed = 0, skipped = 0;
    const cJSON *s, *first_skip = NULL;
    cJSON_ArrayForEach(s, states)
    {
        const char *status = str(s, "status");
        failed += strcmp(status, "failed") == 0;
        if (strcmp(status, "skipped") == 0 && !skipped++)
            first_skip = s;
    }
    if (failed)
        return sf_fail(SF_ERR_IO, "%lld states' outputs differ from the float64 reference (status \"failed\" in %s)",
                       (long long)failed, path);
    if (n > 0 && skipped == n)
        return sf_fail(SF_ERR_IO, "nothing could run: all %lld states were skipped (the first: %s: %s)", (long long)n,
                       str(first_skip, "id"), str(first_skip, "reason"));
    return SF_OK;
}

sf_status sf_sweep_run(sf_sweep_config *c)
{
    sf_device_info dev;
    sf_status s = sweep_validate(c);
    if (s == SF_OK)
        s = sf_device_query(c->backend, &dev);
    if (s != SF_OK)
        return s;
    if (!c->out_json)
        return sf_fail(SF_ERR_INVALID, "sweep: no output file given");
    const char *outputs[] = {c->out_json, c->out_csv, c->out_md};
    for (int i = 0; i < 3; ++i)
        if (outputs[i] && (s = sf_check_writable(outputs[i])) != SF_OK)
            return s;
    char lock[4096];
    if ((s = lock_output(c->out_json, lock, sizeof lock)) != SF_OK)
        return s;
    s = sweep_locked(c, &dev);
    unlink(lock);
    return s;
}

/* What became of one state that can run. */
typedef enum state_outcome { STATE_MEASURED, STATE_SKIPPED, STATE_UNTIMED } state_outcome;

/* One state: its trial (buffers and launches), verification against the reference, then measurement,
 * all into j. A state that cannot run here is SKIPPED with the reason, one that fails verification or
 * is only profiled is UNTIMED; a status other than SF_OK stops the sweep. */
static sf_status run_state(const sf_sweep_config *c, const sf_device_info *dev, const sweep_state *st, int64_t i,
                           cJSON *j, double copy_bw, state_outcome *out)
{
    sf_status s;
    sf_trial tr;
    const int sets = sf_trial_sets_for(st->fwd, st->bwd, st->T, st->M, sf_device_flush_bytes(dev));
    s = sf_trial_create(&tr, c->backend, st->fwd, st->bwd, st->T, st->M, &c->params, st->block, st->block_bwd,
                        sets, (uint64_t)i + 1);
    if (s == SF_ERR_NOMEM || s == SF_ERR_INVALID) { /* this state cannot run here: say why, go on */
        cJSON_AddStringToObject(j, "status", "skipped");
        cJSON_AddStringToObject(j, "reason", sf_last_error());
        *out = STATE_SKIPPED;
        return SF_OK;
    }
    if (s != SF_OK)
        return s;
    if (c->cpu_threads > 0)
        tr.fwd_launch.cpu_threads = tr.bwd_launch.cpu_threads = c->cpu_threads;
    cJSON_AddNumberToObject(j, "block", tr.fwd_launch.block);
    if (st->bwd)
        cJSON_AddNumberToObject(j, "block_bwd", tr.bwd_launch.block);
    cJSON_AddNumberToObject(j, "grid", (double)tr.fwd_launch.grid);
    cJSON_AddNumberToObject(j, "buffer_sets", tr.sets);
    cJSON_AddNumberToObject(j, "launches_per_trial", (double)sf_trial_launches(&tr));
    if (c->verify) {
        sf_check_report f = {0}, b = {0};
        s = sf_trial_verify(&tr, sf_tolerance_default(), &f, &b);
        if (s == SF_OK) {
            cJSON *v = cJSON_AddObjectToObject(j, "verified");
            cJSON_AddItemToObject(v, "forward", sf_check_json(&f));
            if (st->bwd)
                cJSON_AddItemToObject(v, "backward", sf_check_json(&b));
            if (f.mismatches || b.mismatches || f.compared == 0) {
                cJSON_AddStringToObject(j, "status", "failed");
                cJSON_AddStringToObject(j, "reason", "outputs differ from the float64 reference");
                fprintf(stderr, "\nsweep: %s: outputs differ from the reference; not timed\n", st->id);
                sf_trial_destroy(&tr);
                *out = STATE_UNTIMED;
                return SF_OK;
            }
        }
    }
    sf_measurement m;
    if (s == SF_OK)
        s = sf_measure(&tr, dev, &c->measure, st->id, &m);
    sf_trial_destroy(&tr);
    if (s != SF_OK)
        return s;
    if (c->measure.profile) {
        cJSON_AddStringToObject(j, "status", "profiled");
        *out = STATE_UNTIMED;
        return SF_OK;
    }
    cJSON_AddStringToObject(j, "status", "ok");
    cJSON_AddBoolToObject(j, "spin", m.spin);
    if (c->backend == SF_BACKEND_CPU)
        cJSON_AddNumberToObject(j, "threads", m.threads);
    cJSON_AddItemToObject(j, "cold", sweep_summary_json(&m.cold, 1));
    if (m.graph.present)
        cJSON_AddItemToObject(j, "graph", sweep_summary_json(&m.graph, 1));
    if (m.hot_per_trial > 0) {
        cJSON *h = cJSON_AddObjectToObject(j, "hot");
        cJSON_AddNumberToObject(h, "per_trial_s", m.hot_per_trial);
        cJSON_AddNumberToObject(h, "trials", (double)m.hot_trials);
    }
    sweep_add_metrics(j, st, &m, copy_bw);
    sweep_add_storage_cost(j, st, &c->params);
    sf_measurement_free(&m);
    *out = STATE_MEASURED;
    return SF_OK;
}

/* One run's working set: the earlier file it resumes, its states, and the file it writes. */
typedef struct sweep_run {
    sf_sweep_config *c;
    sf_device_info dev;
    cJSON *prev, *root, *out_states;
    sweep_state *states;
    int64_t n, measured, resumed, skipped;
    int run; /* this run's index in meta.resumes (0: the first run; -1: not yet recorded) */
    double copy_bw;
} sweep_run;

static void run_close(sweep_run *r)
{
    free(r->states);
    cJSON_Delete(r->prev);
    cJSON_Delete(r->root);
}

/* The earlier file, the states the axes expand to, the copy bandwidth (a resumed run keeps its first
 * run's, so that its % of copy bandwidth stays comparable) and the new file's root. */
static sf_status run_open(sweep_run *r, sf_sweep_config *c, const sf_device_info *dev)
{
    *r = (sweep_run){.c = c, .dev = *dev};
    sf_status s = load_previous(c, &r->dev, &r->prev);
    sf_tuning_db *db = NULL;
    if (s == SF_OK && c->tuning_db)
        s = sf_tuning_load(c->tuning_db, &db);
    if (s != SF_OK)
        return s;
    r->states = sweep_enumerate(c, db, &r->n, sf_trial_memory_limit(c->backend, &r->dev));
    sf_tuning_free(db);
    if (!r->states)
        return sf_fail(SF_ERR_NOMEM, "sweep: no memory for the state list");
    const cJSON *pd = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r->prev, "devices"), 0);
    if (r->prev && cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(pd, "copy_bandwidth_Bps")))
        r->copy_bw = cJSON_GetObjectItemCaseSensitive(pd, "copy_bandwidth_Bps")->valuedouble;
    else if ((s = sf_copy_bandwidth(c->backend, &r->dev, &r->copy_bw)) != SF_OK)
        return s;
    fprintf(stderr, "sweep: %lld states on %s (%s), copy bandwidth %.1f GB/s\n", (long long)r->n, r->dev.name,
            r->dev.key, r->copy_bw / 1e9);
    r->root = sweep_new_root(c, &r->dev, r->copy_bw);
    r->run = 0;
    if (r->prev) { /* a resumed run keeps the first run's record; its own goes to meta.resumes (this_run) */
        cJSON_ReplaceItemInObjectCaseSensitive(r->root, "meta",
                                               cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(r->prev, "meta"), 1));
        r->run = -1;
    }
    r->out_states = cJSON_GetObjectItemCaseSensitive(r->root, "states");
    return SF_OK;
}

/* Tags a state this run adds with the run that produced it. A resumed run's record (argv, commit,
 * date) is appended to meta.resumes when it adds its first state, so that a file whose states came
 * from several builds says which build measured which; the first run's states carry no "run". */
static void this_run(sweep_run *r, cJSON *state)
{
    if (r->run < 0) {
        cJSON *meta = cJSON_GetObjectItemCaseSensitive(r->root, "meta");
        cJSON *resumes = cJSON_GetObjectItemCaseSensitive(meta, "resumes");
        if (!cJSON_IsArray(resumes)) {
            cJSON_DeleteItemFromObjectCaseSensitive(meta, "resumes");
            resumes = cJSON_AddArrayToObject(meta, "resumes");
        }
        cJSON_AddItemToArray(resumes, sf_meta_json(r->c->argc, r->c->argv));
        r->run = cJSON_GetArraySize(resumes);
    }
    if (r->run > 0)
        cJSON_AddNumberToObject(state, "run", r->run);
}

/* Every state in order: resumed, skipped or run, the file rewritten after each measured one, so that an
 * interruption loses only the current state. Stops at a signal, at --max-states, or at a failure. */
static sf_status run_states(sweep_run *r)
{
    const sf_sweep_config *c = r->c;
    const double start = sf_now();
    for (int64_t i = 0; i < r->n; ++i) {
        const sweep_state *st = &r->states[i];
        const cJSON *old = r->prev ? find_state(r->prev, st) : NULL;
        if (old) {
            cJSON_AddItemToArray(r->out_states, cJSON_Duplicate(old, 1));
            ++r->resumed;
            continue;
        }
        if (interrupted || (c->max_states && r->measured >= c->max_states))
            break;
        cJSON *j = sweep_state_json(st);
        cJSON_AddItemToArray(r->out_states, j);
        this_run(r, j);
        if (st->skip[0]) {
            cJSON_AddStringToObject(j, "status", "skipped");
            cJSON_AddStringToObject(j, "reason", st->skip);
            ++r->skipped;
            continue;
        }
        const double elapsed = sf_now() - start;
        progress(i, r->n, st->id, elapsed, r->measured ? elapsed / (double)r->measured : 0);
        state_outcome outcome;
        sf_status s = run_state(c, &r->dev, st, i, j, r->copy_bw, &outcome);
        r->skipped += s == SF_OK && outcome == STATE_SKIPPED;
        if (s == SF_OK && outcome == STATE_MEASURED) {
            ++r->measured;
            s = sweep_write_all(r->root, c);
        }
        if (s != SF_OK)
            return s;
    }
    return SF_OK;
}

/* The last write and the run's verdict: a failure (its message kept), an interruption, or what the
 * finished file says. */
static sf_status run_finish(sweep_run *r, sf_status failure)
{
    char why[512];
    snprintf(why, sizeof why, "%s", sf_last_error());
    /* drop the state that was being measured when it failed: it has no numbers */
    const int last_i = cJSON_GetArraySize(r->out_states) - 1;
    const cJSON *last = cJSON_GetArrayItem(r->out_states, last_i);
    if (failure != SF_OK && last && !cJSON_GetObjectItemCaseSensitive(last, "status"))
        cJSON_DeleteItemFromArray(r->out_states, last_i);
    const sf_status w = sweep_write_all(r->root, r->c);
    fprintf(stderr, "sweep: %lld measured, %lld resumed from %s, %lld skipped, %lld of %lld states in the file\n",
            (long long)r->measured, (long long)r->resumed, r->c->out_json, (long long)r->skipped,
            (long long)cJSON_GetArraySize(r->out_states), (long long)r->n);
    if (failure != SF_OK)
        return sf_fail(failure, "%s (finished states kept in %s)", why, r->c->out_json);
    if (w != SF_OK)
        return w;
    if (interrupted)
        return sf_fail(SF_ERR_INVALID, "interrupted; run the same command again to finish the missing states");
    return file_verdict(r->out_states, r->n, r->c->out_json);
}

/* The sweep proper, with the output locked. */
static sf_status sweep_locked(sf_sweep_config *c, const sf_device_info *dev)
{
    sweep_run r;
    sf_status s = run_open(&r, c, dev);
    if (s != SF_OK) {
        run_close(&r);
        return s;
    }
    interrupted = 0;
    void (*old_int)(int) = signal(SIGINT, on_signal);
    void (*old_term)(int) = signal(SIGTERM, on_signal);
    s = run_states(&r);
    if (isatty(STDERR_FILENO))
        fputc('\n', stderr);
    s = run_finish(&r, s);
    signal(SIGINT, old_int);
    signal(SIGTERM, old_term);
    run_close(&r);
    return s;
}
