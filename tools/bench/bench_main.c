/*
 * ctsbench — benchmarks of ctsnode against the physical bound and against
 * peers (issue 8). Not a test: nothing here asserts a time.
 *
 *   ctsbench [--quick] [--max 10k|100k|1M] [--sizes 10k,100k] [--batch N]
 *            [--budget MINUTES] [--work DIR] [--ctsnode PATH] [--keep]
 *
 * One run measures, for each size, every step in a child process of its own
 * (peak RSS from wait4, a time limit each, the whole run bounded by
 * --budget), then prints the machine, the library versions, the results
 * table and each target of the issue as "atteint" / "non atteint" with the
 * measured ratio.
 */
#include "bench.h"
#include "bench_results.h"

#include "node.h"

#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZES 6

/* ------------------------------------------------------------ children */

typedef struct {
	int ok; /* exited with status 0 */
	int timed_out;
	int status;
	double wall;  /* seconds */
	long rss_kib; /* ru_maxrss of the child */
	char *out;    /* its stdout */
} child;

static char self_exe[4096];
static char nofsync_lib[4200];    /* diagnostic shim next to ctsbench, "" if absent */
static const char *child_preload; /* LD_PRELOAD for the next child, or NULL */
static double run_deadline;
static FILE *log_f;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	fprintf(stderr, "[%s] ", stamp);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	fflush(stderr);
}

static void child_free(child *c)
{
	free(c->out);
	memset(c, 0, sizeof(*c));
}

/* Run argv with stdout captured, at most `timeout` seconds. */
static void run_argv(child *c, double timeout, char *const argv[])
{
	int fds[2];
	pid_t pid;
	size_t len = 0, cap = 4096;
	double t0 = bench_now(), end = t0 + timeout;
	struct rusage ru;

	memset(c, 0, sizeof(*c));
	c->out = calloc(1, cap);
	if (pipe(fds) != 0)
		return;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		if (child_preload)
			setenv("LD_PRELOAD", child_preload, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		struct pollfd p = { fds[0], POLLIN, 0 };
		double left = end - bench_now();
		int r;
		if (left <= 0) {
			kill(pid, SIGKILL);
			c->timed_out = 1;
			break;
		}
		r = poll(&p, 1, (int)(left * 1000) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		if (len + 1024 + 1 > cap) {
			cap *= 2;
			c->out = realloc(c->out, cap);
		}
		ssize_t n = read(fds[0], c->out + len, cap - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
		c->out[len] = '\0';
	}
	close(fds[0]);
	while (wait4(pid, &c->status, 0, &ru) < 0 && errno == EINTR)
		;
	c->wall = bench_now() - t0;
	c->rss_kib = ru.ru_maxrss;
	c->ok = !c->timed_out && WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0;
}

/* Time left in the run. */
static double left(void)
{
	return run_deadline - bench_now();
}

/* Run `ctsbench phase NAME args...` with a limit of min(cap, time left). */
static int phase(child *c, double cap, const char *name, ...)
{
	char *argv[16];
	int n = 0;
	va_list ap;
	double limit = cap < left() ? cap : left();

	argv[n++] = self_exe;
	argv[n++] = "phase";
	argv[n++] = (char *)name;
	va_start(ap, name);
	for (const char *a; n < 15 && (a = va_arg(ap, const char *));)
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	if (limit < 1) {
		memset(c, 0, sizeof(*c));
		c->timed_out = 1;
		say("  %s : plus de temps dans le budget", name);
		return -1;
	}
	run_argv(c, limit, argv);
	if (log_f) {
		fprintf(log_f, "## phase %s (%.3f s, rss %ld Kio, %s)\n%s\n", name, c->wall,
		        c->rss_kib,
		        c->ok          ? "ok"
		        : c->timed_out ? "délai dépassé"
		                       : "échec",
		        c->out ? c->out : "");
		fflush(log_f);
	}
	if (!c->ok)
		say("  %s : %s après %.1f s", name, c->timed_out ? "arrêtée (délai)" : "échec",
		    c->wall);
	return c->ok ? 0 : -1;
}

static const char *getv(const child *c, const char *key)
{
	size_t kl = strlen(key);
	const char *p = c->out;

	while (p && *p) {
		if (strncmp(p, key, kl) == 0 && p[kl] == '=')
			return p + kl + 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

static double getd(const child *c, const char *key)
{
	const char *v = getv(c, key);
	return v ? strtod(v, NULL) : NM;
}

static void getstr(const child *c, const char *key, char *buf, size_t size)
{
	const char *v = getv(c, key);
	size_t n = 0;

	if (v)
		while (v[n] && v[n] != '\n' && n + 1 < size)
			n++;
	if (v)
		memcpy(buf, v, n);
	buf[n] = '\0';
}

/* ------------------------------------------------------------ results */

/* Every measure starts as "not measured" (NaN). */
static void result_init(result *r)
{
	double *all[] = {
		&r->gen_s,
		&r->cs1,
		&r->csb,
		&r->bytes1,
		&r->conflicts_made,
		&r->raw1,
		&r->rawn,
		&r->full1,
		&r->fulln,
		&r->imp1d_cs,
		&r->imp1d_process_s,
		&r->imp1d_rss,
		&r->imp1_cs,
		&r->imp1_offer_s,
		&r->imp1_process_s,
		&r->imp1_rss,
		&r->imp1_left,
		&r->impb_ops,
		&r->impb_cs,
		&r->impb_offer_s,
		&r->impb_process_s,
		&r->impb_rss,
		&r->impb_conflicts,
		&r->sess_ops,
		&r->sess_rows,
		&r->sess_s,
		&r->rebuild_s,
		&r->rebuild_rss,
		&r->rep_year_ms,
		&r->rep_year_md_ms,
		&r->rep_all_ms,
		&r->rep_all_md_ms,
		&r->rep_year_meetings,
		&r->rep_all_meetings,
		&r->rep_rss,
		&r->rep_rss_dom,
		&r->pull_first_s,
		&r->pull_first_rss,
		&r->pull_noop_ms,
		&r->pull_new_ms,
		&r->pull_new_n,
		&r->pull_new_accepted,
		&r->sync_first_ms,
		&r->sync_noop_ms,
		&r->sync_noop_wall_ms,
		&r->sync_one_ms,
		&r->sync_noop1_ms,
		&r->sync_noop1_wall_ms,
		&r->repo1_s,
		&r->repob_s,
		&r->repo1_du,
		&r->repob_du,
		&r->audit1_s,
		&r->audit1_cs,
		&r->audit1_rss,
		&r->auditb_s,
		&r->auditb_cs,
		&r->auditb_rss,
		&r->ssh1_ms,
		&r->sshb_ms,
		&r->fsync_ms,
	};
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		*all[i] = NM;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	int k = 0;
	for (int i = 0; i < n; i++)
		if (!isnan(v[i]))
			v[k++] = v[i];
	if (k == 0)
		return NM;
	qsort(v, (size_t)k, sizeof(double), cmp_double);
	return k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
}

/* `runs` (at most 5) syncs of the device `home` from `repo` in `mode`
 * (phase sync): the median of the sync's own time in ms, and in *wall_ms
 * (unless NULL) the median of the wall time in ms. */
static double sync_median(const char *home, const char *repo, const char *mode, int runs,
                          double *wall_ms)
{
	double v[5], vw[5];
	child c;

	if (runs > 5)
		runs = 5;
	for (int i = 0; i < runs; i++) {
		v[i] = vw[i] = NM;
		if (phase(&c, 300, "sync", home, repo, mode, NULL) == 0) {
			v[i] = getd(&c, "sync_total_ms");
			vw[i] = c.wall * 1000;
		}
		child_free(&c);
	}
	if (wall_ms)
		*wall_ms = median(vw, runs);
	return median(v, runs);
}

/* Extrapolate the time of a step to `n` from two earlier sizes (power law,
 * exponent at least 1), or from one (linear). NaN if unknown. */
static double extrapolate(const double *ns, const double *ts, int k, double n)
{
	if (k >= 2 && ts[k - 1] > 0 && ts[k - 2] > 0 && ns[k - 1] > ns[k - 2]) {
		double e = log(ts[k - 1] / ts[k - 2]) / log(ns[k - 1] / ns[k - 2]);
		if (e < 1)
			e = 1;
		return ts[k - 1] * pow(n / ns[k - 1], e);
	}
	if (k >= 1 && ts[k - 1] > 0)
		return ts[k - 1] * n / ns[k - 1];
	return NM;
}

/* ------------------------------------------------------------ machine */

static void cpu_model(char *buf, size_t size)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(buf, size, "inconnu");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "model name", 10) == 0) {
			char *v = strchr(line, ':');
			if (v) {
				v++;
				while (*v == ' ')
					v++;
				v[strcspn(v, "\n")] = '\0';
				snprintf(buf, size, "%s", v);
			}
			break;
		}
	}
	fclose(f);
}

static void loadavg(char *buf, size_t size)
{
	FILE *f = fopen("/proc/loadavg", "r");

	buf[0] = '\0';
	if (f) {
		if (fgets(buf, (int)size, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}

static long mem_total_mib(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long kb = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb / 1024;
}

static void command_line(const char *cmd, char *buf, size_t size)
{
	FILE *p = popen(cmd, "r");

	buf[0] = '\0';
	if (!p)
		return;
	if (fgets(buf, (int)size, p))
		buf[strcspn(buf, "\n")] = '\0';
	pclose(p);
}

/* Average latency of write(4 KiB) + fsync in the work directory. */
static double fsync_latency_ms(const char *work)
{
	char *path = bench_strf("%s/fsync-probe", work), block[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	double t0, t;
	int n = 100;

	memset(block, 'x', sizeof(block));
	if (fd < 0) {
		free(path);
		return NM;
	}
	t0 = bench_now();
	for (int i = 0; i < n; i++)
		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block) || fsync(fd) != 0)
			break;
	t = (bench_now() - t0) * 1000 / n;
	close(fd);
	unlink(path);
	free(path);
	return t;
}

/* ------------------------------------------------------------ one size */

/* Earlier sizes, for extrapolation. */
static double hist_n[MAX_SIZES], hist_imp1[MAX_SIZES], hist_imp1d[MAX_SIZES], hist_impb[MAX_SIZES],
    hist_pull[MAX_SIZES], hist_rebuild[MAX_SIZES], hist_gen[MAX_SIZES], hist_repo1[MAX_SIZES];
static int hist_k;

static void run_size(const options *o, result *r)
{
	char *w = bench_strf("%s/%s", o->work, r->label);
	char *region = bench_strf("%s/region", w), *synch = bench_strf("%s/sync", w),
	     *imp1 = bench_strf("%s/imp-1", w);
	char *imp1d = bench_strf("%s/imp-1-diag", w);
	char *repob = bench_strf("%s/regional-b.git", w),
	     *repo1 = bench_strf("%s/regional-1.git", w);
	char ops[32], batch[16], threads[16], sample[32], pulln[32], secs[16];
	child c;
	int have_imp1 = 0, have_sync = 0, have_repob = 0, have_repo1 = 0, have_pull = 0;
	double est;

	snprintf(ops, sizeof(ops), "%ld", r->ops);
	snprintf(batch, sizeof(batch), "%d", o->batch);
	snprintf(threads, sizeof(threads), "%d", o->threads);
	snprintf(sample, sizeof(sample), "%ld", o->sample);
	snprintf(pulln, sizeof(pulln), "%d", o->pull_n);
	snprintf(secs, sizeof(secs), "2");

	double t_size = bench_now();

	loadavg(r->load_start, sizeof(r->load_start));
	say("== taille %s (%ld opérations), charge %s", r->label, r->ops, r->load_start);
	bench_rmtree(w);
	cts_mkdirs(w);
	r->fsync_ms = fsync_latency_ms(w);

	/* Generation. */
	est = extrapolate(hist_n, hist_gen, hist_k, (double)r->ops);
	if (!isnan(est) && est > left() * 0.5) {
		say("  génération estimée à %.0f s : au-delà du budget, taille abandonnée", est);
		snprintf(r->imp1_note, sizeof(r->imp1_note),
		         "taille non mesurée (génération estimée %.0f s)", est);
		goto out;
	}
	say("  installation de la région et génération (%d fils)", o->threads);
	if (phase(&c, 600, "setup", w, NULL) < 0) {
		child_free(&c);
		goto out;
	}
	child_free(&c);
	if (phase(&c, 7200, "gen", w, ops, batch, threads, NULL) < 0) {
		child_free(&c);
		goto out;
	}
	r->gen_s = getd(&c, "gen_seconds");
	r->cs1 = getd(&c, "gen_changesets_1");
	r->csb = getd(&c, "gen_changesets_b");
	r->bytes1 = getd(&c, "gen_bytes_1");
	r->conflicts_made = getd(&c, "gen_concurrent_edits");
	child_free(&c);
	say("  %.0f changesets 1-op, %.0f changesets groupés, en %.1f s", r->cs1, r->csb, r->gen_s);

	/* Raw verification rate, same run, same threads. */
	say("  vérification Ed25519 brute (1 et %d fils)", o->threads);
	if (phase(&c, 120, "verify", w, threads, secs, NULL) == 0) {
		r->raw1 = getd(&c, "verify_raw_1t");
		r->rawn = getd(&c, "verify_raw_nt");
		r->full1 = getd(&c, "verify_full_1t");
		r->fulln = getd(&c, "verify_full_nt");
	}
	child_free(&c);

	/* Import of 1-op changesets. */
	est = extrapolate(hist_n, hist_imp1, hist_k, r->cs1);
	if (!isnan(est) && est > left() * 0.45) {
		snprintf(r->imp1_note, sizeof(r->imp1_note),
		         "non mesuré : estimé à %.0f min d'après les tailles précédentes",
		         est / 60);
		say("  import 1-op %s", r->imp1_note);
	} else {
		say("  import de %.0f changesets 1-op%s", r->cs1,
		    isnan(est) ? "" : " (estimation faite)");
		if (phase(&c, left() * 0.45, "import", w, "1", imp1, "1", NULL) == 0) {
			r->imp1_cs = getd(&c, "import_accepted");
			r->imp1_offer_s = getd(&c, "import_offer_s");
			r->imp1_process_s = getd(&c, "import_process_s");
			r->imp1_left = getd(&c, "import_inbox_left");
			r->imp1_rss = (double)c.rss_kib;
			have_imp1 = 1;
			hist_imp1[hist_k] = r->imp1_offer_s + r->imp1_process_s;
		} else {
			snprintf(r->imp1_note, sizeof(r->imp1_note), "interrompu après %.0f s",
			         c.wall);
		}
		child_free(&c);
	}

	/* Diagnostic: the same 1-op import with fsync and fdatasync neutralised
	 * (LD_PRELOAD shim), to show the CPU cost apart from the disk. When the
	 * real import did not fit, this node also serves as the observer whose
	 * no-op sync is measured below (its state does not depend on fsync). */
	est = extrapolate(hist_n, hist_imp1d, hist_k, r->cs1);
	if (nofsync_lib[0] && (isnan(est) || est < left() * 0.2)) {
		say("  import 1-op, diagnostic sans fsync");
		child_preload = nofsync_lib;
		if (phase(&c, left() * 0.2, "import", w, "1", have_imp1 ? imp1d : imp1, "1",
		          NULL) == 0) {
			r->imp1d_cs = getd(&c, "import_accepted");
			r->imp1d_process_s = getd(&c, "import_process_s");
			r->imp1d_rss = (double)c.rss_kib;
			hist_imp1d[hist_k] = getd(&c, "import_total_s");
			have_imp1 = 1;
		}
		child_preload = NULL;
		child_free(&c);
		bench_rmtree(imp1d);
	} else if (nofsync_lib[0]) {
		say("  import 1-op sans fsync estimé à %.0f s : non mesuré", est);
	}

	/* Import of batched changesets: the apply measure; the sync device. */
	est = extrapolate(hist_n, hist_impb, hist_k, (double)r->ops);
	if (!isnan(est) && est > left() * 0.4) {
		snprintf(r->impb_note, sizeof(r->impb_note), "non mesuré : estimé à %.0f min",
		         est / 60);
		say("  import groupé %s", r->impb_note);
		goto tail;
	}
	say("  import de %.0f changesets groupés (%d ops chacun)", r->csb, o->batch);
	if (phase(&c, left() * 0.5, "import", w, "b", synch, "0", NULL) == 0) {
		r->impb_ops = getd(&c, "import_ops");
		r->impb_cs = getd(&c, "import_accepted");
		r->impb_offer_s = getd(&c, "import_offer_s");
		r->impb_process_s = getd(&c, "import_process_s");
		r->impb_conflicts = getd(&c, "import_conflicts");
		r->impb_rss = (double)c.rss_kib;
		hist_impb[hist_k] = r->impb_offer_s + r->impb_process_s;
		have_sync = 1;
	} else {
		snprintf(r->impb_note, sizeof(r->impb_note), "interrompu après %.0f s", c.wall);
	}
	child_free(&c);

	say("  référence : extension session de SQLite");
	if (phase(&c, 1800, "session", w, NULL) == 0) {
		r->sess_ops = getd(&c, "session_ops");
		r->sess_rows = getd(&c, "session_rows");
		r->sess_s = getd(&c, "session_apply_s");
	}
	child_free(&c);

	if (have_sync) {
		if (phase(&c, 1200, "digest", synch, NULL) == 0)
			getstr(&c, "digest", r->digestb, sizeof(r->digestb));
		child_free(&c);
		if (have_imp1 && phase(&c, 1200, "digest", imp1, NULL) == 0)
			getstr(&c, "digest", r->digest1, sizeof(r->digest1));
		child_free(&c);

		say("  rapports (année 2024 et tout l'historique)");
		if (phase(&c, 600, "report", synch, "2024", NULL) == 0) {
			r->rep_year_ms = getd(&c, "report_year_build_ms");
			r->rep_year_md_ms = 0; /* build_ms: computed and written (Markdown) */
			r->rep_all_ms = getd(&c, "report_all_build_ms");
			r->rep_all_md_ms = 0;
			r->rep_year_meetings = getd(&c, "report_year_meetings");
			r->rep_all_meetings = getd(&c, "report_all_meetings");
			r->rep_rss = (double)c.rss_kib;
		}
		child_free(&c);
		/* The same reports built as one document, then rendered (before issue 18). */
		if (phase(&c, 600, "report", synch, "2024", "dom", NULL) == 0)
			r->rep_rss_dom = (double)c.rss_kib;
		child_free(&c);

		est = extrapolate(hist_n, hist_rebuild, hist_k, (double)r->ops);
		if (!isnan(est) && est > left() * 0.4) {
			snprintf(r->rebuild_note, sizeof(r->rebuild_note),
			         "non mesuré : estimé à %.0f min", est / 60);
		} else {
			say("  reconstruction (rebuild) du poste de synchronisation");
			if (phase(&c, left() * 0.4, "rebuild", synch, NULL) == 0) {
				r->rebuild_s = getd(&c, "rebuild_s");
				r->rebuild_rss = (double)c.rss_kib;
				hist_rebuild[hist_k] = r->rebuild_s;
			} else {
				snprintf(r->rebuild_note, sizeof(r->rebuild_note),
				         "interrompu après %.0f s", c.wall);
			}
			child_free(&c);
			if (!isnan(r->rebuild_s) && phase(&c, 1200, "digest", synch, NULL) == 0)
				getstr(&c, "digest", r->digest_rebuilt, sizeof(r->digest_rebuilt));
			child_free(&c);
		}
	}

	/* Regional repository (batched history) and the authority's first pull. */
	say("  dépôt régional (historique groupé)");
	if (phase(&c, 1800, "repo", w, "b", repob, "500", "0", NULL) == 0) {
		r->repob_s = getd(&c, "repo_seconds");
		have_repob = 1;
	}
	child_free(&c);
	if (have_repob) {
		est = extrapolate(hist_n, hist_pull, hist_k, (double)r->ops);
		if (!isnan(est) && est > left() * 0.4) {
			say("  premier region pull estimé à %.0f s : non mesuré", est);
		} else {
			say("  premier region pull de l'autorité (tout l'historique, par git)");
			if (o->keep) {
				/* The region home is pulled into below (first, empty, new
				 * changesets): a later hand run of `phase pull` on it finds
				 * nothing new. Keep it as it is before its first pull. */
				char *before = bench_strf("%s-before-pull", region);
				char *cp[] = { "/bin/cp", "-a", region, before, NULL };
				run_argv(&c, 300, cp);
				child_free(&c);
				free(before);
			}
			if (phase(&c, left() * 0.4, "pull", region, repob, "first", NULL) == 0) {
				r->pull_first_s = getd(&c, "sync_ms") / 1000;
				r->pull_first_rss = (double)c.rss_kib;
				hist_pull[hist_k] = r->pull_first_s;
				have_pull = 1;
			}
			child_free(&c);
		}
		r->repob_du = (double)bench_du(repob);
	}
	if (have_repob && have_sync) {
		/* A device that has published before: one new changeset (x3) first,
		 * so that the no-op syncs (x5) are those of a device with a branch. */
		say("  sync du poste : premier, un changeset (x3), à vide (x5)");
		phase(&c, 1200, "sync", synch, repob, "first", NULL);
		r->sync_first_ms = getd(&c, "sync_total_ms");
		child_free(&c);
		r->sync_one_ms = sync_median(synch, repob, "one", 3, NULL);
		r->sync_noop_ms = sync_median(synch, repob, "noop", 5, &r->sync_noop_wall_ms);
	}

	/* Regional repository of the 1-op history: audit and no-op sync. */
	est = extrapolate(hist_n, hist_repo1, hist_k, r->cs1);
	if (r->cs1 <= (double)o->max_1op_repo && (isnan(est) || est < left() * 0.3)) {
		say("  dépôt régional (historique 1-op, %.0f changesets)", r->cs1);
		if (phase(&c, left() * 0.3, "repo", w, "1", repo1, "500", "1", NULL) == 0) {
			r->repo1_s = getd(&c, "repo_seconds");
			hist_repo1[hist_k] = r->repo1_s;
			have_repo1 = 1;
			r->repo1_du = (double)bench_du(repo1);
		}
		child_free(&c);
	}
	if (have_repo1 && have_imp1) {
		say("  sync à vide de l'observateur sur le dépôt 1-op (x5, après un premier)");
		phase(&c, 1200, "sync", imp1, repo1, "first", NULL);
		child_free(&c);
		r->sync_noop1_ms = sync_median(imp1, repo1, "noop", 5, &r->sync_noop1_wall_ms);
	}

	/* Audit with the CLI, when the command exists. */
	if (!o->audit_available) {
		snprintf(r->audit_note, sizeof(r->audit_note),
		         "« ctsnode audit » absent : non mesuré");
	} else {
		for (int k = 0; k < 2; k++) {
			const char *repo = k ? repo1 : repob;
			char *argv[] = { (char *)o->ctsnode, "audit", (char *)repo, "--json",
				         NULL };
			json_t *j;
			if (!(k ? have_repo1 : (have_repob && have_pull)))
				continue;
			say("  audit du dépôt %s", k ? "1-op" : "groupé");
			if (left() < 5)
				break;
			run_argv(&c, left() * 0.5, argv);
			if (log_f) {
				fprintf(log_f,
				        "## audit %s (%.3f s, rss %ld Kio, statut %d)\n%.2000s\n",
				        repo, c.wall, c.rss_kib, c.status, c.out ? c.out : "");
				fflush(log_f);
			}
			j = c.out ? json_loads(c.out, 0, NULL) : NULL;
			if (!c.timed_out && j) {
				double n =
				    (double)json_integer_value(json_object_get(j, "changesets"));
				int ok = json_is_true(json_object_get(j, "ok"));
				if (k) {
					r->audit1_s = c.wall;
					r->audit1_cs = n;
					r->audit1_rss = (double)c.rss_kib;
					r->audit1_ok = ok;
				} else {
					r->auditb_s = c.wall;
					r->auditb_cs = n;
					r->auditb_rss = (double)c.rss_kib;
					r->auditb_ok = ok;
				}
				if (!ok) {
					json_t *f0 =
					    json_array_get(json_object_get(j, "findings"), 0);
					say("  audit : %lld constat(s), premier : %s %s",
					    (long long)json_integer_value(
					        json_object_get(j, "findings_total")),
					    json_string_value(json_object_get(f0, "kind")),
					    json_string_value(json_object_get(f0, "detail")));
				}
			} else {
				say("  audit : %s (statut %d)",
				    c.timed_out ? "délai dépassé" : "sortie illisible", c.status);
			}
			json_decref(j);
			child_free(&c);
		}
	}
	say("  boucle ssh-keygen -Y verify (%ld changesets par historique)", o->sample);
	if (phase(&c, 600, "sshkeygen", w, "1", sample, NULL) == 0)
		r->ssh1_ms = getd(&c, "sshkeygen_ms_per_cs");
	child_free(&c);
	if (phase(&c, 600, "sshkeygen", w, "b", sample, NULL) == 0)
		r->sshb_ms = getd(&c, "sshkeygen_ms_per_cs");
	child_free(&c);

	/* Region pull: nothing new, then N new changesets. */
	if (have_pull) {
		double v[3];
		say("  region pull à vide (x3), puis de %d nouveaux changesets", o->pull_n);
		for (int i = 0; i < 3; i++) {
			v[i] = NM;
			if (phase(&c, 300, "pull", region, repob, "noop", NULL) == 0)
				v[i] = getd(&c, "sync_total_ms");
			child_free(&c);
		}
		r->pull_noop_ms = median(v, 3);
		if (phase(&c, 600, "pushnew", w, repob, pulln, "1", NULL) == 0) {
			child_free(&c);
			if (phase(&c, 600, "pull", region, repob, "new", NULL) == 0) {
				r->pull_new_ms = getd(&c, "sync_total_ms");
				r->pull_new_accepted = getd(&c, "sync_accepted");
				r->pull_new_n = o->pull_n;
			}
		}
		child_free(&c);
	}
tail:
	loadavg(r->load_end, sizeof(r->load_end));
	r->seconds = bench_now() - t_size;
	hist_n[hist_k] = (double)r->ops;
	hist_gen[hist_k] = r->gen_s;
	if (hist_k + 1 < MAX_SIZES)
		hist_k++;
out:
	if (!o->keep) {
		/* Keep the results small on disk; the last size stays for inspection
		 * only with --keep. */
		bench_rmtree(w);
	}
	free(w);
	free(region);
	free(synch);
	free(imp1);
	free(imp1d);
	free(repob);
	free(repo1);
}

/* ------------------------------------------------------------ printing */

/* ------------------------------------------------------------ main */

static long parse_size(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (*end == 'k' || *end == 'K')
		v *= 1000;
	else if (*end == 'M' || *end == 'm')
		v *= 1000000;
	return v >= 100 ? (long)v : -1;
}

static void size_label(long n, char *buf, size_t size)
{
	if (n % 1000000 == 0)
		snprintf(buf, size, "%ldM", n / 1000000);
	else if (n % 1000 == 0)
		snprintf(buf, size, "%ldk", n / 1000);
	else
		snprintf(buf, size, "%ld", n);
}

static const char usage[] =
    "Usage : ctsbench [--quick] [--max TAILLE] [--sizes T1,T2,...] [--batch N] [--budget MINUTES]\n"
    "                 [--work DOSSIER] [--ctsnode CHEMIN] [--sample N] [--pull-n N] [--keep]\n"
    "\n"
    "Mesure ctsnode sur une région synthétique (12 territoires x 2 postes) de 10 k, 100 k\n"
    "et 1 M d'opérations (changesets 1-op et groupés), dans un seul passage, et imprime le\n"
    "tableau et les cibles de l'issue 8. Tailles : 10k, 100k, 1M (ou un nombre).\n"
    "  --quick          10 k seulement\n"
    "  --max TAILLE     toutes les tailles jusqu'à TAILLE\n"
    "  --batch N        opérations par changeset groupé (défaut 1000)\n"
    "  --budget MIN     durée maximale de l'ensemble (défaut 40) : les étapes qui n'y\n"
    "                   tiennent pas sont sautées (estimation) ou arrêtées, et signalées\n"
    "  --work DOSSIER   dossier de travail (défaut : à côté de l'exécutable, work/)\n"
    "  --keep           garder les fichiers de la dernière taille\n";

int main(int argc, char **argv)
{
	static const long all_sizes[] = { 10000, 100000, 1000000 };
	long sizes[MAX_SIZES];
	int nsizes = 0;
	long max = 1000000;
	double budget_min = 40;
	options o = {
		.batch = 1000, .pull_n = 100, .sample = 100, .threads = 2, .max_1op_repo = 200000
	};
	static result rs[MAX_SIZES];
	const char *work = NULL, *sizes_arg = NULL;
	char cts_default[4200], buf[512], *logpath;
	double t_start = bench_now();
	ssize_t n;

	if (argc > 1 && strcmp(argv[1], "phase") == 0)
		return bench_phase_main(argc - 1, argv + 1);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--quick") == 0)
			max = 10000;
		else if (strcmp(a, "--max") == 0 && v && (max = parse_size(v)) > 0)
			i++;
		else if (strcmp(a, "--sizes") == 0 && v)
			sizes_arg = argv[++i];
		else if (strcmp(a, "--batch") == 0 && v && (o.batch = atoi(v)) >= 1 &&
		         o.batch <= 20000)
			i++;
		else if (strcmp(a, "--budget") == 0 && v && (budget_min = atof(v)) > 0)
			i++;
		else if (strcmp(a, "--work") == 0 && v)
			work = argv[++i];
		else if (strcmp(a, "--ctsnode") == 0 && v)
			o.ctsnode = argv[++i];
		else if (strcmp(a, "--sample") == 0 && v && (o.sample = atol(v)) > 0)
			i++;
		else if (strcmp(a, "--pull-n") == 0 && v && (o.pull_n = atoi(v)) > 0)
			i++;
		else if (strcmp(a, "--keep") == 0)
			o.keep = 1;
		else {
			fputs(usage, strcmp(a, "--help") == 0 ? stdout : stderr);
			return strcmp(a, "--help") == 0 ? 0 : 2;
		}
	}
	if (sizes_arg) {
		char *copy = strdup(sizes_arg);
		for (char *t = strtok(copy, ","); t && nsizes < MAX_SIZES; t = strtok(NULL, ","))
			if ((sizes[nsizes] = parse_size(t)) > 0)
				nsizes++;
		free(copy);
	} else {
		for (size_t i = 0; i < sizeof(all_sizes) / sizeof(all_sizes[0]); i++)
			if (all_sizes[i] <= max)
				sizes[nsizes++] = all_sizes[i];
	}
	if (nsizes == 0) {
		fputs(usage, stderr);
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n <= 0)
		return 1;
	self_exe[n] = '\0';
	{
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s", self_exe);
		*strrchr(dir, '/') = '\0';
		snprintf(cts_default, sizeof(cts_default), "%s/core/ctsnode", dir);
		snprintf(nofsync_lib, sizeof(nofsync_lib), "%s/libnofsync.so", dir);
		if (access(nofsync_lib, R_OK) != 0)
			nofsync_lib[0] = '\0';
		if (!work) {
			static char wdef[4200];
			snprintf(wdef, sizeof(wdef), "%s/work", dir);
			work = wdef;
		}
	}
	if (!o.ctsnode)
		o.ctsnode = cts_default;
	snprintf(o.work, sizeof(o.work), "%s", work);
	cts_mkdirs(o.work);
	logpath = bench_strf("%s/phases.log", o.work);
	log_f = fopen(logpath, "w");
	run_deadline = t_start + budget_min * 60;
	{
		char cmd[4400];
		snprintf(cmd, sizeof(cmd), "'%s' audit --help >/dev/null 2>&1 && echo yes",
		         o.ctsnode);
		command_line(cmd, buf, sizeof(buf));
		o.audit_available = strcmp(buf, "yes") == 0;
	}

	/* Machine and versions. */
	{
		struct utsname u;
		char cpu[256], ssh[256], commit[128], dirty[16];
		int maj = 0, min = 0, rev = 0;
		time_t now = time(NULL);
		struct tm tm;

		cpu_model(cpu, sizeof(cpu));
		uname(&u);
		git_libgit2_version(&maj, &min, &rev);
		command_line("ssh -V 2>&1", ssh, sizeof(ssh));
		command_line("git -C '" CTS_SOURCE_DIR "' rev-parse --short HEAD 2>/dev/null",
		             commit, sizeof(commit));
		command_line("GIT_OPTIONAL_LOCKS=0 git -C '" CTS_SOURCE_DIR
		             "' status --porcelain --untracked-files=no 2>/dev/null | head -1",
		             dirty, sizeof(dirty));
		localtime_r(&now, &tm);
		strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M %Z", &tm);
		printf("# ctsbench — %s\n\n", buf);
		printf("## Machine\n\n");
		printf("- processeur : %s\n", cpu);
		printf("- cœurs : %ld (fils utilisés pour vérifier et générer : %d)\n",
		       sysconf(_SC_NPROCESSORS_ONLN), o.threads);
		printf("- mémoire : %ld Mio\n", mem_total_mib());
		printf("- système : %s %s %s\n", u.sysname, u.release, u.machine);
		printf("- dossier de travail : %s (fsync de 4 Kio : voir le tableau)\n", o.work);
		loadavg(buf, sizeof(buf));
		printf("- charge au départ (/proc/loadavg) : %s\n", buf);
		if (getenv("LD_PRELOAD") && strstr(getenv("LD_PRELOAD"), "nofsync"))
			printf("- **DIAGNOSTIC : fsync neutralisé (LD_PRELOAD=%s) ; chiffres non "
			       "comparables aux cibles**\n",
			       getenv("LD_PRELOAD"));
		printf("\n## Versions\n\n");
		printf("- SQLite %s (en-têtes %s ; session : %s)\n", sqlite3_libversion(),
		       SQLITE_VERSION,
		       sqlite3_compileoption_used("ENABLE_SESSION") ? "oui" : "non");
		printf("- libgit2 %d.%d.%d\n", maj, min, rev);
		printf("- libsodium %s\n", sodium_version_string());
		printf("- jansson %s\n", JANSSON_VERSION);
		printf("- %s\n", ssh);
		printf("- ctsnode %s%s (Release, -O2) ; audit : %s\n", commit,
		       dirty[0] ? " + modifications non validées" : "",
		       o.audit_available ? o.ctsnode : "absent");
		printf("\n## Paramètres\n\n");
		printf("- tailles :");
		for (int i = 0; i < nsizes; i++) {
			size_label(sizes[i], buf, sizeof(buf));
			printf(" %s", buf);
		}
		printf(" opérations ; %d territoires x %d postes ; changesets groupés de %d "
		       "opérations\n",
		       BENCH_TERRITORIES, BENCH_DEVICES, o.batch);
		printf("- budget : %.0f min ; ssh-keygen sur %ld changesets par historique ; "
		       "region pull de %d nouveaux\n",
		       budget_min, o.sample, o.pull_n);
		fflush(stdout);
	}
	for (int i = 0; i < nsizes; i++) {
		result *r = &rs[i];
		result_init(r);
		r->ops = sizes[i];
		size_label(sizes[i], r->label, sizeof(r->label));
	}
	for (int i = 0; i < nsizes; i++) {
		if (left() < 30) {
			say("budget épuisé : taille %s non mesurée", rs[i].label);
			snprintf(rs[i].imp1_note, sizeof(rs[i].imp1_note),
			         "taille non mesurée : budget épuisé");
			continue;
		}
		run_size(&o, &rs[i]);
	}
	print_results(rs, nsizes, &o);
	printf("\nDurée totale : %.1f min. Journal des étapes : %s\n", (bench_now() - t_start) / 60,
	       logpath);
	if (log_f)
		fclose(log_f);
	free(logpath);
	return 0;
}
