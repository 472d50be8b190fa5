/*
 * fuzz_config.c - libFuzzer target: any text as mxray.conf.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	mxray_config_t cfg;
	char err[512];
	if (config_load_string(text, &cfg, err, sizeof(err)) == 0) {
		(void)config_is_test_address(&cfg, "test@example.org");
		config_free(&cfg);
	}
	free(text);
	return 0;
}
