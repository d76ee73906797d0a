/*
 * Network settings of the git transport, used by sync/gitrepo_*.c (the CLI
 * also saves tokens and checks proxies through it):
 *
 *  - the token of HTTPS remotes (GitLab, Gitea...): $CTSNODE_GIT_TOKEN,
 *    else the node's token file (HOME/git-token, mode 0600), sent as HTTP
 *    basic authentication with the user $CTSNODE_GIT_USER (default
 *    "oauth2"), only over https://, held in sodium memory and wiped;
 *  - the proxy: remembered per node ("direct", an http:// URL) or taken
 *    from the environment (https_proxy, HTTPS_PROXY, no_proxy: libgit2's
 *    GIT_PROXY_AUTO);
 *  - the CA store: libgit2 1.5 is built with mbedTLS on Debian 12, where
 *    setting a CA location replaces the default bundle; so when
 *    $CTSNODE_CA_FILE is set the store is that file PLUS the system's
 *    directory ($SSL_CERT_DIR, else /etc/ssl/certs);
 *  - descriptions of refused X.509 certificates: sync/gitnet_cert.h;
 *  - the no-progress watchdog: sync/gitnet_watch.h.
 */
#ifndef CTS_GITNET_H
#define CTS_GITNET_H

#include <stddef.h>
#include <stdint.h>

/* Name of the token file in a node home. */
#define CTS_GITNET_TOKEN_FILE "git-token"
/* Longest token accepted (bytes). */
#define CTS_GITNET_TOKEN_MAX 4096

/* The token for HTTPS remotes: $CTSNODE_GIT_TOKEN when set and not empty,
 * else the file token_file (NULL or absent: no token, *out = NULL). The
 * file must be a regular file (no symlink) that only its owner can read
 * (else CTS_EACCESS). *out is sodium_malloc'd and NUL-terminated, released
 * with cts_gitnet_token_free(). The token never appears in a message. */
int cts_gitnet_token_load(char **out, const char *token_file);
void cts_gitnet_token_free(char *token); /* wipes; accepts NULL */

/* Copy the token read from src (a file, or "-" for standard input) into
 * dest, atomically, mode 0600. A token is printable ASCII without blanks
 * (surrounding blanks and the final newline are dropped), 1 to
 * CTS_GITNET_TOKEN_MAX bytes; anything else is CTS_EINVAL. */
int cts_gitnet_token_save(const char *dest, const char *src);

/* The HTTP user sent with the token: $CTSNODE_GIT_USER, else the user
 * written in the URL (https://user@host/...), else "oauth2". Borrowed. */
const char *cts_gitnet_token_user(const char *user_from_url);

/* A repository's settings (sync/gitrepo.c holds one per repository): the
 * token file (NULL: none) and the proxy setting (NULL: the environment),
 * and the token once a server has asked for it (token_loaded). Start from
 * a zeroed struct. */
typedef struct {
	char *token_file;
	char *proxy;
	char *token; /* cts_gitnet_token_load(), sodium memory */
	int token_loaded;
} cts_gitnet_settings;

/* Replace s's settings by copies of token_file and proxy (checked with
 * cts_gitnet_proxy_check()); the token is loaded again when next asked
 * for. On an error nothing changes. */
int cts_gitnet_settings_set(cts_gitnet_settings *s, const char *token_file, const char *proxy);
/* Release what s holds (the token is wiped). */
void cts_gitnet_settings_dispose(cts_gitnet_settings *s);

/* A remote URL must not carry a password or token (https://u:secret@h):
 * CTS_EINVAL, with a message that does not repeat the URL. */
int cts_gitnet_url_check(const char *url);

/* A proxy setting: NULL, "" or "auto" (the environment), "direct" (no
 * proxy), or an http:// or https:// URL with a host and no user or
 * password. 0, or CTS_EINVAL with a message. */
int cts_gitnet_proxy_check(const char *proxy);
/* The proxy an https:// exchange will go through, for messages: the
 * setting's URL, the environment's (without credentials), or NULL.
 * Written into buf. */
const char *cts_gitnet_proxy_describe(const char *proxy, const char *url, char *buf, size_t size);

/* Before a TLS connection: make libgit2 trust $CTSNODE_CA_FILE plus the
 * system's directory of CAs (see above); with neither variable set, the
 * default bundle stays. Applied once per process and setting. An
 * unreadable or invalid CA file is CTS_EACCESS. */
int cts_gitnet_tls_prepare(void);

#endif
