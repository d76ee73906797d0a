/*
 * Ed25519 node keys: generation, the key file (encrypted at rest with a
 * passphrase: Argon2id + XSalsa20-Poly1305 secretbox), and OpenSSH public
 * key lines ("ssh-ed25519 AAAA... comment").
 *
 * Key file (text, mode 0600, never overwritten):
 *   ctsnode-key-v1
 *   public ssh-ed25519 AAAA...
 *   kdf argon2id13 <opslimit> <memlimit>      or   kdf none
 *   salt <hex>                                     seed <hex>
 *   nonce <hex>
 *   box <base64 of secretbox(seed)>
 */
#ifndef CTS_KEY_H
#define CTS_KEY_H

#include <stddef.h>

typedef struct cts_key cts_key; /* secret parts in sodium_malloc memory */

int cts_key_generate(cts_key **out);
int cts_key_from_seed(cts_key **out, const unsigned char seed[32]);
/* Wipes and frees; accepts NULL. */
void cts_key_free(cts_key *key);
/* The 32-byte public key. Borrowed. */
const unsigned char *cts_key_public(const cts_key *key);
/* The 64-byte libsodium secret key. Borrowed; never print it. */
const unsigned char *cts_key_secret(const cts_key *key);

/* Write the key file (O_EXCL, O_NOFOLLOW, 0600, temp + fsync + rename).
 * passphrase NULL: explicit unencrypted mode (demos, tests). Argon2id
 * uses the MODERATE limits, or the MIN ones when CTSNODE_KDF_FAST=1
 * (tests); the limits used are recorded in the file. */
int cts_key_save(const cts_key *key, const char *path, const char *passphrase);

/* Load a key file. CTS_EAUTH: wrong or missing passphrase. Refuses a
 * symlink, a file over 4 KiB, or one readable by group or others. */
int cts_key_load(cts_key **out, const char *path, const char *passphrase);
int cts_key_file_is_encrypted(const char *path, int *encrypted);

/* "ssh-ed25519 AAAA...[ comment]" for a public key. *out malloc'd. */
int cts_key_public_line(char **out, const unsigned char pk[32], const char *comment);
/* Parse such a line (comment ignored): strict type, base64 and blob. */
int cts_key_parse_public_line(unsigned char pk[32], const char *line);

/* OpenSSH wire helpers shared with sshsig.c. */
size_t cts_ssh_put_string(unsigned char *dst, const void *src, size_t len);

#endif
