/* Base-layer primitives: the growable buffer (strbuf.h), whole-file writes
 * (file.h) and the worker pool (pool.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "error.h"
#include "file.h"
#include "pool.h"
#include "strbuf.h"
#include "testutil.h"

#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- strbuf ---- */

static void test_strbuf_grows(void **state)
{
	cts_strbuf b = { 0 };
	char *out = NULL;
	size_t len = 0;

	(void)state;
	cts_strbuf_addn(&b, NULL, 0);
	assert_non_null(b.ptr);
	assert_string_equal(b.ptr, "");
	for (int i = 0; i < 1000; i++) {
		cts_strbuf_addc(&b, (char)('a' + i % 26));
		cts_strbuf_addf(&b, "%03d", i);
	}
	cts_strbuf_addn(&b, "x\0y", 3); /* bytes, NUL included */
	assert_int_equal(b.oom, 0);
	assert_int_equal(b.len, 4003);
	assert_true(b.cap > b.len);
	assert_memory_equal(b.ptr, "a000b001", 8);
	assert_memory_equal(b.ptr + 3996, "l999", 4);
	assert_int_equal(b.ptr[4001], '\0');
	assert_int_equal(b.ptr[4003], '\0');
	assert_int_equal(cts_strbuf_take(&b, &out, &len), 0);
	assert_int_equal(len, 4003);
	assert_null(b.ptr);
	free(out);
}

static void test_strbuf_oom_sticks(void **state)
{
	cts_strbuf b = { 0 };
	char *out = (char *)"unchanged";

	(void)state;
	cts_strbuf_add(&b, "abc");
	b.oom = 1; /* as after a failed realloc */
	cts_strbuf_add(&b, "def");
	cts_strbuf_addc(&b, 'g');
	assert_int_equal(b.len, 3);
	assert_int_equal(cts_strbuf_take(&b, &out, NULL), CTS_ENOMEM);
	assert_null(b.ptr);
	cts_strbuf_dispose(&b);
}

/* ---- file ---- */

static char *slurp(const char *path, size_t *len)
{
	return tu_read_file(path, len);
}

/* Entries of dir other than . and .. */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void test_file_replace(void **state)
{
	char *dir = tu_tmpdir(), *path = tu_path(dir, "f.json"), *got;
	size_t len;
	struct stat sb;

	(void)state;
	assert_int_equal(cts_write_file_atomic(path, "one", 3, 0644), 0);
	assert_int_equal(cts_write_file_replace(path, "two!", 4, 0600, 0), 0);
	got = slurp(path, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(got, "two!", 4);
	free(got);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600); /* replaced by rename: the new file's mode */
	assert_int_equal(entries(dir), 1);         /* no temporary left */
	free(path);
	path = tu_path(dir, "missing/f");
	assert_int_equal(cts_write_file_atomic(path, "x", 1, 0600), CTS_EIO);
	assert_non_null(strstr(cts_error_message(), "missing/f"));
	tu_rmtree(dir);
	free(path);
	free(dir);
}

static void test_file_new_never_replaces(void **state)
{
	char *dir = tu_tmpdir(), *path = tu_path(dir, "key"), *link_path = tu_path(dir, "dangling");
	char *got;
	size_t len;
	struct stat sb;
	mode_t old = umask(0277);

	(void)state;
	assert_int_equal(cts_write_file_new(path, "secret", 6, 0600), 0);
	umask(old);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600); /* exactly, whatever the umask */
	assert_int_equal(cts_write_file_new(path, "other", 5, 0600), CTS_EEXISTS);
	assert_non_null(strstr(cts_error_message(), "jamais remplacé"));
	got = slurp(path, &len);
	assert_int_equal(len, 6);
	assert_memory_equal(got, "secret", 6);
	free(got);
	assert_int_equal(symlink("nowhere", link_path), 0);
	assert_int_equal(cts_write_file_new(link_path, "x", 1, 0600), CTS_EEXISTS);
	assert_int_equal(entries(dir), 2); /* key and the link: no temporary left */
	tu_rmtree(dir);
	free(link_path);
	free(path);
	free(dir);
}

/* ---- pool ---- */

typedef struct {
	atomic_int runs[300];
	atomic_int running;
} pool_ctx;

static void count_job(void *vctx, size_t job)
{
	pool_ctx *c = vctx;

	atomic_fetch_add(&c->runs[job], 1);
	atomic_fetch_add(&c->running, 1);
}

/* Every job runs exactly once, in a window smaller than the job count,
 * with any number of workers (0: the owner runs everything). */
static void test_pool_runs_each_job_once(void **state)
{
	static const int threads[] = { 0, 1, 3, 8 };

	(void)state;
	for (size_t t = 0; t < sizeof(threads) / sizeof(threads[0]); t++) {
		pool_ctx c;
		cts_pool p;
		size_t next = 0;

		memset(&c, 0, sizeof(c));
		assert_int_equal(cts_pool_start(&p, threads[t], 7, count_job, &c), 0);
		assert_int_equal(p.nth, threads[t]);
		for (size_t done = 0; done < 300; done++) {
			while (next < 300 && cts_pool_pending(&p) < 7)
				assert_int_equal(cts_pool_submit(&p), next++);
			assert_int_equal(cts_pool_wait_oldest(&p), done);
			assert_int_equal(atomic_load(&c.runs[done]), 1);
			cts_pool_retire(&p);
		}
		assert_int_equal(cts_pool_pending(&p), 0);
		cts_pool_stop(&p);
		cts_pool_stop(&p); /* stopped: nothing left to do */
		assert_int_equal(atomic_load(&c.running), 300);
		for (int i = 0; i < 300; i++)
			assert_int_equal(atomic_load(&c.runs[i]), 1);
	}
}

static void test_pool_threads_setting(void **state)
{
	(void)state;
	setenv("CTSNODE_THREADS", "5", 1);
	assert_int_equal(cts_pool_threads(), 5);
	setenv("CTSNODE_THREADS", "65", 1); /* out of range: the processors */
	assert_true(cts_pool_threads() >= 1 && cts_pool_threads() <= 8);
	unsetenv("CTSNODE_THREADS");
	assert_true(cts_pool_threads() >= 1 && cts_pool_threads() <= 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strbuf_grows),
		cmocka_unit_test(test_strbuf_oom_sticks),
		cmocka_unit_test(test_file_replace),
		cmocka_unit_test(test_file_new_never_replaces),
		cmocka_unit_test(test_pool_runs_each_job_once),
		cmocka_unit_test(test_pool_threads_setting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
