/*
 * fixture_report.h - the sample reports of tests/unit/report/, loaded from
 * next to this file (tests run from the repository root or anywhere).
 */
#ifndef MXRAY_TEST_FIXTURE_REPORT_H
#define MXRAY_TEST_FIXTURE_REPORT_H

#include <stdio.h>
#include <string.h>
#include <jansson.h>

#define SAMPLE_TOKEN "Qk3vY2lfN0dtR1hKa2pVcG9XbE5xZz09"

/* fixture_named - the parsed JSON file name next to this file (new
 * reference) or NULL. */
static json_t *fixture_named(const char *name)
{
	char path[512];
	const char *here = __FILE__;
	const char *slash = strrchr(here, '/');
	int dirlen = slash ? (int)(slash - here) : 1;
	snprintf(path, sizeof(path), "%.*s/%s", dirlen, slash ? here : ".", name);
	json_error_t jerr;
	json_t *j = json_load_file(path, 0, &jerr);
	if (j == NULL)
		printf("#   cannot load %s: %s (line %d)\n", path, jerr.text, jerr.line);
	return j;
}

/* fixture_report - sample_report.json: a small report of two MX hosts. */
static json_t *fixture_report(void)
{
	return fixture_named("sample_report.json");
}

/* fixture_full_report - full_report.json, made from real sandbox runs: a
 * message with DMARC, HELO checks, a blocklist, bulk headers, Received
 * hops, Authentication-Results and ARC; an MX host with two DANE-EE
 * records, CAA, an RSA and an ECDSA certificate; MTA-STS enforce, TLS-RPT
 * and a DMARC record with an unauthorized external destination. */
static __attribute__((unused)) json_t *fixture_full_report(void)
{
	return fixture_named("full_report.json");
}

#endif
