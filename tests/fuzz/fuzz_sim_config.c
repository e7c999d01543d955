/*
 * fuzz_sim_config.c — libFuzzer harness for l7sim's configuration loader
 * (sim/config.c): arbitrary bytes as a JSON document on top of the
 * defaults, then the same bytes cut at the first '=' as a --set override.
 * Whatever the input, a load either succeeds or leaves one line of error
 * text and the configuration unchanged; a success dumps and reloads to the
 * same configuration.
 *
 * Build and run (docs/arch.md):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isim \
 *     tests/fuzz/fuzz_sim_config.c sim/config.c src/route/*.c src/http/*.c \
 *     src/common/*.c -ljansson -o fuzz_sim_config
 *   ./fuzz_sim_config -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;

	struct l7sim_config c, before;
	l7sim_config_defaults(&c);
	before = c;
	err[0] = 0;
	if (l7sim_config_load_string(&c, text, "fuzz.json", err, sizeof(err)) < 0) {
		if (!err[0] || strchr(err, '\n') || memcmp(&c, &before, sizeof(c)))
			abort();
	} else {
		json_t *j = l7sim_config_json(&c);
		if (j) {
			char *dump = json_dumps(j, JSON_PRESERVE_ORDER);
			struct l7sim_config d;
			l7sim_config_defaults(&d);
			if (dump && l7sim_config_load_string(&d, dump, "dump", err, sizeof(err)) < 0)
				abort();
			free(dump);
			l7sim_config_fini(&d);
			json_decref(j);
		}
	}

	char *eq = strchr(text, '=');
	if (eq) {
		*eq = 0;
		struct l7sim_config s = c;
		if (l7sim_config_set(&c, text, eq + 1, err, sizeof(err)) < 0 &&
		    memcmp(&c, &s, sizeof(c)))
			abort();
	}
	l7sim_config_fini(&c);
	free(text);
	return 0;
}
