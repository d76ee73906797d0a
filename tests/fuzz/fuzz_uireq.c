/* libFuzzer target fuzz_uireq: the harness body is cts_fuzz_uireq() in
 * harness_uireq.c, shared with the regression replay (test_fuzz_replay). */
#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return cts_fuzz_uireq(data, size);
}
