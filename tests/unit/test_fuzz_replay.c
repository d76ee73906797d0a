/* Regression replay of the fuzz targets: every file of
 * tests/fuzz/corpus/<name>/ and tests/fuzz/regress/<name>/ goes through the
 * harness body cts_fuzz_<name>() (tests/fuzz/harness_<name>.c), the same
 * code libFuzzer runs. Each input runs in a child process, so that a
 * violated property (an abort naming the input file) or a sanitizer report
 * fails that input and the replay goes on with the others; the target's
 * test then fails listing them.
 * Usage: test_fuzz_replay [NAME] (no argument: every target). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
	const char *name;
	int (*fn)(const uint8_t *data, size_t size);
} target;

static const target targets[] = {
	{ "jcs", cts_fuzz_jcs },         { "changeset", cts_fuzz_changeset },
	{ "sshsig", cts_fuzz_sshsig },   { "pubkey", cts_fuzz_pubkey },
	{ "sheet", cts_fuzz_sheet },     { "text", cts_fuzz_text },
	{ "gittree", cts_fuzz_gittree }, { "html", cts_fuzz_html },
	{ "uireq", cts_fuzz_uireq },
};
#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs one input in a child process; 1 if it passed. */
static int replay_file(const target *t, const char *path)
{
	size_t len = 0;
	char *text = tu_read_file(path, &len);
	uint8_t *exact;
	int status = 0;
	pid_t pid;

	assert_non_null(text);
	/* Exactly len bytes, as libFuzzer gives them: a read past the end is
	 * caught under ASan. */
	exact = malloc(len ? len : 1);
	assert_non_null(exact);
	memcpy(exact, text, len);
	free(text);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		cts_fuzz_current_input = path;
		t->fn(exact, len);
		free(exact);
		exit(0); /* atexit handlers (and LeakSanitizer) run in the child */
	}
	free(exact);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Replays every regular file of dir (missing dir: none); returns the count
 * and adds the failures to *failed. */
static size_t replay_dir(const target *t, const char *dir, size_t *failed)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			assert_non_null(names);
		}
		names[n] = strdup(de->d_name);
		assert_non_null(names[n]);
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp); /* a stable order */
	for (size_t i = 0; i < n; i++) {
		char *path = tu_path(dir, names[i]);
		struct stat st;

		assert_non_null(path);
		assert_int_equal(stat(path, &st), 0);
		if (S_ISREG(st.st_mode) && !replay_file(t, path)) {
			printf("ÉCHEC fuzz_%s : %s\n", t->name, path);
			(*failed)++;
		}
		free(path);
		free(names[i]);
	}
	free(names);
	return n;
}

static void replay(void **state)
{
	const target *t = *state;
	char corpus[1024], regress[1024];
	size_t nc, nr, failed = 0;

	snprintf(corpus, sizeof(corpus), "%s/corpus/%s", CTS_FUZZ_DIR, t->name);
	snprintf(regress, sizeof(regress), "%s/regress/%s", CTS_FUZZ_DIR, t->name);
	nc = replay_dir(t, corpus, &failed);
	nr = replay_dir(t, regress, &failed);
	printf("fuzz_%s : %zu entrées du corpus, %zu cas de régression rejoués, %zu en échec\n",
	       t->name, nc, nr, failed);
	assert_true(nc > 0); /* every target has committed seeds */
	assert_int_equal(failed, 0);
}

int main(int argc, char **argv)
{
	struct CMUnitTest tests[NTARGETS];
	size_t n = 0;

	for (size_t i = 0; i < NTARGETS; i++) {
		if (argc > 1 && strcmp(argv[1], targets[i].name) != 0)
			continue;
		tests[n] =
		    (struct CMUnitTest){ targets[i].name, replay, NULL, NULL, (void *)&targets[i] };
		n++;
	}
	if (n == 0) {
		fprintf(stderr, "cible de fuzzing inconnue : %s\n", argv[1]);
		return 2;
	}
	return _cmocka_run_group_tests("fuzz_replay", tests, n, NULL, NULL);
}
