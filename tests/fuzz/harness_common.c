/* Shared helpers of the fuzz harnesses (see harness.h). */
#include "harness.h"

#include "error.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cts_fuzz_current_input;
void (*cts_fuzz_on_fail)(void);

void cts_fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: fuzz property violated: %s\n", file, line, what);
	if (cts_fuzz_current_input)
		fprintf(stderr, "  input: %s\n", cts_fuzz_current_input);
	fprintf(stderr, "  last error: %d « %s »\n", cts_error_last(), cts_error_message());
	fflush(stderr);
	if (cts_fuzz_on_fail) {
		void (*hook)(void) = cts_fuzz_on_fail;
		cts_fuzz_on_fail = NULL; /* a failure inside the hook must not loop */
		hook();
	}
	abort();
}

void cts_fuzz_check_error(int rc)
{
	const char *msg = cts_error_message();

	FUZZ_CHECK(rc < 0);
	FUZZ_CHECK(msg != NULL && msg[0] != '\0');
	FUZZ_CHECK(cts_text_utf8_valid(msg, strlen(msg)));
	FUZZ_CHECK(cts_error_last() == rc);
}

char *cts_fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	FUZZ_CHECK(s != NULL);
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}
