/* Page layout, form pieces and French labels shared by every page. */
#include "app.h"

#include "error.h"
#include "rules.h"
#include "tables.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H(...) ui_html_f(&r->page, __VA_ARGS__)

typedef struct {
	const char *key, *href, *label;
	int roles; /* 1 territory, 2 authority */
} nav_item;

static const nav_item nav[] = {
	{ "home", "/", "Tableau de bord", 3 },
	{ "members", "/membres", "Membres", 1 },
	{ "meetings", "/reunions", "Réunions", 1 },
	{ "opinions", "/avis", "Avis", 1 },
	{ "contributions", "/contributions", "Contributions", 1 },
	{ "nodes", "/territoires", "Territoires et postes", 2 },
	{ "reception", "/reception", "Réception", 2 },
	{ "conflicts", "/conflits", "Conflits", 3 },
	{ "reports", "/rapports", "Rapports", 3 },
	{ "audit", "/audit", "Audit", 2 },
};

static void header(ui_req *r)
{
	ui_app *a = r->app;

	H("<header class=\"top\"><div class=\"brand\"><img src=\"/static/%s/icon.svg\" alt=\"\" "
	  "width=\"32\" height=\"32\">"
	  "<span class=\"name\">ctsnode</span>",
	  ui_assets_version);
	if (a->ident.id)
		H("<span class=\"where\">%s %s · poste %s</span>",
		  a->role == CTS_ROLE_AUTHORITY ? "Région" : "Territoire", a->ident.territory,
		  a->ident.id);
	H("</div>");
	if (r->sess) {
		H("<div class=\"actions\">");
		if (r->sess->pass) {
			H("<form method=\"post\" action=\"/verrouiller\" class=\"inline\">");
			ui_csrf_field(r);
			H("<span class=\"lockstate\">Phrase de passe retenue</span>"
			  "<button type=\"submit\" class=\"button "
			  "secondary\">Verrouiller</button></form>");
		}
		H("<form method=\"post\" action=\"/synchroniser\" class=\"inline\">");
		ui_csrf_field(r);
		H("<button type=\"submit\" class=\"button\">Synchroniser</button></form></div>");
	}
	H("</header>\n");
}

static void navigation(ui_req *r, const char *current)
{
	int role = r->app->role == CTS_ROLE_AUTHORITY ? 2 : 1;

	H("<nav aria-label=\"Menu principal\"><ul>");
	for (size_t i = 0; i < sizeof(nav) / sizeof(nav[0]); i++) {
		if (!(nav[i].roles & role))
			continue;
		if (current && strcmp(current, nav[i].key) == 0)
			H("<li><a href=\"%s\" aria-current=\"page\">%s</a></li>", nav[i].href,
			  nav[i].label);
		else
			H("<li><a href=\"%s\">%s</a></li>", nav[i].href, nav[i].label);
	}
	H("</ul></nav>\n");
}

void ui_page_begin(ui_req *r, const char *title, const char *current)
{
	H("<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
	  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	  "<title>%s%s — ctsnode</title>"
	  "<link rel=\"stylesheet\" href=\"/static/%s/style.css\">"
	  "<link rel=\"icon\" href=\"/static/%s/icon.svg\" type=\"image/svg+xml\">"
	  "<script src=\"/static/%s/app.js\" defer></script>",
	  r->errors_in_page ? "Erreur : " : "", title, ui_assets_version, ui_assets_version,
	  ui_assets_version);
	if (r->refresh)
		H("<noscript><meta http-equiv=\"refresh\" content=\"1\"></noscript>");
	H("</head>\n<body>\n<a class=\"skip\" href=\"#contenu\">Aller au contenu</a>\n");
	header(r);
	if (r->sess)
		navigation(r, current);
	H("<main id=\"contenu\" tabindex=\"-1\">\n<h1>%s</h1>\n", title);
	if (r->sess && r->sess->flash[0]) {
		H("<div class=\"notice\" role=\"status\"><p>%s</p></div>\n", r->sess->flash);
		r->sess->flash[0] = '\0';
	}
}

void ui_page_end(ui_req *r)
{
	H("</main>\n<footer><p>ctsnode %s · interface locale de ce poste, sans réseau extérieur.",
	  CTS_VERSION);
	if (r->sess)
		H(" Pour fermer l'interface, arrêtez « ctsnode ui » (Ctrl-C dans son terminal).");
	H("</p></footer>\n</body></html>\n");
}

void ui_fact(ui_req *r, int some, const char *none, const char *fmt, ...)
{
	va_list ap;

	if (!some) {
		H("<li>%s</li>", none);
		return;
	}
	va_start(ap, fmt);
	ui_html_vf(&r->page, fmt, ap);
	va_end(ap);
}

void ui_redirect(ui_req *r, const char *location)
{
	r->status = 303;
	snprintf(r->location, sizeof(r->location), "%s", location);
	ui_html_dispose(&r->page);
	ui_html_init(&r->page, UI_PAGE_MAX);
	H("<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Redirection — "
	  "ctsnode</title></head>"
	  "<body><p><a href=\"%s\">Continuer</a></p></body></html>\n",
	  location);
}

void ui_error_page(ui_req *r, int status, const char *title, const char *message)
{
	ui_html_dispose(&r->page);
	ui_html_init(&r->page, UI_PAGE_MAX);
	free(r->body);
	r->body = NULL;
	r->ctype = NULL;
	r->asset = NULL;
	r->disposition[0] = r->location[0] = '\0';
	r->report_csp = 0;
	r->status = status;
	ui_page_begin(r, title, NULL);
	H("<p class=\"lead\">%s</p>", message);
	if (r->sess)
		H("<p><a href=\"/\">Revenir au tableau de bord</a></p>");
	ui_page_end(r);
}

/* ---- library messages in the words of a page ---- */

/* Command-line advice of library messages and what a page says instead. */
static const struct {
	const char *cli, *page;
} plain_words[] = {
	{ "ajoutez --again", "cochez « Enregistrer quand même »" },
	{ "relancez avec --replace", "cochez « Remplacer les présences déjà saisies »" },
	{ "relancez avec --create-missing",
	  "cochez « Ajouter à la liste des membres les personnes inconnues »" },
	{ "relancez avec --absent-missing",
	  "cochez « Noter absents les titulaires absents de la feuille »" },
	{ "ctsnode attendance set", "la liste des présences de la réunion" },
	{ " (--reason \"...\")", "" },
};

/* Drop the parenthesised command lines "(ctsnode ...)" and the space before. */
static void drop_commands(char *s)
{
	char *p, *end;

	while ((p = strstr(s, "(ctsnode ")) || (p = strstr(s, "(pour la corriger : ctsnode "))) {
		if (!(end = strchr(p, ')')))
			break;
		if (p > s && p[-1] == ' ')
			p--;
		memmove(p, end + 1, strlen(end + 1) + 1);
	}
}

const char *ui_plain(const char *msg, char *out, size_t len)
{
	char *p;

	snprintf(out, len, "%s", msg ? msg : "");
	for (size_t i = 0; i < sizeof(plain_words) / sizeof(plain_words[0]); i++) {
		size_t cl = strlen(plain_words[i].cli), pl = strlen(plain_words[i].page), rest;
		if (!(p = strstr(out, plain_words[i].cli)))
			continue;
		rest = strlen(p + cl);
		if ((size_t)(p - out) + pl + rest + 1 > len)
			continue;
		memmove(p + pl, p + cl, rest + 1);
		memcpy(p, plain_words[i].page, pl);
	}
	drop_commands(out);
	return out;
}

void ui_fail_page(ui_req *r, int rc, const char *title)
{
	const char *msg = cts_error_message();
	char text[1400];

	if (rc == CTS_EBUSY) {
		snprintf(text, sizeof(text), "Le nœud est occupé, réessayez dans un instant. %s",
		         ui_job_running(r->app)
		             ? "(Une synchronisation est en cours : sa progression est sur la page "
		               "Synchroniser.)"
		             : "(Une autre commande ctsnode travaille sur ce nœud.)");
		ui_error_page(r, 503, title, text);
		return;
	}
	ui_error_page(r,
	              rc == CTS_ENOTFOUND                      ? 404
	              : (rc == CTS_EINVAL || rc == CTS_ELIMIT) ? 400
	                                                       : 500,
	              title, ui_plain(msg && *msg ? msg : cts_error_name(rc), text, sizeof(text)));
}

void ui_form_begin(ui_req *r, const char *action, int multipart, const char *cls)
{
	if (multipart)
		H("<form method=\"post\" action=\"%s\" novalidate class=\"%s\" "
		  "enctype=\"multipart/form-data\">",
		  action, cls ? cls : "form");
	else
		H("<form method=\"post\" action=\"%s\" novalidate class=\"%s\">", action,
		  cls ? cls : "form");
	ui_csrf_field(r);
}

void ui_form_end(ui_req *r)
{
	H("</form>\n");
}

void ui_csrf_field(ui_req *r)
{
	if (r->sess)
		H("<input type=\"hidden\" name=\"csrf\" value=\"%s\">", r->sess->csrf);
}

void ui_button(ui_req *r, const char *label, const char *cls)
{
	H("<button type=\"submit\" class=\"button%s%s\">%s</button>", cls ? " " : "",
	  cls ? cls : "", label);
}

/* Busy node, or a refused input: the summary at the top, focused. */
void ui_error_summary(ui_req *r, const ui_fs *fs, const char *first_field)
{
	const char *target = fs->field ? fs->field : first_field;

	if (fs->busy) {
		H("<div class=\"error-summary\" role=\"alert\" tabindex=\"-1\" autofocus "
		  "id=\"erreurs\">"
		  "<h2>Rien n'a été enregistré</h2><p>Le nœud est occupé, réessayez dans un "
		  "instant : ce que vous avez "
		  "saisi est gardé ci-dessous.</p></div>");
		return;
	}
	if (!fs->error)
		return;
	H("<div class=\"error-summary\" role=\"alert\" tabindex=\"-1\" autofocus id=\"erreurs\" "
	  "aria-labelledby=\"erreurs-titre\"><h2 id=\"erreurs-titre\">Rien n'a été "
	  "enregistré</h2><ul><li>");
	if (target)
		H("<a href=\"#f-%s\">%s</a>", target, fs->error);
	else
		H("%s", fs->error);
	H("</li></ul></div>");
}

/* 1 if msg starts with the rule's label of `field` as a whole word
 * ("le nom est obligatoire", not "le nombre de voix"). */
static int starts_with_label(const char *msg, const char *table, const char *field)
{
	const cts_field_rule *rule = cts_rules_find(table, field);
	size_t n;

	if (!rule || !rule->label)
		return 0;
	n = strlen(rule->label);
	return strncmp(msg, rule->label, n) == 0 &&
	       (msg[n] == ' ' || msg[n] == '\0' || msg[n] == ':');
}

const char *ui_error_field(const char *msg, const char *table, const char *const *fields)
{
	static const struct {
		const char *word, *field;
	} words[] = {
		{ "début de mandat", "mandate_start" },
		{ "fin de mandat", "mandate_end" },
		{ "existe déjà", "last_name" },
		{ "collège", "college" },
		{ "siège", "seat" },
		{ "instance", "body" },
		{ "date", "date" },
		{ "titre", "title" },
		{ "lieu", "place" },
		{ "statut", "status" },
		{ "objet", "subject" },
		{ "voix", "for" },
		{ "sens de l'avis", "outcome" },
		{ "thème", "theme" },
		{ "texte", "text" },
		{ "réunion", "meeting" },
		{ "clé", "key" },
		{ "territoire", "territory" },
		{ "nœud", "node" },
		{ "phrase de passe", "passphrase" },
		{ "numéro", "after_seq" },
		{ "feuille", "sheet" },
		{ "ligne", "sheet" },
		{ "encodage", "sheet" },
	};
	char opt[72];

	if (!msg)
		return NULL;
	/* The domain rule's label the message starts with (rules.h). Form
	 * fields are named like the CLI options, some records' fields not. */
	static const char *const alias[][2] = { { "for", "votes_for" },
		                                { "against", "votes_against" },
		                                { "abstain", "votes_abstain" },
		                                { "territory", "territory_code" },
		                                { "after_seq", "revoked_after" } };
	for (size_t i = 0; table && fields[i]; i++) {
		const char *f = fields[i];
		for (size_t a = 0; a < sizeof(alias) / sizeof(alias[0]); a++)
			if (strcmp(f, alias[a][0]) == 0)
				f = alias[a][1];
		if (starts_with_label(msg, table, f))
			return fields[i];
	}
	/* The CLI option named in the message: "(--last-name)". */
	for (size_t i = 0; fields[i]; i++) {
		size_t k = 0;
		opt[0] = opt[1] = '-';
		for (; fields[i][k] && k < sizeof(opt) - 3; k++)
			opt[k + 2] = fields[i][k] == '_' ? '-' : fields[i][k];
		opt[k + 2] = '\0';
		const char *hit = strstr(msg, opt);
		if (hit && !((hit[k + 2] >= 'a' && hit[k + 2] <= 'z') || hit[k + 2] == '-'))
			return fields[i];
	}
	for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
		if (!strstr(msg, words[w].word))
			continue;
		for (size_t i = 0; fields[i]; i++)
			if (strcmp(fields[i], words[w].field) == 0)
				return fields[i];
	}
	return NULL;
}

void ui_fs_refuse(ui_req *r, ui_fs *fs, int rc, const char *table, const char *const *fields)
{
	fs->values = r->form;
	if (rc == CTS_EBUSY) {
		fs->busy = 1;
		r->status = 503;
		return;
	}
	ui_plain(*cts_error_message() ? cts_error_message() : cts_error_name(rc), fs->msg,
	         sizeof(fs->msg));
	fs->error = fs->msg;
	fs->field = ui_error_field(fs->error, table, fields);
	switch (rc) {
	case CTS_EEXISTS:
		r->status = 409;
		break;
	case CTS_EINVAL:
	case CTS_ELIMIT:
	case CTS_ENOTFOUND:
	case CTS_EAUTH:
	case CTS_ECRYPTO:
		r->status = 400;
		break;
	default:
		r->status = 500;
	}
}

const char *ui_fs_value(const ui_fs *fs, const char *name, const char *dflt)
{
	const char *v = fs && fs->values ? ui_form_get(fs->values, name) : NULL;

	return v ? v : dflt ? dflt : "";
}

static const char *field_error(const ui_fs *fs, const char *name)
{
	return fs && fs->error && fs->field && strcmp(fs->field, name) == 0 ? fs->error : NULL;
}

/* label, hint and error of a field; the control follows. */
static void field_head(ui_req *r, const char *name, const char *label, const char *hint,
                       const char *err, int flags)
{
	H("<div class=\"field%s%s\"><label for=\"f-%s\">%s", err ? " has-error" : "",
	  (flags & UI_F_WIDE) ? " wide" : "", name, label);
	if (flags & UI_F_REQUIRED)
		H(" <span class=\"req\">(obligatoire)</span>");
	H("</label>");
	if (hint)
		H("<p class=\"hint\" id=\"f-%s-hint\">%s</p>", name, hint);
	if (err)
		H("<p class=\"error-msg\" id=\"f-%s-err\"><span class=\"visually-hidden\">Erreur : "
		  "</span>%s</p>",
		  name, err);
}

/* id, name and the ARIA attributes tying hint and error to the control. */
static void control_attrs(ui_req *r, const char *name, const char *hint, const char *err, int flags)
{
	H(" id=\"f-%s\" name=\"%s\"", name, name);
	if (hint || err) {
		H(" aria-describedby=\"");
		if (hint)
			H("f-%s-hint", name);
		if (hint && err)
			H(" ");
		if (err)
			H("f-%s-err", name);
		H("\"");
	}
	if (err)
		H(" aria-invalid=\"true\"");
	if (flags & UI_F_REQUIRED)
		H(" aria-required=\"true\"");
}

void ui_input(ui_req *r, const ui_fs *fs, const char *name, const char *label, const char *type,
              const char *dflt, const char *hint, int flags)
{
	const char *err = field_error(fs, name), *v = ui_fs_value(fs, name, dflt);

	field_head(r, name, label, hint, err, flags);
	if (flags & UI_F_TEXTAREA) {
		if (flags & UI_F_SHORT)
			H("<textarea rows=\"3\" class=\"short\"");
		else
			H("<textarea rows=\"6\"");
		control_attrs(r, name, hint, err, flags);
		H(">%s</textarea></div>", v);
		return;
	}
	H("<input type=\"%s\"", type ? type : "text");
	control_attrs(r, name, hint, err, flags);
	if (type && strcmp(type, "number") == 0)
		H(" min=\"0\" inputmode=\"numeric\"");
	if (type && strcmp(type, "password") == 0)
		H(" autocomplete=\"current-password\"");
	else
		H(" value=\"%s\"", v);
	H("></div>");
}

static void option(ui_req *r, const char *value, const char *selected)
{
	H("<option value=\"%s\"%s>", value, strcmp(value, selected) == 0 ? " selected" : "");
}

void ui_select(ui_req *r, const ui_fs *fs, const char *name, const char *label,
               const char *const *codes, const char *const *labels, const char *dflt,
               const char *hint, int flags)
{
	const char *err = field_error(fs, name), *v = ui_fs_value(fs, name, dflt);

	field_head(r, name, label, hint, err, flags);
	H("<select");
	control_attrs(r, name, hint, err, flags);
	H(">");
	if (!dflt || !*dflt) {
		option(r, "", v);
		H("— choisir —</option>");
	}
	for (size_t i = 0; codes[i]; i++) {
		option(r, codes[i], v);
		H("%s</option>", labels[i]);
	}
	H("</select></div>");
}

void ui_select_json(ui_req *r, const ui_fs *fs, const char *name, const char *label,
                    const json_t *rows, const char *vkey,
                    void (*label_fn)(ui_html *h, const json_t *row), const char *first,
                    const char *dflt, const char *hint, int flags)
{
	const char *err = field_error(fs, name), *v = ui_fs_value(fs, name, dflt);
	const json_t *row;
	size_t i;
	int found = 0;

	field_head(r, name, label, hint, err, flags);
	H("<select");
	control_attrs(r, name, hint, err, flags);
	H(">");
	if (first) {
		option(r, "", v);
		H("%s</option>", first);
	}
	json_array_foreach(rows, i, row)
	{
		const char *code = ui_str(row, vkey);
		found |= strcmp(code, v) == 0;
		option(r, code, v);
		if (label_fn)
			label_fn(&r->page, row);
		else
			H("%s", code);
		H("</option>");
	}
	/* The node was busy (no rows): keep what was chosen. */
	if (!found && *v) {
		option(r, v, v);
		H("%s</option>", v);
	}
	H("</select></div>");
}

void ui_radios(ui_req *r, const ui_fs *fs, const char *name, const char *legend,
               const char *const *codes, const char *const *labels, const char *dflt, int flags)
{
	const char *err = field_error(fs, name), *v = ui_fs_value(fs, name, dflt);

	H("<fieldset class=\"field radios%s\"", err ? " has-error" : "");
	if (err)
		H(" aria-describedby=\"f-%s-err\"", name);
	H("><legend>%s", legend);
	if (flags & UI_F_REQUIRED)
		H(" <span class=\"req\">(obligatoire)</span>");
	H("</legend>");
	if (err)
		H("<p class=\"error-msg\" id=\"f-%s-err\"><span class=\"visually-hidden\">Erreur : "
		  "</span>%s</p>",
		  name, err);
	for (size_t i = 0; codes[i]; i++) {
		/* The first radio carries the field's id (error summary link). */
		if (i == 0)
			H("<div class=\"radio\"><input type=\"radio\" id=\"f-%s\" name=\"%s\" "
			  "value=\"%s\"%s>"
			  "<label for=\"f-%s\">%s</label></div>",
			  name, name, codes[i], strcmp(codes[i], v) == 0 ? " checked" : "", name,
			  labels[i]);
		else
			H("<div class=\"radio\"><input type=\"radio\" id=\"f-%s-%s\" name=\"%s\" "
			  "value=\"%s\"%s>"
			  "<label for=\"f-%s-%s\">%s</label></div>",
			  name, codes[i], name, codes[i],
			  strcmp(codes[i], v) == 0 ? " checked" : "", name, codes[i], labels[i]);
	}
	H("</fieldset>");
}

void ui_checkbox(ui_req *r, const ui_fs *fs, const char *name, const char *label, int checked,
                 const char *hint)
{
	if (fs && fs->values)
		checked = ui_form_get(fs->values, name) != NULL;
	H("<div class=\"field checkbox\"><input type=\"checkbox\" id=\"f-%s\" name=\"%s\" "
	  "value=\"1\"%s",
	  name, name, checked ? " checked" : "");
	if (hint)
		H(" aria-describedby=\"f-%s-hint\"", name);
	H("><label for=\"f-%s\">%s</label>", name, label);
	if (hint)
		H("<p class=\"hint\" id=\"f-%s-hint\">%s</p>", name, hint);
	H("</div>");
}

int ui_open_list(ui_req *r, const char *table, const char *title, json_t **out)
{
	int rc;

	if ((rc = ui_open(r)) < 0 ||
	    (rc = cts_change_list(r->node, table, r->node->territory, out)) < 0) {
		ui_fail_page(r, rc, title);
		return -1;
	}
	return 0;
}

json_t *ui_load_record(ui_req *r, const ui_record_kind *k)
{
	json_t *list = NULL, *o;

	if (!cts_valid_uuid(r->param)) {
		ui_error_page(r, 404, k->absent, k->not_an_id);
		return NULL;
	}
	if (ui_open_list(r, k->table, k->title, &list) < 0)
		return NULL;
	o = json_incref((json_t *)ui_find(list, "id", r->param));
	json_decref(list);
	if (!o)
		ui_error_page(r, 404, k->absent, k->missing);
	return o;
}

/* ---- labels ---- */

const char *ui_college_label(const char *code)
{
	return cts_code_label(cts_attendance_colleges, cts_attendance_college_labels, code);
}

const char *ui_body_label(const char *code)
{
	return cts_code_label(cts_bodies, cts_body_labels, code);
}

const char *ui_meeting_status_label(const char *code)
{
	return cts_code_label(cts_meeting_statuses, cts_meeting_status_labels, code);
}

const char *ui_attendance_label(const char *code)
{
	return cts_code_label(cts_attendance_statuses, cts_attendance_status_labels, code);
}

const char *ui_outcome_label(const char *code)
{
	return cts_code_label(cts_outcomes, cts_outcome_labels, code);
}

const char *ui_date_fr(const char *iso, char buf[11])
{
	if (!iso || !cts_valid_date(iso)) {
		buf[0] = '\0';
		return buf;
	}
	snprintf(buf, 11, "%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
	return buf;
}

const char *ui_epoch_fr(time_t t, char buf[32])
{
	struct tm tm;

	buf[0] = '\0';
	if (t > 0 && localtime_r(&t, &tm))
		strftime(buf, 32, "%d/%m/%Y à %H:%M", &tm);
	return buf;
}

const char *ui_time_fr(const char *rfc3339, char buf[32])
{
	struct tm tm = { 0 };

	buf[0] = '\0';
	if (!rfc3339 || sscanf(rfc3339, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon,
	                       &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return buf;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return ui_epoch_fr(timegm(&tm), buf);
}

const json_t *ui_find(const json_t *list, const char *key, const char *value)
{
	const json_t *o;
	size_t i;

	json_array_foreach(list, i, o) if (strcmp(ui_str(o, key), value) == 0) return o;
	return NULL;
}

const char *ui_str(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

long long ui_int(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

const char *ui_arg(const ui_req *r, const char *key)
{
	const char *v = r->form ? ui_form_get(r->form, key) : NULL;

	if (!v)
		v = ui_form_get(r->query, key);
	return v ? v : "";
}
