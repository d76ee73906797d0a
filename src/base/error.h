/*
 * One error contract for the whole library.
 *
 * Every fallible function returns int: 0 on success, or a negative
 * cts_error code.  The function that detects the failure records a
 * one-line message (in French: it is what the user reads) with
 * cts_error_set(); callers may add context in front of it with
 * cts_error_prefix() but never overwrite it.  Only the CLI prints.
 *
 * Messages are kept per thread.
 */
#ifndef CTS_ERROR_H
#define CTS_ERROR_H

#include <stddef.h>

typedef enum {
	CTS_OK = 0,
	CTS_ERR = -1,        /* internal error (a bug or an unexpected state) */
	CTS_ENOMEM = -2,     /* allocation failed */
	CTS_EIO = -3,        /* file system error */
	CTS_EINVAL = -4,     /* invalid input: user, file or peer data refused */
	CTS_ENOTFOUND = -5,  /* the named thing does not exist */
	CTS_EEXISTS = -6,    /* the thing already exists */
	CTS_ECRYPTO = -7,    /* signature or key material does not verify */
	CTS_EDB = -8,        /* SQLite error */
	CTS_EGIT = -9,       /* libgit2 error */
	CTS_ENET = -10,      /* remote unreachable: the work is kept locally */
	CTS_EAUTH = -11,     /* wrong passphrase */
	CTS_EVERSION = -12,  /* data written by a newer version */
	CTS_EBUSY = -13,     /* another process holds the node */
	CTS_EREJECT = -14,   /* remote refused (non-fast-forward, rewritten branch) */
	CTS_ELIMIT = -15,    /* input exceeds a size/count/depth limit */
	CTS_EACCESS = -16,   /* the remote refused us, or we refused it: token, certificate,
	                        host key (a setting to fix; retrying will not help) */
	CTS_EAMBIGUOUS = -17 /* what a person typed names several records (resolve.h) */
} cts_error;

/* Record `code` with a printf-style message; returns `code`. */
int cts_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prepend context ("fichier X : ") to the current message; returns `code`. */
int cts_error_prefix(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The last message recorded on this thread ("" if none). Borrowed. */
const char *cts_error_message(void);

/* The code recorded with the last message (CTS_OK if none). */
int cts_error_last(void);

void cts_error_clear(void);

/* A short French name for a code, e.g. "entrée invalide". */
const char *cts_error_name(int code);

#endif
