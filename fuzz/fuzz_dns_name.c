/*
 * fuzz_dns_name.c - libFuzzer target: any rdata as a wire-format name (MX,
 * CNAME, PTR targets come from anyone's DNS).
 */
#include <stdint.h>
#include <string.h>

#include "mail/resolver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[256];
	int n = dns_name_from_wire(data, size, name, sizeof(name));
	if (n > 0 && ((size_t)n > size || strlen(name) >= sizeof(name)))
		__builtin_trap();
	char tiny[4];
	(void)dns_name_from_wire(data, size, tiny, sizeof(tiny));
	return 0;
}
