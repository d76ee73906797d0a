#include "known_hosts.h"

#include "sha1.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define KNOWN_HOSTS_MAX_LINES 100000

static int b64_decode(unsigned char *out, size_t cap, const char *b64, size_t *len)
{
	return sodium_base642bin(out, cap, b64, strlen(b64), NULL, len, NULL,
	                         sodium_base64_VARIANT_ORIGINAL);
}

/* "|1|salt|hash" against a host name. */
static int hashed_match(const char *pattern, const char *name)
{
	char salt64[128], hash64[128];
	unsigned char salt[64], hash[64], mac[20];
	size_t slen, hlen;
	const char *bar = strchr(pattern + 3, '|');

	if (!bar || (size_t)(bar - (pattern + 3)) >= sizeof(salt64) ||
	    strlen(bar + 1) >= sizeof(hash64))
		return 0;
	memcpy(salt64, pattern + 3, (size_t)(bar - (pattern + 3)));
	salt64[bar - (pattern + 3)] = '\0';
	snprintf(hash64, sizeof(hash64), "%s", bar + 1);
	if (b64_decode(salt, sizeof(salt), salt64, &slen) != 0 ||
	    b64_decode(hash, sizeof(hash), hash64, &hlen) != 0 || hlen != 20)
		return 0;
	cts_hmac_sha1(salt, slen, name, mac);
	return sodium_memcmp(mac, hash, 20) == 0;
}

/* OpenSSH host patterns: '*' and '?' only ('[' is literal, as in
 * "[host]:port"). Iterative, with single-star backtracking. */
static int glob_match(const char *p, const char *s)
{
	const char *star = NULL, *retry = NULL;

	while (*s) {
		if (*p == '*') {
			star = p++;
			retry = s;
		} else if (*p == '?' || *p == *s) {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++retry;
		} else {
			return 0;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* Does the comma-separated host list match one of names[]? */
static int hosts_match(char *list, const char *const *names, size_t nnames)
{
	int match = 0;
	char *save = NULL;

	for (char *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		int neg = p[0] == '!', hit = 0, hashed;
		if (neg)
			p++;
		hashed = strncmp(p, "|1|", 3) == 0;
		if (!hashed) /* host names compare case-insensitively; names[] are lowercase */
			for (char *c = p; *c; c++)
				if (*c >= 'A' && *c <= 'Z')
					*c = (char)(*c - 'A' + 'a');
		for (size_t i = 0; i < nnames && !hit; i++)
			hit = hashed ? hashed_match(p, names[i]) : glob_match(p, names[i]);
		if (hit && neg)
			return 0; /* an explicit exclusion wins */
		match |= hit;
	}
	return match;
}

void cts_url_authority_split(const char *a, const char *end, const char **host, size_t *host_len,
                             const char **port)
{
	const char *h = a, *colon;

	for (const char *at = a; at < end; at++)
		if (*at == '@')
			h = at + 1;
	if (*h == '[') {
		const char *close = memchr(h, ']', (size_t)(end - h));
		*host = h + 1;
		*host_len = (size_t)((close ? close : end) - *host);
		colon = close && close + 1 < end && close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		*host = h;
		*host_len = (size_t)((colon ? colon : end) - h);
	}
	*port = colon ? colon + 1 : NULL;
}

/* The port of an ssh URL (22 when absent or scp-like). */
int cts_ssh_url_port(const char *url)
{
	const char *p = url ? strstr(url, "://") : NULL, *end, *h, *digits;
	size_t hlen;
	long port = 0;

	if (!p)
		return 22;
	p += 3;
	end = p + strcspn(p, "/");
	cts_url_authority_split(p, end, &h, &hlen, &digits);
	if (!digits || digits >= end)
		return 22;
	for (const char *d = digits; d < end; d++) {
		if (*d < '0' || *d > '9' || port > 65535)
			return 22;
		port = port * 10 + (*d - '0');
	}
	return port > 0 && port <= 65535 ? (int)port : 22;
}

/* Is the key in base64 the server's? SHA-256 of the key blob when libgit2
 * gives it, the raw blob otherwise. */
static int key_matches(const cts_known_hosts_key *hk, const char *b64)
{
	unsigned char blob[8192], sha[crypto_hash_sha256_BYTES];
	size_t blen = 0;

	if (b64_decode(blob, sizeof(blob), b64, &blen) != 0 || blen == 0)
		return 0;
	if (hk->sha256) {
		crypto_hash_sha256(sha, blob, blen);
		return sodium_memcmp(sha, hk->sha256, sizeof(sha)) == 0;
	}
	if (hk->raw)
		return blen == hk->raw_len && sodium_memcmp(blob, hk->raw, blen) == 0;
	return 0;
}

int cts_known_hosts_lookup(FILE *f, const cts_known_hosts_key *hk, const char *const *names,
                           size_t nnames)
{
	char line[8192];
	int result = CTS_KH_NONE, skipping = 0;
	size_t lines = 0;

	while (fgets(line, sizeof(line), f) && lines++ < KNOWN_HOSTS_MAX_LINES) {
		size_t l = strlen(line);
		int long_line = l > 0 && line[l - 1] != '\n' && !feof(f);
		char *save = NULL, *tok, *hosts, *b64;
		int revoked = 0;
		if (skipping || long_line) { /* ignore over-long lines whole */
			skipping = long_line;
			continue;
		}
		tok = strtok_r(line, " \t\r\n", &save);
		if (!tok || tok[0] == '#')
			continue;
		if (tok[0] == '@') {
			if (strcmp(tok, "@revoked") != 0)
				continue; /* @cert-authority: not supported */
			revoked = 1;
			tok = strtok_r(NULL, " \t\r\n", &save);
		}
		hosts = tok;
		if (!hosts || !strtok_r(NULL, " \t\r\n", &save) ||
		    !(b64 = strtok_r(NULL, " \t\r\n", &save)))
			continue;
		if (!hosts_match(hosts, names, nnames))
			continue;
		if (key_matches(hk, b64)) {
			if (revoked)
				return CTS_KH_REVOKED;
			result = CTS_KH_MATCH;
		} else if (!revoked && result == CTS_KH_NONE) {
			result = CTS_KH_MISMATCH;
		}
	}
	return result;
}
