/* The results model (harness/results_model.h): a file read into typed fields, malformed fields refused
 * by name, and the one "same problem" matcher with each of its rules. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "files.h"
#include "gates.h"
#include "results_model.h"
#include "test_util.h"

/* A state of the test file: one line of JSON. */
#define STATE(id, status, family, dir, T, N, B, block, median)                                                   \
    "{\"id\": \"" id "\", \"status\": \"" status "\", \"family\": \"" family "\", \"direction\": \"" dir      \
    "\", \"kernels\": [\"k_" family "\"], \"T\": " #T ", \"N\": " #N ", \"B\": " #B                          \
    ", \"block_requested\": " #block ", \"cold\": {\"median_s\": " #median ", \"samples_s\": [1, 2, 3]}}"

static const char *head = "{\"schema\": \"spikefuse.sweep\", \"schema_version\": 1,"
                          " \"meta\": {\"argv\": [\"spikefuse\", \"sweep\"], \"git_commit\": \"abc\", \"git_dirty\": true,"
                          "          \"date\": \"2026-11-30T00:00:00Z\"},"
                          " \"devices\": [{\"name\": \"dev\", \"backend\": \"cpu\", \"key\": \"k1\", \"copy_bandwidth_Bps\": 2e9}],"
                          " \"settings\": {\"reference_family\": \"eager\", \"neuron\": {\"surrogate\": \"rect\"}},"
                          " \"states\": [";

/* States 0-9; each find below has exactly one right answer, and a near miss beside it. */
static const char *states =
    STATE("e0", "ok", "eager", "fwd", 8, 1000, 1, 0, 1.0) ","           /* 0 */
    STATE("e64", "ok", "eager", "fwd", 8, 1000, 1, 64, 2.0) ","         /* 1: another block */
    STATE("s-skip", "skipped", "step", "fwd", 8, 1000, 1, 0, null) ","  /* 2: not measured */
    STATE("s0", "ok", "step", "fwd", 8, 1000, 1, 0, 3.0) ","            /* 3 */
    STATE("f-N", "ok", "fused", "fwd", 8, 2000, 1, 0, 4.0) ","          /* 4: another N */
    STATE("f-B", "ok", "fused", "fwd", 8, 1000, 2, 0, 5.0) ","          /* 5: another B */
    STATE("f-dir", "ok", "fused", "fwd+bwd", 8, 1000, 1, 0, 6.0) ","    /* 6: another direction */
    STATE("f-T", "ok", "fused", "fwd", 16, 1000, 1, 0, 7.0) ","         /* 7: another T */
    STATE("f", "ok", "fused", "fwd", 8, 1000, 1, 0, 8.0) ","            /* 8: the one */
    "{\"id\": \"p\", \"status\": \"failed\", \"family\": \"peer\", \"reason\": \"differs\","
    " \"peer\": {\"implementation\": \"torch\"}}"; /* 9: no numbers at all */

static cJSON *parse(const char *body_states)
{
    char text[8192];
    snprintf(text, sizeof text, "%s%s]}", head, body_states);
    cJSON *j = cJSON_Parse(text);
    CHECK(j != NULL, "the test's JSON does not parse");
    return j;
}

static void loads_typed_fields(const sf_results *r)
{
    CHECK(r->n_states == 10, "%d states", r->n_states);
    CHECK(!strcmp(r->device.name, "dev") && !strcmp(r->device.key, "k1") && r->device.copy_bandwidth_Bps == 2e9,
          "device %s %s %g", r->device.name, r->device.key, r->device.copy_bandwidth_Bps);
    CHECK(r->meta.argc == 2 && !strcmp(r->meta.argv[1], "sweep") && r->meta.git_dirty && !strcmp(r->meta.preset, ""),
          "meta argc %d dirty %d preset '%s'", r->meta.argc, r->meta.git_dirty, r->meta.preset);
    CHECK(!strcmp(r->settings.reference_family, "eager") && !strcmp(r->settings.surrogate, "rect"), "settings");
    const sf_result_state *s = &r->states[3], *skip = &r->states[2], *p = &r->states[9];
    CHECK(s->status == SF_STATE_OK && skip->status == SF_STATE_SKIPPED && p->status == SF_STATE_FAILED, "statuses");
    CHECK(s->n_kernels == 1 && !strcmp(s->kernels[0], "k_step") && s->cold.median_s == 3.0, "state s0");
    CHECK(s->cold.n_samples == 3 && s->cold.samples_s && s->cold.samples_s[2] == 3.0, "samples");
    CHECK(isnan(skip->cold.median_s), "null reads as NaN: %g", skip->cold.median_s);
    CHECK(isnan(p->T) && isnan(p->metrics.speedup) && !strcmp(p->direction, "") && p->cold.samples_s == NULL,
          "absent fields read as NaN, \"\" and NULL");
    CHECK(p->peer_implementation && !strcmp(p->peer_implementation, "torch") && s->peer_implementation == NULL,
          "peer implementation");
    CHECK(sf_results_by_id(r, "s-skip") == skip && sf_results_by_id(r, "nope") == NULL, "by id");
    double v[8];
    const int n = sf_results_values(r, SF_AXIS_N, 1, v, 8);
    CHECK(n == 2 && v[0] == 1000 && v[1] == 2000, "N values: %d", n);
    CHECK(sf_results_values(r, SF_AXIS_B, 0, v, 8) == 2 && v[1] == 2, "B values");
}

static void matches_one_problem(const sf_results *r)
{
    const sf_problem want = {"fwd", 8, 1000, 1, 0}, block64 = {"fwd", 8, 1000, 1, 64};
    /* every field of SF_MATCH_SHAPE counts: of five fused states only the one that agrees in all */
    CHECK(sf_results_find(r, "fused", &want, SF_MATCH_SHAPE) == &r->states[8], "fused: the one of the same problem");
    /* a state that is not measured is never the answer */
    CHECK(sf_results_find(r, "step", &want, SF_MATCH_SHAPE) == &r->states[3], "step: the measured one");
    /* the requested block counts under LAUNCH only */
    CHECK(sf_results_find(r, "eager", &block64, SF_MATCH_LAUNCH) == &r->states[1], "eager, block 64, LAUNCH");
    CHECK(sf_results_find(r, "eager", &block64, SF_MATCH_SHAPE) == &r->states[0], "eager, block 64, SHAPE: first");
    CHECK(sf_results_find(r, "step", &block64, SF_MATCH_LAUNCH) == NULL, "no step at block 64");
    /* DIRECTION_T leaves N and B free: the first fused at (fwd, 8) is the one of another N */
    const sf_problem dir_T = {.direction = "fwd", .T = 8};
    CHECK(sf_results_find(r, "fused", &dir_T, SF_MATCH_DIRECTION_T) == &r->states[4], "DIRECTION_T");
    const sf_problem bwd = {.direction = "fwd+bwd", .T = 8}, T16 = {.direction = "fwd", .T = 16};
    CHECK(sf_results_find(r, "fused", &bwd, SF_MATCH_DIRECTION_T) == &r->states[6], "direction counts");
    CHECK(sf_results_find(r, "fused", &T16, SF_MATCH_DIRECTION_T) == &r->states[7], "T counts");
    CHECK(sf_results_find(r, "nobody", &want, SF_MATCH_SHAPE) == NULL, "unknown family");
    /* the rule field by field, both ways round */
    const sf_problem base = {"fwd", 8, 1000, 1, 0};
    sf_problem other[] = {base, base, base, base, base};
    other[0].direction = "fwd+bwd", other[1].T = 16, other[2].N = 2000, other[3].B = 2, other[4].block_requested = 64;
    const int shape[] = {0, 0, 0, 0, 1}, launch[] = {0, 0, 0, 0, 0}, dir_t[] = {0, 0, 1, 1, 1};
    for (int i = 0; i < 5; ++i) {
        CHECK(sf_problem_matches(&base, &other[i], SF_MATCH_SHAPE) == shape[i], "SHAPE, field %d", i);
        CHECK(sf_problem_matches(&other[i], &base, SF_MATCH_LAUNCH) == launch[i], "LAUNCH, field %d", i);
        CHECK(sf_problem_matches(&base, &other[i], SF_MATCH_DIRECTION_T) == dir_t[i], "DIRECTION_T, field %d", i);
    }
    CHECK(sf_problem_matches(&base, &base, SF_MATCH_LAUNCH), "a problem matches itself");
    const sf_problem absent = {"fwd", NAN, 1000, 1, 0};
    CHECK(!sf_problem_matches(&absent, &absent, SF_MATCH_SHAPE), "an absent T matches nothing");
}

/* A ratio is measured in one run: in a resumed file, states that another run added ("run") give no
 * speedup against the first run's, in the model, the Markdown view and a gate. */
static void ratios_need_one_run(const char *dir)
{
    char body[2048], path[4096], md[4096], gates[4096];
    snprintf(body, sizeof body, "%s,%s,%s",
             STATE("e0", "ok", "eager", "fwd", 8, 1000, 1, 0, 4.0), STATE("s0", "ok", "step", "fwd", 8, 1000, 1, 0, 2.0),
             "{\"id\": \"f\", \"status\": \"ok\", \"family\": \"fused\", \"direction\": \"fwd\", \"run\": 1,"
             " \"kernels\": [\"k_fused\"], \"T\": 8, \"N\": 1000, \"B\": 1, \"block_requested\": 0,"
             " \"cold\": {\"median_s\": 1.0, \"samples_s\": [1, 1, 1]}}");
    cJSON *j = parse(body);
    sf_results r;
    if (sf_results_from_json(j, "runs.json", &r) == SF_OK) {
        const sf_result_state *e = &r.states[0], *st = &r.states[1], *f = &r.states[2];
        CHECK(e->run == 0 && f->run == 1, "run: %d %d", e->run, f->run);
        CHECK(sf_results_speedup(e, st) == 2.0, "one run: a ratio (%g)", sf_results_speedup(e, st));
        CHECK(isnan(sf_results_speedup(e, f)) && isnan(sf_results_speedup(f, st)), "runs differ: no ratio");
        CHECK(isnan(sf_results_speedup(NULL, f)), "no base: no ratio");
        snprintf(md, sizeof md, "%s/runs.md", dir);
        CHECK_OK(sf_results_write_md(&r, md));
        static char text_buf[16384];
        FILE *mdf = fopen(md, "r");
        const size_t got = mdf ? fread(text_buf, 1, sizeof text_buf - 1, mdf) : 0;
        text_buf[got] = 0;
        if (mdf)
            fclose(mdf);
        const char *text = got ? text_buf : NULL;
        CHECK(text && strstr(text, SF_RATIO_ACROSS_RUNS) && strstr(text, "2.00x"),
              "the Markdown view says which ratios it cannot give: %s", text ? text : "(none)");
        sf_results_free(&r);
    }
    char *t = cJSON_Print(j);
    snprintf(path, sizeof path, "%s/runs.json", dir);
    CHECK_OK(sf_write_atomic(path, t));
    cJSON_free(t);
    cJSON_Delete(j);
    snprintf(gates, sizeof gates, "%s/gates.json", dir);
    CHECK_OK(sf_write_atomic(gates, "{\"schema\": \"spikefuse.gates\", \"schema_version\": 1, \"gates\": ["
                                    "{\"name\": \"g\", \"kind\": \"ratio\", \"faster\": {\"family\": \"fused\"},"
                                    " \"slower\": {\"family\": \"eager\"}, \"min\": 1}]}"));
    int failed = 0;
    CHECK(sf_check_gates(gates, path, NULL, &failed) == SF_ERR_INVALID && strstr(sf_last_error(), "different runs"),
          "a gate across runs is refused: %s", sf_last_error());
}

/* A field of the wrong type: SF_ERR_IO naming the file, the state and the field; nothing left loaded. */
static void refuses(const char *state_json, const char *what)
{
    cJSON *j = parse(state_json);
    sf_results r;
    const sf_status s = sf_results_from_json(j, "bad.json", &r);
    CHECK(s == SF_ERR_IO && strstr(sf_last_error(), "bad.json: ") && strstr(sf_last_error(), what),
          "%s: status %d, '%s'", what, (int)s, sf_last_error());
    CHECK(r.n_states == 0 && r.states == NULL && r.owned == NULL, "%s: a refused file is left empty", what);
    cJSON_Delete(j);
}

static void refuses_malformed_fields(const char *dir)
{
    refuses("{\"id\": \"x\", \"status\": \"ok\", \"T\": \"8\"}", "state x: \"T\" is not a number");
    refuses("{\"id\": \"x\", \"status\": \"ok\", \"kernels\": [1]}", "state x: \"kernels\" is not an array of strings");
    refuses("{\"id\": \"x\", \"status\": \"ok\", \"cold\": {\"samples_s\": [1, \"a\"]}}",
            "state x: \"cold.samples_s\" is not an array of numbers");
    refuses("{\"id\": \"x\", \"status\": \"ok\", \"metrics\": 3}", "state x: \"metrics\" is not an object");
    refuses("{\"id\": \"x\", \"status\": \"done\"}", "state x: \"status\" is not ok, skipped, failed or profiled");
    refuses("{\"id\": \"x\", \"status\": \"ok\", \"family\": 7}", "state x: \"family\" is not a string");
    /* through the file, as the commands read it: the path in the message */
    char path[4096];
    snprintf(path, sizeof path, "%s/dirty.json", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "cannot write %s", path);
    if (!f)
        return;
    fprintf(f, "%s%s]}", head, "{\"id\": \"y\", \"status\": \"ok\", \"N\": true}");
    fclose(f);
    sf_results r;
    CHECK(sf_results_load(path, &r) == SF_ERR_IO && strstr(sf_last_error(), path) &&
              strstr(sf_last_error(), "state y: \"N\" is not a number"),
          "load: '%s'", sf_last_error());
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_results WORK_DIR\n");
        return 2;
    }
    mkdir(argv[1], 0777);
    cJSON *j = parse(states);
    sf_results r;
    const sf_status s = sf_results_from_json(j, "test.json", &r);
    CHECK_OK(s);
    cJSON_Delete(j);
    if (s == SF_OK) {
        loads_typed_fields(&r);
        matches_one_problem(&r);
        sf_results_free(&r);
    }
    refuses_malformed_fields(argv[1]);
    ratios_need_one_run(argv[1]);
    return sf_test_summary();
}
