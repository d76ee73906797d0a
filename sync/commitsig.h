/*
 * Signed git commits (SPEC §4): the "gpgsig" header git and libgit2 write
 * into a commit, and who signed it. Shared by the audit and by sync, which
 * checks the commits a node branch gains.
 */
#ifndef CTS_COMMITSIG_H
#define CTS_COMMITSIG_H

#include "gitrepo.h"

#include <stddef.h>

/* Largest commit object whose signature is checked (headers + message). */
#define CTS_COMMIT_SIG_MAX_BYTES ((size_t)1 << 20)

/* Split a raw commit as git does: headers end at the first empty line; a
 * header line starting with a space continues the previous header.
 * *payload: the commit without any gpgsig* header (what was signed);
 * *sig: the value of the "gpgsig" header(s), continuation lines without
 * their leading space; *nsig: how many gpgsig headers there were. Both
 * malloc'd, NUL-terminated. */
int cts_commit_split(const char *raw, size_t len, char **payload, size_t *plen, char **sig,
                     size_t *slen, int *nsig);

/* Who signed `commit`: 0 and *signer when it carries exactly one gpgsig
 * header, an SSH signature (namespace "git") that verifies; CTS_ENOTFOUND
 * when it is not signed; CTS_ECRYPTO (message says why) for a bad or
 * doubled signature; CTS_ELIMIT above CTS_COMMIT_SIG_MAX_BYTES; other
 * codes when it cannot be read. */
int cts_commit_signer(cts_gitrepo *repo, const cts_gitoid *commit, unsigned char signer[32]);

#endif
