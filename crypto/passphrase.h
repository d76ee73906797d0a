/* Where the key passphrase comes from: CTSNODE_PASSPHRASE (scripts),
 * CTSNODE_PASSPHRASE_FD=<n> (one line read from that descriptor), or a
 * prompt on the terminal with echo off. */
#ifndef CTS_PASSPHRASE_H
#define CTS_PASSPHRASE_H

#define CTS_PASSPHRASE_MAX 1024

/* *out in sodium_malloc memory, NUL-terminated; free with
 * cts_passphrase_free (wipes). With confirm (key creation) the prompt
 * asks twice and an empty passphrase is refused. No source at all:
 * CTS_EAUTH explaining CTSNODE_PASSPHRASE. */
int cts_passphrase_get(char **out, const char *prompt, int confirm);
void cts_passphrase_free(char *p);

#endif
