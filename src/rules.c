#include "rules.h"

#include "error.h"
#include "key.h"
#include "tables.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const cts_codeset colleges = { cts_colleges, cts_college_labels, "collège inconnu" };
static const cts_codeset att_colleges = { cts_attendance_colleges, cts_attendance_college_labels,
	                                  "collège inconnu" };
static const cts_codeset bodies = { cts_bodies, cts_body_labels, "instance inconnue" };
static const cts_codeset seats = { cts_seats, cts_seat_labels, "siège inconnu" };
static const cts_codeset meeting_statuses = { cts_meeting_statuses, cts_meeting_status_labels,
	                                      "statut de réunion inconnu" };
static const cts_codeset att_statuses = { cts_attendance_statuses, cts_attendance_status_labels,
	                                  "présence inconnue" };
static const cts_codeset opinion_statuses = { cts_opinion_statuses, cts_opinion_status_labels,
	                                      "état d'avis inconnu" };
static const cts_codeset contribution_statuses = { cts_contribution_statuses,
	                                           cts_contribution_status_labels,
	                                           "état de contribution inconnu" };
static const cts_codeset outcomes = { cts_outcomes, cts_outcome_labels, "sens de l'avis inconnu" };
static const cts_codeset roles = { cts_roles, cts_role_labels, "rôle inconnu" };

#define REQ 1
#define OPT 0
/* One line per field: table, field, kind, required, label. */
#define R(t, f, k, req, label)                                                                     \
	{                                                                                          \
		t, f, k, req, NULL, label                                                          \
	}
#define CODE(t, f, set, req, label)                                                                \
	{                                                                                          \
		t, f, CTS_RULE_CODE, req, &set, label                                              \
	}

static const cts_field_rule rules[] = {
	R("member", "last_name", CTS_RULE_LINE, REQ, "le nom"),
	R("member", "first_name", CTS_RULE_LINE, REQ, "le prénom"),
	R("member", "organisation", CTS_RULE_LINE, OPT, "la structure"),
	CODE("member", "college", colleges, REQ, "le collège"),
	CODE("member", "seat", seats, REQ, "le siège"),
	R("member", "role", CTS_RULE_LINE, OPT, "le rôle"),
	R("member", "mandate_start", CTS_RULE_DATE, OPT, "le début de mandat"),
	R("member", "mandate_end", CTS_RULE_DATE, OPT, "la fin de mandat"),

	CODE("meeting", "body", bodies, REQ, "l'instance"),
	R("meeting", "date", CTS_RULE_DATE, REQ, "la date de la réunion"),
	R("meeting", "title", CTS_RULE_LINE, REQ, "le titre de la réunion"),
	R("meeting", "place", CTS_RULE_LINE, OPT, "le lieu de la réunion"),
	CODE("meeting", "status", meeting_statuses, REQ, "le statut de la réunion"),
	R("meeting", "reopen_reason", CTS_RULE_LINE, OPT, "le motif de réouverture"),

	R("attendance", "meeting", CTS_RULE_UUID, REQ, "la réunion"),
	R("attendance", "member", CTS_RULE_UUID, OPT, "le membre"),
	R("attendance", "last_name", CTS_RULE_LINE, REQ, "le nom"),
	R("attendance", "first_name", CTS_RULE_LINE, OPT, "le prénom"),
	R("attendance", "organisation", CTS_RULE_LINE, OPT, "la structure"),
	CODE("attendance", "college", att_colleges, REQ, "le collège"),
	CODE("attendance", "status", att_statuses, REQ, "la présence"),

	R("opinion", "meeting", CTS_RULE_UUID, REQ, "la réunion"),
	R("opinion", "subject", CTS_RULE_TEXT, REQ, "l'objet de l'avis"),
	R("opinion", "votes_for", CTS_RULE_COUNT, REQ, "le nombre de voix pour"),
	R("opinion", "votes_against", CTS_RULE_COUNT, REQ, "le nombre de voix contre"),
	R("opinion", "votes_abstain", CTS_RULE_COUNT, REQ, "le nombre d'abstentions"),
	CODE("opinion", "outcome", outcomes, REQ, "le sens de l'avis"),
	CODE("opinion", "status", opinion_statuses, OPT, "l'état de l'avis"),

	/* Theme: well formed only; whether the authority published it is
	 * reference data, checked at input and flagged by the reports. */
	R("contribution", "theme", CTS_RULE_REFCODE, REQ, "le thème"),
	R("contribution", "title", CTS_RULE_LINE, REQ, "le titre de la contribution"),
	R("contribution", "text", CTS_RULE_TEXT, REQ, "le texte de la contribution"),
	R("contribution", "meeting", CTS_RULE_UUID, OPT, "la réunion"),
	R("contribution", "date", CTS_RULE_DATE, OPT, "la date de réception"),
	CODE("contribution", "status", contribution_statuses, OPT, "l'état de la contribution"),

	R("registry", "node", CTS_RULE_NODE, REQ, "le nœud"),
	R("registry", "territory_code", CTS_RULE_REFCODE, REQ, "le territoire"),
	CODE("registry", "role", roles, REQ, "le rôle"),
	R("registry", "key", CTS_RULE_KEY, REQ, "la clé"),
	R("registry", "revoked_after", CTS_RULE_UPTO, OPT, "le dernier changeset valide"),

	R("territory", "code", CTS_RULE_REFCODE, REQ, "le code du territoire"),
	R("territory", "name", CTS_RULE_LINE, REQ, "le nom du territoire"),

	R("theme", "code", CTS_RULE_REFCODE, REQ, "le code du thème"),
	R("theme", "label", CTS_RULE_LINE, REQ, "le libellé du thème"),

	R("checkpoint", "node", CTS_RULE_NODE, REQ, "le nœud"),
	R("checkpoint", "seq", CTS_RULE_SEQ, REQ, "le numéro de changeset"),
	R("checkpoint", "changeset", CTS_RULE_HEX64, REQ, "l'empreinte du changeset"),

	/* Fork records (sync/forkproof.h): what the versions say is checked
	 * there, with the forked node's key. */
	R("fork", "node", CTS_RULE_NODE, REQ, "le nœud bifurqué"),
	R("fork", "seq", CTS_RULE_SEQ, REQ, "le numéro du changeset bifurqué"),
	R("fork", "id_a", CTS_RULE_HEX64, REQ, "l'empreinte de la version a"),
	R("fork", "id_b", CTS_RULE_HEX64, REQ, "l'empreinte de la version b"),
	R("fork", "sig_a", CTS_RULE_DATA, REQ, "la signature de la version a"),
	R("fork", "sig_b", CTS_RULE_DATA, REQ, "la signature de la version b"),
	R("fork", "body_a", CTS_RULE_DATA, OPT, "la version a"),
	R("fork", "body_b", CTS_RULE_DATA, OPT, "la version b"),
};

const cts_field_rule *cts_rules_find(const char *table, const char *field)
{
	for (size_t i = 0; table && field && i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strcmp(rules[i].table, table) == 0 && strcmp(rules[i].field, field) == 0)
			return &rules[i];
	return NULL;
}

/* ---- the checks of one value ---- */

/* Printable excerpt of a text for a message: about 60 bytes cut on a
 * character boundary, control characters (and every non-ASCII byte of a
 * text that is not UTF-8) shown as '?'. */
static void excerpt(char *out, size_t size, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	int utf8 = cts_text_utf8_valid(s, len);
	size_t o = 0, i = 0, max = size - 4;

	while (i < len) {
		unsigned char c = u[i];
		size_t k = 1;
		int printable;

		if (c < 0x80)
			printable = c >= 0x20 && c != 0x7f;
		else if (!utf8)
			printable = 0;
		else {
			k = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
			printable = !(c == 0xC2 && u[i + 1] < 0xA0); /* C1 controls */
		}
		if (o + (printable ? k : 1) > max)
			break;
		if (printable)
			memcpy(out + o, s + i, k);
		else
			out[o] = '?';
		o += printable ? k : 1;
		i += k;
	}
	if (i < len) {
		memcpy(out + o, "…", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* A refusal: fills v (value excerpt already there) and returns code. */
static int refuse(cts_rule_violation *v, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse(cts_rule_violation *v, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->message, sizeof(v->message), fmt, ap);
	va_end(ap);
	/* A message cut short by its buffer ends on a whole character. */
	v->message[cts_text_utf8_valid_prefix(v->message, strlen(v->message))] = '\0';
	return code;
}

static int blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

/* A C0 or C1 control character or DEL; tab, CR and LF when multiline allows them. */
static int control_at(const unsigned char *s, size_t i, size_t len, int multiline)
{
	unsigned char c = s[i];

	if (multiline && (c == '\t' || c == '\n' || c == '\r'))
		return 0;
	if (c < 0x20 || c == 0x7f)
		return 1;
	return c == 0xC2 && i + 1 < len && s[i + 1] < 0xA0;
}

static int check_text(const cts_field_rule *r, const cts_field_def *def, const char *s, size_t len,
                      cts_rule_violation *v)
{
	int multiline = r->kind == CTS_RULE_TEXT;

	if (strlen(s) != len || !cts_text_utf8_valid(s, len))
		return refuse(v, CTS_EINVAL,
		              "%s n'est pas un texte valable (UTF-8 sans caractère nul attendu)",
		              r->label);
	if (len > def->max_len)
		return refuse(v, CTS_ELIMIT, "%s : texte trop long (%zu octets, %zu au plus)",
		              r->label, len, def->max_len);
	if (r->required && blank(s))
		return refuse(v, CTS_EINVAL, "%s est obligatoire : une valeur vide est refusée",
		              r->label);
	for (size_t i = 0; i < len; i++)
		if (control_at((const unsigned char *)s, i, len, multiline))
			return refuse(
			    v, CTS_EINVAL, "%s contient un caractère de contrôle interdit%s",
			    r->label,
			    multiline
			        ? ""
			        : " (saut de ligne, tabulation...) : une seule ligne attendue");
	return 0;
}

/* "a, b, c ou d" */
static void list_codes(char *out, size_t size, const char *const *codes)
{
	size_t o = 0;

	out[0] = '\0';
	for (int i = 0; codes[i] && o < size; i++) {
		const char *sep = i == 0 ? "" : codes[i + 1] ? ", " : " ou ";
		int w = snprintf(out + o, size - o, "%s%s", sep, codes[i]);
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

/* Text kinds checked by a validator of tables.h, and what they expect. */
static const struct {
	cts_rule_kind kind;
	int (*valid)(const char *);
	const char *expected;
} formats[] = {
	{ CTS_RULE_DATE, cts_valid_date,
	  "n'est pas une date réelle au format AAAA-MM-JJ (par exemple 2020-06-16)" },
	{ CTS_RULE_UUID, cts_valid_uuid,
	  "n'est pas un identifiant d'enregistrement (UUID en minuscules)" },
	{ CTS_RULE_NODE, cts_valid_node_id,
	  "n'est pas un identifiant de nœud ([a-z0-9-], 3 à 64 caractères)" },
	{ CTS_RULE_REFCODE, cts_valid_code,
	  "n'est pas un code valable ([a-z0-9-], 2 à 64 caractères)" },
	{ CTS_RULE_HEX64, cts_valid_hex64,
	  "n'est pas une empreinte SHA-256 (64 chiffres hexadécimaux)" },
};

static int check_string(const cts_field_rule *r, const cts_field_def *def, const json_t *val,
                        cts_rule_violation *v)
{
	const char *s = json_string_value(val);
	size_t len = json_string_length(val);
	unsigned char pk[32];
	char list[200];

	excerpt(v->value, sizeof(v->value), s, len);
	if (r->kind == CTS_RULE_LINE || r->kind == CTS_RULE_TEXT)
		return check_text(r, def, s, len, v);
	if (r->kind == CTS_RULE_DATA)
		return len <= def->max_len && strlen(s) == len && cts_text_utf8_valid(s, len) &&
		               (len > 0 || !r->required)
		           ? 0
		           : refuse(
		                 v, CTS_EINVAL,
		                 "%s n'est pas un texte valable (UTF-8 sans caractère nul attendu)",
		                 r->label);
	if (len > def->max_len || strlen(s) != len)
		return refuse(v, CTS_EINVAL,
		              "%s « %s » n'est pas valable (trop long ou caractère nul)", r->label,
		              v->value);
	if (r->kind == CTS_RULE_CODE) {
		if (cts_code_index(r->codes->codes, s) >= 0)
			return 0;
		list_codes(list, sizeof(list), r->codes->codes);
		return refuse(v, CTS_EINVAL, "%s « %s » : %s", r->codes->unknown, v->value, list);
	}
	if (r->kind == CTS_RULE_KEY) {
		if (cts_key_parse_public_line(pk, s) == 0)
			return 0;
		refuse(v, CTS_EINVAL, "%s : %s", r->label, cts_error_message());
		cts_error_clear();
		return CTS_EINVAL;
	}
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i].kind == r->kind)
			return formats[i].valid(s) ? 0
			                           : refuse(v, CTS_EINVAL, "%s « %s » %s", r->label,
			                                    v->value, formats[i].expected);
	return refuse(v, CTS_EINVAL, "%s : un texte n'est pas attendu", r->label);
}

static int check_integer(const cts_field_rule *r, const json_t *val, cts_rule_violation *v)
{
	json_int_t n = json_integer_value(val);
	int64_t min = r->kind == CTS_RULE_SEQ ? 1 : 0;
	int64_t max = r->kind == CTS_RULE_COUNT ? CTS_RULES_MAX_COUNT : CTS_RULES_MAX_SEQ;

	snprintf(v->value, sizeof(v->value), "%lld", (long long)n);
	if (n >= min && n <= max)
		return 0;
	return refuse(v, CTS_EINVAL,
	              "%s : %lld n'est pas un nombre valable (entier de %lld à %lld attendu)",
	              r->label, (long long)n, (long long)min, (long long)max);
}

static int is_int_kind(cts_rule_kind k)
{
	return k == CTS_RULE_COUNT || k == CTS_RULE_SEQ || k == CTS_RULE_UPTO;
}

/* The value of one field; v's table, field and label already set. A
 * required field left empty says so on a new record; on a change, that
 * it cannot be cleared. */
static int check_value(const cts_field_rule *r, const cts_field_def *def, const json_t *val,
                       int creating, cts_rule_violation *v)
{
	v->value[0] = '\0';
	if ((!val || json_is_null(val)) && r->required && creating)
		return refuse(v, CTS_EINVAL, "%s est obligatoire", r->label);
	if (!val || json_is_null(val))
		return r->required ? refuse(v, CTS_EINVAL,
		                            "%s est obligatoire : il ne peut pas être effacé "
		                            "(valeur nulle refusée)",
		                            r->label)
		                   : 0;
	if (r->kind == CTS_RULE_BOOL)
		return json_is_boolean(val)
		           ? 0
		           : refuse(v, CTS_EINVAL, "%s : vrai ou faux attendu", r->label);
	if (is_int_kind(r->kind))
		return json_is_integer(val)
		           ? check_integer(r, val, v)
		           : refuse(v, CTS_EINVAL, "%s : un nombre entier est attendu", r->label);
	if (!json_is_string(val))
		return refuse(v, CTS_EINVAL, "%s : un texte est attendu", r->label);
	return check_string(r, def, val, v);
}

/* ---- sets ---- */

/* Report v: copy to out (may be NULL) and record the message. */
static int fail(const cts_rule_violation *v, cts_rule_violation *out, int code)
{
	if (out)
		*out = *v;
	return cts_error_set(code, "%s", v->message);
}

static int check(const char *table, const json_t *set, int creating, cts_rule_violation *out)
{
	const cts_table_def *t = table ? cts_table_find(table) : NULL;
	cts_rule_violation v = { 0 };
	const char *key;
	json_t *val;
	int rc;

	v.table = t ? t->name : "?";
	if (!t) {
		snprintf(v.message, sizeof(v.message), "table inconnue « %.40s »",
		         table ? table : "");
		return fail(&v, out, CTS_EINVAL);
	}
	if (!json_is_object(set)) {
		snprintf(v.message, sizeof(v.message), "« set » doit être un objet");
		return fail(&v, out, CTS_EINVAL);
	}
	json_object_foreach((json_t *)set, key, val)
	{
		const cts_field_rule *r = cts_rules_find(t->name, key);
		if (!r) {
			excerpt(v.value, sizeof(v.value), key, strlen(key));
			snprintf(v.message, sizeof(v.message), "champ inconnu « %s »", v.value);
			return fail(&v, out, CTS_EINVAL);
		}
		v.field = r->field;
		v.label = r->label;
		if ((rc = check_value(r, cts_table_field(t, key), val, creating, &v)) < 0)
			return fail(&v, out, rc);
	}
	for (size_t i = 0; creating && i < t->nfields; i++) {
		const cts_field_rule *r = cts_rules_find(t->name, t->fields[i].name);
		if (r && r->required && !json_object_get(set, r->field)) {
			v.field = r->field;
			v.label = r->label;
			v.value[0] = '\0';
			snprintf(v.message, sizeof(v.message), "%s est obligatoire", r->label);
			return fail(&v, out, CTS_EINVAL);
		}
	}
	return 0;
}

int cts_rules_check_set(const char *table, const json_t *set, cts_rule_violation *why)
{
	return check(table, set, 0, why);
}

int cts_rules_check_new(const char *table, const json_t *set, cts_rule_violation *why)
{
	return check(table, set, 1, why);
}

void cts_rules_describe(const cts_rule_violation *why, char *buf, size_t size)
{
	if (why->field)
		snprintf(buf, size, "table %s, champ %s : %s", why->table, why->field,
		         why->message);
	else
		snprintf(buf, size, "table %s : %s", why->table, why->message);
}

int cts_rules_check_date_window(const char *label, const char *date, const char *latest,
                                const char *latest_words)
{
	if (strcmp(date, CTS_RULES_FIRST_DATE) < 0)
		return cts_error_set(CTS_EINVAL,
		                     "%s (%s) précède la création des conseils territoriaux de "
		                     "santé (loi du 26 janvier 2016) :"
		                     " vérifiez l'année",
		                     label, date);
	if (latest && strcmp(date, latest) > 0)
		return cts_error_set(CTS_EINVAL, "%s (%s) tombe %s : vérifiez l'année", label, date,
		                     latest_words);
	return 0;
}
