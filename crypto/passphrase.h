/*
 * Where the key passphrase comes from, in this order:
 *   1. the environment variable CTSNODE_PASSPHRASE (scripts; may be empty);
 *   2. CTSNODE_PASSPHRASE_FD=<n>: one line read from file descriptor n
 *      (byte by byte, so nothing after the line is consumed; the newline,
 *      and a "\r" before it, are not part of the passphrase; the
 *      descriptor is left open);
 *   3. a prompt on /dev/tty with echo off (a signal during the prompt
 *      restores the terminal first).
 */
#ifndef CTS_PASSPHRASE_H
#define CTS_PASSPHRASE_H

/* Buffer size: a passphrase has at most CTS_PASSPHRASE_MAX - 1 bytes. */
#define CTS_PASSPHRASE_MAX 1024

/* Obtain a passphrase, prompting with prompt (French, e.g. "Phrase de
 * passe : ") on the terminal. With confirm (key creation) the terminal
 * prompt asks twice and refuses a mismatch (CTS_EAUTH), and an empty
 * passphrase is refused whatever the source (CTS_EAUTH).
 * *out: sodium_malloc'd, NUL-terminated; release with cts_passphrase_free.
 * Errors: no source (no variable and no terminal): CTS_EAUTH explaining
 * CTSNODE_PASSPHRASE; too long: CTS_ELIMIT; a NUL byte, a bad
 * CTSNODE_PASSPHRASE_FD value or nothing to read there: CTS_EINVAL /
 * CTS_EAUTH; read error: CTS_EIO. */
int cts_passphrase_get(char **out, const char *prompt, int confirm);

/* A new key's passphrase: at least 12 characters (UTF-8 code points), or
 * 4 words separated by spaces. CTS_EINVAL with a French message otherwise. */
int cts_passphrase_check_new(const char *p);

/* Wipes and frees; accepts NULL. */
void cts_passphrase_free(char *p);

#endif
