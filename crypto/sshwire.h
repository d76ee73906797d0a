/*
 * The SSH wire encoding (RFC 4251 §5) that public key blobs and SSHSIG
 * blobs are made of: uint32 in big-endian order, string = uint32 length
 * then the bytes. A writer fills a caller's buffer; a reader walks a
 * caller's bytes. Neither allocates nor keeps anything.
 */
#ifndef CTS_SSHWIRE_H
#define CTS_SSHWIRE_H

#include <stddef.h>
#include <stdint.h>

/* Writes into p[0 .. cap): initialise as { buf, sizeof(buf), 0 }. Sizes
 * are fixed by the callers' buffers, so an overflow is a bug: it is
 * remembered (len = cap + 1, nothing more written) and reported by
 * cts_sshwire_ok() once the whole blob is written. */
typedef struct {
	unsigned char *p;
	size_t cap, len;
} cts_sshwire_writer;

void cts_sshwire_put(cts_sshwire_writer *w, const void *s, size_t n); /* raw bytes */
void cts_sshwire_put_u32(cts_sshwire_writer *w, uint32_t v);
void cts_sshwire_put_string(cts_sshwire_writer *w, const void *s, size_t n);
/* 1 if everything written fitted, 0 after an overflow. */
int cts_sshwire_ok(const cts_sshwire_writer *w);

/* Reads p[pos .. len): initialise as { bytes, len, 0 }. */
typedef struct {
	const unsigned char *p;
	size_t len, pos;
} cts_sshwire_reader;

/* 0 and the value (a string: *s borrows from the reader's bytes, *len its
 * length), or -1 when the bytes end first (the reader is then of no
 * further use). */
int cts_sshwire_get_u32(cts_sshwire_reader *r, uint32_t *v);
int cts_sshwire_get_string(cts_sshwire_reader *r, const unsigned char **s, size_t *len);

#endif
