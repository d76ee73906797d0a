#include "tables.h"

#include <string.h>

#define F(n, t, m)                                                                                 \
	{                                                                                          \
		n, t, m                                                                            \
	}
#define ARR(a) a, sizeof(a) / sizeof(a[0])

static const cts_field_def member_fields[] = {
	F("last_name", CTS_FT_TEXT, 200),    F("first_name", CTS_FT_TEXT, 200),
	F("organisation", CTS_FT_TEXT, 400), F("college", CTS_FT_TEXT, 40),
	F("seat", CTS_FT_TEXT, 20),          F("role", CTS_FT_TEXT, 200),
	F("mandate_start", CTS_FT_TEXT, 10), F("mandate_end", CTS_FT_TEXT, 10),
};
static const cts_field_def meeting_fields[] = {
	F("body", CTS_FT_TEXT, 40),   F("date", CTS_FT_TEXT, 10),
	F("title", CTS_FT_TEXT, 400), F("place", CTS_FT_TEXT, 400),
	F("status", CTS_FT_TEXT, 20), F("reopen_reason", CTS_FT_TEXT, 400),
};
static const cts_field_def attendance_fields[] = {
	F("meeting", CTS_FT_TEXT, 36),       F("member", CTS_FT_TEXT, 36),
	F("last_name", CTS_FT_TEXT, 200),    F("first_name", CTS_FT_TEXT, 200),
	F("organisation", CTS_FT_TEXT, 400), F("college", CTS_FT_TEXT, 40),
	F("status", CTS_FT_TEXT, 20),
};
static const cts_field_def opinion_fields[] = {
	F("meeting", CTS_FT_TEXT, 36),     F("subject", CTS_FT_TEXT, 1000),
	F("votes_for", CTS_FT_INT, 0),     F("votes_against", CTS_FT_INT, 0),
	F("votes_abstain", CTS_FT_INT, 0), F("outcome", CTS_FT_TEXT, 20),
	F("status", CTS_FT_TEXT, 20),
};
static const cts_field_def contribution_fields[] = {
	F("theme", CTS_FT_TEXT, 64),   F("title", CTS_FT_TEXT, 400), F("text", CTS_FT_TEXT, 65536),
	F("meeting", CTS_FT_TEXT, 36), F("date", CTS_FT_TEXT, 10),   F("status", CTS_FT_TEXT, 20),
};
static const cts_field_def registry_fields[] = {
	F("node", CTS_FT_TEXT, 64),        F("territory_code", CTS_FT_TEXT, 64),
	F("role", CTS_FT_TEXT, 20),        F("key", CTS_FT_TEXT, 200),
	F("revoked_after", CTS_FT_INT, 0),
};
static const cts_field_def territory_fields[] = {
	F("code", CTS_FT_TEXT, 64),
	F("name", CTS_FT_TEXT, 200),
};
static const cts_field_def theme_fields[] = {
	F("code", CTS_FT_TEXT, 64),
	F("label", CTS_FT_TEXT, 400),
};
static const cts_field_def checkpoint_fields[] = {
	F("node", CTS_FT_TEXT, 64),
	F("seq", CTS_FT_INT, 0),
	F("changeset", CTS_FT_TEXT, 64),
};
/* Fork evidence (sync/forkproof.h): a body is a whole changeset file
 * (CTS_CHANGESET_MAX_BYTES), a signature an armored SSHSIG (CTS_SIG_MAX_BYTES). */
static const cts_field_def fork_fields[] = {
	F("node", CTS_FT_TEXT, 64),        F("seq", CTS_FT_INT, 0),
	F("id_a", CTS_FT_TEXT, 64),        F("id_b", CTS_FT_TEXT, 64),
	F("sig_a", CTS_FT_TEXT, 8192),     F("sig_b", CTS_FT_TEXT, 8192),
	F("body_a", CTS_FT_TEXT, 8388608), F("body_b", CTS_FT_TEXT, 8388608),
};

/* Order matters: it is the order of the content digest (evidence tables,
 * written by any node, are not part of it: see cts_record_digest). */
const cts_table_def cts_tables[] = {
	{ "registry", CTS_WRITER_AUTHORITY, ARR(registry_fields) },
	{ "territory", CTS_WRITER_AUTHORITY, ARR(territory_fields) },
	{ "theme", CTS_WRITER_AUTHORITY, ARR(theme_fields) },
	{ "checkpoint", CTS_WRITER_AUTHORITY, ARR(checkpoint_fields) },
	{ "member", CTS_WRITER_TERRITORY, ARR(member_fields) },
	{ "meeting", CTS_WRITER_TERRITORY, ARR(meeting_fields) },
	{ "attendance", CTS_WRITER_TERRITORY, ARR(attendance_fields) },
	{ "opinion", CTS_WRITER_TERRITORY, ARR(opinion_fields) },
	{ "contribution", CTS_WRITER_TERRITORY, ARR(contribution_fields) },
	{ "fork", CTS_WRITER_ANY, ARR(fork_fields) },
};
const size_t cts_table_count = sizeof(cts_tables) / sizeof(cts_tables[0]);

const char *const cts_colleges[] = { "professionnels",       "usagers", "collectivites", "etat",
	                             "personnes-qualifiees", NULL };
const char *const cts_college_labels[] = {
	"Professionnels et offreurs",  "Usagers",
	"Collectivités territoriales", "État et organismes de sécurité sociale",
	"Personnalités qualifiées",    NULL
};
const char *const cts_bodies[] = { "pleniere", "bureau", "sante-mentale", "usagers", NULL };
const char *const cts_body_labels[] = { "Assemblée plénière", "Bureau",
	                                "Commission spécialisée en santé mentale",
	                                "Formation spécifique des usagers", NULL };
const char *const cts_builtin_themes[] = { "segur-pilier-1", "segur-pilier-2", "segur-pilier-3",
	                                   "segur-pilier-4", NULL };
const char *const cts_builtin_theme_labels[] = {
	"Ségur pilier 1 : transformer les métiers et revaloriser ceux qui soignent",
	"Ségur pilier 2 : définir une nouvelle politique d'investissement et de financement",
	"Ségur pilier 3 : simplifier les organisations et le quotidien des équipes",
	"Ségur pilier 4 : fédérer les acteurs de la santé dans les territoires", NULL
};
const char *const cts_seats[] = { "titulaire", "suppleant", NULL };
const char *const cts_seat_labels[] = { "Titulaire", "Suppléant", NULL };
const char *const cts_meeting_statuses[] = { "prevue", "tenue", "approuvee", "annulee", NULL };
const char *const cts_meeting_status_labels[] = { "Prévue", "Tenue", "Approuvée", "Annulée", NULL };
const char *const cts_outcomes[] = { "favorable", "defavorable", "reserve", NULL };
const char *const cts_outcome_labels[] = { "Favorable", "Défavorable", "Réservé", NULL };
const char *const cts_opinion_statuses[] = { "rendu", "retire", NULL };
const char *const cts_opinion_status_labels[] = { "Rendu", "Retiré", NULL };
const char *const cts_contribution_statuses[] = { "transmise", "retiree", NULL };
const char *const cts_contribution_status_labels[] = { "Transmise", "Retirée", NULL };
const char *const cts_attendance_statuses[] = { "present", "excused", "absent", NULL };
const char *const cts_attendance_status_labels[] = { "Présent", "Excusé", "Absent", NULL };
const char *const cts_attendance_colleges[] = {
	"professionnels",       "usagers", "collectivites", "etat",
	"personnes-qualifiees", "invite",  "ars",           NULL
};
const char *const cts_attendance_college_labels[] = { "Professionnels et offreurs",
	                                              "Usagers",
	                                              "Collectivités territoriales",
	                                              "État et organismes de sécurité sociale",
	                                              "Personnalités qualifiées",
	                                              "Invité",
	                                              "ARS",
	                                              NULL };
const char *const cts_roles[] = { "authority", "territory", NULL };
const char *const cts_role_labels[] = { "Autorité", "Territoire", NULL };

const cts_table_def *cts_table_find(const char *name)
{
	for (size_t i = 0; i < cts_table_count; i++)
		if (strcmp(cts_tables[i].name, name) == 0)
			return &cts_tables[i];
	return NULL;
}

const cts_field_def *cts_table_field(const cts_table_def *t, const char *name)
{
	for (size_t i = 0; i < t->nfields; i++)
		if (strcmp(t->fields[i].name, name) == 0)
			return &t->fields[i];
	return NULL;
}

int cts_code_index(const char *const *list, const char *code)
{
	for (int i = 0; code && list[i]; i++)
		if (strcmp(list[i], code) == 0)
			return i;
	return -1;
}

const char *cts_code_label(const char *const *codes, const char *const *labels, const char *code)
{
	int i = cts_code_index(codes, code);

	return i >= 0 ? labels[i] : code ? code : "";
}

static int valid_ident(const char *s, size_t min, size_t max)
{
	size_t n = 0;

	if (!s)
		return 0;
	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
		if (n >= max)
			return 0;
	}
	return n >= min;
}

int cts_valid_node_id(const char *s)
{
	return valid_ident(s, 3, 64);
}

int cts_valid_territory(const char *s)
{
	return valid_ident(s, 2, 64);
}

int cts_valid_code(const char *s)
{
	return valid_ident(s, 2, 64);
}

int cts_valid_hex64(const char *s)
{
	if (!s || strlen(s) != 64)
		return 0;
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int cts_valid_uuid(const char *s)
{
	if (!s || strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return 0;
		}
	}
	return 1;
}
