/* ctsbench: the results table and the targets of issues 8 and 18
 * (bench_results.h). */
#include "bench_results.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static double kib_to_mib(double k)
{
	return isnan(k) ? NM : k / 1024.0;
}

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

/* The value of get at the largest size measured at 1 M operations or more
 * into *v (its index, or -1). */
static int at_1m(const result *rs, int n, double (*get)(const result *), double *v)
{
	int i = last_measured(rs, n, get);

	*v = i >= 0 ? get(&rs[i]) : NM;
	return i >= 0 && rs[i].ops >= 1000000 ? i : -1;
}

/* "label value, label value" of get at every size, into buf. */
static void every_size(const result *rs, int n, double (*get)(const result *), int decimals,
                       const char *unit, char *buf, size_t size)
{
	char b[64];

	buf[0] = '\0';
	for (int k = 0; k < n; k++) {
		size_t l = strlen(buf);
		snprintf(buf + l, size - l, "%s%s : %s%s", l ? ", " : "", rs[k].label,
		         fmt_num(b, sizeof(b), get(&rs[k]), decimals), unit);
	}
}

/* One "≤ limit MiB at 1 M operations" memory target. */
static void rss_target(const result *rs, int n, const char *what, double (*get)(const result *))
{
	char text[512];
	double v;
	int i = at_1m(rs, n, get, &v);

	every_size(rs, n, get, 1, " Mio", text, sizeof(text));
	target(what, i >= 0 && v <= 64, i >= 0, "%s", text);
}

/* The targets of issue 18 (storage redesign), stated met, not met or not
 * measured from the same run's measures and baselines. */
static void issue18_targets(const result *rs, int n)
{
	char text[512], b1[64], b2[64];
	double v, w;
	int i, j, all = n > 0, measured = 0;

	printf("\n## Cibles de l'issue 18\n\n");
	for (int k = 0; k < n; k++) {
		double r = g_impb_ratio(&rs[k]), ops = g_impb_rate(&rs[k]);
		measured |= !isnan(r);
		all &= !isnan(r) && r >= 1 && ops >= 500000;
	}
	every_size(rs, n, g_impb_ratio, 3, " ×", text, sizeof(text));
	target("apply groupé ≥ 1 × sqlite3changeset_apply des mêmes lignes à chaque taille, et "
	       "≥ 500 k ops/s",
	       measured && all, measured, "apply groupé / référence session : %s", text);
	i = last_measured(rs, n, g_imp1_ratio);
	every_size(rs, n, g_imp1_ratio, 2, " %", text, sizeof(text));
	target("import 1-op ≥ 40 % de la vérification Ed25519 brute sur 2 cœurs",
	       i >= 0 && g_imp1_ratio(&rs[i]) >= 40, i >= 0, "%s", text);
	i = at_1m(rs, n, g_rebuild, &v);
	every_size(rs, n, g_rebuild, 2, " s", text, sizeof(text));
	target("rebuild ≤ 10 s à 1 M d'opérations", i >= 0 && v <= 10, i >= 0, "%s", text);
	i = at_1m(rs, n, g_rep_year, &v);
	j = last_measured(rs, n, g_rep_year);
	w = j >= 0 ? g_rep_all(&rs[j]) : NM;
	target("rapport à 1 M d'opérations : une année ≤ 100 ms, tout l'historique ≤ 300 ms",
	       i >= 0 && v <= 100 && w <= 300, i >= 0,
	       "à %s : une année %s ms, tout l'historique %s ms", j >= 0 ? rs[j].label : "—",
	       fmt_num(b1, sizeof(b1), v, 1), fmt_num(b2, sizeof(b2), w, 1));
	rss_target(rs, n, "RSS max du rapport ≤ 64 Mio à 1 M d'opérations", g_rss_report);
	rss_target(rs, n, "RSS max de l'audit d'un historique 1-op ≤ 64 Mio à 1 M, plate",
	           g_rss_audit1);
	rss_target(rs, n, "RSS max du premier region pull ≤ 64 Mio à 1 M, plate", g_rss_pull);
}

void print_results(const result *rs, int n, const options *o)
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
	issue18_targets(rs, n);
}
