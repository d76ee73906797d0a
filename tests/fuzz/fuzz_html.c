/* libFuzzer target fuzz_html: the harness body is cts_fuzz_html() in
 * harness_html.c, shared with the regression replay (test_fuzz_replay). */
#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return cts_fuzz_html(data, size);
}
