/*
 * finding.h - the one catalogue of findings, and how checks report them.
 *
 * A finding is something a check found that a user should know: a stable
 * id ("tls.protocol.sslv3", "spf.void_lookups"), a severity with a fixed
 * meaning, and text that explains it: title, what it means, why it
 * matters, how to fix it (with Postfix/Exim snippets where useful), and
 * the RFC or standard behind it. The text lives only here, in
 * lib/mail/findings/<area>.def, one file per area so areas grow apart;
 * docs/findings.md is generated from the same table.
 *
 * Checks add findings to the JSON they produce with finding_add(): a
 * "findings" array inside the object the finding is about (the message,
 * its SPF result, an MX address ...), each entry
 *   {"id": "...", "severity": "warning", "subject": "...", "detail": "..."}
 * where subject names what it is about (an MX host and address, a DKIM
 * d=/s=) and detail carries the evidence (outside text made printable).
 * The report layer collects every "findings" array of a report to grade
 * and render it. An id not in the catalogue is our bug: finding_add panics,
 * and a unit test walks every producer's ids.
 *
 * "Not tested, because ..." is not a finding: it is the state of the
 * thing that was not tested (see docs/report-format.md).
 */
#ifndef MXRAY_MAIL_FINDING_H
#define MXRAY_MAIL_FINDING_H

#include <stddef.h>
#include <jansson.h>

typedef enum finding_severity {
	FINDING_OK,		/* a good practice seen: shown in green */
	FINDING_INFO,		/* a fact worth knowing, no judgement */
	FINDING_NOTICE,		/* could be better */
	FINDING_WARNING,	/* weakens security or delivery */
	FINDING_CRITICAL,	/* broken, or open to attack */
} finding_severity_t;

/* Which sub-grade a finding weighs on. */
typedef enum finding_area {
	FINDING_AREA_NONE,
	FINDING_AREA_SENDING,	/* what the test mail showed */
	FINDING_AREA_RECEIVING,	/* MX transport security */
	FINDING_AREA_POLICY,	/* DMARC, MTA-STS, TLS-RPT, DNSSEC */
} finding_area_t;

typedef struct finding_def {
	const char *id;
	finding_severity_t severity;
	finding_area_t area;
	char cap;		/* highest grade possible with this finding: 'A'..'F', or 0 */
	const char *title;
	const char *meaning;	/* what it means, in plain words */
	const char *why;	/* why it matters */
	const char *fix;	/* how to fix it; may hold config snippets */
	const char *reference;	/* "RFC 7672 section 2.2", "RFC 8461" ... */
} finding_def_t;

/* finding_lookup - the catalogue entry of id, or NULL. */
const finding_def_t *finding_lookup(const char *id);
/* finding_at - the i-th entry (for docs and tests), NULL past the end. */
const finding_def_t *finding_at(size_t i);
const char *finding_severity_name(finding_severity_t s);	/* "ok" ... "critical" */
const char *finding_area_name(finding_area_t a);		/* "none" "sending" ... */

/* finding_add - append a finding to obj["findings"] (created if absent).
 * subject may be NULL; detail is printf-formatted, may be NULL; outside
 * text in it is made printable. Panics if id is not in the catalogue. */
void finding_add(json_t *obj, const char *id, const char *subject, const char *detail_fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
