/* The growable byte buffer of the project: text output (reports, registry
 * files, canonical JSON). Start from a zeroed struct; once anything was added
 * ptr is NUL-terminated (the NUL is not counted in len). A failed allocation
 * sets oom and makes every later addition a no-op, so callers check once. */
#ifndef CTS_STRBUF_H
#define CTS_STRBUF_H

#include <stddef.h>
#include <stdlib.h>

typedef struct {
	char *ptr; /* NUL-terminated once anything was added; owned */
	size_t len, cap;
	int oom; /* an allocation failed: the content is incomplete */
} cts_strbuf;

void cts_strbuf_add(cts_strbuf *b, const char *s);
/* n bytes of s (s may be NULL when n is 0). */
void cts_strbuf_addn(cts_strbuf *b, const char *s, size_t n);
void cts_strbuf_addc(cts_strbuf *b, char c);
void cts_strbuf_addf(cts_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand the text over (*out malloc'd) or report CTS_ENOMEM; the buffer is emptied. */
int cts_strbuf_take(cts_strbuf *b, char **out, size_t *len);
void cts_strbuf_dispose(cts_strbuf *b);

/* The growable arrays of the project: room for one more element in the
 * array at *(T **)pv of *cap elements of `size` bytes, n of them used.
 * When n == *cap the array is reallocated to twice its capacity (`first`
 * elements when empty). 0, or CTS_ENOMEM with *pv and *cap unchanged
 * (the array stays owned by the caller). */
int cts_array_reserve(void *pv, size_t *cap, size_t n, size_t size, size_t first);

/* Dispose of each of the n elements of the array v (dispose(&v[i]) frees
 * what one element owns, not the element itself), then free v. A macro so
 * that dispose takes its own element type; v and n are evaluated more than
 * once. */
#define CTS_ARRAY_FREE(v, n, dispose)                                                              \
	do {                                                                                       \
		for (size_t cts_i_ = 0; cts_i_ < (n); cts_i_++)                                    \
			dispose(&(v)[cts_i_]);                                                     \
		free(v);                                                                           \
	} while (0)

#endif
