/*
 * fixture_report.h - the sample report of tests/unit/report/, loaded from
 * next to this file (tests run from the repository root or anywhere).
 */
#ifndef MXRAY_TEST_FIXTURE_REPORT_H
#define MXRAY_TEST_FIXTURE_REPORT_H

#include <stdio.h>
#include <string.h>
#include <jansson.h>

#define SAMPLE_TOKEN "Qk3vY2lfN0dtR1hKa2pVcG9XbE5xZz09"

/* fixture_report - the parsed sample_report.json (new reference) or NULL. */
static json_t *fixture_report(void)
{
	char path[512];
	const char *here = __FILE__;
	const char *slash = strrchr(here, '/');
	int dirlen = slash ? (int)(slash - here) : 1;
	snprintf(path, sizeof(path), "%.*s/sample_report.json", dirlen, slash ? here : ".");
	json_error_t jerr;
	json_t *j = json_load_file(path, 0, &jerr);
	if (j == NULL)
		printf("#   cannot load %s: %s (line %d)\n", path, jerr.text, jerr.line);
	return j;
}

#endif
