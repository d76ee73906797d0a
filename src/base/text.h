/* Text utilities: strict UTF-8 validation, Windows-1252 decoding, trimming
 * and the folding key used to match people's names. */
#ifndef CTS_TEXT_H
#define CTS_TEXT_H

#include <stddef.h>

/* 1 if s[0..len) is strict UTF-8 (shortest forms only, no surrogates,
 * nothing above U+10FFFF), else 0. U+0000 is valid UTF-8. s may be NULL
 * only when len is 0. Never fails, records no error. */
int cts_text_utf8_valid(const char *s, size_t len);

/* Length (1 to 4) of the strict UTF-8 sequence starting at s[0], of which at
 * most `avail` bytes (at least 1) may be read; 0 when it is invalid (stray
 * continuation byte, overlong form, surrogate, above U+10FFFF) or truncated.
 * For code that walks text itself (the canonical JSON parser, messages). */
size_t cts_text_utf8_seq(const char *s, size_t avail);

/* Length of the longest strict UTF-8 prefix of s[0..len): len when the whole
 * text is valid, else the offset of the first byte of the first invalid or
 * truncated sequence. */
size_t cts_text_utf8_valid_prefix(const char *s, size_t len);

/* Convert Windows-1252 bytes in[0..len) to UTF-8. Every byte maps to one
 * code point (0x80–0x9F to the Windows-1252 characters, 0xA0–0xFF to
 * U+00A0–U+00FF) except the 5 undefined bytes 0x81 0x8D 0x8F 0x90 0x9D,
 * which are refused with CTS_EINVAL. *out (caller frees with free()) is
 * NUL-terminated; *out_len (may be NULL) gets its length without the NUL.
 * On error *out is NULL. */
int cts_text_cp1252_to_utf8(char **out, size_t *out_len, const char *in, size_t len);

/* Folding key for matching people's names (NUL-terminated UTF-8 in):
 * Latin letters of Latin-1 Supplement and Latin Extended-A lose their
 * accents (é→e, Ç→c, œ→oe, æ→ae, ß→ss, þ→th, ĳ→ij, ÿ→y, Ł→l ...), combining
 * marks U+0300–U+036F are dropped (decomposed input), ASCII is lowercased;
 * apostrophes (' ’ ‘ ʼ ` ´), hyphens (- ‐ ‑ ‒ – — ― −) and runs of
 * whitespace (ASCII, U+00A0, U+202F and the other Unicode spaces) become a
 * single space, trimmed at both ends; soft hyphens and zero-width characters
 * are dropped; any other character is kept unchanged.
 * "BOUCHER-LE BRAS" and "Boucher le Bras" fold to "boucher le bras";
 * "Jérôme", "JEROME" and "Je\u0301ro\u0302me" fold to "jerome".
 * Invalid UTF-8 or NULL → CTS_EINVAL. *out (caller frees with free()) is
 * never longer than the input; NULL on error. */
int cts_text_fold(char **out, const char *utf8);

/* Copy of utf8 without the white space at both ends: ASCII white space,
 * U+00A0, U+202F, the other Unicode spaces (U+2000–U+200A, U+3000 ...) and
 * U+FEFF. Invalid UTF-8 or NULL → CTS_EINVAL. *out (caller frees with
 * free()); NULL on error. */
int cts_text_trim(char **out, const char *utf8);

/* Display width of UTF-8 text in terminal columns, for aligned listings:
 * combining marks (U+0300–U+036F and the other combining blocks), zero-width
 * characters, soft hyphen and control characters count 0; East Asian wide and
 * fullwidth characters count 2; everything else 1. A byte that is not part of
 * a valid UTF-8 sequence counts 1. NULL counts 0. Never fails. */
size_t cts_text_width(const char *utf8);

/* Largest prefix of utf8 (whole characters) whose display width is at most
 * `cols`: its length in bytes. */
size_t cts_text_width_prefix(const char *utf8, size_t cols);

/* "16/06/2020" from the ISO date "2020-06-16" into out (size bytes); a
 * value that is not a YYYY-MM-DD date is copied as it is (cut to fit).
 * Returns out. */
char *cts_text_date_fr(char *out, size_t size, const char *iso);

/* A date as people type it — "2020-06-16", "16/06/2020" or "16/6/2020"
 * (also with '.' or '-' between day, month and year) — as the ISO date
 * "2020-06-16" into out[11]. 0, or CTS_EINVAL (no message set: callers say
 * what the date was for) when it is not a real calendar date in one of
 * these forms. */
int cts_text_date_parse(const char *s, char out[11]);

/* 1 if s is YYYY-MM-DD, a real calendar date (year 1900 or later). */
int cts_valid_date(const char *s);

#endif
