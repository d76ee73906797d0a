#include "crashpoint.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

void cts_crashpoint(void)
{
	static long target = -1, count;

	if (target < 0) {
		const char *v = getenv("CTSNODE_TEST_CRASH_AT");
		target = v && *v ? atol(v) : 0;
	}
	if (target > 0 && ++count == target)
		kill(getpid(), SIGKILL);
}
