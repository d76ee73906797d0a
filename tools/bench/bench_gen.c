/*
 * Synthetic region for the benchmarks: 12 territories x 2 devices, an
 * authority that enrolls them, and a stream of realistic records (member
 * rolls with renewals, meetings of the four bodies with attendance sheets,
 * opinions with votes, contributions by Ségur pillar, later corrections).
 *
 * The same operation stream is sealed twice: once as 1-op changesets and
 * once in batched changesets (`batch` ops each), so that both histories
 * converge to the same content. Each device's `seen` names the authority and
 * its sibling device, as of the last exchange between the two (after every
 * block of work). Edits of a record written by the sibling only target what
 * the editor has seen in both histories, except for a few deliberate
 * concurrent edits of an attendance status, which are kept as conflicts.
 *
 * Everything is signed with the devices' real keys (their homes are created
 * with cts_node_create), through the library's own cts_changeset_build and
 * cts_sshsig_sign, so the importer sees exactly what nodes produce.
 */
#include "bench.h"

#include "changeset.h"
#include "error.h"
#include "gitrepo.h"
#include "gitrepo_impl.h" /* cts_gitrepo_raw: the generator writes packs itself */
#include "hlc.h"
#include "journal.h"
#include "key.h"
#include "node.h"
#include "record.h"
#include "region.h"
#include "sshsig.h"

#include <git2.h>
#include <git2/sys/mempack.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const terr_codes[BENCH_TERRITORIES] = {
	"rouen-elbeuf", "le-havre",      "dieppe",       "evreux-vernon",
	"caen-centre",  "bayeux-bessin", "lisieux-auge", "cherbourg",
	"saint-lo",     "alencon",       "argentan",     "avranches-granville",
};
static const char *const terr_names[BENCH_TERRITORIES] = {
	"Rouen-Elbeuf",
	"Le Havre",
	"Dieppe",
	"Évreux-Vernon",
	"Caen centre",
	"Bayeux Bessin",
	"Lisieux Pays d'Auge",
	"Cherbourg Cotentin",
	"Saint-Lô",
	"Alençon",
	"Argentan",
	"Avranches-Granville",
};
static const char *const last_names[] = {
	"MARTIN",   "BERNARD", "DUBOIS",  "THOMAS",   "ROBERT",   "RICHARD",  "PETIT",  "DURAND",
	"LEROY",    "MOREAU",  "SIMON",   "LAURENT",  "LEFÈVRE",  "MICHEL",   "GARCIA", "DAVID",
	"BERTRAND", "ROUX",    "VINCENT", "FOURNIER", "MOREL",    "GIRARD",   "ANDRÉ",  "LEFEBVRE",
	"MERCIER",  "DUPONT",  "LAMBERT", "BONNET",   "FRANÇOIS", "MARTINEZ",
};
static const char *const first_names[] = {
	"Claire",    "Marc",    "Sophie",    "Jean",     "Nathalie", "Philippe",
	"Isabelle",  "Pierre",  "Catherine", "Michel",   "Sylvie",   "Alain",
	"Christine", "Éric",    "Valérie",   "Patrick",  "Sandrine", "Laurent",
	"Hélène",    "Thierry", "Agnès",     "François", "Céline",   "Olivier",
	"Anne",      "Gérard",  "Émilie",    "Stéphane", "Martine",  "Hervé",
};
static const char *const organisations[] = {
	"CHU de la région",
	"Centre hospitalier spécialisé",
	"Union régionale des professionnels de santé",
	"France Assos Santé",
	"UNAFAM",
	"Conseil départemental",
	"Mairie",
	"Communauté d'agglomération",
	"Caisse primaire d'assurance maladie",
	"Préfecture",
	"Ordre des médecins",
	"Fédération hospitalière",
	"Maison de santé pluriprofessionnelle",
	"UFC-Que Choisir",
	"Mutualité française",
	"Éducation nationale",
	"Centre communal d'action sociale",
	"EHPAD public",
	"Association d'aide à domicile",
	"Université",
};
static const char *const places[] = {
	"Salle du conseil, hôtel de ville",
	"Délégation départementale de l'ARS",
	"Centre hospitalier, salle B12",
	"Maison des associations",
	"Visioconférence",
	"Mairie annexe",
	"Salle polyvalente",
};
static const char *const subjects[] = {
	"Diagnostic territorial partagé en santé mentale",
	"Projet territorial de santé mentale",
	"Contrat local de santé",
	"Schéma régional de santé : volet territorial",
	"Permanence des soins ambulatoires",
	"Plan d'accès aux soins non programmés",
	"Programme régional d'accès à la prévention et aux soins",
	"Rapport annuel sur les droits des usagers",
};
static const char *const titles[] = {
	"Attractivité des métiers",       "Coordination ville-hôpital",
	"Accès aux soins non programmés", "Santé mentale des jeunes",
	"Investir dans les EHPAD",        "Simplifier les démarches",
	"Télésanté en zone rurale",       "Prévention et promotion de la santé",
};
static const char *const texts[] = {
	"Renforcer les communautés professionnelles territoriales de santé et faciliter l'exercice "
	"coordonné "
	"entre la ville, l'hôpital et le médico-social, en particulier dans les zones sous-denses "
	"du territoire.",
	"Proposer des logements temporaires aux internes et aux soignants en début de carrière, "
	"avec l'appui des "
	"collectivités, et valoriser les stages en milieu rural par une indemnité de déplacement.",
	"Créer un guichet unique pour les professionnels : une seule adresse pour les démarches "
	"d'installation, "
	"les aides conventionnelles et les autorisations, avec un délai de réponse garanti.",
	"Moderniser les établissements d'hébergement pour personnes âgées dépendantes, améliorer "
	"les conditions de "
	"travail des équipes et développer l'accueil de jour et l'hébergement temporaire.",
	"Développer les équipes mobiles de psychiatrie et les maisons des adolescents ; former les "
	"acteurs de "
	"première ligne au repérage de la souffrance psychique chez les jeunes.",
	"Déployer la téléconsultation assistée dans les pharmacies et les maisons de santé, avec "
	"un "
	"accompagnement numérique des personnes âgées et une attention à l'accessibilité.",
};
static const char *const college_of_slot[40] = {
	"professionnels",
	"professionnels",
	"professionnels",
	"professionnels",
	"professionnels",
	"professionnels",
	"professionnels",
	"professionnels",
	"professionnels",
	"professionnels",
	"professionnels",
	"professionnels",
	"professionnels",
	"professionnels",
	"usagers",
	"usagers",
	"usagers",
	"usagers",
	"usagers",
	"usagers",
	"usagers",
	"usagers",
	"usagers",
	"usagers",
	"collectivites",
	"collectivites",
	"collectivites",
	"collectivites",
	"collectivites",
	"collectivites",
	"collectivites",
	"collectivites",
	"etat",
	"etat",
	"etat",
	"etat",
	"personnes-qualifiees",
	"personnes-qualifiees",
	"personnes-qualifiees",
	"personnes-qualifiees",
};
static const char *const body_cycle[12] = { "pleniere",      "bureau",  "sante-mentale", "bureau",
	                                    "pleniere",      "usagers", "bureau",        "pleniere",
	                                    "sante-mentale", "bureau",  "pleniere",      "bureau" };
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define ROSTER 40
#define STATUS_QUEUE 16

/* ---------------------------------------------------------------- setup */

static int fail(const char *what)
{
	fprintf(stderr, "ctsbench : %s : %s\n", what, cts_error_message());
	return -1;
}

static int meta_public_key(cts_node *n, char **line)
{
	return cts_store_meta_get(n->store, "public_key", line);
}

int bench_gen_setup(const char *work)
{
	cts_node *a = NULL, *t = NULL;
	cts_key *akey = NULL;
	char *aline = NULL, *path = NULL, *tsv = NULL;
	FILE *f = NULL;
	int rc = -1, sealed = 0, already;
	cts_node_params p = { 0 };

	if (cts_mkdirs(work) < 0)
		return -1;
	path = bench_strf("%s/region", work);
	p.node_id = BENCH_AUTHORITY;
	p.territory = BENCH_REGION;
	p.role = CTS_ROLE_AUTHORITY;
	if (cts_node_create(&a, path, &p) < 0) {
		fail("création du nœud régional");
		goto out;
	}
	free(path);
	path = NULL;
	if (meta_public_key(a, &aline) < 0) {
		fail("clé de l'autorité");
		goto out;
	}
	/* Reference data: the twelve territories. */
	for (int i = 0; i < BENCH_TERRITORIES; i++) {
		char rid[37], name[96];
		json_t *set = json_pack("{s:s, s:s}", "code", terr_codes[i], "name", terr_names[i]);
		snprintf(name, sizeof(name), "territory:%s", terr_codes[i]);
		cts_record_derived_id(rid, name);
		if (cts_record_put(a->store, "territory", rid, set) < 0) {
			json_decref(set);
			fail("territoire");
			goto out;
		}
		json_decref(set);
	}
	tsv = bench_strf("%s/nodes.tsv", work);
	if (!(f = fopen(tsv, "w")))
		goto out;
	/* 24 devices, then the sync-bench device of territory 0. */
	for (int i = 0; i <= BENCH_NODES; i++) {
		char id[80], *line = NULL;
		const char *code = terr_codes[i < BENCH_NODES ? i / BENCH_DEVICES : 0];
		cts_node_params tp = { 0 };

		if (i < BENCH_NODES)
			snprintf(id, sizeof(id), "%s-poste-%d", code, i % BENCH_DEVICES + 1);
		else
			snprintf(id, sizeof(id), "%s", BENCH_SYNC_NODE);
		path = i < BENCH_NODES ? bench_strf("%s/nodes/%s", work, id)
		                       : bench_strf("%s/sync", work);
		tp.node_id = id;
		tp.territory = code;
		tp.role = CTS_ROLE_TERRITORY;
		tp.authority_key = aline;
		if (cts_node_create(&t, path, &tp) < 0 || meta_public_key(t, &line) < 0) {
			fail("création d'un poste");
			goto out;
		}
		if (cts_region_enroll(a, id, code, line, &already) < 0) {
			free(line);
			fail("inscription");
			goto out;
		}
		free(line);
		cts_node_free(t);
		t = NULL;
		if (i < BENCH_NODES)
			fprintf(f, "%s\t%s\t%s\n", id, code, path);
		free(path);
		path = NULL;
	}
	if (fclose(f) != 0) {
		f = NULL;
		goto out;
	}
	f = NULL;
	path = bench_strf("%s/region/node.key", work);
	if (cts_key_load(&akey, path, NULL) < 0 || cts_journal_seal(a, akey, &sealed) < 0) {
		fail("scellement de l'autorité");
		goto out;
	}
	{
		char *signers = NULL, *sp = bench_strf("%s/allowed_signers", work);
		if (cts_region_allowed_signers(a, &signers) < 0 ||
		    bench_write_file(sp, signers, strlen(signers)) != 0) {
			free(signers);
			free(sp);
			fail("allowed_signers");
			goto out;
		}
		free(signers);
		free(sp);
	}
	bench_out("setup_authority_changesets", "%d", sealed);
	rc = 0;
out:
	if (f)
		fclose(f);
	cts_key_free(akey);
	cts_node_free(t);
	cts_node_free(a);
	free(aline);
	free(path);
	free(tsv);
	return rc;
}

/* ---------------------------------------------------------------- corpus */

typedef struct {
	int64_t seq1, seqB; /* changesets carrying the op in both histories */
	int dev;
} loc;

typedef struct {
	const bench_node *node;
	uint32_t index;
	cts_key *key;
	int64_t sealed1, sealedB;
	char last1[65], lastB[65];
	int64_t view1, viewB; /* sibling's seqs seen at the last exchange */
	json_t *pendingB;
} gen_dev;

typedef struct {
	char id[37];
	int name, first, org, slot;
	const char *seat;
	loc at;
} member_rec;

typedef struct {
	char id[37];
	loc at;
} queued;

typedef struct {
	int t;
	gen_dev dev[BENCH_DEVICES];
	FILE *out1, *outB;
	int batch;
	int64_t auth_seq;
	uint64_t ms;
	long emitted, target;
	bench_rng rng;
	member_rec roster[ROSTER];
	queued status_q[STATUS_QUEUE];
	int nq;
	long meeting;
	long conflicts, changesets1, changesetsB;
	uint64_t bytes1, bytesB;
	int err;
} gen_terr;

static int seal(gen_terr *g, gen_dev *d, const json_t *ops, int batched)
{
	gen_dev *sib = &g->dev[d == &g->dev[0] ? 1 : 0];
	int64_t *sealed = batched ? &d->sealedB : &d->sealed1;
	int64_t view = batched ? d->viewB : d->view1;
	char *last = batched ? d->lastB : d->last1, timebuf[32];
	json_t *seen = json_object();
	cts_changeset *cs = NULL;
	char *sig = NULL;
	size_t sig_len = 0;
	uint64_t ms = g->ms - 1;
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	bench_cs rec;
	int rc = -1;

	json_object_set_new(seen, BENCH_AUTHORITY, json_integer(g->auth_seq));
	if (view > 0)
		json_object_set_new(seen, sib->node->id, json_integer(view));
	gmtime_r(&secs, &tm);
	strftime(timebuf, sizeof(timebuf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (cts_changeset_build(&cs, d->node->id, d->node->territory, *sealed + 1,
	                        *sealed ? last : NULL, timebuf, seen, ops) < 0 ||
	    cts_sshsig_sign(&sig, &sig_len, d->key, CTS_SIG_NAMESPACE,
	                    (const unsigned char *)cs->bytes, cs->len) < 0) {
		fail("construction d'un changeset");
		goto out;
	}
	rec.node = d->index;
	rec.nops = (uint32_t)json_array_size(ops);
	rec.seq = cs->seq;
	rec.json = cs->bytes;
	rec.json_len = (uint32_t)cs->len;
	rec.sig = sig;
	rec.sig_len = (uint32_t)sig_len;
	if (bench_corpus_write(batched ? g->outB : g->out1, &rec) != 0)
		goto out;
	memcpy(last, cs->id, 65);
	(*sealed)++;
	if (batched) {
		g->changesetsB++;
		g->bytesB += cs->len + sig_len;
	} else {
		g->changesets1++;
		g->bytes1 += cs->len + sig_len;
	}
	rc = 0;
out:
	json_decref(seen);
	cts_changeset_free(cs);
	free(sig);
	return rc;
}

static int done(const gen_terr *g)
{
	return g->err || g->emitted >= g->target;
}

/* One put by device `dv`; `set` is stolen. Returns where it went. */
static loc emit(gen_terr *g, int dv, const char *table, const char *rid, json_t *set)
{
	gen_dev *d = &g->dev[dv];
	char hlc[17];
	json_t *op, *one;
	loc at = { 0, 0, dv };

	if (done(g)) {
		json_decref(set);
		return at;
	}
	cts_hlc_format(CTS_HLC_FROM_MS(g->ms), hlc);
	g->ms++;
	op = json_pack("{s:s, s:s, s:s, s:s, s:o}", "hlc", hlc, "op", "put", "table", table, "id",
	               rid, "set", set);
	one = json_array();
	json_array_append(one, op);
	if (seal(g, d, one, 0) < 0)
		g->err = 1;
	json_decref(one);
	at.seq1 = d->sealed1;
	json_array_append_new(d->pendingB, op);
	at.seqB = d->sealedB + 1;
	if ((long)json_array_size(d->pendingB) >= g->batch) {
		if (seal(g, d, d->pendingB, 1) < 0)
			g->err = 1;
		json_array_clear(d->pendingB);
	}
	g->emitted++;
	return at;
}

/* After each block the two devices exchange their work. */
static void exchange(gen_terr *g)
{
	g->dev[0].view1 = g->dev[1].sealed1;
	g->dev[0].viewB = g->dev[1].sealedB;
	g->dev[1].view1 = g->dev[0].sealed1;
	g->dev[1].viewB = g->dev[0].sealedB;
}

/* Has device dv seen the op at `at` in both histories? */
static int has_seen(const gen_terr *g, int dv, loc at)
{
	return at.dev == dv || (g->dev[dv].view1 >= at.seq1 && g->dev[dv].viewB >= at.seqB);
}

static void day_string(long day, char out[11])
{
	time_t t = (time_t)(1451606400L + day * 86400L); /* 2016-01-01 */
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static void new_member(gen_terr *g, int slot, const char *start, const char *end)
{
	member_rec *m = &g->roster[slot];
	json_t *set;

	bench_rng_uuid(&g->rng, m->id);
	m->name = (int)bench_rng_below(&g->rng, NELEM(last_names));
	m->first = (int)bench_rng_below(&g->rng, NELEM(first_names));
	m->org = (int)bench_rng_below(&g->rng, NELEM(organisations));
	m->slot = slot;
	m->seat = slot % 4 == 3 ? "suppleant" : "titulaire";
	set =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "last_name", last_names[m->name],
	              "first_name", first_names[m->first], "organisation", organisations[m->org],
	              "college", college_of_slot[slot], "seat", m->seat, "role",
	              slot == 0   ? "président"
	              : slot == 1 ? "vice-président"
	                          : "membre",
	              "mandate_start", start, "mandate_end", end);
	m->at = emit(g, 0, "member", m->id, set);
}

static void roll_block(gen_terr *g, long day, int renewal)
{
	char start[11], end[11];

	day_string(day, start);
	day_string(day + 5 * 365, end);
	for (int s = 0; s < ROSTER && !done(g); s++) {
		if (renewal) {
			if (bench_rng_below(&g->rng, 3) != 0)
				continue;
			/* The outgoing member's mandate ends; a new one takes the seat. */
			if (has_seen(g, 0, g->roster[s].at))
				emit(g, 0, "member", g->roster[s].id,
				     json_pack("{s:s}", "mandate_end", start));
		}
		new_member(g, s, start, end);
	}
}

static void meeting_block(gen_terr *g, int dv, long day)
{
	const char *body = body_cycle[g->meeting % 12];
	char mid[37], date[11], title[160];
	int present = 0, nop, ncontrib;
	loc at;

	day_string(day, date);
	/* Earlier meetings are marked held once their minutes are approved. */
	for (int i = 0; i < g->nq && !done(g);) {
		if (has_seen(g, dv, g->status_q[i].at)) {
			emit(g, dv, "meeting", g->status_q[i].id,
			     json_pack("{s:s}", "status", "tenue"));
			g->status_q[i] = g->status_q[--g->nq];
		} else {
			i++;
		}
	}
	bench_rng_uuid(&g->rng, mid);
	snprintf(title, sizeof(title), "%s n°%ld",
	         strcmp(body, "pleniere") == 0        ? "Séance plénière"
	         : strcmp(body, "bureau") == 0        ? "Réunion du bureau"
	         : strcmp(body, "sante-mentale") == 0 ? "Commission santé mentale"
	                                              : "Formation des usagers",
	         g->meeting + 1);
	at = emit(g, dv, "meeting", mid,
	          json_pack("{s:s, s:s, s:s, s:s, s:s}", "body", body, "date", date, "title", title,
	                    "place", places[bench_rng_below(&g->rng, NELEM(places))], "status",
	                    "prevue"));
	if (g->nq == STATUS_QUEUE)
		g->status_q[0] = g->status_q[--g->nq];
	memcpy(g->status_q[g->nq].id, mid, 37);
	g->status_q[g->nq++].at = at;
	/* Attendance sheet: every member, plus an invited guest and ARS staff. */
	for (int s = 0; s < ROSTER + 2 && !done(g); s++) {
		char aid[37];
		uint32_t r = bench_rng_below(&g->rng, 10);
		const char *status = r < 7 ? "present" : r < 9 ? "excused" : "absent";
		json_t *set;

		bench_rng_uuid(&g->rng, aid);
		if (s < ROSTER) {
			member_rec *m = &g->roster[s];
			set = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "meeting", mid,
			                "member", m->id, "last_name", last_names[m->name],
			                "first_name", first_names[m->first], "organisation",
			                organisations[m->org], "college", college_of_slot[s],
			                "status", status);
			present += r < 7;
		} else {
			set = json_pack(
			    "{s:s, s:n, s:s, s:s, s:s, s:s, s:s}", "meeting", mid, "member",
			    "last_name", last_names[bench_rng_below(&g->rng, NELEM(last_names))],
			    "first_name", first_names[bench_rng_below(&g->rng, NELEM(first_names))],
			    "organisation", s == ROSTER ? "Invité" : "ARS Normandie", "college",
			    s == ROSTER ? "invite" : "ars", "status", "present");
		}
		emit(g, dv, "attendance", aid, set);
		/* Now and then the other device corrects the same line concurrently. */
		if (s < ROSTER && bench_rng_below(&g->rng, 2500) == 0 && !done(g)) {
			emit(g, !dv, "attendance", aid,
			     json_pack("{s:s}", "status", r < 7 ? "excused" : "present"));
			g->conflicts++;
		}
	}
	nop = strcmp(body, "pleniere") == 0 || strcmp(body, "sante-mentale") == 0
	          ? 1 + (int)bench_rng_below(&g->rng, 2)
	          : 0;
	for (int i = 0; i < nop && !done(g); i++) {
		char oid[37];
		int vf = present > 4 ? present - (int)bench_rng_below(&g->rng, 5) : present, va, vb;
		va = (int)bench_rng_below(&g->rng, 3);
		vb = present - vf - va > 0 ? present - vf - va : 0;
		if (vf < 0)
			vf = 0;
		bench_rng_uuid(&g->rng, oid);
		emit(g, dv, "opinion", oid,
		     json_pack("{s:s, s:s, s:i, s:i, s:i, s:s}", "meeting", mid, "subject",
		               subjects[bench_rng_below(&g->rng, NELEM(subjects))], "votes_for", vf,
		               "votes_against", va, "votes_abstain", vb, "outcome",
		               vf > va ? "favorable" : "reserve"));
	}
	ncontrib = (int)bench_rng_below(&g->rng, 4);
	for (int i = 0; i < ncontrib && !done(g); i++) {
		char cid[37], theme[20];
		bench_rng_uuid(&g->rng, cid);
		snprintf(theme, sizeof(theme), "segur-pilier-%u", 1 + bench_rng_below(&g->rng, 4));
		emit(g, dv, "contribution", cid,
		     json_pack("{s:s, s:s, s:s, s:s}", "theme", theme, "title",
		               titles[bench_rng_below(&g->rng, NELEM(titles))], "text",
		               texts[bench_rng_below(&g->rng, NELEM(texts))], "meeting", mid));
	}
	/* Sometimes a member's details change (new employer, new role). */
	if (bench_rng_below(&g->rng, 8) == 0 && !done(g)) {
		member_rec *m = &g->roster[bench_rng_below(&g->rng, ROSTER)];
		if (has_seen(g, dv, m->at)) {
			m->org = (int)bench_rng_below(&g->rng, NELEM(organisations));
			m->at = emit(g, dv, "member", m->id,
			             json_pack("{s:s}", "organisation", organisations[m->org]));
		}
	}
	g->meeting++;
}

static int run_territory(gen_terr *g)
{
	long next_renewal = 3 * 365;

	/* Ten years of activity (2016-2025) whatever the size: the date of a
	 * meeting follows the share of the territory's operations already
	 * written, so that one year holds about a tenth of the history. */
	roll_block(g, 0, 0);
	exchange(g);
	while (!done(g)) {
		long day = (long)((double)g->emitted * 3650.0 / (double)g->target);
		int dv = bench_rng_below(&g->rng, 3) == 2 ? 1 : 0;

		if (day >= next_renewal) {
			roll_block(g, day, 1);
			next_renewal += 3 * 365;
		}
		meeting_block(g, dv, day);
		exchange(g);
	}
	/* Devices seal what they still hold. */
	for (int dv = 0; dv < BENCH_DEVICES && !g->err; dv++) {
		if (json_array_size(g->dev[dv].pendingB) > 0 &&
		    seal(g, &g->dev[dv], g->dev[dv].pendingB, 1) < 0)
			g->err = 1;
		json_array_clear(g->dev[dv].pendingB);
	}
	return g->err ? -1 : 0;
}

typedef struct {
	gen_terr *terrs;
	int first, step;
	int rc;
} gen_thread;

static void *gen_thread_main(void *arg)
{
	gen_thread *th = arg;

	th->rc = 0;
	for (int t = th->first; t < BENCH_TERRITORIES; t += th->step)
		if (run_territory(&th->terrs[t]) < 0)
			th->rc = -1;
	return NULL;
}

static int write_heads(const char *work, const gen_terr *terrs, int batched)
{
	char *path = bench_strf("%s/heads-%s.tsv", work, batched ? "b" : "1");
	FILE *f = path ? fopen(path, "w") : NULL;

	free(path);
	if (!f)
		return -1;
	for (int t = 0; t < BENCH_TERRITORIES; t++)
		for (int d = 0; d < BENCH_DEVICES; d++) {
			const gen_dev *g = &terrs[t].dev[d];
			fprintf(f, "%s\t%lld\t%s\n", g->node->id,
			        (long long)(batched ? g->sealedB : g->sealed1),
			        batched ? g->lastB : g->last1);
		}
	return fclose(f) == 0 ? 0 : -1;
}

int bench_gen_corpus(const char *work, long ops, int batch, int threads)
{
	static bench_node nodes[BENCH_NODES];
	gen_terr *terrs = calloc(BENCH_TERRITORIES, sizeof(*terrs));
	gen_thread th[8];
	FILE *out1[8] = { 0 }, *outB[8] = { 0 };
	uint64_t now_ms = (uint64_t)time(NULL) * 1000u;
	long conflicts = 0, cs1 = 0, csB = 0;
	uint64_t b1 = 0, bB = 0;
	double t0 = bench_now();
	int rc = -1;

	if (threads < 1)
		threads = 1;
	if (threads > 8)
		threads = 8;
	if (!terrs || bench_nodes_load(work, nodes) != 0)
		goto out;
	json_object_seed(0);
	for (int i = 0; i < threads; i++) {
		char *p1 = bench_strf("%s/corpus-1.%d.bin", work, i),
		     *pB = bench_strf("%s/corpus-b.%d.bin", work, i);
		out1[i] = fopen(p1, "wb");
		outB[i] = fopen(pB, "wb");
		free(p1);
		free(pB);
		if (!out1[i] || !outB[i])
			goto out;
		setvbuf(out1[i], NULL, _IOFBF, 1 << 20);
		setvbuf(outB[i], NULL, _IOFBF, 1 << 20);
	}
	for (int t = 0; t < BENCH_TERRITORIES; t++) {
		gen_terr *g = &terrs[t];
		g->t = t;
		g->batch = batch;
		g->auth_seq = 1;
		g->target = ops / BENCH_TERRITORIES + (t < ops % BENCH_TERRITORIES ? 1 : 0);
		/* HLCs in the recent past, one millisecond apart per territory. */
		g->ms = now_ms - (uint64_t)g->target - 3600000u;
		g->rng.s = 0x5eed0000u + (uint64_t)t;
		g->out1 = out1[t % threads];
		g->outB = outB[t % threads];
		for (int d = 0; d < BENCH_DEVICES; d++) {
			gen_dev *gd = &g->dev[d];
			char *kp;
			gd->index = (uint32_t)(t * BENCH_DEVICES + d);
			gd->node = &nodes[gd->index];
			gd->pendingB = json_array();
			kp = bench_strf("%s/node.key", gd->node->home);
			if (cts_key_load(&gd->key, kp, NULL) < 0) {
				free(kp);
				fail("clé d'un poste");
				goto out;
			}
			free(kp);
		}
	}
	for (int i = 0; i < threads; i++)
		th[i] = (gen_thread){ terrs, i, threads, 0 };
	rc = 0;
	{
		pthread_t tid[8];
		for (int i = 0; i < threads; i++)
			pthread_create(&tid[i], NULL, gen_thread_main, &th[i]);
		for (int i = 0; i < threads; i++) {
			pthread_join(tid[i], NULL);
			if (th[i].rc < 0)
				rc = -1;
		}
	}
	for (int i = 0; i < threads; i++) {
		if (fclose(out1[i]) != 0 || fclose(outB[i]) != 0)
			rc = -1;
		out1[i] = outB[i] = NULL;
	}
	if (rc == 0 && (write_heads(work, terrs, 0) != 0 || write_heads(work, terrs, 1) != 0))
		rc = -1;
	for (int t = 0; t < BENCH_TERRITORIES; t++) {
		conflicts += terrs[t].conflicts;
		cs1 += terrs[t].changesets1;
		csB += terrs[t].changesetsB;
		b1 += terrs[t].bytes1;
		bB += terrs[t].bytesB;
	}
	bench_out("gen_ops", "%ld", ops);
	bench_out("gen_changesets_1", "%ld", cs1);
	bench_out("gen_changesets_b", "%ld", csB);
	bench_out("gen_bytes_1", "%llu", (unsigned long long)b1);
	bench_out("gen_bytes_b", "%llu", (unsigned long long)bB);
	bench_out("gen_concurrent_edits", "%ld", conflicts);
	bench_out("gen_seconds", "%.3f", bench_now() - t0);
out:
	for (int i = 0; i < 8; i++) {
		if (out1[i])
			fclose(out1[i]);
		if (outB[i])
			fclose(outB[i]);
	}
	if (terrs) {
		for (int t = 0; t < BENCH_TERRITORIES; t++)
			for (int d = 0; d < BENCH_DEVICES; d++) {
				cts_key_free(terrs[t].dev[d].key);
				json_decref(terrs[t].dev[d].pendingB);
			}
	}
	free(terrs);
	return rc;
}

/* ---------------------------------------------------------------- git */

static int git_sign(char **armored, size_t *len, const char *payload, size_t plen, void *ctx)
{
	return cts_sshsig_sign(armored, len, (const cts_key *)ctx, "git",
	                       (const unsigned char *)payload, plen);
}

/* The generator's objects go to an in-memory backend and are written as a
 * pack every MEMPACK_COMMITS commits: as loose files, a 1 M one-op history
 * (two blobs per changeset and a directory tree of up to 80 000 entries
 * per commit) wrote 10 GB in 20 minutes and was never finished. Each pack
 * holds the objects the backend has (git_mempack_dump would take every
 * object reachable from the commits, again and again). */
enum { MEMPACK_COMMITS = 40 };

typedef struct {
	git_repository *repo;
	git_odb *odb;
	git_odb_backend *mem;
	git_packbuilder *pb;
	int rc;
} mempack;

static int mempack_fail(const char *what)
{
	const git_error *e = git_error_last();

	fprintf(stderr, "ctsbench : %s : %s\n", what,
	        e && e->message ? e->message : "erreur de libgit2");
	return -1;
}

static int mempack_attach(mempack *mp, cts_gitrepo *repo)
{
	mp->repo = cts_gitrepo_raw(repo);
	if (git_repository_odb(&mp->odb, mp->repo) < 0 || git_mempack_new(&mp->mem) < 0 ||
	    git_odb_add_backend(mp->odb, mp->mem, 999) < 0 ||
	    git_packbuilder_new(&mp->pb, mp->repo) < 0)
		return mempack_fail("objets en mémoire");
	return 0;
}

/* Tree walk: the entries still in memory (a tree already written holds
 * nothing new below it). */
static int mempack_entry(const char *root, const git_tree_entry *e, void *ctx)
{
	mempack *mp = ctx;
	const git_oid *id = git_tree_entry_id(e);

	(void)root;
	if (!mp->mem->exists(mp->mem, id))
		return 1;
	if (git_packbuilder_insert(mp->pb, id, NULL) < 0)
		return mp->rc = -1;
	return 0;
}

/* Queue the objects of the commit at ref that are still in memory. */
static int mempack_add(mempack *mp, const char *ref)
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_oid id;

	mp->rc = 0;
	if (git_reference_name_to_id(&id, mp->repo, ref) < 0 ||
	    git_commit_lookup(&c, mp->repo, &id) < 0 || git_commit_tree(&t, c) < 0 ||
	    git_packbuilder_insert(mp->pb, &id, NULL) < 0 ||
	    (mp->mem->exists(mp->mem, git_tree_id(t)) &&
	     (git_packbuilder_insert(mp->pb, git_tree_id(t), NULL) < 0 ||
	      git_tree_walk(t, GIT_TREEWALK_PRE, mempack_entry, mp) < 0)))
		mp->rc = -1;
	git_tree_free(t);
	git_commit_free(c);
	return mp->rc < 0 ? mempack_fail("objets du commit") : 0;
}

/* Write the queued objects as one pack of the repository. */
static int mempack_flush(mempack *mp)
{
	if (git_packbuilder_object_count(mp->pb) == 0)
		return 0;
	if (git_packbuilder_write(mp->pb, NULL, 0, NULL, NULL) < 0 ||
	    git_mempack_reset(mp->mem) < 0)
		return mempack_fail("écriture d'un paquet");
	git_packbuilder_free(mp->pb);
	mp->pb = NULL;
	if (git_packbuilder_new(&mp->pb, mp->repo) < 0)
		return mempack_fail("écriture d'un paquet");
	return 0;
}

typedef struct {
	char **paths;
	char **bufs;
	cts_git_file *files;
	size_t n, cap;
	int64_t first, last;
} pending_commit;

static int pc_add(pending_commit *pc, const char *node, int64_t seq, const char *json, size_t jl,
                  const char *sig, size_t sl)
{
	char p[160];

	if (pc->n + 2 > pc->cap) {
		size_t cap = pc->cap ? pc->cap * 2 : 64;
		char **np = realloc(pc->paths, cap * sizeof(char *)), **nb;
		cts_git_file *nf;
		if (!np)
			return -1;
		pc->paths = np;
		if (!(nb = realloc(pc->bufs, cap * sizeof(char *))))
			return -1;
		pc->bufs = nb;
		if (!(nf = realloc(pc->files, cap * sizeof(cts_git_file))))
			return -1;
		pc->files = nf;
		pc->cap = cap;
	}
	cts_changeset_path(p, sizeof(p), node, seq);
	for (int k = 0; k < 2; k++) {
		size_t len = k ? sl : jl;
		char *b = malloc(len + 1);
		if (!b)
			return -1;
		memcpy(b, k ? sig : json, len);
		pc->paths[pc->n] = k ? bench_strf("%s.sig", p) : strdup(p);
		pc->bufs[pc->n] = b;
		pc->files[pc->n] =
		    (cts_git_file){ pc->paths[pc->n], (const unsigned char *)b, len };
		pc->n++;
	}
	if (pc->first == 0)
		pc->first = seq;
	pc->last = seq;
	return 0;
}

static void pc_clear(pending_commit *pc)
{
	for (size_t i = 0; i < pc->n; i++) {
		free(pc->paths[i]);
		free(pc->bufs[i]);
	}
	pc->n = 0;
	pc->first = pc->last = 0;
}

static void pc_free(pending_commit *pc)
{
	pc_clear(pc);
	free(pc->paths);
	free(pc->bufs);
	free(pc->files);
}

static int pc_commit(cts_gitrepo *repo, mempack *mp, pending_commit *pc, const char *node,
                     const cts_key *key, int allow_replace)
{
	char ref[128], msg[256];
	int rc;

	if (pc->n == 0)
		return 0;
	snprintf(ref, sizeof(ref), "refs/heads/nodes/%s", node);
	if (pc->first == pc->last)
		snprintf(msg, sizeof(msg), "%s : changeset %lld\n", node, (long long)pc->first);
	else
		snprintf(msg, sizeof(msg), "%s : changesets %lld à %lld\n", node,
		         (long long)pc->first, (long long)pc->last);
	rc = cts_gitrepo_commit_files(repo, ref, pc->files, pc->n, allow_replace, msg, node,
	                              "ctsnode@invalid", (int64_t)time(NULL), git_sign, (void *)key,
	                              NULL);
	if (rc < 0)
		fail("commit");
	else if (mp && mempack_add(mp, ref) < 0)
		rc = -1;
	pc_clear(pc);
	return rc < 0 ? -1 : 0;
}

/* Writes of the generator's repositories need no fsync: they are set up
 * before any measure, and measured processes keep libgit2's defaults. */
static int git_setup_nofsync(void)
{
	if (cts_git_init() < 0)
		return fail("libgit2");
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0);
	return 0;
}

int bench_gen_repo(const char *work, const char *mode, const char *repo_path, int per_commit,
                   int with_authority)
{
	static bench_node nodes[BENCH_NODES];
	cts_key *keys[BENCH_NODES] = { 0 }, *akey = NULL;
	pending_commit pcs[BENCH_NODES];
	cts_gitrepo *repo = NULL;
	cts_node *a = NULL;
	char *path = NULL;
	mempack mp = { 0 };
	bench_corpus all;
	bench_cs cs;
	long commits = 0, changesets = 0;
	double t0 = bench_now();
	int rc = -1, r;

	memset(pcs, 0, sizeof(pcs));
	if (bench_nodes_load(work, nodes) != 0 || git_setup_nofsync() < 0)
		return -1;
	for (int i = 0; i < BENCH_NODES; i++) {
		path = bench_strf("%s/node.key", nodes[i].home);
		if (cts_key_load(&keys[i], path, NULL) < 0) {
			fail("clé");
			goto out;
		}
		free(path);
	}
	path = bench_strf("%s/region/node.key", work);
	if (cts_key_load(&akey, path, NULL) < 0) {
		fail("clé de l'autorité");
		goto out;
	}
	free(path);
	path = bench_strf("%s/region", work);
	if (cts_node_open(&a, path) < 0) {
		fail("ouverture du nœud régional");
		goto out;
	}
	free(path);
	path = NULL;
	bench_rmtree(repo_path);
	if (cts_gitrepo_create_bare(repo_path) < 0 || cts_gitrepo_open(&repo, repo_path) < 0) {
		fail("dépôt régional");
		goto out;
	}
	if (mempack_attach(&mp, repo) < 0)
		goto out;
	/* The authority's branch and the region branch (else the authority
	 * will push them itself at its first pull). */
	if (with_authority) {
		/* Its setup changeset only: the registry of this region. Later ones
		 * (checkpoints of the batched history) do not belong here. */
		int64_t last = 1;
		for (int64_t s = 1; s <= last; s++) {
			char *json = NULL, *sig = NULL;
			size_t jl, sl;
			if (cts_history_get(a, BENCH_AUTHORITY, s, &json, &jl, &sig, &sl) < 0 ||
			    pc_add(&pcs[0], BENCH_AUTHORITY, s, json, jl, sig, sl) != 0) {
				free(json);
				free(sig);
				fail("historique de l'autorité");
				goto out;
			}
			free(json);
			free(sig);
		}
		if (pc_commit(repo, &mp, &pcs[0], BENCH_AUTHORITY, akey, 0) < 0)
			goto out;
		commits++;
	}
	if (with_authority) {
		char *signers = NULL, *registry = NULL;
		int r2;
		if (cts_region_allowed_signers(a, &signers) < 0 ||
		    cts_region_registry_text(a, &registry) < 0) {
			free(signers);
			fail("registre");
			goto out;
		}
		cts_git_file files[2] = {
			{ "allowed_signers", (const unsigned char *)signers, strlen(signers) },
			{ "registry.md", (const unsigned char *)registry, strlen(registry) },
		};
		r2 = cts_gitrepo_commit_files(repo, "refs/heads/region", files, 2, 1,
		                              "région : registre et allowed_signers\n",
		                              BENCH_AUTHORITY, "ctsnode@invalid",
		                              (int64_t)time(NULL), git_sign, akey, NULL);
		free(signers);
		free(registry);
		if (r2 >= 0 && mempack_add(&mp, "refs/heads/region") < 0)
			r2 = -1;
		if (r2 < 0) {
			fail("branche region");
			goto out;
		}
		commits++;
	}
	/* Node branches, per_commit changesets per commit (as sync does). */
	bench_corpus_begin(&all, work, mode);
	while ((r = bench_corpus_read(&all, &cs)) == 1) {
		pending_commit *pc = &pcs[cs.node];
		if (pc_add(pc, nodes[cs.node].id, cs.seq, cs.json, cs.json_len, cs.sig,
		           cs.sig_len) != 0) {
			bench_corpus_end(&all);
			goto out;
		}
		changesets++;
		if ((int)(pc->n / 2) >= per_commit) {
			if (pc_commit(repo, &mp, pc, nodes[cs.node].id, keys[cs.node], 0) < 0) {
				bench_corpus_end(&all);
				goto out;
			}
			if (++commits % MEMPACK_COMMITS == 0 && mempack_flush(&mp) < 0) {
				bench_corpus_end(&all);
				goto out;
			}
		}
	}
	bench_corpus_end(&all);
	if (r < 0)
		goto out;
	for (int i = 0; i < BENCH_NODES; i++) {
		if (pcs[i].n) {
			if (pc_commit(repo, &mp, &pcs[i], nodes[i].id, keys[i], 0) < 0)
				goto out;
			commits++;
		}
	}
	/* A served regional repository is packed: pushes arrive as packs. The
	 * packs of MEMPACK_COMMITS commits stay as they are (compacting a 1 M
	 * one-op history into one pack ran for over 12 minutes on 2 cores and
	 * was stopped). */
	{
		double tp = bench_now();
		if (mempack_flush(&mp) < 0)
			goto out;
		bench_out("repo_pack_seconds", "%.3f", bench_now() - tp);
	}
	bench_out("repo_commits", "%ld", commits);
	bench_out("repo_changesets", "%ld", changesets);
	bench_out("repo_seconds", "%.3f", bench_now() - t0);
	rc = 0;
out:
	free(path);
	for (int i = 0; i < BENCH_NODES; i++) {
		cts_key_free(keys[i]);
		pc_free(&pcs[i]);
	}
	cts_key_free(akey);
	git_packbuilder_free(mp.pb);
	git_odb_free(mp.odb);
	cts_gitrepo_free(repo);
	cts_node_free(a);
	return rc;
}

/* New changesets from `count` devices in turn (ops_each contributions
 * each), committed on their branches as their own sync would. */
int bench_gen_push_new(const char *work, const char *repo_path, int count, int ops_each)
{
	static bench_node nodes[BENCH_NODES];
	int64_t last[BENCH_NODES] = { 0 };
	char lastid[BENCH_NODES][65];
	pending_commit pcs[BENCH_NODES];
	cts_gitrepo *repo = NULL;
	char *path = NULL, *heads = NULL, line[512];
	const char *mode = strstr(repo_path, "regional-1") ? "1" : "b";
	bench_rng rng = { 0x9e3779b9u };
	uint64_t ms = (uint64_t)time(NULL) * 1000u;
	FILE *f;
	int rc = -1;

	memset(pcs, 0, sizeof(pcs));
	if (bench_nodes_load(work, nodes) != 0 || git_setup_nofsync() < 0)
		return -1;
	heads = bench_strf("%s/heads-%s.tsv", work, mode);
	if (!(f = fopen(heads, "r")))
		goto out;
	for (int i = 0; i < BENCH_NODES && fgets(line, sizeof(line), f); i++) {
		char *id = strtok(line, "\t\n"), *seq = strtok(NULL, "\t\n"),
		     *cid = strtok(NULL, "\t\n");
		if (!id || !seq || strcmp(id, nodes[i].id) != 0)
			break;
		last[i] = strtoll(seq, NULL, 10);
		snprintf(lastid[i], 65, "%s", cid ? cid : "");
	}
	fclose(f);
	if (cts_gitrepo_open(&repo, repo_path) < 0) {
		fail("dépôt régional");
		goto out;
	}
	for (int k = 0; k < count; k++) {
		int i = k % BENCH_NODES;
		json_t *ops = json_array(), *seen = json_pack("{s:i}", BENCH_AUTHORITY, 1);
		cts_changeset *cs = NULL;
		cts_key *key = NULL;
		char *sig = NULL, timebuf[32];
		size_t sl = 0;
		time_t secs = (time_t)(ms / 1000);
		struct tm tm;

		for (int o = 0; o < ops_each; o++) {
			char rid[37], hlc[17], theme[20];
			bench_rng_uuid(&rng, rid);
			cts_hlc_format(CTS_HLC_FROM_MS(ms++), hlc);
			snprintf(theme, sizeof(theme), "segur-pilier-%u",
			         1 + bench_rng_below(&rng, 4));
			json_array_append_new(
			    ops,
			    json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}}", "hlc", hlc, "op",
			              "put", "table", "contribution", "id", rid, "set", "theme",
			              theme, "title", titles[bench_rng_below(&rng, NELEM(titles))],
			              "text", texts[bench_rng_below(&rng, NELEM(texts))]));
		}
		gmtime_r(&secs, &tm);
		strftime(timebuf, sizeof(timebuf), "%Y-%m-%dT%H:%M:%SZ", &tm);
		path = bench_strf("%s/node.key", nodes[i].home);
		if (cts_key_load(&key, path, NULL) < 0 ||
		    cts_changeset_build(&cs, nodes[i].id, nodes[i].territory, last[i] + 1,
		                        last[i] ? lastid[i] : NULL, timebuf, seen, ops) < 0 ||
		    cts_sshsig_sign(&sig, &sl, key, CTS_SIG_NAMESPACE,
		                    (const unsigned char *)cs->bytes, cs->len) < 0 ||
		    pc_add(&pcs[i], nodes[i].id, cs->seq, cs->bytes, cs->len, sig, sl) != 0) {
			fail("nouveau changeset");
			json_decref(ops);
			json_decref(seen);
			cts_changeset_free(cs);
			cts_key_free(key);
			free(sig);
			goto out;
		}
		last[i] = cs->seq;
		memcpy(lastid[i], cs->id, 65);
		json_decref(ops);
		json_decref(seen);
		cts_changeset_free(cs);
		cts_key_free(key);
		free(sig);
		free(path);
		path = NULL;
	}
	for (int i = 0; i < BENCH_NODES; i++) {
		cts_key *key = NULL;
		if (!pcs[i].n)
			continue;
		path = bench_strf("%s/node.key", nodes[i].home);
		if (cts_key_load(&key, path, NULL) < 0 ||
		    pc_commit(repo, NULL, &pcs[i], nodes[i].id, key, 0) < 0) {
			cts_key_free(key);
			goto out;
		}
		cts_key_free(key);
		free(path);
		path = NULL;
	}
	if (!(f = fopen(heads, "w")))
		goto out;
	for (int i = 0; i < BENCH_NODES; i++)
		fprintf(f, "%s\t%lld\t%s\n", nodes[i].id, (long long)last[i], lastid[i]);
	if (fclose(f) != 0)
		goto out;
	bench_out("pushed_changesets", "%d", count);
	rc = 0;
out:
	for (int i = 0; i < BENCH_NODES; i++)
		pc_free(&pcs[i]);
	cts_gitrepo_free(repo);
	free(path);
	free(heads);
	return rc;
}
