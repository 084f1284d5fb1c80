/* spikefuse device: the fingerprint of a backend's device, as every results file records it; the slug
 * names its folder under results/ (scripts ask here rather than parse a results file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "device.h"
#include "measure.h"
#include "options.h"

static const char help[] =
    "usage: spikefuse device [--backend auto|cpu|cuda] [--json [--copy-bandwidth] | --slug | --key]\n"
    "The device's fingerprint as results files record it: name, key (a hash of what affects\n"
    "performance) and slug (its folder under results/). --json: the whole record; --slug, --key:\n"
    "that field alone. auto: the GPU when one is usable, else the CPU. --copy-bandwidth measures\n"
    "the copy bandwidth as a sweep does and adds it to the record (copy_bandwidth_Bps), for\n"
    "programs that time elsewhere and report % of it (peers/).\n";

/* Which field alone --slug or --key asks for; the later one wins. */
enum { FIELD_ALL = 0, FIELD_SLUG, FIELD_KEY };

int cmd_device(int argc, char **argv)
{
    const char *backend = "auto";
    int json = 0, bandwidth = 0, field = FIELD_ALL;
    const opt_spec rows[] = {
        OPT_STRING_ROW("--backend", &backend, "auto|cpu|cuda", "whose device"),
        OPT_FLAG_ROW("--json", &json, 1, "the whole record, as JSON"),
        OPT_FLAG_ROW("--copy-bandwidth", &bandwidth, 1, "with --json: measure the copy bandwidth into the record"),
        OPT_FLAG_ROW("--slug", &field, FIELD_SLUG, "the slug alone"),
        OPT_FLAG_ROW("--key", &field, FIELD_KEY, "the key alone"),
        OPT_END_ROW,
    };
    const opt_command cmd = {.name = "device", .rows = rows, .help = help, .stray = "unexpected"};
    int code;
    if (!opt_parse(&cmd, argc, argv, &code))
        return code;
    sf_backend b;
    code = opt_backend_usable("device", backend, &b);
    if (code != SF_EXIT_OK)
        return code;
    sf_device_info d;
    if (sf_device_query(b, &d) != SF_OK)
        return fail(SF_EXIT_FAIL, "device: %s", sf_last_error());
    if (bandwidth && !json)
        return fail(SF_EXIT_USAGE, "device: --copy-bandwidth goes with --json");
    if (field != FIELD_ALL) {
        puts(field == FIELD_SLUG ? d.slug : d.key);
    } else if (json) {
        cJSON *j = sf_device_to_json(&d);
        double bw = 0.0;
        if (j && bandwidth) {
            if (sf_copy_bandwidth(b, &d, &bw) != SF_OK) {
                cJSON_Delete(j);
                return fail(SF_EXIT_FAIL, "device: copy bandwidth: %s", sf_last_error());
            }
            cJSON_AddNumberToObject(j, "copy_bandwidth_Bps", bw);
        }
        char *text = j ? cJSON_Print(j) : NULL;
        if (!text) {
            cJSON_Delete(j);
            return fail(SF_EXIT_FAIL, "device: no memory");
        }
        puts(text);
        cJSON_free(text);
        cJSON_Delete(j);
    } else {
        printf("%s (%s backend)\nkey  %s\nslug %s\n", d.name, sf_backend_name(b), d.key, d.slug);
    }
    return SF_EXIT_OK;
}
