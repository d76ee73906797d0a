/*
 * The web interface without its HTTP library: sessions, the security
 * checks every request goes through, routing, background jobs and pages.
 * server.c feeds it requests from libmicrohttpd; the fuzz target feeds it
 * requests directly.
 *
 * A request is handled in three steps (ui_app_handle):
 *   1. Host check (421), static assets, the launch token exchanged for a
 *      session cookie (303), the session (403 page without one);
 *   2. for a POST: the Origin (403 when another origin) and the session's
 *      CSRF token in the form field "csrf" (403 when missing or wrong);
 *   3. the page handler of the route, one at a time (app->mx): it opens
 *      the node for the request only (cts_node_open_wait with a short
 *      wait), so the command line can work on the same home meanwhile.
 */
#ifndef CTS_UI_APP_H
#define CTS_UI_APP_H

#include "html.h"
#include "node.h"
#include "opinion.h"
#include "request.h"

#include <jansson.h>
#include <pthread.h>
#include <time.h>

#define UI_MAX_SESSIONS 8
#define UI_SESSION_IDLE_S (12 * 3600)   /* a session unused this long is dropped */
#define UI_PASS_IDLE_S (15 * 60)        /* the passphrase is forgotten after this */
#define UI_PAGE_MAX (16u * 1024 * 1024) /* bytes of one generated page */
#define UI_NODE_WAIT_MS 1500            /* wait for the node's lock per request */
#define UI_TEXT_MAX (256u * 1024)       /* bytes of a text form field */
#define UI_FORM_MAX (512u * 1024)       /* bytes of an url-encoded form */

typedef struct ui_app ui_app;
typedef struct ui_req ui_req;

typedef struct {
	int used;
	char id[65];   /* cookie value */
	char csrf[65]; /* form field "csrf" */
	time_t last_seen;
	char *pass; /* sodium_malloc'd and locked; NULL when none */
	/* The sheet kept between its preview and its confirmation. */
	char up_meeting[37];
	char *up_data;
	size_t up_len;
	char up_name[128];
	int up_create, up_absent, up_replace; /* cts_attendance_options chosen */
	/* A one-time notice shown by the next page (after a redirect). */
	char flash[1024];
} ui_session;

typedef enum { UI_JOB_NONE = 0, UI_JOB_SYNC, UI_JOB_PULL, UI_JOB_AUDIT } ui_job_kind;

/* What a finished job found (copied out under the job lock). */
typedef struct {
	ui_job_kind kind;
	int rc;             /* 0 or a cts_error code */
	char message[1024]; /* French error message when rc < 0 */
	time_t started, finished;
	int sealed, committed, pushed, queued, checkpointed, accepted, duplicates, rebuilt;
	json_t *events;   /* import events (owned) */
	json_t *findings; /* sync findings (owned) */
	json_t *blocked;  /* branches of this node not pushed (owned) */
	int forks;        /* forks learned */
	json_t *audit;    /* audit report (owned) */
	char repository[512];
} ui_outcome;

typedef struct {
	pthread_mutex_t mx;
	pthread_t thread;
	int thread_live; /* a thread to join */
	int running;
	ui_job_kind kind;
	char phase[200];
	size_t done, total;
	time_t started;
	char *pass;           /* the job's copy of the passphrase (sodium) */
	ui_outcome last_sync; /* last sync or region pull */
	ui_outcome last_audit;
} ui_jobs;

struct ui_app {
	char *home;
	unsigned port;
	char token[65]; /* the launch token of the first address */
	char cookie_name[40];
	/* The node's identity, read once at start (it never changes). */
	cts_node_identity ident;
	cts_role role;
	int key_encrypted;
	pthread_mutex_t mx; /* pages, sessions */
	ui_session sessions[UI_MAX_SESSIONS];
	ui_jobs job;
	int pass_idle_s;
	int node_wait_ms;
	time_t (*now)(void);
};

struct ui_req {
	ui_app *app;
	/* request */
	const char *method, *path;
	int post;
	const char *host, *origin, *cookie, *fetch_site;
	ui_form *query; /* query arguments (never NULL once dispatched) */
	ui_form *form;  /* POST fields (NULL for GET) */
	int body_error; /* CTS_ELIMIT (413) or CTS_EINVAL (400) from the body */
	/* state */
	ui_session *sess;
	char param[80]; /* the "*" segment of the route */
	cts_node *node; /* opened by ui_open for this request */
	/* response */
	int status;
	ui_html page;      /* HTML body (the default) */
	const char *ctype; /* content type when not HTML */
	char *body;        /* owned raw body (report, CSV, JSON) */
	size_t body_len;
	const unsigned char *asset; /* borrowed static body */
	size_t asset_len;
	int immutable;  /* asset: cache for a year */
	int report_csp; /* the self-contained report: its inline style allowed */
	char location[512];
	char set_cookie[160];
	char disposition[200];
	/* layout */
	int errors_in_page; /* the page shows a form error: title says so */
	int refresh;        /* without JavaScript, reload every second */
};

/* ---- app.c ---- */

/* A new app for the node at `home`: reads the node's identity (waiting up
 * to wait_ms for its lock) and makes the launch token. *out: ui_app_free. */
int ui_app_new(ui_app **out, const char *home, int wait_ms);
void ui_app_free(ui_app *a);
/* An app whose node identity is given rather than read at start (the
 * fuzz target): requests that need the node still open `home`. */
int ui_app_new_offline(ui_app **out, const char *home, cts_role role, const char *node_id,
                       const char *territory);
/* The port the server listens on (known once it is bound). */
void ui_app_set_port(ui_app *a, unsigned port);
/* Housekeeping, about every second: forget idle passphrases and sessions. */
void ui_app_tick(ui_app *a);
/* Handle one request (fields of r filled by the caller, r->page initialised
 * by ui_req_init); the response is left in r. */
void ui_app_handle(ui_app *a, ui_req *r);
void ui_req_init(ui_req *r, ui_app *a);
void ui_req_dispose(ui_req *r);

/* Open the node for this request (r->node), waiting app->node_wait_ms.
 * CTS_EBUSY when another process holds it. */
int ui_open(ui_req *r);

/* Wipe and drop a session's passphrase (Verrouiller). */
void ui_session_lock(ui_session *s);
/* Keep a copy of a passphrase in the session (sodium memory). */
int ui_session_set_pass(ui_session *s, const char *pass);
/* Drop the kept sheet. */
void ui_session_drop_upload(ui_session *s);
/* A notice for the next page. */
void ui_flash(ui_req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- jobs.c ---- */

/* Start a background job (one at a time). pass: the passphrase to sign
 * with (copied; NULL when the key has none). CTS_EBUSY if one runs. */
int ui_job_start(ui_app *a, ui_job_kind kind, const char *pass);
/* 1 while a job runs. */
int ui_job_running(ui_app *a);
/* Wait for the running job's thread (shutdown). */
void ui_job_join(ui_app *a);
void ui_outcome_dispose(ui_outcome *o);

/* ---- page.c: layout and forms ---- */

typedef struct {
	const ui_form *values; /* what was typed (NULL: defaults) */
	const char *error;     /* the library's French message, NULL: none */
	const char *field;     /* the field it concerns (NULL: the whole form) */
	int busy;              /* the node was busy: nothing written */
	char msg[1024];        /* a copy of the library's message */
} ui_fs;

/* The library refused (rc): keep what was typed, copy its message and
 * tie it to one of `fields` (form field names; `table`: the record whose
 * rules, rules.h, name them); the status says why (503 busy, 400, 409, 500). */
void ui_fs_refuse(ui_req *r, ui_fs *fs, int rc, const char *table, const char *const *fields);

enum { UI_F_REQUIRED = 1, UI_F_TEXTAREA = 2, UI_F_WIDE = 4, UI_F_SHORT = 8 };

/* One line of a facts list: fmt (literal markup, as ui_html_f: an <li>
 * with its figures) when some is nonzero, else "<li>none</li>" (none is
 * text). */
void ui_fact(ui_req *r, int some, const char *none, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void ui_page_begin(ui_req *r, const char *title, const char *nav);
void ui_page_end(ui_req *r);
/* Redirect (303) to location, with a notice for the next page (may be NULL). */
void ui_redirect(ui_req *r, const char *location);
/* A whole page saying what went wrong (status: 400, 403, 404, 500, 503...). */
void ui_error_page(ui_req *r, int status, const char *title, const char *message);
/* The page for a failure of the library (busy node: 503 with the fixed
 * words; not found: 404; invalid: 400; else 500). */
void ui_fail_page(ui_req *r, int rc, const char *title);

/* The node opened and the records of `table` of its territory
 * (cts_change_list) into *out (new reference): 0, or -1 after the failure
 * page (its title: title). */
int ui_open_list(ui_req *r, const char *table, const char *title, json_t **out);

/* The record the address names (r->param, an id) among table's rows, the
 * node opened: a new reference, or NULL after an error page -- the
 * failure page's title, then the 404 page's title, its words for an
 * address that is not an id and for an id that is not in the list. */
typedef struct {
	const char *table;
	const char *title, *absent, *not_an_id, *missing;
} ui_record_kind;
json_t *ui_load_record(ui_req *r, const ui_record_kind *k);

/* A library message in the words of a page: command-line advice
 * ("(ctsnode ...)", "--again", "--replace"...) dropped or said as the
 * page's controls. Into out (len bytes); returns out. */
const char *ui_plain(const char *msg, char *out, size_t len);

/* Form pieces (all escape their text). */
void ui_form_begin(ui_req *r, const char *action, int multipart, const char *cls);
void ui_form_end(ui_req *r);
void ui_csrf_field(ui_req *r);
/* The error summary at the top of a form, with a link to the field. */
void ui_error_summary(ui_req *r, const ui_fs *fs, const char *first_field);
/* Which of `fields` (NULL-terminated) a library message is about, or NULL. */
const char *ui_error_field(const char *msg, const char *table, const char *const *fields);
/* The value to show in a field: what was typed, else dflt. */
const char *ui_fs_value(const ui_fs *fs, const char *name, const char *dflt);
void ui_input(ui_req *r, const ui_fs *fs, const char *name, const char *label, const char *type,
              const char *dflt, const char *hint, int flags);
/* A select of codes/labels (NULL-terminated parallel lists). */
void ui_select(ui_req *r, const ui_fs *fs, const char *name, const char *label,
               const char *const *codes, const char *const *labels, const char *dflt,
               const char *hint, int flags);
/* A select whose options are rows of a JSON array (value key, label key;
 * label_fn builds the label when not NULL). first: an empty first option
 * label, or NULL. */
void ui_select_json(ui_req *r, const ui_fs *fs, const char *name, const char *label,
                    const json_t *rows, const char *vkey,
                    void (*label_fn)(ui_html *h, const json_t *row), const char *first,
                    const char *dflt, const char *hint, int flags);
/* Radio buttons in a fieldset. */
void ui_radios(ui_req *r, const ui_fs *fs, const char *name, const char *legend,
               const char *const *codes, const char *const *labels, const char *dflt, int flags);
void ui_checkbox(ui_req *r, const ui_fs *fs, const char *name, const char *label, int checked,
                 const char *hint);
void ui_button(ui_req *r, const char *label, const char *cls);

/* Labels and dates. */
const char *ui_college_label(const char *code);
const char *ui_body_label(const char *code);
const char *ui_meeting_status_label(const char *code);
const char *ui_attendance_label(const char *code);
const char *ui_outcome_label(const char *code);
/* "2020-06-16" -> "16/06/2020" into buf[11] ("" when not a date). */
const char *ui_date_fr(const char *iso, char buf[11]);
/* RFC 3339 UTC -> "16/06/2020 à 14:05" local time into buf[32]. */
const char *ui_time_fr(const char *rfc3339, char buf[32]);
const char *ui_epoch_fr(time_t t, char buf[32]);
/* The first element of a JSON array whose string member `key` is `value`
 * (borrowed), or NULL. */
const json_t *ui_find(const json_t *list, const char *key, const char *value);
/* o[key] as a string ("" when absent or not a string), as an integer. */
const char *ui_str(const json_t *o, const char *key);
long long ui_int(const json_t *o, const char *key);
/* The query or form value, "" when absent. */
const char *ui_arg(const ui_req *r, const char *key);

/* ---- pages (one handler per route) ---- */

void ui_page_home(ui_req *r);
void ui_page_members(ui_req *r);
void ui_page_members_csv(ui_req *r);
void ui_page_member_new(ui_req *r);
void ui_post_member_add(ui_req *r);
void ui_page_member_edit(ui_req *r);
void ui_post_member_update(ui_req *r);
void ui_page_member_remove(ui_req *r);
void ui_post_member_remove(ui_req *r);
void ui_page_meetings(ui_req *r);
void ui_page_meeting_new(ui_req *r);
void ui_post_meeting_add(ui_req *r);
void ui_page_meeting(ui_req *r);
void ui_post_attendance(ui_req *r);
void ui_page_meeting_edit(ui_req *r);
void ui_post_meeting_update(ui_req *r);
void ui_post_meeting_status(ui_req *r);
void ui_post_meeting_reopen(ui_req *r);
void ui_page_meeting_cancel(ui_req *r);
void ui_post_meeting_cancel(ui_req *r);
void ui_page_meeting_restore(ui_req *r);
void ui_post_meeting_restore(ui_req *r);
void ui_post_sheet_preview(ui_req *r);
void ui_post_sheet_confirm(ui_req *r);
void ui_post_sheet_drop(ui_req *r);
void ui_page_opinions(ui_req *r);
void ui_page_opinion_new(ui_req *r);
void ui_post_opinion_add(ui_req *r);
void ui_post_opinion_update(ui_req *r);
void ui_page_contributions(ui_req *r);
void ui_page_contribution_new(ui_req *r);
void ui_post_contribution_add(ui_req *r);
void ui_post_contribution_update(ui_req *r);
/* Withdraw or restore an opinion or a contribution (the address says
 * which): the confirmation page, then the change. */
void ui_page_record_status(ui_req *r);
/* The edit page of an opinion or a contribution (the address says which). */
void ui_page_record_edit(ui_req *r);
void ui_post_record_status(ui_req *r);
void ui_page_members_removed(ui_req *r);
void ui_post_member_restore(ui_req *r);
void ui_page_conflicts(ui_req *r);
void ui_post_conflict_resolve(ui_req *r);
void ui_page_reports(ui_req *r);
void ui_page_report_view(ui_req *r);
void ui_page_report_download(ui_req *r);
void ui_page_nodes(ui_req *r);
void ui_post_node_enroll(ui_req *r);
void ui_page_node_revoke(ui_req *r);
void ui_post_node_revoke(ui_req *r);
void ui_page_reception(ui_req *r);
void ui_post_reception(ui_req *r);
void ui_page_audit(ui_req *r);
void ui_post_audit(ui_req *r);
void ui_page_sync(ui_req *r);
void ui_post_sync(ui_req *r);
void ui_page_sync_state(ui_req *r);
void ui_page_passphrase(ui_req *r);
void ui_post_passphrase(ui_req *r);
void ui_post_lock(ui_req *r);

/* ---- p_meetings.c, p_attendance.c: a meeting's page ---- */

/* The meeting of the route (r->param) as a new reference, the node open;
 * NULL after a failure page. */
json_t *ui_load_meeting(ui_req *r);
/* "Séance plénière du 16/06/2020" into buf. */
void ui_meeting_title(const json_t *m, char *buf, size_t len);
/* The meeting's page; fs (may be NULL): a refused form of the page. */
void ui_meeting_page(ui_req *r, const json_t *m, const ui_fs *fs);
/* The attendance of meeting m (rows: cts_attendance_list) as the list
 * of its roll with a choice per person. */
void ui_attendance_section(ui_req *r, const json_t *m, const json_t *rows);

/* The import options of a sheet as checkboxes (fs: what was typed). */
void ui_sheet_options(ui_req *r, const ui_fs *fs);

/* ---- p_records.c, p_record_fix.c: Avis, Contributions ---- */

/* The add (rec NULL) or edit form of an opinion / a contribution. */
void ui_opinion_form(ui_req *r, const ui_fs *fs, const json_t *rec);
void ui_contribution_form(ui_req *r, const ui_fs *fs, const json_t *rec);
/* The three vote counts of the form into f: NULL, or the field refused
 * with its message in msg. */
const char *ui_form_votes(ui_req *r, cts_opinion_fields *f, char *msg, size_t len);
/* Under an edit form: the link to withdraw the record, or to restore it
 * when its status is `withdrawn` (base: "/avis", "/contributions"). */
void ui_record_status_link(ui_req *r, const char *base, const json_t *rec, const char *withdrawn);

/* Shared by the pages that start a job needing the key: the passphrase
 * page when the key is encrypted and none is kept, else the job. */
void ui_start_signed_job(ui_req *r, ui_job_kind kind, const char *then);

/* ---- p_sync.c: shared by the pages that show jobs ---- */

/* The running job's progress when it is of one of these kinds (kinds is
 * a bit set of 1 << ui_job_kind), else nothing; returns 1 if shown. */
int ui_job_progress(ui_req *r, unsigned kinds);
/* The outcome of the last sync / pull in plain words. */
void ui_sync_outcome(ui_req *r, const ui_outcome *o, int heading_level);
/* The progress of a running sync or pull, else the last outcome and a
 * button posting to `action`. */
void ui_sync_panel(ui_req *r, int heading_level, const char *action, const char *button);
/* A copy of the last outcome of that kind (taken under the job lock;
 * dispose with ui_outcome_dispose). */
void ui_outcome_copy(ui_app *a, ui_job_kind kind, ui_outcome *out);

/* ---- assets (generated at build time from src/ui/assets/) ---- */

typedef struct {
	const char *name; /* "style.css" */
	const char *type; /* content type */
	const unsigned char *data;
	size_t len;
} ui_asset;

extern const ui_asset ui_assets[];
extern const size_t ui_asset_count;
extern const char ui_assets_version[]; /* short hash of every asset */

#endif
