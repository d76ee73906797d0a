/*
 * Git object ids by value, without libgit2: what the layers above sync/
 * hold and pass to the git layer (sync/gitrepo.h). Only sync/gitrepo*.c
 * convert them to and from libgit2's git_oid (same 20 bytes).
 */
#ifndef CTS_GITOID_H
#define CTS_GITOID_H

#include <stddef.h>

#define CTS_GITOID_RAWSZ 20
#define CTS_GITOID_HEXSZ 40

/* A SHA-1 object id (commit, tree or blob), by value. */
typedef struct {
	unsigned char id[CTS_GITOID_RAWSZ];
} cts_gitoid;

/* Lowercase hexadecimal, NUL-terminated, into out. */
void cts_gitoid_hex(char out[CTS_GITOID_HEXSZ + 1], const cts_gitoid *oid);

/* Parse the first CTS_GITOID_HEXSZ characters of hex as hexadecimal digits
 * (either case; what follows is not looked at, as git_oid_fromstr): 0, or
 * CTS_EINVAL after cts_error_set(). */
int cts_gitoid_parse(cts_gitoid *out, const char *hex);

/* 1 if a and b are the same id, else 0. */
int cts_gitoid_equal(const cts_gitoid *a, const cts_gitoid *b);

/* The id git gives the blob holding data[0..len) ("blob <len>\0" then the
 * bytes, SHA-1), computed without a repository. */
void cts_gitoid_blob(cts_gitoid *out, const void *data, size_t len);

#endif
