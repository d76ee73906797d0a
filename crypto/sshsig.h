/*
 * OpenSSH SSHSIG signatures (PROTOCOL.sshsig), Ed25519 with sha512,
 * armored exactly as `ssh-keygen -Y sign` writes them. Used for changesets
 * (namespace "cts-changeset") and git commits (namespace "git").
 */
#ifndef CTS_SSHSIG_H
#define CTS_SSHSIG_H

#include "key.h"

#include <stddef.h>

#define CTS_SSHSIG_MAX_ARMOR 8192

/* Sign msg under namespace ns. *armored: malloc'd NUL-terminated text
 * "-----BEGIN SSH SIGNATURE-----\n" + base64 lines of 70 + "\n-----END SSH SIGNATURE-----\n". */
int cts_sshsig_sign(char **armored, size_t *armored_len, const cts_key *key, const char *ns,
		    const unsigned char *msg, size_t msg_len);

/* Verify an armored signature of msg under ns. expected_pk (32 bytes) or
 * NULL: any signer. signer_pk_out (may be NULL) receives the signature's
 * key once parsed. CTS_EINVAL: malformed armor or blob; CTS_ECRYPTO:
 * wrong key, wrong namespace, or bad signature (libsodium's rules). */
int cts_sshsig_verify(const char *armored, size_t armored_len, const unsigned char *expected_pk, const char *ns,
		      const unsigned char *msg, size_t msg_len, unsigned char signer_pk_out[32]);

#endif
