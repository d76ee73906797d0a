/*
 * OpenSSH SSHSIG signatures (PROTOCOL.sshsig), Ed25519 keys and the sha512
 * hash only, armored exactly as `ssh-keygen -Y sign` writes them:
 *
 *   -----BEGIN SSH SIGNATURE-----
 *   base64 of the blob, in lines of 70 characters (the last one shorter
 *   or equal), each ended by "\n"
 *   -----END SSH SIGNATURE-----
 *
 * Blob: byte[6] "SSHSIG", uint32 1, string publickey (string "ssh-ed25519"
 * + string pk32), string namespace, string reserved (""), string "sha512",
 * string signature (string "ssh-ed25519" + string sig64).
 * The Ed25519 signature covers: byte[6] "SSHSIG" || string namespace ||
 * string "" || string "sha512" || string SHA-512(message).
 *
 * Namespaces in use: "cts-changeset" (changeset files) and "git" (git's
 * SSH commit signatures are exactly SSHSIG armored with namespace "git":
 * the same two functions serve for the gpgsig header of a commit).
 * Ed25519 is deterministic: the same key, namespace and message always give
 * the same bytes.
 */
#ifndef CTS_SSHSIG_H
#define CTS_SSHSIG_H

#include "key.h"

#include <stddef.h>

#define CTS_SSHSIG_MAX_ARMOR 8192 /* longest armored signature accepted */
#define CTS_SSHSIG_NS_MAX 64      /* longest namespace; printable ASCII, no space */

/* Sign msg (msg_len bytes; msg may be NULL when msg_len is 0) under
 * namespace ns with key. *armored: malloc'd NUL-terminated armored text
 * (release with free()); *armored_len (if armored_len != NULL) its length
 * without the NUL. CTS_EINVAL: bad namespace. */
int cts_sshsig_sign(char **armored, size_t *armored_len, const cts_key *key, const char *ns,
                    const unsigned char *msg, size_t msg_len);

/* Verify the armored signature (armored_len bytes, no NUL needed) of msg
 * under namespace ns.
 * expected_pk: the 32-byte Ed25519 key that must have signed (compared in
 * constant time), or NULL to accept any signer (then check signer_pk_out
 * yourself). signer_pk_out (may be NULL) receives the signature's public
 * key once the blob has been parsed successfully, even if the checks
 * after parsing fail.
 * Errors, each with a message saying which part is wrong:
 *   CTS_ELIMIT  armor longer than CTS_SSHSIG_MAX_ARMOR;
 *   CTS_EINVAL  malformed armor (header, footer, line lengths, base64) or
 *               blob (magic, version, key type, reserved, hash algorithm
 *               other than sha512, signature type or size, trailing bytes),
 *               or a bad ns argument;
 *   CTS_ECRYPTO wrong namespace, key other than expected_pk, or a signature
 *               that crypto_sign_verify_detached refuses (libsodium's rules:
 *               canonical S, small-order keys and points refused). */
int cts_sshsig_verify(const char *armored, size_t armored_len, const unsigned char *expected_pk,
                      const char *ns, const unsigned char *msg, size_t msg_len,
                      unsigned char signer_pk_out[32]);

#endif
