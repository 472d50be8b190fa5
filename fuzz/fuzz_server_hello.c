/*
 * fuzz_server_hello.c - libFuzzer target: any bytes as a server's answer
 * to each kind of ClientHello the TLS scan sends (SSLv2, SSLv3 to TLS 1.3,
 * with and without waiting for the ServerKeyExchange), fed whole and then
 * growing a byte at a time (its first 600 bytes) as a slow server would.
 */
#include <stdint.h>
#include <string.h>

#include "probe/clienthello.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int versions[] = { CH_SSL2, CH_SSL3, CH_TLS10, CH_TLS11, CH_TLS12, CH_TLS13 };
	if (size == 0)
		return 0;
	/* The first byte picks the hello, the rest is the answer. */
	int version = versions[data[0] % (sizeof(versions) / sizeof(versions[0]))];
	int want_ske = (data[0] >> 4) & 1;
	data++;
	size--;
	ch_reply_t r;
	memset(&r, 0, sizeof(r));
	(void)ch_parse(data, size, version, want_ske, &r);
	for (size_t n = 0; n <= size && n < 600; n++) {
		memset(&r, 0, sizeof(r));
		if (ch_parse(data, n, version, want_ske, &r) == 1)
			break;
	}
	(void)ch_version_name(r.version);
	return 0;
}
