/* spikefuse device: the fingerprint of a backend's device, as every results file records it; the slug
 * names its folder under results/ (scripts ask here rather than parse a results file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "device.h"
#include "measure.h"
#include "options.h"

int cmd_device(int argc, char **argv)
{
    const char *backend = "auto", *field = NULL;
    int json = 0, bandwidth = 0;
    for (int i = 0; i < argc; ++i) {
        if (opt_flag(argv, i, "--help")) {
            printf("usage: spikefuse device [--backend auto|cpu|cuda] [--json [--copy-bandwidth] | --slug | --key]\n"
                   "The device's fingerprint as results files record it: name, key (a hash of what affects\n"
                   "performance) and slug (its folder under results/). --json: the whole record; --slug, --key:\n"
                   "that field alone. auto: the GPU when one is usable, else the CPU. --copy-bandwidth measures\n"
                   "the copy bandwidth as a sweep does and adds it to the record (copy_bandwidth_Bps), for\n"
                   "programs that time elsewhere and report %% of it (peers/).\n");
            return SF_EXIT_OK;
        }
        if (opt_flag(argv, i, "--json"))
            json = 1;
        else if (opt_flag(argv, i, "--copy-bandwidth"))
            bandwidth = 1;
        else if (opt_flag(argv, i, "--slug") || opt_flag(argv, i, "--key"))
            field = argv[i] + 2;
        else if (!opt_value(argc, argv, &i, "--backend", &backend))
            return fail(SF_EXIT_USAGE, "device: unexpected '%s' (spikefuse device --help)", argv[i]);
    }
    sf_backend b;
    const int code = opt_backend_usable("device", backend, &b);
    if (code != SF_EXIT_OK)
        return code;
    sf_device_info d;
    if (sf_device_query(b, &d) != SF_OK)
        return fail(SF_EXIT_FAIL, "device: %s", sf_last_error());
    if (bandwidth && !json)
        return fail(SF_EXIT_USAGE, "device: --copy-bandwidth goes with --json");
    if (field) {
        puts(strcmp(field, "slug") == 0 ? d.slug : d.key);
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
