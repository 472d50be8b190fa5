/*
 * test_render.c - the text and HTML renderings of a report: the facts of a
 * sample report appear, hostile strings stay inert, malformed reports
 * neither crash nor render.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "harness.h"
#include "fixture_report.h"
#include "report/render.h"

#define XSS_SCRIPT "<script>alert(1)</script>"
#define XSS_IMG "\"><img src=x onerror=alert(2)>"
#define XSS_AMP "&amp;"
#define XSS_QUOTE "' onmouseover='alert(3)"

/* tag_allowed - 1 if the HTML tag name starting at p is one we emit. */
static int tag_allowed(const char *p, size_t *namelen)
{
	static const char *tags[] = {
		"!DOCTYPE", "html", "head", "meta", "title", "style", "body", "header", "h1",
		"h2", "h3", "h4", "p", "main", "section", "table", "tr", "th", "td", "code",
		"span", "br", "details", "summary", "ul", "ol", "li", "pre", "footer", "a", "div",
		"b", NULL,
	};
	size_t n = 0;
	if (p[0] == '/')
		p++;
	while (p[n] && (isalnum((unsigned char)p[n]) || p[n] == '!'))
		n++;
	*namelen = n;
	for (int i = 0; tags[i]; i++)
		if (strlen(tags[i]) == n && strncmp(tags[i], p, n) == 0)
			return 1;
	return 0;
}

/* html_structure_ok - every tag is one of ours and carries no on* handler,
 * no src= and no javascript: URL. Prints the first offender. */
static int html_structure_ok(const char *html)
{
	for (const char *p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
		size_t n;
		const char *end = strchr(p, '>');
		if (end == NULL || !tag_allowed(p + 1, &n)) {
			printf("#   unexpected tag at: %.60s\n", p);
			return 0;
		}
		for (const char *a = p; a < end; a++) {
			if ((a[0] == ' ' && tolower((unsigned char)a[1]) == 'o' &&
			     tolower((unsigned char)a[2]) == 'n') ||
			    strncmp(a, "src=", 4) == 0 || strncmp(a, "javascript:", 11) == 0) {
				printf("#   unexpected attribute in: %.*s\n", (int)(end - p + 1), p);
				return 0;
			}
		}
	}
	return 1;
}

/* set_all_strings - replace every string in j (recursively) by s, except
 * "format"-like non-strings; keeps the shape of the report. */
static void set_all_strings(json_t *j, const char *s)
{
	const char *key;
	json_t *v;
	size_t i;
	if (json_is_object(j)) {
		json_object_foreach(j, key, v) {
			if (json_is_string(v))
				json_object_set_new(j, key, json_string(s));
			else
				set_all_strings(v, s);
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v) {
			if (json_is_string(v))
				json_array_set_new(j, i, json_string(s));
			else
				set_all_strings(v, s);
		}
	}
}

TEST(text_has_the_facts_of_the_sample)
{
	json_t *rep = fixture_report();
	strbuf_t out = STRBUF_INIT;
	CHECK(rep != NULL);
	CHECK_INT(report_render_text(rep, &out), 0);
	const char *t = out.data ? out.data : "";
	CHECK(strstr(t, "mxray report for sender.test\n") != NULL);
	CHECK(strstr(t, "Expires:       2026-11-25T08:00:03Z") != NULL);
	CHECK(strstr(t, "127.77.2.1 (HELO client.sender.test)") != NULL);
	CHECK(strstr(t, "TLS:         TLSv1.3, TLS_AES_256_GCM_SHA384 (256 bits)") != NULL);
	CHECK(strstr(t, "SPF:         pass for sender.test") != NULL);
	CHECK(strstr(t, "d=sender.test s=s1 rsa-sha256: pass") != NULL);
	CHECK(strstr(t, "MX lookup:   ok, DNSSEC secure") != NULL);
	CHECK(strstr(t, "MX mx1.sender.test (preference 10)") != NULL);
	CHECK(strstr(t, "MX mx2.sender.test (preference 20)") != NULL);
	CHECK(strstr(t, "Greeting:    220 mx1.sender.test ESMTP") != NULL);
	CHECK(strstr(t, "TLS:         TLSv1.2, ECDHE-RSA-AES128-GCM-SHA256") != NULL);
	CHECK(strstr(t, "Certificate: NOT verified: self-signed certificate") != NULL);
	CHECK(strstr(t, "Certificate: verified") != NULL);
	CHECK(strstr(t, "fd00::2: not_tested (fd00::2 is a unique local address") != NULL);
	/* The receiving part comes after the sending part. */
	CHECK(strstr(t, "How your server sent to us") < strstr(t, "How your domain receives"));
	json_decref(rep);
	strbuf_free(&out);
}

TEST(text_of_a_plaintext_mail_and_a_domain_check)
{
	json_t *rep = fixture_report();
	strbuf_t out = STRBUF_INIT;
	json_object_set_new(json_object_get(rep, "message"), "tls", json_null());
	CHECK_INT(report_render_text(rep, &out), 0);
	CHECK(strstr(out.data, "TLS:         none, the message came in plaintext") != NULL);
	strbuf_reset(&out);
	json_object_del(rep, "message");
	CHECK_INT(report_render_text(rep, &out), 0);
	CHECK(strstr(out.data, "domain check only") != NULL);
	CHECK(strstr(out.data, "mx1.sender.test") != NULL);
	json_decref(rep);
	strbuf_free(&out);
}

TEST(text_drops_control_characters)
{
	json_t *rep = fixture_report();
	strbuf_t out = STRBUF_INIT;
	json_object_set_new(rep, "domain", json_string("evil\x1b[31m.test\r\nX"));
	CHECK_INT(report_render_text(rep, &out), 0);
	CHECK(strchr(out.data, '\x1b') == NULL);
	CHECK(strchr(out.data, '\r') == NULL);
	CHECK(strstr(out.data, "mxray report for evil?[31m.test??X\n") != NULL);
	json_decref(rep);
	strbuf_free(&out);
}

TEST(html_has_the_facts_of_the_sample)
{
	json_t *rep = fixture_report();
	strbuf_t out = STRBUF_INIT;
	CHECK_INT(report_render_html(rep, &out), 0);
	const char *h = out.data ? out.data : "";
	CHECK(strncmp(h, "<!DOCTYPE html>", 15) == 0);
	CHECK(strstr(h, "<meta name=\"viewport\"") != NULL);
	CHECK(strstr(h, "<title>mxray report for sender.test</title>") != NULL);
	CHECK(strstr(h, "This report expires 2026-11-25T08:00:03Z") != NULL);
	CHECK(strstr(h, "How your server sent to us") != NULL);
	CHECK(strstr(h, "How your domain receives") != NULL);
	CHECK(strstr(h, "<summary>mx1.sender.test") != NULL);
	CHECK(strstr(h, "<summary>mx2.sender.test") != NULL);
	CHECK(strstr(h, "S: 220 2.0.0 Ready to start TLS") != NULL);
	CHECK(strstr(h, "C: EHLO probe.mxray.test") != NULL);
	CHECK(strstr(h, "<li><code>SIZE 10240000</code></li>") != NULL);
	CHECK(strstr(h, "CN=mxray test CA") != NULL);
	CHECK(strstr(h, "self-signed certificate") != NULL);
	CHECK(strstr(h, "<a href=\"" SAMPLE_TOKEN ".json\">") != NULL);
	/* Self-contained: no script, no external resource. */
	CHECK(strstr(h, "<script") == NULL);
	CHECK(strstr(h, "http://") == NULL && strstr(h, "https://") == NULL);
	CHECK(html_structure_ok(h));
	json_decref(rep);
	strbuf_free(&out);
}

TEST(page_leads_with_grade_and_fixes_explained_by_the_catalogue)
{
	json_t *rep = fixture_report();
	strbuf_t out = STRBUF_INIT;
	CHECK_INT(report_render_html(rep, &out), 0);
	const char *h = out.data ? out.data : "";
	const char *badge = strstr(h, "<div class=\"badge g-A\" title=\"overall grade\">A</div>");
	const char *fixes = strstr(h, "<h2>Fix these first</h2>");
	const char *sending = strstr(h, "How your server sent to us");
	CHECK(badge != NULL);
	CHECK(fixes != NULL);
	/* The grade and the fixes come before the facts. */
	CHECK(badge && fixes && sending && badge < fixes && fixes < sending);
	/* Title and fix text are the catalogue's, not the stored report's. */
	CHECK(strstr(h, "<b>Certificate not trusted</b>") != NULL);
	CHECK(strstr(h, "Use a certificate from a public CA (e.g. Let&#39;s Encrypt)") != NULL);
	/* Every finding is listed with why it matters and its standard. */
	CHECK(strstr(h, "<h2>Every finding</h2>") != NULL);
	CHECK(strstr(h, "<th>Standard</th><td>RFC 7672 section 1.3; RFC 8461 section 4.2</td>") != NULL);
	CHECK(strstr(h, "<th>Evidence</th><td>self-signed certificate</td>") != NULL);
	CHECK(strstr(h, "STARTTLS offered") != NULL);
	json_decref(rep);
	strbuf_free(&out);

	rep = fixture_report();
	CHECK_INT(report_render_text(rep, &out), 0);
	CHECK(out.data && strstr(out.data, "Grade:         A  (sending A, receiving A, policy A)") != NULL);
	CHECK(out.data && strstr(out.data, "Fix these first:\n  1. [notice] Certificate not trusted") != NULL);
	json_decref(rep);
	strbuf_free(&out);
}

TEST(html_renders_hostile_strings_inert)
{
	static const char *payloads[] = { XSS_SCRIPT, XSS_IMG, XSS_AMP, XSS_QUOTE };
	static const char *escaped[] = {
		"&lt;script&gt;alert(1)&lt;/script&gt;",
		"&quot;&gt;&lt;img src=x onerror=alert(2)&gt;",
		"&amp;amp;",
		"&#39; onmouseover=&#39;alert(3)",
	};
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		json_t *rep = fixture_report();
		strbuf_t out = STRBUF_INIT;
		set_all_strings(rep, payloads[i]);
		CHECK_INT(report_render_html(rep, &out), 0);
		const char *h = out.data ? out.data : "";
		CHECK(strstr(h, "<script") == NULL);
		CHECK(strstr(h, "<img") == NULL);
		CHECK(strstr(h, escaped[i]) != NULL);
		CHECK(html_structure_ok(h));
		/* A hostile token gives no JSON link at all. */
		CHECK(strstr(h, ".json\"") == NULL);
		json_decref(rep);
		strbuf_free(&out);
	}
}

TEST(html_escapes_the_domain_in_the_title)
{
	json_t *rep = fixture_report();
	strbuf_t out = STRBUF_INIT;
	json_object_set_new(rep, "domain", json_string("</title><script>x</script>"));
	CHECK_INT(report_render_html(rep, &out), 0);
	CHECK(strstr(out.data, "<title>mxray report for &lt;/title&gt;&lt;script&gt;x&lt;/script"
			       "&gt;</title>") != NULL);
	CHECK(html_structure_ok(out.data));
	json_decref(rep);
	strbuf_free(&out);
}

static const char *odd_reports[] = {
	"{\"format\": 1}",
	"{\"format\": 1, \"domain\": 42, \"created\": null, \"expires\": [], \"token\": 7,"
	" \"message\": \"not an object\", \"dns\": [], \"mx\": {\"a\": 1}}",
	"{\"format\": 1, \"message\": {\"client\": 5, \"tls\": \"TLSv1.3\", \"spf\": [],"
	" \"dkim\": {\"domain\": \"x\"}, \"received\": [null, 3, {\"raw\": false}],"
	" \"mail_from\": null},"
	" \"dns\": {\"mx\": {\"outcome\": 1, \"dnssec\": {}, \"implicit\": \"yes\"}},"
	" \"mx\": [null, 5, \"x\", [], {\"host\": null, \"preference\": \"10\","
	" \"addresses\": \"none\"}, {\"host\": \"h\", \"addresses\": [null, 1, {\"ip\": 4,"
	" \"state\": [], \"connect_ms\": \"1\", \"tls\": [], \"ehlo\": [1, null, {}],"
	" \"transcript\": [null, 1, {\"dir\": 5, \"line\": []}, {\"dir\": \"C\"}]},"
	" {\"ip\": \"1.2.3.4\", \"tls\": {\"verified\": \"true\", \"chain\": [null, 7,"
	" {\"sans\": \"x\", \"days_left\": \"3\"}]}}]}]}",
};

TEST(odd_fields_never_crash_and_show_as_absent)
{
	for (size_t i = 0; i < sizeof(odd_reports) / sizeof(odd_reports[0]); i++) {
		json_error_t jerr;
		json_t *rep = json_loads(odd_reports[i], 0, &jerr);
		strbuf_t text = STRBUF_INIT, html = STRBUF_INIT;
		CHECK(rep != NULL);
		CHECK_INT(report_render_text(rep, &text), 0);
		CHECK_INT(report_render_html(rep, &html), 0);
		CHECK(text.data && strstr(text.data, "(null)") == NULL);
		CHECK(html.data && strstr(html.data, "(null)") == NULL);
		CHECK(html.data && html_structure_ok(html.data));
		CHECK(html.data && strstr(html.data, "</html>") != NULL);
		json_decref(rep);
		strbuf_free(&text);
		strbuf_free(&html);
	}
}

/* The address facts of the EHLO extensions, the chain completeness and the
 * DANE applicability: explained, hostile values escaped, odd types absent. */
TEST(extensions_chain_and_dane_applicability_render_inert)
{
	static const char *rep_text =
		"{\"format\": 1, \"domain\": \"example.org\", \"mx\": [{\"host\": \"mx.example.org\","
		" \"dane\": {\"outcome\": \"secure\", \"tlsa_name\": \"_25._tcp.mx.example.org\","
		" \"senders_look_up\": false, \"not_applied_because\": \"<script>x</script>\"},"
		" \"addresses\": [{\"ip\": \"192.0.2.1\", \"state\": \"not_tested\","
		" \"mxray_limit\": \"connection slots\", \"reason\": \"busy <b>\","
		" \"dane\": {\"state\": \"not_applicable\", \"if_applied\": {\"state\": \"valid\","
		" \"if_applied\": {\"state\": \"nested\"}}},"
		" \"tls\": {\"version\": \"TLSv1.3\", \"chain_complete\": false,"
		" \"chain_missing_issuer\": \"CN=<img src=x>\"},"
		" \"extensions\": {\"from\": \"ehlo_after_tls\", \"size_limit\": 52428800,"
		" \"pipelining\": true, \"smtputf8\": false, \"8bitmime\": \"yes\","
		" \"keywords\": [{\"keyword\": \"SIZE\", \"params\": \"52428800\"},"
		" {\"keyword\": \"PIPELINING\"}, {\"keyword\": \"X-<script>\", \"params\": \"\\\"><img src=x>\"},"
		" null, 5, {\"keyword\": 7}],"
		" \"problems\": [\"line 3: not an EHLO keyword: \\\"<script>\\\"\"]}}]}]}";
	json_error_t jerr;
	json_t *rep = json_loads(rep_text, 0, &jerr);
	CHECK(rep != NULL);
	if (rep == NULL) {
		printf("#   %s\n", jerr.text);
		return;
	}
	strbuf_t out = STRBUF_INIT;
	CHECK_INT(report_render_html(rep, &out), 0);
	const char *h = out.data ? out.data : "";
	CHECK(html_structure_ok(h));
	CHECK(strstr(h, "<script") == NULL && strstr(h, "<img") == NULL);
	CHECK(strstr(h, "messages up to 52428800 bytes (52.4 MB) are accepted") != NULL);
	CHECK(strstr(h, "commands can be sent in batches") != NULL);
	CHECK(strstr(h, "mail from or to non-ASCII addresses is refused") != NULL);
	CHECK(strstr(h, "8-bit messages must be converted") == NULL);	/* "yes": no fact either way */
	CHECK(strstr(h, "<code>X-&lt;script&gt;</code>") != NULL);
	CHECK(strstr(h, "the server did not send the certificate of <code>CN=&lt;img src=x&gt;</code>") != NULL);
	CHECK(strstr(h, "Not used by any sender: &lt;script&gt;x&lt;/script&gt;") != NULL);
	CHECK(strstr(h, "once senders use the records: <span class=\"ok\">valid</span>") != NULL);
	CHECK(strstr(h, "nested") == NULL);	/* one level of if_applied only */
	CHECK(strstr(h, "<th>Not tested: mxray's own limit</th><td class=\"warn\">busy &lt;b&gt;") != NULL);
	CHECK(strstr(h, "not tested (no verdict)</span>") != NULL);
	json_decref(rep);
	strbuf_free(&out);
}

TEST(not_a_format_1_report_is_refused)
{
	static const char *bad[] = {
		"{\"format\": 2, \"domain\": \"x\"}", "{\"format\": \"1\"}", "{\"domain\": \"x\"}",
		"[1]", "\"format\"", "null", "1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *rep = json_loads(bad[i], JSON_DECODE_ANY, NULL);
		strbuf_t out = STRBUF_INIT;
		CHECK_INT(report_render_text(rep, &out), -1);
		CHECK_INT(report_render_html(rep, &out), -1);
		CHECK_INT(out.len, 0);
		json_decref(rep);
		strbuf_free(&out);
	}
	strbuf_t out = STRBUF_INIT;
	CHECK_INT(report_render_text(NULL, &out), -1);
	CHECK_INT(report_render_html(NULL, &out), -1);
	strbuf_free(&out);
}

/* Facts added by checks the renderer does not know yet still show, escaped,
 * at every level they can appear, with hostile keys as well as values. */
TEST(unknown_facts_show_generically_and_escaped)
{
	json_t *rep = fixture_report();
	json_t *addr = json_array_get(json_object_get(json_array_get(json_object_get(rep, "mx"), 0),
						      "addresses"), 0);
	json_t *dns = json_object_get(rep, "dns");
	CHECK(addr != NULL && dns != NULL);
	json_object_set_new(addr, "future_scan", json_pack("{s[ss] si sb s{ss}}", "suites",
		"TLS_AES_128_GCM_SHA256", XSS_SCRIPT, "count", 17, "weak", 1, "nested",
		"deep_key", "deep value 42"));
	json_object_set_new(json_object_get(rep, "message"), XSS_IMG, json_string("odd key"));
	json_object_set_new(dns, "bimi", json_pack("{ss ss s[s]}", "mode", "enforce",
		"id", "20240101", "mx", "*.sender.test"));
	json_object_set_new(rep, "future_top", json_pack("{sn sf}", "nothing", "ratio", 0.5));
	strbuf_t out = STRBUF_INIT;
	CHECK_INT(report_render_html(rep, &out), 0);
	const char *h = out.data ? out.data : "";
	CHECK(strstr(h, "<code>future_scan</code>") != NULL);
	CHECK(strstr(h, "TLS_AES_128_GCM_SHA256") != NULL);
	CHECK(strstr(h, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL);
	CHECK(strstr(h, "<code>count</code></th><td>17") != NULL);
	CHECK(strstr(h, "<code>weak</code></th><td>yes") != NULL);
	CHECK(strstr(h, "deep value 42") != NULL);
	CHECK(strstr(h, "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;") != NULL);
	CHECK(strstr(h, "odd key") != NULL);
	CHECK(strstr(h, "<section id=\"policy\">") != NULL);
	CHECK(strstr(h, "<code>bimi</code>") != NULL);
	CHECK(strstr(h, "*.sender.test") != NULL);
	CHECK(strstr(h, "<code>future_top</code>") != NULL);
	CHECK(strstr(h, "<code>ratio</code></th><td>0.5") != NULL);
	CHECK(strstr(h, "<script") == NULL && strstr(h, "<img") == NULL);
	CHECK(html_structure_ok(h));
	/* Known keys are laid out once, not repeated as generic rows. */
	CHECK(strstr(h, "<code>greeting</code>") == NULL);
	CHECK(strstr(h, "<code>transcript</code>") == NULL);
	json_decref(rep);
	strbuf_free(&out);
}

/* The TLS scan is laid out as a cipher table per protocol, in the order
 * recorded, each suite rated by its name; a hostile name stays text. */
TEST(tls_scan_is_a_cipher_table_per_protocol)
{
	json_t *rep = fixture_report();
	json_t *addr = json_array_get(json_object_get(json_array_get(json_object_get(rep, "mx"), 0),
						      "addresses"), 0);
	CHECK(addr != NULL);
	json_object_set_new(addr, "tls_scan", json_pack(
		"{s{sbsbsbsbsbsb} s{s[{ssss}{ssss}{ssss}{ssss}] s[{ssss}]} sb s[ss] si ss sb sb si si sb s[]}",
		"protocols", "SSLv2", 0, "SSLv3", 1, "TLSv1.0", 0, "TLSv1.1", 0, "TLSv1.2", 1,
		"TLSv1.3", 1,
		"suites", "TLSv1.2",
		"code", "0xC02F", "name", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
		"code", "0x009C", "name", "TLS_RSA_WITH_AES_128_GCM_SHA256",
		"code", "0x0005", "name", "TLS_RSA_WITH_RC4_128_SHA",
		"code", XSS_QUOTE, "name", XSS_SCRIPT,
		"TLSv1.3", "code", "0x1301", "name", "TLS_AES_128_GCM_SHA256",
		"server_order", 1, "groups", "x25519", "secp256r1", "dh_bits", 1024,
		"forward_secrecy", "some", "secure_renegotiation", 1, "compression", 0,
		"handshakes", 23, "duration_ms", 140, "complete", 1, "errors"));
	strbuf_t out = STRBUF_INIT;
	CHECK_INT(report_render_html(rep, &out), 0);
	const char *h = out.data ? out.data : "";
	CHECK(strstr(h, "TLS scan: protocols and cipher suites") != NULL);
	CHECK(strstr(h, "<span class=\"bad\">SSLv3 yes</span>") != NULL);
	CHECK(strstr(h, "<span class=\"ok\">TLSv1.3 yes</span>") != NULL);
	CHECK(strstr(h, "TLSv1.2: 4 suites") != NULL && strstr(h, "TLSv1.3: 1 suites") != NULL);
	CHECK(strstr(h, "the server's") != NULL);
	CHECK(strstr(h, "1024 bits") != NULL);
	CHECK(strstr(h, "23 in 140 ms") != NULL);
	/* Rated from the IANA name: ECDHE has FS, static RSA not, RC4 is weak;
	 * the server's order is kept (ECDHE first, RC4 third). */
	const char *ecdhe = strstr(h, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256</code></td><td class=\"ok\">forward secrecy");
	const char *rsa = strstr(h, "TLS_RSA_WITH_AES_128_GCM_SHA256</code></td><td class=\"warn\">no forward secrecy");
	const char *rc4 = strstr(h, "TLS_RSA_WITH_RC4_128_SHA</code></td><td class=\"bad\">RC4");
	CHECK(ecdhe != NULL && rsa != NULL && rc4 != NULL && ecdhe < rsa && rsa < rc4);
	CHECK(strstr(h, "TLS_AES_128_GCM_SHA256</code></td><td class=\"ok\">forward secrecy") != NULL);
	CHECK(strstr(h, "&lt;script&gt;alert(1)&lt;/script&gt;</code></td><td class=\"muted\">unknown suite") != NULL);
	CHECK(strstr(h, "<script") == NULL);
	CHECK(html_structure_ok(h));
	/* Laid out, so not repeated as a generic table. */
	CHECK(strstr(h, "<code>tls_scan</code>") == NULL);
	json_decref(rep);
	strbuf_free(&out);
}

/* A hostile record cannot blow the page up: nesting and size are bounded. */
TEST(generic_facts_are_bounded)
{
	json_t *rep = fixture_report();
	json_t *deep = json_string("deepest_marker");
	for (int i = 0; i < 100; i++)
		deep = json_pack("{so}", "d", deep);
	json_t *wide = json_array();
	for (int i = 0; i < 5000; i++)
		json_array_append_new(wide, json_integer(i));
	json_object_set_new(rep, "deep", deep);
	json_object_set_new(rep, "wide", wide);
	strbuf_t out = STRBUF_INIT;
	CHECK_INT(report_render_html(rep, &out), 0);
	CHECK(strstr(out.data, "deepest_marker") == NULL);
	CHECK(strstr(out.data, "nested too deep to show") != NULL);
	CHECK(strstr(out.data, "4800 more not shown") != NULL);
	CHECK(out.len < 400000);
	json_decref(rep);
	strbuf_free(&out);
}

/* has - CHECK that the page contains want, printing it when it does not. */
#define HAS(page, want) do { \
	if (strstr((page), (want)) == NULL) \
		printf("#   missing: %s\n", (want)); \
	CHECK(strstr((page), (want)) != NULL); \
} while (0)

/* The DNS evidence an admin fixes records from: each TLSA record field by
 * field, which one matched for each key type, CAA, MTA-STS (the policy as
 * served, line by line), TLS-RPT, DMARC report destinations. */
TEST(html_lays_out_dns_evidence)
{
	json_t *rep = fixture_full_report();
	strbuf_t out = STRBUF_INIT;
	CHECK_INT(report_render_html(rep, &out), 0);
	const char *h = out.data ? out.data : "";
	HAS(h, "<code>_25._tcp.mxdual2.probe.test</code>; 2 usable records");
	HAS(h, "<td>2</td><td>3 DANE-EE</td><td>1 public key</td><td>1 SHA-256</td><td><code>"
	       "7bc0a77f465d90ab3bfd3c39ec1f27f0158bda92f8bb60e20576811bd2abd690</code></td>"
	       "<td><span class=\"ok\">yes</span></td>");
	HAS(h, "ECDSA certificate: <span class=\"ok\">valid</span>: TLSA record 2 matched the "
	       "server's own certificate");
	HAS(h, "RSA certificate: <span class=\"ok\">valid</span>: TLSA record 1 matched");
	HAS(h, "May issue: <code>ca.sandbox.test</code>");
	HAS(h, "<code>0 iodef &quot;mailto:security@probe.test&quot;</code>");
	HAS(h, "named by the policy's <code>*.probe.test</code>");
	HAS(h, "<th>Reverse DNS</th><td class=\"warn\">no PTR record (nxdomain)");
	HAS(h, "<th>Mode</th><td class=\"ok\">enforce</td>");
	HAS(h, "<th>DNS lookups</th><td>0 of at most 10; 0 void (at most 2)</td>");
	HAS(h, "<th>An unlisted sender</th><td class=\"ok\">gets fail, by <code>-all</code>");
	HAS(h, "604800 s (7 days)");
	HAS(h, "<pre>version: STSv1\nmode: enforce\nmx: mx1.sender.test\nmax_age: 604800\n</pre>");
	HAS(h, "from 127.77.4.80: HTTP 200");
	HAS(h, "<th>Reports to</th><td><ul><li><code>mailto:tlsrpt@sender.test</code>");
	HAS(h, "no: it publishes no authorization record</span> <span class=\"muted\">("
	       "sender.test._report._dmarc.reports.example.net)");
	HAS(h, "<td><code>mailto:dmarc@sender.test</code></td><td><span class=\"ok\">own domain");
	/* laid out, so not repeated as generic key/value rows */
	CHECK(strstr(h, ">usable_records<") == NULL);
	CHECK(strstr(h, ">policy_text<") == NULL);
	CHECK(strstr(h, ">by_key_type<") == NULL);
	CHECK(strstr(h, ">report_destinations<") == NULL);
	CHECK(html_structure_ok(h));
	json_decref(rep);
	strbuf_free(&out);
}

/* What the message said: DMARC evaluated, HELO and blocklist checks, header
 * basics, hops with their TLS and delays, and upstream results as
 * information. */
TEST(html_lays_out_message_evidence)
{
	json_t *rep = fixture_full_report();
	strbuf_t out = STRBUF_INIT;
	CHECK_INT(report_render_html(rep, &out), 0);
	const char *h = out.data ? out.data : "";
	HAS(h, "<th>Result</th><td class=\"ok\">pass</td>");
	HAS(h, "<br>decided by <code>ip4:192.0.2.0/24</code>");
	HAS(h, "<th>SPF of the HELO</th><td class=\"warn\">none <span class=\"muted\">for "
	       "mx1.sender.test (information: RFC 7208 2.3)</span>");
	HAS(h, "<th>DKIM aligned</th><td><span class=\"bad\">no</span>");
	HAS(h, "<th>HELO is the client</th><td><span class=\"ok\">yes</span>");
	HAS(h, "<code>bl.analysis.test</code>: not listed");
	HAS(h, "one-click unsubscribe offered (RFC 8058)");
	HAS(h, "<th>Reply</th><td>none sent: List-Id present (mailing-list mail)");
	HAS(h, "<th>Signed fields (h=)</th><td><code>from</code>, <code>to</code>");
	HAS(h, "rsa, 2048 bits, record DNSSEC <span class=\"ok\">secure</span><br>the key record "
	       "is a CNAME to <code>s1._domainkey.provider.test</code>");
	HAS(h, "<tr><td>mail.sender.test [192.0.2.25]</td><td>mx.lists.example.org</td><td>ESMTPS"
	       "</td><td class=\"ok\">yes, TLSv1.3</td><td>2026-11-22T10:00:12Z</td><td>12 s</td></tr>");
	HAS(h, "<tr><td>[10.0.0.5]</td><td>mail.sender.test</td>");
	HAS(h, "dkim=<span class=\"ok\">pass</span>, spf=<span class=\"ok\">pass</span>, "
	       "dmarc=<span class=\"ok\">pass</span>");
	HAS(h, "<td>i=1</td><td>ARC-Message-Signature</td><td>d=lists.example.org s=arc1</td>");
	HAS(h, "<td>ARC-Seal</td><td>d=lists.example.org cv=none</td>");
	CHECK(strstr(h, ">authentication_results<") == NULL);
	CHECK(strstr(h, ">one_click_unsubscribe<") == NULL);
	CHECK(html_structure_ok(h));
	json_decref(rep);
	strbuf_free(&out);
}

/* set_all_leaves - every string, number, boolean and null in j becomes a
 * copy of v: each field of the report mistyped at once. */
static void set_all_leaves(json_t *j, const json_t *v)
{
	const char *key;
	json_t *x;
	size_t i;
	if (json_is_object(j)) {
		json_object_foreach(j, key, x) {
			if (json_is_object(x) || json_is_array(x))
				set_all_leaves(x, v);
			else if (strcmp(key, "format") != 0)
				json_object_set_new(j, key, json_deep_copy(v));
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, x) {
			if (json_is_object(x) || json_is_array(x))
				set_all_leaves(x, v);
			else
				json_array_set_new(j, i, json_deep_copy(v));
		}
	}
}

TEST(full_report_hostile_or_mistyped_stays_inert)
{
	static const char *payloads[] = { XSS_SCRIPT, XSS_IMG, XSS_QUOTE };
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		json_t *rep = fixture_full_report();
		strbuf_t out = STRBUF_INIT;
		set_all_strings(rep, payloads[i]);
		CHECK_INT(report_render_html(rep, &out), 0);
		const char *h = out.data ? out.data : "";
		CHECK(strstr(h, "<script") == NULL && strstr(h, "<img") == NULL);
		CHECK(html_structure_ok(h));
		json_decref(rep);
		strbuf_free(&out);
	}
	json_t *kinds[] = { json_integer(-7), json_string("x"), json_array(), json_object(),
			    json_null(), json_true() };
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		json_t *rep = fixture_full_report();
		strbuf_t out = STRBUF_INIT;
		set_all_leaves(rep, kinds[i]);
		CHECK_INT(report_render_html(rep, &out), 0);
		CHECK(out.data && strstr(out.data, "(null)") == NULL);
		CHECK(out.data && strstr(out.data, "</html>") != NULL);
		CHECK(out.data && html_structure_ok(out.data));
		json_decref(rep);
		json_decref(kinds[i]);
		strbuf_free(&out);
	}
}

/* The text (reply mail, mxray check) names DMARC, DANE and the policies in
 * a line each. */
TEST(text_has_dmarc_dane_and_policies)
{
	json_t *rep = fixture_full_report();
	strbuf_t out = STRBUF_INIT;
	CHECK_INT(report_render_text(rep, &out), 0);
	const char *t = out.data ? out.data : "";
	HAS(t, "  DMARC:       pass for sender.test (aligned: SPF)\n");
	HAS(t, "    TLSA:        secure, 2 usable records at _25._tcp.mxdual2.probe.test\n");
	HAS(t, "      DANE:        valid\n");
	/* a host without TLSA records gets no TLSA line */
	json_object_set_new(json_object_get(json_array_get(json_object_get(rep, "mx"), 0), "dane"),
			    "outcome", json_string("none"));
	strbuf_t none = STRBUF_INIT;
	CHECK_INT(report_render_text(rep, &none), 0);
	CHECK(none.data && strstr(none.data, "TLSA:") == NULL);
	strbuf_free(&none);
	HAS(t, "Your domain's policies\n  SPF:         found, unlisted senders get fail\n"
	       "  DMARC:       found, p=reject\n"
	       "  MTA-STS:     ok, mode enforce\n  TLS-RPT:     valid\n");
	json_decref(rep);
	strbuf_free(&out);
}

int main(void)
{
	RUN(text_has_the_facts_of_the_sample);
	RUN(text_of_a_plaintext_mail_and_a_domain_check);
	RUN(text_drops_control_characters);
	RUN(html_has_the_facts_of_the_sample);
	RUN(page_leads_with_grade_and_fixes_explained_by_the_catalogue);
	RUN(html_renders_hostile_strings_inert);
	RUN(html_escapes_the_domain_in_the_title);
	RUN(odd_fields_never_crash_and_show_as_absent);
	RUN(extensions_chain_and_dane_applicability_render_inert);
	RUN(not_a_format_1_report_is_refused);
	RUN(unknown_facts_show_generically_and_escaped);
	RUN(tls_scan_is_a_cipher_table_per_protocol);
	RUN(generic_facts_are_bounded);
	RUN(html_lays_out_dns_evidence);
	RUN(html_lays_out_message_evidence);
	RUN(full_report_hostile_or_mistyped_stays_inert);
	RUN(text_has_dmarc_dane_and_policies);
	return harness_done();
}
