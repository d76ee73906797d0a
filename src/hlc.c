#include "hlc.h"

#include "error.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t cts_clock_now_ms(void *ctx)
{
	const char *fake = getenv("CTSNODE_TEST_CLOCK_MS");
	struct timespec ts;

	(void)ctx;
	if (fake && *fake) {
		char *end;
		unsigned long long v = strtoull(fake, &end, 10);
		if (*end == '\0')
			return (uint64_t)v;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t cts_hlc_next(uint64_t last, uint64_t wall_ms)
{
	uint64_t wall = CTS_HLC_FROM_MS(wall_ms & ((1ull << 48) - 1));

	return wall > last ? wall : last + 1;
}

uint64_t cts_hlc_recv(uint64_t last, uint64_t remote)
{
	return remote > last ? remote : last;
}

void cts_hlc_format(uint64_t h, char buf[17])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 15; i >= 0; i--) {
		buf[i] = hex[h & 0xf];
		h >>= 4;
	}
	buf[16] = '\0';
}

int cts_hlc_parse(uint64_t *out, const char *s)
{
	uint64_t v = 0;

	if (!s || strlen(s) != 16)
		return cts_error_set(
		    CTS_EINVAL, "horloge hybride invalide : 16 chiffres hexadécimaux attendus");
	for (int i = 0; i < 16; i++) {
		char c = s[i];
		int d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return cts_error_set(
			    CTS_EINVAL,
			    "horloge hybride invalide « %.16s » : hexadécimal minuscule attendu",
			    s);
		v = (v << 4) | (uint64_t)d;
	}
	*out = v;
	return 0;
}
