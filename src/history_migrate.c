#define _GNU_SOURCE /* asprintf */
/* Moving the history files of an earlier version (HOME/changesets/) into
 * the table `history` (history.h, cts_history_migrate). */
#include "history.h"

#include "crashpoint.h"
#include "error.h"
#include "tables.h" /* cts_valid_node_id */

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
	cts_node *n;
	char base[4200]; /* HOME/changesets */
	int left;        /* files left in place (counted by pass 2) */
	char first[512]; /* the first file pass 1 could not take, and why */
} migration;

/* A file pass 1 cannot take: the first one is named. */
static void keep(migration *m, const char *node, const char *name, const char *why)
{
	if (!m->first[0])
		snprintf(m->first, sizeof(m->first), "%s/%s (%s)", node, name, why);
}

/* "<12 digits>.json" or "<12 digits>.json.sig": seq and *is_sig; -1 otherwise. */
static int parse_name(const char *name, int64_t *seq, int *is_sig)
{
	size_t len = strlen(name);
	int64_t v = 0;

	*is_sig = len == 21 && strcmp(name + 17, ".sig") == 0;
	if ((len != 17 && !*is_sig) || strncmp(name + 12, ".json", 5) != 0)
		return -1;
	for (int i = 0; i < 12; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		v = v * 10 + (name[i] - '0');
	}
	*seq = v;
	return v >= 1 ? 0 : -1;
}

/* 1 if json parses as an object naming node and seq. */
static int json_names(const char *json, size_t len, const char *node, int64_t seq)
{
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
	const char *jn = json_string_value(json_object_get(root, "node"));
	json_t *js = json_object_get(root, "seq");
	int ok =
	    jn && strcmp(jn, node) == 0 && json_is_integer(js) && json_integer_value(js) == seq;

	json_decref(root);
	return ok;
}

/* Compare the stored (node, seq) with the bytes given (NULL: not compared):
 * 1 same, 0 absent, 2 another version, < 0 (other) an error. */
static int stored_same(migration *m, const char *node, int64_t seq, const char *json, size_t jl,
                       const char *sig, size_t sl)
{
	char *j = NULL, *s = NULL;
	size_t hjl = 0, hsl = 0;
	int rc = cts_history_get(m->n, node, seq, &j, &hjl, &s, &hsl);

	if (rc == CTS_ENOTFOUND) {
		cts_error_clear();
		return 0;
	}
	if (rc == 0)
		rc = (!json || (hjl == jl && memcmp(j, json, jl) == 0)) &&
		             (!sig || (hsl == sl && memcmp(s, sig, sl) == 0))
		         ? 1
		         : 2;
	free(j);
	free(s);
	return rc;
}

/* A file whose pair is gone (a move killed between the two deletions):
 * 1 when the table holds its bytes (pass 2 deletes it), else kept. */
static int lone_file(migration *m, const char *node, const char *name, int64_t seq, int is_sig)
{
	char path[4600], *data = NULL;
	size_t len = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/%s/%s", m->base, node, name);
	rc = cts_read_file(path, is_sig ? CTS_SIG_MAX_BYTES : CTS_CHANGESET_MAX_BYTES, &data, &len);
	if (rc == 0)
		rc = is_sig ? stored_same(m, node, seq, NULL, 0, data, len)
		            : stored_same(m, node, seq, data, len, NULL, 0);
	free(data);
	if (rc != 1)
		keep(m, node, name,
		     rc == 2 || rc == 0 ? "sans le fichier qui va avec" : cts_error_message());
	cts_error_clear();
	return rc == CTS_ENOMEM ? rc : 0;
}

/* Pass 1, one file: a readable pair goes into the table. */
static int insert_file(migration *m, const char *node, const char *name, int64_t seq, int is_sig)
{
	char *json = NULL, *sig = NULL;
	size_t jl = 0, sl = 0;
	int rc = cts_history_read(m->n->home, node, seq, &json, &jl, &sig, &sl);

	if (rc == CTS_ENOTFOUND) {
		cts_error_clear();
		return lone_file(m, node, name, seq, is_sig);
	}
	if (rc < 0) {
		if (!is_sig) /* the pair is reported once, by its .json */
			keep(m, node, name, cts_error_message());
		cts_error_clear();
		return rc == CTS_ENOMEM ? rc : 0;
	}
	if (is_sig) { /* the pair is handled with its .json */
		free(json);
		free(sig);
		return 0;
	}
	if (!json_names(json, jl, node, seq))
		keep(m, node, name, "ce n'est pas le changeset de ce nœud et de ce numéro");
	else if ((rc = stored_same(m, node, seq, json, jl, sig, sl)) == 0)
		rc = cts_history_write(m->n, node, seq, json, jl, sig, sl);
	else if (rc == 2)
		keep(m, node, name, "une autre version de ce changeset est déjà enregistrée");
	free(json);
	free(sig);
	return rc < 0 ? rc : 0;
}

/* Pass 2, one file: deleted when the table holds its bytes. */
static int delete_file(migration *m, const char *node, const char *name, int64_t seq, int is_sig)
{
	char path[4600], *data = NULL;
	size_t len = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/%s/%s", m->base, node, name);
	if (cts_read_file(path, is_sig ? CTS_SIG_MAX_BYTES : CTS_CHANGESET_MAX_BYTES, &data, &len) <
	    0) {
		cts_error_clear();
		m->left++;
		return 0;
	}
	rc = is_sig ? stored_same(m, node, seq, NULL, 0, data, len)
	            : stored_same(m, node, seq, data, len, NULL, 0);
	free(data);
	if (rc == 1) {
		if (unlink(path) != 0)
			return cts_error_set(CTS_EIO, "impossible de supprimer %s : %s", path,
			                     strerror(errno));
		cts_crashpoint();
		return 0;
	}
	m->left++;
	return rc < 0 ? rc : 0;
}

/* One node's folder, pass 1 (insert) or 2 (delete). */
static int walk_node(migration *m, const char *node, int pass)
{
	char dir[4600];
	DIR *d;
	struct dirent *de;
	int rc = 0;

	snprintf(dir, sizeof(dir), "%s/%s", m->base, node);
	if (!cts_valid_node_id(node) || !(d = opendir(dir))) {
		if (pass == 1)
			keep(m, node, "", "pas un dossier de nœud");
		else
			m->left++;
		return 0;
	}
	while (rc == 0 && (de = readdir(d))) {
		int64_t seq;
		int is_sig;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (strstr(de->d_name, ".tmp.")) { /* an interrupted write, never complete */
			if (pass == 2)
				unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		if (parse_name(de->d_name, &seq, &is_sig) < 0) {
			if (pass == 1)
				keep(m, node, de->d_name, "nom inattendu");
			else
				m->left++;
			continue;
		}
		rc = pass == 1 ? insert_file(m, node, de->d_name, seq, is_sig)
		               : delete_file(m, node, de->d_name, seq, is_sig);
	}
	closedir(d);
	if (pass == 2)
		rmdir(dir); /* fails, harmlessly, when something was kept */
	return rc;
}

static int walk(migration *m, int pass)
{
	DIR *d = opendir(m->base);
	struct dirent *de;
	int rc = 0;

	if (!d)
		return cts_error_set(CTS_EIO, "impossible de lire %s : %s", m->base,
		                     strerror(errno));
	while (rc == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			rc = walk_node(m, de->d_name, pass);
	closedir(d);
	return rc;
}

int cts_history_migrate(cts_node *n, char **notice)
{
	migration m = { .n = n };
	struct stat sb;
	int rc;

	*notice = NULL;
	snprintf(m.base, sizeof(m.base), "%s/changesets", n->home);
	if (lstat(m.base, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return 0;
	if ((rc = cts_store_begin(n->store)) < 0)
		return rc;
	if ((rc = walk(&m, 1)) < 0) {
		cts_store_rollback(n->store);
		return cts_error_prefix(rc, "passage de l'historique dans la base : ");
	}
	cts_crashpoint(); /* rows inserted, not committed */
	if ((rc = cts_store_commit(n->store)) < 0) {
		cts_store_rollback(n->store);
		return cts_error_prefix(rc, "passage de l'historique dans la base : ");
	}
	if ((rc = walk(&m, 2)) < 0)
		return cts_error_prefix(rc, "passage de l'historique dans la base : ");
	if (m.left == 0) {
		rmdir(m.base);
		return 0;
	}
	if (asprintf(notice,
	             "Attention : %d fichier(s) de l'ancien historique n'ont pas pu être "
	             "repris dans la base et restent dans %s : %s. Rien n'a été effacé ; "
	             "signalez-le à votre coordinateur régional.",
	             m.left, m.base, m.first[0] ? m.first : "fichier inattendu") < 0)
		*notice = NULL;
	return 0;
}
