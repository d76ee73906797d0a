/* libFuzzer target fuzz_text: the harness body is cts_fuzz_text() in
 * harness_text.c, shared with the regression replay (test_fuzz_replay). */
#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return cts_fuzz_text(data, size);
}
