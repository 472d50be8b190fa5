/*
 * render_html.c - a report as one self-contained HTML page (see render.h).
 *
 * The page carries its style inline and nothing else: no script, no
 * external font, image or stylesheet, so it works under the reporter's
 * Content-Security-Policy (default-src 'none'; style-src 'unsafe-inline')
 * and when saved to disk, where the same policy, repeated in a <meta>,
 * still forbids every script and outside load. Every string taken from the report goes through
 * strbuf_append_html; report values never choose an element, an attribute
 * name or a class (those come from fixed strings here), and the only URL
 * built from report data is "<token>.json", made only for a token that
 * passes token_valid. Missing, null or mistyped fields render as absent.
 * Layout: one column, readable on a phone; <details> keep the SMTP
 * transcript and certificates out of the way until asked for.
 */
#include <string.h>

#include "base/token.h"
#include "mail/record.h"
#include "report/render.h"
#include "report/render_findings.h"
#include "report/render_generic.h"
#include "report/render_html_parts.h"
#include "report/report_json.h"

static const char page_style[] =
	"body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;"
	"max-width:60rem;padding:1rem;line-height:1.45;color:#1b1b1b;background:#fff}"
	"h1{font-size:1.5rem;margin:.2rem 0;overflow-wrap:anywhere}"
	"h2{font-size:1.2rem;border-bottom:2px solid #ccd;padding-bottom:.2rem;margin-top:2rem}"
	"h3,h4{font-size:1rem;margin:1rem 0 .3rem}"
	"table{border-collapse:collapse;width:100%;margin:.3rem 0}"
	"th,td{text-align:left;vertical-align:top;padding:.25rem .5rem;border-bottom:1px solid #e4e4ea;"
	"overflow-wrap:anywhere}"
	"th{width:11rem;font-weight:600;color:#444}"
	"code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}"
	"pre{background:#f5f5f8;padding:.5rem;white-space:pre-wrap;overflow-wrap:anywhere;margin:.3rem 0}"
	"details{border:1px solid #dde;border-radius:.3rem;padding:.3rem .6rem;margin:.5rem 0}"
	"details details{margin-left:.5rem}"
	"summary{cursor:pointer;font-weight:600;overflow-wrap:anywhere}"
	".ok{color:#17692e}.bad{color:#a8141d;font-weight:600}.warn{color:#8a5300}"
	".muted{color:#666}ul,ol{margin:.2rem 0;padding-left:1.4rem}"
	"table.facts{margin:.2rem 0;font-size:.95em}table.facts th{width:auto}"
	"tr.cols th{overflow-wrap:normal}"
	"ol.facts{margin:0}"
	"footer{margin-top:2rem;border-top:1px solid #ccd;padding-top:.5rem;font-size:.9rem}"
	"@media (max-width:40rem){th{width:auto;display:block;border:0;padding-bottom:0}"
	"td{display:block}}"
	"@media print{details{border:0}details>*{display:block}"
	"details::details-content{display:block;content-visibility:visible}"
	"a{color:inherit}}";

/* Keys each part of the page lays out itself; any other key of those
 * objects (a fact added by a newer check) is shown by html_more. */
static const char *const known_report[] = { "format", "domain", "token", "created", "expires",
	"message", "dns", "mx", "grade", NULL };
static const char *const known_message[] = { "client", "mail_from", "from", "message_id", "date",
	"tls", "spf", "dkim", "received", "received_truncated", "dmarc", "dnsbl", "headers",
	"reply_policy", "authentication_results", "arc", "authentication_truncated", NULL };
static const char *const known_client[] = { "ip", "name", "ptr", "helo", "check", NULL };
static const char *const known_msg_tls[] = { "version", "cipher", "bits", NULL };
static const char *const known_spf[] = { "result", "domain", "explanation", "record", "mechanism",
	"helo", NULL };
static const char *const known_cert[] = { "subject", "issuer", "sans", "not_before", "not_after",
	"days_left", "key", "signature", NULL };
static const char *const known_address[] = { "ip", "state", "tls", "reason", "mxray_limit", "connect_ms",
	"greeting_ms", "greeting", "starttls", "ehlo", "ehlo_after_tls", "extensions", "transcript", "tls_scan",
	"ptr", "dane", NULL };
static const char *const known_addr_tls[] = { "version", "cipher", "cipher_code", "group",
	"verified", "verify_error", "name_match", "chain", "key_type", "other_key_types",
	"chain_complete", "chain_missing_issuer", NULL };
static const char *const known_dns_mx[] = { "outcome", "dnssec", "why_bogus", "implicit", NULL };
static const char *const known_mx_host[] = { "host", "preference", "addresses_dnssec", "addresses",
	"addresses_problem", "cname", "caa", "dane", "mta_sts", NULL };
static const char *const known_scan[] = { "protocols", "suites", "server_order",
	"server_order_by_protocol", "groups", "dh_bits", "dh_prime", "forward_secrecy", "secure_renegotiation",
	"extended_master_secret", "fallback_scsv", "session_ticket", "heartbeat", "compression",
	"downgrade_sentinel", "handshakes", "duration_ms", "complete", "errors", "heartbleed",
	"refused_connections", NULL };

static void html_sending(const json_t *msg, strbuf_t *out)
{
	strbuf_puts(out, "<section id=\"sending\"><h2>How your server sent to us</h2>\n");
	if (msg == NULL) {
		strbuf_puts(out, "<p class=\"muted\">This was a domain check: no message was "
			    "analysed. Send a mail to the test address to see this part.</p>\n"
			    "</section>\n");
		return;
	}
	const json_t *client = rjson_obj(msg, "client");
	strbuf_puts(out, "<table>\n");
	html_row_start(out, "Client", NULL);
	html_text(out, rjson_str(client, "ip"));
	strbuf_puts(out, " <span class=\"muted\">(name ");
	html_text(out, rjson_str(client, "name"));
	strbuf_puts(out, ", PTR ");
	html_text(out, rjson_str(client, "ptr"));
	strbuf_puts(out, ")</span>");
	html_row_end(out);
	html_row_text(out, "HELO", rjson_str(client, "helo"), NULL);
	const char *mail_from = rjson_str(msg, "mail_from");
	html_row_text(out, "Envelope sender", mail_from && mail_from[0] ? mail_from : "<> (null sender)",
		 NULL);
	html_row_text(out, "From", rjson_str(msg, "from"), NULL);
	html_row_text(out, "Message-ID", rjson_str(msg, "message_id"), NULL);
	html_row_text(out, "Date", rjson_str(msg, "date"), NULL);

	const json_t *tls = rjson_obj(msg, "tls");
	long long bits;
	html_row_start(out, "TLS", tls ? "ok" : "bad");
	if (tls == NULL) {
		strbuf_puts(out, "none: the message came in plaintext");
	} else {
		html_text(out, rjson_str(tls, "version"));
		strbuf_puts(out, ", <code>");
		html_text(out, rjson_str(tls, "cipher"));
		strbuf_puts(out, "</code>");
		if (rjson_int(tls, "bits", &bits))
			strbuf_printf(out, " (%lld bits)", bits);
	}
	html_row_end(out);

	const json_t *spf = rjson_obj(msg, "spf");
	const char *spf_result = rjson_str(spf, "result");
	html_row_start(out, "SPF", html_result_class(spf_result));
	if (spf == NULL) {
		strbuf_puts(out, "not checked");
	} else {
		html_text(out, spf_result);
		strbuf_puts(out, " <span class=\"muted\">for ");
		html_text(out, rjson_str(spf, "domain"));
		strbuf_puts(out, "</span>");
		const char *expl = rjson_str(spf, "explanation");
		if (expl) {
			strbuf_puts(out, "<br>");
			strbuf_append_html(out, expl);
		}
		const char *rec = rjson_str(spf, "record");
		if (rec) {
			strbuf_puts(out, "<br><code>");
			strbuf_append_html(out, rec);
			strbuf_puts(out, "</code>");
		}
		if (rjson_str(spf, "mechanism")) {
			strbuf_puts(out, "<br>decided by ");
			html_code(out, rjson_str(spf, "mechanism"));
		}
	}
	html_row_end(out);
	const json_t *spf_helo = rjson_obj(spf, "helo");
	if (spf_helo) {
		const char *hr = rjson_str(spf_helo, "result");
		html_row_start(out, "SPF of the HELO", html_result_class(hr));
		html_text(out, hr);
		strbuf_puts(out, " <span class=\"muted\">for ");
		html_text(out, rjson_str(spf_helo, "domain"));
		strbuf_puts(out, " (information: RFC 7208 2.3)</span>");
		if (rjson_str(spf_helo, "mechanism")) {
			strbuf_puts(out, "<br>decided by ");
			html_code(out, rjson_str(spf_helo, "mechanism"));
		}
		html_row_end(out);
	}
	strbuf_puts(out, "</table>\n");
	html_more(out, client, known_client);
	html_more(out, tls, known_msg_tls);
	html_more(out, spf, known_spf);
	html_message_checks(msg, out);

	strbuf_puts(out, "<h3>DKIM signatures</h3>\n");
	const json_t *dkim = rjson_arr(msg, "dkim");
	size_t n = dkim ? json_array_size(dkim) : 0;
	if (n == 0)
		strbuf_puts(out, "<p class=\"bad\">The message carried no DKIM signature.</p>\n");
	for (size_t i = 0; i < n; i++) {
		const json_t *sig = json_array_get(dkim, i);
		const char *r = rjson_str(sig, "result");
		strbuf_puts(out, "<table>\n");
		html_row_text(out, "Domain (d=)", rjson_str(sig, "domain"), NULL);
		html_row_text(out, "Selector (s=)", rjson_str(sig, "selector"), NULL);
		html_row_text(out, "Algorithm", rjson_str(sig, "algorithm"), NULL);
		html_row_text(out, "Result", r, html_result_class(r));
		if (rjson_str(sig, "reason"))
			html_row_text(out, "Reason", rjson_str(sig, "reason"), NULL);
		html_dkim_rows(sig, out);
		strbuf_puts(out, "</table>\n");
		html_more(out, sig, html_known_dkim);
	}

	html_received_path(msg, out);
	html_upstream_auth(msg, out);
	if (json_is_object(msg))
		html_more(out, msg, known_message);
	strbuf_puts(out, "</section>\n");
}

/* html_chain - a certificate chain as sent; key_type names it when the
 * server holds certificates of several key types (NULL otherwise). */
static void html_chain(const json_t *chain, const char *key_type, strbuf_t *out)
{
	size_t n = chain ? json_array_size(chain) : 0;
	strbuf_puts(out, "<h4>Certificate chain");
	if (key_type) {
		strbuf_puts(out, " (");
		strbuf_append_html(out, key_type);
		strbuf_puts(out, ")");
	}
	strbuf_puts(out, "</h4>\n");
	if (n == 0) {
		strbuf_puts(out, "<p class=\"muted\">none recorded</p>\n");
		return;
	}
	strbuf_puts(out, "<ol>\n");
	for (size_t i = 0; i < n; i++) {
		const json_t *c = json_array_get(chain, i);
		long long days;
		strbuf_puts(out, "<li><table>\n");
		html_row_text(out, "Subject", rjson_str(c, "subject"), NULL);
		html_row_text(out, "Issuer", rjson_str(c, "issuer"), NULL);
		html_row_start(out, "Names (SAN)", NULL);
		html_string_list(out, rjson_arr(c, "sans"));
		html_row_end(out);
		html_row_start(out, "Valid", NULL);
		html_text(out, rjson_str(c, "not_before"));
		strbuf_puts(out, " to ");
		html_text(out, rjson_str(c, "not_after"));
		if (rjson_int(c, "days_left", &days))
			strbuf_printf(out, " <span class=\"%s\">(%lld days left)</span>",
				      days < 0 ? "bad" : days < 14 ? "warn" : "muted", days);
		html_row_end(out);
		html_row_text(out, "Key", rjson_str(c, "key"), NULL);
		html_row_text(out, "Signature", rjson_str(c, "signature"), NULL);
		strbuf_puts(out, "</table>\n");
		html_more(out, c, known_cert);
		strbuf_puts(out, "</li>\n");
	}
	strbuf_puts(out, "</ol>\n");
}

static void html_transcript(const json_t *lines, strbuf_t *out)
{
	size_t n = lines ? json_array_size(lines) : 0;
	strbuf_puts(out, "<h4>SMTP transcript</h4>\n");
	if (n == 0) {
		strbuf_puts(out, "<p class=\"muted\">none recorded</p>\n");
		return;
	}
	strbuf_puts(out, "<pre>");
	for (size_t i = 0; i < n; i++) {
		const json_t *l = json_array_get(lines, i);
		const char *dir = rjson_str(l, "dir");
		/* The direction marker is ours: S or C, never the report's text. */
		strbuf_puts(out, dir && strcmp(dir, "C") == 0 ? "C: " : dir && strcmp(dir, "S") == 0 ?
			    "S: " : "?: ");
		strbuf_append_html(out, rjson_str(l, "line"));
		strbuf_puts(out, "\n");
	}
	strbuf_puts(out, "</pre>\n");
}

/* Protocol versions in the order a reader expects, the ones that must be
 * off first. */
static const char *const scan_protocols[] = { "SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2",
	"TLSv1.3", NULL };

/* suite_rating - what a cipher suite's IANA name says about it, as a CSS
 * class and a short note; both are ours, chosen from fixed strings. */
static void suite_rating(const char *name, const char **cls, const char **note)
{
	static const struct {
		const char *part, *note;
	} weak[] = {
		{ "_NULL_", "no encryption" }, { "_WITH_NULL", "no encryption" },
		{ "_anon_", "anonymous: no authentication" }, { "EXPORT", "export grade" },
		{ "_RC4_", "RC4" }, { "_DES_", "DES" }, { "3DES", "64-bit block (SWEET32)" },
		{ "_IDEA_", "64-bit block (SWEET32)" }, { "_MD5", "MD5" },
	};
	*cls = "ok";
	*note = "forward secrecy";
	if (name == NULL || (strncmp(name, "TLS_", 4) != 0 && strncmp(name, "SSL_", 4) != 0)) {
		*cls = "muted";
		*note = "unknown suite";
		return;
	}
	for (size_t i = 0; i < sizeof(weak) / sizeof(weak[0]); i++)
		if (strstr(name, weak[i].part) != NULL) {
			*cls = "bad";
			*note = weak[i].note;
			return;
		}
	/* TLS 1.3 suites (TLS_AES_..., TLS_CHACHA20_...) always have FS. */
	if (strstr(name, "_WITH_") != NULL && strstr(name, "DHE_") == NULL) {
		*cls = "warn";
		*note = "no forward secrecy";
	}
}

/* html_tls_scan - the scan of one address: protocols, then a table of the
 * accepted suites per protocol (in the server's order when it has one),
 * then key exchange and extensions. Every value from the report is
 * escaped; labels and classes are ours. */
static void html_tls_scan(const json_t *scan, strbuf_t *out)
{
	const json_t *protos = rjson_obj(scan, "protocols"), *suites = rjson_obj(scan, "suites");
	long long n;
	strbuf_puts(out, "<h4>TLS scan: protocols and cipher suites</h4>\n<table>\n");
	html_row_start(out, "Protocols", NULL);
	for (size_t i = 0; scan_protocols[i]; i++) {
		int on = rjson_bool(protos, scan_protocols[i]);
		int legacy = i < 4;
		strbuf_printf(out, "%s<span class=\"%s\">%s %s</span>", i ? " &middot; " : "",
			      on == 1 ? (legacy ? "bad" : "ok") : on == 0 ? "muted" : "muted",
			      scan_protocols[i], on == 1 ? "yes" : on == 0 ? "no" : "?");
	}
	html_row_end(out);
	html_row_start(out, "Suite order", NULL);
	int so = rjson_bool(scan, "server_order");
	strbuf_puts(out, so == 1 ? "the server's (suites below in its order of preference)"
		    : so == 0 ? "<span class=\"warn\">the client's</span> (suites below by code)"
			      : "<span class=\"muted\">unknown</span>");
	html_row_end(out);
	html_row_text(out, "Forward secrecy", rjson_str(scan, "forward_secrecy"),
		 rjson_str(scan, "forward_secrecy") &&
		 strcmp(rjson_str(scan, "forward_secrecy"), "all") == 0 ? "ok" : "warn");
	html_row_start(out, "Groups", NULL);
	html_string_list(out, rjson_arr(scan, "groups"));
	html_row_end(out);
	if (rjson_int(scan, "dh_bits", &n)) {
		html_row_start(out, "DHE prime", n < 2048 ? "warn" : NULL);
		strbuf_printf(out, "%lld bits", n);
		if (rjson_str(scan, "dh_prime") && strcmp(rjson_str(scan, "dh_prime"), "own") != 0) {
			strbuf_puts(out, ", the published prime ");
			strbuf_append_html(out, rjson_str(scan, "dh_prime"));
		}
		html_row_end(out);
	}
	static const struct {
		const char *key, *label;
		int good;	/* the value that is good news */
	} flags[] = {
		{ "secure_renegotiation", "Secure renegotiation", 1 },
		{ "extended_master_secret", "Extended master secret", 1 },
		{ "downgrade_sentinel", "Downgrade sentinel (TLS 1.3)", 1 },
		{ "fallback_scsv", "Refuses fallback (TLS_FALLBACK_SCSV)", 1 },
		{ "compression", "TLS compression (CRIME)", 0 },
		{ "heartbeat", "Heartbeat extension", 0 },
		{ "heartbleed", "Heartbleed (answers a lying heartbeat)", 0 },
		{ "session_ticket", "Session tickets", 1 },
	};
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		int b = rjson_bool(scan, flags[i].key);
		if (b < 0)
			continue;
		html_row_start(out, flags[i].label, NULL);
		strbuf_printf(out, "<span class=\"%s\">%s</span>", b == flags[i].good ? "ok" : "warn",
			      b ? "yes" : "no");
		html_row_end(out);
	}
	if (rjson_int(scan, "handshakes", &n)) {
		long long ms = 0;
		html_row_start(out, "Handshakes", NULL);
		strbuf_printf(out, "%lld", n);
		if (rjson_int(scan, "duration_ms", &ms))
			strbuf_printf(out, " in %lld ms", ms);
		if (rjson_int(scan, "refused_connections", &ms) && ms > 0)
			strbuf_printf(out, ", %lld connections refused by the server and retried", ms);
		if (rjson_bool(scan, "complete") == 0)
			strbuf_puts(out, " <span class=\"warn\">(incomplete: see below)</span>");
		html_row_end(out);
	}
	strbuf_puts(out, "</table>\n");
	for (size_t i = 0; scan_protocols[i]; i++) {
		const json_t *list = json_object_get(suites, scan_protocols[i]);
		size_t count = json_is_array(list) ? json_array_size(list) : 0;
		if (count == 0)
			continue;
		strbuf_printf(out, "<table class=\"facts\"><tr><th colspan=\"4\">%s: %zu suites"
			      "</th></tr>\n<tr><th>#</th><th>Code</th><th>Suite</th><th>Note</th></tr>\n",
			      scan_protocols[i], count);
		for (size_t k = 0; k < count; k++) {
			const json_t *su = json_array_get(list, k);
			const char *cls, *note;
			suite_rating(rjson_str(su, "name"), &cls, &note);
			strbuf_printf(out, "<tr><td>%zu</td><td><code>", k + 1);
			html_text(out, rjson_str(su, "code"));
			strbuf_puts(out, "</code></td><td><code>");
			html_text(out, rjson_str(su, "name"));
			strbuf_printf(out, "</code></td><td class=\"%s\">%s</td></tr>\n", cls, note);
		}
		strbuf_puts(out, "</table>\n");
	}
	const json_t *errs = rjson_arr(scan, "errors");
	if (errs && json_array_size(errs) > 0) {
		strbuf_puts(out, "<p class=\"warn\">The scan met problems:</p>\n");
		html_string_list(out, errs);
	}
	html_more(out, scan, known_scan);
}

/* html_cert_verdict - the rows "Certificate" (verified, or why not) and
 * "Name match" of a handshake's "tls" object. */
static void html_cert_verdict(const json_t *tls, strbuf_t *out)
{
	html_row_start(out, "Certificate", NULL);
	html_bool(out, rjson_bool(tls, "verified"), "verified", "not verified");
	if (rjson_str(tls, "verify_error")) {
		strbuf_puts(out, ": ");
		strbuf_append_html(out, rjson_str(tls, "verify_error"));
	}
	html_row_end(out);
	html_row_start(out, "Name match", NULL);
	html_bool(out, rjson_bool(tls, "name_match"), "yes", "no");
	html_row_end(out);
	int complete = rjson_bool(tls, "chain_complete");
	if (complete >= 0) {
		html_row_start(out, "Chain complete", NULL);
		html_bool(out, complete, "yes", "no");
		if (complete == 0) {
			strbuf_puts(out, ": the server did not send the certificate of ");
			html_code(out, rjson_str(tls, "chain_missing_issuer") ?: "?");
		}
		html_row_end(out);
	}
}

/* address_state_words - an address's state as a reader should read it:
 * "not tested" is no verdict on the server (hard rule 2), "failed" is. */
static const char *address_state_words(const char *state)
{
	if (state && strcmp(state, "not_tested") == 0)
		return "not tested (no verdict)";
	if (state && strcmp(state, "failed") == 0)
		return "failed";
	return state;
}

static void html_address(const json_t *a, strbuf_t *out)
{
	const char *state = rjson_str(a, "state");
	const json_t *tls = rjson_obj(a, "tls");
	long long ms;
	int not_tested = state && strcmp(state, "not_tested") == 0;

	strbuf_puts(out, "<details class=\"addr\"><summary>");
	html_text(out, rjson_str(a, "ip"));
	strbuf_printf(out, " &ndash; <span class=\"%s\">", html_result_class(state) ? html_result_class(state) :
		      "muted");
	html_text(out, address_state_words(state));
	strbuf_puts(out, "</span>");
	if (tls) {
		strbuf_puts(out, " &ndash; ");
		html_text(out, rjson_str(tls, "version"));
	}
	strbuf_puts(out, "</summary>\n<table>\n");
	if (rjson_str(a, "reason") && not_tested)
		html_row_text(out, rjson_str(a, "mxray_limit") ? "Not tested: mxray's own limit" :
			      "Not tested because", rjson_str(a, "reason"), "warn");
	else if (rjson_str(a, "reason") && state && strcmp(state, "failed") == 0)
		html_row_text(out, "Failed because", rjson_str(a, "reason"), "bad");
	else if (rjson_str(a, "reason"))
		html_row_text(out, "Why", rjson_str(a, "reason"), "warn");
	if (rjson_int(a, "connect_ms", &ms)) {
		html_row_start(out, "Connect", NULL);
		strbuf_printf(out, "%lld ms", ms);
		html_row_end(out);
	}
	if (rjson_int(a, "greeting_ms", &ms)) {
		html_row_start(out, "Greeting after", NULL);
		strbuf_printf(out, "%lld ms", ms);
		html_row_end(out);
	}
	html_row_start(out, "Greeting", NULL);
	strbuf_puts(out, "<code>");
	html_text(out, rjson_str(a, "greeting"));
	strbuf_puts(out, "</code>");
	html_row_end(out);
	const char *starttls = rjson_str(a, "starttls");
	html_row_text(out, "STARTTLS", starttls, html_result_class(starttls));
	if (tls) {
		html_row_text(out, "TLS version", rjson_str(tls, "version"), NULL);
		html_row_start(out, "Cipher", NULL);
		strbuf_puts(out, "<code>");
		html_text(out, rjson_str(tls, "cipher"));
		strbuf_puts(out, "</code>");
		if (rjson_str(tls, "cipher_code")) {
			strbuf_puts(out, " <span class=\"muted\">(");
			strbuf_append_html(out, rjson_str(tls, "cipher_code"));
			strbuf_puts(out, ")</span>");
		}
		html_row_end(out);
		html_row_text(out, "Key exchange", rjson_str(tls, "group"), NULL);
		html_cert_verdict(tls, out);
		html_row_text(out, "Certificate key", rjson_str(tls, "key_type"), NULL);
	}
	html_address_checks(a, out);
	strbuf_puts(out, "</table>\n");
	html_ehlo_extensions(a, out);
	strbuf_puts(out, "<h4>EHLO reply as sent</h4>\n");
	html_string_list(out, rjson_arr(a, "ehlo"));
	if (rjson_arr(a, "ehlo_after_tls")) {
		strbuf_puts(out, "<h4>EHLO reply after STARTTLS, as sent</h4>\n");
		html_string_list(out, rjson_arr(a, "ehlo_after_tls"));
	}
	html_more(out, a, known_address);
	html_more(out, tls, known_addr_tls);
	if (tls) {
		const json_t *others = rjson_arr(tls, "other_key_types");
		int several = others && json_array_size(others) > 0;
		html_chain(rjson_arr(tls, "chain"), several ? rjson_str(tls, "key_type") : NULL, out);
		for (size_t i = 0; several && i < json_array_size(others); i++) {
			const json_t *o = json_array_get(others, i);
			strbuf_puts(out, "<table>\n");
			html_row_start(out, "Also holds", NULL);
			html_text(out, rjson_str(o, "key_type"));
			strbuf_puts(out, " certificate, shown to senders that offer only ");
			html_text(out, rjson_str(o, "key_type"));
			strbuf_puts(out, " signatures (");
			html_text(out, rjson_str(o, "version"));
			strbuf_puts(out, ", <code>");
			html_text(out, rjson_str(o, "cipher"));
			strbuf_puts(out, "</code>)");
			html_row_end(out);
			html_cert_verdict(o, out);
			strbuf_puts(out, "</table>\n");
			html_chain(rjson_arr(o, "chain"), rjson_str(o, "key_type"), out);
		}
	}
	if (rjson_obj(a, "tls_scan"))
		html_tls_scan(rjson_obj(a, "tls_scan"), out);
	html_transcript(rjson_arr(a, "transcript"), out);
	strbuf_puts(out, "</details>\n");
}

static void html_receiving(const json_t *report, strbuf_t *out)
{
	strbuf_puts(out, "<section id=\"receiving\"><h2>How your domain receives</h2>\n");
	const json_t *dmx = rjson_obj(rjson_obj(report, "dns"), "mx");
	if (dmx) {
		const char *outcome = rjson_str(dmx, "outcome");
		const char *dnssec = rjson_str(dmx, "dnssec");
		strbuf_puts(out, "<table>\n");
		html_row_text(out, "MX lookup", outcome, html_result_class(outcome));
		html_row_start(out, "DNSSEC", html_result_class(dnssec));
		html_text(out, dnssec);
		if (rjson_str(dmx, "why_bogus")) {
			strbuf_puts(out, ": ");
			strbuf_append_html(out, rjson_str(dmx, "why_bogus"));
		}
		html_row_end(out);
		if (rjson_bool(dmx, "implicit") == 1)
			html_row_text(out, "Note", "No MX record: the domain itself is the mail host.",
				 "warn");
		strbuf_puts(out, "</table>\n");
		html_more(out, dmx, known_dns_mx);
	}
	const json_t *mx = rjson_arr(report, "mx");
	size_t n = mx ? json_array_size(mx) : 0;
	if (n == 0)
		strbuf_puts(out, "<p class=\"bad\">No mail server was found.</p>\n");
	for (size_t i = 0; i < n; i++) {
		const json_t *host = json_array_get(mx, i);
		const char *ad = rjson_str(host, "addresses_dnssec");
		long long pref;
		strbuf_puts(out, "<details class=\"mx\" open><summary>");
		html_text(out, rjson_str(host, "host"));
		if (rjson_int(host, "preference", &pref))
			strbuf_printf(out, " <span class=\"muted\">(preference %lld)</span>", pref);
		strbuf_printf(out, " &ndash; addresses DNSSEC <span class=\"%s\">",
			      html_result_class(ad) ? html_result_class(ad) : "muted");
		html_text(out, ad);
		strbuf_puts(out, "</span></summary>\n");
		html_mx_host_records(host, out);
		html_more(out, host, known_mx_host);
		const json_t *addrs = rjson_arr(host, "addresses");
		size_t m = addrs ? json_array_size(addrs) : 0;
		if (m == 0)
			strbuf_puts(out, "<p class=\"bad\">No address.</p>\n");
		for (size_t k = 0; k < m; k++)
			html_address(json_array_get(addrs, k), out);
		strbuf_puts(out, "</details>\n");
	}
	strbuf_puts(out, "</section>\n");
}

/* html_policy - the domain's published policies: every dns object but the
 * MX lookup (shown under receiving). DMARC, MTA-STS and TLS-RPT have
 * their layouts; anything else (a check added later) is shown generically. */
static void html_policy(const json_t *report, strbuf_t *out)
{
	strbuf_puts(out, "<section id=\"policy\"><h2>Your domain's policies</h2>\n");
	const json_t *dns = rjson_obj(report, "dns");
	const json_t *dmarc = rjson_obj(dns, "dmarc");
	size_t shown = 0;
	if (dmarc) {
		strbuf_puts(out, "<h3>DMARC <span class=\"muted\">(RFC 7489)</span></h3>\n<table>\n");
		html_dmarc_rows(dmarc, out);
		strbuf_puts(out, "</table>\n");
		html_dmarc_destinations(dmarc, out);
		html_more(out, dmarc, html_known_dmarc);
		shown++;
	}
	if (rjson_obj(dns, "spf")) {
		html_spf_policy(rjson_obj(dns, "spf"), out);
		shown++;
	}
	if (rjson_obj(dns, "mta_sts")) {
		html_mta_sts(rjson_obj(dns, "mta_sts"), out);
		shown++;
	}
	if (rjson_obj(dns, "tls_rpt")) {
		html_tls_rpt(rjson_obj(dns, "tls_rpt"), out);
		shown++;
	}
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)dns, key, v) {
		if (strcmp(key, "mx") == 0 || strcmp(key, "findings") == 0 ||
		    (strcmp(key, "dmarc") == 0 && dmarc) || (strcmp(key, "spf") == 0 &&
		    json_is_object(v)) || (strcmp(key, "mta_sts") == 0 &&
		    json_is_object(v)) || (strcmp(key, "tls_rpt") == 0 && json_is_object(v)))
			continue;
		strbuf_puts(out, "<h3><code>");
		strbuf_append_html(out, key);
		strbuf_puts(out, "</code></h3>\n");
		html_value(out, v);
		strbuf_puts(out, "\n");
		shown++;
	}
	if (shown == 0)
		strbuf_puts(out, "<p class=\"muted\">No policy records were looked up.</p>\n");
	strbuf_puts(out, "</section>\n");
}

int report_render_html(const json_t *report, strbuf_t *out)
{
	char err[128];
	if (record_check_format(report, REPORT_FORMAT, err, sizeof(err)) != 0)
		return -1;
	const char *domain = rjson_str(report, "domain");
	const char *expires = rjson_str(report, "expires");
	const char *token = rjson_str(report, "token");

	strbuf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		    "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\n"
		    "<meta name=\"referrer\" content=\"no-referrer\">\n"
		    "<meta name=\"robots\" content=\"noindex, nofollow\">\n<title>mxray report for ");
	html_text(out, domain);
	strbuf_printf(out, "</title>\n<style>%s%s</style>\n</head><body>\n<header>"
		      "<h1>mxray report for ", page_style, findings_style);
	html_text(out, domain);
	strbuf_puts(out, "</h1>\n<p>Tested ");
	html_text(out, rjson_str(report, "created"));
	if (expires) {
		strbuf_puts(out, ". This report expires ");
		strbuf_append_html(out, expires);
		strbuf_puts(out, " and is deleted then");
	}
	strbuf_puts(out, ".</p></header>\n<main>\n");
	html_grade_summary(report, out);
	html_sending(rjson_obj(report, "message"), out);
	html_receiving(report, out);
	html_policy(report, out);
	if (json_object_size(report) > 0) {
		strbuf_t more = STRBUF_INIT;
		html_more(&more, report, known_report);
		if (more.len > 0) {
			strbuf_puts(out, "<section id=\"other\"><h2>Other facts</h2>\n");
			strbuf_puts(out, more.data);
			strbuf_puts(out, "</section>\n");
		}
		strbuf_free(&more);
	}
	html_findings(report, out);
	strbuf_puts(out, "</main>\n<footer>");
	if (token && token_valid(token)) {
		strbuf_puts(out, "<a href=\"");
		strbuf_append_html(out, token);
		strbuf_puts(out, ".json\">This report as JSON</a> &middot; ");
	}
	strbuf_puts(out, "mxray</footer>\n</body></html>\n");
	return 0;
}
