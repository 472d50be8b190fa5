/*
 * fuzz_mta_sts.c - libFuzzer target: any bytes as an MTA-STS policy file
 * and as a _mta-sts TXT record, and the policy's mx patterns matched
 * against a host name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/mta_sts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *policy = mta_sts_policy_parse((const char *)data, size);
	size_t i;
	json_t *mx;
	json_array_foreach(json_object_get(policy, "mx"), i, mx)
		if (json_is_string(mx))
			(void)mta_sts_mx_match(json_string_value(mx), "mx1.sender.test");
	json_decref(policy);
	char id[64], problem[256];
	(void)mta_sts_record_parse((const char *)data, size, id, sizeof(id), problem, sizeof(problem));
	return 0;
}
