/*
 * grade.h - the SMTP-aware grade of a report (docs/grading.md).
 *
 * Three sub-grades, each from the findings of its area: sending (what the
 * test mail showed), receiving (MX transport security) and policy
 * (DNSSEC, and later DMARC, MTA-STS, TLS-RPT). Each starts at A; every
 * finding whose catalogue entry has a cap lowers its area to that cap at
 * most, and the report names the finding that capped it. The overall
 * grade is the lowest graded sub-grade. An area with nothing to judge
 * (no test mail for a domain-only check; no MX address could be tested)
 * is "not graded" with the reason, never a failure.
 */
#ifndef MXRAY_REPORT_GRADE_H
#define MXRAY_REPORT_GRADE_H

#include <jansson.h>

typedef enum grade {
	GRADE_A_PLUS,
	GRADE_A,
	GRADE_B,
	GRADE_C,
	GRADE_D,
	GRADE_F,
} grade_t;

const char *grade_name(grade_t g);	/* "A+" ... "F" */
/* grade_from_cap - 'A'..'F' into a grade; anything else is GRADE_A. */
grade_t grade_from_cap(char cap);

/* report_findings - every finding object anywhere in report, in document
 * order, as a new array of borrowed references (json_incref'd). */
json_t *report_findings(const json_t *report);

/* report_grade - the "grade" object for report (new reference):
 * {"overall","sending","receiving","policy","caps":[...],"not_graded":{...},
 *  "top_fixes":[...]}; sub-grades are "A+".."F" or null when not graded. */
json_t *report_grade(const json_t *report);

#endif
