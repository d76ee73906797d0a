#include "app.h"

#include "error.h"
#include "key.h"
#include "passphrase.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { R_TERR = 1, R_AUTH = 2, R_ALL = 3 };

typedef struct {
	int post;
	const char *pattern; /* "/membres/ *" without the space: one segment */
	void (*fn)(ui_req *r);
	int roles;
} route;

static const route routes[] = {
	{ 0, "/", ui_page_home, R_ALL },
	{ 0, "/membres", ui_page_members, R_TERR },
	{ 0, "/membres.csv", ui_page_members_csv, R_TERR },
	{ 0, "/membres/nouveau", ui_page_member_new, R_TERR },
	{ 1, "/membres", ui_post_member_add, R_TERR },
	{ 0, "/membres/retires", ui_page_members_removed, R_TERR },
	{ 1, "/membres/*/retablir", ui_post_member_restore, R_TERR },
	{ 0, "/membres/*", ui_page_member_edit, R_TERR },
	{ 1, "/membres/*", ui_post_member_update, R_TERR },
	{ 0, "/membres/*/retirer", ui_page_member_remove, R_TERR },
	{ 1, "/membres/*/retirer", ui_post_member_remove, R_TERR },
	{ 0, "/reunions", ui_page_meetings, R_TERR },
	{ 0, "/reunions/nouvelle", ui_page_meeting_new, R_TERR },
	{ 1, "/reunions", ui_post_meeting_add, R_TERR },
	{ 0, "/reunions/*", ui_page_meeting, R_TERR },
	{ 1, "/reunions/*/presences", ui_post_attendance, R_TERR },
	{ 0, "/reunions/*/modifier", ui_page_meeting_edit, R_TERR },
	{ 1, "/reunions/*/modifier", ui_post_meeting_update, R_TERR },
	{ 1, "/reunions/*/statut", ui_post_meeting_status, R_TERR },
	{ 1, "/reunions/*/rouvrir", ui_post_meeting_reopen, R_TERR },
	{ 0, "/reunions/*/annuler", ui_page_meeting_cancel, R_TERR },
	{ 1, "/reunions/*/annuler", ui_post_meeting_cancel, R_TERR },
	{ 0, "/reunions/*/retablir", ui_page_meeting_restore, R_TERR },
	{ 1, "/reunions/*/retablir", ui_post_meeting_restore, R_TERR },
	{ 1, "/reunions/*/feuille", ui_post_sheet_preview, R_TERR },
	{ 1, "/reunions/*/feuille/confirmer", ui_post_sheet_confirm, R_TERR },
	{ 1, "/reunions/*/feuille/abandonner", ui_post_sheet_drop, R_TERR },
	{ 0, "/avis", ui_page_opinions, R_TERR },
	{ 0, "/avis/nouveau", ui_page_opinion_new, R_TERR },
	{ 1, "/avis", ui_post_opinion_add, R_TERR },
	{ 0, "/avis/*", ui_page_record_edit, R_TERR },
	{ 1, "/avis/*", ui_post_opinion_update, R_TERR },
	{ 0, "/avis/*/retirer", ui_page_record_status, R_TERR },
	{ 1, "/avis/*/retirer", ui_post_record_status, R_TERR },
	{ 0, "/avis/*/retablir", ui_page_record_status, R_TERR },
	{ 1, "/avis/*/retablir", ui_post_record_status, R_TERR },
	{ 0, "/contributions", ui_page_contributions, R_TERR },
	{ 0, "/contributions/nouvelle", ui_page_contribution_new, R_TERR },
	{ 1, "/contributions", ui_post_contribution_add, R_TERR },
	{ 0, "/contributions/*", ui_page_record_edit, R_TERR },
	{ 1, "/contributions/*", ui_post_contribution_update, R_TERR },
	{ 0, "/contributions/*/retirer", ui_page_record_status, R_TERR },
	{ 1, "/contributions/*/retirer", ui_post_record_status, R_TERR },
	{ 0, "/contributions/*/retablir", ui_page_record_status, R_TERR },
	{ 1, "/contributions/*/retablir", ui_post_record_status, R_TERR },
	{ 0, "/conflits", ui_page_conflicts, R_ALL },
	{ 1, "/conflits/*", ui_post_conflict_resolve, R_ALL },
	{ 0, "/rapports", ui_page_reports, R_ALL },
	{ 0, "/rapports/voir", ui_page_report_view, R_ALL },
	{ 0, "/rapports/telecharger", ui_page_report_download, R_ALL },
	{ 0, "/territoires", ui_page_nodes, R_AUTH },
	{ 1, "/territoires", ui_post_node_enroll, R_AUTH },
	{ 0, "/territoires/*/revoquer", ui_page_node_revoke, R_AUTH },
	{ 1, "/territoires/*/revoquer", ui_post_node_revoke, R_AUTH },
	{ 0, "/reception", ui_page_reception, R_AUTH },
	{ 1, "/reception", ui_post_reception, R_AUTH },
	{ 0, "/audit", ui_page_audit, R_AUTH },
	{ 1, "/audit", ui_post_audit, R_AUTH },
	{ 0, "/synchroniser", ui_page_sync, R_ALL },
	{ 1, "/synchroniser", ui_post_sync, R_ALL },
	{ 0, "/synchroniser/etat", ui_page_sync_state, R_ALL },
	{ 0, "/phrase", ui_page_passphrase, R_ALL },
	{ 1, "/phrase", ui_post_passphrase, R_ALL },
	{ 1, "/verrouiller", ui_post_lock, R_ALL },
};

static time_t wall_now(void)
{
	return time(NULL);
}

static void hex_random(char out[65])
{
	unsigned char b[32];

	randombytes_buf(b, sizeof(b));
	sodium_bin2hex(out, 65, b, sizeof(b));
	sodium_memzero(b, sizeof(b));
}

static int read_identity(ui_app *a, int wait_ms)
{
	cts_node *n = NULL;
	char *key = NULL;
	int rc;

	if ((rc = cts_node_open_wait(&n, a->home, wait_ms)) < 0)
		return rc;
	a->role = n->role;
	rc = cts_node_identity_read(n, &a->ident);
	if (rc == 0 && !(key = cts_node_path(n, "node.key")))
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if (rc == 0)
		rc = cts_key_file_is_encrypted(key, &a->key_encrypted);
	free(key);
	cts_node_free(n);
	return rc;
}

static ui_app *app_alloc(const char *home)
{
	ui_app *a = calloc(1, sizeof(*a));
	const char *idle = getenv("CTSNODE_TEST_UI_IDLE_S");

	if (!a || !(a->home = strdup(home))) {
		free(a);
		return NULL;
	}
	pthread_mutex_init(&a->mx, NULL);
	pthread_mutex_init(&a->job.mx, NULL);
	a->now = wall_now;
	/* Test hook (inert unless set): a shorter passphrase lifetime. */
	a->pass_idle_s = idle && atoi(idle) > 0 ? atoi(idle) : UI_PASS_IDLE_S;
	a->node_wait_ms = UI_NODE_WAIT_MS;
	hex_random(a->token);
	return a;
}

int ui_app_new(ui_app **out, const char *home, int wait_ms)
{
	ui_app *a = app_alloc(home);
	int rc;

	*out = NULL;
	if (!a)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if ((rc = read_identity(a, wait_ms)) < 0) {
		ui_app_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

int ui_app_new_offline(ui_app **out, const char *home, cts_role role, const char *node_id,
                       const char *territory)
{
	ui_app *a = app_alloc(home);

	*out = NULL;
	if (!a)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	a->role = role;
	a->ident.id = strdup(node_id);
	a->ident.territory = strdup(territory);
	a->ident.public_key = strdup("ssh-ed25519 AAAA");
	if (!a->ident.id || !a->ident.territory || !a->ident.public_key) {
		ui_app_free(a);
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	*out = a;
	return 0;
}

void ui_session_drop_upload(ui_session *s)
{
	if (s->up_data)
		sodium_memzero(s->up_data, s->up_len);
	free(s->up_data);
	s->up_data = NULL;
	s->up_len = 0;
	s->up_meeting[0] = s->up_name[0] = '\0';
	s->up_create = s->up_absent = s->up_replace = 0;
}

void ui_session_lock(ui_session *s)
{
	if (s->pass) {
		sodium_munlock(s->pass, CTS_PASSPHRASE_MAX);
		sodium_free(s->pass);
	}
	s->pass = NULL;
}

int ui_session_set_pass(ui_session *s, const char *pass)
{
	size_t len = strlen(pass);

	ui_session_lock(s);
	if (len >= CTS_PASSPHRASE_MAX)
		return cts_error_set(CTS_ELIMIT, "phrase de passe trop longue");
	if (!(s->pass = sodium_malloc(CTS_PASSPHRASE_MAX)))
		return cts_error_set(
		    CTS_ENOMEM, "mémoire protégée insuffisante pour garder la phrase de passe");
	/* sodium_malloc already tries to lock its pages; say it again so that
	 * the intent is explicit (a failure, e.g. RLIMIT_MEMLOCK, is not fatal:
	 * the memory is still guarded and wiped). */
	(void)sodium_mlock(s->pass, CTS_PASSPHRASE_MAX);
	memcpy(s->pass, pass, len + 1);
	return 0;
}

static void session_drop(ui_session *s)
{
	ui_session_lock(s);
	ui_session_drop_upload(s);
	sodium_memzero(s, sizeof(*s));
}

void ui_app_free(ui_app *a)
{
	if (!a)
		return;
	ui_job_join(a);
	for (int i = 0; i < UI_MAX_SESSIONS; i++)
		session_drop(&a->sessions[i]);
	ui_outcome_dispose(&a->job.last_sync);
	ui_outcome_dispose(&a->job.last_audit);
	pthread_mutex_destroy(&a->job.mx);
	pthread_mutex_destroy(&a->mx);
	sodium_memzero(a->token, sizeof(a->token));
	free(a->home);
	cts_node_identity_dispose(&a->ident);
	free(a);
}

void ui_app_set_port(ui_app *a, unsigned port)
{
	a->port = port;
	snprintf(a->cookie_name, sizeof(a->cookie_name), "ctsnode_%u", port);
}

static void expire(ui_app *a)
{
	time_t now = a->now();

	for (int i = 0; i < UI_MAX_SESSIONS; i++) {
		ui_session *s = &a->sessions[i];
		if (!s->used)
			continue;
		if (now - s->last_seen >= UI_SESSION_IDLE_S)
			session_drop(s);
		else if (s->pass && now - s->last_seen >= a->pass_idle_s)
			ui_session_lock(s);
	}
}

void ui_app_tick(ui_app *a)
{
	pthread_mutex_lock(&a->mx);
	expire(a);
	pthread_mutex_unlock(&a->mx);
}

void ui_req_init(ui_req *r, ui_app *a)
{
	memset(r, 0, sizeof(*r));
	r->app = a;
	r->status = 200;
	ui_html_init(&r->page, UI_PAGE_MAX);
}

void ui_req_dispose(ui_req *r)
{
	cts_node_free(r->node);
	r->node = NULL;
	ui_html_dispose(&r->page);
	free(r->body);
	r->body = NULL;
}

int ui_open(ui_req *r)
{
	if (r->node)
		return 0;
	return cts_node_open_wait(&r->node, r->app->home, r->app->node_wait_ms);
}

void ui_flash(ui_req *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->sess)
		return;
	va_start(ap, fmt);
	vsnprintf(r->sess->flash, sizeof(r->sess->flash), fmt, ap);
	va_end(ap);
}

static ui_session *session_find(ui_app *a, const char *cookie)
{
	char id[65];

	if (ui_cookie_get(cookie, a->cookie_name, id, sizeof(id)) < 0)
		return NULL;
	for (int i = 0; i < UI_MAX_SESSIONS; i++)
		if (a->sessions[i].used && ui_secret_equal(a->sessions[i].id, id))
			return &a->sessions[i];
	return NULL;
}

static ui_session *session_new(ui_app *a)
{
	ui_session *s = &a->sessions[0];

	/* A free slot, else the one unused for the longest time. */
	for (int i = 0; i < UI_MAX_SESSIONS; i++) {
		if (!a->sessions[i].used) {
			s = &a->sessions[i];
			break;
		}
		if (a->sessions[i].last_seen < s->last_seen)
			s = &a->sessions[i];
	}
	session_drop(s);
	s->used = 1;
	hex_random(s->id);
	hex_random(s->csrf);
	s->last_seen = a->now();
	return s;
}

static void open_page(ui_req *r, int status)
{
	char msg[400];

	snprintf(msg, sizeof(msg),
	         "Pour ouvrir l'interface de ctsnode, lancez « ctsnode ui » dans un terminal (avec "
	         "--home si votre "
	         "nœud n'est pas dans le dossier par défaut), puis ouvrez l'adresse qu'il affiche "
	         "sur sa première "
	         "ligne : http://127.0.0.1:%u/?token=…",
	         r->app->port);
	ui_error_page(r, status, "Ouvrir l'interface", msg);
}

/* GET /?token=...: the launch token becomes a session cookie, and the
 * token leaves the address bar. */
static void exchange_token(ui_req *r, const char *token)
{
	ui_app *a = r->app;

	if (!ui_secret_equal(token, a->token)) {
		open_page(r, 403);
		return;
	}
	if (!r->sess)
		r->sess = session_new(a);
	snprintf(r->set_cookie, sizeof(r->set_cookie), "%s=%s; Path=/; HttpOnly; SameSite=Strict",
	         a->cookie_name, r->sess->id);
	ui_redirect(r, "/");
}

static void serve_asset(ui_req *r)
{
	const char *rest = r->path + strlen("/static/"), *slash = strchr(rest, '/');
	size_t vlen = strlen(ui_assets_version);

	if (slash) {
		r->immutable =
		    (size_t)(slash - rest) == vlen && strncmp(rest, ui_assets_version, vlen) == 0;
		rest = slash + 1;
	}
	for (size_t i = 0; i < ui_asset_count; i++) {
		if (strcmp(ui_assets[i].name, rest) == 0) {
			r->ctype = ui_assets[i].type;
			r->asset = ui_assets[i].data;
			r->asset_len = ui_assets[i].len;
			return;
		}
	}
	r->immutable = 0;
	ui_error_page(r, 404, "Page introuvable", "Ce fichier n'existe pas.");
}

/* Match a pattern with at most one "*" segment ([A-Za-z0-9._-]{1,79}). */
static int match(const char *pat, const char *path, char param[80])
{
	const char *star = strchr(pat, '*');
	size_t pre, seg = 0;

	if (!star)
		return strcmp(pat, path) == 0;
	pre = (size_t)(star - pat);
	if (strncmp(pat, path, pre) != 0)
		return 0;
	path += pre;
	while (path[seg] && path[seg] != '/') {
		char c = path[seg];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return 0;
		seg++;
	}
	if (seg == 0 || seg >= 80 || strcmp(star + 1, path + seg) != 0)
		return 0;
	memcpy(param, path, seg);
	param[seg] = '\0';
	return 1;
}

static int post_allowed(ui_req *r)
{
	const char *csrf = ui_form_get(r->form, "csrf");

	if (!ui_origin_ok(r->origin, r->app->port) ||
	    (r->fetch_site && strcmp(r->fetch_site, "same-origin") != 0 &&
	     strcmp(r->fetch_site, "none") != 0)) {
		ui_error_page(r, 403, "Demande refusée",
		              "Cette demande vient d'une autre page que l'interface de ctsnode : "
		              "elle est refusée et rien "
		              "n'a été enregistré.");
		return 0;
	}
	if (!csrf || !ui_secret_equal(csrf, r->sess->csrf)) {
		ui_error_page(r, 403, "Demande refusée",
		              "Le formulaire envoyé n'est pas celui de cette session (jeton de "
		              "sécurité absent ou "
		              "périmé) : rien n'a été enregistré. Revenez à la page précédente, "
		              "rechargez-la et "
		              "recommencez.");
		return 0;
	}
	return 1;
}

static void dispatch(ui_req *r)
{
	ui_app *a = r->app;
	int role = a->role == CTS_ROLE_AUTHORITY ? R_AUTH : R_TERR, path_known = 0;

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!match(routes[i].pattern, r->path, r->param))
			continue;
		path_known = 1;
		if (routes[i].post != r->post)
			continue;
		if (!(routes[i].roles & role)) {
			ui_error_page(r, 404, "Page introuvable",
			              role == R_AUTH ? "Cette page sert sur le nœud d'un "
			                               "territoire, pas sur le nœud régional."
			                             : "Cette page sert sur le nœud régional, pas "
			                               "sur celui d'un territoire.");
			return;
		}
		if (r->post && !post_allowed(r))
			return;
		routes[i].fn(r);
		return;
	}
	if (path_known)
		ui_error_page(r, 405, "Méthode non permise",
		              "Cette adresse ne s'utilise pas ainsi.");
	else
		ui_error_page(r, 404, "Page introuvable",
		              "Cette page n'existe pas. Revenez au tableau de bord.");
}

void ui_app_handle(ui_app *a, ui_req *r)
{
	const char *token;

	if (!r->query && ui_form_new(&r->query, &(ui_form_limits){ 0, 0, 0, 0, 0 }) < 0) {
		r->status = 500;
		return;
	}
	if (!ui_host_ok(r->host, a->port)) {
		ui_error_page(r, 421, "Adresse refusée",
		              "Cette adresse ne désigne pas l'interface de ctsnode sur ce poste : "
		              "ouvrez celle que "
		              "« ctsnode ui » affiche (http://127.0.0.1:…/).");
		return;
	}
	if (!r->method || (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0 &&
	                   strcmp(r->method, "POST") != 0)) {
		ui_error_page(r, 405, "Méthode non permise",
		              "Cette adresse ne s'utilise pas ainsi.");
		return;
	}
	r->post = strcmp(r->method, "POST") == 0;
	if (!r->path || r->path[0] != '/') {
		ui_error_page(r, 400, "Demande mal formée", "Adresse invalide.");
		return;
	}
	if (!r->post && strncmp(r->path, "/static/", 8) == 0) {
		serve_asset(r);
		return;
	}
	if (r->body_error) {
		ui_error_page(
		    r, r->body_error == CTS_ELIMIT ? 413 : 400,
		    r->body_error == CTS_ELIMIT ? "Envoi trop gros" : "Demande mal formée",
		    r->body_error == CTS_ELIMIT
		        ? "Ce qui a été envoyé dépasse la taille permise (une feuille de présence "
		          ": 4 Mio au "
		          "plus) : rien n'a été enregistré."
		        : "Le formulaire envoyé est mal formé : rien n'a été enregistré.");
		return;
	}
	if (r->post && !r->form) {
		ui_error_page(r, 400, "Demande mal formée", "Un formulaire est attendu.");
		return;
	}
	pthread_mutex_lock(&a->mx);
	expire(a);
	r->sess = session_find(a, r->cookie);
	token = ui_form_get(r->query, "token");
	if (!r->post && strcmp(r->path, "/") == 0 && token) {
		exchange_token(r, token);
	} else if (!r->sess) {
		open_page(r, 403);
	} else {
		r->sess->last_seen = a->now();
		dispatch(r);
	}
	cts_node_free(r->node);
	r->node = NULL;
	pthread_mutex_unlock(&a->mx);
}
