/*
 * fuzz_job.c - libFuzzer target: a job as mxray-worker reads it from the
 * jobs stream. Anything in that stream was written by another process, and
 * a job's message facts came from a stranger's mail.
 *
 * Input that starts with '*' is taken as Redis's raw reply (RESP) for one
 * stream entry; anything else is the job's JSON text, wrapped in an entry
 * the way the milter writes one. Then the worker's own checks
 * (store_entry_fill, probe_job_problem), and for a job they accept, the
 * report it becomes with an empty probe: assessed, rendered as HTML and
 * text. Nothing may crash; an accepted job's domain must be a DNS name;
 * no page may contain a raw "<script".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hiredis/hiredis.h>

#include "base/strbuf.h"
#include "mail/record.h"
#include "mail/store.h"
#include "probe/mx.h"
#include "probe/probe.h"
#include "report/assess.h"
#include "report/render.h"

/* counts_fit - whether every array header ("*N" at the start of a line)
 * declares no more elements than the input has bytes. hiredis 0.14 allocates
 * the element array as soon as it reads the header, so "*2000000001" alone
 * takes 16 GB: that is the library trusting its server, and the worker's
 * server is its own Redis, which declares what it sends. Such inputs are
 * left out so the fuzzer spends its time on store_entry_fill. */
static int counts_fit(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		if (data[i] != '*' || (i > 0 && data[i - 1] != '\n'))
			continue;
		unsigned long long n = 0;
		for (size_t j = i + 1; j < size && data[j] >= '0' && data[j] <= '9'; j++) {
			n = n * 10 + (unsigned)(data[j] - '0');
			if (n > size)
				return 0;
		}
	}
	return 1;
}

/* entry_reply - the RESP bytes parsed by hiredis's own reader, as
 * store_read gets them; NULL if they are no complete reply. */
static redisReply *entry_reply(const uint8_t *data, size_t size)
{
	if (data[0] == '*' && !counts_fit(data, size))
		return NULL;
	redisReader *rd = redisReaderCreate();
	void *reply = NULL;
	if (rd == NULL)
		abort();
	if (data[0] == '*') {
		redisReaderFeed(rd, (const char *)data, size);
	} else {
		char head[160];
		int n = snprintf(head, sizeof(head),
				 "*2\r\n$15\r\n1700000000000-0\r\n*4\r\n$1\r\nv\r\n$1\r\n1\r\n"
				 "$3\r\njob\r\n$%zu\r\n", size);
		redisReaderFeed(rd, head, (size_t)n);
		redisReaderFeed(rd, (const char *)data, size);
		redisReaderFeed(rd, "\r\n", 2);
	}
	if (redisReaderGetReply(rd, &reply) != REDIS_OK)
		reply = NULL;
	redisReaderFree(rd);
	return reply;
}

static void render_checked(json_t *rep)
{
	strbuf_t out = STRBUF_INIT;
	if (report_render_html(rep, &out) == 0 && out.data && strstr(out.data, "<script"))
		abort();
	strbuf_free(&out);
	(void)report_render_text(rep, &out);
	strbuf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	redisReply *reply = entry_reply(data, size);
	if (reply == NULL)
		return 0;
	store_entry_t e;
	char why[256];
	store_entry_fill(STORE_STREAM_JOBS, reply, &e);
	freeReplyObject(reply);
	if (e.problem == NULL && e.job != NULL && probe_job_problem(e.job, why, sizeof(why)) == NULL) {
		const char *domain = json_string_value(json_object_get(e.job, "domain"));
		if (domain == NULL || !mx_domain_ok(domain))
			abort();
		/* what build_report in the worker makes of it, minus the probe */
		json_t *rep = json_object();
		json_object_set_new(rep, "format", json_integer(REPORT_FORMAT));
		json_object_set_new(rep, "token", json_string("fuzz"));
		record_set_text(rep, "domain", domain);
		json_t *msg = json_object_get(e.job, "message");
		if (json_is_object(msg))
			json_object_set_new(rep, "message", json_deep_copy(msg));
		json_t *reply_to = json_object_get(e.job, "reply_to");
		if (reply_to != NULL)
			json_object_set(rep, "reply_to", reply_to);
		json_object_set_new(rep, "dns", json_object());
		json_object_set_new(rep, "mx", json_array());
		report_assess(rep);
		render_checked(rep);
		json_decref(rep);
	}
	store_entry_clear(&e);
	return 0;
}
