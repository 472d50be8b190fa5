/*
 * assess.c - the findings a report's facts imply (see assess.h).
 *
 * Reads only the documented fields of docs/report-format.md and treats
 * missing or wrongly typed ones as unknown: no finding is drawn from a
 * fact that is not there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/finding.h"
#include "report/assess.h"
#include "report/grade.h"

static const char *str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static int is(const char *a, const char *b)
{
	return a != NULL && strcmp(a, b) == 0;
}

/* assess_headers - From, Date, Message-ID, unsubscribe, and what upstream
 * hops wrote (ARC, Authentication-Results: information only). */
static void assess_headers(json_t *msg)
{
	json_t *h = json_object_get(msg, "headers");
	if (json_is_object(h)) {
		json_t *from = json_object_get(h, "from_count");
		json_t *boxes = json_object_get(h, "from_mailboxes");
		if (json_is_integer(from) && json_integer_value(from) != 1)
			finding_add(h, "message.header.from_count", NULL, "%lld From fields",
				    (long long)json_integer_value(from));
		else if (str(h, "from_syntax") != NULL)
			finding_add(h, "message.header.from_syntax", NULL, "%s", str(h, "from_syntax"));
		else if (json_is_integer(boxes) && json_integer_value(boxes) > 1)
			finding_add(h, "message.header.from_multiple", NULL, "%lld mailboxes",
				    (long long)json_integer_value(boxes));
		json_t *dates = json_object_get(h, "date_count");
		if (json_is_integer(dates) && json_integer_value(dates) == 0)
			finding_add(h, "message.header.date_missing", NULL, NULL);
		else if (json_is_false(json_object_get(h, "date_valid")))
			finding_add(h, "message.header.date_invalid", NULL, "%s", str(msg, "date") ?: "");
		json_t *ids = json_object_get(h, "message_id_count");
		if (json_is_integer(ids) && json_integer_value(ids) == 0)
			finding_add(h, "message.header.message_id_missing", NULL, NULL);
		if (json_is_true(json_object_get(h, "bulk")) &&
		    json_is_false(json_object_get(h, "one_click_unsubscribe")))
			finding_add(h, "message.header.unsubscribe_missing", NULL, "%s",
				    str(h, "list_unsubscribe") ? "List-Unsubscribe without one-click"
							       : "no List-Unsubscribe");
	}
	/* the newest ARC set: the highest instance of an ARC-Seal */
	json_t *arc = json_object_get(msg, "arc"), *f, *newest = NULL;
	size_t i;
	json_array_foreach(arc, i, f)
		if (is(str(f, "field"), "ARC-Seal") && json_is_integer(json_object_get(f, "instance")) &&
		    (newest == NULL || json_integer_value(json_object_get(f, "instance")) >
				       json_integer_value(json_object_get(newest, "instance"))))
			newest = f;
	if (newest != NULL)
		finding_add(msg, "message.arc.present", NULL, "i=%lld cv=%s by %s",
			    (long long)json_integer_value(json_object_get(newest, "instance")),
			    str(newest, "cv") ?: "?", str(newest, "domain") ?: "?");
	else if (json_array_size(arc) > 0)
		finding_add(msg, "message.arc.present", NULL, "no readable ARC-Seal");
	json_t *ar = json_object_get(msg, "authentication_results");
	if (json_array_size(ar) > 0) {
		char ids[300] = "";
		size_t o = 0;
		json_array_foreach(ar, i, f)
			if (str(f, "authserv_id") && o < sizeof(ids) - 1)
				o += (size_t)snprintf(ids + o, sizeof(ids) - o, "%s%.60s", o ? ", " : "",
						      str(f, "authserv_id"));
		finding_add(msg, "message.auth_results.upstream", NULL, "%zu field(s)%s%s",
			    json_array_size(ar), ids[0] ? " by " : "", ids);
	}
}

static void assess_message(json_t *msg)
{
	json_t *tls = json_object_get(msg, "tls");
	const char *ver = str(tls, "version");
	if (json_is_null(tls))
		finding_add(msg, "message.tls.plaintext", NULL, NULL);
	else if (is(ver, "TLSv1") || is(ver, "TLSv1.0") || is(ver, "TLSv1.1"))
		finding_add(msg, "message.tls.obsolete", NULL, "%s", ver);
	else if (ver)
		finding_add(msg, "message.tls.used", NULL, "%s, %s", ver, str(tls, "cipher") ?: "?");

	json_t *spf = json_object_get(msg, "spf");
	const char *r = str(spf, "result");
	const char *dom = str(spf, "domain");
	if (json_is_false(json_object_get(spf, "evaluated")))
		finding_add(spf, "spf.not_evaluated", dom, "%s", str(spf, "explanation") ?: "");
	else if (is(r, "pass"))
		finding_add(spf, "spf.pass", dom, NULL);
	else if (is(r, "fail"))
		finding_add(spf, "spf.fail", dom, "%s", str(spf, "explanation") ?: "");
	else if (is(r, "softfail"))
		finding_add(spf, "spf.softfail", dom, NULL);
	else if (is(r, "neutral") || is(r, "none"))
		finding_add(spf, "spf.neutral_or_none", dom, "result %s", r);
	else if (is(r, "temperror") || is(r, "permerror"))
		finding_add(spf, "spf.error", dom, "result %s: %s", r, str(spf, "explanation") ?: "");

	json_t *dmarc = json_object_get(msg, "dmarc");
	const char *dr = str(dmarc, "result");
	const char *from_dom = str(dmarc, "domain");
	if (is(dr, "pass"))
		finding_add(dmarc, "dmarc.pass", from_dom, "aligned: %s%s%s",
			    json_is_true(json_object_get(dmarc, "spf_aligned")) ? "SPF" : "",
			    json_is_true(json_object_get(dmarc, "spf_aligned")) &&
				    json_is_true(json_object_get(dmarc, "dkim_aligned")) ? " and " : "",
			    json_is_true(json_object_get(dmarc, "dkim_aligned")) ? "DKIM" : "");
	else if (is(dr, "fail"))
		finding_add(dmarc, "dmarc.fail", from_dom, "policy applied: %s",
			    str(dmarc, "applied_policy") ?: "none");
	else if (is(dr, "temperror"))
		finding_add(dmarc, "dmarc.temperror", from_dom, "%s", str(dmarc, "reason") ?: "");
	else if (is(dr, "none") && is(str(dmarc, "outcome"), "none"))
		finding_add(dmarc, "dmarc.from_missing", from_dom, NULL);
	else if (is(dr, "permerror") && is(str(dmarc, "outcome"), "invalid")) {
		char *p = json_dumps(json_object_get(dmarc, "problems"), JSON_COMPACT);
		finding_add(dmarc, "dmarc.from_invalid", from_dom, "%s", p ? p : "");
		free(p);
	}

	assess_headers(msg);

	json_t *sigs = json_object_get(msg, "dkim");
	if (json_is_array(sigs) && json_array_size(sigs) == 0) {
		finding_add(msg, "dkim.none", NULL, NULL);
		return;
	}
	size_t i;
	json_t *sig;
	json_array_foreach(sigs, i, sig) {
		char subject[300];
		snprintf(subject, sizeof(subject), "d=%.253s s=%.40s", str(sig, "domain") ?: "?",
			 str(sig, "selector") ?: "?");
		const char *res = str(sig, "result");
		if (is(res, "pass"))
			finding_add(sig, "dkim.pass", subject, NULL);
		else if (is(res, "fail"))
			finding_add(sig, "dkim.fail", subject, "%s", str(sig, "reason") ?: "");
		else if (res)
			finding_add(sig, "dkim.error", subject, "%s: %s", res, str(sig, "reason") ?: "");
	}
}

/* assess_dmarc_policy - the domain's published DMARC policy. */
static void assess_dmarc_policy(json_t *d)
{
	const char *outcome = str(d, "outcome");
	const char *dom = str(d, "domain");
	if (is(outcome, "none")) {
		finding_add(d, "dmarc.missing", dom, NULL);
	} else if (is(outcome, "invalid")) {
		char *p = json_dumps(json_object_get(d, "problems"), JSON_COMPACT);
		finding_add(d, "dmarc.invalid", dom, "%s", p ? p : "");
		free(p);
	} else if (is(outcome, "found")) {
		const char *policy = str(d, "policy");
		if (is(policy, "none"))
			finding_add(d, "dmarc.policy_none", dom, "%s", str(d, "record") ?: "");
		else if (policy)
			finding_add(d, "dmarc.policy_enforced", dom, "p=%s", policy);
		json_t *pct = json_object_get(d, "pct");
		if (json_is_integer(pct) && json_integer_value(pct) < 100 && !is(policy, "none"))
			finding_add(d, "dmarc.partial", dom, "pct=%lld", (long long)json_integer_value(pct));
	}
}

static void assess_dns(json_t *dns)
{
	json_t *dmarc = json_object_get(dns, "dmarc");
	if (json_is_object(dmarc))
		assess_dmarc_policy(dmarc);
	json_t *mx = json_object_get(dns, "mx");
	if (!json_is_object(mx))
		return;
	const char *outcome = str(mx, "outcome");
	if (is(outcome, "nxdomain"))
		finding_add(mx, "dns.mx.nxdomain", NULL, NULL);
	else if (is(outcome, "servfail") && !is(str(mx, "dnssec"), "bogus"))
		finding_add(mx, "dns.mx.lookup_failed", NULL, "%s",
			    str(mx, "why_failed") ?: "SERVFAIL");
	if (json_is_true(json_object_get(mx, "null_mx")))
		finding_add(mx, "dns.mx.null", NULL, NULL);
	else if (json_is_true(json_object_get(mx, "implicit")))
		finding_add(mx, "dns.mx.implicit", NULL, NULL);
	const char *sec = str(mx, "dnssec");
	if (is(sec, "secure"))
		finding_add(mx, "dns.mx.dnssec_secure", NULL, NULL);
	else if (is(sec, "bogus"))
		finding_add(mx, "dns.mx.dnssec_bogus", NULL, "%s", str(mx, "why_bogus") ?: "");
	else if (is(sec, "insecure") && is(str(mx, "outcome"), "ok"))
		finding_add(mx, "dns.mx.dnssec_insecure", NULL, NULL);
}

/* has_keyword - 1 if an EHLO keyword list has word (case-insensitive prefix). */
static int has_keyword(const json_t *list, const char *word)
{
	size_t i, n = strlen(word);
	json_t *k;
	json_array_foreach(list, i, k) {
		const char *s = json_string_value(k);
		if (s && strncasecmp(s, word, n) == 0 && (s[n] == '\0' || s[n] == ' ' || s[n] == '='))
			return 1;
	}
	return 0;
}

static void assess_certificate(json_t *tls, const char *subject)
{
	const char *err = str(tls, "verify_error");
	int verified = json_is_true(json_object_get(tls, "verified"));
	int name_ok = json_is_true(json_object_get(tls, "name_match"));
	if (err && strstr(err, "expired"))
		finding_add(tls, "cert.expired", subject, "%s", err);
	else if (!verified && json_is_boolean(json_object_get(tls, "verified")))
		finding_add(tls, "cert.untrusted", subject, "%s", err ?: "not verified");
	if (json_is_false(json_object_get(tls, "name_match")))
		finding_add(tls, "cert.name_mismatch", subject, NULL);
	if (json_is_false(json_object_get(tls, "chain_complete")))
		finding_add(tls, "cert.chain_incomplete", subject, "issuer not sent: %s",
			    str(tls, "chain_missing_issuer") ?: "?");
	if (verified && name_ok)
		finding_add(tls, "cert.trusted", subject, NULL);
	json_t *leaf = json_array_get(json_object_get(tls, "chain"), 0);
	json_t *days = json_object_get(leaf, "days_left");
	if (json_is_integer(days) && json_integer_value(days) >= 0 && json_integer_value(days) < 14)
		finding_add(tls, "cert.expiring_soon", subject, "%lld days left",
			    (long long)json_integer_value(days));
}

/* assess_address - one MX address; returns 1 if an SMTP dialogue with it
 * took place (tested, or failed only at STARTTLS). */
static int assess_address(json_t *addr, const char *host)
{
	char subject[320];
	snprintf(subject, sizeof(subject), "%.253s %.46s", host ? host : "?", str(addr, "ip") ?: "?");
	const char *st = str(addr, "starttls");
	/* A handshake that breaks makes the address "failed", but the server
	 * was reached and offered STARTTLS: that is the finding. */
	if (is(str(addr, "state"), "failed") && (is(st, "failed") || is(st, "refused"))) {
		finding_add(addr, "smtp.starttls.failed", subject, "%s", str(addr, "reason") ?: st);
		return 1;
	}
	if (!is(str(addr, "state"), "tested"))
		return 0;
	if (has_keyword(json_object_get(addr, "ehlo"), "AUTH"))
		finding_add(addr, "smtp.auth.before_tls", subject, NULL);
	if (is(st, "not_offered")) {
		finding_add(addr, "smtp.starttls.missing", subject, NULL);
	} else if (is(st, "ok")) {
		finding_add(addr, "smtp.starttls.offered", subject, NULL);
		json_t *tls = json_object_get(addr, "tls");
		const char *ver = str(tls, "version");
		if (is(ver, "TLSv1.3"))
			finding_add(tls, "tls.version.tls13", subject, NULL);
		else if (is(ver, "TLSv1.2"))
			finding_add(tls, "tls.version.tls12", subject, NULL);
		else if (ver)
			finding_add(tls, "tls.version.obsolete", subject, "%s", ver);
		if (json_is_object(tls))
			assess_certificate(tls, subject);
		/* A second certificate (another key type) is what some senders get. */
		size_t i;
		json_t *other;
		json_array_foreach(json_object_get(tls, "other_key_types"), i, other) {
			char sub2[360];
			snprintf(sub2, sizeof(sub2), "%s (%.10s certificate)", subject,
				 str(other, "key_type") ?: "other");
			assess_certificate(other, sub2);
		}
	} else if (st) {
		finding_add(addr, "smtp.starttls.failed", subject, "%s", str(addr, "reason") ?: st);
	}
	return 1;
}

/* mismatched_spki - the SPKI hash of the leaf that failed DANE: the
 * first handshake's, or the other key type's that the "dane" object names. */
static const char *mismatched_spki(const json_t *addr, const json_t *ad)
{
	const json_t *tls = json_object_get(addr, "tls");
	const char *kt = str(ad, "mismatched_key_type");
	size_t i;
	json_t *o;
	if (kt != NULL)
		json_array_foreach(json_object_get(tls, "other_key_types"), i, o)
			if (is(str(o, "key_type"), kt))
				tls = o;
	json_t *leaf = json_array_get(json_object_get(tls, "chain"), 0);
	return str(json_object_get(leaf, "hashes"), "spki_sha256");
}

/* assess_dane - the TLSA records of one MX host and each address's match. */
static void assess_dane(json_t *mx)
{
	json_t *d = json_object_get(mx, "dane");
	const char *host = str(mx, "host");
	const char *outcome = str(d, "outcome");
	if (!json_is_object(d) || outcome == NULL)
		return;
	/* Bogus records a sender never looks up (an unsigned MX RRset leads to
	 * the host) hold up no mail: dane.mx_insecure says what is wrong. */
	if (is(outcome, "bogus") && !json_is_false(json_object_get(d, "senders_look_up"))) {
		finding_add(d, "dane.bogus", host, NULL);
		return;
	}
	if (is(outcome, "insecure")) {
		finding_add(d, "dane.insecure", host, NULL);
		return;
	}
	if (is(outcome, "none")) {
		finding_add(d, "dane.none", host, NULL);
		return;
	}
	if (!is(outcome, "secure"))
		return;
	if (json_integer_value(json_object_get(d, "usable_records")) == 0) {
		finding_add(d, "dane.unusable", host, NULL);
		return;
	}
	size_t k;
	json_t *addr;
	json_array_foreach(json_object_get(mx, "addresses"), k, addr) {
		json_t *ad = json_object_get(addr, "dane");
		char subject[320];
		snprintf(subject, sizeof(subject), "%.253s %.46s", host ? host : "?", str(addr, "ip") ?: "?");
		if (is(str(ad, "state"), "valid"))
			finding_add(ad, "dane.valid", subject, "matched TLSA record %lld",
				    (long long)json_integer_value(json_object_get(ad, "matched_record")) + 1);
		else if (is(str(ad, "state"), "mismatch"))
			finding_add(ad, "dane.mismatch", subject, "%s leaf spki_sha256 %s",
				    str(ad, "mismatched_key_type") ?: "the", mismatched_spki(addr, ad) ?: "?");
	}
}

void report_assess(json_t *report)
{
	if (!json_is_object(report) || json_object_get(report, "grade"))
		return;
	json_t *msg = json_object_get(report, "message");
	if (json_is_object(msg))
		assess_message(msg);
	json_t *dns = json_object_get(report, "dns");
	if (json_is_object(dns))
		assess_dns(dns);

	size_t i, k, addresses = 0, tested = 0;
	json_t *mx, *addr;
	json_array_foreach(json_object_get(report, "mx"), i, mx) {
		json_array_foreach(json_object_get(mx, "addresses"), k, addr) {
			addresses++;
			tested += (size_t)assess_address(addr, str(mx, "host"));
		}
		assess_dane(mx);
	}
	/* Nothing answered although there was something to try: unreachable,
	 * unless every address was left untested on purpose (refused network,
	 * 421, deadline): that is "not tested", never a failure. */
	int failed = 0;
	json_array_foreach(json_object_get(report, "mx"), i, mx)
		json_array_foreach(json_object_get(mx, "addresses"), k, addr)
			failed |= is(str(addr, "state"), "failed") && str(addr, "starttls") == NULL;
	if (addresses > 0 && tested == 0 && failed && json_is_object(dns))
		finding_add(json_object_get(dns, "mx"), "dns.mx.unreachable", NULL,
			    "%zu address(es), none reachable", addresses);
	json_object_set_new(report, "grade", report_grade(report));
}
