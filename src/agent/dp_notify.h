/*
 * dp_notify: the notifier.  Sends dpStatusChange for every Status
 * transition of the model's event log, in seq (commit) order, through the
 * AgentX master, on Net-SNMP's alarms (no thread, never blocking).
 *
 * Why not send_v2trap(): a subagent's send_v2trap() hands the
 * notification to the library's AgentX trap session, which never learns
 * whether the master took it and silently drops it while the session is
 * down.  The notifier instead sends its own AgentX Notify-PDU on the
 * subagent's session with a response callback, one at a time, and
 * records the event delivered only when the master's Response carries no
 * error.  Anything else (error, timeout, a closed session, a restart of
 * either process) leaves the event undelivered, and it is sent again from
 * the first unacknowledged one: at least once, in order.  Receivers drop
 * duplicates by dpStatusEventSeq.  Inside snmpd (dpagent.so) there is no
 * session and send_v2trap() is the master's own path to its targets:
 * see dp_notify_in_master().
 *
 * The master's Response means it accepted the notification and handed it
 * to its trap2sink / informsink / trapsess targets (agentx_notify() in
 * Net-SNMP's master_admin.c answers after send_trap_vars()); whether a
 * manager got it is between the master and the manager (INFORMs are
 * retried by the master, traps are not).
 *
 * No sysUpTime.0 is sent: the master puts its own first, as SNMPv2
 * requires, which is the uptime of the agent a manager talks to.
 *
 * Pacing: a token bucket of conf.rate notifications per second (a burst of
 * at most rate / 50), so a large import neither floods the managers nor
 * holds the event loop: between two Notifies the loop answers GETs.  When
 * more than conf.backlog events wait, one dpStatusSummary with their
 * counts is sent instead, logged, and the events are recorded delivered
 * as counted in it (status_event.summary_seq).
 */
#ifndef DP_NOTIFY_H
#define DP_NOTIFY_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "model/dp_events.h"
#include "model/dp_store.h"

#define DP_NOTIFY_DEFAULT_RATE		50	/* per second */
#define DP_NOTIFY_MAX_RATE		1000000
#define DP_NOTIFY_DEFAULT_BACKLOG	10000	/* 0: never summarise */
#define DP_NOTIFY_DEFAULT_POLL_MS	100

struct dp_notify_conf {
	unsigned	rate;		/* per second, >= 1 */
	unsigned	backlog;	/* summary past this many; 0: never */
	unsigned	poll_ms;	/* how often the log is looked at */
};

struct dp_notifier;

/*
 * Starts the notifier's alarms on the model st (busy_ms: the store's busy
 * timeout, see dp_events_open()).  Nothing is sent until a session is
 * given.  NULL on failure, logged.
 */
struct dp_notifier *dp_notify_start(struct dp_store *st, int busy_ms,
	    const struct dp_notify_conf *conf);

/* The AgentX session to the master (SNMPD_CALLBACK_INDEX_START's
 * argument), or NULL when it is gone (SNMPD_CALLBACK_INDEX_STOP). */
void	dp_notify_session(struct dp_notifier *n, netsnmp_session *ss);

/*
 * In-master mode (dpagent.so inside snmpd): no AgentX session; each
 * notification goes out through send_v2trap(), which hands it to the
 * master's trap2sink / informsink / trapsess targets before returning,
 * and is recorded delivered right after (what a subagent's "the master
 * answered" means too).  Same order, pacing and summaries.
 */
void	dp_notify_in_master(struct dp_notifier *n);

/* Before snmp_shutdown(): sends nothing more, records what the master
 * acknowledged, stops the alarms. */
void	dp_notify_stop(struct dp_notifier *n);

/* Stops the notifier and lets go of the store (which may then be
 * closed), keeping the notifier itself for a Notify still outstanding on
 * a live session: its answer is ignored.  dp_notify_free() follows. */
void	dp_notify_release(struct dp_notifier *n);

/* After snmp_shutdown() (closing the session calls back an outstanding
 * Notify) and before dp_store_close(). */
void	dp_notify_free(struct dp_notifier *n);

/* Waiting events not yet acknowledged, an upper bound (tests, logs). */
int64_t	dp_notify_backlog(struct dp_notifier *n);

/*
 * The varbinds of a notification as they are sent: snmpTrapOID.0, then
 * the notification's objects in the MIB's OBJECTS order, each encoded by
 * dp_value as a GET would (dpStatusChange: instance dpEntry.col.S.P).
 * NULL when out of memory.  The caller frees with snmp_free_varbind().
 */
netsnmp_variable_list *dp_notify_change_varbinds(const struct dp_event *e);
netsnmp_variable_list *dp_notify_summary_varbinds(
	    const struct dp_event_summary *sum);

#endif
