/*
 * dp_service: what dpagentd (the AgentX subagent) and dpagent.so (the
 * in-master module) share around the handler: the configuration tokens
 * and their defaults, the permission warnings, and serving -- the store
 * opened, the handler given it, the notifier started -- and its undoing.
 *
 * The tokens are the same four in both, named for their file: database,
 * busyTimeout, notifyRate and notifyBacklog in dpagentd.conf (the command
 * line's --db wins, then the first line); dpagentDatabase,
 * dpagentBusyTimeout, ... in snmpd.conf, after the dlmod line (the last
 * line wins, as with snmpd's own tokens).  Net-SNMP's config handlers
 * take no argument, so there is one service per process.
 */
#ifndef DP_SERVICE_H
#define DP_SERVICE_H

#include <stdbool.h>

#include "agent/dp_agent.h"
#include "agent/dp_notify.h"
#include "model/dp_store.h"

/* A request waits at most this long for a busy database: well under the
 * master's agentXTimeout (1 s by default), and snmpd's single thread
 * serves everybody else meanwhile. */
#define DP_SERVICE_BUSY_MS	250

enum dp_service_mode {
	DP_SERVICE_SUBAGENT,	/* dpagentd */
	DP_SERVICE_IN_MASTER	/* dpagent.so in snmpd */
};

/* How often, while serving, the path is checked to still name the file
 * open (dp_store_file_check()). */
#define DP_SERVICE_WATCH_MS	500

struct dp_service {
	const struct dp_service_kind *kind;	/* of the mode */
	char		*db;		/* NULL: DP_DEFAULT_DB */
	int		 busy_ms;
	struct dp_notify_conf notify;
	struct dp_store	*store;		/* while serving */
	struct dp_notifier *notifier;	/* while serving, if it started */
	struct dp_agent	*agent;		/* while serving */
	netsnmp_session	*session;	/* a subagent's, while connected */
	unsigned	 watch_alarm;	/* while serving */
	enum dp_store_file file_seen;	/* what the watch said last */
	char		 reopen_err[600];	/* the last reopen's failure */
	/* The notifier of a database closed by a reopen (released), kept
	 * until the next reopen or the stop: a Notify may still be
	 * answered to it. */
	struct dp_notifier *old_notifier;
};

/* Sets the defaults and registers the mode's tokens. */
struct dp_service *dp_service_init(enum dp_service_mode mode);
/* Forgets the database path and, in the master, unregisters the tokens
 * (a subagent's go with snmp_shutdown(), which comes first).  Not while
 * serving. */
void	dp_service_fini(struct dp_service *svc);

void	dp_service_set_database(struct dp_service *svc, const char *path);
/* The database asked for, else the default. */
const char *dp_service_database(const struct dp_service *svc);

/* Warns about what would let another local user change what we serve:
 * the database, and a subagent's AgentX socket (snmpd's own is snmpd's
 * business: agentXPerms). */
void	dp_service_check_permissions(const struct dp_service *svc);

/* Opens the store.  0, or -1 logged (in the master: the MIB answers
 * genErr). */
int	dp_service_open(struct dp_service *svc);
/* Closes the store before any of it is served (dpagentd's fork). */
void	dp_service_close(struct dp_service *svc);

/*
 * With the store open: warns when it is read-only for our user, hands it
 * to the handler and starts the notifier, which in the master sends at
 * once, and in a subagent once given the AgentX session
 * (dp_notify_session()).  -1 when the notifier did not start (logged);
 * the handler serves anyway.
 */
int	dp_service_serve(struct dp_service *svc, struct dp_agent *ag);
/* A subagent's AgentX session (NULL when it is gone), for the notifier,
 * also the one of a reopened database. */
void	dp_service_session(struct dp_service *svc, netsnmp_session *ss);

/*
 * While serving, every DP_SERVICE_WATCH_MS: when the path no longer names
 * the file open (deleted, or another file moved or copied to it), says so
 * once, and SETs are refused (dp_set); once a database is at the path
 * again, opens it and serves it instead (the handler's read-ahead dropped,
 * the notifier restarted on it), unless a SET is unfinished.  The alarm
 * calls this; tests call it directly.
 */
void	dp_service_watch(struct dp_service *svc);

/* Takes the store from the handler (ag may be NULL), frees the notifier
 * (recording what was delivered) and closes the store. */
void	dp_service_stop(struct dp_service *svc, struct dp_agent *ag);

#endif
