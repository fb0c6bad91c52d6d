/*
 * dp_service: the glue dpagentd and dpagent.so share.  See dp_service.h.
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/dp_conf.h"
#include "agent/dp_service.h"
#include "util/dp_defaults.h"
#include "util/dp_log.h"
#include "util/dp_priv.h"

/* SQLite's unix VFS: the byte of the -shm file that every connection
 * holds a shared lock on while it has it (UNIX_SHM_DMS, os_unix.c). */
#define DP_SHM_DMS_BYTE	128

enum token {
	T_DATABASE,
	T_BUSY_TIMEOUT,
	T_NOTIFY_RATE,
	T_NOTIFY_BACKLOG,
	T_COUNT
};

/* What differs between the modes. */
struct dp_service_kind {
	const char	*type;		/* config file type; NULL: the app's */
	bool		 first_db;	/* the first database wins, not last */
	bool		 agentx;	/* a subagent of an AgentX master */
	const char	*whose;		/* user, in the read-only warning */
	const char	*no_store;	/* what a store failing to open means */
	const char	*tokens[T_COUNT];
};

static const struct dp_service_kind kinds[] = {
	[DP_SERVICE_SUBAGENT] = { NULL, true, true, "this user", "", {
	    "database", "busyTimeout", "notifyRate", "notifyBacklog" } },
	[DP_SERVICE_IN_MASTER] = { "snmpd", false, false, "snmpd's user",
	    "; DISTRIBUTION-POINT-MIB answers genErr", {
	    "dpagentDatabase", "dpagentBusyTimeout", "dpagentNotifyRate",
	    "dpagentNotifyBacklog" } },
};

static const char *const helps[T_COUNT] = {
	[T_DATABASE] = "FILE",
	[T_BUSY_TIMEOUT] = "MILLISECONDS",
	[T_NOTIFY_RATE] = "NOTIFICATIONS-PER-SECOND",
	[T_NOTIFY_BACKLOG] = "EVENTS",
};

/* The numeric tokens: their range and what config_perror() calls them
 * after the token's name. */
static const struct {
	long		 min;
	long		 max;
	const char	*what;
} numbers[T_COUNT] = {
	[T_BUSY_TIMEOUT] = { 1, DP_CONF_BUSY_MAX_MS, "milliseconds" },
	[T_NOTIFY_RATE] = { 1, DP_NOTIFY_MAX_RATE,
	    "notifications per second" },
	[T_NOTIFY_BACKLOG] = { 0, DP_CONF_BACKLOG_MAX,
	    "waiting events (0: never summarise)" },
};

/* One per process: Net-SNMP's config handlers take no argument. */
static struct dp_service service;

static void
conf_database(const char *token, char *line)
{
	(void)token;
	if (service.kind->first_db && service.db != NULL)
		return;		/* the command line wins over the file */
	free(service.db);
	service.db = strdup(line);
}

static void
conf_number(const char *token, char *line)
{
	char what[160];
	long v;
	int t;

	/* The library matches tokens without regard to case. */
	for (t = T_BUSY_TIMEOUT; t < T_COUNT; t++)
		if (strcasecmp(token, service.kind->tokens[t]) == 0)
			break;
	if (t == T_COUNT)
		return;
	snprintf(what, sizeof(what), "%s: %s", service.kind->tokens[t],
	    numbers[t].what);
	if (!dp_conf_number(line, numbers[t].min, numbers[t].max, what, &v))
		return;
	switch (t) {
	case T_BUSY_TIMEOUT:
		service.busy_ms = (int)v;
		break;
	case T_NOTIFY_RATE:
		service.notify.rate = (unsigned)v;
		break;
	default:	/* T_NOTIFY_BACKLOG */
		service.notify.backlog = (unsigned)v;
		break;
	}
}

struct dp_service *
dp_service_init(enum dp_service_mode mode)
{
	struct dp_service *svc = &service;

	memset(svc, 0, sizeof(*svc));
	svc->kind = &kinds[mode];
	svc->busy_ms = DP_SERVICE_BUSY_MS;
	svc->notify.rate = DP_NOTIFY_DEFAULT_RATE;
	svc->notify.backlog = DP_NOTIFY_DEFAULT_BACKLOG;
	svc->notify.poll_ms = DP_NOTIFY_DEFAULT_POLL_MS;
	for (int t = 0; t < T_COUNT; t++) {
		register_config_handler(svc->kind->type, svc->kind->tokens[t],
		    t == T_DATABASE ? conf_database : conf_number, NULL,
		    helps[t]);
	}
	return svc;
}

void
dp_service_fini(struct dp_service *svc)
{
	/* A subagent's snmp_shutdown() has dropped its handlers and the
	 * name of its file type; a module unloaded from snmpd drops its own. */
	for (int t = 0; t < T_COUNT && !svc->kind->agentx; t++)
		unregister_config_handler(svc->kind->type,
		    svc->kind->tokens[t]);
	free(svc->db);
	svc->db = NULL;
}

void
dp_service_set_database(struct dp_service *svc, const char *path)
{
	free(svc->db);
	svc->db = strdup(path);
}

const char *
dp_service_database(const struct dp_service *svc)
{
	return svc->db != NULL ? svc->db : DP_DEFAULT_DB;
}

/* The AgentX socket's path when it is a unix socket, else NULL. */
static const char *
agentx_socket_path(void)
{
	const char *s = netsnmp_ds_get_string(NETSNMP_DS_APPLICATION_ID,
	    NETSNMP_DS_AGENT_X_SOCKET);

	if (s == NULL)
		return NETSNMP_AGENTX_SOCKET;
	if (strncmp(s, "unix:", 5) == 0)
		return s + 5;
	return *s == '/' ? s : NULL;
}

void
dp_service_check_permissions(const struct dp_service *svc)
{
	const char *sock;

	dp_check_path_perms(dp_service_database(svc), "database");
	if (!svc->kind->agentx)
		return;
	if ((sock = agentx_socket_path()) != NULL)
		dp_check_path_perms(sock, "AgentX socket");
	else
		dp_warn("AgentX socket %s is not a unix socket: AgentX has no "
		    "authentication, whoever reaches it can answer for the "
		    "master", netsnmp_ds_get_string(NETSNMP_DS_APPLICATION_ID,
		    NETSNMP_DS_AGENT_X_SOCKET));
}

int
dp_service_open(struct dp_service *svc)
{
	char err[600];

	svc->store = dp_store_open(dp_service_database(svc), 0, svc->busy_ms,
	    err, sizeof(err));
	if (svc->store == NULL) {
		dp_err("%s%s", err, svc->kind->no_store);
		return -1;
	}
	return 0;
}

void
dp_service_close(struct dp_service *svc)
{
	dp_store_close(svc->store);
	svc->store = NULL;
}

/* The notifier on svc->store, sending through the session or the
 * master's own targets.  -1 when it did not start (logged). */
static int
start_notifier(struct dp_service *svc)
{
	svc->notifier = dp_notify_start(svc->store, svc->busy_ms,
	    &svc->notify);
	if (svc->notifier == NULL)
		return -1;
	if (!svc->kind->agentx)
		dp_notify_in_master(svc->notifier);
	else if (svc->session != NULL)
		dp_notify_session(svc->notifier, svc->session);
	return 0;
}

static void
on_watch(unsigned int reg, void *arg)
{
	(void)reg;
	dp_service_watch(arg);
}

int
dp_service_serve(struct dp_service *svc, struct dp_agent *ag)
{
	struct timeval tv;

	if (dp_store_readonly(svc->store))
		dp_warn("%s is read-only for %s: every SET will fail (the "
		    "database and its directory need the dpagent group and "
		    "mode 0660/2770)", dp_service_database(svc),
		    svc->kind->whose);
	dp_agent_set_store(ag, svc->store);
	svc->agent = ag;
	svc->file_seen = DP_STORE_FILE_SAME;
	svc->reopen_err[0] = '\0';
	tv.tv_sec = DP_SERVICE_WATCH_MS / 1000;
	tv.tv_usec = (DP_SERVICE_WATCH_MS % 1000) * 1000;
	if (svc->watch_alarm == 0 && (svc->watch_alarm =
	    snmp_alarm_register_hr(tv, SA_REPEAT, on_watch, svc)) == 0)
		dp_warn("cannot register the alarm that watches %s: a "
		    "database deleted or replaced under us goes unnoticed",
		    dp_service_database(svc));
	return start_notifier(svc);
}

void
dp_service_session(struct dp_service *svc, netsnmp_session *ss)
{
	svc->session = ss;
	dp_notify_session(svc->notifier, ss);
}

/* Whether the file at path looks like a whole SQLite database yet (a
 * copy in progress may not): the old one is closed only for one. */
static bool
looks_whole(const char *path)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	struct stat sb;
	FILE *f;
	bool ok;

	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < 512)
		return false;
	if ((f = fopen(path, "rb")) == NULL)
		return false;
	ok = fread(head, 1, sizeof(head), f) == sizeof(head) &&
	    memcmp(head, magic, sizeof(magic)) == 0;
	fclose(f);
	return ok;
}

/*
 * The old file's -wal and -shm, once its connection is closed: SQLite
 * does not checkpoint a moved file at close and leaves them, and a
 * connection to the new file would read that WAL's frames over it.
 * Removed only when no other process has them (the shm's DMS byte, which
 * every connection holds shared, can be locked exclusively); 0 when none
 * is left, -1 otherwise.
 */
static int
drop_old_journal(const char *path)
{
	char wal[PATH_MAX + 8], shm[PATH_MAX + 8];
	struct flock fl;
	int fd, rc = -1;

	snprintf(wal, sizeof(wal), "%s-wal", path);
	snprintf(shm, sizeof(shm), "%s-shm", path);
	if ((fd = open(shm, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno != ENOENT)
			return -1;
		return unlink(wal) == 0 || errno == ENOENT ? 0 : -1;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = DP_SHM_DMS_BYTE;
	fl.l_len = 1;
	if (fcntl(fd, F_SETLK, &fl) == 0 &&
	    (unlink(wal) == 0 || errno == ENOENT) &&
	    (unlink(shm) == 0 || errno == ENOENT))
		rc = 0;
	close(fd);
	return rc;
}

/*
 * Serves the database now at the path instead of the one open.  The old
 * connection is closed first: its -wal and -shm have the path's names, and
 * a connection opened beside them would read the old file's WAL frames
 * over the new file.  Closing the last connection checkpoints them into
 * the old file and removes them.
 */
static void
reopen(struct dp_service *svc)
{
	const char *path = dp_service_database(svc);
	char err[sizeof(svc->reopen_err)];

	/* A SET between its phases read the old file's rows. */
	if (svc->agent != NULL && dp_agent_unfinished_sets(svc->agent) > 0)
		return;
	if (svc->store != NULL) {
		if (!looks_whole(path))
			return;		/* the next watch looks again */
		if (svc->agent != NULL)
			dp_agent_set_store(svc->agent, NULL);
		dp_notify_free(svc->old_notifier);
		dp_notify_release(svc->notifier);
		svc->old_notifier = svc->notifier;
		svc->notifier = NULL;
		dp_service_close(svc);
	}
	if (drop_old_journal(path) != 0) {
		snprintf(err, sizeof(err), "%s-wal and %s-shm of the old file "
		    "are still in use by another process (dpctl?); SQLite "
		    "would read them as the new file's", path, path);
		if (strcmp(err, svc->reopen_err) != 0)
			dp_err("cannot open the new database yet: %s; "
			    "until then DISTRIBUTION-POINT-MIB answers genErr",
			    err);
		snprintf(svc->reopen_err, sizeof(svc->reopen_err), "%s", err);
		return;
	}
	if ((svc->store = dp_store_open(path, 0, svc->busy_ms, err,
	    sizeof(err))) == NULL) {
		/* Said once per reason; tried again at the next watch. */
		if (strcmp(err, svc->reopen_err) != 0)
			dp_err("cannot open the new database: %s; until it "
			    "can be, DISTRIBUTION-POINT-MIB answers genErr",
			    err);
		snprintf(svc->reopen_err, sizeof(svc->reopen_err), "%s", err);
		return;
	}
	/* Giving the agent the store drops its read-ahead windows. */
	if (svc->agent != NULL)
		dp_agent_set_store(svc->agent, svc->store);
	svc->file_seen = DP_STORE_FILE_SAME;
	svc->reopen_err[0] = '\0';
	dp_notice("%s: opened the new database file: serving it, SETs "
	    "accepted again", path);
	if (dp_store_readonly(svc->store))
		dp_warn("%s is read-only for %s: every SET will fail",
		    path, svc->kind->whose);
	(void)start_notifier(svc);
}

void
dp_service_watch(struct dp_service *svc)
{
	enum dp_store_file f;
	char buf[96];

	if (svc->watch_alarm == 0)
		return;		/* not serving */
	if (svc->store == NULL) {
		reopen(svc);	/* a reopen that failed */
		return;
	}
	f = dp_store_file_check(svc->store);
	if (f != svc->file_seen && f != DP_STORE_FILE_SAME)
		dp_err("%s: the database file %s since it was opened: %s",
		    dp_store_path(svc->store), dp_store_file_text(svc->store,
		    f, buf, sizeof(buf)), f == DP_STORE_FILE_GONE ?
		    "SETs are refused (writes would be lost) until a "
		    "database is at the path again" : "SETs are refused "
		    "until it is open; opening it");
	svc->file_seen = f;
	if (f == DP_STORE_FILE_REPLACED)
		reopen(svc);
}

void
dp_service_stop(struct dp_service *svc, struct dp_agent *ag)
{
	if (svc->watch_alarm != 0)
		snmp_alarm_unregister(svc->watch_alarm);
	svc->watch_alarm = 0;
	if (ag != NULL)
		dp_agent_set_store(ag, NULL);
	svc->agent = NULL;
	dp_notify_free(svc->notifier);
	dp_notify_free(svc->old_notifier);
	svc->notifier = svc->old_notifier = NULL;
	dp_service_close(svc);
}
