/*
 * dp_service: the glue dpagentd and dpagent.so share.  See dp_service.h.
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/dp_conf.h"
#include "agent/dp_service.h"
#include "util/dp_defaults.h"
#include "util/dp_log.h"
#include "util/dp_priv.h"

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

int
dp_service_serve(struct dp_service *svc, struct dp_agent *ag)
{
	if (dp_store_readonly(svc->store))
		dp_warn("%s is read-only for %s: every SET will fail (the "
		    "database and its directory need the dpagent group and "
		    "mode 0660/2770)", dp_service_database(svc),
		    svc->kind->whose);
	dp_agent_set_store(ag, svc->store);
	svc->notifier = dp_notify_start(svc->store, svc->busy_ms,
	    &svc->notify);
	if (svc->notifier == NULL)
		return -1;
	if (!svc->kind->agentx)
		dp_notify_in_master(svc->notifier);
	return 0;
}

void
dp_service_stop(struct dp_service *svc, struct dp_agent *ag)
{
	if (ag != NULL)
		dp_agent_set_store(ag, NULL);
	dp_notify_free(svc->notifier);
	svc->notifier = NULL;
	dp_service_close(svc);
}
