/*
 * assess.h - judging a report: findings from its facts, then the grade.
 *
 * The probe and the message analysis record facts (and may add findings
 * of their own); report_assess derives the findings the facts imply
 * (STARTTLS missing, certificate untrusted, SPF failing ...), adds them to
 * the objects they are about, and stores the grade under "grade". It runs
 * once, where a report is made (the worker, mxray check); a report that
 * already has a grade is left alone.
 */
#ifndef MXRAY_REPORT_ASSESS_H
#define MXRAY_REPORT_ASSESS_H

#include <jansson.h>

/* report_assess - add findings and "grade" to report (in place). */
void report_assess(json_t *report);

#endif
