/*
 * ctsbench's results (bench_main.c measures, bench_results.c prints): one
 * `result` per size, every measure NaN ("non mesuré") until measured, and
 * the run's options.
 */
#ifndef CTS_BENCH_RESULTS_H
#define CTS_BENCH_RESULTS_H

#include <math.h>

/* Not measured. */
#define NM NAN

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
/* Print the results table of rs[0..n-1] and each target of issues 8 and
 * 18 as "atteint" / "non atteint" / "non mesuré". */
void print_results(const result *rs, int n, const options *o);

#endif
