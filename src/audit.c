#include "audit.h"

#include "auditmap.h"

#include "changeset.h"
#include "commitsig.h"
#include "error.h"
#include "forkproof.h"
#include "gitrepo.h"
#include "hlc.h"
#include "importer.h"
#include "jcs.h"
#include "key.h"
#include "node.h"
#include "precheck.h"
#include "record.h"
#include "report.h"
#include "rules.h"
#include "sshsig.h"
#include "tables.h"

#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define COMMIT_MAX_BYTES (1u << 20) /* a commit object: headers + message */
#define PATH_MAX_AUDIT 1024
#define DETAIL_MAX 1200
#define DEFAULT_PROGRESS_EVERY 500
#define REPORT_MAX_DIFFS 20

/* ---- small helpers ---- */

/* Make s (in place) a valid UTF-8 string without control characters:
 * cut an incomplete final sequence, then, if still invalid, replace every
 * non-ASCII byte by '?'. Repository bytes end up in JSON and on terminals. */
static void sanitize(char *s)
{
	size_t n = strlen(s), k;

	/* Drop a truncated multi-byte sequence at the end. */
	for (k = 0; k < 4 && k < n; k++) {
		unsigned char c = (unsigned char)s[n - 1 - k];
		if ((c & 0xC0) != 0x80) {
			size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
			if (need > k + 1)
				s[n - 1 - k] = '\0';
			break;
		}
	}
	n = strlen(s);
	if (!cts_utf8_valid(s, n)) {
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)s[i] >= 0x80)
				s[i] = '?';
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = ' ';
}

/* A JSON string of a sanitized copy of s; null for NULL. New reference. */
static json_t *jstr(const char *s)
{
	char buf[PATH_MAX_AUDIT + 64];

	if (!s)
		return json_null();
	snprintf(buf, sizeof(buf), "%s", s);
	sanitize(buf);
	return json_string(buf);
}

static void oid_hex(char out[GIT_OID_HEXSZ + 1], const git_oid *oid)
{
	git_oid_tostr(out, GIT_OID_HEXSZ + 1, oid);
}

static int is_hex(const char *s, size_t n)
{
	if (!s || strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* "YYYY-MM-DDTHH:MM:SS[.f]Z" (already validated by the changeset parser)
 * to milliseconds since the epoch. */
static int parse_time_ms(const char *s, uint64_t *ms)
{
	struct tm tm;
	int y, mo, d, h, mi, se;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &se) != 6)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	t = timegm(&tm);
	if (t < 0)
		return -1;
	*ms = (uint64_t)t * 1000;
	return 0;
}

/* rm -rf of a directory this module created (no symlink is followed). */
static void remove_tree(const char *path)
{
	struct stat sb;
	DIR *d;
	struct dirent *de;

	if (!path || !*path || lstat(path, &sb) != 0)
		return;
	if (S_ISDIR(sb.st_mode) && (d = opendir(path))) {
		while ((de = readdir(d))) {
			char sub[4200];
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) <
			    (int)sizeof(sub))
				remove_tree(sub);
		}
		closedir(d);
		rmdir(path);
		return;
	}
	unlink(path);
}

/* A new private temporary directory under $TMPDIR (else /tmp) into buf. */
static int make_tmpdir(char *buf, size_t size, const char *what)
{
	const char *base = getenv("TMPDIR");

	if (!base || !*base || base[0] != '/')
		base = "/tmp";
	if (snprintf(buf, size, "%s/ctsnode-audit-%s-XXXXXX", base, what) >= (int)size)
		return cts_error_set(CTS_EINVAL, "TMPDIR trop long");
	if (!mkdtemp(buf))
		return cts_error_set(CTS_EIO, "dossier temporaire impossible à créer dans %s : %s",
		                     base, strerror(errno));
	return 0;
}

/* ---- the audit state ---- */

enum { BR_NODE, BR_BADNODE, BR_REGION, BR_OTHER };

typedef struct {
	char *name;    /* short ref name: "nodes/x", "region", ... (sanitized) */
	char node[65]; /* owner for BR_NODE */
	int kind;
	git_oid tip;
	git_oid *commits; /* oldest first */
	size_t ncommits, cap;
	int walk_failed;
	int index;          /* in audit.br: its key in the audit map */
	cts_auditmap *map;  /* the audit's: which commit last wrote each own file */
} branch;

typedef struct {
	int64_t seq;
	git_oid json, sig;
	size_t json_size, sig_size;
	int has_json, has_sig;
} tip_entry;

typedef struct {
	cts_gitrepo *repo;
	const cts_audit_options *opt;
	char prefix[32];
	branch *br;
	size_t nbr, cap_br;
	json_t *findings; /* array */
	size_t findings_total;
	json_t *notices; /* array: what is as expected but worth saying (not findings) */
	json_t *nodes;       /* node -> summary */
	json_t *registry;    /* node -> entry */
	json_t *reg_by_rid;  /* registry record id -> node */
	json_t *cp_state;    /* checkpoint record id -> merged fields */
	json_t *checkpoints; /* array of {node, seq, changeset, by_seq} */
	json_t *cp_seen;     /* dedup key -> true */
	cts_auditmap *map;   /* versions of every changeset (forks), commits of files */
	json_t *cp_wanted;   /* "node/seq" certified by a checkpoint -> true (after the authority) */
	json_t *cp_ids;      /* blob hex of such a changeset -> its id (check_checkpoints) */
	json_t *witness;     /* node -> {"seq", "by", "by_seq"}: highest seq some accepted changeset saw */
	json_t *unverified;  /* [{"node", "seq", "by", "by_seq"}]: fork records not carrying both bodies */
	struct vpool_s *pool; /* changeset verification workers */
	char authority[65];
	char authority_key[128];
	unsigned char authority_pk[32];
	char region[65];
	size_t commits_visited;
	size_t commits_diffed;
	size_t changesets_seen;
	size_t progress_every;
	int oom;
	int budget_reported;
} audit;

static json_t *node_summary(audit *a, const char *node)
{
	json_t *s;

	if (!node || !cts_valid_node_id(node))
		return NULL;
	if ((s = json_object_get(a->nodes, node)))
		return s;
	s = json_pack("{s:i, s:i, s:i, s:n, s:n, s:i, s:n, s:n, s:i, s:n}", "changesets", 0, "verified",
	              0, "findings", 0, "territory", "role", "last_seq", 0, "head", "head_id", "commits", 0,
	              "revoked_after");
	if (!s || json_object_set_new(a->nodes, node, s) < 0) {
		a->oom = 1;
		return NULL;
	}
	return s;
}

static void summary_add(audit *a, const char *node, const char *field, json_int_t delta)
{
	json_t *s = node_summary(a, node);

	if (s)
		json_object_set_new(
		    s, field, json_integer(json_integer_value(json_object_get(s, field)) + delta));
}

/* Append one {"kind", "node", "seq", "commit", "file", "branch", "detail"}
 * to arr (at most CTS_AUDIT_MAX_FINDINGS kept). */
static void entry_add(audit *a, json_t *arr, const char *kind, const char *node, int64_t seq,
                      const git_oid *commit, const char *file, const char *branch_name,
                      const char *fmt, va_list ap)
{
	char detail[DETAIL_MAX], hex[GIT_OID_HEXSZ + 1];
	json_t *f;

	if (json_array_size(arr) >= CTS_AUDIT_MAX_FINDINGS)
		return;
	vsnprintf(detail, sizeof(detail), fmt, ap);
	sanitize(detail);
	if (commit)
		oid_hex(hex, commit);
	f = json_object();
	if (!f) {
		a->oom = 1;
		return;
	}
	json_object_set_new(f, "kind", json_string(kind));
	json_object_set_new(f, "node", jstr(node));
	json_object_set_new(f, "seq", seq > 0 ? json_integer((json_int_t)seq) : json_null());
	json_object_set_new(f, "commit", commit ? json_string(hex) : json_null());
	json_object_set_new(f, "file", jstr(file));
	json_object_set_new(f, "branch", jstr(branch_name));
	json_object_set_new(f, "detail", json_string(detail));
	if (json_array_append_new(arr, f) < 0)
		a->oom = 1;
}

/* Record a finding. node, commit, file, branch may be NULL; seq <= 0: none. */
static void finding(audit *a, const char *kind, const char *node, int64_t seq,
                    const git_oid *commit, const char *file, const char *branch_name,
                    const char *fmt, ...) __attribute__((format(printf, 8, 9)));
static void finding(audit *a, const char *kind, const char *node, int64_t seq,
                    const git_oid *commit, const char *file, const char *branch_name,
                    const char *fmt, ...)
{
	va_list ap;

	a->findings_total++;
	if (node && cts_valid_node_id(node))
		summary_add(a, node, "findings", 1);
	va_start(ap, fmt);
	entry_add(a, a->findings, kind, node, seq, commit, file, branch_name, fmt, ap);
	va_end(ap);
}

/* Record a notice: expected, said, not a finding (the verdict and --state
 * do not depend on it). */
static void notice(audit *a, const char *kind, const char *node, int64_t seq,
                   const git_oid *commit, const char *file, const char *branch_name,
                   const char *fmt, ...) __attribute__((format(printf, 8, 9)));
static void notice(audit *a, const char *kind, const char *node, int64_t seq,
                   const git_oid *commit, const char *file, const char *branch_name,
                   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	entry_add(a, a->notices, kind, node, seq, commit, file, branch_name, fmt, ap);
	va_end(ap);
}

static void progress(audit *a, const char *phase, int force)
{
	if (!a->opt->progress)
		return;
	if (force || a->changesets_seen % a->progress_every == 0)
		a->opt->progress(phase, a->changesets_seen, a->opt->progress_ctx);
}

static void changeset_path(char *buf, size_t size, const char *node, int64_t seq, int sig)
{
	cts_changeset_path(buf, size, node, seq);
	if (sig)
		snprintf(buf + strlen(buf), size - strlen(buf), ".sig");
}

static branch *find_branch(audit *a, const char *name)
{
	for (size_t i = 0; i < a->nbr; i++)
		if (strcmp(a->br[i].name, name) == 0)
			return &a->br[i];
	return NULL;
}

static branch *node_branch(audit *a, const char *node)
{
	char name[80];

	snprintf(name, sizeof(name), "nodes/%s", node);
	return find_branch(a, name);
}

/* The commit that wrote `path` on branch b, or b's tip. */
static const git_oid *commit_of(branch *b, const char *path, git_oid *buf)
{
	if (!b)
		return NULL;
	if (cts_auditmap_get_introduced(b->map, b->index, path, buf->id) == 1)
		return buf;
	cts_error_clear();
	return &b->tip;
}

/* Read a blob by id, refusing anything larger than max. *data malloc'd.
 * known_size: the blob's size when its header was already read (a blob
 * listed by cts_gitrepo_list_dir), else NULL. */
static int read_blob(audit *a, const git_oid *oid, const size_t *known_size, size_t max,
                     char **data, size_t *len)
{
	git_odb *odb = NULL;
	git_object_t type;
	git_blob *blob = NULL;
	size_t size;
	int rc;

	*data = NULL;
	if (known_size) {
		size = *known_size;
	} else {
		if (git_repository_odb(&odb, cts_gitrepo_raw(a->repo)) < 0)
			return cts_error_set(CTS_EGIT, "base d'objets illisible");
		rc = git_odb_read_header(&size, &type, odb, oid);
		git_odb_free(odb);
		if (rc < 0 || type != GIT_OBJECT_BLOB)
			return cts_error_set(CTS_EINVAL,
			                     "objet illisible ou qui n'est pas un fichier");
	}
	if (size > max)
		return cts_error_set(CTS_ELIMIT, "fichier trop gros (%zu octets, maximum %zu)",
		                     size, max);
	if (git_blob_lookup(&blob, cts_gitrepo_raw(a->repo), oid) < 0)
		return cts_error_set(CTS_EINVAL, "fichier illisible");
	size = (size_t)git_blob_rawsize(blob);
	if (size > max || !(*data = malloc(size + 1))) {
		git_blob_free(blob);
		return size > max ? cts_error_set(CTS_ELIMIT, "fichier trop gros")
		                  : cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	memcpy(*data, git_blob_rawcontent(blob), size);
	(*data)[size] = '\0';
	*len = size;
	git_blob_free(blob);
	return 0;
}

/* ---- branches ---- */

typedef struct {
	audit *a;
	int rc;
} refs_ctx;

static int collect_ref(const char *ref, const git_oid *oid, void *vctx)
{
	refs_ctx *c = vctx;
	audit *a = c->a;
	const char *name = ref + strlen(a->prefix);
	branch *b;

	if (strcmp(name, "HEAD") == 0)
		return 0;
	if (a->nbr >= CTS_AUDIT_MAX_BRANCHES) {
		c->rc = cts_error_set(CTS_ELIMIT, "trop de branches dans le dépôt (plus de %d)",
		                      CTS_AUDIT_MAX_BRANCHES);
		return 1;
	}
	if (a->nbr == a->cap_br) {
		size_t cap = a->cap_br ? a->cap_br * 2 : 16;
		branch *p = realloc(a->br, cap * sizeof(*p));
		if (!p) {
			c->rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
			return 1;
		}
		a->br = p;
		a->cap_br = cap;
	}
	b = &a->br[a->nbr];
	memset(b, 0, sizeof(*b));
	b->index = (int)a->nbr;
	b->map = a->map;
	if (!(b->name = strdup(name))) {
		c->rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		return 1;
	}
	sanitize(b->name);
	git_oid_cpy(&b->tip, oid);
	if (strcmp(name, "region") == 0) {
		b->kind = BR_REGION;
	} else if (strncmp(name, "nodes/", 6) == 0) {
		if (cts_valid_node_id(name + 6)) {
			b->kind = BR_NODE;
			snprintf(b->node, sizeof(b->node), "%s", name + 6);
		} else {
			b->kind = BR_BADNODE;
		}
	} else {
		b->kind = BR_OTHER;
	}
	a->nbr++;
	return 0;
}

static int branch_cmp(const void *x, const void *y)
{
	return strcmp(((const branch *)x)->name, ((const branch *)y)->name);
}

static int has_contract_refs(cts_gitrepo *repo, const char *prefix)
{
	char glob[64], ref[64];
	git_oid oid;
	int found = 0;
	git_reference_iterator *it = NULL;
	git_reference *r = NULL;

	snprintf(ref, sizeof(ref), "%sregion", prefix);
	if (git_reference_name_to_id(&oid, cts_gitrepo_raw(repo), ref) == 0)
		return 1;
	snprintf(glob, sizeof(glob), "%snodes/*", prefix);
	if (git_reference_iterator_glob_new(&it, cts_gitrepo_raw(repo), glob) == 0) {
		if (git_reference_next(&r, it) == 0) {
			found = 1;
			git_reference_free(r);
		}
		git_reference_iterator_free(it);
	}
	git_error_clear();
	return found;
}

static int load_branches(audit *a)
{
	refs_ctx c = {a, 0};
	char glob[64];
	int rc;

	/* A bare mirror has refs/heads/...; a plain clone, refs/remotes/origin/... */
	snprintf(a->prefix, sizeof(a->prefix), "refs/heads/");
	if (!has_contract_refs(a->repo, a->prefix) &&
	    has_contract_refs(a->repo, "refs/remotes/origin/"))
		snprintf(a->prefix, sizeof(a->prefix), "refs/remotes/origin/");
	snprintf(glob, sizeof(glob), "%s*", a->prefix);
	rc = cts_gitrepo_refs_foreach(a->repo, glob, collect_ref, &c);
	if (c.rc < 0)
		return c.rc;
	if (rc < 0)
		return rc;
	if (a->nbr > 1)
		qsort(a->br, a->nbr, sizeof(*a->br), branch_cmp);
	return 0;
}

/* ---- commit walk and tree diffs ---- */

static int walk_cb(const git_oid *commit, void *vctx)
{
	void **ctx = vctx;
	audit *a = ctx[0];
	branch *b = ctx[1];

	if (a->commits_visited >= CTS_AUDIT_MAX_COMMITS) {
		if (!a->budget_reported) {
			finding(a, "unreadable_history", b->kind == BR_NODE ? b->node : NULL, 0,
			        &b->tip, NULL, b->name,
			        "historique trop long : plus de %d commits dans le dépôt, la "
			        "vérification s'arrête là",
			        CTS_AUDIT_MAX_COMMITS);
			a->budget_reported = 1;
		}
		b->walk_failed = 1;
		return 1;
	}
	if (b->ncommits == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		git_oid *p = realloc(b->commits, cap * sizeof(*p));
		if (!p) {
			a->oom = 1;
			return 1;
		}
		b->commits = p;
		b->cap = cap;
	}
	git_oid_cpy(&b->commits[b->ncommits++], commit);
	a->commits_visited++;
	return 0;
}

enum { CH_ADD, CH_MOD, CH_DEL };

typedef struct {
	audit *a;
	branch *b;
	const git_oid *commit;
	size_t changes;
	int stop;
} diff_ctx;

/* "changesets/<x>/<name>": *x (65) and *name pointer into path; 1 if so. */
static int split_changeset_path(const char *path, char x[65], const char **name)
{
	const char *p, *slash;

	if (strncmp(path, "changesets/", 11) != 0)
		return 0;
	p = path + 11;
	if (!(slash = strchr(p, '/')) || slash == p || (size_t)(slash - p) > 64)
		return 0;
	memcpy(x, p, (size_t)(slash - p));
	x[slash - p] = '\0';
	*name = slash + 1;
	return 1;
}

/* A changeset or signature file name: seq, and *is_sig. 0 ok, -1 not. */
static int parse_file_name(const char *name, int64_t *seq, int *is_sig)
{
	char buf[32];
	size_t n = strlen(name);

	*is_sig = 0;
	if (n == 21 && strcmp(name + 17, ".sig") == 0) {
		memcpy(buf, name, 17);
		buf[17] = '\0';
		*is_sig = 1;
		name = buf;
	}
	if (cts_changeset_parse_name(name, seq) < 0) {
		cts_error_clear();
		return -1;
	}
	return 0;
}

static void add_variant(audit *a, const char *node, int64_t seq, const git_oid *blob,
                        const char *branch_name, const git_oid *commit)
{
	if (cts_auditmap_add_version(a->map, node, seq, blob->id, branch_name, commit->id) < 0)
		a->oom = 1;
}

static void set_introduced(audit *a, branch *b, const char *path, const git_oid *commit)
{
	if (cts_auditmap_set_introduced(a->map, b->index, path, commit->id) < 0)
		a->oom = 1;
}

static void on_change(diff_ctx *d, int what, const char *path, const git_tree_entry *old,
                      const git_tree_entry *new)
{
	audit *a = d->a;
	branch *b = d->b;
	char x[65], hex[GIT_OID_HEXSZ + 1];
	const char *name = NULL;
	int64_t seq = 0;
	int is_sig = 0, under = split_changeset_path(path, x, &name);
	int named = under && parse_file_name(name, &seq, &is_sig) == 0;

	/* Fork evidence: every version of every changeset, on any branch. */
	if (new &&named && !is_sig && cts_valid_node_id(x) &&
	    git_tree_entry_type(new) == GIT_OBJECT_BLOB)
		add_variant(a, x, seq, git_tree_entry_id(new), b->name, d->commit);
	if (b->kind != BR_NODE)
		return;
	oid_hex(hex, d->commit);
	switch (what) {
	case CH_DEL:
		finding(a, "deleted_file", b->node, named ? seq : 0, d->commit, path, b->name,
		        "le commit supprime le fichier %s (une branche de nœud ne fait qu'ajouter)",
		        path);
		return;
	case CH_MOD:
		if (under)
			finding(a, "modified_changeset", b->node, named ? seq : 0, d->commit, path,
			        b->name,
			        "le commit modifie le fichier déjà publié %s (contenu%s changé) : "
			        "un changeset publié ne change jamais",
			        path,
			        git_tree_entry_filemode(old) != git_tree_entry_filemode(new)
			            ? " ou type"
			            : "");
		else
			finding(a, "modified_file", b->node, 0, d->commit, path, b->name,
			        "le commit modifie %s, hors des changesets du nœud", path);
		if (named && strcmp(x, b->node) == 0)
			set_introduced(a, b, path, d->commit);
		return;
	default:
		break;
	}
	if (under && strcmp(x, b->node) != 0) {
		finding(a, "foreign_file", b->node, named ? seq : 0, d->commit, path, b->name,
		        "la branche de %s ajoute %s, un fichier du nœud %s : chaque nœud n'écrit "
		        "que ses propres changesets",
		        b->node, path, x);
		return;
	}
	if (!under) {
		finding(a, "unexpected_file", b->node, 0, d->commit, path, b->name,
		        "la branche ajoute %s, hors de changesets/%s/", path, b->node);
		return;
	}
	if (!named) {
		finding(
		    a, "bad_file_name", b->node, 0, d->commit, path, b->name,
		    "nom de fichier inattendu %s (attendu : 12 chiffres puis .json ou .json.sig)",
		    path);
		return;
	}
	if (git_tree_entry_filemode(new) != GIT_FILEMODE_BLOB) {
		unsigned mode = (unsigned)git_tree_entry_filemode(new);
		finding(a, "bad_file_type", b->node, seq, d->commit, path, b->name,
		        "%s n'est pas un fichier ordinaire (mode %06o : %s)", path, mode,
		        mode == GIT_FILEMODE_LINK              ? "lien symbolique"
		        : mode == GIT_FILEMODE_COMMIT          ? "sous-module"
		        : mode == GIT_FILEMODE_BLOB_EXECUTABLE ? "fichier exécutable"
		                                               : "type inconnu");
		return;
	}
	set_introduced(a, b, path, d->commit);
}

/* Git's tree order: trees compare as if their name ended with '/'. */
static int entry_cmp(const git_tree_entry *x, const git_tree_entry *y)
{
	const char *a = git_tree_entry_name(x), *b = git_tree_entry_name(y);
	size_t al = strlen(a), bl = strlen(b), n = al < bl ? al : bl;
	int c = memcmp(a, b, n);
	unsigned ca, cb;

	if (c)
		return c;
	ca = al > n ? (unsigned char)a[n] : git_tree_entry_type(x) == GIT_OBJECT_TREE ? '/' : 0;
	cb = bl > n ? (unsigned char)b[n] : git_tree_entry_type(y) == GIT_OBJECT_TREE ? '/' : 0;
	return (int)ca - (int)cb;
}

static void diff_trees(diff_ctx *d, const git_tree *old, const git_tree *new, const char *prefix,
                       int depth);

/* A whole entry appears (what = CH_ADD) or disappears (CH_DEL). */
static void whole_entry(diff_ctx *d, int what, const git_tree_entry *e, const char *path, int depth)
{
	branch *b = d->b;
	git_tree *sub = NULL;

	if (git_tree_entry_type(e) != GIT_OBJECT_TREE) {
		if (++d->changes > CTS_AUDIT_MAX_CHANGES) {
			finding(d->a, "unreadable_history", b->kind == BR_NODE ? b->node : NULL, 0,
			        d->commit, NULL, b->name,
			        "le commit change plus de %d fichiers : vérification arrêtée",
			        CTS_AUDIT_MAX_CHANGES);
			d->stop = 1;
			return;
		}
		on_change(d, what, path, what == CH_DEL ? e : NULL, what == CH_ADD ? e : NULL);
		return;
	}
	if (depth >= CTS_AUDIT_MAX_TREE_DEPTH) {
		if (b->kind == BR_NODE)
			finding(d->a, "unexpected_file", b->node, 0, d->commit, path, b->name,
			        "dossiers imbriqués trop profondément (%s)", path);
		return;
	}
	if (git_tree_lookup(&sub, cts_gitrepo_raw(d->a->repo), git_tree_entry_id(e)) < 0) {
		finding(d->a, "unreadable_history", b->kind == BR_NODE ? b->node : NULL, 0,
		        d->commit, path, b->name, "dossier %s illisible dans le dépôt", path);
		git_error_clear();
		return;
	}
	diff_trees(d, what == CH_DEL ? sub : NULL, what == CH_ADD ? sub : NULL, path, depth + 1);
	git_tree_free(sub);
}

static void diff_trees(diff_ctx *d, const git_tree *old, const git_tree *new, const char *prefix,
                       int depth)
{
	size_t no = old ? git_tree_entrycount(old) : 0, nn = new ? git_tree_entrycount(new) : 0,
	       i = 0, j = 0;
	branch *b = d->b;
	char path[PATH_MAX_AUDIT];

	if (no > CTS_AUDIT_MAX_DIR_ENTRIES || nn > CTS_AUDIT_MAX_DIR_ENTRIES) {
		finding(d->a, "unreadable_history", b->kind == BR_NODE ? b->node : NULL, 0,
		        d->commit, prefix, b->name,
		        "le dossier « %s » contient trop d'entrées (maximum %d)",
		        *prefix ? prefix : "/", CTS_AUDIT_MAX_DIR_ENTRIES);
		d->stop = 1;
		return;
	}
	while (!d->stop && (i < no || j < nn)) {
		const git_tree_entry *eo = i < no ? git_tree_entry_byindex(old, i) : NULL;
		const git_tree_entry *en = j < nn ? git_tree_entry_byindex(new, j) : NULL;
		int c = !eo ? 1 : !en ? -1 : entry_cmp(eo, en);
		const git_tree_entry *e = c < 0 ? eo : en;
		int n = snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "/" : "",
		                 git_tree_entry_name(e));

		if (n < 0 || (size_t)n >= sizeof(path)) {
			if (b->kind == BR_NODE)
				finding(d->a, "unexpected_file", b->node, 0, d->commit, prefix,
				        b->name, "nom de fichier trop long sous « %s »", prefix);
			if (c <= 0)
				i++;
			if (c >= 0)
				j++;
			continue;
		}
		if (c < 0) {
			whole_entry(d, CH_DEL, eo, path, depth);
			i++;
		} else if (c > 0) {
			whole_entry(d, CH_ADD, en, path, depth);
			j++;
		} else {
			if (!git_oid_equal(git_tree_entry_id(eo), git_tree_entry_id(en)) ||
			    git_tree_entry_filemode(eo) != git_tree_entry_filemode(en)) {
				if (git_tree_entry_type(eo) == GIT_OBJECT_TREE &&
				    git_tree_entry_type(en) == GIT_OBJECT_TREE) {
					git_tree *so = NULL, *sn = NULL;
					if (depth >= CTS_AUDIT_MAX_TREE_DEPTH) {
						if (b->kind == BR_NODE)
							finding(d->a, "unexpected_file", b->node, 0,
							        d->commit, path, b->name,
							        "dossiers imbriqués trop "
							        "profondément (%s)",
							        path);
					} else if (git_tree_lookup(&so, cts_gitrepo_raw(d->a->repo),
					                           git_tree_entry_id(eo)) < 0 ||
					           git_tree_lookup(&sn, cts_gitrepo_raw(d->a->repo),
					                           git_tree_entry_id(en)) < 0) {
						finding(d->a, "unreadable_history",
						        b->kind == BR_NODE ? b->node : NULL, 0,
						        d->commit, path, b->name,
						        "dossier %s illisible dans le dépôt", path);
						git_error_clear();
					} else {
						diff_trees(d, so, sn, path, depth + 1);
					}
					git_tree_free(so);
					git_tree_free(sn);
				} else if (++d->changes > CTS_AUDIT_MAX_CHANGES) {
					finding(d->a, "unreadable_history",
					        b->kind == BR_NODE ? b->node : NULL, 0, d->commit,
					        NULL, b->name,
					        "le commit change plus de %d fichiers : "
					        "vérification arrêtée",
					        CTS_AUDIT_MAX_CHANGES);
					d->stop = 1;
				} else {
					on_change(d, CH_MOD, path, eo, en);
				}
			}
			i++;
			j++;
		}
	}
}

/* Walk a branch (oldest first), diff each commit against its first parent. */
static int walk_branch(audit *a, branch *b)
{
	void *ctx[2] = {a, b};
	git_repository *r = cts_gitrepo_raw(a->repo);
	int rc;

	rc = cts_gitrepo_walk(a->repo, &b->tip, NULL, CTS_AUDIT_MAX_COMMITS, walk_cb, ctx);
	if (a->oom)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if (rc < 0) {
		finding(a, "unreadable_history", b->kind == BR_NODE ? b->node : NULL, 0, &b->tip,
		        NULL, b->name, "historique de la branche %s illisible : %s", b->name,
		        cts_error_message());
		cts_error_clear();
		b->walk_failed = 1;
		return 0;
	}
	for (size_t i = 0; i < b->ncommits; i++) {
		git_commit *c = NULL, *parent = NULL;
		git_tree *t = NULL, *pt = NULL;
		diff_ctx d = {a, b, &b->commits[i], 0, 0};

		if (git_commit_lookup(&c, r, &b->commits[i]) < 0 || git_commit_tree(&t, c) < 0 ||
		    (git_commit_parentcount(c) > 0 &&
		     (git_commit_parent(&parent, c, 0) < 0 || git_commit_tree(&pt, parent) < 0))) {
			finding(a, "unreadable_history", b->kind == BR_NODE ? b->node : NULL, 0,
			        &b->commits[i], NULL, b->name,
			        "commit, parent ou arbre illisible dans le dépôt");
			git_error_clear();
		} else {
			if (b->kind == BR_NODE && git_commit_parentcount(c) > 1)
				finding(a, "merge_commit", b->node, 0, &b->commits[i], NULL,
				        b->name,
				        "commit de fusion (%u parents) sur une branche de nœud, "
				        "qui ne fait qu'avancer en ligne droite",
				        git_commit_parentcount(c));
			diff_trees(&d, pt, t, "", 0);
		}
		if (a->opt->progress && ++a->commits_diffed % a->progress_every == 0)
			a->opt->progress("commits lus", a->commits_diffed, a->opt->progress_ctx);
		git_tree_free(pt);
		git_tree_free(t);
		git_commit_free(parent);
		git_commit_free(c);
		if (a->oom)
			return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	if (b->kind == BR_NODE)
		summary_add(a, b->node, "commits", (json_int_t)b->ncommits);
	return 0;
}

/* ---- commit signatures ---- */

/* The enrolled node whose key is pk, or NULL. Borrowed. */
static const char *node_of_key(audit *a, const unsigned char pk[32])
{
	const char *node;
	json_t *e;

	json_object_foreach(a->registry, node, e)
	{
		unsigned char k[32];
		if (cts_key_parse_public_line(k, json_string_value(json_object_get(e, "key"))) ==
		        0 &&
		    memcmp(k, pk, 32) == 0)
			return node;
	}
	cts_error_clear();
	return NULL;
}

static void check_commit_signature(audit *a, branch *b, const git_oid *commit, const char *owner,
                                   const unsigned char owner_pk[32])
{
	git_odb *odb = NULL;
	git_object_t type;
	size_t size = 0, plen, slen;
	char *raw = NULL, *payload = NULL, *sig = NULL;
	unsigned char signer[32];
	int nsig, rc;

	if (git_repository_odb(&odb, cts_gitrepo_raw(a->repo)) < 0 ||
	    git_odb_read_header(&size, &type, odb, commit) < 0) {
		git_odb_free(odb);
		git_error_clear();
		finding(a, "unreadable_history", owner, 0, commit, NULL, b->name,
		        "commit illisible");
		return;
	}
	git_odb_free(odb);
	if (size > COMMIT_MAX_BYTES) {
		finding(a, "too_large", owner, 0, commit, NULL, b->name,
		        "commit de %zu octets (maximum %u)", size, COMMIT_MAX_BYTES);
		return;
	}
	if ((rc = cts_gitrepo_commit_raw(a->repo, commit, &raw, &size)) < 0 ||
	    (rc = cts_commit_split(raw, size, &payload, &plen, &sig, &slen, &nsig)) < 0) {
		if (rc == CTS_ENOMEM)
			a->oom = 1;
		else
			finding(a, "unreadable_history", owner, 0, commit, NULL, b->name,
			        "commit illisible : %s", cts_error_message());
		cts_error_clear();
		goto cleanup;
	}
	if (nsig == 0) {
		finding(a, "unsigned_commit", owner, 0, commit, NULL, b->name,
		        "commit non signé sur la branche %s (signature SSH de %s attendue)",
		        b->name, owner);
		goto cleanup;
	}
	if (nsig > 1) {
		finding(a, "bad_commit_signature", owner, 0, commit, NULL, b->name,
		        "le commit porte %d en-têtes gpgsig (un seul attendu)", nsig);
		goto cleanup;
	}
	if (cts_sshsig_verify(sig, slen, NULL, "git", (const unsigned char *)payload, plen,
	                      signer) < 0) {
		finding(a, "bad_commit_signature", owner, 0, commit, NULL, b->name,
		        "signature du commit invalide : %s", cts_error_message());
		cts_error_clear();
		goto cleanup;
	}
	if (memcmp(signer, owner_pk, 32) != 0) {
		const char *who = node_of_key(a, signer);
		if (who)
			finding(a, "wrong_commit_signer", owner, 0, commit, NULL, b->name,
			        "commit de la branche %s signé par la clé du nœud %s et non par %s "
			        "(git verify-commit dirait "
			        "« Good signature » : il cherche le signataire d'après la clé, pas "
			        "d'après la branche)",
			        b->name, who, owner);
		else
			finding(a, "wrong_commit_signer", owner, 0, commit, NULL, b->name,
			        "commit de la branche %s signé par une clé que le registre "
			        "n'inscrit pas, et non par %s",
			        b->name, owner);
	}
cleanup:
	free(raw);
	free(payload);
	free(sig);
}

/* ---- registry replay (the authority's chain) ---- */

static json_t *reg_get(audit *a, const char *node)
{
	return node ? json_object_get(a->registry, node) : NULL;
}

static int reg_pk(json_t *e, unsigned char pk[32])
{
	int rc = cts_key_parse_public_line(pk, json_string_value(json_object_get(e, "key")));

	if (rc < 0)
		cts_error_clear();
	return rc;
}

static int64_t reg_revoked(json_t *e)
{
	json_t *v = json_object_get(e, "revoked_after");

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

/* check_registry_op of the importer, against the registry before the changeset. */
static int check_registry_op(audit *a, json_t *op, char *why, size_t whylen)
{
	const char *kind = json_string_value(json_object_get(op, "op"));
	const char *rid = json_string_value(json_object_get(op, "id"));
	json_t *set = json_object_get(op, "set");
	const char *node = json_string_value(json_object_get(set, "node"));
	const char *key = json_string_value(json_object_get(set, "key"));
	const char *terr = json_string_value(json_object_get(set, "territory_code"));
	const char *role = json_string_value(json_object_get(set, "role"));
	json_t *cur;

	if (strcmp(kind, "del") == 0) {
		snprintf(why, whylen,
		         "suppression d'une inscription (une inscription se révoque, elle ne se "
		         "supprime pas)");
		return -1;
	}
	if (json_object_get(set, "node") && !node) {
		snprintf(why, whylen, "registre : « node » invalide");
		return -1;
	}
	if (!node && !(node = json_string_value(json_object_get(a->reg_by_rid, rid)))) {
		snprintf(why, whylen, "registre : mise à jour d'une inscription inconnue (%s)",
		         rid);
		return -1;
	}
	if (cts_registry_check_entry(node, rid, set, why, whylen) < 0)
		return -1;
	if ((cur = reg_get(a, node))) {
		if ((key && strcmp(key, json_string_value(json_object_get(cur, "key"))) != 0) ||
		    (terr &&
		     strcmp(terr, json_string_value(json_object_get(cur, "territory"))) != 0) ||
		    (role && strcmp(role, json_string_value(json_object_get(cur, "role"))) != 0)) {
			snprintf(why, whylen,
			         "registre : la clé, le territoire ou le rôle de %.64s change (ils "
			         "sont immuables)",
			         node);
			return -1;
		}
	} else if (!key || !terr || !role) {
		snprintf(why, whylen,
		         "registre : inscription de %.64s incomplète (clé, territoire, rôle)",
		         node);
		return -1;
	}
	return 0;
}

/* Set e[field] = v (stolen) when hlc is not older than the field's last write. */
static void lww_set(json_t *e, const char *field, json_t *v, uint64_t hlc)
{
	char hk[64];
	json_t *h;

	snprintf(hk, sizeof(hk), "_hlc_%s", field);
	h = json_object_get(e, hk);
	if (h && (uint64_t)json_integer_value(h) > hlc) {
		json_decref(v);
		return;
	}
	json_object_set_new(e, field, v);
	json_object_set_new(e, hk, json_integer((json_int_t)hlc));
}

static void apply_registry_put(audit *a, json_t *op, uint64_t hlc)
{
	const char *rid = json_string_value(json_object_get(op, "id"));
	json_t *set = json_object_get(op, "set"), *e, *v;
	const char *node = json_string_value(json_object_get(set, "node")), *field;

	if (!node)
		node = json_string_value(json_object_get(a->reg_by_rid, rid));
	if (!node)
		return;
	if (!(e = reg_get(a, node))) {
		e = json_object();
		if (!e || json_object_set_new(a->registry, node, e) < 0 ||
		    json_object_set_new(a->reg_by_rid, rid, json_string(node)) < 0) {
			a->oom = 1;
			return;
		}
	}
	json_object_foreach(set, field, v)
	{
		if (strcmp(field, "key") == 0)
			lww_set(e, "key", json_incref(v), hlc);
		else if (strcmp(field, "territory_code") == 0)
			lww_set(e, "territory", json_incref(v), hlc);
		else if (strcmp(field, "role") == 0)
			lww_set(e, "role", json_incref(v), hlc);
		else if (strcmp(field, "revoked_after") == 0)
			lww_set(e, "revoked_after", json_incref(v), hlc);
	}
}

static void apply_checkpoint(audit *a, json_t *op, uint64_t hlc, int64_t by_seq)
{
	const char *rid = json_string_value(json_object_get(op, "id"));
	json_t *e = json_object_get(a->cp_state, rid), *set = json_object_get(op, "set"), *v;
	const char *field, *node, *cid;
	char key[200];

	if (strcmp(json_string_value(json_object_get(op, "op")), "del") == 0) {
		json_object_del(a->cp_state, rid);
		return;
	}
	if (!e) {
		e = json_object();
		if (!e || json_object_set_new(a->cp_state, rid, e) < 0) {
			a->oom = 1;
			return;
		}
	}
	json_object_foreach(set, field, v) lww_set(e, field, json_incref(v), hlc);
	node = json_string_value(json_object_get(e, "node"));
	cid = json_string_value(json_object_get(e, "changeset"));
	v = json_object_get(e, "seq");
	if (!node || !cid || !json_is_integer(v))
		return;
	snprintf(key, sizeof(key), "%.64s/%lld/%.64s", node, (long long)json_integer_value(v), cid);
	if (json_object_get(a->cp_seen, key))
		return;
	json_object_set_new(a->cp_seen, key, json_true());
	if (json_array_append_new(a->checkpoints,
	                          json_pack("{s:s, s:I, s:s, s:I}", "node", node, "seq",
	                                    json_integer_value(v), "changeset", cid, "by_seq",
	                                    (json_int_t)by_seq)) < 0)
		a->oom = 1;
}

/* ---- changeset chains ---- */

typedef struct {
	tip_entry *v;
	size_t n, cap;
	int oom;
} tip_list;

static int tip_cb(const char *name, const git_oid *oid, size_t size, unsigned filemode, void *vctx)
{
	tip_list *l = vctx;
	int64_t seq;
	int is_sig;
	tip_entry *e;

	if (parse_file_name(name, &seq, &is_sig) < 0 ||
	    (filemode != GIT_FILEMODE_BLOB && filemode != GIT_FILEMODE_BLOB_EXECUTABLE))
		return 0; /* reported by the commit diffs */
	if (l->n > 0 && l->v[l->n - 1].seq == seq) {
		e = &l->v[l->n - 1];
	} else {
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 64;
			tip_entry *p = realloc(l->v, cap * sizeof(*p));
			if (!p) {
				l->oom = 1;
				return 1;
			}
			l->v = p;
			l->cap = cap;
		}
		e = &l->v[l->n++];
		memset(e, 0, sizeof(*e));
		e->seq = seq;
	}
	if (is_sig) {
		e->has_sig = 1;
		git_oid_cpy(&e->sig, oid);
		e->sig_size = size;
	} else {
		e->has_json = 1;
		git_oid_cpy(&e->json, oid);
		e->json_size = size;
	}
	return 0;
}

static int tip_entry_cmp(const void *x, const void *y)
{
	int64_t a = ((const tip_entry *)x)->seq, b = ((const tip_entry *)y)->seq;

	return a < b ? -1 : a > b;
}

static int in_fork(audit *a, const char *node, int64_t seq)
{
	size_t n = 0;

	if (cts_auditmap_count_versions(a->map, node, seq, &n) < 0) {
		cts_error_clear();
		a->oom = 1;
	}
	return n > 1;
}

/* ---- witnesses and fork evidence ---- */

/* An accepted changeset's `seen`: the highest seq of each node it saw,
 * checked against the branches once every chain is read. */
static void note_witnesses(audit *a, const char *by, int64_t by_seq, json_t *seen)
{
	const char *node;
	json_t *v;

	json_object_foreach(seen, node, v)
	{
		json_t *w = json_object_get(a->witness, node);
		int64_t s = json_integer_value(v);

		if (w && json_integer_value(json_object_get(w, "seq")) >= s)
			continue;
		if (!w && json_object_size(a->witness) >= 2 * CTS_AUDIT_MAX_BRANCHES) {
			if (!node_branch(a, node)) /* no room: judged now */
				finding(a, "truncated_branch", node, s, NULL, NULL, NULL,
				        "%s n°%lld dit avoir vu (« seen ») le changeset n°%lld de %s, qui n'a "
				        "pas de branche dans le dépôt : branche supprimée ou « seen » mensonger",
				        by, (long long)by_seq, (long long)s, node);
			continue;
		}
		if (json_object_set_new(a->witness, node,
		                        json_pack("{s:I, s:s, s:I}", "seq", (json_int_t)s, "by", by,
		                                  "by_seq", (json_int_t)by_seq)) < 0)
			a->oom = 1;
	}
}

/* The key a node signs with, per the replayed registry (the authority's
 * own key before its enrolment is replayed). 0 and pk, or -1. */
static int key_of(audit *a, const char *node, unsigned char pk[32])
{
	json_t *e = reg_get(a, node);

	if (e && reg_pk(e, pk) == 0)
		return 0;
	if (a->authority[0] && strcmp(node, a->authority) == 0) {
		memcpy(pk, a->authority_pk, 32);
		return 0;
	}
	return -1;
}

/* Fork records carried by an authenticated changeset (sync/forkproof.h):
 * each must be valid for the forked node's key (else a finding against
 * its writer); the versions they carry count as versions of that
 * changeset (a fork is reported even when one is gone from the branches).
 * 1 if every record is valid. */
static int check_evidence(audit *a, branch *b, const cts_changeset *cs, const git_oid *cmt,
                          const char *path)
{
	size_t i;
	json_t *op;
	int ok = 1;

	json_array_foreach(cs->ops, i, op)
	{
		cts_fork_version v[2];
		const char *node;
		int64_t seq;
		unsigned char pk[32];
		char why[400], label[128];
		int rc;

		if (strcmp(json_string_value(json_object_get(op, "table")), "fork") != 0)
			continue;
		cts_fork_evidence_target(op, &node, &seq);
		rc = cts_fork_evidence_check(
		    op, node && cts_valid_node_id(node) && key_of(a, node, pk) == 0 ? pk : NULL, v, why,
		    sizeof(why));
		if (rc != 0) {
			finding(a, "bad_fork_evidence", cs->node, cs->seq, cmt, path, b->name,
			        "opération %zu : preuve de bifurcation invalide : %s", i + 1,
			        rc == 1 ? "le nœud n'est pas inscrit, sa signature ne peut pas être vérifiée"
			                : why);
			ok = 0;
			continue;
		}
		snprintf(label, sizeof(label), "%.80s, recopiée dans le n°%lld", b->name,
		         (long long)cs->seq);
		for (int k = 0; k < 2; k++) {
			git_oid blob;
			if (!v[k].body)
				continue;
			if (git_odb_hash(&blob, v[k].body, v[k].body_len, GIT_OBJECT_BLOB) < 0) {
				a->oom = 1;
				continue;
			}
			add_variant(a, node, seq, &blob, label, cmt);
		}
		if ((!v[0].body || !v[1].body) &&
		    json_array_append_new(a->unverified,
		                          json_pack("{s:s, s:I, s:s, s:I}", "node", node, "seq",
		                                    (json_int_t)seq, "by", cs->node, "by_seq",
		                                    (json_int_t)cs->seq)) < 0)
			a->oom = 1;
	}
	return ok;
}

/* ---- changeset verification: a small pool of workers ----
 *
 * The costly part of a changeset (SHA-256, strict canonical parse, the
 * Ed25519 verification of its SSHSIG) depends only on its bytes and on the
 * key it must be signed with. The main thread reads the blobs (libgit2
 * objects stay on the main thread), queues them in chain order, and the
 * workers do that part; the main thread then finishes each changeset in
 * chain order (findings, registry, chain), so the verdict and its order are
 * those of a sequential audit. The window is bounded in jobs and in bytes,
 * so memory stays flat whatever the size of the repository. */

#define POOL_MAX_WORKERS 8
#define WINDOW_JOBS 64
#define WINDOW_BYTES (2u * 1024 * 1024) /* bytes of changesets in flight (one job at least) */

enum { JOB_FREE, JOB_QUEUED, JOB_RUNNING, JOB_DONE };
enum { BAD_TOO_LARGE, BAD_NON_CANONICAL, BAD_INVALID };

typedef struct {
	int state;
	/* Set by the main thread. */
	const tip_entry *t;
	char *json, *sig; /* NULL when missing or unreadable */
	size_t jl, sl;
	int json_rc, sig_rc; /* read results */
	char json_msg[DETAIL_MAX], sig_msg[DETAIL_MAX];
	unsigned char pk[32];
	int have_key;
	/* Set by the worker. */
	char id[65];
	cts_changeset *cs; /* NULL when the parse failed */
	int parse_rc, bad_kind, sig_ok;
	char parse_msg[400];
	int vrc; /* signature verification (parsed changeset with key and signature) */
	char vmsg[400];
	unsigned char signer[32];
} vjob;

typedef struct vpool_s {
	pthread_mutex_t mu;
	pthread_cond_t work_cv, done_cv;
	pthread_t th[POOL_MAX_WORKERS];
	int nth;
	int quit;
	vjob *jobs; /* WINDOW_JOBS slots, ring */
	size_t head, take, tail; /* submitted, next to take, next to finish */
	size_t inflight_bytes;
} vpool;

/* The part of a changeset's verification that needs only its bytes and key. */
static void job_work(vjob *j)
{
	if (j->json_rc < 0)
		return;
	j->parse_rc = cts_changeset_parse(&j->cs, j->json, j->jl);
	if (j->parse_rc < 0) {
		json_t *probe = NULL;

		snprintf(j->parse_msg, sizeof(j->parse_msg), "%s", cts_error_message());
		cts_changeset_hash(j->json, j->jl, j->id);
		j->sig_ok = j->have_key && j->sig &&
		            cts_sshsig_verify(j->sig, j->sl, j->pk, CTS_SIG_NAMESPACE,
		                              (const unsigned char *)j->json, j->jl, NULL) == 0;
		cts_error_clear();
		if (j->parse_rc == CTS_ELIMIT)
			j->bad_kind = BAD_TOO_LARGE;
		else if (cts_jcs_parse(&probe, j->json, j->jl) == 0 &&
		         !(j->jl >= 2 && j->json[j->jl - 1] == '\n' &&
		           cts_jcs_is_canonical(j->json, j->jl - 1) == 1))
			j->bad_kind = BAD_NON_CANONICAL;
		else
			j->bad_kind = BAD_INVALID;
		json_decref(probe);
		cts_error_clear();
	} else {
		memcpy(j->id, j->cs->id, sizeof(j->id)); /* SHA-256 of the same bytes */
		if (j->have_key && j->sig) {
			j->vrc = cts_sshsig_verify(j->sig, j->sl, j->pk, CTS_SIG_NAMESPACE,
			                           (const unsigned char *)j->json, j->jl, j->signer);
			if (j->vrc < 0) {
				snprintf(j->vmsg, sizeof(j->vmsg), "%s", cts_error_message());
				cts_error_clear();
			}
		}
	}
	/* The parsed changeset keeps its own copy of the bytes. */
	free(j->json);
	free(j->sig);
	j->json = j->sig = NULL;
}

static void *pool_main(void *vp)
{
	vpool *p = vp;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		vjob *j;
		if (p->take < p->tail)
			p->take = p->tail; /* the main thread did those itself */
		while (!p->quit && p->take < p->head &&
		       p->jobs[p->take % WINDOW_JOBS].state != JOB_QUEUED)
			p->take++;
		if (p->quit)
			break;
		if (p->take == p->head) {
			pthread_cond_wait(&p->work_cv, &p->mu);
			continue;
		}
		j = &p->jobs[p->take++ % WINDOW_JOBS];
		j->state = JOB_RUNNING;
		pthread_mutex_unlock(&p->mu);
		job_work(j);
		pthread_mutex_lock(&p->mu);
		j->state = JOB_DONE;
		pthread_cond_broadcast(&p->done_cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Workers: one per processor (cts_precheck_threads(), at most POOL_MAX_WORKERS); none on a
 * single processor (the main thread then does everything). 0 or CTS_ENOMEM. */
static int pool_start(vpool *p)
{
	int ncpu = cts_precheck_threads(); /* processors, or CTSNODE_THREADS */
	int want = ncpu > 1 ? (ncpu < POOL_MAX_WORKERS ? ncpu : POOL_MAX_WORKERS) : 0;

	memset(p, 0, sizeof(*p));
	if (!(p->jobs = calloc(WINDOW_JOBS, sizeof(*p->jobs))))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work_cv, NULL);
	pthread_cond_init(&p->done_cv, NULL);
	for (int i = 0; i < want; i++) {
		if (pthread_create(&p->th[p->nth], NULL, pool_main, p) != 0)
			break; /* fewer workers; the main thread finishes what is left */
		p->nth++;
	}
	return 0;
}

static void job_release(vjob *j)
{
	cts_changeset_free(j->cs);
	free(j->json);
	free(j->sig);
	memset(j, 0, sizeof(*j));
}

static void pool_stop(vpool *p)
{
	if (!p->jobs)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nth; i++)
		pthread_join(p->th[i], NULL);
	for (size_t i = 0; i < WINDOW_JOBS; i++)
		job_release(&p->jobs[i]);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work_cv);
	pthread_cond_destroy(&p->done_cv);
	free(p->jobs);
	memset(p, 0, sizeof(*p));
}

/* Room for one more job? (Called by the main thread, the only submitter.) */
static int pool_has_room(vpool *p)
{
	size_t bytes;

	pthread_mutex_lock(&p->mu);
	bytes = p->inflight_bytes;
	pthread_mutex_unlock(&p->mu);
	return p->head - p->tail < WINDOW_JOBS && (p->head == p->tail || bytes < WINDOW_BYTES);
}

/* The next free slot (the caller fills it, then pool_submit). */
static vjob *pool_slot(vpool *p)
{
	return &p->jobs[p->head % WINDOW_JOBS];
}

static void pool_submit(vpool *p)
{
	vjob *j = &p->jobs[p->head % WINDOW_JOBS];

	pthread_mutex_lock(&p->mu);
	j->state = JOB_QUEUED;
	p->inflight_bytes += j->jl + j->sl;
	p->head++;
	pthread_cond_signal(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
}

/* The oldest job, done (by a worker, or here when no worker took it yet). */
static vjob *pool_wait_oldest(vpool *p)
{
	vjob *j = &p->jobs[p->tail % WINDOW_JOBS];

	pthread_mutex_lock(&p->mu);
	for (;;) {
		if (j->state == JOB_DONE)
			break;
		if (j->state == JOB_QUEUED) {
			j->state = JOB_RUNNING;
			pthread_mutex_unlock(&p->mu);
			job_work(j);
			pthread_mutex_lock(&p->mu);
			j->state = JOB_DONE;
			break;
		}
		pthread_cond_wait(&p->done_cv, &p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return j;
}

/* Release the oldest job (after pool_wait_oldest). */
static void pool_retire(vpool *p)
{
	vjob *j = &p->jobs[p->tail % WINDOW_JOBS];
	size_t bytes = j->jl + j->sl;

	job_release(j);
	pthread_mutex_lock(&p->mu);
	p->inflight_bytes -= bytes;
	p->tail++;
	pthread_mutex_unlock(&p->mu);
}

typedef struct {
	audit *a;
	branch *b;
	const char *node;
	int apply;                    /* authority replay: apply registry and checkpoint ops */
	const unsigned char *seq1_pk; /* authority: the key its seq 1 enrols */
	int applying;                 /* still applying (no failure yet) */
} chain_ctx;

/* Main thread, before the work: read the blobs, choose the key. The key is
 * the one the registry gives at this point of the replay (the registry only
 * changes while the authority's chain is applied, which is done one
 * changeset at a time). */
static void job_prepare(chain_ctx *cc, const tip_entry *t, vjob *j)
{
	audit *a = cc->a;
	json_t *reg;
	int rc;

	memset(j, 0, sizeof(*j));
	j->t = t;
	/* cts_gitrepo_list_dir read the header of every blob it listed. */
	if ((rc = read_blob(a, &t->json, &t->json_size, CTS_CHANGESET_MAX_BYTES, &j->json,
	                    &j->jl)) < 0) {
		j->json_rc = rc;
		snprintf(j->json_msg, sizeof(j->json_msg), "%s", cts_error_message());
		cts_error_clear();
		j->jl = 0;
		return;
	}
	if (t->has_sig &&
	    (rc = read_blob(a, &t->sig, &t->sig_size, CTS_SIG_MAX_BYTES, &j->sig, &j->sl)) < 0) {
		j->sig_rc = rc;
		snprintf(j->sig_msg, sizeof(j->sig_msg), "%s", cts_error_message());
		cts_error_clear();
		j->sl = 0;
	}
	reg = reg_get(a, cc->node);
	if (cc->seq1_pk && t->seq == 1) {
		memcpy(j->pk, cc->seq1_pk, 32);
		j->have_key = 1;
	} else if (reg && reg_pk(reg, j->pk) == 0) {
		j->have_key = 1;
	}
}

/* The domain rules (rules.h) of a put's values, as the importer applies
 * them; 0 with why (may be NULL) filled if one is refused. */
static int values_ok(json_t *op, char *why, size_t whylen)
{
	cts_rule_violation rv;

	if (cts_rules_check_set(json_string_value(json_object_get(op, "table")),
	                        json_object_get(op, "set"), &rv) == 0)
		return 1;
	cts_error_clear();
	if (why)
		cts_rules_describe(&rv, why, whylen);
	return 0;
}

/* Main thread, after the work, in chain order: every finding of one
 * changeset; 1 if it passes every check. *id gets its hash. */
static int check_changeset(chain_ctx *cc, vjob *j, const char *prev_id, int prev_known,
                           char id[65])
{
	audit *a = cc->a;
	branch *b = cc->b;
	const char *node = cc->node;
	const tip_entry *t = j->t;
	char path[160], spath[168], why[400];
	const git_oid *cmt;
	git_oid cbuf;
	cts_changeset *cs = j->cs;
	json_t *reg;
	const unsigned char *pk = j->pk;
	int ok = 1, have_key = j->have_key;
	int64_t seq = t->seq;

	id[0] = '\0';
	changeset_path(path, sizeof(path), node, seq, 0);
	changeset_path(spath, sizeof(spath), node, seq, 1);
	cmt = commit_of(b, path, &cbuf);
	if (j->json_rc < 0) {
		if (j->json_rc == CTS_ENOMEM)
			a->oom = 1;
		finding(a, j->json_rc == CTS_ELIMIT ? "too_large" : "unreadable_history", node,
		        seq, cmt, path, b->name, "%s", j->json_msg);
		return 0;
	}
	memcpy(id, j->id, 65);
	if (!t->has_sig) {
		finding(a, "missing_signature", node, seq, cmt, spath, b->name,
		        "changeset n°%lld sans fichier de signature", (long long)seq);
		ok = 0;
	} else if (j->sig_rc < 0) {
		if (j->sig_rc == CTS_ENOMEM)
			a->oom = 1;
		finding(a, j->sig_rc == CTS_ELIMIT ? "too_large" : "unreadable_history", node,
		        seq, commit_of(b, spath, &cbuf), spath, b->name, "signature : %s",
		        j->sig_msg);
		ok = 0;
	}
	reg = reg_get(a, node);
	if (!cs) {
		if (j->bad_kind == BAD_TOO_LARGE) {
			finding(a, "too_large", node, seq, cmt, path, b->name, "%s", j->parse_msg);
		} else if (j->bad_kind == BAD_NON_CANONICAL) {
			finding(
			    a, "non_canonical", node, seq, cmt, path, b->name,
			    "le fichier n'est pas sous forme canonique (RFC 8785 suivi d'un seul "
			    "saut de ligne)%s",
			    j->sig_ok ? " alors que sa signature est valide : il est refusé quand même"
			              : "");
		} else {
			finding(a, "invalid_changeset", node, seq, cmt, path, b->name,
			        "changeset invalide : %s", j->parse_msg);
		}
		return 0;
	}
	if (strcmp(cs->node, node) != 0 || cs->seq != seq) {
		finding(a, "misplaced_changeset", node, seq, cmt, path, b->name,
		        "le contenu dit nœud %s n°%lld mais le fichier est rangé en %s", cs->node,
		        (long long)cs->seq, path);
		ok = 0;
	}
	/* Signature for the enrolled key. */
	if (!have_key) {
		ok = 0; /* unknown_signer is reported once per branch */
	} else if (t->has_sig && j->sig_rc == 0) {
		if (j->vrc < 0) {
			const char *who = NULL;
			if (j->vrc == CTS_ECRYPTO && memcmp(j->signer, pk, 32) != 0)
				who = node_of_key(a, j->signer);
			finding(a, "bad_signature", node, seq, cmt, spath, b->name,
			        "la signature ne vérifie pas avec la clé inscrite de %s : %s%s%s",
			        node, j->vmsg, who ? " (signé avec la clé du nœud " : "",
			        who ? who : "");
			ok = 0;
		}
	}
	if (have_key && t->has_sig && j->sig_rc == 0 && j->vrc == 0 &&
	    !check_evidence(a, b, cs, cmt, path))
		ok = 0;
	/* Chain. */
	if (seq > 1 && prev_known && cs->prev && strcmp(cs->prev, prev_id) != 0) {
		finding(a, "broken_chain", node, seq, cmt, path, b->name,
		        "« prev » (%.12s…) ne désigne pas le changeset n°%lld présent dans le "
		        "dépôt (%.12s…)",
		        cs->prev, (long long)(seq - 1), prev_id);
		ok = 0;
	}
	if (seq > 1 && !prev_known)
		ok = 0; /* the previous one is missing: reported as missing_changeset */
	/* Enrolment: territory, role, revocation. */
	int ignored = 0; /* a revoked node's later changeset: every node ignores it */
	if (reg || (cc->seq1_pk && seq == 1)) {
		const char *terr =
		    reg ? json_string_value(json_object_get(reg, "territory")) : NULL;
		int64_t rev = reg ? reg_revoked(reg) : -1;
		if (terr && strcmp(cs->territory, terr) != 0) {
			finding(
			    a, "wrong_territory", node, seq, cmt, path, b->name,
			    "changeset du territoire « %s » alors que %s est inscrit pour « %s »",
			    cs->territory, node, terr);
			ok = 0;
		}
		if (rev >= 0 && seq > rev) {
			notice(a, "revoked_ignored", node, seq, cmt, path, b->name,
			       "%s révoqué après le n°%lld : ce changeset est ignoré par tous les "
			       "nœuds, comme prévu",
			       node, (long long)rev);
			ok = 0;
			ignored = 1;
		}
	}
	/* Write rules and clock (of what some node may apply). */
	if (!ignored) {
		const char *role = reg           ? json_string_value(json_object_get(reg, "role"))
		                   : cc->seq1_pk ? "authority"
		                                 : NULL;
		int authority = role && strcmp(role, "authority") == 0, bad_tables = 0,
		    first_bad = -1, bad_reg = 0, bad_values = 0, first_value = 0;
		char value_why[400] = "";
		uint64_t time_ms = 0, worst = 0;
		size_t i;
		json_t *op;

		why[0] = '\0';
		parse_time_ms(cs->time, &time_ms);
		json_array_foreach(cs->ops, i, op)
		{
			const cts_table_def *td =
			    cts_table_find(json_string_value(json_object_get(op, "table")));
			uint64_t hlc = 0;
			if (role && td && td->writer != CTS_WRITER_ANY &&
			    ((authority && td->writer != CTS_WRITER_AUTHORITY) ||
			     (!authority && td->writer != CTS_WRITER_TERRITORY))) {
				if (bad_tables++ == 0)
					first_bad = (int)i;
			}
			if (td && json_object_get(op, "set") &&
			    !values_ok(op, bad_values ? NULL : value_why, sizeof(value_why)) &&
			    bad_values++ == 0)
				first_value = (int)i + 1;
			if (authority && td && strcmp(td->name, "registry") == 0 && !bad_reg &&
			    check_registry_op(a, op, why, sizeof(why)) < 0)
				bad_reg = (int)i + 1;
			if (cts_hlc_parse(&hlc, json_string_value(json_object_get(op, "hlc"))) ==
			        0 &&
			    CTS_HLC_MS(hlc) > time_ms + CTS_HLC_MAX_AHEAD_MS &&
			    CTS_HLC_MS(hlc) - time_ms > worst)
				worst = CTS_HLC_MS(hlc) - time_ms;
		}
		if (bad_tables) {
			finding(
			    a, "unauthorized_table", node, seq, cmt, path, b->name,
			    "%s %s écrit la table %s (opération %d, %d opération(s) interdite(s)) "
			    ": %s",
			    authority ? "l'autorité" : "le nœud de territoire", node,
			    json_string_value(json_object_get(
			        json_array_get(cs->ops, (size_t)first_bad), "table")),
			    first_bad + 1, bad_tables,
			    authority
			        ? "l'autorité n'écrit que le registre et les données de référence"
			        : "un territoire n'écrit que les tables des territoires");
			ok = 0;
		}
		if (bad_values) {
			finding(a, "invalid_value", node, seq, cmt, path, b->name,
			        "opération %d : %s (%d opération(s) refusée(s) par les règles des "
			        "valeurs)",
			        first_value, value_why, bad_values);
			ok = 0;
		}
		if (bad_reg) {
			finding(a, "registry_violation", node, seq, cmt, path, b->name,
			        "opération %d : %s", bad_reg, why);
			ok = 0;
		}
		if (worst) {
			finding(a, "future_hlc", node, seq, cmt, path, b->name,
			        "horloge (HLC) en avance de %.1f h sur l'heure de scellement %s "
			        "(24 h au plus)",
			        (double)worst / 3600000.0, cs->time);
			ok = 0;
		}
	}
	if (in_fork(a, node, seq))
		ok = 0;
	if (ok)
		note_witnesses(a, node, seq, cs->seen);
	/* The authority's replay: the registry grows only from valid changesets, in order. */
	if (cc->apply && cc->applying) {
		if (!ok) {
			cc->applying = 0;
		} else {
			size_t i;
			json_t *op;
			json_array_foreach(cs->ops, i, op)
			{
				const char *table = json_string_value(json_object_get(op, "table"));
				uint64_t hlc = 0;
				cts_hlc_parse(&hlc, json_string_value(json_object_get(op, "hlc")));
				if (strcmp(table, "registry") == 0 &&
				    strcmp(json_string_value(json_object_get(op, "op")), "put") ==
				        0)
					apply_registry_put(a, op, hlc);
				else if (strcmp(table, "checkpoint") == 0)
					apply_checkpoint(a, op, hlc, seq);
			}
		}
	}
	return ok;
}

/* Checkpointed changesets of the other chains: blob id -> changeset id, so
 * that check_checkpoints does not read and hash them again. */
static void remember_checkpointed(audit *a, const char *node, const tip_entry *t, const char *id)
{
	char key[96], hex[GIT_OID_HEXSZ + 1];

	if (!a->cp_wanted || !id[0])
		return;
	snprintf(key, sizeof(key), "%s/%lld", node, (long long)t->seq);
	if (!json_object_get(a->cp_wanted, key))
		return;
	oid_hex(hex, &t->json);
	if (json_object_set_new(a->cp_ids, hex, json_string(id)) < 0)
		a->oom = 1;
}

static int verify_chain(audit *a, branch *b, int apply, const unsigned char *seq1_pk)
{
	tip_list l = {0};
	char dir[128], prev_id[65] = "", path[160];
	int64_t expected = 1, verified = 0, count = 0, prev_seq = 0;
	chain_ctx cc = {a, b, b->node, apply, seq1_pk, apply};
	vpool *p = a->pool;
	size_t next = 0; /* next entry to queue */
	int rc;

	snprintf(dir, sizeof(dir), "changesets/%s", b->node);
	rc = cts_gitrepo_list_dir(a->repo, &b->tip, dir, CTS_AUDIT_MAX_DIR_ENTRIES, tip_cb, &l);
	if (l.oom) {
		free(l.v);
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	if (rc < 0) {
		finding(a, "unreadable_history", b->node, 0, &b->tip, dir, b->name,
		        "dossier %s illisible : %s", dir, cts_error_message());
		cts_error_clear();
		free(l.v);
		return 0;
	}
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), tip_entry_cmp);
	for (size_t i = 0; i < l.n; i++) {
		tip_entry *t = &l.v[i];
		char id[65];
		int prev_known;
		vjob *j;

		if (i > 0 && t->seq == l.v[i - 1].seq)
			continue; /* a malformed tree listing one name twice */
		if (t->seq > expected) {
			changeset_path(path, sizeof(path), b->node, expected, 0);
			if (t->seq == expected + 1)
				finding(a, "missing_changeset", b->node, expected, &b->tip, path,
				        b->name,
				        "le changeset n°%lld manque : la chaîne de %s a un trou",
				        (long long)expected, b->node);
			else
				finding(a, "missing_changeset", b->node, expected, &b->tip, path,
				        b->name,
				        "les changesets n°%lld à n°%lld manquent : la chaîne de %s "
				        "a un trou",
				        (long long)expected, (long long)(t->seq - 1), b->node);
			cc.applying = 0;
		}
		expected = t->seq + 1;
		if (!t->has_json) {
			char spath[168];
			git_oid cbuf;
			changeset_path(spath, sizeof(spath), b->node, t->seq, 1);
			finding(a, "orphan_signature", b->node, t->seq, commit_of(b, spath, &cbuf),
			        spath, b->name,
			        "signature sans changeset : le changeset n°%lld manque, la chaîne "
			        "de %s a un trou",
			        (long long)t->seq, b->node);
			cc.applying = 0;
			continue;
		}
		/* Queue this changeset and the next ones (in chain order). The
		 * authority's chain changes the registry as it goes: one at a time. */
		if (next <= i)
			next = i; /* the window is empty: nothing past i is queued */
		while (next < l.n && (next == i || (!apply && pool_has_room(p)))) {
			tip_entry *u = &l.v[next];
			if (!(next > 0 && u->seq == l.v[next - 1].seq) && u->has_json) {
				job_prepare(&cc, u, pool_slot(p));
				pool_submit(p);
			}
			next++;
		}
		j = pool_wait_oldest(p);
		/* `prev` is checked against the previous changeset when it is there
		 * and readable; otherwise its absence is the finding. */
		prev_known = t->seq == prev_seq + 1 && prev_id[0];
		count++;
		if (check_changeset(&cc, j, prev_id, prev_known, id))
			verified++;
		pool_retire(p);
		if (!apply)
			remember_checkpointed(a, b->node, t, id);
		snprintf(prev_id, sizeof(prev_id), "%s", id);
		prev_seq = t->seq;
		a->changesets_seen++;
		progress(a, "changesets vérifiés", 0);
		if (a->oom)
			break;
	}
	/* Jobs queued past an early stop. */
	while (p->tail < p->head) {
		pool_wait_oldest(p);
		pool_retire(p);
	}
	summary_add(a, b->node, "changesets", count);
	summary_add(a, b->node, "verified", verified);
	if (l.n > 0)
		json_object_set_new(node_summary(a, b->node), "last_seq",
		                    json_integer((json_int_t)l.v[l.n - 1].seq));
	if (l.n > 0 && prev_seq == l.v[l.n - 1].seq && prev_id[0])
		json_object_set_new(node_summary(a, b->node), "head_id", json_string(prev_id));
	free(l.v);
	return a->oom ? cts_error_set(CTS_ENOMEM, "mémoire insuffisante") : 0;
}

/* ---- the authority ---- */

/* Does nodes/<id>'s changeset n°1 enrol its own node as authority, signed
 * by the key it enrols? Then *key gets that key line. */
static int contains(const unsigned char *s, size_t n, const char *word)
{
	size_t w = strlen(word);

	for (size_t i = 0; i + w <= n; i++)
		if (s[i] == (unsigned char)word[0] && memcmp(s + i, word, w) == 0)
			return 1;
	return 0;
}

static int authority_candidate(audit *a, branch *b, char key[128], unsigned char pk[32],
                               char terr[65])
{
	char path[160], spath[168];
	unsigned char *json = NULL, *sig = NULL;
	size_t jl = 0, sl = 0;
	cts_changeset *cs = NULL;
	int found = 0;
	size_t i;
	json_t *op;

	changeset_path(path, sizeof(path), b->node, 1, 0);
	changeset_path(spath, sizeof(spath), b->node, 1, 1);
	/* A candidate's (canonical) changeset spells the role "authority" as
	 * such: the others need no parse. */
	if (cts_gitrepo_read_file(a->repo, &b->tip, path, CTS_CHANGESET_MAX_BYTES, &json, &jl) <
	        0 ||
	    !contains(json, jl, "\"authority\"") ||
	    cts_gitrepo_read_file(a->repo, &b->tip, spath, CTS_SIG_MAX_BYTES, &sig, &sl) < 0 ||
	    cts_changeset_parse(&cs, (const char *)json, jl) < 0 ||
	    strcmp(cs->node, b->node) != 0 || cs->seq != 1)
		goto out;
	json_array_foreach(cs->ops, i, op)
	{
		json_t *set = json_object_get(op, "set");
		const char *k = json_string_value(json_object_get(set, "key"));
		char expect[37], name[96];
		if (strcmp(json_string_value(json_object_get(op, "table")), "registry") != 0 ||
		    strcmp(json_string_value(json_object_get(op, "op")), "put") != 0 ||
		    !json_string_value(json_object_get(set, "node")) ||
		    strcmp(json_string_value(json_object_get(set, "node")), b->node) != 0 ||
		    !json_string_value(json_object_get(set, "role")) ||
		    strcmp(json_string_value(json_object_get(set, "role")), "authority") != 0 || !k)
			continue;
		snprintf(name, sizeof(name), "registry:%s", b->node);
		cts_record_derived_id(expect, name);
		if (strcmp(expect, json_string_value(json_object_get(op, "id"))) != 0 ||
		    strlen(k) >= 128 || cts_key_parse_public_line(pk, k) < 0)
			continue;
		if (cts_sshsig_verify((const char *)sig, sl, pk, CTS_SIG_NAMESPACE, json, jl,
		                      NULL) == 0) {
			snprintf(key, 128, "%s", k);
			snprintf(terr, 65, "%s", cs->territory);
			found = 1;
			break;
		}
	}
out:
	cts_error_clear();
	cts_changeset_free(cs);
	free(json);
	free(sig);
	return found;
}

/* Is the region branch's tip commit signed by pk? */
static int region_signed_by(audit *a, const unsigned char pk[32])
{
	branch *r = find_branch(a, "region");
	char *raw = NULL, *payload = NULL, *sig = NULL;
	size_t len, plen, slen;
	unsigned char signer[32];
	int nsig = 0, yes = 0;

	if (!r || cts_gitrepo_commit_raw(a->repo, &r->tip, &raw, &len) < 0 ||
	    len > COMMIT_MAX_BYTES ||
	    cts_commit_split(raw, len, &payload, &plen, &sig, &slen, &nsig) < 0)
		goto out;
	yes = nsig == 1 && cts_sshsig_verify(sig, slen, pk, "git", (const unsigned char *)payload,
	                                     plen, signer) == 0;
out:
	cts_error_clear();
	free(raw);
	free(payload);
	free(sig);
	return yes;
}

static int find_authority(audit *a)
{
	unsigned char pinned[32];
	int have_pin = 0, n = 0, chosen = -1, chosen_by_region = 0;
	json_t *names = json_array();
	char key[128], terr[65];
	unsigned char pk[32];

	if (!names)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if (a->opt->authority_key) {
		if (cts_key_parse_public_line(pinned, a->opt->authority_key) < 0) {
			json_decref(names);
			return cts_error_prefix(CTS_EINVAL, "--authority-key : ");
		}
		have_pin = 1;
	}
	for (size_t i = 0; i < a->nbr; i++) {
		branch *b = &a->br[i];
		if (b->kind != BR_NODE || !authority_candidate(a, b, key, pk, terr))
			continue;
		if (have_pin && memcmp(pk, pinned, 32) != 0) {
			finding(a, "authority_key_mismatch", b->node, 1, &b->tip, NULL, b->name,
			        "%s s'inscrit comme autorité avec une autre clé que la clé de "
			        "l'autorité indiquée",
			        b->node);
			continue;
		}
		n++;
		json_array_append_new(names, json_string(b->node));
		if (chosen < 0 || (!chosen_by_region && region_signed_by(a, pk))) {
			chosen_by_region = region_signed_by(a, pk);
			chosen = (int)i;
			snprintf(a->authority, sizeof(a->authority), "%s", b->node);
			snprintf(a->authority_key, sizeof(a->authority_key), "%s", key);
			memcpy(a->authority_pk, pk, 32);
			snprintf(a->region, sizeof(a->region), "%s", terr);
		}
	}
	if (n == 0) {
		finding(a, "no_authority", NULL, 0, NULL, NULL, NULL,
		        "aucune branche nodes/… ne commence par l'inscription signée de l'autorité "
		        "(registre, rôle authority) : "
		        "rien ne peut être vérifié");
	} else if (n > 1) {
		char list[600] = "";
		size_t i;
		json_t *v;
		json_array_foreach(names, i, v)
		    snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
		             i ? ", " : "", json_string_value(v));
		finding(a, "several_authorities", a->authority, 1, NULL, NULL, NULL,
		        "plusieurs nœuds se déclarent autorité (%s) ; retenue : %s%s", list,
		        a->authority,
		        chosen_by_region ? " (signataire de la branche region)"
		                         : " (choix arbitraire)");
	}
	json_decref(names);
	return 0;
}

/* ---- allowed_signers ---- */

/* Parse the options field of an allowed_signers line. */
static int parse_signer_options(const char *opts, char *ns, size_t nslen, char *vb, size_t vblen,
                                char *bad, size_t badlen)
{
	const char *p = opts;

	ns[0] = vb[0] = bad[0] = '\0';
	while (*p) {
		const char *name = p, *val = NULL;
		size_t nl, vl = 0;
		while (*p && *p != '=' && *p != ',')
			p++;
		nl = (size_t)(p - name);
		if (*p == '=') {
			p++;
			if (*p == '"') {
				val = ++p;
				while (*p && *p != '"')
					p++;
				if (*p != '"')
					return -1;
				vl = (size_t)(p - val);
				p++;
			} else {
				val = p;
				while (*p && *p != ',')
					p++;
				vl = (size_t)(p - val);
			}
		}
		if (nl == 10 && strncasecmp(name, "namespaces", 10) == 0 && val)
			snprintf(ns, nslen, "%.*s", (int)vl, val);
		else if (nl == 12 && strncasecmp(name, "valid-before", 12) == 0 && val)
			snprintf(vb, vblen, "%.*s", (int)vl, val);
		else if (!bad[0])
			snprintf(bad, badlen, "%.*s", (int)(nl < 64 ? nl : 64), name);
		if (*p == ',')
			p++;
		else if (*p)
			return -1;
	}
	return 0;
}

static void check_allowed_signers(audit *a)
{
	branch *r = find_branch(a, "region");
	unsigned char *data = NULL;
	size_t len = 0, pos = 0;
	json_t *seen = json_object();
	const char *node;
	json_t *e;
	int rc, lineno = 0;

	if (!seen) {
		a->oom = 1;
		return;
	}
	if (!r) {
		finding(a, "missing_region_branch", a->authority[0] ? a->authority : NULL, 0, NULL,
		        NULL, "region",
		        "pas de branche region : allowed_signers absent, les outils standard ne "
		        "peuvent rien vérifier");
		goto out;
	}
	rc = cts_gitrepo_read_file(a->repo, &r->tip, "allowed_signers", CTS_AUDIT_MAX_SIGNERS_BYTES,
	                           &data, &len);
	if (rc < 0) {
		finding(a, "allowed_signers_mismatch", NULL, 0, &r->tip, "allowed_signers",
		        "region", "allowed_signers illisible sur la branche region : %s",
		        cts_error_message());
		cts_error_clear();
		goto out;
	}
	while (pos < len) {
		const char *line = (const char *)data + pos, *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos;
		char buf[4096], *principal, *opts = NULL, *type, *b64, *save = NULL, ns[128],
		                            vb[64], bad[80], keyline[4200];
		unsigned char pk[32], want[32];

		pos += ll + (nl ? 1 : 0);
		lineno++;
		if (ll >= sizeof(buf)) {
			finding(a, "allowed_signers_mismatch", NULL, 0, &r->tip, "allowed_signers",
			        "region", "allowed_signers, ligne %d : trop longue", lineno);
			continue;
		}
		memcpy(buf, line, ll);
		buf[ll] = '\0';
		principal = strtok_r(buf, " \t", &save);
		if (!principal || principal[0] == '#')
			continue;
		type = strtok_r(NULL, " \t", &save);
		if (type && strncmp(type, "ssh-", 4) != 0 && strncmp(type, "ecdsa-", 6) != 0 &&
		    strncmp(type, "sk-", 3) != 0) {
			opts = type;
			type = strtok_r(NULL, " \t", &save);
		}
		b64 = strtok_r(NULL, " \t", &save);
		if (!type || !b64) {
			finding(a, "allowed_signers_mismatch", NULL, 0, &r->tip, "allowed_signers",
			        "region", "allowed_signers, ligne %d : ligne incomplète", lineno);
			continue;
		}
		if (json_object_get(seen, principal)) {
			finding(a, "allowed_signers_mismatch", principal, 0, &r->tip,
			        "allowed_signers", "region",
			        "allowed_signers, ligne %d : %s figure plusieurs fois", lineno,
			        principal);
			continue;
		}
		json_object_set_new(seen, principal, json_true());
		e = reg_get(a, principal);
		if (!e) {
			finding(a, "allowed_signers_mismatch", principal, 0, &r->tip,
			        "allowed_signers", "region",
			        "allowed_signers, ligne %d : %s n'est pas inscrit dans le registre "
			        "signé par l'autorité",
			        lineno, principal);
			continue;
		}
		snprintf(keyline, sizeof(keyline), "%s %s", type, b64);
		if (cts_key_parse_public_line(pk, keyline) < 0 || reg_pk(e, want) < 0 ||
		    memcmp(pk, want, 32) != 0) {
			cts_error_clear();
			finding(
			    a, "allowed_signers_mismatch", principal, 0, &r->tip, "allowed_signers",
			    "region",
			    "allowed_signers, ligne %d : la clé de %s n'est pas celle du registre",
			    lineno, principal);
			continue;
		}
		if (!opts || parse_signer_options(opts, ns, sizeof(ns), vb, sizeof(vb), bad,
		                                  sizeof(bad)) < 0) {
			finding(a, "allowed_signers_mismatch", principal, 0, &r->tip,
			        "allowed_signers", "region",
			        "allowed_signers, ligne %d : options absentes ou illisibles "
			        "(namespaces=\"git,cts-changeset\" attendu)",
			        lineno);
			continue;
		}
		if (bad[0])
			finding(a, "allowed_signers_mismatch", principal, 0, &r->tip,
			        "allowed_signers", "region",
			        "allowed_signers, ligne %d : option inattendue « %s »", lineno,
			        bad);
		if (strcmp(ns, "git,cts-changeset") != 0)
			finding(a, "allowed_signers_mismatch", principal, 0, &r->tip,
			        "allowed_signers", "region",
			        "allowed_signers, ligne %d : namespaces=\"%s\" au lieu de "
			        "\"git,cts-changeset\"",
			        lineno, ns);
		/* A revocation is a number (registry.md), never a date: see
		 * cts_region_allowed_signers. */
		if (vb[0])
			finding(a, "allowed_signers_mismatch", principal, 0, &r->tip,
			        "allowed_signers", "region",
			        "allowed_signers : la ligne de %s a valid-before=\"%s\" ; une "
			        "révocation se lit par numéro (registry.md), sans date",
			        principal, vb);
	}
	json_object_foreach(a->registry, node, e)
	{
		if (!json_object_get(seen, node))
			finding(a, "allowed_signers_mismatch", node, 0, &r->tip, "allowed_signers",
			        "region",
			        "allowed_signers : %s est inscrit dans le registre mais absent du "
			        "fichier",
			        node);
	}
out:
	json_decref(seen);
	free(data);
}

/* ---- checkpoints ---- */

/* After the authority's chain: which (node, seq) its checkpoints certify. */
static int want_checkpointed(audit *a)
{
	size_t i;
	json_t *cp;

	if (!(a->cp_wanted = json_object()) || !(a->cp_ids = json_object()))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	json_array_foreach(a->checkpoints, i, cp)
	{
		char key[96];
		snprintf(key, sizeof(key), "%.64s/%lld",
		         json_string_value(json_object_get(cp, "node")),
		         (long long)json_integer_value(json_object_get(cp, "seq")));
		if (json_object_set_new(a->cp_wanted, key, json_true()) < 0)
			return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	return 0;
}

/* The id of the changeset file at path on b's tip when its chain already
 * hashed that very blob (what cts_gitrepo_read_file would read: a regular
 * file of at most CTS_CHANGESET_MAX_BYTES, as read_blob checked). 1 if so. */
static int known_id(audit *a, branch *b, const char *path, char id[65])
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	const char *v = NULL;
	char hex[GIT_OID_HEXSZ + 1];

	if (!a->cp_ids || json_object_size(a->cp_ids) == 0)
		return 0;
	if (git_commit_lookup(&c, cts_gitrepo_raw(a->repo), &b->tip) == 0 &&
	    git_commit_tree(&tree, c) == 0 && git_tree_entry_bypath(&e, tree, path) == 0 &&
	    git_tree_entry_type(e) == GIT_OBJECT_BLOB &&
	    (git_tree_entry_filemode(e) == GIT_FILEMODE_BLOB ||
	     git_tree_entry_filemode(e) == GIT_FILEMODE_BLOB_EXECUTABLE)) {
		oid_hex(hex, git_tree_entry_id(e));
		v = json_string_value(json_object_get(a->cp_ids, hex));
		if (v)
			snprintf(id, 65, "%s", v);
	}
	git_error_clear();
	git_tree_entry_free(e);
	git_tree_free(tree);
	git_commit_free(c);
	return v != NULL;
}

static void check_checkpoints(audit *a)
{
	size_t i;
	json_t *cp;
	branch *auth = node_branch(a, a->authority);

	json_array_foreach(a->checkpoints, i, cp)
	{
		const char *node = json_string_value(json_object_get(cp, "node"));
		const char *cid = json_string_value(json_object_get(cp, "changeset"));
		int64_t seq = json_integer_value(json_object_get(cp, "seq"));
		int64_t by = json_integer_value(json_object_get(cp, "by_seq"));
		branch *b = cts_valid_node_id(node) ? node_branch(a, node) : NULL;
		char path[160], id[65] = "";
		unsigned char *data = NULL;
		size_t len;
		git_oid cbuf;

		if (seq < 1 || !cts_valid_node_id(node))
			continue;
		changeset_path(path, sizeof(path), node, seq, 0);
		if (b && known_id(a, b, path, id))
			; /* hashed when its chain was verified */
		else if (b && cts_gitrepo_read_file(a->repo, &b->tip, path,
		                                    CTS_CHANGESET_MAX_BYTES, &data, &len) == 0)
			cts_changeset_hash((const char *)data, len, id);
		cts_error_clear();
		free(data);
		if (strcmp(id, cid) == 0)
			continue;
		{
			char apath[160];
			changeset_path(apath, sizeof(apath), a->authority, by, 0);
			finding(a, "checkpoint_violation", node, seq,
			        b ? commit_of(b, path, &cbuf) : NULL, path, b ? b->name : NULL,
			        "le point de contrôle signé par l'autorité (%s, changeset n°%lld : "
			        "%s) certifie le changeset n°%lld "
			        "de %s d'empreinte %.12s… ; %s : l'historique a été réécrit",
			        a->authority, (long long)by, auth ? apath : "?", (long long)seq,
			        node, cid,
			        !b      ? "la branche a disparu"
			        : id[0] ? "la branche actuelle en porte un autre"
			                : "il a disparu de la branche");
		}
	}
}

/* ---- completeness: heads others say existed ---- */

/* `who` says node had changeset seq (with that id, when id is given): the
 * node's branch must still hold it. `why` names the possible causes. */
static void check_head(audit *a, const char *node, int64_t seq, const char *id, const char *who,
                       const char *why)
{
	branch *b = cts_valid_node_id(node) ? node_branch(a, node) : NULL;
	json_t *sm = b ? json_object_get(a->nodes, node) : NULL;
	int64_t head = sm ? json_integer_value(json_object_get(sm, "last_seq")) : 0;
	char path[160], got[65] = "", where[160];
	unsigned char *data = NULL;
	size_t len;
	git_oid cbuf;

	if (seq < 1)
		return;
	changeset_path(path, sizeof(path), cts_valid_node_id(node) ? node : "?", seq, 0);
	if (head < seq) {
		if (b)
			snprintf(where, sizeof(where), "la branche %s s'arrête au n°%lld", b->name,
			         (long long)head);
		else
			snprintf(where, sizeof(where), "il n'a pas de branche dans le dépôt");
		finding(a, "truncated_branch", node, seq, b ? &b->tip : NULL, path, b ? b->name : NULL,
		        "%s le changeset n°%lld de %s, mais %s : %s", who, (long long)seq, node, where,
		        why);
		return;
	}
	if (!id)
		return;
	if (cts_gitrepo_read_file(a->repo, &b->tip, path, CTS_CHANGESET_MAX_BYTES, &data, &len) == 0)
		cts_changeset_hash((const char *)data, len, got);
	cts_error_clear();
	free(data);
	if (strcmp(got, id) != 0)
		finding(a, "rewritten_branch", node, seq, commit_of(b, path, &cbuf), path, b->name,
		        "%s le changeset n°%lld de %s d'empreinte %.12s…, mais la branche %s %s : "
		        "historique réécrit",
		        who, (long long)seq, node, id, b->name,
		        got[0] ? "en porte un autre" : "ne le contient plus");
}

/* Every accepted changeset is a witness of what its author had seen. */
static void check_witnesses(audit *a)
{
	const char *node;
	json_t *w;

	json_object_foreach(a->witness, node, w)
	{
		char who[160];
		snprintf(who, sizeof(who), "%s n°%lld dit avoir vu (« seen »)",
		         json_string_value(json_object_get(w, "by")),
		         (long long)json_integer_value(json_object_get(w, "by_seq")));
		check_head(a, node, json_integer_value(json_object_get(w, "seq")), NULL, who,
		           "branche tronquée, changesets pas encore publiés, ou « seen » mensonger");
	}
}

/* Reports published on the region branch (signed by the authority) name
 * the heads they were computed from: witnesses too. */
static void check_published_reports(audit *a)
{
	branch *r = find_branch(a, "region");
	git_repository *raw = cts_gitrepo_raw(a->repo);
	git_commit *c = NULL;
	git_tree *tree = NULL, *reports = NULL;
	git_tree_entry *e = NULL;
	size_t n;

	if (!r || git_commit_lookup(&c, raw, &r->tip) < 0 || git_commit_tree(&tree, c) < 0 ||
	    git_tree_entry_bypath(&e, tree, "reports") < 0 || git_tree_entry_type(e) != GIT_OBJECT_TREE ||
	    git_tree_lookup(&reports, raw, git_tree_entry_id(e)) < 0)
		goto out;
	n = git_tree_entrycount(reports);
	for (size_t i = 0; i < n && i < 1000; i++) {
		const git_tree_entry *y = git_tree_entry_byindex(reports, i);
		char path[PATH_MAX_AUDIT], who[PATH_MAX_AUDIT + 96];
		unsigned char *data = NULL;
		size_t len;
		json_t *rep, *heads, *h;
		const char *node;

		if (git_tree_entry_type(y) != GIT_OBJECT_TREE)
			continue;
		snprintf(path, sizeof(path), "reports/%.200s/rapport.json", git_tree_entry_name(y));
		if (cts_gitrepo_read_file(a->repo, &r->tip, path, CTS_AUDIT_MAX_REPORT_BYTES, &data, &len) < 0) {
			cts_error_clear();
			continue;
		}
		rep = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, NULL);
		free(data);
		heads = json_object_get(rep, "heads");
		snprintf(who, sizeof(who), "le rapport publié %s (branche region) cite", path);
		sanitize(who);
		json_object_foreach(heads, node, h)
		{
			json_t *seq = json_object_get(h, "seq");
			const char *id = json_string_value(json_object_get(h, "id"));
			if (json_is_integer(seq) && is_hex(id, 64))
				check_head(a, node, json_integer_value(seq), id, who,
				           "branche tronquée après la publication du rapport");
		}
		json_decref(rep);
	}
out:
	git_error_clear();
	git_tree_entry_free(e);
	git_tree_free(reports);
	git_tree_free(tree);
	git_commit_free(c);
}

int cts_audit_parse_head(const char *arg, char node[65], int64_t *seq, char id[65])
{
	const char *eq = arg ? strchr(arg, '=') : NULL, *colon = eq ? strchr(eq, ':') : NULL;
	char *end;
	long long v;

	if (!eq || !colon || eq - arg > 64)
		goto bad;
	memcpy(node, arg, (size_t)(eq - arg));
	node[eq - arg] = '\0';
	v = strtoll(eq + 1, &end, 10);
	if (!cts_valid_node_id(node) || end != colon || v < 1 || !is_hex(colon + 1, 64))
		goto bad;
	*seq = v;
	snprintf(id, 65, "%s", colon + 1);
	return 0;
bad:
	return cts_error_set(CTS_EINVAL,
	                     "tête attendue « %.100s » : NŒUD=N°:EMPREINTE attendu (empreinte SHA-256 "
	                     "du changeset, 64 chiffres hexadécimaux)",
	                     arg ? arg : "");
}

/* --expect-head: heads the auditor kept from an earlier audit. */
static void check_expected_heads(audit *a)
{
	for (size_t i = 0; i < a->opt->n_expect_heads; i++) {
		char node[65], id[65];
		int64_t seq;
		if (cts_audit_parse_head(a->opt->expect_heads[i], node, &seq, id) < 0) {
			cts_error_clear();
			continue; /* checked by cts_audit_run */
		}
		check_head(a, node, seq, id, "la tête imposée (--expect-head) est",
		           "branche tronquée depuis l'audit qui a relevé cette tête");
	}
}

/* Fork records that could not carry both versions (too big): the fork is
 * proven only if both versions are somewhere in the repository. */
static void check_unverified_forks(audit *a)
{
	size_t i;
	json_t *u;

	json_array_foreach(a->unverified, i, u)
	{
		const char *node = json_string_value(json_object_get(u, "node"));
		int64_t seq = json_integer_value(json_object_get(u, "seq"));
		size_t n = 0;
		if (cts_auditmap_count_versions(a->map, node, seq, &n) < 0) {
			cts_error_clear();
			a->oom = 1;
		}
		if (n < 2)
			finding(a, "unverified_fork", node, seq, NULL, NULL, NULL,
			        "%s n°%lld signale une bifurcation du changeset n°%lld de %s sans "
			        "pouvoir en recopier les deux versions (trop grosses), et le dépôt n'en "
			        "contient pas deux : bifurcation invérifiable ici",
			        json_string_value(json_object_get(u, "by")),
			        (long long)json_integer_value(json_object_get(u, "by_seq")),
			        (long long)seq, node);
	}
}

/* ---- forks ---- */

static int report_fork(void *ctx, const char *node, int64_t seq, const cts_auditmap_version *v, size_t n)
{
	audit *a = ctx;
	char path[160], list[DETAIL_MAX / 2] = "";
	git_oid c;

	if (n < 2)
		return 0;
	for (size_t k = 0; k < n; k++) {
		char bhex[GIT_OID_HEXSZ + 1], chex[GIT_OID_HEXSZ + 1];
		git_oid o;
		memcpy(o.id, v[k].blob, 20);
		oid_hex(bhex, &o);
		memcpy(o.id, v[k].commit, 20);
		oid_hex(chex, &o);
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%.12s (branche %s, commit %.12s)",
		         k ? ", " : "", bhex, v[k].branch, chex);
	}
	memcpy(c.id, v[n - 1].commit, 20);
	changeset_path(path, sizeof(path), node, seq, 0);
	finding(a, "fork", node, seq, &c, path, v[n - 1].branch,
	        "bifurcation : %zu versions différentes du changeset n°%lld de %s dans le "
	        "dépôt : %s",
	        n, (long long)seq, node, list);
	return 0;
}

static void report_forks(audit *a)
{
	if (cts_auditmap_each_fork(a->map, report_fork, a) < 0)
		a->oom = 1;
}

/* ---- --state ---- */

static int check_state(audit *a, json_t **state_out)
{
	char *data = NULL;
	size_t len = 0;
	json_t *st = NULL, *refs;
	json_error_t jerr;
	const char *name;
	json_t *v;
	int rc;

	*state_out = json_pack("{s:s, s:i, s:b}", "path", a->opt->state_path, "previous_refs", 0,
	                       "written", 0);
	if (!*state_out)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	rc = cts_read_file(a->opt->state_path, CTS_AUDIT_MAX_STATE_BYTES, &data, &len);
	if (rc == CTS_ENOTFOUND) {
		cts_error_clear();
		return 0; /* first audit: the state starts now */
	}
	if (rc < 0)
		return cts_error_prefix(rc, "état d'audit %s : ", a->opt->state_path);
	st = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	free(data);
	refs = json_object_get(st, "refs");
	if (!json_is_object(st) || !json_is_object(refs) ||
	    strcmp(json_string_value(json_object_get(st, "format"))
	               ? json_string_value(json_object_get(st, "format"))
	               : "",
	           "ctsnode-audit-state") != 0) {
		json_decref(st);
		return cts_error_set(CTS_EINVAL,
		                     "état d'audit %s illisible : un fichier écrit par « ctsnode "
		                     "audit --state » est attendu",
		                     a->opt->state_path);
	}
	if (json_object_size(refs) > CTS_AUDIT_MAX_BRANCHES) {
		json_decref(st);
		return cts_error_set(CTS_ELIMIT, "état d'audit %s : trop de branches",
		                     a->opt->state_path);
	}
	json_object_set_new(*state_out, "previous_refs",
	                    json_integer((json_int_t)json_object_size(refs)));
	json_object_foreach(refs, name, v)
	{
		const char *hex = json_string_value(v);
		git_oid old;
		branch *b = find_branch(a, name);
		const char *node = strncmp(name, "nodes/", 6) == 0 ? name + 6 : NULL;

		if (!hex || !is_hex(hex, GIT_OID_HEXSZ) || git_oid_fromstr(&old, hex) < 0) {
			json_decref(st);
			return cts_error_set(CTS_EINVAL,
			                     "état d'audit %s : commit invalide pour %.80s",
			                     a->opt->state_path, name);
		}
		if (!b) {
			finding(a, "rewritten_branch", node, 0, &old, NULL, name,
			        "la branche %s, vérifiée lors d'un audit précédent (commit %.12s), "
			        "a disparu du dépôt",
			        name, hex);
			continue;
		}
		if (git_oid_equal(&old, &b->tip))
			continue;
		if (cts_gitrepo_is_ancestor(a->repo, &old, &b->tip) != 1) {
			char tip[GIT_OID_HEXSZ + 1];
			oid_hex(tip, &b->tip);
			git_error_clear();
			finding(a, "rewritten_branch", node, 0, &b->tip, NULL, name,
			        "la branche %s a été réécrite : elle ne prolonge plus le commit "
			        "%.12s vérifié lors de l'audit "
			        "précédent (elle pointe maintenant sur %.12s)",
			        name, hex, tip);
		}
	}
	json_decref(st);
	return 0;
}

static int write_state(audit *a, const char *repo_name, json_t *state_info)
{
	json_t *st = json_pack("{s:s, s:i, s:o, s:o}", "format", "ctsnode-audit-state", "version",
	                       1, "repository", jstr(repo_name), "refs", json_object());
	json_t *refs = json_object_get(st, "refs");
	char *text;
	int rc;

	if (!st)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	/* The branches of the contract only: node branches and region, which
	 * must only fast-forward. */
	for (size_t i = 0; i < a->nbr; i++) {
		char hex[GIT_OID_HEXSZ + 1];
		if (a->br[i].kind != BR_NODE && a->br[i].kind != BR_REGION)
			continue;
		oid_hex(hex, &a->br[i].tip);
		json_object_set_new(refs, a->br[i].name, json_string(hex));
	}
	text = json_dumps(st, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(st);
	if (!text)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	rc = cts_write_file_atomic(a->opt->state_path, text, strlen(text), 0644);
	free(text);
	if (rc == 0)
		json_object_set_new(state_info, "written", json_true());
	return rc;
}

/* ---- --check-report ---- */

/* Differences between two JSON values, as "path : a ≠ b" lines. */
static void json_diff(const json_t *x, const json_t *y, const char *path, json_t *out)
{
	char sub[512];

	if (json_array_size(out) >= REPORT_MAX_DIFFS)
		return;
	if (json_is_object(x) && json_is_object(y)) {
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)x, k, v)
		{
			snprintf(sub, sizeof(sub), "%s/%s", path, k);
			json_diff(v, json_object_get(y, k), sub, out);
		}
		json_object_foreach((json_t *)y, k, v)
		{
			if (!json_object_get(x, k)) {
				snprintf(sub, sizeof(sub), "%s/%s", path, k);
				json_diff(NULL, v, sub, out);
			}
		}
		return;
	}
	if (json_is_array(x) && json_is_array(y) && json_array_size(x) == json_array_size(y)) {
		for (size_t i = 0; i < json_array_size(x); i++) {
			snprintf(sub, sizeof(sub), "%s/%zu", path, i);
			json_diff(json_array_get(x, i), json_array_get(y, i), sub, out);
		}
		return;
	}
	if (x && y && json_equal((json_t *)x, (json_t *)y))
		return;
	{
		char *sx =
		    x ? json_dumps(x, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(6))
		      : NULL;
		char *sy =
		    y ? json_dumps(y, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(6))
		      : NULL;
		char line[600];
		snprintf(line, sizeof(line), "%s : publié %.120s, recalculé %.120s",
		         *path ? path : "/", sx ? sx : "(absent)", sy ? sy : "(absent)");
		sanitize(line);
		json_array_append_new(out, json_string(line));
		free(sx);
		free(sy);
	}
}

/* The N/D of the quorum rule sentence of a report, if any. */
static void quorum_of(const char *rule, int *num, int *den)
{
	for (const char *p = rule; p && *p; p++) {
		int a, b, used = 0;
		if (*p >= '0' && *p <= '9' && (p == rule || p[-1] == ' ') &&
		    sscanf(p, "%d/%d%n", &a, &b, &used) == 2 && used > 2 && b > 0 && a >= 0 &&
		    a <= b) {
			*num = a;
			*den = b;
			return;
		}
	}
}

static int check_report(audit *a, json_t **info_out)
{
	char *data = NULL, tmpl[4200], home[4300], node_id[64];
	size_t len = 0;
	json_t *rep = NULL, *heads, *mine = NULL, *diffs = json_array(), *info = NULL, *v;
	json_error_t jerr;
	cts_node *n = NULL;
	cts_import_stats stats = {0};
	const char *node, *scope, *from, *to;
	int rc = 0, problems = 0, tmp_made = 0;
	cts_report_params p = {0};

	*info_out = NULL;
	if (!diffs)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	info = json_pack("{s:s, s:b, s:o}", "file", a->opt->check_report, "ok", 0, "differences",
	                 diffs);
	if (!info)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	*info_out = info;
	if ((rc = cts_read_file(a->opt->check_report, CTS_AUDIT_MAX_REPORT_BYTES, &data, &len)) < 0)
		return cts_error_prefix(rc, "rapport %s : ", a->opt->check_report);
	rep = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	free(data);
	if (!json_is_object(rep)) {
		json_decref(rep);
		return cts_error_set(CTS_EINVAL,
		                     "rapport %s illisible : un rapport « ctsnode report --format "
		                     "json » est attendu (%s, ligne %d)",
		                     a->opt->check_report, jerr.text, jerr.line);
	}
	heads = json_object_get(rep, "heads");
	from = json_string_value(json_object_get(json_object_get(rep, "period"), "from"));
	to = json_string_value(json_object_get(json_object_get(rep, "period"), "to"));
	scope = json_string_value(json_object_get(rep, "scope"));
	if (!json_is_object(heads) || !from || !to) {
		finding(a, "report_mismatch", NULL, 0, NULL, a->opt->check_report, NULL,
		        "le rapport ne dit pas de quel historique il provient (membres « heads » "
		        "et « period » attendus)");
		goto out;
	}
	if (!a->authority[0]) {
		finding(a, "report_unverifiable", NULL, 0, NULL, a->opt->check_report, NULL,
		        "pas d'autorité reconnue dans le dépôt : le rapport ne peut pas être "
		        "recalculé");
		goto out;
	}
	/* Every head must be in the repository, with that id. */
	json_object_foreach(heads, node, v)
	{
		int64_t seq = json_integer_value(json_object_get(v, "seq"));
		const char *id = json_string_value(json_object_get(v, "id"));
		branch *b = cts_valid_node_id(node) ? node_branch(a, node) : NULL;
		char path[160], got[65] = "";
		unsigned char *js = NULL;
		size_t jl;
		if (!b || seq < 1 || !is_hex(id, 64)) {
			finding(a, "report_mismatch", cts_valid_node_id(node) ? node : NULL, seq,
			        NULL, a->opt->check_report, NULL,
			        "le rapport cite l'historique de %s (n°%lld) que le dépôt n'a pas",
			        node, (long long)seq);
			problems++;
			continue;
		}
		changeset_path(path, sizeof(path), node, seq, 0);
		if (cts_gitrepo_read_file(a->repo, &b->tip, path, CTS_CHANGESET_MAX_BYTES, &js,
		                          &jl) == 0)
			cts_changeset_hash((const char *)js, jl, got);
		cts_error_clear();
		free(js);
		if (strcmp(got, id) != 0) {
			finding(a, "report_mismatch", node, seq, &b->tip, path, b->name,
			        "le rapport est calculé jusqu'au changeset n°%lld de %s "
			        "d'empreinte %.12s… ; le dépôt %s",
			        (long long)seq, node, id,
			        got[0] ? "en porte un autre" : "ne l'a pas");
			problems++;
		}
	}
	if (problems)
		goto out;
	/* A throwaway node that imports exactly that history. */
	if ((rc = make_tmpdir(tmpl, sizeof(tmpl), "rapport")) < 0)
		goto out;
	tmp_made = 1;
	snprintf(home, sizeof(home), "%s/node", tmpl);
	for (int k = 0;; k++) {
		snprintf(node_id, sizeof(node_id), k ? "audit-recalcul-%d" : "audit-recalcul", k);
		if (!json_object_get(heads, node_id) && !node_branch(a, node_id))
			break;
	}
	{
		cts_node_params np = {.node_id = node_id,
		                      .territory = "audit-recalcul",
		                      .role = CTS_ROLE_TERRITORY,
		                      .authority_key = a->authority_key,
		                      .remote = NULL,
		                      .passphrase = NULL};
		if ((rc = cts_node_create(&n, home, &np)) < 0) {
			cts_error_prefix(rc, "recalcul du rapport : ");
			goto out;
		}
	}
	if ((rc = cts_store_begin(n->store)) < 0)
		goto out;
	json_object_foreach(heads, node, v)
	{
		int64_t last = json_integer_value(json_object_get(v, "seq"));
		branch *b = node_branch(a, node);
		for (int64_t s = 1; s <= last && rc == 0; s++) {
			char path[160], spath[168];
			unsigned char *js = NULL, *sg = NULL;
			size_t jl = 0, sl = 0;
			changeset_path(path, sizeof(path), node, s, 0);
			changeset_path(spath, sizeof(spath), node, s, 1);
			if (cts_gitrepo_read_file(a->repo, &b->tip, path, CTS_CHANGESET_MAX_BYTES,
			                          &js, &jl) < 0 ||
			    cts_gitrepo_read_file(a->repo, &b->tip, spath, CTS_SIG_MAX_BYTES, &sg,
			                          &sl) < 0) {
				finding(a, "report_unverifiable", node, s, &b->tip, path, b->name,
				        "le changeset n°%lld de %s, dont le rapport dépend, est "
				        "absent ou illisible : %s",
				        (long long)s, node, cts_error_message());
				cts_error_clear();
				problems++;
			} else {
				rc = cts_import_offer(n, node, s, (const char *)js, jl,
				                      (const char *)sg, sl, &stats);
			}
			free(js);
			free(sg);
		}
		if (rc < 0)
			break;
	}
	if (rc == 0)
		rc = cts_store_commit(n->store);
	else
		cts_store_rollback(n->store);
	if (rc < 0)
		goto out;
	if ((rc = cts_import_process(n, &stats)) < 0)
		goto out;
	{
		size_t i;
		json_t *ev;
		json_array_foreach(stats.events, i, ev)
		{
			finding(a, "report_unverifiable",
			        json_string_value(json_object_get(ev, "node")),
			        json_integer_value(json_object_get(ev, "seq")), NULL,
			        a->opt->check_report, NULL,
			        "recalcul du rapport : changeset %s (%s)",
			        json_string_value(json_object_get(ev, "state")),
			        json_string_value(json_object_get(ev, "reason")));
			problems++;
		}
	}
	p.from = from;
	p.to = to;
	p.quorum_num = 1;
	p.quorum_den = 2;
	p.territory = scope && strcmp(scope, a->region) != 0 ? scope : NULL;
	quorum_of(json_string_value(json_object_get(rep, "quorum_rule")), &p.quorum_num,
	          &p.quorum_den);
	if ((rc = cts_report_build(n, &p, &mine)) < 0) {
		finding(a, "report_mismatch", NULL, 0, NULL, a->opt->check_report, NULL,
		        "le rapport ne peut pas être recalculé : %s", cts_error_message());
		cts_error_clear();
		rc = 0;
		goto out;
	}
	json_object_del(rep, "generated_at");
	json_object_del(mine, "generated_at");
	if (!json_equal(rep, mine)) {
		char list[DETAIL_MAX - 200] = "";
		size_t i;
		json_diff(rep, mine, "", diffs);
		json_array_foreach(diffs, i, v)
		    snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
		             i ? " ; " : "", json_string_value(v));
		finding(a, "report_mismatch", NULL, 0, NULL, a->opt->check_report, NULL,
		        "le rapport publié ne correspond pas à l'historique qu'il cite : %s", list);
		problems++;
	}
	if (!problems)
		json_object_set_new(info, "ok", json_true());
out:
	cts_import_stats_dispose(&stats);
	cts_node_free(n);
	if (tmp_made)
		remove_tree(tmpl);
	json_decref(rep);
	json_decref(mine);
	return rc;
}

/* ---- driver ---- */

int cts_audit_is_url(const char *s)
{
	const char *colon, *slash;

	if (!s)
		return 0;
	if (strstr(s, "://"))
		return 1;
	if (s[0] == '/' || s[0] == '.')
		return 0;
	colon = strchr(s, ':');
	slash = strchr(s, '/');
	return colon && (!slash || colon < slash); /* scp-like user@host:path */
}

static void audit_dispose(audit *a)
{
	for (size_t i = 0; i < a->nbr; i++) {
		free(a->br[i].name);
		free(a->br[i].commits);
	}
	free(a->br);
	json_decref(a->findings);
	json_decref(a->notices);
	json_decref(a->nodes);
	json_decref(a->registry);
	json_decref(a->reg_by_rid);
	json_decref(a->cp_state);
	json_decref(a->checkpoints);
	json_decref(a->cp_seen);
	cts_auditmap_free(a->map);
	json_decref(a->cp_wanted);
	json_decref(a->cp_ids);
	json_decref(a->witness);
	json_decref(a->unverified);
	if (a->pool) {
		pool_stop(a->pool);
		free(a->pool);
	}
	cts_gitrepo_free(a->repo);
}

int cts_audit_run(const char *path_or_url, const cts_audit_options *opt, json_t **report)
{
	static const cts_audit_options none = {0};
	audit a;
	char tmpl[4200], clone[4300];
	json_t *out = NULL, *state_info = NULL, *report_info = NULL, *others = NULL;
	int rc, tmp_made = 0;
	branch *auth;

	*report = NULL;
	memset(&a, 0, sizeof(a));
	a.opt = opt ? opt : &none;
	a.progress_every = a.opt->progress_every ? a.opt->progress_every : DEFAULT_PROGRESS_EVERY;
	a.findings = json_array();
	a.notices = json_array();
	a.nodes = json_object();
	a.registry = json_object();
	a.reg_by_rid = json_object();
	a.cp_state = json_object();
	a.checkpoints = json_array();
	a.cp_seen = json_object();
	a.witness = json_object();
	a.unverified = json_array();
	others = json_array();
	if (!a.findings || !a.nodes || !a.registry || !a.reg_by_rid || !a.cp_state ||
	    !a.checkpoints || !a.cp_seen || !a.witness || !a.unverified || !others) {
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		goto cleanup;
	}
	if ((rc = cts_auditmap_open(&a.map)) < 0)
		goto cleanup;
	if (!path_or_url || !*path_or_url) {
		rc = cts_error_set(CTS_EINVAL, "dépôt à auditer non indiqué");
		goto cleanup;
	}
	for (size_t i = 0; i < a.opt->n_expect_heads; i++) {
		char node[65], id[65];
		int64_t seq;
		if ((rc = cts_audit_parse_head(a.opt->expect_heads[i], node, &seq, id)) < 0)
			goto cleanup;
	}
	/* The repository: opened read-only, or cloned into a temporary directory. */
	if (cts_audit_is_url(path_or_url)) {
		if ((rc = make_tmpdir(tmpl, sizeof(tmpl), "clone")) < 0)
			goto cleanup;
		tmp_made = 1;
		snprintf(clone, sizeof(clone), "%s/repo.git", tmpl);
		if (a.opt->progress)
			a.opt->progress("copie du dépôt", 0, a.opt->progress_ctx);
		if ((rc = cts_gitrepo_open(&a.repo, clone)) < 0 ||
		    (rc = cts_gitrepo_set_remote(a.repo, path_or_url)) < 0 ||
		    (rc = cts_gitrepo_fetch(a.repo)) < 0) {
			cts_error_prefix(rc, "copie du dépôt %s : ", path_or_url);
			goto cleanup;
		}
	} else if ((rc = cts_gitrepo_open_existing(&a.repo, path_or_url)) < 0) {
		cts_error_prefix(rc, "%s : ", path_or_url);
		goto cleanup;
	}
	if ((rc = load_branches(&a)) < 0)
		goto cleanup;
	/* 1. Structure: every commit of every branch, diffed against its parent. */
	for (size_t i = 0; i < a.nbr; i++) {
		branch *b = &a.br[i];
		if (b->kind == BR_BADNODE)
			finding(&a, "bad_branch_name", NULL, 0, &b->tip, NULL, b->name,
			        "branche %s : « %s » n'est pas un identifiant de nœud valide "
			        "([a-z0-9-]{3,64})",
			        b->name, b->name + 6);
		if (b->kind == BR_OTHER)
			json_array_append_new(others, jstr(b->name));
		if (b->kind == BR_NODE) {
			char hex[GIT_OID_HEXSZ + 1];
			oid_hex(hex, &b->tip);
			json_object_set_new(node_summary(&a, b->node), "head", json_string(hex));
		}
		if ((rc = walk_branch(&a, b)) < 0)
			goto cleanup;
		if (a.opt->progress)
			a.opt->progress("commits lus", a.commits_visited, a.opt->progress_ctx);
	}
	/* 2. The authority, then its chain: the registry. */
	if ((rc = find_authority(&a)) < 0)
		goto cleanup;
	auth = a.authority[0] ? node_branch(&a, a.authority) : NULL;
	if (!(a.pool = malloc(sizeof(*a.pool)))) {
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		goto cleanup;
	}
	if ((rc = pool_start(a.pool)) < 0) {
		free(a.pool);
		a.pool = NULL;
		goto cleanup;
	}
	if (auth && (rc = verify_chain(&a, auth, 1, a.authority_pk)) < 0)
		goto cleanup;
	if ((rc = want_checkpointed(&a)) < 0)
		goto cleanup;
	/* 3. Every other node branch against that registry. */
	for (size_t i = 0; i < a.nbr; i++) {
		branch *b = &a.br[i];
		json_t *e;
		if (b->kind != BR_NODE)
			continue;
		e = reg_get(&a, b->node);
		if (e) {
			json_t *s = node_summary(&a, b->node);
			json_object_set(s, "territory", json_object_get(e, "territory"));
			json_object_set(s, "role", json_object_get(e, "role"));
			if (reg_revoked(e) >= 0)
				json_object_set_new(s, "revoked_after",
				                    json_integer((json_int_t)reg_revoked(e)));
		}
		if (b == auth)
			continue;
		if (!e)
			finding(&a, "unknown_signer", b->node, 0, &b->tip, NULL, b->name,
			        "la branche %s appartient à un nœud que le registre de l'autorité "
			        "n'a jamais inscrit : "
			        "aucune de ses signatures ne peut être vérifiée",
			        b->name);
		if ((rc = verify_chain(&a, b, 0, NULL)) < 0)
			goto cleanup;
	}
	progress(&a, "changesets vérifiés", 1);
	pool_stop(a.pool); /* no thread is left running past the chains */
	free(a.pool);
	a.pool = NULL;
	/* 4. Commit signatures: nodes by their own key, region by the authority. */
	for (size_t i = 0; i < a.nbr; i++) {
		branch *b = &a.br[i];
		unsigned char pk[32];
		json_t *e = NULL;
		if (b->kind == BR_NODE && (e = reg_get(&a, b->node)) && reg_pk(e, pk) == 0) {
			for (size_t k = 0; k < b->ncommits && !a.oom; k++)
				check_commit_signature(&a, b, &b->commits[k], b->node, pk);
		} else if (b->kind == BR_REGION && a.authority[0]) {
			for (size_t k = 0; k < b->ncommits && !a.oom; k++)
				check_commit_signature(&a, b, &b->commits[k], a.authority,
				                       a.authority_pk);
		}
	}
	/* 5. Forks, allowed_signers, checkpoints, then completeness: every head
	 * a signed witness (or the auditor) says existed is still there. */
	report_forks(&a);
	check_unverified_forks(&a);
	if (a.authority[0]) {
		check_allowed_signers(&a);
		check_checkpoints(&a);
	}
	check_witnesses(&a);
	if (a.authority[0])
		check_published_reports(&a);
	check_expected_heads(&a);
	if (a.oom) {
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		goto cleanup;
	}
	/* 6. Heads remembered from the previous audit; the published report. */
	if (a.opt->state_path && (rc = check_state(&a, &state_info)) < 0)
		goto cleanup;
	if (a.opt->check_report && (rc = check_report(&a, &report_info)) < 0)
		goto cleanup;
	if (a.opt->state_path && a.findings_total == 0 &&
	    (rc = write_state(&a, path_or_url, state_info)) < 0)
		goto cleanup;
	out = json_pack("{s:b, s:o, s:o, s:o, s:O, s:O, s:I, s:I, s:I, s:I, s:O}", "ok",
	                a.findings_total == 0, "repository", jstr(path_or_url), "authority",
	                a.authority[0] ? json_string(a.authority) : json_null(), "region",
	                a.region[0] ? json_string(a.region) : json_null(), "nodes", a.nodes,
	                "findings", a.findings, "findings_total", (json_int_t)a.findings_total,
	                "commits", (json_int_t)a.commits_visited, "changesets",
	                (json_int_t)a.changesets_seen, "checkpoints",
	                (json_int_t)json_array_size(a.checkpoints), "other_branches", others);
	if (!out) {
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		goto cleanup;
	}
	json_object_set(out, "notices", a.notices);
	/* What the verdict proves about completeness (docs/AUDIT.md). */
	json_object_set_new(out, "completeness",
	                    json_string(a.opt->n_expect_heads > 0 ||
	                                        json_integer_value(json_object_get(state_info, "previous_refs")) > 0
	                                    ? "pinned"
	                                    : "witnessed"));
	if (state_info)
		json_object_set(out, "state", state_info);
	if (report_info)
		json_object_set(out, "report_check", report_info);
	*report = out;
	rc = 0;
cleanup:
	json_decref(state_info);
	json_decref(report_info);
	json_decref(others);
	audit_dispose(&a);
	if (tmp_made)
		remove_tree(tmpl);
	return rc;
}
