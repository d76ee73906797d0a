/*
 * The web interface's request handling without its HTTP library
 * (src/ui/app.h, request.h): Host and Origin checks, cookies, the launch
 * token, sessions, CSRF, routing, form fields fed in arbitrary chunks, and
 * every page handler reached with a node home that does not exist.
 *
 * Input: lines "method", "path", "Host", "Origin", "Cookie",
 * "Sec-Fetch-Site", "query" (k=v&k=v), then form fields "k=v", one a line,
 * fed in chunks whose size comes from the first byte. "-" is an absent
 * header. "@T" stands for the launch token, "@C" for a valid session
 * cookie, "@X" for that session's CSRF token. A first line starting with
 * "A" uses a regional node.
 * Properties:
 *  - a Host that is not 127.0.0.1:PORT or localhost:PORT gives 421;
 *  - only a valid session reaches a page (200) other than the assets;
 *  - a POST that succeeds (200 or 303) carried the session's CSRF token
 *    and no other origin;
 *  - a cookie is set only for the right launch token;
 *  - the page is valid UTF-8, redirects stay on this server, and no text
 *    of the request appears as markup (no "<x-fuzz" from the input).
 */
#include "harness.h"

#include "app.h"
#include "crypto.h"
#include "error.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

#define PORT 8080

static ui_app *apps[2];
static char cookies[2][160], csrfs[2][65];

static void new_session(int k)
{
	ui_req r;
	char *eq;

	ui_req_init(&r, apps[k]);
	FUZZ_CHECK(ui_form_new(&r.query, &(ui_form_limits){ 4, 16, 128, 0, 256 }) == 0);
	FUZZ_CHECK(
	    ui_form_feed(r.query, "token", NULL, apps[k]->token, 0, strlen(apps[k]->token)) == 0);
	r.method = "GET";
	r.path = "/";
	r.host = "127.0.0.1:8080";
	ui_app_handle(apps[k], &r);
	FUZZ_CHECK(r.status == 303 && r.set_cookie[0]);
	snprintf(cookies[k], sizeof(cookies[k]), "%s", r.set_cookie);
	eq = strchr(cookies[k], ';');
	FUZZ_CHECK(eq != NULL);
	*eq = '\0';
	snprintf(csrfs[k], sizeof(csrfs[k]), "%s", r.sess->csrf);
	ui_form_free(r.query);
	ui_req_dispose(&r);
}

static void setup(void)
{
	if (apps[0])
		return;
	FUZZ_CHECK(cts_crypto_init() == 0);
	FUZZ_CHECK(ui_app_new_offline(&apps[0], "/nonexistent/ctsnode-fuzz", CTS_ROLE_TERRITORY,
	                              "fuzz-poste", "fuzz") == 0);
	FUZZ_CHECK(ui_app_new_offline(&apps[1], "/nonexistent/ctsnode-fuzz", CTS_ROLE_AUTHORITY,
	                              "fuzz-region", "region") == 0);
	for (int k = 0; k < 2; k++) {
		ui_app_set_port(apps[k], PORT);
		apps[k]->node_wait_ms = 0;
		new_session(k);
	}
}

/* s with @T, @C, @X replaced (malloc'd). */
static char *expand(const char *s, int k)
{
	size_t cap = strlen(s) * 100 + 1, n = 0;
	char *out = malloc(cap);

	FUZZ_CHECK(out != NULL);
	for (; *s; s++) {
		const char *rep = NULL;
		if (s[0] == '@' && s[1] == 'T')
			rep = apps[k]->token;
		else if (s[0] == '@' && s[1] == 'C')
			rep = cookies[k];
		else if (s[0] == '@' && s[1] == 'X')
			rep = csrfs[k];
		if (rep) {
			memcpy(out + n, rep, strlen(rep));
			n += strlen(rep);
			s++;
		} else {
			out[n++] = *s;
		}
	}
	out[n] = '\0';
	return out;
}

/* The next line of the input (malloc'd, expanded), NULL at the end. */
static char *next_line(const char **p, const char *end, int k)
{
	const char *nl;
	char *raw, *line;

	if (*p >= end)
		return NULL;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	if (!nl)
		nl = end;
	raw = cts_fuzz_strndup((const uint8_t *)*p, (size_t)(nl - *p));
	*p = nl < end ? nl + 1 : end;
	line = expand(raw, k);
	free(raw);
	return line;
}

static const char *header(const char *v)
{
	return v && strcmp(v, "-") != 0 ? v : NULL;
}

static void feed_query(ui_form *q, char *query)
{
	for (char *tok = strtok(query, "&"); tok; tok = strtok(NULL, "&")) {
		char *eq = strchr(tok, '=');
		if (eq)
			*eq++ = '\0';
		ui_form_feed(q, tok, NULL, eq ? eq : "", 0, eq ? strlen(eq) : 0);
	}
}

static void feed_form(ui_form *f, const char **p, const char *end, int k, size_t chunk)
{
	char *line;

	while ((line = next_line(p, end, k))) {
		char *eq = strchr(line, '='), *v = eq ? eq + 1 : (char *)"";
		size_t len = strlen(v), off = 0;
		const char *file = NULL;
		if (eq)
			*eq = '\0';
		if (line[0] == '!') /* "!name=...": a file field */
			file = "feuille.csv";
		do {
			size_t n = len - off < chunk ? len - off : chunk;
			ui_form_feed(f, line + (file ? 1 : 0), file, v + off, off, n);
			off += n;
		} while (off < len);
		free(line);
	}
}

static int session_valid(int k, const char *cookie)
{
	return cookie && strstr(cookie, cookies[k]) != NULL;
}

static void check_response(ui_req *r, int k, const char *host, const char *cookie,
                           const char *origin, int token_ok)
{
	char *page = NULL;
	size_t len = 0;
	const char *csrf = r->form ? ui_form_get(r->form, "csrf") : NULL;

	if (!ui_host_ok(host, PORT)) {
		FUZZ_CHECK(r->status == 421);
		FUZZ_CHECK(r->set_cookie[0] == '\0');
	}
	if (r->set_cookie[0])
		FUZZ_CHECK(token_ok && r->status == 303);
	if (r->status == 200 && !r->asset)
		FUZZ_CHECK(session_valid(k, cookie));
	if (r->post && (r->status == 200 || r->status == 303)) {
		FUZZ_CHECK(session_valid(k, cookie));
		FUZZ_CHECK(csrf && strcmp(csrf, csrfs[k]) == 0);
		FUZZ_CHECK(ui_origin_ok(origin, PORT));
	}
	if (r->status == 303)
		FUZZ_CHECK(r->location[0] == '/' && r->location[1] != '/');
	if (r->asset || r->body)
		return;
	FUZZ_CHECK(ui_html_take(&r->page, &page, &len) == 0);
	FUZZ_CHECK(cts_text_utf8_valid(page, len));
	FUZZ_CHECK(strstr(page, "<x-fuzz") == NULL);
	for (const char *s = page; (s = strstr(s, "<script")); s++)
		FUZZ_CHECK(strncmp(s, "<script src=\"/static/", 21) == 0);
	free(page);
}

int cts_fuzz_uireq(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	char *lines[7] = { 0 };
	size_t chunk = size ? (size_t)data[0] % 64 + 1 : 1;
	int k = size && data[0] == 'A', token_ok;
	ui_req r;

	setup();
	for (int i = 0; i < 7; i++)
		lines[i] = next_line(&p, end, k);
	ui_req_init(&r, apps[k]);
	FUZZ_CHECK(ui_form_new(&r.query, &(ui_form_limits){ 32, 64, 4096, 0, 16384 }) == 0);
	r.method = lines[0] ? (lines[0][0] == 'A' ? lines[0] + 1 : lines[0]) : "GET";
	r.path = header(lines[1]) ? lines[1] : "/";
	r.host = header(lines[2]);
	r.origin = header(lines[3]);
	r.cookie = header(lines[4]);
	r.fetch_site = header(lines[5]);
	if (lines[6])
		feed_query(r.query, lines[6]);
	if (strcmp(r.method, "POST") == 0) {
		FUZZ_CHECK(ui_form_new(&r.form, &(ui_form_limits){ 64, 64, 8192, 8192, 65536 }) ==
		           0);
		feed_form(r.form, &p, end, k, chunk);
		r.body_error = ui_form_error(r.form);
	}
	if (!r.body_error && ui_form_error(r.query))
		r.body_error = CTS_EINVAL;
	token_ok = ui_form_get(r.query, "token") &&
	           strcmp(ui_form_get(r.query, "token"), apps[k]->token) == 0 &&
	           strcmp(r.path, "/") == 0 && strcmp(r.method, "GET") == 0;
	ui_app_handle(apps[k], &r);
	check_response(&r, k, r.host, r.cookie, r.origin, token_ok);
	ui_form_free(r.form);
	ui_form_free(r.query);
	ui_req_dispose(&r);
	for (int i = 0; i < 7; i++)
		free(lines[i]);
	/* A session the input replaced (new tokens evict the oldest) is made
	 * again so that "@C" stays meaningful. */
	{
		int alive = 0;
		for (int i = 0; i < UI_MAX_SESSIONS; i++)
			alive |= apps[k]->sessions[i].used &&
			         strstr(cookies[k], apps[k]->sessions[i].id) != NULL;
		if (!alive)
			new_session(k);
	}
	ui_job_join(apps[k]);
	return 0;
}
