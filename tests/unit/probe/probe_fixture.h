/*
 * probe_fixture.h - shared set-up of the probe's unit tests: a config for
 * a loopback test server, and small JSON helpers.
 */
#ifndef MXRAY_TEST_PROBE_FIXTURE_H
#define MXRAY_TEST_PROBE_FIXTURE_H

#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "mail/config.h"

#define TEST_HELO "probe.mxray.test"

/* fixture_config - a config probing port with ca_file and allow_networks,
 * plus extra INI lines for [probe]; 0 ok (prints the reason otherwise). */
static inline int fixture_config(mxray_config_t *cfg, int port, const char *ca, const char *allow,
			  const char *extra)
{
	char text[2048], err[512];
	snprintf(text, sizeof(text),
		 "[log]\ndestination = stderr\n"
		 "[probe]\nsmtp_port = %d\nca_file = %s\nallow_networks = %s\nhelo_name = %s\n%s",
		 port, ca, allow, TEST_HELO, extra ? extra : "");
	if (config_load_string(text, cfg, err, sizeof(err)) != 0) {
		printf("# config: %s\n", err);
		return -1;
	}
	return 0;
}

static inline const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* jarray_has - 1 if the JSON array arr holds the string s. */
static inline int jarray_has(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return 1;
	return 0;
}

#endif
