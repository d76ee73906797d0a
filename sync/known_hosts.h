/*
 * OpenSSH known_hosts: does a server's host key (as libgit2 gives it) match
 * a line for one of its names? Plain and hashed ("|1|salt|hash") host
 * patterns, '*' and '?' globs, "!" exclusions, @revoked; @cert-authority
 * lines are ignored. At most 100 000 lines are read; over-long lines are
 * skipped whole.
 */
#ifndef CTS_KNOWN_HOSTS_H
#define CTS_KNOWN_HOSTS_H

#include <stddef.h>
#include <stdio.h>

enum { CTS_KH_NONE, CTS_KH_MISMATCH, CTS_KH_MATCH, CTS_KH_REVOKED };

/* A server's host key as the transport gives it (borrowed): the SHA-256
 * of its blob when known (32 bytes), else the raw blob; both NULL match
 * nothing. */
typedef struct {
	const unsigned char *sha256;
	const unsigned char *raw;
	size_t raw_len;
} cts_known_hosts_key;

/* The verdict of file f (read from its current position) for the key hk
 * and the host names names[0..nnames) (lowercase): CTS_KH_MATCH, CTS_KH_REVOKED
 * (a @revoked line names this key: wins), CTS_KH_MISMATCH (the host is
 * listed with other keys only) or CTS_KH_NONE. Never fails. */
int cts_known_hosts_lookup(FILE *f, const cts_known_hosts_key *hk, const char *const *names,
                           size_t nnames);

/* The port of an ssh:// URL (22 when absent, invalid, or scp-like). */
int cts_ssh_url_port(const char *url);

/* Split an URL authority [a, end) ("user@host:port", "user@[v6]:port"):
 * the host without user or brackets as *host (borrowed, *host_len bytes,
 * not terminated) and the text after the port's ':' as *port (NULL when
 * there is no ':'). */
void cts_url_authority_split(const char *a, const char *end, const char **host, size_t *host_len,
                             const char **port);

#endif
