/* ctsnode sync / region pull: the exchange with the regional git repository. */
#include "cli.h"

#include "error.h"
#include "gitnet.h"
#include "record.h"
#include "region.h"
#include "sync.h"

#include <string.h>

static const char sync_help[] =
    "Usage : ctsnode [--home DOSSIER] sync [--remote URL] [--proxy URL|direct|auto] [--json]\n"
    "\n"
    "Scelle et signe les opérations saisies, les dépose sur la branche du poste dans le dépôt\n"
    "régional, envoie, puis récupère et importe le travail des autres postes et de la région.\n"
    "Sans réseau, le travail est scellé et gardé sur le poste : le prochain sync l'enverra\n"
    "(code de sortie 4). URL : chemin (clé USB), file://, git://, "
    "ssh://utilisateur@hôte:port/chemin,\n"
    "https://hôte/chemin (jeton : « ctsnode remote token --file FICHIER »).\n"
    "--remote change le dépôt retenu pour ce poste ; --proxy le proxy retenu pour l'atteindre\n"
    "(http://hôte:port ; « direct » : aucun ; « auto » : celui de https_proxy / no_proxy).\n"
    "\n"
    "Code de sortie 1 quand quelque chose est constaté : changeset refusé, branche réécrite, "
    "commit non\n"
    "signé ou d'un autre nœud, fichier hors de son dossier... (chaque constat devient un incident "
    "de\n"
    "ctsnode status), ou branche du poste bloquée : si la branche du poste dans le dépôt régional "
    "porte un\n"
    "commit que ce poste n'a pas écrit, rien n'y est envoyé, mais tout le reste est fait "
    "(récupération,\n"
    "import) et le travail reste gardé sur le poste jusqu'à ce que la branche soit remise en "
    "état.\n"
    "Code de sortie 2 si le serveur refuse le jeton ou si son certificat n'est pas reconnu.\n";

static const char pull_help[] =
    "Usage : ctsnode [--home DOSSIER] region pull [--remote URL] [--proxy URL|direct|auto] "
    "[--json]\n"
    "\n"
    "Nœud régional : récupère et importe les branches de tous les postes, signe un point de\n"
    "contrôle des têtes acceptées, publie la branche region (allowed_signers, registre) et "
    "envoie.\n"
    "Un dépôt local qui n'existe pas encore est créé (dépôt nu). --remote et --proxy sont\n"
    "retenus comme pour sync.\n";

/* A branch of this node the remote holds commits of that it did not
 * write: what happened, what was done anyway, what to do next. */
static void print_blocked(const cts_node *n, const json_t *b)
{
	const char *branch = cli_str(b, "branch");

	printf("BLOQUÉ : %s.\n", cli_str(b, "detail"));
	if (strcmp(branch, "region") == 0) {
		printf("  Le reste a été fait (récupération, import, point de contrôle, envoi de "
		       "la branche nodes/%s).\n"
		       "  Prochaine étape : voyez qui a écrit ce commit (git log region dans le "
		       "dépôt régional), remettez la\n"
		       "  branche region sur le dernier commit du nœud régional, puis relancez "
		       "ctsnode region pull.\n",
		       n->id);
	} else {
		printf("  Le reste de la synchronisation a été fait (récupération et import du "
		       "travail des autres).\n"
		       "  Vos saisies sont scellées et gardées sur ce poste ; elles seront "
		       "envoyées quand la branche sera réparée.\n"
		       "  Prochaine étape : prévenez le coordinateur régional (incident « "
		       "foreign_commit » dans ctsnode status) ;\n"
		       "  il remettra la branche %s sur le dernier commit de ce poste, puis "
		       "relancez ctsnode sync.\n",
		       branch);
	}
}

/* A finding that is a blocked branch, printed as such (print_blocked). */
static int is_blocked_detail(const cts_sync_result *r, const char *reason)
{
	size_t i;
	json_t *b;

	json_array_foreach(r->blocked, i,
	                   b) if (strcmp(cli_str(b, "detail"), reason) == 0) return 1;
	return 0;
}

/* 1 when this territory device is not in the registry it holds (yet). */
static int not_enrolled(const cts_node *n)
{
	const char *state = "enrolled";
	int64_t rev;

	if (n->role == CTS_ROLE_AUTHORITY || cts_region_self_state((cts_node *)n, &state, &rev) < 0)
		cts_error_clear();
	return strcmp(state, "not_enrolled") == 0;
}

/* Changesets of revoked nodes ignored as expected: one line. */
static void print_ignored(const json_t *events)
{
	size_t i, count = 0;
	json_t *e;

	json_array_foreach(events, i, e) if (strcmp(cli_str(e, "state"), "ignored") == 0) count++;
	if (count)
		printf("%zu changeset(s) de poste(s) révoqué(s), postérieur(s) à leur révocation : "
		       "ignoré(s), comme prévu.\n",
		       count);
}

/* This device was revoked by the region: what was accepted, what was not,
 * what to do. Returns 1 when revoked (the sync then exits 1). */
static int print_revoked(cli_ctx *c, cts_node *n, json_t *o)
{
	int64_t after = -1, last = 0, pending = 0;
	char when[40];

	if (cts_region_self_revocation(n, &after, when, sizeof(when)) < 0 || after < 0) {
		cts_error_clear();
		return 0;
	}
	cts_store_meta_get_int(n->store, "last_seq", &last, 0);
	cts_record_pending_ops(n->store, &pending);
	if (o) {
		json_t *rv =
		    json_pack("{s:I, s:I, s:I}", "valid_up_to", (json_int_t)after, "last_seq",
		              (json_int_t)last, "unsealed_ops", (json_int_t)pending);
		json_object_set_new(rv, "date", *when ? json_string(when) : json_null());
		json_object_set_new(o, "revoked", rv);
		return 1;
	}
	(void)c;
	printf(
	    "RÉVOQUÉ : la région a révoqué ce poste (%s)%s%s, à partir de son changeset n°%lld.\n",
	    n->id, *when ? " le " : "", when, (long long)(after + 1));
	printf("  Accepté : ses changesets n°1 à n°%lld.\n", (long long)after);
	if (last > after)
		printf("  Non accepté : ses changesets n°%lld à n°%lld, ignorés par tous les "
		       "autres postes.\n",
		       (long long)(after + 1), (long long)last);
	if (pending > 0)
		printf("  Non accepté : %lld saisie(s) pas encore scellée(s), gardée(s) sur ce "
		       "poste.\n",
		       (long long)pending);
	printf("  Ce poste n'accepte plus de saisie.\n");
	if (last > after || pending > 0)
		printf("  Prochaine étape : ctsnode export DOSSIER, puis faites ressaisir ce qui "
		       "n'a pas été accepté sur le\n"
		       "  poste qui remplace celui-ci (docs/GUIDE.md, « Changer de poste, perdre "
		       "un poste, oublier sa phrase de passe »).\n");
	else
		printf("  Rien n'est perdu. Prochaine étape : travaillez sur le poste qui remplace "
		       "celui-ci.\n");
	return 1;
}

static void print_summary(cli_ctx *c, const cts_node *n, const cts_sync_result *r, int rc,
                          int sealed)
{
	size_t i;
	json_t *f;

	if (sealed)
		printf("%d changeset(s) scellé(s) et signé(s).\n", sealed);
	if (r->committed)
		printf("%d changeset(s) déposé(s) sur la branche du poste.\n", r->committed);
	if (rc != CTS_ENET && rc != CTS_EREJECT && rc != CTS_EACCESS) {
		cli_print_import(c, &r->import);
		print_ignored(r->import.events);
	}
	if (r->checkpointed)
		printf("Point de contrôle signé pour %d nœud(s).\n", r->checkpointed);
	if (r->pushed && !not_enrolled(n))
		printf("Envoyé au dépôt régional%s.\n",
		       json_array_size(r->blocked) ? " (sauf la branche bloquée)" : "");
	else if (r->pushed)
		printf("Déposé dans le dépôt régional, mais ce poste n'est pas encore inscrit par "
		       "la région : son travail\n"
		       "attend l'inscription (il n'est accepté nulle part avant). Prochaine étape "
		       ": donnez au coordinateur\n"
		       "régional la clé de ce poste (ctsnode key show) ; il l'inscrit (region "
		       "enroll), puis relancez ctsnode sync.\n");
	json_array_foreach(r->findings, i, f) if (!is_blocked_detail(r, cli_str(f, "reason")))
	    printf("  CONSTAT %s : %s\n", cli_str(f, "node"), cli_str(f, "reason"));
	json_array_foreach(r->blocked, i, f) print_blocked(n, f);
	if (json_array_size(r->findings))
		printf("Constats enregistrés comme incidents : voir ctsnode status.\n");
}

typedef struct {
	const char *url, *proxy;
	int region; /* region pull */
} sync_args;

static int sync_check(cli_ctx *c, const char *pos, void *arg)
{
	const sync_args *a = arg;

	(void)pos;
	if ((a->url && cts_gitnet_url_check(a->url) < 0) ||
	    (a->proxy && (!*a->proxy || cts_gitnet_proxy_check(a->proxy) < 0)))
		return cli_usage(c, "%s",
		                 *cts_error_message() ? cts_error_message()
		                                      : "--proxy attend une adresse");
	return 0;
}

/* The result as JSON; 1 when this device is revoked or not enrolled. */
static int print_json(cli_ctx *c, cts_node *n, const cts_sync_result *r, int rc, int sealed)
{
	int is_revoked = 0;
	json_t *o =
	    json_pack("{s:b, s:i, s:i, s:b, s:b, s:i, s:i, s:i, s:o, s:o, s:o}", "ok", rc == 0,
	              "sealed", sealed, "committed", r->committed, "pushed", r->pushed,
	              "queued_push", r->queued, "checkpointed", r->checkpointed, "accepted",
	              r->import.accepted, "duplicates", r->import.duplicates, "events",
	              r->import.events ? json_incref(r->import.events) : json_array(), "findings",
	              r->findings ? json_incref(r->findings) : json_array(), "blocked",
	              r->blocked ? json_incref(r->blocked) : json_array());

	json_object_set_new(o, "forks", json_integer(r->import.forks));
	json_object_set_new(o, "fork_records", json_integer(r->import.evidence));
	if (rc < 0)
		json_object_set_new(o, "error", json_string(cts_error_message()));
	if (rc == 0)
		is_revoked = print_revoked(c, n, o);
	if (rc == 0 && not_enrolled(n)) {
		json_object_set_new(o, "enrolled", json_false());
		is_revoked = 1;
	}
	cli_result(c, o, NULL);
	return is_revoked;
}

/* Seal (unless this device is known to be revoked: it would be ignored),
 * then the exchange. 0 or an exit code, else rc_out is the sync's. */
static int exchange(cli_ctx *c, cts_node *n, const sync_args *a, cts_sync_result *r, int *sealed,
                    int *rc_out)
{
	struct cts_key *key = NULL;
	int64_t revoked = -1;
	int ec, rc;

	if (a->proxy && (rc = cts_node_set_proxy(n, a->proxy)) < 0)
		return cli_fail(c, rc);
	if ((rc = cts_region_self_revocation(n, &revoked, NULL, 0)) < 0)
		return cli_fail(c, rc);
	if ((revoked < 0 && (ec = cli_seal(c, n, sealed)) != 0) ||
	    (ec = cli_load_key(c, n, &key)) != 0)
		return ec;
	if (cli_progress_wanted())
		r->import.progress = cli_progress;
	*rc_out =
	    a->region ? cts_sync_region_pull(n, key, a->url, r) : cts_sync_node(n, key, a->url, r);
	cts_key_free(key);
	return 0;
}

static int sync_body(cli_ctx *c, cts_node *n, const char *pos, void *arg)
{
	cts_sync_result r = { 0 };
	int ec, rc = 0, sealed = 0, is_revoked = 0; /* or not enrolled: exit 1 */

	(void)pos;
	if ((ec = exchange(c, n, arg, &r, &sealed, &rc)) != 0)
		return ec;
	if (c->json) {
		is_revoked = print_json(c, n, &r, rc, sealed);
	} else {
		print_summary(c, n, &r, rc, sealed);
		if (rc == 0)
			is_revoked = print_revoked(c, n, NULL) || not_enrolled(n);
	}
	if (rc == CTS_ENET && !c->json) {
		printf("Envoi en attente : %s\n", cts_error_message());
		ec = EXIT_QUEUED;
	} else if (rc < 0) {
		ec = rc;
	} else {
		ec = (is_revoked || cli_has_refusal(r.import.events) ||
		      json_array_size(r.findings) > 0 || json_array_size(r.blocked) > 0)
		         ? EXIT_FINDINGS
		         : EXIT_OK;
	}
	cts_sync_result_dispose(&r);
	return ec;
}

static int run(cli_ctx *c, int argc, char **argv, int region)
{
	sync_args a = { .region = region };
	const cli_opt opts[] = { { "remote", OPT_STR, &a.url, 0 },
		                 { "proxy", OPT_STR, &a.proxy, 0 },
		                 { NULL, 0, NULL, 0 } };
	const cli_spec s = { opts, region ? pull_help : sync_help, NULL, sync_check };

	return cli_run(c, argc, argv, &s, sync_body, &a);
}

int cmd_sync(cli_ctx *c, int argc, char **argv)
{
	return run(c, argc, argv, 0);
}

int cmd_region_pull(cli_ctx *c, int argc, char **argv)
{
	return run(c, argc, argv, 1);
}
