/*
 * tls_scan_result.c - the facts of one address's TLS scan as the report's
 * "tls_scan" object (docs/report-format.md) and the weaknesses that follow
 * from them as findings (lib/mail/findings/scan.def).
 *
 * Trusts the facts as the engine recorded them: every suite code in them
 * was one we offered and the server chose, so names come from our own
 * table; a code the table lacks is reported as "unknown".
 */
#include <stdio.h>
#include <string.h>

#include "mail/finding.h"
#include "probe/tls_scan_facts.h"
#include "probe/tls_suites.h"

static json_t *suite_json(uint32_t code)
{
	const tls_suite_t *t = tls_suite_find(code);
	char hex[16];
	json_t *o = json_object();
	snprintf(hex, sizeof(hex), code > 0xffff ? "0x%06X" : "0x%04X", (unsigned)code);
	json_object_set_new(o, "code", json_string(hex));
	json_object_set_new(o, "name", json_string(t ? t->iana : "unknown"));
	return o;
}

/* add_findings - the weaknesses that follow from what was found. */
static void add_findings(json_t *o, const tls_scan_facts_t *f, const char *subject, int fs_all,
			 int fs_some)
{
	int rc4 = 0, b64 = 0, exp = 0, null = 0, anon = 0, cbc10 = 0;
	char ex_rc4[96] = "", ex_b64[96] = "", ex_exp[96] = "", ex_null[96] = "", ex_anon[96] = "";

	for (int k = 0; k < TLS_SCAN_NPROTO; k++) {
		const tls_scan_proto_t *pr = &f->proto[k];
		for (size_t i = 0; i < pr->nsuites; i++) {
			const tls_suite_t *t = tls_suite_find(pr->suites[i]);
			if (!t)
				continue;
#define NOTE(flag, buf) do { if (!(flag)++) snprintf(buf, sizeof(buf), "%s", t->iana); } while (0)
			if (tls_suite_rc4(t))
				NOTE(rc4, ex_rc4);
			if (tls_suite_64bit_block(t))
				NOTE(b64, ex_b64);
			if (t->export_grade)
				NOTE(exp, ex_exp);
			if (tls_suite_null(t))
				NOTE(null, ex_null);
			if (tls_suite_anonymous(t))
				NOTE(anon, ex_anon);
#undef NOTE
			if (pr->version == CH_TLS10 && tls_suite_cbc(t))
				cbc10++;
		}
	}
	if (f->proto[0].supported)
		finding_add(o, "scan.protocol.sslv2", subject, "SSLv2 accepted");
	if (f->proto[1].supported)
		finding_add(o, "scan.protocol.sslv3", subject, "SSLv3 accepted");
	if (f->proto[2].supported || f->proto[3].supported)
		finding_add(o, "scan.protocol.tls10_11", subject, "accepted:%s%s",
			    f->proto[2].supported ? " TLSv1.0" : "", f->proto[3].supported ? " TLSv1.1" : "");
	if (exp)
		finding_add(o, "scan.cipher.export", subject, "%d suites, e.g. %s", exp, ex_exp);
	if (null)
		finding_add(o, "scan.cipher.null", subject, "%d suites, e.g. %s", null, ex_null);
	if (rc4)
		finding_add(o, "scan.cipher.rc4", subject, "%d suites, e.g. %s", rc4, ex_rc4);
	if (b64)
		finding_add(o, "scan.cipher.sweet32", subject, "%d suites, e.g. %s", b64, ex_b64);
	if (anon)
		finding_add(o, "scan.cipher.anonymous", subject, "%d suites, e.g. %s", anon, ex_anon);
	if (cbc10)
		finding_add(o, "scan.cbc.tls10", subject, "%d CBC suites with TLSv1.0", cbc10);
	if (!fs_some)
		finding_add(o, "scan.fs.none", subject, "no suite with ephemeral key exchange");
	else if (!fs_all)
		finding_add(o, "scan.fs.partial", subject, "some suites without forward secrecy");
	/* Logjam: one precomputation per prime breaks all 1024-bit
	 * exchanges with it, so a published prime is worse than an own one. */
	if (f->dh_bits > 0 && f->dh_bits <= 1024 && f->dh_prime != NULL)
		finding_add(o, "scan.dh.common", subject, "%s", f->dh_prime);
	else if (f->dh_bits > 0 && f->dh_bits < 2048)
		finding_add(o, "scan.dh.weak", subject, "DHE prime of %d bits", f->dh_bits);
}

static json_t *tri(int v)
{
	return v < 0 ? json_null() : json_boolean(v);
}

json_t *tls_scan_result(const tls_scan_facts_t *f, const char *subject)
{
	json_t *o = json_object();
	json_t *protos = json_object(), *suites = json_object(), *orders = json_object();
	int fs_all = 1, fs_some = 0, server_order = -1, any = 0;
	const ch_reply_t *ext = NULL;

	for (int k = 0; k < TLS_SCAN_NPROTO; k++) {
		const tls_scan_proto_t *pr = &f->proto[k];
		const char *name = ch_version_name(pr->version);
		json_object_set_new(protos, name, json_boolean(pr->supported));
		if (!pr->supported)
			continue;
		any = 1;
		json_t *arr = json_array();
		for (size_t i = 0; i < pr->nsuites; i++) {
			const tls_suite_t *t = tls_suite_find(pr->suites[i]);
			json_array_append_new(arr, suite_json(pr->suites[i]));
			if (t && tls_suite_forward_secret(t))
				fs_some = 1;
			else
				fs_all = 0;
		}
		json_object_set_new(suites, name, arr);
		json_object_set_new(orders, name, tri(pr->server_order));
		if (pr->server_order >= 0)
			server_order = server_order == 0 ? 0 : pr->server_order;
		if (pr->have_first && pr->version <= CH_TLS12 && pr->version >= CH_SSL3)
			ext = &pr->first;	/* the best pre-1.3 protocol's hello */
	}
	json_object_set_new(o, "protocols", protos);
	json_object_set_new(o, "suites", suites);
	json_object_set_new(o, "server_order", tri(server_order));
	json_object_set_new(o, "server_order_by_protocol", orders);
	json_t *groups = json_array();
	for (size_t i = 0; i < f->ngroups; i++) {
		const char *gname = ch_group_name(f->groups[i]);
		char hex[8];
		snprintf(hex, sizeof(hex), "0x%04X", (unsigned)f->groups[i]);
		json_array_append_new(groups, json_string(gname ? gname : hex));
	}
	json_object_set_new(o, "groups", groups);
	json_object_set_new(o, "dh_bits", f->dh_bits ? json_integer(f->dh_bits) : json_null());
	/* the published prime's name, "own" for the server's own, null: no DHE */
	json_object_set_new(o, "dh_prime", !f->dh_bits ? json_null() :
			    json_string(f->dh_prime ? f->dh_prime : "own"));
	json_object_set_new(o, "forward_secrecy", json_string(!fs_some ? "none" : fs_all ? "all" :
								   "some"));
	json_object_set_new(o, "secure_renegotiation", ext ? json_boolean(ext->reneg_info) :
			    json_null());
	json_object_set_new(o, "extended_master_secret", ext ? json_boolean(ext->ems) : json_null());
	json_object_set_new(o, "fallback_scsv", tri(f->fallback_scsv));
	if (f->fallback_scsv == 0)
		finding_add(o, "scan.fallback_scsv.missing", subject, NULL);
	json_object_set_new(o, "session_ticket", ext ? json_boolean(ext->ticket) : json_null());
	json_object_set_new(o, "heartbeat", ext ? json_boolean(ext->heartbeat) : json_null());
	json_object_set_new(o, "heartbleed", tri(f->heartbleed));
	if (f->heartbleed == 1)
		finding_add(o, "scan.heartbleed", subject, "the server answered a heartbeat request "
			    "with more bytes than it carried (they were discarded unread)");
	json_object_set_new(o, "compression", ext ? json_boolean(ext->compression != 0) :
			    json_null());
	const tls_scan_proto_t *p12 = &f->proto[4];
	json_object_set_new(o, "downgrade_sentinel", p12->have_first && f->proto[5].supported ?
			    json_boolean(p12->first.downgrade == 12) : json_null());
	json_object_set_new(o, "handshakes", json_integer(f->handshakes));
	json_object_set_new(o, "refused_connections", json_integer(f->refused));
	json_object_set_new(o, "duration_ms", json_integer(f->duration_ms));
	json_object_set_new(o, "complete", json_boolean(json_array_size(f->errors) == 0));
	json_object_set(o, "errors", f->errors);

	if (any) {
		add_findings(o, f, subject, fs_all, fs_some);
		if (ext && !ext->reneg_info)
			finding_add(o, "scan.reneg.insecure", subject, "no renegotiation_info in %s",
				    ch_version_name(ext->version));
		if (ext && ext->compression)
			finding_add(o, "scan.compression", subject, "compression method %d",
				    ext->compression);
		if (server_order == 0)
			finding_add(o, "scan.order.client", subject, NULL);
	}
	return o;
}
