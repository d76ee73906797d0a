/* The no-progress watchdog of the git transport: a network exchange that
 * makes no progress for $CTSNODE_NET_TIMEOUT_S seconds (default 60; a test
 * hook) has its connections shut down. */
#ifndef CTS_GITNET_WATCH_H
#define CTS_GITNET_WATCH_H

/* Default no-progress timeout of a network exchange (seconds). */
#define CTS_GITNET_TIMEOUT_DEFAULT 60

/* The no-progress timeout in seconds ($CTSNODE_NET_TIMEOUT_S, 1 to 86400,
 * else CTS_GITNET_TIMEOUT_DEFAULT). */
int cts_gitnet_timeout_seconds(void);

/* A watchdog for one network exchange: when cts_gitnet_watch_touch() has
 * not been called for the timeout, it marks itself expired and shuts down
 * (shutdown(2), the descriptors stay open) every TCP socket the process
 * opened since the watch started, again every second until stopped, so
 * that the blocked connect, read or write fails instead of waiting
 * forever (libssh2 retries interrupted calls: a signal would not do).
 * SIGPIPE is blocked in the calling thread meanwhile (a closed connection
 * is an error, not a kill) and dropped at the stop, which the same thread
 * calls. One exchange at a time per process. *out: cts_gitnet_watch_stop(). */
typedef struct cts_gitnet_watch cts_gitnet_watch;
int cts_gitnet_watch_start(cts_gitnet_watch **out);
void cts_gitnet_watch_touch(cts_gitnet_watch *w);  /* progress; NULL: nothing */
int cts_gitnet_watch_expired(cts_gitnet_watch *w); /* NULL: 0 */
void cts_gitnet_watch_stop(cts_gitnet_watch *w);   /* joins, restores; NULL ok */

#endif
