/* ctsnode audit */
#include "cli.h"

#include "audit.h"
#include "error.h"
#include "key.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
    "Usage : ctsnode audit DÉPÔT [--json] [--state FICHIER] [--expect-head NŒUD=N°:EMPREINTE]...\n"
    "                      [--check-report FICHIER] [--authority-key \"ssh-ed25519 AAAA...\"]\n"
    "\n"
    "Vérifie tout l'historique publié d'un dépôt régional, sans nœud local (--home inutile) :\n"
    "DÉPÔT est un chemin (dépôt nu, clé USB, clone) ou une adresse (file://, git://, ssh://,\n"
    "https://), copiée dans un dossier temporaire effacé ensuite.\n"
    "\n"
    "Le registre est rejoué depuis la chaîne signée de l'autorité, puis chaque branche nodes/…\n"
    "est contrôlée : octets canoniques et signature de chaque changeset pour la clé inscrite,\n"
    "chaîne continue (prev), aucune bifurcation, commits signés par le nœud propriétaire et\n"
    "n'ajoutant que ses fichiers, inscription (territoire, rôle, révocation), règles d'écriture,\n"
    "horloges, allowed_signers de la branche region, points de contrôle de l'autorité, preuves de\n"
    "bifurcation. L'historique doit contenir chaque changeset qu'un témoin signé dit avoir vu\n"
    "(« seen » des changesets, rapports publiés) ; sans têtes imposées, l'audit ne peut pas voir\n"
    "que les changesets les plus récents, que personne n'a encore vus, ont été retirés.\n"
    "\n"
    "  --json                 rapport lisible par un programme\n"
    "  --state FICHIER        têtes vérifiées lors de l'audit précédent : les branches doivent\n"
    "                         les prolonger ; le fichier est mis à jour si l'audit est sans "
    "constat\n"
    "  --expect-head NŒUD=N°:EMPREINTE\n"
    "                         tête relevée lors d'un audit précédent (répétable) : la branche du\n"
    "                         nœud doit toujours contenir ce changeset\n"
    "  --check-report FICHIER recalcule un rapport « ctsnode report --format json » à partir de\n"
    "                         l'historique qu'il cite et dit s'il correspond\n"
    "  --authority-key CLÉ    clé de l'autorité obtenue par ailleurs (sinon : celle qui s'inscrit\n"
    "                         elle-même dans son premier changeset)\n"
    "\n"
    "Adresse https:// : jeton dans CTSNODE_GIT_TOKEN, proxy de https_proxy, autorité de\n"
    "certification de l'organisation dans CTSNODE_CA_FILE (voir ctsnode remote token --help).\n"
    "\n"
    "Codes de sortie : 0 aucun constat ; 1 constats ; 2 erreur d'utilisation, ou accès au\n"
    "dépôt refusé (jeton, certificat, clé d'hôte) ; 3 dépôt ou fichier illisible, erreur\n"
    "d'entrée-sortie.\n"
    "Méthode et commandes pour vérifier sans ctsnode : docs/AUDIT.md.\n";

static void show_progress(const char *phase, size_t done, void *ctx)
{
	(void)ctx;
	if (done)
		fprintf(stderr, "\r\033[Kaudit : %zu %s…", done, phase);
	else
		fprintf(stderr, "\r\033[Kaudit : %s…", phase);
	fflush(stderr);
}

/* Print s left-aligned in `width` columns (UTF-8 characters, not bytes). */
static void cell(const char *s, int width)
{
	int n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xC0) != 0x80)
			n++;
	fputs(s, stdout);
	for (; n < width; n++)
		fputc(' ', stdout);
}

static const char *role_label(const char *role)
{
	if (!role)
		return "non inscrit";
	return strcmp(role, "authority") == 0 ? "autorité" : "territoire";
}

/* The clean verdict says what it proves, and the heads to keep. */
static void print_verdict_ok(const json_t *r)
{
	const json_t *nodes = json_object_get(r, "nodes"), *v;
	const char *node;

	if (strcmp(cli_str(r, "completeness"), "pinned") == 0) {
		printf("\nAucun constat : l'historique publié est authentique et intact, et "
		       "complet au moins\n"
		       "jusqu'aux têtes imposées (--state, --expect-head) et aux dernières têtes "
		       "que les nœuds\n"
		       "ont vues.\n");
	} else {
		printf("\nAucun constat : l'historique publié est authentique et intact. Il est "
		       "complet par\n"
		       "rapport aux dernières têtes que les nœuds ont vues (témoins : « seen » des "
		       "changesets,\n"
		       "points de contrôle et rapports publiés de l'autorité). Les changesets les "
		       "plus récents\n"
		       "que personne n'a encore vus pourraient en avoir été retirés sans laisser "
		       "de trace :\n"
		       "pour le prouver à l'audit suivant, gardez les têtes ci-dessous et "
		       "repassez-les avec\n"
		       "--expect-head (ou gardez un fichier --state).\n");
	}
	printf("\nTêtes vérifiées :\n");
	json_object_foreach((json_t *)nodes, node, v)
	{
		const char *id = json_string_value(json_object_get(v, "head_id"));
		if (id)
			printf("  --expect-head %s=%lld:%s\n", node,
			       (long long)json_integer_value(json_object_get(v, "last_seq")), id);
	}
}

/* What is as expected but worth saying (a revoked node's later
 * changesets, ignored by every node). */
static void print_notices(const json_t *notices)
{
	size_t i;
	json_t *v;

	if (json_array_size(notices) == 0)
		return;
	printf("\nAvis (pas des constats : rien à réparer) :\n");
	json_array_foreach((json_t *)notices, i, v)
	    printf("  nœud %s, n°%lld : %s\n", cli_str(v, "node"),
	           (long long)json_integer_value(json_object_get(v, "seq")), cli_str(v, "detail"));
}

static void print_human(const json_t *r)
{
	const json_t *nodes = json_object_get(r, "nodes"),
	             *findings = json_object_get(r, "findings"), *v;
	const char *node;
	size_t i, total = (size_t)json_integer_value(json_object_get(r, "findings_total"));

	printf("Audit du dépôt %s\n", cli_str(r, "repository"));
	if (json_is_string(json_object_get(r, "authority")))
		printf("Autorité : %s (région %s)\n", cli_str(r, "authority"),
		       cli_str(r, "region"));
	else
		printf("Autorité : introuvable\n");
	printf("%lld commits et %lld changesets lus, %lld point(s) de contrôle de l'autorité.\n\n",
	       (long long)json_integer_value(json_object_get(r, "commits")),
	       (long long)json_integer_value(json_object_get(r, "changesets")),
	       (long long)json_integer_value(json_object_get(r, "checkpoints")));
	cell("Nœud", 28);
	cell(" Rôle", 13);
	cell(" Territoire", 20);
	printf("%11s %9s %9s\n", "Changesets", "Vérifiés", "Constats");
	json_object_foreach((json_t *)nodes, node, v)
	{
		const char *terr = json_string_value(json_object_get(v, "territory"));
		json_t *rev = json_object_get(v, "revoked_after");
		cell(node, 28);
		fputc(' ', stdout);
		cell(role_label(json_string_value(json_object_get(v, "role"))), 12);
		fputc(' ', stdout);
		cell(terr ? terr : "—", 19);
		printf("%11lld %8lld %9lld",
		       (long long)json_integer_value(json_object_get(v, "changesets")),
		       (long long)json_integer_value(json_object_get(v, "verified")),
		       (long long)json_integer_value(json_object_get(v, "findings")));
		if (json_is_integer(rev))
			printf("  (révoqué après le n°%lld)", (long long)json_integer_value(rev));
		fputc('\n', stdout);
	}
	if (json_is_object(json_object_get(r, "state"))) {
		const json_t *s = json_object_get(r, "state");
		printf("\nÉtat d'audit %s : %lld branche(s) vérifiée(s) la fois précédente ; %s.\n",
		       cli_str(s, "path"),
		       (long long)json_integer_value(json_object_get(s, "previous_refs")),
		       json_is_true(json_object_get(s, "written"))
		           ? "nouvel état enregistré"
		           : "état inchangé (il n'est mis à jour que sans constat)");
	}
	if (json_is_object(json_object_get(r, "report_check"))) {
		const json_t *c = json_object_get(r, "report_check");
		printf("\nRapport %s : %s\n", cli_str(c, "file"),
		       json_is_true(json_object_get(c, "ok"))
		           ? "recalculé à l'identique depuis l'historique qu'il cite."
		           : "NE correspond PAS à l'historique (voir les constats).");
	}
	print_notices(json_object_get(r, "notices"));
	if (total == 0) {
		print_verdict_ok(r);
		return;
	}
	printf("\n%zu constat(s) :\n", total);
	json_array_foreach((json_t *)findings, i, v)
	{
		json_t *seq = json_object_get(v, "seq");
		const char *commit = json_string_value(json_object_get(v, "commit"));
		const char *file = json_string_value(json_object_get(v, "file"));
		const char *n = json_string_value(json_object_get(v, "node"));
		printf("\n  [%s]", cli_str(v, "kind"));
		if (n)
			printf(" nœud %s", n);
		if (json_is_integer(seq))
			printf(", n°%lld", (long long)json_integer_value(seq));
		if (commit)
			printf(", commit %.12s", commit);
		if (file)
			printf(", fichier %s", file);
		printf("\n    %s\n", cli_str(v, "detail"));
	}
	if (json_array_size(findings) < total)
		printf("\n  … et %zu autre(s) constat(s) non détaillé(s).\n",
		       total - json_array_size(findings));
}

int cmd_audit(cli_ctx *c, int argc, char **argv)
{
	cts_audit_options o = { 0 };
	cli_strlist heads = { 0 };
	const cli_opt opts[] = {
		{ "state", OPT_STR, &o.state_path, 0 },
		{ "expect-head", OPT_LIST, &heads, 0 },
		{ "check-report", OPT_STR, &o.check_report, 0 },
		{ "authority-key", OPT_STR, &o.authority_key, 0 },
		{ NULL, 0, NULL, 0 },
	};
	char *pos[1];
	json_t *r = NULL;
	int npos, ec, rc, tty = isatty(STDERR_FILENO);

	if (cli_parse(c, argc, argv, opts, help, pos, 1, &npos, &ec) < 0)
		return ec;
	if (npos != 1)
		return cli_usage(c, "indiquez le dépôt à auditer (chemin ou adresse)");
	if (o.authority_key) {
		unsigned char pk[32];
		if (cts_key_parse_public_line(pk, o.authority_key) < 0)
			return cli_usage(c, "--authority-key attend une ligne « ssh-ed25519 "
			                    "AAAA... » (ctsnode key show sur le "
			                    "nœud régional)");
	}
	for (size_t i = 0; i < heads.n; i++) {
		char node[65], id[65];
		int64_t seq;
		if (cts_audit_parse_head(heads.v[i], node, &seq, id) < 0)
			return cli_usage(c, "--expect-head : %s", cts_error_message());
	}
	o.expect_heads = heads.v;
	o.n_expect_heads = heads.n;
	if (tty) {
		o.progress = show_progress;
		o.progress_every = 200;
	}
	rc = cts_audit_run(pos[0], &o, &r);
	if (tty)
		fputs("\r\033[K", stderr);
	if (rc < 0) {
		fprintf(stderr, "ctsnode : erreur : %s\n",
		        *cts_error_message() ? cts_error_message() : cts_error_name(rc));
		return rc == CTS_EACCESS ? EXIT_USAGE : EXIT_INTERNAL;
	}
	if (c->json)
		cli_print_json(r);
	else
		print_human(r);
	ec = json_is_true(json_object_get(r, "ok")) ? EXIT_OK : EXIT_FINDINGS;
	json_decref(r);
	return ec;
}
