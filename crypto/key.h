/*
 * Ed25519 node keys: generation, the key file (encrypted at rest with a
 * passphrase), signing, and OpenSSH public key lines.
 *
 * Key file, format version 1. ASCII text of at most 4096 bytes, mode 0600,
 * never overwritten. Every line ends with "\n"; the lines come in exactly
 * this order and nothing else is accepted:
 *
 *   encrypted (a passphrase was given)       unencrypted (demos and tests only)
 *   ctsnode-key-v1                           ctsnode-key-v1
 *   kdf argon2id13 <opslimit> <memlimit>     kdf none
 *   salt <32 hex digits>                     seed <64 hex digits>
 *   nonce <48 hex digits>                    public ssh-ed25519 AAAA...
 *   box <base64>
 *   public ssh-ed25519 AAAA...
 *
 * kdf: crypto_pwhash Argon2id v1.3, with the decimal opslimit and memlimit
 *      (bytes) used when the file was written; a reader accepts limits between
 *      libsodium's MIN and SENSITIVE values only.
 * salt: the 16 random bytes of the Argon2id salt, lowercase hex.
 * nonce: the 24 random bytes of the secretbox nonce, lowercase hex.
 * box: crypto_secretbox_easy (XSalsa20-Poly1305) of the 32-byte Ed25519
 *      seed under the 32-byte Argon2id output: 48 bytes, standard base64
 *      with padding.
 * seed: the 32-byte Ed25519 seed in clear, lowercase hex (kdf none only).
 * public: the OpenSSH public key line (no comment); the loader checks that
 *      the seed derives exactly this key.
 * A first line "ctsnode-key-vN" with N > 1 is refused with CTS_EVERSION.
 */
#ifndef CTS_KEY_H
#define CTS_KEY_H

#include <stddef.h>

#define CTS_KEY_SEED_BYTES 32
#define CTS_KEY_PUBLIC_BYTES 32
#define CTS_KEY_SIGNATURE_BYTES 64
#define CTS_KEY_FILE_MAX 4096

/* Opaque. The seed and secret key live in sodium_malloc memory (guarded
 * pages, locked), wiped when freed. */
typedef struct cts_key cts_key;

/* A fresh random key. *out: free with cts_key_free. */
int cts_key_generate(cts_key **out);

/* The key derived from a 32-byte Ed25519 seed (deterministic). *out: free
 * with cts_key_free. The caller keeps (and should wipe) its seed copy. */
int cts_key_from_seed(cts_key **out, const unsigned char seed[32]);

/* Wipes and frees; accepts NULL. */
void cts_key_free(cts_key *key);

/* The 32-byte public key. Borrowed: valid until cts_key_free. */
const unsigned char *cts_key_public(const cts_key *key);

/* Ed25519 detached signature (crypto_sign_detached) of data into sig
 * (64 bytes). The secret key never leaves this module. */
int cts_key_sign(const cts_key *key, unsigned char sig[64], const unsigned char *data,
                 size_t data_len);

/* Write the key file at path: a temporary file in the same directory is
 * created with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, written, fsynced, then
 * renamed onto path without replacing anything (CTS_EEXISTS if path exists,
 * even as a dangling symlink), and the directory is fsynced.
 * passphrase != NULL: encrypted; Argon2id uses crypto_pwhash's MODERATE
 * limits, or the MIN ones when the environment has CTSNODE_KDF_FAST=1
 * (tests only). passphrase == NULL: explicit unencrypted mode (demos,
 * tests). The passphrase is not copied. */
int cts_key_save(const cts_key *key, const char *path, const char *passphrase);

/* Load a key file. *out: free with cts_key_free (NULL on error).
 * Refused: a symlink (CTS_EINVAL), anything but a regular file
 * (CTS_EINVAL), a file over CTS_KEY_FILE_MAX bytes (CTS_ELIMIT), a file
 * that group or others may access (CTS_EINVAL, says to run chmod 600), a
 * malformed file (CTS_EINVAL), a newer format (CTS_EVERSION), a seed that
 * does not give the recorded public key (CTS_ECRYPTO). Missing file:
 * CTS_ENOTFOUND. Encrypted file: passphrase NULL gives CTS_EAUTH asking for
 * one, a wrong passphrase gives CTS_EAUTH "phrase de passe incorrecte".
 * For an unencrypted file the passphrase is ignored. */
int cts_key_load(cts_key **out, const char *path, const char *passphrase);

/* *encrypted = 1 if the key file at path is encrypted, 0 if not. Applies
 * the same file checks and errors as cts_key_load. */
int cts_key_file_is_encrypted(const char *path, int *encrypted);

/* The public key recorded in the key file at path (its "public" line),
 * read without the passphrase; the same file checks and errors as
 * cts_key_load. The seed is not checked against it (cts_key_load does). */
int cts_key_file_public(const char *path, unsigned char pk[32]);

/* The OpenSSH public key line "ssh-ed25519 AAAA...[ comment]" (base64 of
 * the wire blob string "ssh-ed25519" + string pk), without newline.
 * comment may be NULL; it must not contain control characters (CTS_EINVAL).
 * *out: malloc'd, release with free(). */
int cts_key_public_line(char **out, const unsigned char pk[32], const char *comment);

/* 1 if pk is a public key a signature can be trusted from: a canonical
 * encoding of a point of the prime-order subgroup
 * (crypto_core_ed25519_is_valid_point), and none of the 8 small-order
 * points or their non-canonical encodings (checked explicitly: the
 * all-zero key, the identity 01 00..00, ...). 0 otherwise. Never fails. */
int cts_key_public_usable(const unsigned char pk[32]);

/* Parse "ssh-ed25519 AAAA...[ comment][\n]" into pk. Strict: the type
 * "ssh-ed25519", one space, canonical padded base64 of exactly the blob
 * string "ssh-ed25519" + string of 32 bytes, then nothing, or one space and
 * a comment (ignored, no control characters), and at most one final "\n";
 * the key must be usable (cts_key_public_usable). CTS_EINVAL otherwise (pk
 * untouched). Every key the program accepts (init, enrol, registry import,
 * audit, key file) goes through here. */
int cts_key_parse_public_line(unsigned char pk[32], const char *line);

#endif
