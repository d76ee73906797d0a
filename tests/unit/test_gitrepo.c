/* The libgit2 layer against stock tools: commits signed through a real
 * `ssh-keygen -Y sign` pass `git verify-commit`; add-only and
 * compare-and-swap on refs; push/fetch through a path, file://, a real
 * `git daemon` (git://) and a real OpenSSH server (ssh://) on loopback;
 * rewrite and hook refusals; unreachable remotes; host keys; bounded and
 * validated reading of hostile trees; packing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first */
#include <cmocka.h>

#include "error.h"
#include "gitrepo.h"
#include "gitrepo_impl.h" /* cts_gitrepo_raw */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WHEN 1700000000

/* Under AddressSanitizer: record full malloc stacks, so that the entries
 * of tests/lsan.supp (leaks inside libgit2 1.5 and libssh2, matched by
 * function name, e.g. git_remote_connect_ext) apply; system libraries
 * have no frame pointers for the fast unwinder. Unused otherwise. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

/* ---- shared state: one temp dir and one node key for the whole run ---- */

static char *g_dir;      /* temp root */
static char *g_key;      /* node signing key (ed25519, no passphrase) */
static char *g_signers;  /* allowed_signers for git verify-commit */
static char g_user[256]; /* local user name, for ssh:// URLs */
static int g_seq;        /* unique names */
static pid_t g_pids[4];  /* servers still running (stopped at teardown) */

/* Run a shell command; *out (if not NULL) gets stdout+stderr, malloc'd.
 * Returns the exit status, or -1. */
static int sh(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sh(char **out, const char *fmt, ...)
{
	char cmd[8192], buf[4096];
	va_list ap;
	FILE *p;
	size_t len = 0, n;
	char *acc = NULL;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd) - 8, fmt, ap);
	va_end(ap);
	strcat(cmd, " 2>&1");
	if (!(p = popen(cmd, "r")))
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
		char *nacc = realloc(acc, len + n + 1);
		if (!nacc)
			break;
		acc = nacc;
		memcpy(acc + len, buf, n);
		len += n;
		acc[len] = '\0';
	}
	st = pclose(p);
	if (out)
		*out = acc ? acc : strdup("");
	else
		free(acc);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Like sh() but returns the output with its trailing newline removed;
 * fails the test on a nonzero exit. */
static char *sh_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sh_ok(const char *fmt, ...)
{
	char cmd[8192], *out = NULL;
	va_list ap;
	int rc;
	size_t l;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = sh(&out, "%s", cmd);
	if (rc != 0)
		fail_msg("command failed (%d): %s\n%s", rc, cmd, out ? out : "");
	l = strlen(out);
	while (l > 0 && out[l - 1] == '\n')
		out[--l] = '\0';
	return out;
}

static char *mkpath(const char *name)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s/%s-%d", g_dir, name, ++g_seq);
	return strdup(buf);
}

static const char *hex(const cts_gitoid *oid)
{
	static char bufs[4][CTS_GITOID_HEXSZ + 1];
	static int i;

	i = (i + 1) % 4;
	cts_gitoid_hex(bufs[i], oid);
	return bufs[i];
}

/* ---- signing through the real ssh-keygen ---- */

typedef struct {
	const char *key;
	const char *before; /* shell command run before signing (CAS test) */
	int calls;
} signer;

static int sign_cb(char **armored, size_t *armored_len, const char *payload, size_t payload_len,
                   void *ctx)
{
	signer *s = ctx;
	char file[4096], sig[4200];
	FILE *f;
	size_t len;

	s->calls++;
	if (s->before && sh(NULL, "%s", s->before) != 0)
		return cts_error_set(CTS_ERR, "test: pre-sign command failed");
	snprintf(file, sizeof(file), "%s/payload-%d", g_dir, ++g_seq);
	snprintf(sig, sizeof(sig), "%s.sig", file);
	if (!(f = fopen(file, "wb")) || fwrite(payload, 1, payload_len, f) != payload_len) {
		if (f)
			fclose(f);
		return cts_error_set(CTS_EIO, "test: cannot write payload");
	}
	fclose(f);
	if (sh(NULL, "ssh-keygen -q -Y sign -n git -f '%s' '%s'", s->key, file) != 0)
		return cts_error_set(CTS_ECRYPTO, "test: ssh-keygen -Y sign failed");
	*armored = tu_read_file(sig, &len);
	*armored_len = len;
	unlink(file);
	unlink(sig);
	return *armored ? 0 : cts_error_set(CTS_EIO, "test: no signature");
}

static int failing_sign(char **armored, size_t *armored_len, const char *payload,
                        size_t payload_len, void *ctx)
{
	(void)armored, (void)armored_len, (void)payload, (void)payload_len, (void)ctx;
	return cts_error_set(CTS_EAUTH, "phrase de passe refusée (test)");
}

static int commit1(cts_gitrepo *r, const char *ref, const char *path, const char *content,
                   int allow_replace, cts_gitoid *out)
{
	signer s = { g_key, NULL, 0 };
	cts_git_file f = { path, (const unsigned char *)content, strlen(content) };

	return cts_gitrepo_commit_files(r, ref, &f, 1, allow_replace, "test\n", "n1", "n1@invalid",
	                                WHEN, sign_cb, &s, out);
}

/* Commit changesets/n1/<seq>.json and .json.sig onto refs/heads/nodes/n1. */
static void commit_seq(cts_gitrepo *r, int seq, cts_gitoid *out)
{
	char p1[128], p2[128], c1[64], c2[64];
	signer s = { g_key, NULL, 0 };

	snprintf(p1, sizeof(p1), "changesets/n1/%012d.json", seq);
	snprintf(p2, sizeof(p2), "changesets/n1/%012d.json.sig", seq);
	snprintf(c1, sizeof(c1), "{\"seq\":%d}\n", seq);
	snprintf(c2, sizeof(c2), "signature %d\n", seq);
	cts_git_file files[2] = { { p1, (const unsigned char *)c1, strlen(c1) },
		                  { p2, (const unsigned char *)c2, strlen(c2) } };
	assert_int_equal(cts_gitrepo_commit_files(r, "refs/heads/nodes/n1", files, 2, 0,
	                                          "changesets\n", "n1", "n1@invalid", WHEN + seq,
	                                          sign_cb, &s, out),
	                 0);
	assert_int_equal(s.calls, 1);
}

static void assert_ref(cts_gitrepo *r, const char *ref, const cts_gitoid *want)
{
	cts_gitoid got;

	assert_int_equal(cts_gitrepo_ref_oid(r, ref, &got), 0);
	assert_string_equal(hex(&got), hex(want));
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!hay || !strstr(hay, needle))
		fail_msg("expected \"%s\" in: %s", needle, hay ? hay : "(null)");
}

/* ---- processes and ports ---- */

static int free_port(void)
{
	struct sockaddr_in a = { 0 };
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static int port_open(int port)
{
	struct sockaddr_in a = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* Start argv[0] (absolute path) in its own process group, output to log;
 * wait (bounded) until it accepts connections on port. */
static pid_t start_server(char *const argv[], const char *log, int port)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		setpgid(0, 0);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	setpgid(pid, pid);
	for (int i = 0; i < 4; i++)
		if (!g_pids[i]) {
			g_pids[i] = pid;
			break;
		}
	for (int i = 0; i < 400; i++) { /* at most ~10 s */
		int st;
		if (port_open(port))
			return pid;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			char *l = tu_read_file(log, NULL);
			fail_msg("%s exited early: %s", argv[0], l ? l : "");
		}
		usleep(25000);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
	fail_msg("%s did not listen on port %d", argv[0], port);
	return -1;
}

static void stop_server(pid_t pid)
{
	int st;

	for (int i = 0; i < 4; i++)
		if (g_pids[i] == pid)
			g_pids[i] = 0;
	kill(-pid, SIGTERM);
	for (int i = 0; i < 200; i++) { /* at most ~2 s, then SIGKILL */
		if (waitpid(pid, &st, WNOHANG) == pid)
			return;
		usleep(10000);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, &st, 0);
}

/* ---- setup ---- */

static int group_setup(void **state)
{
	char *pub;
	const char *u = getenv("USER");

	(void)state;
	assert_int_equal(cts_git_init(), 0);
	g_dir = tu_tmpdir();
	assert_non_null(g_dir);
	chmod(g_dir, 0755);
	/* Stock git, deterministic: no user or system config. */
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
	setenv("GIT_AUTHOR_NAME", "someone else", 1);
	setenv("GIT_AUTHOR_EMAIL", "else@invalid", 1);
	setenv("GIT_COMMITTER_NAME", "someone else", 1);
	setenv("GIT_COMMITTER_EMAIL", "else@invalid", 1);
	g_key = tu_path(g_dir, "node_key");
	free(sh_ok("ssh-keygen -q -t ed25519 -N '' -C n1 -f '%s'", g_key));
	pub = sh_ok("cut -d' ' -f1,2 '%s.pub'", g_key);
	g_signers = tu_path(g_dir, "allowed_signers");
	free(sh_ok("printf 'n1 namespaces=\"git\" %%s\\n' '%s' > '%s'", pub, g_signers));
	free(pub);
	if (u && *u) {
		snprintf(g_user, sizeof(g_user), "%s", u);
	} else {
		char *who = sh_ok("id -un");
		snprintf(g_user, sizeof(g_user), "%s", who);
		free(who);
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 4; i++)
		if (g_pids[i])
			stop_server(g_pids[i]);
	tu_rmtree(g_dir);
	free(g_dir);
	free(g_key);
	free(g_signers);
	return 0;
}

/* ---- commits ---- */

static void test_commit_signed_and_verified(void **state)
{
	char *path = mkpath("node.git"), *out = NULL;
	cts_gitrepo *r = NULL;
	cts_gitoid c1, c2, tip;
	struct stat sb;

	(void)state;
	assert_int_equal(cts_gitrepo_open(&r, path), 0);
	/* Created bare: no work tree, objects/ at the top. */
	assert_int_equal(stat(path, &sb), 0);
	assert_true(git_repository_is_bare(cts_gitrepo_raw(r)));
	assert_int_equal(cts_gitrepo_ref_oid(r, "refs/heads/nodes/n1", &tip), CTS_ENOTFOUND);
	commit_seq(r, 1, &c1);
	commit_seq(r, 2, &c2);
	assert_ref(r, "refs/heads/nodes/n1", &c2);

	/* Stock git verifies both signatures against allowed_signers. */
	const cts_gitoid *both[2] = { &c1, &c2 };
	for (int i = 0; i < 2; i++) {
		int rc = sh(&out,
		            "git --git-dir='%s' -c gpg.format=ssh -c "
		            "gpg.ssh.allowedSignersFile='%s' verify-commit %s",
		            path, g_signers, hex(both[i]));
		if (rc != 0)
			fail_msg("verify-commit %s: %s", hex(both[i]), out);
		assert_contains(out, "Good \"git\" signature for n1");
		free(out);
	}
	/* ... and refuses it with another key as n1. */
	{
		char *other = mkpath("other_key"), *signers2 = mkpath("signers2"), *pub;
		free(sh_ok("ssh-keygen -q -t ed25519 -N '' -f '%s'", other));
		pub = sh_ok("cut -d' ' -f1,2 '%s.pub'", other);
		free(sh_ok("printf 'n1 namespaces=\"git\" %%s\\n' '%s' > '%s'", pub, signers2));
		assert_int_not_equal(
		    sh(&out,
		       "git --git-dir='%s' -c gpg.format=ssh -c gpg.ssh.allowedSignersFile='%s' "
		       "verify-commit %s",
		       path, signers2, hex(&c2)),
		    0);
		free(out);
		free(pub);
		free(other);
		free(signers2);
	}
	/* The files are in the tree, history is linear, the author is ours. */
	out = sh_ok("git --git-dir='%s' cat-file -p %s:changesets/n1/000000000001.json", path,
	            hex(&c2));
	assert_string_equal(out, "{\"seq\":1}");
	free(out);
	out = sh_ok("git --git-dir='%s' cat-file -p %s:changesets/n1/000000000002.json.sig", path,
	            hex(&c2));
	assert_string_equal(out, "signature 2");
	free(out);
	out = sh_ok("git --git-dir='%s' cat-file -p %s", path, hex(&c2));
	assert_contains(out, "parent ");
	assert_contains(out, hex(&c1));
	assert_contains(out, "author n1 <n1@invalid> 1700000002 +0000");
	assert_contains(out, "committer n1 <n1@invalid> 1700000002 +0000");
	free(out);
	out = sh_ok("git --git-dir='%s' cat-file -p %s", path, hex(&c1));
	assert_null(strstr(out, "parent "));
	free(out);
	free(sh_ok("git --git-dir='%s' fsck --strict --no-dangling", path));

	/* A node only adds files: an existing path is refused, ref unmoved. */
	assert_int_equal(commit1(r, "refs/heads/nodes/n1", "changesets/n1/000000000001.json",
	                         "changed\n", 0, NULL),
	                 CTS_EINVAL);
	assert_contains(cts_error_message(), "changesets/n1/000000000001.json");
	assert_contains(cts_error_message(), "existe déjà");
	assert_ref(r, "refs/heads/nodes/n1", &c2);
	cts_gitrepo_free(r);
	free(path);
}

static void test_commit_replace_and_invalid(void **state)
{
	char *path = mkpath("region.git"), *out;
	cts_gitrepo *r = NULL;
	cts_gitoid a, b, tip;
	signer s = { g_key, NULL, 0 };

	(void)state;
	assert_int_equal(cts_gitrepo_open(&r, path), 0);
	assert_int_equal(commit1(r, "refs/heads/region", "allowed_signers", "v1\n", 1, &a), 0);
	/* allow_replace: the region branch rewrites allowed_signers. */
	assert_int_equal(commit1(r, "refs/heads/region", "allowed_signers", "v2\n", 1, &b), 0);
	out = sh_ok("git --git-dir='%s' cat-file -p %s:allowed_signers", path, hex(&b));
	assert_string_equal(out, "v2");
	free(out);
	assert_int_equal(commit1(r, "refs/heads/region", "allowed_signers", "v3\n", 0, NULL),
	                 CTS_EINVAL);
	/* A directory is never replaced, even with allow_replace. */
	assert_int_equal(commit1(r, "refs/heads/region", "reports/2024.md", "r\n", 1, &b), 0);
	assert_int_equal(commit1(r, "refs/heads/region", "reports", "x\n", 1, NULL), CTS_EINVAL);
	/* A file is not a directory. */
	assert_int_equal(commit1(r, "refs/heads/region", "allowed_signers/x", "x\n", 1, NULL),
	                 CTS_EINVAL);
	/* Invalid paths and refs. */
	const char *bad[] = { "",      "/abs",        "a//b",     "a/",    "../x",
		              "a/./b", ".git/config", "a/.GIT/b", "a/../b" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(commit1(r, "refs/heads/region", bad[i], "x\n", 1, NULL),
		                 CTS_EINVAL);
		assert_contains(cts_error_message(), "chemin");
	}
	assert_int_equal(commit1(r, "heads/region", "ok", "x\n", 0, NULL), CTS_EINVAL);
	assert_int_equal(commit1(r, "refs/heads/bad..name", "ok", "x\n", 0, NULL), CTS_EINVAL);
	{
		cts_git_file twice[2] = { { "d/same", (const unsigned char *)"1", 1 },
			                  { "d/same", (const unsigned char *)"2", 1 } };
		assert_int_equal(cts_gitrepo_commit_files(r, "refs/heads/region", twice, 2, 1,
		                                          "m\n", "n1", "n1@invalid", WHEN, sign_cb,
		                                          &s, NULL),
		                 CTS_EINVAL);
		assert_contains(cts_error_message(), "deux fois");
	}
	/* A failing signer: its message is kept, the ref does not move. */
	{
		cts_git_file f = { "new", (const unsigned char *)"1", 1 };
		assert_int_equal(cts_gitrepo_commit_files(r, "refs/heads/region", &f, 1, 0, "m\n",
		                                          "n1", "n1@invalid", WHEN, failing_sign,
		                                          NULL, NULL),
		                 CTS_EAUTH);
		assert_contains(cts_error_message(), "phrase de passe refusée (test)");
	}
	assert_int_equal(cts_gitrepo_ref_oid(r, "refs/heads/region", &tip), 0);
	assert_string_equal(hex(&tip), hex(&b));
	cts_gitrepo_free(r);
	free(path);
}

static void test_commit_compare_and_swap(void **state)
{
	char *path = mkpath("cas.git"), cmd[8192], *foreign;
	cts_gitrepo *r = NULL;
	cts_gitoid c1, f, got;
	signer s = { g_key, cmd, 0 };
	cts_git_file file = { "changesets/n1/000000000002.json", (const unsigned char *)"x\n", 2 };

	(void)state;
	assert_int_equal(cts_gitrepo_open(&r, path), 0);
	commit_seq(r, 1, &c1);
	/* Someone else's commit, moved onto our branch while we sign. */
	foreign = sh_ok("git --git-dir='%s' commit-tree %s^{tree} -m foreign", path, hex(&c1));
	assert_int_equal(cts_gitoid_parse(&f, foreign), 0);
	snprintf(cmd, sizeof(cmd), "git --git-dir='%s' update-ref refs/heads/nodes/n1 %s", path,
	         foreign);
	assert_int_equal(cts_gitrepo_commit_files(r, "refs/heads/nodes/n1", &file, 1, 0, "m\n",
	                                          "n1", "n1@invalid", WHEN, sign_cb, &s, &got),
	                 CTS_EBUSY);
	assert_int_equal(s.calls, 1);
	assert_contains(cts_error_message(), "refs/heads/nodes/n1");
	assert_ref(r, "refs/heads/nodes/n1", &f);

	/* Same when the branch did not exist and someone creates it. */
	snprintf(cmd, sizeof(cmd), "git --git-dir='%s' update-ref refs/heads/nodes/n2 %s", path,
	         foreign);
	s.calls = 0;
	assert_int_equal(cts_gitrepo_commit_files(r, "refs/heads/nodes/n2", &file, 1, 0, "m\n",
	                                          "n1", "n1@invalid", WHEN, sign_cb, &s, &got),
	                 CTS_EBUSY);
	assert_ref(r, "refs/heads/nodes/n2", &f);
	free(foreign);
	cts_gitrepo_free(r);
	free(path);
}

/* ---- reading ---- */

typedef struct {
	char names[16][64];
	size_t sizes[16];
	unsigned modes[16];
	int n, stop_at, ret;
} list_acc;

static int list_cb(const char *name, const cts_gitoid *oid, size_t size, unsigned filemode,
                   void *ctx)
{
	list_acc *a = ctx;

	(void)oid;
	assert_true(a->n < 16);
	snprintf(a->names[a->n], sizeof(a->names[0]), "%s", name);
	a->sizes[a->n] = size;
	a->modes[a->n] = filemode;
	a->n++;
	return a->n == a->stop_at ? a->ret : 0;
}

typedef struct {
	cts_gitoid oids[16];
	int n, stop_at, ret;
} walk_acc;

static int walk_cb(const cts_gitoid *commit, void *ctx)
{
	walk_acc *a = ctx;

	assert_true(a->n < 16);
	a->oids[a->n++] = *commit;
	return a->n == a->stop_at ? a->ret : 0;
}

typedef struct {
	char refs[8][128];
	cts_gitoid oids[8];
	int n;
} refs_acc;

static int refs_cb(const char *ref, const cts_gitoid *oid, void *ctx)
{
	refs_acc *a = ctx;

	assert_true(a->n < 8);
	snprintf(a->refs[a->n], sizeof(a->refs[0]), "%s", ref);
	a->oids[a->n++] = *oid;
	return 0;
}

/* ---- what the audit reads: commit headers, entries, blobs, tree diffs ---- */

typedef struct {
	char log[2048];
	int stop_after; /* return 1 after this many events (0: never) */
	int n;
} diff_acc;

static int diff_cb(const cts_gitdiff *d, void *ctx)
{
	diff_acc *a = ctx;
	static const char *what[] = { "add", "del", "mod", "deep", "unreadable", "long", "many" };

	snprintf(a->log + strlen(a->log), sizeof(a->log) - strlen(a->log), "%s %s %o %o;",
	         what[d->what], d->path, d->old.mode, d->new.mode);
	return a->stop_after && ++a->n >= a->stop_after;
}

static int names_cb(const char *name, const cts_gitentry *e, void *ctx)
{
	char *log = ctx;

	snprintf(log + strlen(log), 256 - strlen(log), "%s:%d;", name, e->kind);
	return 0;
}

static void test_objects_and_diff(void **state)
{
	char *path = mkpath("diff.git"), names[256] = "", h[CTS_GITOID_HEXSZ + 1];
	cts_gitrepo *r = NULL;
	cts_gitoid c1, c2, parsed, blob_id;
	cts_gitcommit i1, i2, i_parent;
	cts_gitentry e;
	unsigned char *data = NULL;
	size_t len = 0, size = 0;
	int kind = -1;
	diff_acc d = { { 0 }, 0, 0 };

	(void)state;
	assert_int_equal(cts_gitrepo_open(&r, path), 0);
	assert_int_equal(commit1(r, "refs/heads/t", "a.txt", "one\n", 0, &c1), 0);
	assert_int_equal(commit1(r, "refs/heads/t", "a.txt", "two\n", 1, NULL), 0);
	assert_int_equal(commit1(r, "refs/heads/t", "dir/sub/b.txt", "bee\n", 0, &c2), 0);
	/* commit headers: the root has no parent; the tip's parent chain */
	assert_int_equal(cts_gitrepo_commit_info(r, &c1, &i1), 0);
	assert_int_equal(i1.nparents, 0);
	assert_int_equal(cts_gitrepo_commit_info(r, &c2, &i2), 0);
	assert_int_equal(i2.nparents, 1);
	assert_int_equal(cts_gitrepo_commit_info(r, &i2.parent, &i_parent), 0);
	assert_false(cts_gitoid_equal(&i2.parent, &c1));
	assert_int_equal(cts_gitrepo_commit_info(r, &i1.tree, &i_parent), CTS_EGIT); /* a tree */
	cts_error_clear();
	/* entries, blobs, sizes */
	assert_int_equal(cts_gitrepo_entry(r, &c2, "dir/sub/b.txt", &e), 0);
	assert_int_equal(e.kind, CTS_GIT_KIND_BLOB);
	assert_int_equal(e.mode, CTS_GIT_MODE_BLOB);
	cts_gitoid_blob(&blob_id, "bee\n", 4);
	assert_true(cts_gitoid_equal(&blob_id, &e.oid));
	assert_int_equal(cts_gitrepo_object_size(r, &e.oid, &size, &kind), 0);
	assert_int_equal(size, 4);
	assert_int_equal(kind, CTS_GIT_KIND_BLOB);
	assert_int_equal(cts_gitrepo_read_blob(r, &e.oid, NULL, 3, &data, &len), CTS_ELIMIT);
	assert_null(data);
	cts_error_clear();
	assert_int_equal(cts_gitrepo_read_blob(r, &e.oid, NULL, 4, &data, &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(data, "bee\n", 4);
	free(data);
	assert_int_equal(cts_gitrepo_read_blob(r, &i2.tree, NULL, 1000, &data, &len), CTS_EINVAL);
	cts_error_clear();
	assert_int_equal(cts_gitrepo_entry(r, &c2, "nope", &e), CTS_ENOTFOUND);
	cts_error_clear();
	assert_int_equal(cts_gitrepo_entry(r, &c2, "dir", &e), 0);
	assert_int_equal(e.kind, CTS_GIT_KIND_TREE);
	assert_int_equal(cts_gitrepo_tree_foreach(r, &e.oid, names_cb, names), 0);
	assert_string_equal(names, "sub:2;");
	/* ids as text */
	cts_gitoid_hex(h, &c2);
	assert_int_equal(cts_gitoid_parse(&parsed, h), 0);
	assert_true(cts_gitoid_equal(&parsed, &c2));
	assert_int_equal(cts_gitoid_parse(&parsed, "12zz"), CTS_EINVAL);
	cts_error_clear();
	/* diffs: from nothing, one change plus a new folder, depth and size bounds */
	assert_int_equal(cts_gitrepo_diff_trees(r, NULL, &i1.tree, 8, 100, diff_cb, &d), 0);
	assert_string_equal(d.log, "add a.txt 0 100644;");
	memset(&d, 0, sizeof(d));
	assert_int_equal(cts_gitrepo_diff_trees(r, &i1.tree, &i2.tree, 8, 100, diff_cb, &d), 0);
	assert_string_equal(d.log, "mod a.txt 100644 100644;add dir/sub/b.txt 0 100644;");
	memset(&d, 0, sizeof(d));
	assert_int_equal(cts_gitrepo_diff_trees(r, &i2.tree, &i1.tree, 1, 100, diff_cb, &d), 0);
	assert_string_equal(d.log, "mod a.txt 100644 100644;deep dir/sub 0 0;");
	memset(&d, 0, sizeof(d));
	d.stop_after = 1;
	assert_int_equal(cts_gitrepo_diff_trees(r, &i1.tree, &i2.tree, 8, 100, diff_cb, &d), 0);
	assert_string_equal(d.log, "mod a.txt 100644 100644;");
	memset(&d, 0, sizeof(d));
	assert_int_equal(cts_gitrepo_diff_trees(r, NULL, &i2.tree, 8, 1, diff_cb, &d), 0);
	assert_string_equal(d.log, "many  0 0;");
	cts_gitrepo_free(r);
	free(path);
}

static void test_read_list_walk_raw(void **state)
{
	char *path = mkpath("read.git"), *out;
	cts_gitrepo *r = NULL;
	cts_gitoid c[3];
	unsigned char *data = NULL;
	size_t len = 0;
	char *raw = NULL;
	list_acc la = { 0 };
	walk_acc wa = { 0 };
	refs_acc ra = { 0 };

	(void)state;
	assert_int_equal(cts_gitrepo_open(&r, path), 0);
	for (int i = 0; i < 3; i++)
		commit_seq(r, i + 1, &c[i]);

	/* read_file */
	assert_int_equal(
	    cts_gitrepo_read_file(r, &c[2], "changesets/n1/000000000002.json", 100, &data, &len),
	    0);
	assert_int_equal(len, strlen("{\"seq\":2}\n"));
	assert_memory_equal(data, "{\"seq\":2}\n", len);
	assert_int_equal(data[len], 0);
	free(data);
	assert_int_equal(
	    cts_gitrepo_read_file(r, &c[0], "changesets/n1/000000000002.json", 100, &data, &len),
	    CTS_ENOTFOUND);
	assert_null(data);
	assert_int_equal(
	    cts_gitrepo_read_file(r, &c[2], "changesets/n1/000000000002.json", 9, &data, &len),
	    CTS_ELIMIT);
	assert_null(data);
	assert_contains(cts_error_message(), "trop gros");
	assert_int_equal(cts_gitrepo_read_file(r, &c[2], "changesets/n1", 100, &data, &len),
	                 CTS_EINVAL);

	/* list_dir: name order, sizes, modes; stop and error propagation. */
	assert_int_equal(cts_gitrepo_list_dir(r, &c[2], "changesets/n1", 100, list_cb, &la), 0);
	assert_int_equal(la.n, 6);
	assert_string_equal(la.names[0], "000000000001.json");
	assert_string_equal(la.names[1], "000000000001.json.sig");
	assert_string_equal(la.names[5], "000000000003.json.sig");
	assert_int_equal(la.sizes[0], strlen("{\"seq\":1}\n"));
	assert_int_equal(la.sizes[1], strlen("signature 1\n"));
	assert_int_equal(la.modes[0], GIT_FILEMODE_BLOB);
	memset(&la, 0, sizeof(la));
	la.stop_at = 2;
	la.ret = 1;
	assert_int_equal(cts_gitrepo_list_dir(r, &c[2], "changesets/n1", 100, list_cb, &la), 0);
	assert_int_equal(la.n, 2);
	memset(&la, 0, sizeof(la));
	la.stop_at = 1;
	la.ret = CTS_EIO;
	assert_int_equal(cts_gitrepo_list_dir(r, &c[2], "changesets/n1", 100, list_cb, &la),
	                 CTS_EIO);
	assert_int_equal(la.n, 1);
	memset(&la, 0, sizeof(la));
	assert_int_equal(cts_gitrepo_list_dir(r, &c[2], "changesets/n1", 5, list_cb, &la),
	                 CTS_ELIMIT);
	assert_int_equal(la.n, 0);
	assert_int_equal(cts_gitrepo_list_dir(r, &c[2], "changesets/nobody", 5, list_cb, &la), 0);
	assert_int_equal(la.n, 0);
	assert_int_equal(
	    cts_gitrepo_list_dir(r, &c[2], "changesets/n1/000000000001.json", 5, list_cb, &la),
	    CTS_EINVAL);
	assert_int_equal(cts_gitrepo_list_dir(r, &c[2], NULL, 5, list_cb, &la), 0);
	assert_int_equal(la.n, 1);
	assert_string_equal(la.names[0], "changesets");
	assert_int_equal(la.modes[0], GIT_FILEMODE_TREE);

	/* walk: oldest first, stop excluded, bounded before any callback. */
	assert_int_equal(cts_gitrepo_walk(r, &c[2], NULL, 10, walk_cb, &wa), 0);
	assert_int_equal(wa.n, 3);
	for (int i = 0; i < 3; i++)
		assert_string_equal(hex(&wa.oids[i]), hex(&c[i]));
	memset(&wa, 0, sizeof(wa));
	assert_int_equal(cts_gitrepo_walk(r, &c[2], &c[0], 10, walk_cb, &wa), 0);
	assert_int_equal(wa.n, 2);
	assert_string_equal(hex(&wa.oids[0]), hex(&c[1]));
	assert_string_equal(hex(&wa.oids[1]), hex(&c[2]));
	memset(&wa, 0, sizeof(wa));
	assert_int_equal(cts_gitrepo_walk(r, &c[2], &c[2], 10, walk_cb, &wa), 0);
	assert_int_equal(wa.n, 0);
	assert_int_equal(cts_gitrepo_walk(r, &c[2], NULL, 2, walk_cb, &wa), CTS_ELIMIT);
	assert_int_equal(wa.n, 0);
	wa.stop_at = 1;
	wa.ret = CTS_ECRYPTO;
	assert_int_equal(cts_gitrepo_walk(r, &c[2], NULL, 10, walk_cb, &wa), CTS_ECRYPTO);
	assert_int_equal(wa.n, 1);

	/* is_ancestor */
	assert_int_equal(cts_gitrepo_is_ancestor(r, &c[0], &c[2]), 1);
	assert_int_equal(cts_gitrepo_is_ancestor(r, &c[1], &c[1]), 1);
	assert_int_equal(cts_gitrepo_is_ancestor(r, &c[2], &c[0]), 0);
	{
		cts_gitoid missing;
		memset(&missing, 0x42, sizeof(missing));
		assert_int_equal(cts_gitrepo_is_ancestor(r, &missing, &c[2]), 0);
	}

	/* commit_raw: exactly what git stores, gpgsig header included. */
	assert_int_equal(cts_gitrepo_commit_raw(r, &c[1], &raw, &len), 0);
	assert_contains(raw, "\ngpgsig -----BEGIN SSH SIGNATURE-----\n ");
	assert_contains(raw, "\n -----END SSH SIGNATURE-----\n\nchangesets\n");
	out = sh_ok("git --git-dir='%s' cat-file commit %s", path, hex(&c[1]));
	assert_int_equal(len, strlen(out) + 1); /* sh_ok drops the final newline */
	assert_memory_equal(raw, out, strlen(out));
	free(out);
	free(raw);
	{
		cts_gitoid blob;
		out = sh_ok("git --git-dir='%s' rev-parse %s:changesets/n1/000000000001.json", path,
		            hex(&c[1]));
		assert_int_equal(cts_gitoid_parse(&blob, out), 0);
		free(out);
		assert_int_equal(cts_gitrepo_commit_raw(r, &blob, &raw, &len), CTS_EINVAL);
		assert_null(raw);
	}

	/* refs_foreach and ref_set */
	assert_int_equal(cts_gitrepo_ref_set(r, "refs/remotes/origin/nodes/a", &c[0]), 0);
	assert_int_equal(cts_gitrepo_ref_set(r, "refs/remotes/origin/nodes/b", &c[1]), 0);
	assert_int_equal(cts_gitrepo_ref_set(r, "refs/remotes/origin/region", &c[2]), 0);
	assert_int_equal(cts_gitrepo_refs_foreach(r, "refs/remotes/origin/nodes/*", refs_cb, &ra),
	                 0);
	assert_int_equal(ra.n, 2);
	assert_string_equal(ra.refs[0], "refs/remotes/origin/nodes/a");
	assert_string_equal(hex(&ra.oids[0]), hex(&c[0]));
	assert_string_equal(ra.refs[1], "refs/remotes/origin/nodes/b");
	assert_string_equal(hex(&ra.oids[1]), hex(&c[1]));
	assert_int_equal(cts_gitrepo_ref_set(r, "refs/remotes/origin/nodes/a", &c[2]), 0);
	assert_ref(r, "refs/remotes/origin/nodes/a", &c[2]);
	assert_int_equal(cts_gitrepo_ref_set(r, "not a ref", &c[2]), CTS_EINVAL);
	cts_gitrepo_free(r);
	free(path);
}

/* Write a tree object with one entry, bytes crafted by hand. */
static char *craft_tree(const char *repo, const char *mode, const char *name, const char *oid_hex)
{
	char *file = mkpath("tree.bin"), *out;
	FILE *f = fopen(file, "wb");
	cts_gitoid oid;

	assert_non_null(f);
	assert_int_equal(cts_gitoid_parse(&oid, oid_hex), 0);
	fprintf(f, "%s %s", mode, name);
	fputc(0, f);
	fwrite(oid.id, 1, GIT_OID_RAWSZ, f);
	fclose(f);
	out = sh_ok("git --git-dir='%s' hash-object -t tree --literally -w '%s'", repo, file);
	free(file);
	return out;
}

static void test_hostile_trees(void **state)
{
	char *path = mkpath("hostile.git"), *blob, *bad1, *bad2, *dir, *root, *commit, *big;
	cts_gitrepo *r = NULL;
	cts_gitoid c;
	list_acc la = { 0 };
	unsigned char *data = NULL;
	size_t len;

	(void)state;
	free(sh_ok("git init -q --bare '%s'", path));
	blob = sh_ok("printf 'hello\\n' | git --git-dir='%s' hash-object -w --stdin", path);
	big = sh_ok("head -c 5000 /dev/zero | git --git-dir='%s' hash-object -w --stdin", path);
	bad1 = craft_tree(path, "100644", "..", blob);
	bad2 = craft_tree(path, "100644", "a/b", blob);
	/* changesets/{dotdot,slash} hold the crafted trees; links/ holds a
	 * symlink, a submodule and a regular file; big is 5000 bytes. */
	dir = sh_ok("printf '040000 tree %s\\tdotdot\\n040000 tree %s\\tslash\\n' | git "
	            "--git-dir='%s' mktree",
	            bad1, bad2, path);
	{
		char *links = sh_ok("printf '120000 blob %s\\tlink\\n160000 commit "
		                    "%s\\tsub\\n100644 blob %s\\tok\\n' | "
		                    "git --git-dir='%s' mktree --missing",
		                    blob, "1111111111111111111111111111111111111111", blob, path);
		root = sh_ok("printf '040000 tree %s\\tchangesets\\n040000 tree "
		             "%s\\tlinks\\n100644 blob %s\\tbig\\n' | "
		             "git --git-dir='%s' mktree",
		             dir, links, big, path);
		free(links);
	}
	commit = sh_ok("git --git-dir='%s' commit-tree %s -m hostile", path, root);
	assert_int_equal(cts_gitoid_parse(&c, commit), 0);
	assert_int_equal(cts_gitrepo_open_existing(&r, path), 0);

	/* A ".." entry refuses the whole walk, before any callback. */
	assert_int_equal(cts_gitrepo_list_dir(r, &c, "changesets/dotdot", 100, list_cb, &la),
	                 CTS_EINVAL);
	assert_contains(cts_error_message(), "« .. »");
	assert_int_equal(la.n, 0);
	assert_int_equal(cts_gitrepo_list_dir(r, &c, "changesets/slash", 100, list_cb, &la),
	                 CTS_EINVAL);
	assert_contains(cts_error_message(), "a/b");
	assert_int_equal(la.n, 0);
	/* Modes are reported; reading refuses links and submodules. */
	assert_int_equal(cts_gitrepo_list_dir(r, &c, "links", 100, list_cb, &la), 0);
	assert_int_equal(la.n, 3);
	assert_string_equal(la.names[0], "link");
	assert_int_equal(la.modes[0], GIT_FILEMODE_LINK);
	assert_string_equal(la.names[2], "sub");
	assert_int_equal(la.modes[2], GIT_FILEMODE_COMMIT);
	assert_int_equal(la.sizes[2], 0);
	assert_int_equal(cts_gitrepo_read_file(r, &c, "links/link", 100, &data, &len), CTS_EINVAL);
	assert_contains(cts_error_message(), "links/link");
	assert_null(data);
	assert_int_equal(cts_gitrepo_read_file(r, &c, "links/sub", 100, &data, &len), CTS_EINVAL);
	assert_int_equal(cts_gitrepo_read_file(r, &c, "links/ok", 100, &data, &len), 0);
	assert_memory_equal(data, "hello\n", 6);
	free(data);
	data = NULL;
	assert_int_equal(cts_gitrepo_read_file(r, &c, "big", 4999, &data, &len), CTS_ELIMIT);
	assert_null(data);
	assert_int_equal(cts_gitrepo_read_file(r, &c, "big", 5000, &data, &len), 0);
	assert_int_equal(len, 5000);
	free(data);
	cts_gitrepo_free(r);
	assert_int_equal(cts_gitrepo_open_existing(&r, "/nonexistent/cts/repo"), CTS_ENOTFOUND);
	assert_null(r);
	free(blob);
	free(big);
	free(bad1);
	free(bad2);
	free(dir);
	free(root);
	free(commit);
	free(path);
}

/* ---- maintenance ---- */

static int count_packs(const char *repo)
{
	char *out = sh_ok("ls '%s/objects/pack' | grep -c '\\.pack$' || true", repo);
	int n = atoi(out);

	free(out);
	return n;
}

static void test_maintain_packs(void **state)
{
	char *path = mkpath("maint.git"), *stray, *out, obj[4300];
	cts_gitrepo *r = NULL;
	cts_gitoid c[30];
	unsigned char *data;
	size_t len;

	(void)state;
	assert_int_equal(cts_gitrepo_open(&r, path), 0);
	for (int i = 0; i < 25; i++)
		commit_seq(r, i + 1, &c[i]);
	assert_true(cts_gitrepo_loose_count(r) >= 75);
	assert_int_equal(cts_gitrepo_maintain(r, 1000), 0); /* under threshold: nothing */
	assert_true(cts_gitrepo_loose_count(r) >= 75);
	assert_int_equal(count_packs(path), 0);
	assert_int_equal(cts_gitrepo_maintain(r, 10), 0);
	assert_int_equal(cts_gitrepo_loose_count(r), 0);
	assert_int_equal(count_packs(path), 1);
	for (int i = 0; i < 25; i++) {
		char p[64];
		snprintf(p, sizeof(p), "changesets/n1/%012d.json.sig", i + 1);
		assert_int_equal(cts_gitrepo_read_file(r, &c[24], p, 100, &data, &len), 0);
		free(data);
	}
	/* More commits on top of the pack; an unreachable fresh object. */
	for (int i = 25; i < 30; i++)
		commit_seq(r, i + 1, &c[i]);
	stray = sh_ok("printf 'stray' | git --git-dir='%s' hash-object -w --stdin", path);
	assert_int_equal(cts_gitrepo_maintain(r, 1), 0);
	assert_int_equal(cts_gitrepo_loose_count(r), 1); /* young stray kept */
	assert_int_equal(count_packs(path), 1);          /* old pack replaced */
	/* Once old, the stray goes. */
	snprintf(obj, sizeof(obj), "%s/objects/%.2s/%s", path, stray, stray + 2);
	{
		struct timeval tv[2] = { { time(NULL) - 7200, 0 }, { time(NULL) - 7200, 0 } };
		assert_int_equal(utimes(obj, tv), 0);
	}
	assert_int_equal(cts_gitrepo_maintain(r, 0), 0);
	assert_int_equal(cts_gitrepo_loose_count(r), 0);
	/* Everything still readable, by us and by git; we can go on. */
	assert_int_equal(
	    cts_gitrepo_read_file(r, &c[29], "changesets/n1/000000000001.json", 100, &data, &len),
	    0);
	free(data);
	free(sh_ok("git --git-dir='%s' fsck --strict --no-dangling", path));
	out = sh_ok("git --git-dir='%s' -c gpg.format=ssh -c gpg.ssh.allowedSignersFile='%s' "
	            "verify-commit %s",
	            path, g_signers, hex(&c[29]));
	free(out);
	commit_seq(r, 31, NULL);
	assert_int_equal(
	    cts_gitrepo_walk(r, &c[29], NULL, 100, walk_cb, &(walk_acc){ .stop_at = 1, .ret = 1 }),
	    0);
	free(stray);
	cts_gitrepo_free(r);
	free(path);
}

/* ---- transport ---- */

typedef struct {
	const char *url;      /* origin for both nodes */
	const char *barepath; /* the remote repository on disk */
} remote_case;

/* Node A pushes, node B fetches; rewrite refused; prune. */
static void exercise_remote(const remote_case *rc, int with_rewrite)
{
	char *pa = mkpath("a.git"), *pb = mkpath("b.git"), *out, *foreign;
	cts_gitrepo *a = NULL, *b = NULL;
	cts_gitoid c1, c2, c3, got, f;
	const char *ref = "refs/heads/nodes/n1";
	refs_acc ra = { 0 };
	unsigned char *data = NULL;
	size_t len;

	assert_int_equal(cts_gitrepo_open(&a, pa), 0);
	assert_int_equal(cts_gitrepo_open(&b, pb), 0);
	assert_int_equal(cts_gitrepo_set_remote(a, rc->url), 0);
	assert_int_equal(cts_gitrepo_set_remote(b, rc->url), 0);
	assert_int_equal(cts_gitrepo_set_remote(b, rc->url), 0); /* idempotent */

	/* Empty remote: fetch works, nothing arrives. */
	if (cts_gitrepo_fetch(b) != 0)
		fail_msg("fetch from empty %s: %s", rc->url, cts_error_message());
	assert_int_equal(cts_gitrepo_refs_foreach(b, "refs/remotes/origin/*", refs_cb, &ra), 0);
	assert_int_equal(ra.n, 0);

	commit_seq(a, 1, &c1);
	assert_int_equal(cts_gitrepo_push(a, &ref, 1), 0);
	out = sh_ok("git --git-dir='%s' rev-parse %s", rc->barepath, ref);
	assert_string_equal(out, hex(&c1));
	free(out);
	assert_ref(a, "refs/remotes/origin/nodes/n1", &c1);
	/* Pushing again is a no-op. */
	assert_int_equal(cts_gitrepo_push(a, &ref, 1), 0);

	assert_int_equal(cts_gitrepo_fetch(b), 0);
	assert_int_equal(cts_gitrepo_refs_foreach(b, "refs/remotes/origin/nodes/*", refs_cb, &ra),
	                 0);
	assert_int_equal(ra.n, 1);
	assert_string_equal(ra.refs[0], "refs/remotes/origin/nodes/n1");
	assert_string_equal(hex(&ra.oids[0]), hex(&c1));
	assert_int_equal(
	    cts_gitrepo_read_file(b, &c1, "changesets/n1/000000000001.json", 100, &data, &len), 0);
	free(data);
	/* B never gets a local branch from a fetch. */
	assert_int_equal(cts_gitrepo_ref_oid(b, ref, &got), CTS_ENOTFOUND);

	commit_seq(a, 2, &c2);
	assert_int_equal(cts_gitrepo_push(a, &ref, 1), 0);
	assert_int_equal(cts_gitrepo_fetch(b), 0);
	assert_ref(b, "refs/remotes/origin/nodes/n1", &c2);
	assert_int_equal(cts_gitrepo_is_ancestor(b, &c1, &c2), 1);

	if (with_rewrite) {
		/* Someone rewrites our branch on the remote. */
		foreign = sh_ok("git --git-dir='%s' commit-tree %s^{tree} -m rewritten",
		                rc->barepath, hex(&c1));
		assert_int_equal(cts_gitoid_parse(&f, foreign), 0);
		free(sh_ok("git --git-dir='%s' update-ref %s %s", rc->barepath, ref, foreign));
		commit_seq(a, 3, &c3);
		assert_int_equal(cts_gitrepo_push(a, &ref, 1), CTS_EREJECT);
		assert_contains(cts_error_message(), ref);
		assert_ref(a, ref, &c3); /* local branch untouched */
		assert_ref(a, "refs/remotes/origin/nodes/n1", &c2);
		out = sh_ok("git --git-dir='%s' rev-parse %s", rc->barepath, ref);
		assert_string_equal(out, foreign); /* remote untouched */
		free(out);
		/* The forced fetch shows the rewrite to whoever compares. */
		assert_int_equal(cts_gitrepo_fetch(b), 0);
		assert_ref(b, "refs/remotes/origin/nodes/n1", &f);
		assert_int_equal(cts_gitrepo_is_ancestor(b, &c2, &f), 0);
		/* Prune: a branch deleted on the remote goes away. */
		free(sh_ok("git --git-dir='%s' update-ref -d %s", rc->barepath, ref));
		assert_int_equal(cts_gitrepo_fetch(b), 0);
		assert_int_equal(cts_gitrepo_ref_oid(b, "refs/remotes/origin/nodes/n1", &got),
		                 CTS_ENOTFOUND);
		free(foreign);
	}
	/* Pushing a ref we do not have. */
	{
		const char *none = "refs/heads/nodes/none";
		assert_int_equal(cts_gitrepo_push(a, &none, 1), CTS_ENOTFOUND);
	}
	cts_gitrepo_free(a);
	cts_gitrepo_free(b);
	free(pa);
	free(pb);
}

static void test_push_fetch_path_and_file_url(void **state)
{
	char *remote = mkpath("region.git"), url[4200];
	remote_case rc = { remote, remote };

	(void)state;
	assert_int_equal(cts_gitrepo_create_bare(remote), 0);
	assert_int_equal(cts_gitrepo_create_bare(remote), 0); /* exists: fine */
	exercise_remote(&rc, 1);

	free(remote);
	remote = mkpath("sub/dir/region.git"); /* parents are created */
	assert_int_equal(cts_gitrepo_create_bare(remote), 0);
	snprintf(url, sizeof(url), "file://%s", remote);
	rc.url = url;
	rc.barepath = remote;
	exercise_remote(&rc, 1);
	free(remote);
}

static void expect_unreachable(const char *url)
{
	char *p = mkpath("off.git");
	cts_gitrepo *r = NULL;
	const char *ref = "refs/heads/nodes/n1";
	cts_gitoid c;
	time_t t0 = time(NULL);

	assert_int_equal(cts_gitrepo_open(&r, p), 0);
	commit_seq(r, 1, &c);
	assert_int_equal(cts_gitrepo_set_remote(r, url), 0);
	if (cts_gitrepo_push(r, &ref, 1) != CTS_ENET)
		fail_msg("push to %s: expected CTS_ENET, got %d: %s", url, cts_error_last(),
		         cts_error_message());
	assert_contains(cts_error_message(), "injoignable");
	if (cts_gitrepo_fetch(r) != CTS_ENET)
		fail_msg("fetch from %s: expected CTS_ENET, got %d: %s", url, cts_error_last(),
		         cts_error_message());
	assert_ref(r, ref, &c); /* the work stays */
	assert_true(time(NULL) - t0 < 10);
	cts_gitrepo_free(r);
	free(p);
}

static void test_unreachable_is_enet(void **state)
{
	char url[4300], *missing = mkpath("not-plugged/region.git");
	int port = free_port(); /* nothing listens there */
	cts_gitrepo *r = NULL;
	char *p = mkpath("noremote.git");
	const char *ref = "refs/heads/nodes/n1";

	(void)state;
	expect_unreachable(missing);
	snprintf(url, sizeof(url), "file://%s", missing);
	expect_unreachable(url);
	snprintf(url, sizeof(url), "git://127.0.0.1:%d/region.git", port);
	expect_unreachable(url);
	snprintf(url, sizeof(url), "ssh://%s@127.0.0.1:%d/srv/region.git", g_user, port);
	expect_unreachable(url);
	/* A relative path that is not there is offline too; a URL scheme
	 * libgit2 does not know is a configuration error. */
	{
		char *cwd = getcwd(NULL, 0);
		assert_int_equal(chdir(g_dir), 0);
		expect_unreachable("not-plugged-either/region.git");
		assert_int_equal(chdir(cwd), 0);
		free(cwd);
	}
	{
		char *q = mkpath("badscheme.git");
		assert_int_equal(cts_gitrepo_open(&r, q), 0);
		assert_int_equal(cts_gitrepo_set_remote(r, "htps://example.invalid/region.git"), 0);
		assert_int_equal(cts_gitrepo_fetch(r), CTS_EINVAL);
		assert_contains(cts_error_message(), "non prise en charge");
		cts_gitrepo_free(r);
		r = NULL;
		free(q);
	}
	/* No remote configured at all. */
	assert_int_equal(cts_gitrepo_open(&r, p), 0);
	commit_seq(r, 1, NULL);
	assert_int_equal(cts_gitrepo_push(r, &ref, 1), CTS_EINVAL);
	assert_int_equal(cts_gitrepo_fetch(r), CTS_EINVAL);
	assert_int_equal(cts_gitrepo_set_remote(r, ""), CTS_EINVAL);
	cts_gitrepo_free(r);
	/* An existing non-repository directory is never turned into one. */
	free(sh_ok("mkdir -p '%s/docs' && touch '%s/docs/letter.txt'", g_dir, g_dir));
	snprintf(url, sizeof(url), "%s/docs", g_dir);
	assert_int_equal(cts_gitrepo_open(&r, url), CTS_EEXISTS);
	assert_null(r);
	free(p);
	free(missing);
}

static void test_git_daemon(void **state)
{
	char *base = mkpath("daemon"), *log = mkpath("daemon.log"), url[512], bp[4200], portarg[64],
	     basearg[4300], *out;
	int port = free_port();
	pid_t pid;
	remote_case rc;
	cts_gitrepo *a = NULL;
	char *pa = mkpath("hooked.git");
	const char *forbidden = "refs/heads/forbidden";
	cts_gitoid c;

	(void)state;
	snprintf(bp, sizeof(bp), "%s/region.git", base);
	free(sh_ok("mkdir -p '%s' && git init -q --bare '%s'", base, bp));
	/* A server-side refusal: only the hook knows. */
	free(sh_ok(
	    "printf '#!/bin/sh\\nwhile read o n r; do [ \"$r\" = refs/heads/forbidden ] && "
	    "{ echo interdit; exit 1; }; done; exit 0\\n' > '%s/hooks/pre-receive' && chmod 755 "
	    "'%s/hooks/pre-receive'",
	    bp, bp));
	snprintf(portarg, sizeof(portarg), "--port=%d", port);
	snprintf(basearg, sizeof(basearg), "--base-path=%s", base);
	{
		char *const argv[] = { "/usr/bin/git",
			               "daemon",
			               "--reuseaddr",
			               basearg,
			               "--export-all",
			               "--enable=receive-pack",
			               "--listen=127.0.0.1",
			               portarg,
			               base,
			               NULL };
		pid = start_server(argv, log, port);
	}
	snprintf(url, sizeof(url), "git://127.0.0.1:%d/region.git", port);
	rc.url = url;
	rc.barepath = bp;
	exercise_remote(&rc, 1);

	assert_int_equal(cts_gitrepo_open(&a, pa), 0);
	assert_int_equal(cts_gitrepo_set_remote(a, url), 0);
	assert_int_equal(commit1(a, forbidden, "x", "x\n", 0, &c), 0);
	if (cts_gitrepo_push(a, &forbidden, 1) != CTS_EREJECT)
		fail_msg("hook refusal: %d %s", cts_error_last(), cts_error_message());
	assert_contains(cts_error_message(), forbidden);
	assert_int_not_equal(sh(&out, "git --git-dir='%s' rev-parse -q --verify %s", bp, forbidden),
	                     0);
	free(out);
	assert_ref(a, forbidden, &c);
	/* A repository the daemon does not have. */
	snprintf(url, sizeof(url), "git://127.0.0.1:%d/nothere.git", port);
	assert_int_equal(cts_gitrepo_set_remote(a, url), 0);
	assert_int_equal(cts_gitrepo_fetch(a), CTS_ENET);
	cts_gitrepo_free(a);
	stop_server(pid);
	free(pa);
	free(base);
	free(log);
}

static void test_ssh(void **state)
{
	char *srv = mkpath("ssh"), cfg[4200], hostkey[4200], client[4200], authkeys[4200], kh[4200],
	     log[4200], bp[4200], url[4600], *hostpub, *clientpub, *out;
	int port = free_port(), other = free_port();
	pid_t pid;
	remote_case rc;
	FILE *f;

	(void)state;
	snprintf(cfg, sizeof(cfg), "%s/sshd_config", srv);
	snprintf(hostkey, sizeof(hostkey), "%s/host_key", srv);
	snprintf(client, sizeof(client), "%s/client_key", srv);
	snprintf(authkeys, sizeof(authkeys), "%s/authorized_keys", srv);
	snprintf(kh, sizeof(kh), "%s/known_hosts", srv);
	snprintf(log, sizeof(log), "%s/sshd.log", srv);
	snprintf(bp, sizeof(bp), "%s/region.git", srv);
	free(sh_ok("mkdir -p '%s' && chmod 755 '%s' && git init -q --bare '%s'", srv, srv, bp));
	free(sh_ok("ssh-keygen -q -t ed25519 -N '' -f '%s' && ssh-keygen -q -t ed25519 -N '' -f "
	           "'%s' && cp '%s.pub' '%s'",
	           hostkey, client, client, authkeys));
	free(sh_ok("[ -d /run/sshd ] || mkdir -p /run/sshd"));
	assert_non_null(f = fopen(cfg, "w"));
	fprintf(
	    f,
	    "Port %d\nListenAddress 127.0.0.1\nHostKey %s\nAuthorizedKeysFile "
	    "%s\nPasswordAuthentication no\n"
	    "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nUsePAM no\nStrictModes no\n"
	    "PermitRootLogin prohibit-password\nPidFile %s/sshd.pid\nLogLevel ERROR\n",
	    port, hostkey, authkeys, srv);
	fclose(f);
	{
		char *const argv[] = { "/usr/sbin/sshd", "-D", "-e", "-f", cfg, NULL };
		pid = start_server(argv, log, port);
	}
	hostpub = sh_ok("cut -d' ' -f1,2 '%s.pub'", hostkey);
	clientpub = sh_ok("cut -d' ' -f1,2 '%s.pub'", client);
	assert_non_null(f = fopen(kh, "w"));
	fprintf(f, "# test\n[127.0.0.1]:%d %s\n", port, hostpub);
	fclose(f);
	setenv("CTSNODE_SSH_KEY", client, 1);
	setenv("CTSNODE_SSH_KNOWN_HOSTS", kh, 1);

	snprintf(url, sizeof(url), "ssh://%s@127.0.0.1:%d%s", g_user, port, bp);
	rc.url = url;
	rc.barepath = bp;
	exercise_remote(&rc, 0);

	/* Without a user in the URL: the local user name. */
	{
		char *p = mkpath("nouser.git");
		cts_gitrepo *r = NULL;
		refs_acc ra = { 0 };
		snprintf(url, sizeof(url), "ssh://127.0.0.1:%d%s", port, bp);
		assert_int_equal(cts_gitrepo_open(&r, p), 0);
		assert_int_equal(cts_gitrepo_set_remote(r, url), 0);
		if (cts_gitrepo_fetch(r) != 0)
			fail_msg("fetch without user: %s", cts_error_message());
		assert_int_equal(
		    cts_gitrepo_refs_foreach(r, "refs/remotes/origin/nodes/*", refs_cb, &ra), 0);
		assert_int_equal(ra.n, 1);
		cts_gitrepo_free(r);
		free(p);
	}
	snprintf(url, sizeof(url), "ssh://%s@127.0.0.1:%d%s", g_user, port, bp);

	/* Hashed known_hosts (Debian's default) are understood. */
	{
		char *p = mkpath("hashed.git");
		cts_gitrepo *r = NULL;
		free(sh_ok("ssh-keygen -q -H -f '%s' && rm -f '%s.old'", kh, kh));
		out = sh_ok("cat '%s'", kh);
		assert_contains(out, "|1|");
		assert_null(strstr(out, "127.0.0.1"));
		free(out);
		assert_int_equal(cts_gitrepo_open(&r, p), 0);
		assert_int_equal(cts_gitrepo_set_remote(r, url), 0);
		if (cts_gitrepo_fetch(r) != 0)
			fail_msg("hashed known_hosts: %s", cts_error_message());
		cts_gitrepo_free(r);
		free(p);
	}

	/* Host key refusals: unknown key, right key for another port, none. */
	{
		char *p = mkpath("hk.git"), *bad = mkpath("bad_known_hosts");
		cts_gitrepo *r = NULL;
		const char *ref = "refs/heads/nodes/n1";
		assert_int_equal(cts_gitrepo_open(&r, p), 0);
		commit_seq(r, 1, NULL);
		assert_int_equal(cts_gitrepo_set_remote(r, url), 0);
		setenv("CTSNODE_SSH_KNOWN_HOSTS", bad, 1);

		assert_non_null(f = fopen(bad, "w"));
		fprintf(f, "[127.0.0.1]:%d %s\n", port, clientpub);
		fclose(f);
		assert_int_equal(cts_gitrepo_push(r, &ref, 1), CTS_EACCESS);
		assert_contains(cts_error_message(), "clé d'hôte");
		assert_contains(cts_error_message(), "ne correspond pas");
		assert_int_equal(cts_gitrepo_fetch(r), CTS_EACCESS);
		assert_contains(cts_error_message(), "clé d'hôte");

		assert_non_null(f = fopen(bad, "w"));
		fprintf(f, "[127.0.0.1]:%d %s\n127.0.0.1 %s\n", other, hostpub, hostpub);
		fclose(f);
		assert_int_equal(cts_gitrepo_push(r, &ref, 1), CTS_EACCESS);
		assert_contains(cts_error_message(), "clé d'hôte SSH inconnue");
		{
			char hint[128];
			snprintf(hint, sizeof(hint), "ssh-keyscan -p %d 127.0.0.1", port);
			assert_contains(cts_error_message(), hint);
		}
		assert_contains(cts_error_message(), "SHA256:");

		unlink(bad);
		assert_int_equal(cts_gitrepo_push(r, &ref, 1), CTS_EACCESS);
		assert_contains(cts_error_message(), "clé d'hôte SSH inconnue");

		/* A revoked key. */
		assert_non_null(f = fopen(bad, "w"));
		fprintf(f, "[127.0.0.1]:%d %s\n@revoked * %s\n", port, hostpub, hostpub);
		fclose(f);
		assert_int_equal(cts_gitrepo_push(r, &ref, 1), CTS_EACCESS);
		assert_contains(cts_error_message(), "révoquée");
		out = sh_ok(
		    "git --git-dir='%s' for-each-ref --format='%%(refname)' refs/heads/nodes", bp);
		assert_string_equal(out,
		                    "refs/heads/nodes/n1"); /* still only the first run's branch */
		free(out);
		setenv("CTSNODE_SSH_KNOWN_HOSTS", kh, 1);

		/* A client key the server does not know: refused, bounded. */
		{
			char *stranger = mkpath("stranger_key");
			time_t t0 = time(NULL);
			free(sh_ok("ssh-keygen -q -t ed25519 -N '' -f '%s'", stranger));
			setenv("CTSNODE_SSH_KEY", stranger, 1);
			assert_int_equal(cts_gitrepo_fetch(r), CTS_EACCESS);
			assert_contains(cts_error_message(), "authentification");
			assert_true(time(NULL) - t0 < 10);
			setenv("CTSNODE_SSH_KEY", client, 1);
			free(stranger);
		}
		cts_gitrepo_free(r);
		free(p);
		free(bad);
	}
	/* A repository path that does not exist on the server. */
	{
		char *p = mkpath("nopath.git");
		cts_gitrepo *r = NULL;
		snprintf(url, sizeof(url), "ssh://%s@127.0.0.1:%d%s/nothere.git", g_user, port,
		         srv);
		assert_int_equal(cts_gitrepo_open(&r, p), 0);
		assert_int_equal(cts_gitrepo_set_remote(r, url), 0);
		if (cts_gitrepo_fetch(r) != CTS_ENET)
			fail_msg("missing path over ssh: %d %s", cts_error_last(),
			         cts_error_message());
		cts_gitrepo_free(r);
		free(p);
	}
	unsetenv("CTSNODE_SSH_KEY");
	unsetenv("CTSNODE_SSH_KNOWN_HOSTS");
	stop_server(pid);
	free(hostpub);
	free(clientpub);
	free(srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commit_signed_and_verified),
		cmocka_unit_test(test_commit_replace_and_invalid),
		cmocka_unit_test(test_commit_compare_and_swap),
		cmocka_unit_test(test_read_list_walk_raw),
		cmocka_unit_test(test_objects_and_diff),
		cmocka_unit_test(test_hostile_trees),
		cmocka_unit_test(test_maintain_packs),
		cmocka_unit_test(test_push_fetch_path_and_file_url),
		cmocka_unit_test(test_unreachable_is_enet),
		cmocka_unit_test(test_git_daemon),
		cmocka_unit_test(test_ssh),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
