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

#define NM NAN
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

typedef struct {
	char label[16];
	long ops;
	/* generation */
	double gen_s, cs1, csb, bytes1, conflicts_made;
	/* raw verification */
	double raw1, rawn, full1, fulln;
	/* import of 1-op changesets */
	double imp1_cs, imp1_offer_s, imp1_process_s, imp1_rss, imp1_left;
	char imp1_note[160];
	/* the same with fsync neutralised (diagnostic: CPU cost only) */
	double imp1d_cs, imp1d_process_s, imp1d_rss;
	/* import of batched changesets (apply) */
	double impb_ops, impb_cs, impb_offer_s, impb_process_s, impb_rss, impb_conflicts;
	char impb_note[160];
	double sess_ops, sess_rows, sess_s;
	char digest1[65], digestb[65], digest_rebuilt[65];
	double rebuild_s, rebuild_rss;
	char rebuild_note[160];
	double rep_year_ms, rep_year_md_ms, rep_all_ms, rep_all_md_ms, rep_year_meetings,
	    rep_all_meetings, rep_rss, rep_rss_dom;
	double pull_first_s, pull_first_rss, pull_noop_ms, pull_new_ms, pull_new_n,
	    pull_new_accepted;
	double sync_first_ms, sync_noop_ms, sync_noop_wall_ms, sync_one_ms, sync_noop1_ms,
	    sync_noop1_wall_ms;
	double repo1_s, repob_s, repo1_du, repob_du;
	double audit1_s, audit1_cs, audit1_rss, auditb_s, auditb_cs, auditb_rss;
	int audit1_ok, auditb_ok;
	char audit_note[160];
	double ssh1_ms, sshb_ms;
	double fsync_ms;
	char load_start[64], load_end[64];
	double seconds;
} result;

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

typedef struct {
	int batch;
	int pull_n;
	long sample;
	int threads;
	int keep;
	long max_1op_repo; /* build the 1-op regional repository up to this many changesets */
	const char *ctsnode;
	int audit_available;
	char work[4400];
} options;

/* Earlier sizes, for extrapolation. */
static double hist_n[MAX_SIZES], hist_imp1[MAX_SIZES], hist_imp1d[MAX_SIZES], hist_impb[MAX_SIZES],
    hist_pull[MAX_SIZES], hist_rebuild[MAX_SIZES], hist_gen[MAX_SIZES], hist_repo1[MAX_SIZES];
static int hist_k;

static double kib_to_mib(double k)
{
	return isnan(k) ? NM : k / 1024.0;
}

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
		double v[5], vw[5];
		/* A device that has published before: one new changeset (x3) first,
		 * so that the no-op syncs (x5) are those of a device with a branch. */
		say("  sync du poste : premier, un changeset (x3), à vide (x5)");
		phase(&c, 1200, "sync", synch, repob, "first", NULL);
		r->sync_first_ms = getd(&c, "sync_total_ms");
		child_free(&c);
		for (int i = 0; i < 3; i++) {
			v[i] = NM;
			if (phase(&c, 300, "sync", synch, repob, "one", NULL) == 0)
				v[i] = getd(&c, "sync_total_ms");
			child_free(&c);
		}
		r->sync_one_ms = median(v, 3);
		for (int i = 0; i < 5; i++) {
			v[i] = vw[i] = NM;
			if (phase(&c, 300, "sync", synch, repob, "noop", NULL) == 0) {
				v[i] = getd(&c, "sync_total_ms");
				vw[i] = c.wall * 1000;
			}
			child_free(&c);
		}
		r->sync_noop_ms = median(v, 5);
		r->sync_noop_wall_ms = median(vw, 5);
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
		double v[5], vw[5];
		say("  sync à vide de l'observateur sur le dépôt 1-op (x5, après un premier)");
		phase(&c, 1200, "sync", imp1, repo1, "first", NULL);
		child_free(&c);
		for (int i = 0; i < 5; i++) {
			v[i] = vw[i] = NM;
			if (phase(&c, 300, "sync", imp1, repo1, "noop", NULL) == 0) {
				v[i] = getd(&c, "sync_total_ms");
				vw[i] = c.wall * 1000;
			}
			child_free(&c);
		}
		r->sync_noop1_ms = median(v, 5);
		r->sync_noop1_wall_ms = median(vw, 5);
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

static const char *fmt_num(char *buf, size_t size, double v, int decimals)
{
	if (isnan(v))
		snprintf(buf, size, "—");
	else if (decimals == 0 && fabs(v) >= 10000)
		snprintf(buf, size, "%.0f", v);
	else
		snprintf(buf, size, "%.*f", decimals, v);
	return buf;
}

static void row(const result *rs, int n, const char *name, int decimals,
                double (*get)(const result *))
{
	char b[64];

	printf("| %s |", name);
	for (int i = 0; i < n; i++)
		printf(" %s |", fmt_num(b, sizeof(b), get(&rs[i]), decimals));
	printf("\n");
}

static double safe_div(double a, double b)
{
	return isnan(a) || isnan(b) || b == 0 ? NM : a / b;
}

#define G(name, expr)                                                                              \
	static double name(const result *r)                                                        \
	{                                                                                          \
		return (expr);                                                                     \
	}
G(g_cs1, r->cs1)
G(g_csb, r->csb)
G(g_gen, r->gen_s)
G(g_fsync, r->fsync_ms)
G(g_raw1, r->raw1)
G(g_rawn, r->rawn)
G(g_full1, r->full1)
G(g_fulln, r->fulln)
G(g_imp1_rate, safe_div(r->imp1_cs, r->imp1_offer_s + r->imp1_process_s))
G(g_imp1_proc_rate, safe_div(r->imp1_cs, r->imp1_process_s))
G(g_imp1_ms, safe_div((r->imp1_offer_s + r->imp1_process_s) * 1000, r->imp1_cs))
G(g_imp1_ratio, safe_div(safe_div(r->imp1_cs, r->imp1_offer_s + r->imp1_process_s) * 100, r->rawn))
G(g_imp1d_rate, safe_div(r->imp1d_cs, r->imp1d_process_s))
G(g_rss_imp1d, kib_to_mib(r->imp1d_rss))
G(g_impb_rate, safe_div(r->impb_ops, r->impb_offer_s + r->impb_process_s))
G(g_impb_proc_rate, safe_div(r->impb_ops, r->impb_process_s))
G(g_sess_rate, safe_div(r->sess_ops, r->sess_s))
G(g_impb_ratio, safe_div(safe_div(r->impb_ops, r->impb_offer_s + r->impb_process_s),
                         safe_div(r->sess_ops, r->sess_s)))
G(g_rebuild, r->rebuild_s)
G(g_rep_year, r->rep_year_ms + r->rep_year_md_ms)
G(g_rep_all, r->rep_all_ms + r->rep_all_md_ms)
G(g_rep_year_meetings, r->rep_year_meetings)
G(g_rep_all_meetings, r->rep_all_meetings)
G(g_sync_first, r->sync_first_ms)
G(g_sync_noop, r->sync_noop_ms)
G(g_sync_noop_wall, r->sync_noop_wall_ms)
G(g_sync_noop1, r->sync_noop1_ms)
G(g_sync_noop1_wall, r->sync_noop1_wall_ms)
G(g_sync_one, r->sync_one_ms)
G(g_pull_first, r->pull_first_s)
G(g_pull_noop, r->pull_noop_ms)
G(g_pull_new, r->pull_new_ms)
G(g_audit1_rate, safe_div(r->audit1_cs, r->audit1_s))
G(g_auditb_rate, safe_div(r->auditb_cs, r->auditb_s))
G(g_ssh1, r->ssh1_ms)
G(g_sshb, r->sshb_ms)
G(g_audit1_ratio, safe_div(safe_div(r->audit1_cs, r->audit1_s), safe_div(1000, r->ssh1_ms)))
G(g_auditb_ratio, safe_div(safe_div(r->auditb_cs, r->auditb_s), safe_div(1000, r->sshb_ms)))
G(g_rss_imp1, kib_to_mib(r->imp1_rss))
G(g_rss_impb, kib_to_mib(r->impb_rss))
G(g_rss_pull, kib_to_mib(r->pull_first_rss))
G(g_rss_audit1, kib_to_mib(r->audit1_rss))
G(g_rss_auditb, kib_to_mib(r->auditb_rss))
G(g_rss_rebuild, kib_to_mib(r->rebuild_rss))
G(g_rss_report, kib_to_mib(r->rep_rss))
G(g_rss_report_dom, kib_to_mib(r->rep_rss_dom))
G(g_repo1_du, r->repo1_du / 1048576.0)
G(g_repob_du, r->repob_du / 1048576.0)

/* The largest size at which get() is measured, or -1. */
static int last_measured(const result *rs, int n, double (*get)(const result *))
{
	for (int i = n - 1; i >= 0; i--)
		if (!isnan(get(&rs[i])))
			return i;
	return -1;
}

static void target(const char *what, int met, int measured, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void target(const char *what, int met, int measured, const char *fmt, ...)
{
	va_list ap;

	printf("- %s : **%s** — ", what,
	       !measured ? "non mesuré"
	       : met     ? "atteint"
	                 : "non atteint");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void print_results(const result *rs, int n, const options *o)
{
	char b1[64], b2[64];
	int i;

	printf("\n## Résultats\n\n| mesure |");
	for (i = 0; i < n; i++)
		printf(" %s |", rs[i].label);
	printf("\n|---|");
	for (i = 0; i < n; i++)
		printf("---:|");
	printf("\n");
	row(rs, n, "changesets 1-op générés", 0, g_cs1);
	row(rs, n, "changesets groupés générés", 0, g_csb);
	row(rs, n, "génération + signature (s, 2 fils)", 1, g_gen);
	row(rs, n, "fsync 4 Kio dans le dossier de travail (ms)", 2, g_fsync);
	row(rs, n, "Ed25519 brut libsodium, 1 fil (vérif/s)", 0, g_raw1);
	row(rs, n, "Ed25519 brut libsodium, 2 fils (vérif/s)", 0, g_rawn);
	row(rs, n, "cts_sshsig_verify complet, 1 fil (vérif/s)", 0, g_full1);
	row(rs, n, "cts_sshsig_verify complet, 2 fils (vérif/s)", 0, g_fulln);
	row(rs, n, "import 1-op (changesets/s, offer + process)", 1, g_imp1_rate);
	row(rs, n, "import 1-op, process seul (changesets/s)", 1, g_imp1_proc_rate);
	row(rs, n, "import 1-op : coût par changeset (ms)", 3, g_imp1_ms);
	row(rs, n, "import 1-op / Ed25519 brut 2 fils (%)", 2, g_imp1_ratio);
	row(rs, n, "diagnostic sans fsync : import 1-op, process (changesets/s)", 1, g_imp1d_rate);
	row(rs, n, "diagnostic sans fsync : RSS max import 1-op (Mio)", 1, g_rss_imp1d);
	row(rs, n, "apply groupé (ops/s, offer + process)", 0, g_impb_rate);
	row(rs, n, "apply groupé, process seul (ops/s)", 0, g_impb_proc_rate);
	row(rs, n, "référence sqlite3changeset_apply (ops/s)", 0, g_sess_rate);
	row(rs, n, "apply groupé / référence session", 3, g_impb_ratio);
	row(rs, n, "rebuild (s)", 2, g_rebuild);
	row(rs, n, "rapport année 2024, md calculé et écrit (ms)", 1, g_rep_year);
	row(rs, n, "  réunions dans l'année", 0, g_rep_year_meetings);
	row(rs, n, "rapport tout l'historique, md calculé et écrit (ms)", 1, g_rep_all);
	row(rs, n, "  réunions dans l'historique", 0, g_rep_all_meetings);
	row(rs, n, "premier region pull, tout par git (s)", 2, g_pull_first);
	row(rs, n, "region pull à vide (ms, médiane de 3)", 1, g_pull_noop);
	row(rs, n, "region pull de N nouveaux changesets (ms)", 1, g_pull_new);
	row(rs, n, "premier sync du poste (ms)", 1, g_sync_first);
	row(rs, n, "sync à vide, dépôt groupé (ms, médiane de 5)", 1, g_sync_noop);
	row(rs, n, "  idem, processus entier (ms)", 1, g_sync_noop_wall);
	row(rs, n, "sync à vide, dépôt 1-op (ms, médiane de 5)", 1, g_sync_noop1);
	row(rs, n, "  idem, processus entier (ms)", 1, g_sync_noop1_wall);
	row(rs, n, "sync d'un nouveau changeset (ms, médiane de 3)", 1, g_sync_one);
	row(rs, n, "audit, dépôt 1-op (changesets/s)", 1, g_audit1_rate);
	row(rs, n, "audit, dépôt groupé (changesets/s)", 1, g_auditb_rate);
	row(rs, n, "ssh-keygen -Y verify, changeset 1-op (ms)", 2, g_ssh1);
	row(rs, n, "ssh-keygen -Y verify, changeset groupé (ms)", 2, g_sshb);
	row(rs, n, "audit / boucle ssh-keygen, 1-op (x)", 1, g_audit1_ratio);
	row(rs, n, "audit / boucle ssh-keygen, groupé (x)", 1, g_auditb_ratio);
	row(rs, n, "RSS max import 1-op (Mio)", 1, g_rss_imp1);
	row(rs, n, "RSS max import groupé (Mio)", 1, g_rss_impb);
	row(rs, n, "RSS max premier region pull (Mio)", 1, g_rss_pull);
	row(rs, n, "RSS max audit 1-op (Mio)", 1, g_rss_audit1);
	row(rs, n, "RSS max audit groupé (Mio)", 1, g_rss_auditb);
	row(rs, n, "RSS max rebuild (Mio)", 1, g_rss_rebuild);
	row(rs, n, "RSS max rapport écrit au fil du calcul (Mio)", 1, g_rss_report);
	row(rs, n, "RSS max rapport construit en un document (Mio)", 1, g_rss_report_dom);
	row(rs, n, "dépôt régional 1-op sur disque (Mio)", 1, g_repo1_du);
	row(rs, n, "dépôt régional groupé sur disque (Mio)", 1, g_repob_du);

	printf("\nNotes :\n");
	for (i = 0; i < n; i++) {
		const result *r = &rs[i];
		if (r->load_start[0])
			printf("- %s : mesuré en %.1f min ; charge de la machine (/proc/loadavg) "
			       "au début « %s », à la fin « %s »\n",
			       r->label, r->seconds / 60, r->load_start, r->load_end);
		if (r->imp1_note[0])
			printf("- %s, import 1-op : %s\n", r->label, r->imp1_note);
		if (r->impb_note[0])
			printf("- %s, import groupé : %s\n", r->label, r->impb_note);
		if (r->rebuild_note[0])
			printf("- %s, rebuild : %s\n", r->label, r->rebuild_note);
		if (r->audit_note[0])
			printf("- %s, audit : %s\n", r->label, r->audit_note);
		if (!isnan(r->audit1_s) && !r->audit1_ok)
			printf("- %s : l'audit du dépôt 1-op a des constats (voir le journal)\n",
			       r->label);
		if (!isnan(r->auditb_s) && !r->auditb_ok)
			printf("- %s : l'audit du dépôt groupé a des constats (voir le journal)\n",
			       r->label);
		if (r->digest1[0] && r->digestb[0])
			printf(
			    "- %s : convergence des deux historiques (empreinte du contenu) : %s\n",
			    r->label,
			    strcmp(r->digest1, r->digestb) == 0 ? "identique" : "DIFFÉRENTE");
		if (r->digestb[0] && r->digest_rebuilt[0])
			printf("- %s : empreinte après rebuild : %s\n", r->label,
			       strcmp(r->digestb, r->digest_rebuilt) == 0 ? "identique"
			                                                  : "DIFFÉRENTE");
		if (!isnan(r->pull_new_n))
			printf("- %s : region pull de %.0f nouveaux changesets (1 op chacun), %.0f "
			       "acceptés\n",
			       r->label, r->pull_new_n, r->pull_new_accepted);
		if (!isnan(r->imp1_left) && r->imp1_left > 0)
			printf("- %s : %.0f changesets 1-op restés dans la file après l'import\n",
			       r->label, r->imp1_left);
	}

	printf("\n## Cibles de l'issue 8\n\n");
	/* 1. import of 1-op changesets vs raw 2-core verify. */
	i = last_measured(rs, n, g_imp1_ratio);
	target("import de changesets 1-op ≥ 85 % du débit Ed25519 brut sur 2 cœurs",
	       i >= 0 && g_imp1_ratio(&rs[i]) >= 85, i >= 0,
	       "à %s : %s changesets/s contre %s vérifications/s brutes, ratio %s %%",
	       i >= 0 ? rs[i].label : "—",
	       fmt_num(b1, sizeof(b1), i >= 0 ? g_imp1_rate(&rs[i]) : NM, 1),
	       fmt_num(b2, sizeof(b2), i >= 0 ? rs[i].rawn : NM, 0),
	       fmt_num((char[64]){ 0 }, 64, i >= 0 ? g_imp1_ratio(&rs[i]) : NM, 2));
	/* 2. apply of batched ops. */
	i = last_measured(rs, n, g_impb_rate);
	target("apply d'opérations groupées ≥ 500 k ops/s et ≥ la référence session",
	       i >= 0 && g_impb_rate(&rs[i]) >= 500000 && !(g_impb_ratio(&rs[i]) < 1), i >= 0,
	       "à %s : %s ops/s (%s %% de 500 k), référence session %s ops/s, ratio %s",
	       i >= 0 ? rs[i].label : "—",
	       fmt_num(b1, sizeof(b1), i >= 0 ? g_impb_rate(&rs[i]) : NM, 0),
	       fmt_num(b2, sizeof(b2), i >= 0 ? g_impb_rate(&rs[i]) / 5000 : NM, 1),
	       fmt_num((char[64]){ 0 }, 64, i >= 0 ? g_sess_rate(&rs[i]) : NM, 0),
	       fmt_num((char[64]){ 0 }, 64, i >= 0 ? g_impb_ratio(&rs[i]) : NM, 3));
	/* 3. audit vs ssh-keygen loop: judged per changeset on the 1-op history
	 * (the loop's cost is one process per changeset; a 1000-op changeset
	 * costs the audit its 1000 operations, so the batched ratio is shown
	 * for information). */
	i = last_measured(rs, n, g_audit1_ratio);
	{
		int j = last_measured(rs, n, g_auditb_ratio);
		int k = i >= 0 ? i : j;
		double ratio = i >= 0   ? g_audit1_ratio(&rs[i])
		               : j >= 0 ? g_auditb_ratio(&rs[j])
		                        : NM;
		target("audit ≥ 100 × la boucle ssh-keygen -Y verify", k >= 0 && ratio >= 100,
		       k >= 0,
		       "historique 1-op à %s : %s × (%s changesets/s contre %s ms par changeset) ; "
		       "pour information, "
		       "historique groupé (%d ops par changeset) à %s : %s ×%s",
		       i >= 0 ? rs[i].label : "—",
		       fmt_num(b1, sizeof(b1), i >= 0 ? g_audit1_ratio(&rs[i]) : NM, 1),
		       fmt_num((char[64]){ 0 }, 64, i >= 0 ? g_audit1_rate(&rs[i]) : NM, 0),
		       fmt_num((char[64]){ 0 }, 64, i >= 0 ? rs[i].ssh1_ms : NM, 2), o->batch,
		       j >= 0 ? rs[j].label : "—",
		       fmt_num(b2, sizeof(b2), j >= 0 ? g_auditb_ratio(&rs[j]) : NM, 1),
		       o->audit_available ? "" : " (ctsnode audit absent)");
	}
	/* 4. no-op sync. */
	{
		int j = last_measured(rs, n, g_sync_noop), k = last_measured(rs, n, g_sync_noop1);
		double worst = NM;
		if (j >= 0)
			worst = g_sync_noop(&rs[j]);
		if (k >= 0 && (isnan(worst) || g_sync_noop1(&rs[k]) > worst))
			worst = g_sync_noop1(&rs[k]);
		target(
		    "sync à vide sur un dépôt nu local ≤ 20 ms", !isnan(worst) && worst <= 20,
		    !isnan(worst),
		    "dépôt groupé à %s : %s ms ; dépôt 1-op à %s : %s ms (ratio cible/mesure %s)",
		    j >= 0 ? rs[j].label : "—",
		    fmt_num(b1, sizeof(b1), j >= 0 ? g_sync_noop(&rs[j]) : NM, 1),
		    k >= 0 ? rs[k].label : "—",
		    fmt_num(b2, sizeof(b2), k >= 0 ? g_sync_noop1(&rs[k]) : NM, 1),
		    fmt_num((char[64]){ 0 }, 64, safe_div(20, worst), 2));
	}
	/* 5. report at 1 M ops. */
	i = last_measured(rs, n, g_rep_year);
	target("rapport à 1 M d'opérations ≤ 100 ms",
	       i >= 0 && rs[i].ops >= 1000000 && g_rep_year(&rs[i]) <= 100,
	       i >= 0 && rs[i].ops >= 1000000,
	       "à %s : %s ms pour une année (%s ms pour tout l'historique)",
	       i >= 0 ? rs[i].label : "—",
	       fmt_num(b1, sizeof(b1), i >= 0 ? g_rep_year(&rs[i]) : NM, 1),
	       fmt_num(b2, sizeof(b2), i >= 0 ? g_rep_all(&rs[i]) : NM, 1));
	/* 6. peak RSS, judged on what is measured at 1 M operations. */
	{
		static const char *const names[] = { "import 1-op", "import groupé",
			                             "premier region pull", "audit 1-op",
			                             "audit groupé" };
		double (*gs[5])(const result *) = { g_rss_imp1, g_rss_impb, g_rss_pull,
			                            g_rss_audit1, g_rss_auditb };
		char text[1024] = "", miss[512] = "";
		int big = -1, measured = 0, over = 0;
		for (int k = 0; k < n; k++)
			if (rs[k].ops >= 1000000)
				big = k;
		for (int k = 0; k < 5; k++) {
			int at =
			    big >= 0 && !isnan(gs[k](&rs[big])) ? big : last_measured(rs, n, gs[k]);
			size_t tl = strlen(text), ml = strlen(miss);
			if (at < 0)
				continue;
			snprintf(text + tl, sizeof(text) - tl, "%s%s %s Mio (%s)", tl ? ", " : "",
			         names[k], fmt_num(b1, sizeof(b1), gs[k](&rs[at]), 1),
			         rs[at].label);
			if (at == big) {
				measured = 1;
				over |= gs[k](&rs[at]) > 64;
			} else {
				snprintf(miss + ml, sizeof(miss) - ml, "%s%s", ml ? ", " : "",
				         names[k]);
			}
		}
		target("RSS max de l'import et de l'audit à 1 M d'opérations ≤ 64 Mio",
		       measured && !over, measured, "%s%s%s", text,
		       miss[0] ? " ; non mesuré à 1 M : " : "", miss);
	}
	/* 7. rebuild at 1 M ops. */
	i = last_measured(rs, n, g_rebuild);
	target("rebuild à 1 M d'opérations ≤ 10 s",
	       i >= 0 && rs[i].ops >= 1000000 && g_rebuild(&rs[i]) <= 10,
	       i >= 0 && rs[i].ops >= 1000000,
	       "à %s : %s s (historique groupé, %d ops par changeset)", i >= 0 ? rs[i].label : "—",
	       fmt_num(b1, sizeof(b1), i >= 0 ? g_rebuild(&rs[i]) : NM, 2), o->batch);
}

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
