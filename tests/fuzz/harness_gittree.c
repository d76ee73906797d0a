/*
 * The git tree walker used by import and audit (sync/gitrepo.h:
 * cts_gitrepo_list_dir, cts_gitrepo_read_file) on hostile tree objects.
 *
 * Once per process the harness creates a throwaway bare repository in a
 * temporary directory ($TMPDIR or /tmp, removed at exit) holding a few
 * known objects (blobs of 0, 6 and 5000 bytes, an empty tree, a tree, a
 * commit), then puts an in-memory object backend (libgit2 mempack) in
 * front of it, emptied after every input, so that millions of inputs write
 * nothing to disk.
 *
 * Input: up to four raw tree objects separated by "--next--". A 20-byte
 * object id written as nineteen 0xab bytes and one index byte is replaced,
 * before the tree is stored, by the id of tree number index (1..3, a later
 * chunk) or of known object 0x10 + K_* (see the enum below), so that trees can
 * nest and point at real blobs, trees and commits. Chunk 0 is stored as
 * directory "r" of a root tree, and a commit points at that root.
 * The walk lists "r" and every subdirectory down to MAX_DEPTH, reads every
 * entry as a file, and stops after MAX_VISITS entries.
 * Properties: nothing crashes or reads out of bounds; every listed name is
 * non-empty, at most 255 bytes, without '/', not "." or ".."; a listing
 * gives at most max_entries entries; a file read gives at most max_size
 * bytes, NUL-terminated, and only for a regular blob entry of the listed
 * size; errors carry the error contract, with CTS_EINVAL, CTS_ELIMIT,
 * CTS_ENOTFOUND (read only) or CTS_EGIT (unreadable object).
 */
#define _XOPEN_SOURCE 700
#include "harness.h"

#include "error.h"
#include "gitrepo.h"
#include "gitrepo_impl.h" /* cts_gitrepo_raw, git_oid <-> cts_gitoid */

#include <ftw.h>
#include <git2.h>
#include <git2/sys/mempack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHUNKS 4
#define MAX_DEPTH 6
#define MAX_VISITS 256
#define MAX_ENTRIES 64
#define MAX_FILE 4096
#define SEPARATOR "--next--"
#define PLACEHOLDER_BYTE 0xab

enum { K_HELLO, K_EMPTY_BLOB, K_BIG_BLOB, K_EMPTY_TREE, K_TREE, K_COMMIT, K_COUNT };

static struct {
	int ready;
	int verbose; /* CTS_FUZZ_VERBOSE=1: print what the walk meets */
	char dir[1024];
	cts_gitrepo *repo;
	git_odb *odb;
	git_odb_backend *mem;
	git_oid known[K_COUNT];
} G;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void teardown(void)
{
	git_odb_free(G.odb);
	G.odb = NULL;
	cts_gitrepo_free(G.repo);
	G.repo = NULL;
	if (G.dir[0])
		nftw(G.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	G.dir[0] = '\0';
}

/* On a violated property only the directory goes: the objects may be in
 * any state. */
static void remove_dir(void)
{
	if (G.dir[0])
		nftw(G.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	G.dir[0] = '\0';
}

static void put_object(git_oid *oid, const void *buf, size_t len, git_object_t type)
{
	FUZZ_CHECK(git_odb_write(oid, G.odb, buf, len, type) == 0);
}

static size_t tree_entry(unsigned char *dst, const char *mode, const char *name, const git_oid *oid)
{
	size_t n = (size_t)sprintf((char *)dst, "%s %s", mode, name) + 1; /* with its NUL */

	memcpy(dst + n, oid->id, GIT_OID_RAWSZ);
	return n + GIT_OID_RAWSZ;
}

static void commit_object(git_oid *out, const git_oid *tree)
{
	char hex[GIT_OID_HEXSZ + 1], buf[256];
	int n;

	git_oid_tostr(hex, sizeof(hex), tree);
	n = snprintf(buf, sizeof(buf),
	             "tree %s\nauthor Fuzz <fuzz@example.org> 0 +0000\n"
	             "committer Fuzz <fuzz@example.org> 0 +0000\n\nfuzz\n",
	             hex);
	put_object(out, buf, (size_t)n, GIT_OBJECT_COMMIT);
}

static void setup(void)
{
	static char big[5000];
	unsigned char tree[256];
	char path[1100];
	const char *tmp = getenv("TMPDIR");
	size_t n;

	if (G.ready)
		return;
	FUZZ_CHECK(cts_git_init() == 0);
	git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
	snprintf(G.dir, sizeof(G.dir), "%s/cts-fuzz-gittree-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	FUZZ_CHECK(mkdtemp(G.dir) != NULL);
	atexit(teardown);
	cts_fuzz_on_fail = remove_dir;
	snprintf(path, sizeof(path), "%s/repo.git", G.dir);
	FUZZ_CHECK(cts_gitrepo_open(&G.repo, path) == 0);
	FUZZ_CHECK(git_repository_odb(&G.odb, cts_gitrepo_raw(G.repo)) == 0);

	/* Known objects, on disk. */
	memset(big, 'x', sizeof(big));
	put_object(&G.known[K_HELLO], "hello\n", 6, GIT_OBJECT_BLOB);
	put_object(&G.known[K_EMPTY_BLOB], "", 0, GIT_OBJECT_BLOB);
	put_object(&G.known[K_BIG_BLOB], big, sizeof(big), GIT_OBJECT_BLOB);
	put_object(&G.known[K_EMPTY_TREE], "", 0, GIT_OBJECT_TREE);
	n = tree_entry(tree, "100644", "000000000001.json", &G.known[K_HELLO]);
	n += tree_entry(tree + n, "40000", "sub", &G.known[K_EMPTY_TREE]);
	put_object(&G.known[K_TREE], tree, n, GIT_OBJECT_TREE);
	commit_object(&G.known[K_COMMIT], &G.known[K_TREE]);

	/* Everything else goes to memory, in front of the disk backends. */
	FUZZ_CHECK(git_mempack_new(&G.mem) == 0);
	FUZZ_CHECK(git_odb_add_backend(G.odb, G.mem, 1000) == 0);
	G.verbose = getenv("CTS_FUZZ_VERBOSE") != NULL;
	G.ready = 1;
}

/* Replace placeholders by real ids: tree chunk idx (> self, < nchunks) or
 * known object 0x10 + k. */
static void patch(unsigned char *buf, size_t len, size_t self, size_t nchunks,
                  const git_oid *chunk_oid)
{
	for (size_t i = 0; i + GIT_OID_RAWSZ <= len; i++) {
		size_t k;
		unsigned idx;

		for (k = 0; k < GIT_OID_RAWSZ - 1 && buf[i + k] == PLACEHOLDER_BYTE; k++)
			;
		if (k < GIT_OID_RAWSZ - 1)
			continue;
		idx = buf[i + GIT_OID_RAWSZ - 1];
		if (idx > self && idx < nchunks)
			memcpy(buf + i, chunk_oid[idx].id, GIT_OID_RAWSZ);
		else if (idx >= 0x10 && idx < 0x10 + K_COUNT)
			memcpy(buf + i, G.known[idx - 0x10].id, GIT_OID_RAWSZ);
		else
			continue;
		i += GIT_OID_RAWSZ - 1;
	}
}

typedef struct {
	char name[256];
	git_oid oid;
	size_t size;
	unsigned mode;
} entry;

typedef struct {
	entry e[MAX_ENTRIES];
	size_t n;
} listing;

static int collect(const char *name, const cts_gitoid *oid, size_t size, unsigned filemode,
                   void *ctx)
{
	listing *l = ctx;
	size_t len;

	FUZZ_CHECK(name != NULL);
	len = strlen(name);
	FUZZ_CHECK(len >= 1 && len <= 255);
	FUZZ_CHECK(strchr(name, '/') == NULL);
	FUZZ_CHECK(strcmp(name, ".") != 0 && strcmp(name, "..") != 0);
	FUZZ_CHECK(oid != NULL);
	FUZZ_CHECK(l->n < MAX_ENTRIES);
	memcpy(l->e[l->n].name, name, len + 1);
	l->e[l->n].oid = *cts_git_oid(oid);
	l->e[l->n].size = size;
	l->e[l->n].mode = filemode;
	l->n++;
	return 0;
}

/* Read path as a file. e: its listed entry when the listing holds no other
 * entry of that name (a lookup by name finds that one entry or nothing,
 * even in an unsorted tree), else NULL. */
static int read_one(const git_oid *commit, const char *path, const entry *e)
{
	unsigned char *data = NULL;
	size_t len = 0;
	int rc;

	cts_error_clear();
	rc = cts_gitrepo_read_file(G.repo, cts_gitoid_of(commit), path, MAX_FILE, &data, &len);
	if (G.verbose)
		fprintf(stderr, "read %s: %d %zu %s\n", path, rc, len,
		        rc < 0 ? cts_error_message() : "");
	if (rc < 0) {
		cts_fuzz_check_error(rc);
		FUZZ_CHECK(rc == CTS_ENOTFOUND || rc == CTS_EINVAL || rc == CTS_ELIMIT ||
		           rc == CTS_EGIT);
		FUZZ_CHECK(data == NULL);
		return rc;
	}
	FUZZ_CHECK(data != NULL);
	FUZZ_CHECK(len <= MAX_FILE);
	FUZZ_CHECK(data[len] == '\0');
	if (e) {
		/* Only regular blobs are files, and the size is the listed one. */
		FUZZ_CHECK(e->mode == GIT_FILEMODE_BLOB || e->mode == GIT_FILEMODE_BLOB_EXECUTABLE);
		FUZZ_CHECK(len == e->size);
	}
	free(data);
	return 0;
}

static int unique(const listing *l, size_t i)
{
	for (size_t j = 0; j < l->n; j++)
		if (j != i && strcmp(l->e[j].name, l->e[i].name) == 0)
			return 0;
	return 1;
}

static void walk(const git_oid *commit, const char *dir, int depth, int *visits)
{
	listing *l = calloc(1, sizeof(*l));
	int rc;

	FUZZ_CHECK(l != NULL);
	cts_error_clear();
	rc = cts_gitrepo_list_dir(G.repo, cts_gitoid_of(commit), dir, MAX_ENTRIES, collect, l);
	if (G.verbose)
		fprintf(stderr, "list %s: %d, %zu entries %s\n", dir, rc, l->n,
		        rc < 0 ? cts_error_message() : "");
	if (rc < 0) {
		cts_fuzz_check_error(rc);
		FUZZ_CHECK(rc == CTS_EINVAL || rc == CTS_ELIMIT || rc == CTS_EGIT);
		free(l);
		return;
	}
	for (size_t i = 0; i < l->n && *visits < MAX_VISITS; i++) {
		const entry *e = &l->e[i];
		size_t plen = strlen(dir) + 1 + strlen(e->name) + 1;
		char *path = malloc(plen);

		FUZZ_CHECK(path != NULL);
		snprintf(path, plen, "%s/%s", dir, e->name);
		(*visits)++;
		if (e->mode == GIT_FILEMODE_TREE && depth < MAX_DEPTH)
			walk(commit, path, depth + 1, visits);
		read_one(commit, path, unique(l, i) ? e : NULL);
		free(path);
	}
	free(l);
}

int cts_fuzz_gittree(const uint8_t *data, size_t size)
{
	git_oid chunk_oid[MAX_CHUNKS], root, commit;
	const uint8_t *start[MAX_CHUNKS];
	size_t len[MAX_CHUNKS], nchunks = 0, seplen = strlen(SEPARATOR);
	unsigned char top[64];
	int visits = 0;

	setup();
	/* Split into chunks. */
	{
		const uint8_t *p = data, *end = data + size;
		while (nchunks < MAX_CHUNKS - 1) {
			const uint8_t *q = NULL;
			for (const uint8_t *s = p; s + seplen <= end; s++) {
				if (memcmp(s, SEPARATOR, seplen) == 0) {
					q = s;
					break;
				}
			}
			if (!q)
				break;
			start[nchunks] = p;
			len[nchunks++] = (size_t)(q - p);
			p = q + seplen;
		}
		start[nchunks] = p;
		len[nchunks++] = (size_t)(end - p);
	}
	/* Store the trees, last first, so that earlier ones can name later ones. */
	for (size_t k = nchunks; k-- > 0;) {
		unsigned char *buf = malloc(len[k] ? len[k] : 1);
		FUZZ_CHECK(buf != NULL);
		if (len[k])
			memcpy(buf, start[k], len[k]);
		patch(buf, len[k], k, nchunks, chunk_oid);
		put_object(&chunk_oid[k], buf, len[k], GIT_OBJECT_TREE);
		free(buf);
	}
	put_object(&root, top, tree_entry(top, "40000", "r", &chunk_oid[0]), GIT_OBJECT_TREE);
	commit_object(&commit, &root);

	walk(&commit, "r", 0, &visits);
	FUZZ_CHECK(read_one(&commit, "r", NULL) == CTS_EINVAL); /* a directory */
	read_one(&commit, "r/changesets/x/000000000001.json", NULL);
	walk(&commit, "r/changesets", 0, &visits);

	FUZZ_CHECK(git_mempack_reset(G.mem) == 0);
	return 0;
}
