/*
 * render_text.c - a report as a short plain-text summary (see render.h).
 *
 * Used as the body of the reply mail and by `mxray check --format text`.
 * Trusts nothing in the report: absent or mistyped fields print as absent;
 * control characters and bytes outside ASCII print as '?', so a hostile
 * banner cannot drive a terminal or break a mail line. Long values are cut
 * at TEXT_VALUE_MAX bytes so every line stays well under SMTP's 998.
 * The link to the page is not rendered here: it depends on base_url, which
 * is the caller's (see reply.c).
 */
#include <stdio.h>
#include <string.h>

#include "mail/record.h"
#include "report/render.h"
#include "report/render_findings.h"
#include "report/report_json.h"

#define TEXT_VALUE_MAX 400

/* put - append s made safe for a text line; "-" for NULL. */
static void put(strbuf_t *out, const char *s)
{
	if (s == NULL) {
		strbuf_puts(out, "-");
		return;
	}
	size_t n = 0;
	for (; s[n] && n < TEXT_VALUE_MAX; n++) {
		unsigned char c = (unsigned char)s[n];
		char ch = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
		strbuf_append(out, &ch, 1);
	}
	if (s[n])
		strbuf_puts(out, "...");
}

/* yes_no - "yes", "no" or "unknown" for a JSON boolean field. */
static const char *yes_no(const json_t *obj, const char *key)
{
	int b = rjson_bool(obj, key);
	return b == 1 ? "yes" : b == 0 ? "no" : "unknown";
}

/* field - a line: our label (padded by the caller), the report's string a,
 * then sep and b when b is not NULL. */
static void field(strbuf_t *out, const char *label, const char *a, const char *sep, const char *b)
{
	strbuf_puts(out, label);
	put(out, a);
	if (b) {
		strbuf_puts(out, sep);
		put(out, b);
	}
	strbuf_puts(out, "\n");
}

static void text_sending(const json_t *msg, strbuf_t *out)
{
	strbuf_puts(out, "\nHow your server sent to us\n");
	if (msg == NULL) {
		strbuf_puts(out, "  (domain check only: no message was analysed)\n");
		return;
	}
	const json_t *client = rjson_obj(msg, "client");
	strbuf_puts(out, "  Client:      ");
	put(out, rjson_str(client, "ip"));
	strbuf_puts(out, " (HELO ");
	put(out, rjson_str(client, "helo"));
	strbuf_puts(out, ")\n  Envelope:    ");
	const char *from = rjson_str(msg, "mail_from");
	put(out, from && from[0] ? from : "<> (null sender)");
	strbuf_puts(out, "\n  TLS:         ");
	const json_t *tls = rjson_obj(msg, "tls");
	long long bits;
	if (tls == NULL) {
		strbuf_puts(out, "none, the message came in plaintext");
	} else {
		put(out, rjson_str(tls, "version"));
		strbuf_puts(out, ", ");
		put(out, rjson_str(tls, "cipher"));
		if (rjson_int(tls, "bits", &bits))
			strbuf_printf(out, " (%lld bits)", bits);
	}
	const json_t *spf = rjson_obj(msg, "spf");
	strbuf_puts(out, "\n  SPF:         ");
	if (spf == NULL) {
		strbuf_puts(out, "not checked");
	} else if (rjson_bool(spf, "evaluated") == 0) {
		strbuf_puts(out, "no verdict for ");
		put(out, rjson_str(spf, "domain"));
		strbuf_puts(out, ": ");
		put(out, rjson_str(spf, "explanation"));
	} else {
		put(out, rjson_str(spf, "result"));
		strbuf_puts(out, " for ");
		put(out, rjson_str(spf, "domain"));
	}
	strbuf_puts(out, "\n");
	const json_t *dkim = rjson_arr(msg, "dkim");
	size_t n = dkim ? json_array_size(dkim) : 0;
	if (n == 0)
		strbuf_puts(out, "  DKIM:        no signature\n");
	for (size_t i = 0; i < n; i++) {
		const json_t *sig = json_array_get(dkim, i);
		strbuf_puts(out, i == 0 ? "  DKIM:        d=" : "               d=");
		put(out, rjson_str(sig, "domain"));
		strbuf_puts(out, " s=");
		put(out, rjson_str(sig, "selector"));
		strbuf_puts(out, " ");
		put(out, rjson_str(sig, "algorithm"));
		strbuf_puts(out, ": ");
		put(out, rjson_str(sig, "result"));
		strbuf_puts(out, "\n");
	}
	const json_t *dmarc = rjson_obj(msg, "dmarc");
	if (dmarc) {
		int spf_al = rjson_bool(dmarc, "spf_aligned"), dkim_al = rjson_bool(dmarc, "dkim_aligned");
		strbuf_puts(out, "  DMARC:       ");
		put(out, rjson_str(dmarc, "result"));
		strbuf_puts(out, " for ");
		put(out, rjson_str(dmarc, "domain"));
		strbuf_puts(out, spf_al == 1 && dkim_al == 1 ? " (aligned: SPF, DKIM)\n" :
			    spf_al == 1 ? " (aligned: SPF)\n" : dkim_al == 1 ? " (aligned: DKIM)\n" :
			    " (nothing aligned)\n");
	}
}

static void text_address(const json_t *a, strbuf_t *out)
{
	strbuf_puts(out, "    ");
	put(out, rjson_str(a, "ip"));
	strbuf_puts(out, ": ");
	put(out, rjson_str(a, "state"));
	const char *reason = rjson_str(a, "reason");
	if (reason) {
		strbuf_puts(out, " (");
		put(out, reason);
		strbuf_puts(out, ")");
	}
	strbuf_puts(out, "\n");
	const char *greeting = rjson_str(a, "greeting");
	if (greeting) {
		strbuf_puts(out, "      Greeting:    ");
		put(out, greeting);
		strbuf_puts(out, "\n");
	}
	const char *starttls = rjson_str(a, "starttls");
	if (starttls) {
		strbuf_puts(out, "      STARTTLS:    ");
		put(out, starttls);
		strbuf_puts(out, "\n");
	}
	const json_t *tls = rjson_obj(a, "tls");
	if (tls == NULL)
		return;
	strbuf_puts(out, "      TLS:         ");
	put(out, rjson_str(tls, "version"));
	strbuf_puts(out, ", ");
	put(out, rjson_str(tls, "cipher"));
	strbuf_puts(out, "\n      Certificate: ");
	int verified = rjson_bool(tls, "verified");
	if (verified == 1) {
		strbuf_puts(out, "verified");
	} else {
		strbuf_puts(out, verified == 0 ? "NOT verified: " : "unknown: ");
		put(out, rjson_str(tls, "verify_error"));
	}
	strbuf_puts(out, "\n      Name match:  ");
	strbuf_puts(out, yes_no(tls, "name_match"));
	strbuf_puts(out, "\n");
	const json_t *dane = rjson_obj(a, "dane");
	const char *dstate = rjson_str(dane, "state");
	if (dstate && strcmp(dstate, "not_applicable") == 0) {
		/* TLSA records no sender looks up (the host line says why) */
		const char *would = rjson_str(rjson_obj(dane, "if_applied"), "state");
		field(out, "      DANE:        ", "not used by senders", "; the records would give: ",
		      would);
	} else if (dane) {
		field(out, "      DANE:        ", dstate, ": ", rjson_str(dane, "reason"));
	}
	if (rjson_str(tls, "key_type") == NULL)
		return;
	strbuf_puts(out, "      Key types:   ");
	put(out, rjson_str(tls, "key_type"));
	const json_t *others = rjson_arr(tls, "other_key_types");
	for (size_t i = 0; others && i < json_array_size(others); i++) {
		const json_t *o = json_array_get(others, i);
		strbuf_puts(out, ", ");
		put(out, rjson_str(o, "key_type"));
		strbuf_puts(out, rjson_bool(o, "verified") == 1 ? " (verified)" : " (NOT verified)");
	}
	strbuf_puts(out, "\n");
}

static void text_receiving(const json_t *report, strbuf_t *out)
{
	strbuf_puts(out, "\nHow your domain receives\n");
	const json_t *dmx = rjson_obj(rjson_obj(report, "dns"), "mx");
	if (dmx) {
		strbuf_puts(out, "  MX lookup:   ");
		put(out, rjson_str(dmx, "outcome"));
		strbuf_puts(out, ", DNSSEC ");
		put(out, rjson_str(dmx, "dnssec"));
		if (rjson_bool(dmx, "implicit") == 1)
			strbuf_puts(out, " (no MX: the domain itself is the mail host)");
		strbuf_puts(out, "\n");
	}
	const json_t *mx = rjson_arr(report, "mx");
	size_t n = mx ? json_array_size(mx) : 0;
	if (n == 0)
		strbuf_puts(out, "  No mail server was found.\n");
	for (size_t i = 0; i < n; i++) {
		const json_t *host = json_array_get(mx, i);
		long long pref;
		strbuf_puts(out, "  MX ");
		put(out, rjson_str(host, "host"));
		if (rjson_int(host, "preference", &pref))
			strbuf_printf(out, " (preference %lld)", pref);
		strbuf_puts(out, ", addresses DNSSEC ");
		put(out, rjson_str(host, "addresses_dnssec"));
		strbuf_puts(out, "\n");
		const json_t *dane = rjson_obj(host, "dane");
		long long usable;
		const char *tlsa = rjson_str(dane, "outcome");
		if (dane && rjson_int(dane, "usable_records", &usable) && tlsa &&
		    strcmp(tlsa, "none") != 0) {
			strbuf_puts(out, "    TLSA:        ");
			put(out, rjson_str(dane, "outcome"));
			strbuf_printf(out, ", %lld usable record%s at ", usable, usable == 1 ? "" : "s");
			put(out, rjson_str(dane, "tlsa_name"));
			if (rjson_bool(dane, "senders_look_up") == 0) {
				strbuf_puts(out, "\n                 not used by any sender: ");
				put(out, rjson_str(dane, "not_applied_because"));
			}
			strbuf_puts(out, "\n");
		}
		const json_t *addrs = rjson_arr(host, "addresses");
		size_t m = addrs ? json_array_size(addrs) : 0;
		if (m == 0)
			strbuf_puts(out, "    no address\n");
		for (size_t k = 0; k < m; k++)
			text_address(json_array_get(addrs, k), out);
	}
}

/* text_policy - one line each for the domain's DMARC, MTA-STS and TLS-RPT. */
static void text_policy(const json_t *report, strbuf_t *out)
{
	const json_t *dns = rjson_obj(report, "dns");
	const json_t *dmarc = rjson_obj(dns, "dmarc");
	const json_t *sts = rjson_obj(dns, "mta_sts");
	const json_t *rpt = rjson_obj(dns, "tls_rpt");
	const json_t *spf = rjson_obj(dns, "spf");
	if (!dmarc && !sts && !rpt && !spf)
		return;
	strbuf_puts(out, "\nYour domain's policies\n");
	const char *spf_outcome = rjson_str(spf, "outcome");
	if (spf && spf_outcome && strcmp(spf_outcome, "found") == 0)
		field(out, "  SPF:         ", spf_outcome, ", unlisted senders get ",
		      rjson_str(spf, "unlisted_result"));
	else if (spf)
		field(out, "  SPF:         ", spf_outcome, ": ", rjson_str(spf, "problem"));
	if (dmarc)
		field(out, "  DMARC:       ", rjson_str(dmarc, "outcome"), ", p=", rjson_str(dmarc, "policy"));
	if (sts)
		field(out, "  MTA-STS:     ", rjson_str(sts, "outcome"), ", mode ", rjson_str(sts, "mode"));
	if (rpt)
		field(out, "  TLS-RPT:     ", rjson_str(rpt, "outcome"), NULL, NULL);
}

int report_render_text(const json_t *report, strbuf_t *out)
{
	char err[128];
	if (record_check_format(report, REPORT_FORMAT, err, sizeof(err)) != 0)
		return -1;
	strbuf_puts(out, "mxray report for ");
	put(out, rjson_str(report, "domain"));
	strbuf_puts(out, "\nCreated:       ");
	put(out, rjson_str(report, "created"));
	const char *expires = rjson_str(report, "expires");
	if (expires) {
		strbuf_puts(out, "\nExpires:       ");
		put(out, expires);
	}
	strbuf_puts(out, "\n");
	text_grade_summary(report, out);
	text_sending(rjson_obj(report, "message"), out);
	text_receiving(report, out);
	text_policy(report, out);
	return 0;
}
