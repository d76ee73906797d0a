/* Network settings of the git transport: tokens (sources, precedence,
 * file permissions, never in a message), proxy and URL checks, the
 * description of refused certificates (real DER certificates of
 * tests/data/x509, values as openssl prints them), and the no-progress
 * watchdog cutting a real hanging TCP exchange on 127.0.0.1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first */
#include <cmocka.h>

#include "error.h"
#include "gitnet.h"
#include "gitnet_cert.h"
#include "gitnet_watch.h"
#include "gitrepo_impl.h" /* cts_gitnet_proxy_options (libgit2 types) */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static char *g_dir;

static int setup(void **state)
{
	(void)state;
	g_dir = tu_tmpdir();
	unsetenv("CTSNODE_GIT_TOKEN");
	unsetenv("CTSNODE_GIT_USER");
	return g_dir ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmtree(g_dir);
	free(g_dir);
	return 0;
}

static void write_file(const char *path, const char *content, int mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	assert_int_equal(chmod(path, (mode_t)mode), 0);
}

static void assert_no_secret(const char *secret)
{
	if (strstr(cts_error_message(), secret))
		fail_msg("the message shows the secret: %s", cts_error_message());
}

static void test_token_load(void **state)
{
	char *path = tu_path(g_dir, "git-token"), *link = tu_path(g_dir, "link-token"), *tok = NULL;
	char big[CTS_GITNET_TOKEN_MAX + 2];

	(void)state;
	/* Absent: no token, no error. */
	assert_int_equal(cts_gitnet_token_load(&tok, path), 0);
	assert_null(tok);
	assert_int_equal(cts_gitnet_token_load(&tok, NULL), 0);
	assert_null(tok);
	/* Blanks and the final newline are dropped. */
	write_file(path, "  glpat-Abc_123.x \r\n", 0600);
	assert_int_equal(cts_gitnet_token_load(&tok, path), 0);
	assert_string_equal(tok, "glpat-Abc_123.x");
	cts_gitnet_token_free(tok);
	/* The environment comes first. */
	setenv("CTSNODE_GIT_TOKEN", "from-env\n", 1);
	assert_int_equal(cts_gitnet_token_load(&tok, path), 0);
	assert_string_equal(tok, "from-env");
	cts_gitnet_token_free(tok);
	setenv("CTSNODE_GIT_TOKEN", "", 1); /* empty: as if unset */
	assert_int_equal(cts_gitnet_token_load(&tok, path), 0);
	assert_string_equal(tok, "glpat-Abc_123.x");
	cts_gitnet_token_free(tok);
	tok = NULL;
	unsetenv("CTSNODE_GIT_TOKEN");
	/* Readable by others: refused, the way out is said, the token is not. */
	write_file(path, "glpat-open\n", 0644);
	assert_int_equal(cts_gitnet_token_load(&tok, path), CTS_EACCESS);
	assert_null(tok);
	assert_non_null(strstr(cts_error_message(), "chmod 600"));
	assert_no_secret("glpat-open");
	/* A symbolic link is refused. */
	write_file(path, "glpat-linked\n", 0600);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(cts_gitnet_token_load(&tok, link), CTS_EACCESS);
	assert_no_secret("glpat-linked");
	/* Not a token: spaces inside, nothing, control characters, too long. */
	write_file(path, "glpat one two\n", 0600);
	assert_int_equal(cts_gitnet_token_load(&tok, path), CTS_EINVAL);
	assert_no_secret("one two");
	write_file(path, " \n\n", 0600);
	assert_int_equal(cts_gitnet_token_load(&tok, path), CTS_EINVAL);
	write_file(path, "abc\001def", 0600);
	assert_int_equal(cts_gitnet_token_load(&tok, path), CTS_EINVAL);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	write_file(path, big, 0600);
	assert_int_equal(cts_gitnet_token_load(&tok, path), CTS_EINVAL);
	setenv("CTSNODE_GIT_TOKEN", "bad token", 1);
	assert_int_equal(cts_gitnet_token_load(&tok, path), CTS_EINVAL);
	assert_no_secret("bad token");
	unsetenv("CTSNODE_GIT_TOKEN");
	assert_null(tok);
	free(path);
	free(link);
}

static void test_token_save(void **state)
{
	char *src = tu_path(g_dir, "given.txt"), *dest = tu_path(g_dir, "saved-token"), *data;
	size_t len;
	struct stat sb;
	int fds[2], saved_stdin;

	(void)state;
	write_file(src, "gl-secret-42\n", 0644);
	assert_int_equal(cts_gitnet_token_save(dest, src), 0);
	assert_int_equal(stat(dest, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	data = tu_read_file(dest, &len);
	assert_non_null(data);
	assert_string_equal(data, "gl-secret-42"); /* no newline kept */
	free(data);
	/* An invalid token is refused and the saved one stays. */
	write_file(src, "two words\n", 0600);
	assert_int_equal(cts_gitnet_token_save(dest, src), CTS_EINVAL);
	assert_no_secret("two words");
	data = tu_read_file(dest, &len);
	assert_string_equal(data, "gl-secret-42");
	free(data);
	/* "-": standard input. */
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "from-stdin\n", 11), 11);
	close(fds[1]);
	saved_stdin = dup(STDIN_FILENO);
	assert_int_equal(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
	close(fds[0]);
	assert_int_equal(cts_gitnet_token_save(dest, "-"), 0);
	assert_int_equal(dup2(saved_stdin, STDIN_FILENO), STDIN_FILENO);
	close(saved_stdin);
	data = tu_read_file(dest, &len);
	assert_string_equal(data, "from-stdin");
	free(data);
	/* A source that is not there. */
	assert_int_equal(cts_gitnet_token_save(dest, "/nonexistent/token"), CTS_ENOTFOUND);
	free(src);
	free(dest);
}

static void test_user(void **state)
{
	(void)state;
	assert_string_equal(cts_gitnet_token_user(NULL), "oauth2");
	assert_string_equal(cts_gitnet_token_user("alice"), "alice");
	setenv("CTSNODE_GIT_USER", "ci-bot", 1);
	assert_string_equal(cts_gitnet_token_user("alice"), "ci-bot");
	unsetenv("CTSNODE_GIT_USER");
}

static void test_url_and_proxy(void **state)
{
	git_proxy_options po;
	char buf[256];

	(void)state;
	assert_int_equal(cts_gitnet_url_check("https://oauth2:s3cr3t@git.example/r.git"),
	                 CTS_EINVAL);
	assert_no_secret("s3cr3t");
	assert_int_equal(cts_gitnet_url_check("https://oauth2@git.example/r.git"), 0);
	assert_int_equal(cts_gitnet_url_check("https://git.example/a:b@c.git"),
	                 0); /* in the path */
	assert_int_equal(cts_gitnet_url_check("/media/usb/region.git"), 0);
	assert_int_equal(cts_gitnet_url_check("git@host:region.git"), 0);

	assert_int_equal(cts_gitnet_proxy_check(NULL), 0);
	assert_int_equal(cts_gitnet_proxy_check("auto"), 0);
	assert_int_equal(cts_gitnet_proxy_check("direct"), 0);
	assert_int_equal(cts_gitnet_proxy_check("http://127.0.0.1:3128"), 0);
	assert_int_equal(cts_gitnet_proxy_check("https://proxy.example:8443/"), 0);
	assert_int_equal(cts_gitnet_proxy_check("127.0.0.1:3128"), CTS_EINVAL);
	assert_int_equal(cts_gitnet_proxy_check("socks5://h:1080"), CTS_EINVAL);
	assert_int_equal(cts_gitnet_proxy_check("http://"), CTS_EINVAL);
	assert_int_equal(cts_gitnet_proxy_check("http://pr oxy:1"), CTS_EINVAL);
	assert_int_equal(cts_gitnet_proxy_check("http://u:pw@proxy:1"), CTS_EINVAL);
	assert_no_secret("pw");

	cts_gitnet_proxy_options(&po, NULL);
	assert_int_equal(po.type, GIT_PROXY_AUTO);
	cts_gitnet_proxy_options(&po, "direct");
	assert_int_equal(po.type, GIT_PROXY_NONE);
	cts_gitnet_proxy_options(&po, "http://p:1");
	assert_int_equal(po.type, GIT_PROXY_SPECIFIED);
	assert_string_equal(po.url, "http://p:1");

	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	unsetenv("HTTPS_PROXY");
	setenv("https_proxy", "http://user:pw@envproxy:3128", 1);
	assert_string_equal(
	    cts_gitnet_proxy_describe("http://p:1", "https://h/r", buf, sizeof(buf)), "http://p:1");
	assert_null(cts_gitnet_proxy_describe("direct", "https://h/r", buf, sizeof(buf)));
	assert_null(cts_gitnet_proxy_describe("http://p:1", "ssh://h/r", buf, sizeof(buf)));
	/* The environment's, without its credentials. */
	assert_string_equal(
	    cts_gitnet_proxy_describe(NULL, "https://depot.region.test/r", buf, sizeof(buf)),
	    "http://envproxy:3128");
	setenv("https_proxy", "user:pw@bare-proxy:3128", 1);
	assert_string_equal(cts_gitnet_proxy_describe(NULL, "https://h/r", buf, sizeof(buf)),
	                    "bare-proxy:3128");
	setenv("no_proxy", "localhost, .region.test", 1);
	assert_null(
	    cts_gitnet_proxy_describe("auto", "https://depot.region.test/r", buf, sizeof(buf)));
	assert_null(cts_gitnet_proxy_describe("auto", "https://region.test/r", buf, sizeof(buf)));
	assert_non_null(
	    cts_gitnet_proxy_describe("auto", "https://otherregion.test/r", buf, sizeof(buf)));
	unsetenv("no_proxy");
	unsetenv("https_proxy");
	assert_null(cts_gitnet_proxy_describe(NULL, "https://h/r", buf, sizeof(buf)));
}

static unsigned char *read_der(const char *name, size_t *len)
{
	char path[4096];
	unsigned char *d;

	snprintf(path, sizeof(path), "%s/x509/%s", CTS_TEST_DATA, name);
	d = (unsigned char *)tu_read_file(path, len);
	assert_non_null(d);
	return d;
}

static void test_cert_describe(void **state)
{
	cts_gitnet_cert c;
	size_t len;
	unsigned char *der = read_der("server.der", &len);

	(void)state;
	assert_int_equal(cts_gitnet_cert_describe(&c, der, len, "depot.region.test"), 0);
	assert_string_equal(c.subject, "C=FR, O=Région test, CN=depot.region.test");
	assert_string_equal(c.issuer, "O=Région test, CN=AC de test");
	assert_string_equal(c.fingerprint,
	                    "33:9C:CD:15:B9:E9:35:C8:93:EE:1E:E7:97:C0:9D:46:01:A3:8C:"
	                    "07:2F:8F:72:AC:54:4E:9C:70:30:0C:DA:DD");
	assert_int_equal(c.not_before, 1704067200);
	assert_int_equal(c.not_after, 4859740800); /* 2124: a GeneralizedTime */
	assert_string_equal(c.names, "depot.region.test, *.cts.region.test, IP 127.0.0.1");
	assert_true(c.name_matches);
	/* Names as mbedTLS 2.28 checks them: case-insensitive, one label
	 * for "*.", IP addresses not matched by an iPAddress entry. */
	assert_int_equal(cts_gitnet_cert_describe(&c, der, len, "DEPOT.Region.Test"), 0);
	assert_true(c.name_matches);
	assert_int_equal(cts_gitnet_cert_describe(&c, der, len, "rouen.cts.region.test"), 0);
	assert_true(c.name_matches);
	assert_int_equal(cts_gitnet_cert_describe(&c, der, len, "a.rouen.cts.region.test"), 0);
	assert_false(c.name_matches);
	assert_int_equal(cts_gitnet_cert_describe(&c, der, len, "127.0.0.1"), 0);
	assert_false(c.name_matches);
	assert_int_equal(cts_gitnet_cert_describe(&c, der, len, "region.test"), 0);
	assert_false(c.name_matches);
	/* Truncated or not DER: refused, the fingerprint of the bytes given. */
	assert_int_equal(cts_gitnet_cert_describe(&c, der, len / 2, "depot.region.test"),
	                 CTS_EINVAL);
	assert_int_equal(strlen(c.fingerprint), 95);
	assert_int_equal(cts_gitnet_cert_describe(&c, (const unsigned char *)"hello", 5, NULL),
	                 CTS_EINVAL);
	free(der);

	der = read_der("expired.der", &len);
	assert_int_equal(cts_gitnet_cert_describe(&c, der, len, "old.region.test"), 0);
	assert_string_equal(c.subject, "CN=old.region.test");
	assert_string_equal(c.names, "old.region.test"); /* no subjectAltName: the CN */
	assert_true(c.name_matches);
	assert_int_equal(c.not_after, 1609459200);
	assert_string_equal(c.fingerprint, "03:8F:A4:9D:39:36:A6:27:F9:43:62:2E:94:B4:A0:B4:8B:39:"
	                                   "25:46:8E:8D:0D:15:23:EE:C2:BA:D6:C1:C4:AB");
	free(der);
}

static void test_timeout_setting(void **state)
{
	(void)state;
	unsetenv("CTSNODE_NET_TIMEOUT_S");
	assert_int_equal(cts_gitnet_timeout_seconds(), 60);
	setenv("CTSNODE_NET_TIMEOUT_S", "5", 1);
	assert_int_equal(cts_gitnet_timeout_seconds(), 5);
	setenv("CTSNODE_NET_TIMEOUT_S", "0", 1);
	assert_int_equal(cts_gitnet_timeout_seconds(), 60);
	setenv("CTSNODE_NET_TIMEOUT_S", "7s", 1);
	assert_int_equal(cts_gitnet_timeout_seconds(), 60);
	setenv("CTSNODE_NET_TIMEOUT_S", "86401", 1);
	assert_int_equal(cts_gitnet_timeout_seconds(), 60);
	unsetenv("CTSNODE_NET_TIMEOUT_S");
}

/* A connected TCP pair on 127.0.0.1: *client, *server. */
static void tcp_pair(int listener, int *client, int *server)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	struct timeval guard = { 30, 0 }; /* if the watchdog failed: no endless test */

	assert_int_equal(getsockname(listener, (struct sockaddr *)&a, &al), 0);
	*client = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(*client >= 0);
	assert_int_equal(setsockopt(*client, SOL_SOCKET, SO_RCVTIMEO, &guard, sizeof(guard)), 0);
	assert_int_equal(connect(*client, (struct sockaddr *)&a, sizeof(a)), 0);
	*server = accept(listener, NULL, NULL);
	assert_true(*server >= 0);
}

static void test_watch_cuts_hanging_exchange(void **state)
{
	struct sockaddr_in a = { 0 };
	int listener, old_c, old_s, c, s;
	cts_gitnet_watch *w = NULL;
	char buf[8];
	ssize_t n;

	(void)state;
	listener = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(listener, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(listener, 4), 0);
	tcp_pair(listener, &old_c, &old_s); /* open before the watch: left alone */
	setenv("CTSNODE_NET_TIMEOUT_S", "1", 1);
	assert_int_equal(cts_gitnet_watch_start(&w), 0);
	unsetenv("CTSNODE_NET_TIMEOUT_S");
	assert_false(cts_gitnet_watch_expired(w));
	tcp_pair(listener, &c, &s); /* the exchange: the server never answers */
	n = recv(c, buf, sizeof(buf), 0);
	/* Cut by the watchdog (0: shut down), not by the 30 s guard (-1). */
	assert_int_equal(n, 0);
	assert_true(cts_gitnet_watch_expired(w));
	cts_gitnet_watch_stop(w);
	/* The older connection still works both ways. */
	assert_int_equal(send(old_s, "ok", 2, 0), 2);
	assert_int_equal(recv(old_c, buf, sizeof(buf), 0), 2);
	assert_int_equal(send(old_c, "ok", 2, 0), 2);
	assert_int_equal(recv(old_s, buf, sizeof(buf), 0), 2);
	close(c);
	close(s);
	close(old_c);
	close(old_s);
	close(listener);
	cts_gitnet_watch_stop(NULL);
	cts_gitnet_watch_touch(NULL);
	assert_false(cts_gitnet_watch_expired(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_load),
		cmocka_unit_test(test_token_save),
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_url_and_proxy),
		cmocka_unit_test(test_cert_describe),
		cmocka_unit_test(test_timeout_setting),
		cmocka_unit_test(test_watch_cuts_hanging_exchange),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
