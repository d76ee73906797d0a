/* Small helpers shared by the unit tests. */
#ifndef CTS_TESTUTIL_H
#define CTS_TESTUTIL_H

#include "node.h"

#include <stddef.h>

/* Read a whole file into a NUL-terminated malloc'd buffer; *len gets the
 * byte count. Returns NULL on failure. Caller frees. */
char *tu_read_file(const char *path, size_t *len);

/* Make a fresh temporary directory; returns a malloc'd path. */
char *tu_tmpdir(void);

/* Remove a directory tree (rm -rf). */
void tu_rmtree(const char *path);

/* Path join into a malloc'd string: "a/b". */
char *tu_path(const char *a, const char *b);

/* Create node `name` under root (no passphrase); on failure print the
 * error and abort, which fails the test. */
cts_node *tu_node(const char *root, const char *name, const char *territory, cts_role role,
                  const char *authority_key);

/* A territory node `name` of `territory` under root, whose pinned
 * authority is a region node made for it under root (then closed): for
 * tests of local writes. Aborts on failure. */
cts_node *tu_territory_node(const char *root, const char *name, const char *territory);

/* Seal n's pending operations with its own key; abort on failure. */
void tu_seal(cts_node *n);

#endif
