/*
 * Fuzz harness bodies, shared by the libFuzzer targets (tests/fuzz/fuzz_*.c,
 * built with clang when CTS_FUZZ=ON) and by the regression replay
 * (tests/unit/test_fuzz_replay.c, built by the normal gcc build), which feeds
 * every committed input of tests/fuzz/corpus/<name>/ and
 * tests/fuzz/regress/<name>/ through the same function.
 *
 * Each cts_fuzz_<name>() takes arbitrary bytes, runs them through one parser
 * of untrusted input and checks properties of the result (round trips,
 * documented invariants, the error contract of error.h). A violated
 * property calls cts_fuzz_fail(), which prints it and aborts: libFuzzer then
 * saves the input, and the replay test fails naming the input file.
 * The functions return 0 (libFuzzer's convention) and never leak.
 */
#ifndef CTS_FUZZ_HARNESS_H
#define CTS_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

int cts_fuzz_jcs(const uint8_t *data, size_t size);       /* sync/jcs.h */
int cts_fuzz_changeset(const uint8_t *data, size_t size); /* sync/changeset.h */
int cts_fuzz_sshsig(const uint8_t *data, size_t size);    /* crypto/sshsig.h */
int cts_fuzz_pubkey(const uint8_t *data, size_t size);    /* crypto/key.h public lines */
int cts_fuzz_sheet(const uint8_t *data, size_t size);     /* src/sheet.h */
int cts_fuzz_text(const uint8_t *data, size_t size);      /* src/text.h */
int cts_fuzz_gittree(const uint8_t *data, size_t size);   /* sync/gitrepo.h tree walker */
int cts_fuzz_html(const uint8_t *data, size_t size);      /* src/ui/html.h */
int cts_fuzz_uireq(const uint8_t *data, size_t size);     /* src/ui/app.h request handling */

/* Name of the input being replayed (set by the replay test; NULL under
 * libFuzzer, which names the input itself). Shown by cts_fuzz_fail(). */
extern const char *cts_fuzz_current_input;

/* Called by cts_fuzz_fail() before it aborts (NULL: nothing), so that a
 * harness can remove its temporary files. */
extern void (*cts_fuzz_on_fail)(void);

/* Report a violated property and abort. */
_Noreturn void cts_fuzz_fail(const char *file, int line, const char *what);

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			cts_fuzz_fail(__FILE__, __LINE__, #cond);                                  \
	} while (0)

/* The error contract of error.h after a call that returned rc < 0: a
 * message was recorded, it is valid UTF-8 (users and --json read it), and
 * the recorded code is rc. */
void cts_fuzz_check_error(int rc);

/* A NUL-terminated malloc'd copy of data[0..size) (aborts on ENOMEM). */
char *cts_fuzz_strndup(const uint8_t *data, size_t size);

#endif
