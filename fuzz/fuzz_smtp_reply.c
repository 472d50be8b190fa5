/*
 * fuzz_smtp_reply.c - libFuzzer target: arbitrary server bytes split into
 * lines and fed to the strict SMTP reply parser, as a probed server would.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/smtp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	smtp_reply_t r;
	smtp_reply_init(&r);
	size_t start = 0;
	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		size_t len = i - start;
		if (len > 0 && data[start + len - 1] == '\r')
			len--;
		int rc = smtp_reply_add_line(&r, (const char *)data + start, len, err, sizeof(err));
		if (rc <= 0) {
			if (rc == 0) {
				for (size_t k = 0; k < r.count; k++)
					(void)smtp_reply_text(&r, k);
				free(smtp_reply_joined(&r));
			}
			smtp_reply_clear(&r);
		}
		start = i + 1;
	}
	smtp_reply_clear(&r);
	return 0;
}
