/*
 * `ctsnode ui`: the local web interface (libmicrohttpd), bound to
 * 127.0.0.1 only. The command line starts it, prints its address and
 * stops it; everything else is in src/ui/ (app.h).
 */
#ifndef CTS_UI_H
#define CTS_UI_H

typedef struct cts_ui_server cts_ui_server;

/* Serve the node at `home` on 127.0.0.1:port (0: a free port). The node's
 * identity is read first, waiting up to wait_ms for its lock. *out:
 * cts_ui_server_stop. CTS_EIO when the port cannot be bound. */
int cts_ui_server_start(cts_ui_server **out, const char *home, unsigned port, int wait_ms);

/* The bound port, and the launch token of the first address. Borrowed. */
unsigned cts_ui_server_port(const cts_ui_server *s);
const char *cts_ui_server_token(const cts_ui_server *s);

/* Housekeeping, to call about every second (idle passphrases forgotten). */
void cts_ui_server_tick(cts_ui_server *s);

/* Stop serving, wait for a running job, wipe every session; accepts NULL. */
void cts_ui_server_stop(cts_ui_server *s);

#endif
