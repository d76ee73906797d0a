/* libmicrohttpd glue: requests in, ui_app_handle, responses with the
 * security headers out. No HTTP parsing of our own here. */
#include "ui.h"

#include "app.h"
#include "error.h"
#include "sheet.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define UI_CONNECTIONS 32                 /* at once */
#define UI_CONNECTION_MEMORY (256 * 1024) /* headers and buffers of one connection */
#define UI_TIMEOUT_S 60                   /* an idle connection is closed */
#define UI_MULTIPART_MAX (CTS_SHEET_MAX_BYTES + 64 * 1024)
#define UI_POST_BUFFER (16 * 1024)
#define UI_DISCARD_MAX (64u * 1024 * 1024) /* body read past the limit before closing */

struct cts_ui_server {
	struct MHD_Daemon *d;
	ui_app *app;
	unsigned port;
};

typedef struct {
	ui_form *form;
	struct MHD_PostProcessor *pp;
	size_t received, limit;
	int body_error;
	int answered; /* a response was queued before the body ended */
} conn;

static const ui_form_limits post_limits = { 256, 64, UI_TEXT_MAX, CTS_SHEET_MAX_BYTES,
	                                    UI_MULTIPART_MAX };
static const ui_form_limits query_limits = { 32, 64, 4096, 0, 16 * 1024 };

static void quiet_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	(void)fmt;
	(void)ap; /* nothing is logged: requests may carry secrets */
}

static enum MHD_Result post_iterator(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *filename, const char *content_type,
                                     const char *transfer_encoding, const char *data, uint64_t off,
                                     size_t size)
{
	conn *k = cls;

	(void)kind;
	(void)content_type;
	(void)transfer_encoding;
	return ui_form_feed(k->form, key, filename, data, off, size) == 0 ? MHD_YES : MHD_NO;
}

static enum MHD_Result query_iterator(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
	(void)kind;
	ui_form_feed(cls, key ? key : "", NULL, value ? value : "", 0, value ? strlen(value) : 0);
	return MHD_YES;
}

static void add_headers(struct MHD_Response *resp, const ui_req *r)
{
	MHD_add_response_header(resp, "Content-Type",
	                        r->ctype ? r->ctype : "text/html; charset=utf-8");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(
	    resp, "Content-Security-Policy",
	    r->report_csp ? "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
	                    "frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
	                  : "default-src 'self'; frame-ancestors 'none'; form-action 'self'; "
	                    "base-uri 'none'");
	if (r->asset)
		MHD_add_response_header(resp, "Cache-Control",
		                        r->immutable ? "public, max-age=31536000, immutable"
		                                     : "no-cache");
	else
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (r->location[0])
		MHD_add_response_header(resp, "Location", r->location);
	if (r->set_cookie[0])
		MHD_add_response_header(resp, "Set-Cookie", r->set_cookie);
	if (r->disposition[0])
		MHD_add_response_header(resp, "Content-Disposition", r->disposition);
	if (r->status == 405)
		MHD_add_response_header(resp, "Allow", "GET, HEAD, POST");
}

static struct MHD_Response *make_response(ui_req *r)
{
	char *page = NULL;
	size_t len = 0;

	if (r->asset)
		return MHD_create_response_from_buffer(r->asset_len, (void *)r->asset,
		                                       MHD_RESPMEM_PERSISTENT);
	if (r->body) {
		struct MHD_Response *resp =
		    MHD_create_response_from_buffer(r->body_len, r->body, MHD_RESPMEM_MUST_FREE);
		if (resp)
			r->body = NULL;
		return resp;
	}
	if (ui_html_take(&r->page, &page, &len) < 0) {
		static const char oops[] = "Erreur interne : la page n'a pas pu être produite.\n";
		r->status = 500;
		r->ctype = "text/plain; charset=utf-8";
		return MHD_create_response_from_buffer(sizeof(oops) - 1, (void *)oops,
		                                       MHD_RESPMEM_PERSISTENT);
	}
	return MHD_create_response_from_buffer(len, page, MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result respond(cts_ui_server *s, struct MHD_Connection *c, const char *url,
                               const char *method, conn *k)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	ui_req r;

	ui_req_init(&r, s->app);
	r.method = method;
	r.path = url;
	r.host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	r.origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	r.cookie = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE);
	r.fetch_site = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site");
	if (ui_form_new(&r.query, &query_limits) < 0) {
		ui_req_dispose(&r);
		return MHD_NO;
	}
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_iterator, r.query);
	r.form = k ? k->form : NULL;
	r.body_error = k ? k->body_error : 0;
	if (!r.body_error && ui_form_error(r.query))
		r.body_error = CTS_EINVAL;
	ui_app_handle(s->app, &r);
	resp = make_response(&r);
	if (!resp) {
		ui_form_free(r.query);
		ui_req_dispose(&r);
		return MHD_NO;
	}
	add_headers(resp, &r);
	ret = MHD_queue_response(c, (unsigned)r.status, resp);
	MHD_destroy_response(resp);
	ui_form_free(r.query);
	ui_req_dispose(&r);
	return ret;
}

static enum MHD_Result first_call(struct MHD_Connection *c, const char *method, void **con_cls)
{
	conn *k = calloc(1, sizeof(*k));
	const char *ctype, *clen;

	if (!k)
		return MHD_NO;
	*con_cls = k;
	if (strcmp(method, "POST") != 0)
		return MHD_YES;
	ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	clen = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	k->limit = ctype && strncasecmp(ctype, "multipart/form-data", 19) == 0 ? UI_MULTIPART_MAX
	                                                                       : UI_FORM_MAX;
	if (clen && strtoull(clen, NULL, 10) > k->limit) {
		k->body_error = CTS_ELIMIT;
		return MHD_YES;
	}
	if (!ctype || (strncasecmp(ctype, "multipart/form-data", 19) != 0 &&
	               strncasecmp(ctype, "application/x-www-form-urlencoded", 33) != 0)) {
		k->body_error = CTS_EINVAL;
		return MHD_YES;
	}
	if (ui_form_new(&k->form, &post_limits) < 0 ||
	    !(k->pp = MHD_create_post_processor(c, UI_POST_BUFFER, post_iterator, k)))
		k->body_error = CTS_EINVAL;
	return MHD_YES;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls)
{
	cts_ui_server *s = cls;
	conn *k = *con_cls;

	(void)version;
	if (!k) {
		if (first_call(c, method, con_cls) != MHD_YES)
			return MHD_NO;
		k = *con_cls;
		if (k->body_error != CTS_ELIMIT)
			return MHD_YES;
		/* Declared too big: answered before any byte of the body is read
		 * (no "100 Continue"), then the connection is closed. */
		k->answered = 1;
		return respond(s, c, url, method, k);
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (k->answered)
			return MHD_YES;
		if (!k->body_error) {
			k->received += n;
			if (k->received > k->limit)
				k->body_error = CTS_ELIMIT;
			else if (k->pp && MHD_post_process(k->pp, upload_data, n) != MHD_YES)
				k->body_error =
				    ui_form_error(k->form) == CTS_ELIMIT ? CTS_ELIMIT : CTS_EINVAL;
		}
		/* libmicrohttpd cannot answer in the middle of a body: the rest
		 * of a too big one (sent without its length) is read and dropped,
		 * up to a bound past which the connection is simply closed. */
		if (k->body_error == CTS_ELIMIT && k->received > k->limit + UI_DISCARD_MAX)
			return MHD_NO;
		return MHD_YES;
	}
	if (k->answered)
		return MHD_YES;
	if (k->pp) {
		/* A truncated multipart body is refused here. */
		enum MHD_Result ok = MHD_destroy_post_processor(k->pp);
		k->pp = NULL;
		if (ok != MHD_YES && !k->body_error)
			k->body_error = CTS_EINVAL;
	}
	return respond(s, c, url, method, k);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	conn *k = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	*con_cls = NULL;
	if (!k)
		return;
	MHD_destroy_post_processor(k->pp); /* NULL unless the body was cut short */
	ui_form_free(k->form);
	free(k);
}

int cts_ui_server_start(cts_ui_server **out, const char *home, unsigned port, int wait_ms)
{
	cts_ui_server *s = calloc(1, sizeof(*s));
	struct sockaddr_in addr;
	const union MHD_DaemonInfo *info;
	int rc;

	*out = NULL;
	if (!s)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if (port > 65535) {
		free(s);
		return cts_error_set(CTS_EINVAL, "port invalide %u (0 à 65535)", port);
	}
	if ((rc = ui_app_new(&s->app, home, wait_ms)) < 0) {
		free(s);
		return rc;
	}
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* 127.0.0.1 only */
	s->d = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL, 0, NULL,
	    NULL, handler, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)UI_CONNECTIONS,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)UI_CONNECTION_MEMORY,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)UI_TIMEOUT_S, MHD_OPTION_NOTIFY_COMPLETED,
	    completed, NULL, MHD_OPTION_EXTERNAL_LOGGER, quiet_log, NULL, MHD_OPTION_END);
	if (!s->d) {
		ui_app_free(s->app);
		free(s);
		return cts_error_set(
		    CTS_EIO, "impossible d'écouter sur 127.0.0.1:%u (port déjà pris ?)", port);
	}
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : port;
	ui_app_set_port(s->app, s->port);
	*out = s;
	return 0;
}

unsigned cts_ui_server_port(const cts_ui_server *s)
{
	return s->port;
}

const char *cts_ui_server_token(const cts_ui_server *s)
{
	return s->app->token;
}

void cts_ui_server_tick(cts_ui_server *s)
{
	ui_app_tick(s->app);
}

void cts_ui_server_stop(cts_ui_server *s)
{
	if (!s)
		return;
	if (s->d)
		MHD_stop_daemon(s->d);
	ui_app_free(s->app);
	free(s);
}
