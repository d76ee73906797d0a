#include "testutil.h"

#include "error.h"
#include "journal.h"
#include "key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *tu_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto out;
	buf = malloc((size_t)n + 1);
	if (!buf)
		goto out;
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
	if (len)
		*len = (size_t)n;
out:
	fclose(f);
	return buf;
}

char *tu_tmpdir(void)
{
	char tmpl[] = "/tmp/cts-test-XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? strdup(d) : NULL;
}

void tu_rmtree(const char *path)
{
	char cmd[4096];

	if (!path || strncmp(path, "/tmp/cts-test-", 14) != 0)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "rmtree failed: %s\n", path);
}

char *tu_path(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", a, b);
	return p;
}

cts_node *tu_node(const char *root, const char *name, const char *territory, cts_role role,
                  const char *authority_key)
{
	char home[512];
	cts_node *n = NULL;
	cts_node_params p = { .node_id = name,
		              .territory = territory,
		              .role = role,
		              .authority_key = authority_key };

	snprintf(home, sizeof(home), "%s/%s", root, name);
	if (cts_node_create(&n, home, &p) < 0) {
		fprintf(stderr, "création de %s : %s\n", name, cts_error_message());
		abort();
	}
	return n;
}

cts_node *tu_territory_node(const char *root, const char *name, const char *territory)
{
	char rname[96];
	char *auth = NULL;
	cts_node *region, *n;

	snprintf(rname, sizeof(rname), "region-of-%s", name);
	region = tu_node(root, rname, "region", CTS_ROLE_AUTHORITY, NULL);
	if (cts_store_meta_get(region->store, "public_key", &auth) < 0) {
		fprintf(stderr, "clé de %s : %s\n", rname, cts_error_message());
		abort();
	}
	n = tu_node(root, name, territory, CTS_ROLE_TERRITORY, auth);
	free(auth);
	cts_node_free(region);
	return n;
}

void tu_seal(cts_node *n)
{
	char *path = cts_node_path(n, "node.key");
	cts_key *k = NULL;

	if (!path || cts_key_load(&k, path, NULL) < 0 || cts_journal_seal(n, k, NULL) < 0) {
		fprintf(stderr, "scellement de %s : %s\n", n->id, cts_error_message());
		abort();
	}
	cts_key_free(k);
	free(path);
}
