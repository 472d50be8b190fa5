/*
 * grade.c - from findings to grades (see grade.h and docs/grading.md).
 *
 * Trusts the catalogue (lib/mail/finding.h) for severities and caps; the
 * report's own "severity" strings are not trusted, so a stored report
 * cannot promote itself. Unknown ids (a newer writer) are ignored.
 */
#include <string.h>

#include "mail/finding.h"
#include "report/grade.h"

const char *grade_name(grade_t g)
{
	static const char *const names[] = { "A+", "A", "B", "C", "D", "F" };
	return g <= GRADE_F ? names[g] : "?";
}

grade_t grade_from_cap(char cap)
{
	switch (cap) {
	case 'B': return GRADE_B;
	case 'C': return GRADE_C;
	case 'D': return GRADE_D;
	case 'F': return GRADE_F;
	default: return GRADE_A;
	}
}

static void collect(const json_t *node, json_t *out, int depth)
{
	if (depth > 32)
		return;
	if (json_is_object(node)) {
		const char *key;
		json_t *value;
		json_object_foreach((json_t *)node, key, value) {
			if (strcmp(key, "findings") == 0 && json_is_array(value)) {
				size_t i;
				json_t *f;
				json_array_foreach(value, i, f)
					if (json_is_object(f))
						json_array_append(out, f);
			} else {
				collect(value, out, depth + 1);
			}
		}
	} else if (json_is_array(node)) {
		size_t i;
		json_t *v;
		json_array_foreach(node, i, v)
			collect(v, out, depth + 1);
	}
}

json_t *report_findings(const json_t *report)
{
	json_t *out = json_array();
	/* The grade object holds copies of findings; do not count them twice. */
	const char *key;
	json_t *value;
	if (json_is_object(report)) {
		json_object_foreach((json_t *)report, key, value)
			if (strcmp(key, "grade") != 0)
				collect(value, out, 1);
	}
	return out;
}

/* area_state - the running grade of one area. */
typedef struct area_state {
	finding_area_t area;
	const char *name;
	grade_t grade;
	const json_t *capped_by;	/* the finding that set the grade */
	int judged;			/* 0: nothing to grade here */
	const char *not_graded;
} area_state_t;

/* has_tested_address - 1 if any MX address was tested. */
static int has_tested_address(const json_t *report, int *any_address)
{
	size_t i, k;
	json_t *mx, *addr;
	*any_address = 0;
	json_array_foreach(json_object_get(report, "mx"), i, mx) {
		json_array_foreach(json_object_get(mx, "addresses"), k, addr) {
			*any_address = 1;
			const char *st = json_string_value(json_object_get(addr, "state"));
			if (st && strcmp(st, "tested") == 0)
				return 1;
		}
	}
	return 0;
}

/* mta_sts_enforced - 1 if the domain's MTA-STS policy (dns.mta_sts, as
 * fetched and parsed by the MTA-STS check) is in enforce mode; the mode may
 * sit on the object itself or on its "policy". */
static int mta_sts_enforced(const json_t *report)
{
	const json_t *sts = json_object_get(json_object_get(report, "dns"), "mta_sts");
	const char *mode = json_string_value(json_object_get(sts, "mode"));
	if (mode == NULL)
		mode = json_string_value(json_object_get(json_object_get(sts, "policy"), "mode"));
	return mode != NULL && strcmp(mode, "enforce") == 0;
}

/* authenticated - 1 if senders can authenticate this tested address: its
 * chain matched the host's secure TLSA records (DANE), or the domain
 * enforces MTA-STS and the certificate is trusted and names the host
 * (and the policy's mx patterns cover the host, when the check says so). */
static int authenticated(const json_t *host, const json_t *addr, int sts_enforce)
{
	const char *d = json_string_value(json_object_get(json_object_get(addr, "dane"), "state"));
	if (d != NULL && strcmp(d, "valid") == 0)
		return 1;
	if (!sts_enforce)
		return 0;
	const json_t *tls = json_object_get(addr, "tls");
	const json_t *match = json_object_get(json_object_get(host, "mta_sts"), "mx_match");
	return json_is_true(json_object_get(tls, "verified")) &&
	       json_is_true(json_object_get(tls, "name_match")) && !json_is_false(match);
}

/* all_tested_authenticated - 1 if at least one address was tested and
 * every tested address is authenticated (DANE or MTA-STS enforce). */
static int all_tested_authenticated(const json_t *report)
{
	size_t i, k, n = 0;
	json_t *mx, *addr;
	int sts = mta_sts_enforced(report);
	json_array_foreach(json_object_get(report, "mx"), i, mx) {
		json_array_foreach(json_object_get(mx, "addresses"), k, addr) {
			const char *st = json_string_value(json_object_get(addr, "state"));
			if (st == NULL || strcmp(st, "tested") != 0)
				continue;
			if (!authenticated(mx, addr, sts))
				return 0;
			n++;
		}
	}
	return n > 0;
}

static int severity_rank(finding_severity_t s)
{
	switch (s) {
	case FINDING_CRITICAL: return 0;
	case FINDING_WARNING: return 1;
	case FINDING_NOTICE: return 2;
	default: return 9;
	}
}

/* fix_order - lower comes first: by severity, then by how far the finding
 * caps the grade (an F-capping problem before a D-capping one). */
static int fix_order(const finding_def_t *d)
{
	int cap = d->cap ? (int)grade_from_cap(d->cap) : 0;
	return severity_rank(d->severity) * 16 + (15 - cap);
}

/* top_fixes - the three most important distinct problems, with their fixes;
 * ties keep document order. */
static json_t *top_fixes(const json_t *findings)
{
	json_t *out = json_array();
	while (json_array_size(out) < 3) {
		const finding_def_t *best = NULL;
		const json_t *best_f = NULL;
		size_t i;
		json_t *f;
		json_array_foreach(findings, i, f) {
			const finding_def_t *d = finding_lookup(json_string_value(json_object_get(f, "id")) ?: "");
			if (d == NULL || severity_rank(d->severity) > 2)
				continue;
			int taken = 0;
			size_t k;
			json_t *t;
			json_array_foreach(out, k, t)
				if (strcmp(json_string_value(json_object_get(t, "id")), d->id) == 0)
					taken = 1;
			if (!taken && (best == NULL || fix_order(d) < fix_order(best))) {
				best = d;
				best_f = f;
			}
		}
		if (best == NULL)
			break;
		json_t *fix = json_pack("{ss ss ss ss}", "id", best->id, "severity",
					finding_severity_name(best->severity), "title", best->title,
					"fix", best->fix);
		json_object_set(fix, "subject", json_object_get(best_f, "subject") ?: json_null());
		json_array_append_new(out, fix);
	}
	return out;
}

json_t *report_grade(const json_t *report)
{
	area_state_t areas[] = {
		{ FINDING_AREA_SENDING, "sending", GRADE_A, NULL, 1, NULL },
		{ FINDING_AREA_RECEIVING, "receiving", GRADE_A, NULL, 1, NULL },
		{ FINDING_AREA_POLICY, "policy", GRADE_A, NULL, 1, NULL },
	};
	const size_t nareas = sizeof(areas) / sizeof(areas[0]);
	json_t *findings = report_findings(report);

	if (!json_is_object(json_object_get(report, "message"))) {
		areas[0].judged = 0;
		areas[0].not_graded = "no test mail: this was a domain-only check";
	}
	int any_address = 0;
	int null_mx = json_is_true(json_object_get(json_object_get(json_object_get(report, "dns"), "mx"), "null_mx"));
	if (null_mx) {
		areas[1].judged = 0;
		areas[1].not_graded = "the domain accepts no mail (null MX)";
	} else if (!has_tested_address(report, &any_address)) {
		/* Nothing tested, but a finding that caps receiving (bogus DNSSEC,
		 * nothing reachable) still grades it: that is a failure, not a
		 * gap in testing. */
		int capped = 0;
		size_t i;
		json_t *f;
		json_array_foreach(findings, i, f) {
			const finding_def_t *d = finding_lookup(json_string_value(json_object_get(f, "id")) ?: "");
			if (d && d->area == FINDING_AREA_RECEIVING && d->cap != 0)
				capped = 1;
		}
		if (!capped) {
			const char *mx_outcome = json_string_value(json_object_get(json_object_get(
				json_object_get(report, "dns"), "mx"), "outcome"));
			areas[1].judged = 0;
			areas[1].not_graded = any_address ? "no MX address could be tested (see each address for why)"
					      : mx_outcome && strcmp(mx_outcome, "servfail") == 0
					      ? "the MX lookup failed, so there was no MX address to test"
					      : "no MX address to test";
		}
	}

	size_t i;
	json_t *f;
	json_array_foreach(findings, i, f) {
		const finding_def_t *d = finding_lookup(json_string_value(json_object_get(f, "id")) ?: "");
		if (d == NULL || d->cap == 0)
			continue;
		for (size_t a = 0; a < nareas; a++) {
			if (areas[a].area != d->area || !areas[a].judged)
				continue;
			grade_t g = grade_from_cap(d->cap);
			if (g > areas[a].grade) {
				areas[a].grade = g;
				areas[a].capped_by = f;
			}
		}
	}

	/* A+ : receiving at A and every address that was tested authenticated
	 * by DANE or MTA-STS enforce, so senders cannot be downgraded or
	 * intercepted. */
	if (areas[1].judged && areas[1].grade == GRADE_A && all_tested_authenticated(report))
		areas[1].grade = GRADE_A_PLUS;

	json_t *out = json_object();
	json_t *caps = json_array();
	json_t *not_graded = json_object();
	int overall_set = 0;
	grade_t overall = GRADE_A;
	const json_t *overall_cap = NULL;
	for (size_t a = 0; a < nareas; a++) {
		if (!areas[a].judged) {
			json_object_set_new(out, areas[a].name, json_null());
			json_object_set_new(not_graded, areas[a].name, json_string(areas[a].not_graded));
			continue;
		}
		json_object_set_new(out, areas[a].name, json_string(grade_name(areas[a].grade)));
		if (areas[a].capped_by) {
			json_t *c = json_pack("{ss ss}", "area", areas[a].name, "grade",
					      grade_name(areas[a].grade));
			json_object_set(c, "id", json_object_get(areas[a].capped_by, "id"));
			json_object_set(c, "subject", json_object_get(areas[a].capped_by, "subject") ?: json_null());
			json_array_append_new(caps, c);
		}
		/* Only receiving can reach A+; an A elsewhere does not hold it back. */
		grade_t g = areas[a].grade == GRADE_A && areas[1].grade == GRADE_A_PLUS ? GRADE_A_PLUS
											  : areas[a].grade;
		if (!overall_set || g > overall) {
			overall = g;
			overall_cap = areas[a].capped_by;
		}
		overall_set = 1;
	}
	json_object_set_new(out, "overall", overall_set ? json_string(grade_name(overall)) : json_null());
	json_object_set_new(out, "overall_capped_by",
			    overall_cap ? json_incref(json_object_get(overall_cap, "id")) : json_null());
	json_object_set_new(out, "caps", caps);
	json_object_set_new(out, "not_graded", not_graded);
	json_object_set_new(out, "top_fixes", top_fixes(findings));
	json_decref(findings);
	return out;
}
