/*
 * harness.h - the unit-test harness: tables of cases, TAP-like output.
 *
 * A test program defines functions with TEST(name), runs them with RUN(name)
 * from main() and ends with `return harness_done();`. Each RUN prints
 * "ok - name" or "not ok - name" (with every failed CHECK before it);
 * tests/run.sh counts those lines. A CHECK that fails does not stop the
 * test, so one run shows every broken case of a table.
 */
#ifndef MXRAY_TEST_HARNESS_H
#define MXRAY_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>

static int harness_passed, harness_failed, harness_case_failed;

#define TEST(name) static void name(void)

#define CHECK(cond) do { \
	if (!(cond)) { \
		harness_case_failed = 1; \
		printf("#   %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
	} \
} while (0)

/* CHECK_STR - both non-NULL and equal; prints both when they differ. */
#define CHECK_STR(got, want) do { \
	const char *g_ = (got), *w_ = (want); \
	if (g_ == NULL || w_ == NULL || strcmp(g_, w_) != 0) { \
		harness_case_failed = 1; \
		printf("#   %s:%d: %s = \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
		       #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
	} \
} while (0)

#define CHECK_INT(got, want) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	if (g_ != w_) { \
		harness_case_failed = 1; \
		printf("#   %s:%d: %s = %lld, want %lld\n", __FILE__, __LINE__, #got, g_, w_); \
	} \
} while (0)

#define RUN(name) do { \
	harness_case_failed = 0; \
	name(); \
	if (harness_case_failed) { harness_failed++; printf("not ok - %s\n", #name); } \
	else { harness_passed++; printf("ok - %s\n", #name); } \
	fflush(stdout); \
} while (0)

static inline int harness_done(void)
{
	return harness_failed ? 1 : 0;
}

#endif
