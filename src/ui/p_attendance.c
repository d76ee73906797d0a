/* A meeting's attendance as the list of its roll: one choice per person
 * (présent, excusé, absent, non noté) in one form, saved with
 * cts_attendance_set / cts_attendance_remove for the rows that changed. */
#include "app.h"

#include "attendance.h"
#include "error.h"
#include "meeting.h"
#include "roll.h"
#include "tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H(...) ui_html_f(&r->page, __VA_ARGS__)

#define ATT_FLASH_ITEMS 6 /* changes named one by one in the notice */

static const char *const choices[] = { "present", "excused", "absent", "none", NULL };
static const char *const choice_labels[] = { "Présent", "Excusé", "Absent", "Non noté", NULL };

/* The status recorded for member `id` ("" when none, or a guest). */
static const char *recorded(const json_t *rows, const char *id)
{
	size_t i;
	json_t *a;

	json_array_foreach(rows, i,
	                   a) if (!json_is_true(json_object_get(a, "guest")) &&
	                          strcmp(ui_str(a, "member"), id) == 0) return ui_str(a, "status");
	return "";
}

/* Is member m on the meeting's list: a mandate covering the date, or a mark already recorded. */
static int listed(const cts_roll_member *m, const char *date, const json_t *rows)
{
	return cts_roll_in_mandate(m, date) || *recorded(rows, m->id);
}

static void person_choice(ui_req *r, const cts_roll_member *m, const char *now, int locked)
{
	char name[80];

	snprintf(name, sizeof(name), "m_%s", m->id);
	H("<fieldset class=\"person\"><legend>%s %s", m->last_name, m->first_name);
	if (*m->organisation)
		H(" <span class=\"org\">— %s</span>", m->organisation);
	if (strcmp(m->seat, "suppleant") == 0)
		H(" <span class=\"org\">(suppléant)</span>");
	H("</legend>");
	for (size_t i = 0; choices[i]; i++) {
		int on = strcmp(choices[i], *now ? now : "none") == 0;
		H("<span class=\"choice\"><input type=\"radio\" id=\"f-%s-%s\" name=\"%s\" "
		  "value=\"%s\"%s%s>"
		  "<label for=\"f-%s-%s\">%s</label></span>",
		  name, choices[i], name, choices[i], on ? " checked" : "",
		  locked ? " disabled" : "", name, choices[i], choice_labels[i]);
	}
	H("</fieldset>");
}

static void guests_table(ui_req *r, const json_t *rows)
{
	size_t i, n = 0;
	json_t *a;

	json_array_foreach(rows, i, a) n += json_is_true(json_object_get(a, "guest"));
	H("<h3>Invités</h3>");
	if (!n) {
		H("<p>Aucun invité noté.</p>");
		return;
	}
	H("<table><caption class=\"visually-hidden\">Invités de la réunion</caption><thead><tr><th "
	  "scope=\"col\">Nom</th>"
	  "<th scope=\"col\">Prénom</th><th scope=\"col\">Structure</th></tr></thead><tbody>");
	json_array_foreach(rows, i, a) if (json_is_true(json_object_get(a, "guest")))
	    H("<tr><td>%s</td><td>%s</td><td>%s</td></tr>", ui_str(a, "last_name"),
	      ui_str(a, "first_name"), ui_str(a, "organisation"));
	H("</tbody></table>");
}

/* Marks of people who are no longer on the roll (removed members). */
static void others_table(ui_req *r, const cts_roll *roll, const json_t *rows)
{
	size_t i, k, n = 0;
	json_t *a;

	json_array_foreach(rows, i, a)
	{
		const char *id = ui_str(a, "member");
		if (json_is_true(json_object_get(a, "guest")))
			continue;
		for (k = 0; k < roll->count && strcmp(roll->members[k].id, id) != 0; k++)
			;
		if (k < roll->count)
			continue;
		if (!n++)
			H("<h3>Personnes qui ne sont plus dans la liste des membres</h3><ul>");
		H("<li>%s %s : %s</li>", ui_str(a, "last_name"), ui_str(a, "first_name"),
		  ui_attendance_label(ui_str(a, "status")));
	}
	if (n)
		H("</ul>");
}

static void counts(ui_req *r, const json_t *rows)
{
	long present = 0, excused = 0, absent = 0, guests = 0;
	size_t i;
	json_t *a;

	json_array_foreach(rows, i, a)
	{
		const char *s = ui_str(a, "status");
		if (json_is_true(json_object_get(a, "guest")))
			guests++;
		else if (strcmp(s, "present") == 0)
			present++;
		else if (strcmp(s, "excused") == 0)
			excused++;
		else
			absent++;
	}
	H("<p class=\"counts\">%ld présent(s), %ld excusé(s), %ld absent(s) ; %ld invité(s).</p>",
	  present, excused, absent, guests);
}

/* The roll by college, one choice per person (disabled when locked). */
static void roll_choices(ui_req *r, const cts_roll *roll, const char *date, const json_t *rows,
                         int locked)
{
	size_t n = 0;

	for (size_t c = 0; cts_colleges[c]; c++) {
		size_t k = 0;
		for (size_t i = 0; i < roll->count; i++) {
			const cts_roll_member *m = &roll->members[i];
			if (strcmp(m->college, cts_colleges[c]) != 0 || !listed(m, date, rows))
				continue;
			if (!k++)
				H("<h3>Collège « %s »</h3>", cts_college_labels[c]);
			person_choice(r, m, recorded(rows, m->id), locked);
			n++;
		}
	}
	if (!n)
		H("<p>Aucun membre de la liste n'a un mandat qui couvre la date de cette "
		  "réunion.</p>");
}

void ui_attendance_section(ui_req *r, const json_t *m, const json_t *rows)
{
	const char *status = ui_str(m, "status"), *date = ui_str(m, "date");
	int locked = strcmp(status, "approuvee") == 0;
	cts_roll *roll = NULL;
	char action[160];

	H("<section aria-labelledby=\"h-presences\"><h2 id=\"h-presences\">Présences</h2>");
	if (strcmp(status, "prevue") == 0) {
		H("<p>Cette réunion est prévue : les présences se notent une fois la réunion tenue "
		  "(bouton « Marquer "
		  "comme tenue » ci-dessus).</p></section>");
		return;
	}
	if (strcmp(status, "annulee") == 0) {
		H("<p>Cette réunion est annulée : elle ne prend pas de présences. Rétablissez-la "
		  "pour en noter.</p></section>");
		return;
	}
	counts(r, rows);
	if (cts_roll_load(r->node, r->node->territory, &roll) < 0) {
		H("<p class=\"error-msg\">%s</p></section>", cts_error_message());
		cts_error_clear();
		return;
	}
	if (locked)
		H("<p>Le compte rendu de cette réunion est approuvé : les présences sont "
		  "verrouillées. Rouvrez la réunion "
		  "(plus haut) pour les corriger.</p>");
	snprintf(action, sizeof(action), "/reunions/%s/presences", ui_str(m, "id"));
	if (!locked) {
		ui_form_begin(r, action, 0, "form attendance");
		H("<p>Pour chaque membre dont le mandat couvre la date, choisissez sa présence "
		  "puis enregistrez : seules les "
		  "lignes modifiées sont écrites.</p>");
	}
	roll_choices(r, roll, date, rows, locked);
	if (!locked) {
		H("<div class=\"buttons\">");
		ui_button(r, "Enregistrer les présences", NULL);
		H("</div>");
		ui_form_end(r);
	}
	others_table(r, roll, rows);
	guests_table(r, rows);
	H("</section>");
	cts_roll_free(roll);
}

/* Append s to buf (len bytes), cut on a character boundary when full. */
static void append(char *buf, size_t len, const char *s)
{
	size_t used = strlen(buf), k = strlen(s);

	if (used + 1 >= len)
		return;
	if (k > len - used - 1) {
		k = len - used - 1;
		while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
			k--;
	}
	memcpy(buf + used, s, k);
	buf[used + k] = '\0';
}

/* One change into the notice being built. */
static void note_change(char *buf, size_t len, size_t *n, const char *line)
{
	if (*n < ATT_FLASH_ITEMS) {
		if (*n)
			append(buf, len, " ; ");
		append(buf, len, line);
	}
	(*n)++;
}

/* Set or remove one person's mark when the form's choice differs. */
static int apply_choice(ui_req *r, const cts_roll_member *m, const json_t *rows, char *buf,
                        size_t len, size_t *n)
{
	cts_attendance_change ch = { 0 };
	char key[80];
	const char *want, *now = recorded(rows, m->id);
	int rc;

	snprintf(key, sizeof(key), "m_%s", m->id);
	want = ui_form_get(r->form, key);
	if (!want || cts_code_index(choices, want) < 0 || strcmp(want, *now ? now : "none") == 0)
		return 0;
	rc = strcmp(want, "none") == 0 ? cts_attendance_remove(r->node, r->param, m->id, &ch)
	                               : cts_attendance_set(r->node, r->param, m->id, want, &ch);
	if (rc == 0 && ch.changed)
		note_change(buf, len, n, ch.message);
	return rc;
}

void ui_post_attendance(ui_req *r)
{
	json_t *m, *rows = NULL;
	cts_roll *roll = NULL;
	char loc[160], buf[900] = "";
	size_t n = 0;
	int rc = 0;

	if (!(m = ui_load_meeting(r)))
		return;
	if ((rc = cts_attendance_list(r->node, r->param, &rows)) < 0 ||
	    (rc = cts_roll_load(r->node, r->node->territory, &roll)) < 0) {
		ui_fail_page(r, rc, "Présences");
		goto out;
	}
	for (size_t i = 0; i < roll->count && rc == 0; i++)
		if (listed(&roll->members[i], ui_str(m, "date"), rows))
			rc = apply_choice(r, &roll->members[i], rows, buf, sizeof(buf), &n);
	if (rc < 0 && n == 0) {
		ui_fail_page(r, rc, "Présences");
		goto out;
	}
	if (rc < 0)
		ui_flash(r, "%zu changement(s) enregistré(s) (%s), puis un refus : %s", n, buf,
		         cts_error_message());
	else if (!n)
		ui_flash(r, "Aucune présence n'a changé : rien n'a été enregistré.");
	else if (n > ATT_FLASH_ITEMS)
		ui_flash(r, "%zu présence(s) modifiée(s) : %s ; et %zu autre(s).", n, buf,
		         n - ATT_FLASH_ITEMS);
	else
		ui_flash(r, "%zu présence(s) modifiée(s) : %s.", n, buf);
	snprintf(loc, sizeof(loc), "/reunions/%s#h-presences", r->param);
	ui_redirect(r, loc);
out:
	cts_roll_free(roll);
	json_decref(rows);
	json_decref(m);
}
