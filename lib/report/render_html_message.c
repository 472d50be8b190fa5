/*
 * render_html_message.c - the report page's view of what the test message
 * told beyond the summary rows: the DMARC evaluation (RFC 7489), the
 * client's HELO and reverse DNS (RFC 5321 4.1.4), blocklists, header
 * basics (RFC 5322, RFC 8058), the reply decision, each DKIM signature's
 * details (RFC 6376), the Received path hop by hop, and upstream
 * Authentication-Results (RFC 8601) and ARC (RFC 8617) as information.
 * See render_html_parts.h.
 */
#include <string.h>

#include "report/render_html_parts.h"
#include "report/report_json.h"

const char *const html_known_dkim[] = { "domain", "selector", "algorithm", "result", "reason",
	"identity", "canonicalization", "headers", "body_length", "timestamp", "expires", "body_hash",
	"key_type",
	"key_bits", "key_dnssec", "key_why_bogus", "key", "key_cname", NULL };

static void html_dmarc_result(const json_t *dmarc, strbuf_t *out)
{
	const char *result = rjson_str(dmarc, "result");
	strbuf_puts(out, "<h3>DMARC <span class=\"muted\">(RFC 7489, for the From domain ");
	html_text(out, rjson_str(dmarc, "domain"));
	strbuf_puts(out, ")</span></h3>\n<table>\n");
	html_row_start(out, "Result", result && strcmp(result, "none") == 0 ? "warn" :
			   html_result_class(result));
	html_text(out, result);
	if (rjson_str(dmarc, "applied_policy")) {
		strbuf_puts(out, ": receivers apply ");
		strbuf_append_html(out, rjson_str(dmarc, "applied_policy"));
		if (rjson_bool(dmarc, "from_domain_exists") == 0)
			strbuf_puts(out, " <span class=\"muted\">(np=: the From domain does not exist, RFC 9091)</span>");
	}
	html_row_end(out);
	if (rjson_str(dmarc, "reason")) {
		html_row_start(out, "Why", NULL);
		html_text(out, rjson_str(dmarc, "reason"));
		html_row_end(out);
	}
	html_row_start(out, "SPF aligned", NULL);
	html_bool(out, rjson_bool(dmarc, "spf_aligned"), "yes", "no");
	if (rjson_str(dmarc, "spf_alignment")) {
		strbuf_puts(out, " <span class=\"muted\">(domain alignment: ");
		strbuf_append_html(out, rjson_str(dmarc, "spf_alignment"));
		strbuf_puts(out, ")</span>");
	}
	html_row_end(out);
	html_row_start(out, "DKIM aligned", NULL);
	html_bool(out, rjson_bool(dmarc, "dkim_aligned"), "yes", "no");
	html_row_end(out);
	/* each signature on its own: which one made (or could make) DMARC pass */
	const json_t *sigs = rjson_arr(dmarc, "dkim_signatures");
	for (size_t i = 0; sigs && i < json_array_size(sigs); i++) {
		const json_t *g = json_array_get(sigs, i);
		int counts = rjson_bool(g, "counts") == 1;
		html_row_start(out, "DKIM signature", counts ? "ok" : NULL);
		strbuf_puts(out, "d=");
		html_code(out, rjson_str(g, "domain"));
		strbuf_puts(out, " s=");
		html_code(out, rjson_str(g, "selector"));
		strbuf_puts(out, ": ");
		html_text(out, rjson_str(g, "result"));
		strbuf_puts(out, ", alignment ");
		html_text(out, rjson_str(g, "alignment"));
		strbuf_puts(out, counts ? " (counts for DMARC)"
			    : rjson_bool(g, "aligned") == 1 ? " (aligned, but does not pass)"
							     : " (not aligned as the policy requires)");
		html_row_end(out);
	}
	html_dmarc_rows(dmarc, out);
	strbuf_puts(out, "</table>\n");
	html_dmarc_destinations(dmarc, out);
}

/* yes_no_row - a row whose answer is a boolean with our own words. */
static void yes_no_row(strbuf_t *out, const char *label, int b, const char *yes, const char *no)
{
	html_row_start(out, label, NULL);
	html_bool(out, b, yes, no);
	html_row_end(out);
}

static void html_client_check(const json_t *check, strbuf_t *out)
{
	if (check == NULL)
		return;
	html_row_start(out, "HELO name", NULL);
	html_code(out, rjson_str(check, "helo"));
	if (rjson_bool(check, "address_literal") == 1)
		strbuf_puts(out, " <span class=\"muted\">(an address literal)</span>");
	else if (rjson_bool(check, "fqdn") == 0)
		strbuf_puts(out, " <span class=\"bad\">not a fully qualified domain name</span>");
	html_row_end(out);
	if (rjson_bool(check, "address_literal") != 1 && rjson_bool(check, "fqdn") == 1) {
		int resolves = rjson_bool(check, "resolves");
		html_row_start(out, "HELO resolves", NULL);
		if (resolves == -1)
			strbuf_puts(out, "<span class=\"muted\">not checked</span>");
		else
			html_bool(out, resolves, "yes", "no: it has no A or AAAA record");
		const json_t *addrs = rjson_arr(check, "addresses");
		for (size_t i = 0; addrs && i < json_array_size(addrs); i++) {
			strbuf_puts(out, i ? ", " : " (");
			html_text(out, json_string_value(json_array_get(addrs, i)));
			if (i + 1 == json_array_size(addrs))
				strbuf_puts(out, ")");
		}
		html_row_end(out);
		if (resolves == 1)
			yes_no_row(out, "HELO is the client", rjson_bool(check, "matches_client"), "yes",
				   "no: it names other addresses");
	}
	int fcrdns = rjson_bool(check, "fcrdns");
	html_row_start(out, "Reverse DNS", fcrdns == 1 ? "ok" : fcrdns == 0 ? "warn" : NULL);
	if (fcrdns == -1)
		strbuf_puts(out, "<span class=\"muted\">not known (no MTA took this message)</span>");
	else if (fcrdns == 1)
		strbuf_puts(out, "forward-confirmed");
	else
		strbuf_puts(out, "not forward-confirmed");
	if (rjson_str(check, "ptr")) {
		strbuf_puts(out, ": PTR ");
		html_code(out, rjson_str(check, "ptr"));
	}
	html_row_end(out);
}

static void html_dnsbl(const json_t *lists, strbuf_t *out)
{
	for (size_t i = 0; lists && i < json_array_size(lists); i++) {
		const json_t *l = json_array_get(lists, i);
		const char *state = rjson_str(l, "state");
		const char *cls = state == NULL ? NULL : strcmp(state, "not_listed") == 0 ? "ok" :
				  strcmp(state, "listed") == 0 ? "bad" : "warn";
		html_row_start(out, "Blocklist", cls);
		html_code(out, rjson_str(l, "zone"));
		strbuf_puts(out, ": ");
		if (state && strcmp(state, "not_listed") == 0)
			strbuf_puts(out, "not listed");
		else if (state && strcmp(state, "listed") == 0)
			strbuf_puts(out, "listed");
		else if (state && strcmp(state, "not_tested") == 0)
			strbuf_puts(out, "not tested");
		else
			html_text(out, state);
		const json_t *codes = rjson_arr(l, "codes");
		for (size_t k = 0; codes && k < json_array_size(codes); k++) {
			strbuf_puts(out, k ? ", " : " (");
			html_text(out, json_string_value(json_array_get(codes, k)));
			if (k + 1 == json_array_size(codes))
				strbuf_puts(out, ")");
		}
		const char *why = rjson_str(l, "why_not_tested") ? rjson_str(l, "why_not_tested") :
				  rjson_str(l, "reason");
		if (why) {
			strbuf_puts(out, "<br>");
			strbuf_append_html(out, why);
		}
		html_row_end(out);
	}
}

static void html_header_basics(const json_t *hd, strbuf_t *out)
{
	long long n;
	if (hd == NULL)
		return;
	if (rjson_int(hd, "from_count", &n)) {
		long long boxes = 1;
		int one = n == 1 && (!rjson_int(hd, "from_mailboxes", &boxes) || boxes == 1);
		html_row_start(out, "From field", one ? "ok" : "bad");
		if (n == 1 && boxes != 1)
			strbuf_printf(out, "one, with %lld addresses (DMARC needs exactly one)", boxes);
		else
			strbuf_printf(out, "%lld (RFC 5322 3.6 requires exactly one)", n);
		html_row_end(out);
	}
	if (rjson_int(hd, "date_count", &n)) {
		int valid = rjson_bool(hd, "date_valid");
		html_row_start(out, "Date field", n == 1 && valid == 1 ? "ok" : "bad");
		if (n != 1)
			strbuf_printf(out, "%lld (RFC 5322 3.6 requires exactly one)", n);
		else
			strbuf_puts(out, valid == 1 ? "valid" : "not an RFC 5322 3.3 date-time");
		html_row_end(out);
	}
	if (rjson_int(hd, "message_id_count", &n)) {
		html_row_start(out, "Message-ID field", n == 1 ? "ok" : "warn");
		strbuf_printf(out, "%lld", n);
		html_row_end(out);
	}
	if (rjson_bool(hd, "bulk") == 1) {
		html_row_start(out, "Bulk mail", rjson_bool(hd, "one_click_unsubscribe") == 1 ? "ok" :
				   "warn");
		strbuf_puts(out, rjson_bool(hd, "one_click_unsubscribe") == 1 ?
			    "one-click unsubscribe offered (RFC 8058)" :
			    "no one-click unsubscribe (RFC 8058)");
		if (rjson_str(hd, "list_unsubscribe")) {
			strbuf_puts(out, "<br>List-Unsubscribe: ");
			html_code(out, rjson_str(hd, "list_unsubscribe"));
		}
		if (rjson_str(hd, "list_unsubscribe_post")) {
			strbuf_puts(out, "<br>List-Unsubscribe-Post: ");
			html_code(out, rjson_str(hd, "list_unsubscribe_post"));
		}
		html_row_end(out);
	}
}

void html_message_checks(const json_t *msg, strbuf_t *out)
{
	const json_t *dmarc = rjson_obj(msg, "dmarc");
	const json_t *client = rjson_obj(msg, "client");
	const json_t *reply = rjson_obj(msg, "reply_policy");
	if (dmarc)
		html_dmarc_result(dmarc, out);
	strbuf_puts(out, "<h3>The sender and the message</h3>\n<table>\n");
	html_client_check(rjson_obj(client, "check"), out);
	html_dnsbl(rjson_arr(msg, "dnsbl"), out);
	html_header_basics(rjson_obj(msg, "headers"), out);
	if (reply) {
		html_row_start(out, "Reply", NULL);
		strbuf_puts(out, rjson_bool(reply, "reply") == 1 ? "sent" : "none sent");
		if (rjson_str(reply, "reason")) {
			strbuf_puts(out, ": ");
			strbuf_append_html(out, rjson_str(reply, "reason"));
		}
		html_row_end(out);
	}
	strbuf_puts(out, "</table>\n");
}

void html_dkim_rows(const json_t *sig, strbuf_t *out)
{
	const json_t *key = rjson_obj(sig, "key");
	long long bits, l;
	if (rjson_str(sig, "identity"))
		html_row_text(out, "Identity (i=)", rjson_str(sig, "identity"), NULL);
	if (rjson_str(sig, "canonicalization"))
		html_row_text(out, "Canonicalization", rjson_str(sig, "canonicalization"), NULL);
	if (rjson_arr(sig, "headers")) {
		const json_t *hs = rjson_arr(sig, "headers");
		html_row_start(out, "Signed fields (h=)", NULL);
		for (size_t i = 0; i < json_array_size(hs); i++) {
			if (i)
				strbuf_puts(out, ", ");
			html_code(out, json_string_value(json_array_get(hs, i)));
		}
		html_row_end(out);
	}
	/* l= as the tag's text (the analysis keeps tags as written); an
	 * integer in older reports */
	const char *ltext = rjson_str(sig, "body_length");
	if (ltext || rjson_int(sig, "body_length", &l)) {
		html_row_start(out, "Body length (l=)", "warn");
		if (ltext)
			strbuf_append_html(out, ltext);
		else
			strbuf_printf(out, "%lld", l);
		strbuf_puts(out, " bytes: anyone can append to the body and the signature still "
			    "verifies");
		html_row_end(out);
	}
	const char *bh = rjson_str(sig, "body_hash");
	if (bh && strcmp(bh, "match") == 0)
		html_row_text(out, "Body hash (bh=)", "matches the body as received", "ok");
	else if (bh && strcmp(bh, "mismatch") == 0)
		html_row_text(out, "Body hash (bh=)", "does not match: the body changed after signing "
			      "(a mailing list footer, a rewriting gateway, or tampering)", "bad");
	if (rjson_str(sig, "timestamp") || rjson_str(sig, "expires")) {
		html_row_start(out, "Signed at (t=)", NULL);
		html_text(out, rjson_str(sig, "timestamp"));
		if (rjson_str(sig, "expires")) {
			strbuf_puts(out, ", expires (x=) ");
			strbuf_append_html(out, rjson_str(sig, "expires"));
		}
		html_row_end(out);
	}
	if (rjson_str(sig, "key_type") || key) {
		const char *dnssec = rjson_str(sig, "key_dnssec");
		html_row_start(out, "Key", NULL);
		html_text(out, rjson_str(sig, "key_type"));
		if (rjson_int(sig, "key_bits", &bits))
			strbuf_printf(out, ", %lld bits", bits);
		if (dnssec) {
			const char *cls = html_result_class(dnssec);
			strbuf_printf(out, ", record DNSSEC <span class=\"%s\">", cls ? cls : "muted");
			strbuf_append_html(out, dnssec);
			strbuf_puts(out, "</span>");
		}
		if (rjson_str(sig, "key_why_bogus")) {
			strbuf_puts(out, ": ");
			strbuf_append_html(out, rjson_str(sig, "key_why_bogus"));
		}
		if (rjson_str(sig, "key_cname")) {
			strbuf_puts(out, "<br>the key record is a CNAME to ");
			html_code(out, rjson_str(sig, "key_cname"));
			strbuf_puts(out, " (delegated, as to a mail provider)");
		}
		if (rjson_bool(key, "testing") == 1)
			strbuf_puts(out, "<br><span class=\"warn\">t=y: the domain says it is testing "
				    "DKIM</span>");
		if (rjson_bool(key, "revoked") == 1)
			strbuf_puts(out, "<br><span class=\"bad\">revoked (empty p=)</span>");
		html_row_end(out);
	}
}

void html_received_path(const json_t *msg, strbuf_t *out)
{
	const json_t *received = rjson_arr(msg, "received");
	size_t n = received ? json_array_size(received) : 0;
	if (n == 0)
		return;
	static const char *const cols[] = { "From", "By", "With", "TLS", "Time", "Delay", NULL };
	strbuf_puts(out, "<details><summary>Received path (newest hop first)</summary>\n");
	html_table_columns(out, cols);
	for (size_t i = 0; i < n; i++) {
		const json_t *hop = json_array_get(received, i);
		long long delay;
		if (rjson_bool(hop, "parsed") != 1) {
			strbuf_puts(out, "<tr><td colspan=\"6\"><span class=\"warn\">not parsed:</span> ");
			html_code(out, rjson_str(hop, "raw"));
			strbuf_puts(out, "</td></tr>\n");
			continue;
		}
		int tls = rjson_bool(hop, "tls");
		strbuf_puts(out, "<tr><td>");
		const char *name = rjson_str(hop, "from_name"), *ip = rjson_str(hop, "from_ip");
		html_text(out, name);
		/* "[192.0.2.1] (unknown [192.0.2.1])": the name already is the address */
		if (ip && !(name && name[0] == '[' && strncmp(name + 1, ip, strlen(ip)) == 0)) {
			strbuf_puts(out, " [");
			strbuf_append_html(out, ip);
			strbuf_puts(out, "]");
		}
		strbuf_puts(out, "</td><td>");
		html_text(out, rjson_str(hop, "by"));
		strbuf_puts(out, "</td><td>");
		html_text(out, rjson_str(hop, "with"));
		strbuf_printf(out, "</td><td class=\"%s\">", tls == 1 ? "ok" : tls == 0 ? "bad" : "muted");
		if (tls == 1) {
			strbuf_puts(out, "yes");
			if (rjson_str(hop, "tls_version")) {
				strbuf_puts(out, ", ");
				strbuf_append_html(out, rjson_str(hop, "tls_version"));
			}
		} else {
			strbuf_puts(out, tls == 0 ? "no: plaintext" : "not recorded");
		}
		strbuf_puts(out, "</td><td>");
		html_text(out, rjson_str(hop, "time") ? rjson_str(hop, "time") : rjson_str(hop, "date"));
		strbuf_puts(out, "</td><td>");
		if (rjson_int(hop, "delay_s", &delay))
			strbuf_printf(out, delay < 0 ? "<span class=\"warn\">%lld s (clock skew)</span>" :
				      "%lld s", delay);
		strbuf_puts(out, "</td></tr>\n");
	}
	strbuf_puts(out, "</table>\n");
	if (rjson_bool(msg, "received_truncated") == 1)
		strbuf_puts(out, "<p class=\"muted\">Some Received headers were dropped or cut (too "
			    "many or too long).</p>\n");
	strbuf_puts(out, "</details>\n");
}

/* method_results - "dkim=pass, spf=pass" from a parsed results list. */
static void method_results(const json_t *results, strbuf_t *out)
{
	for (size_t i = 0; results && i < json_array_size(results); i++) {
		const json_t *r = json_array_get(results, i);
		const char *res = rjson_str(r, "result");
		const char *cls = html_result_class(res);
		if (i)
			strbuf_puts(out, ", ");
		html_text(out, rjson_str(r, "method"));
		strbuf_printf(out, "=<span class=\"%s\">", cls ? cls : "muted");
		html_text(out, res);
		strbuf_puts(out, "</span>");
	}
}

void html_upstream_auth(const json_t *msg, strbuf_t *out)
{
	const json_t *ar = rjson_arr(msg, "authentication_results");
	const json_t *arc = rjson_arr(msg, "arc");
	size_t nar = ar ? json_array_size(ar) : 0, narc = arc ? json_array_size(arc) : 0;
	if (nar == 0 && narc == 0)
		return;
	strbuf_puts(out, "<details><summary>Upstream authentication results and ARC "
		    "(information only)</summary>\n<p class=\"muted\">Anyone on the path can write "
		    "these fields; mxray shows them as found and verifies no ARC signature.</p>\n");
	if (nar > 0) {
		static const char *const cols[] = { "Authentication-Results by", "Results", NULL };
		html_table_columns(out, cols);
		for (size_t i = 0; i < nar; i++) {
			const json_t *f = json_array_get(ar, i);
			strbuf_puts(out, "<tr><td>");
			html_text(out, rjson_str(f, "authserv_id"));
			strbuf_puts(out, "</td><td>");
			if (rjson_bool(f, "parsed") == 1)
				method_results(rjson_arr(f, "results"), out);
			else
				html_code(out, rjson_str(f, "raw"));
			strbuf_puts(out, "</td></tr>\n");
		}
		strbuf_puts(out, "</table>\n");
	}
	if (narc > 0) {
		static const char *const cols[] = { "ARC set", "Field", "What it says", NULL };
		html_table_columns(out, cols);
		for (size_t i = 0; i < narc; i++) {
			const json_t *f = json_array_get(arc, i);
			long long inst;
			strbuf_puts(out, "<tr><td>");
			if (rjson_int(f, "instance", &inst))
				strbuf_printf(out, "i=%lld", inst);
			strbuf_puts(out, "</td><td>");
			html_text(out, rjson_str(f, "field"));
			strbuf_puts(out, "</td><td>");
			if (rjson_bool(f, "parsed") != 1) {
				html_code(out, rjson_str(f, "raw"));
			} else if (rjson_arr(f, "results")) {
				html_text(out, rjson_str(f, "authserv_id"));
				strbuf_puts(out, ": ");
				method_results(rjson_arr(f, "results"), out);
			} else {
				strbuf_puts(out, "d=");
				html_text(out, rjson_str(f, "domain"));
				if (rjson_str(f, "selector")) {
					strbuf_puts(out, " s=");
					strbuf_append_html(out, rjson_str(f, "selector"));
				}
				if (rjson_str(f, "cv")) {
					strbuf_puts(out, " cv=");
					strbuf_append_html(out, rjson_str(f, "cv"));
				}
			}
			strbuf_puts(out, "</td></tr>\n");
		}
		strbuf_puts(out, "</table>\n");
	}
	if (rjson_bool(msg, "authentication_truncated") == 1)
		strbuf_puts(out, "<p class=\"muted\">More of these fields came than are kept.</p>\n");
	strbuf_puts(out, "</details>\n");
}
