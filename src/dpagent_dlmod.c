/*
 * dpagent.so: DISTRIBUTION-POINT-MIB served inside snmpd, as a Net-SNMP
 * dlmod module.  The same handler (dp_agent), SET logic (dp_set), model
 * and notifier (dp_notify) as dpagentd, without the AgentX hop:
 *
 *     dlmod dpagent /usr/lib/x86_64-linux-gnu/snmp/dlmod/dpagent.so
 *     dpagentDatabase /var/lib/dpagent/dpagent.db
 *     dpagentBusyTimeout 250
 *     dpagentNotifyRate 50
 *     dpagentNotifyBacklog 10000
 *
 * snmpd loads the module when it parses the dlmod line and calls
 * init_dpagent(), which registers the dpagent* tokens: they must come
 * after the dlmod line (before it they are unknown tokens).  The store
 * is opened once the whole configuration is read
 * (SNMP_CALLBACK_POST_READ_CONFIG); until then, and if it cannot be
 * opened, the registered handler answers genErr.  On a reconfiguration
 * (SIGHUP) snmpd unloads the module (deinit_dpagent()) and loads it again.
 *
 * The price: our code runs inside snmpd, with snmpd's user and rights
 * (the database needs snmpd's user in the dpagent group), and a crash
 * of ours is a crash of the master.
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/dp_agent.h"
#include "agent/dp_conf.h"
#include "agent/dp_notify.h"
#include "model/dp_store.h"
#include "util/dp_log.h"
#include "util/dp_priv.h"

#define DEFAULT_DB		"/var/lib/dpagent/dpagent.db"
/* A request waits at most this long for a busy database: snmpd's single
 * thread serves everybody else meanwhile. */
#define DEFAULT_BUSY_MS		250

void	init_dpagent(void);
void	deinit_dpagent(void);

static struct {
	char		*db;
	int		 busy_ms;
	struct dp_notify_conf notify;
	struct dp_agent	*agent;
	struct dp_store	*store;
	struct dp_notifier *notifier;
	bool		 callback;
} mod;

static const char *const tokens[] = {
	"dpagentDatabase", "dpagentBusyTimeout", "dpagentNotifyRate",
	"dpagentNotifyBacklog",
};

/* Our lines in snmpd's log. */
static char log_prefix[] = "dpagent: ";

static void
conf_database(const char *token, char *line)
{
	(void)token;
	free(mod.db);
	mod.db = strdup(line);
}

static void
conf_busy_timeout(const char *token, char *line)
{
	long v;

	(void)token;
	if (dp_conf_number(line, 1, DP_CONF_BUSY_MAX_MS,
	    "dpagentBusyTimeout: milliseconds", &v))
		mod.busy_ms = (int)v;
}

static void
conf_notify_rate(const char *token, char *line)
{
	long v;

	(void)token;
	if (dp_conf_number(line, 1, DP_NOTIFY_MAX_RATE,
	    "dpagentNotifyRate: notifications per second", &v))
		mod.notify.rate = (unsigned)v;
}

static void
conf_notify_backlog(const char *token, char *line)
{
	long v;

	(void)token;
	if (dp_conf_number(line, 0, DP_CONF_BACKLOG_MAX,
	    "dpagentNotifyBacklog: waiting events (0: never summarise)", &v))
		mod.notify.backlog = (unsigned)v;
}

static void
stop_serving(void)
{
	if (mod.agent != NULL)
		dp_agent_set_store(mod.agent, NULL);
	dp_notify_free(mod.notifier);
	mod.notifier = NULL;
	dp_store_close(mod.store);
	mod.store = NULL;
}

/* The whole configuration is read: open the model and start notifying. */
static int
on_config_read(int major, int minor, void *server_arg, void *client_arg)
{
	char err[600];
	const char *db = mod.db != NULL ? mod.db : DEFAULT_DB;

	(void)major;
	(void)minor;
	(void)server_arg;
	(void)client_arg;
	if (mod.agent == NULL)
		return 0;
	stop_serving();
	/* snmpd's own AgentX socket is snmpd's business (agentXPerms). */
	dp_check_path_perms(db, "database");
	if ((mod.store = dp_store_open(db, 0, mod.busy_ms, err,
	    sizeof(err))) == NULL) {
		dp_err("%s; DISTRIBUTION-POINT-MIB answers genErr", err);
		return 0;
	}
	if (dp_store_readonly(mod.store))
		dp_warn("%s is read-only for snmpd's user: every SET will fail "
		    "(the database and its directory need the dpagent group "
		    "and mode 0660/2770)", db);
	dp_agent_set_store(mod.agent, mod.store);
	if ((mod.notifier = dp_notify_start(mod.store, mod.busy_ms,
	    &mod.notify)) != NULL)
		dp_notify_in_master(mod.notifier);
	dp_info("dpagent %s in snmpd serving %s", DP_VERSION, db);
	return 0;
}

void
init_dpagent(void)
{
	memset(&mod, 0, sizeof(mod));
	mod.busy_ms = DEFAULT_BUSY_MS;
	mod.notify.rate = DP_NOTIFY_DEFAULT_RATE;
	mod.notify.backlog = DP_NOTIFY_DEFAULT_BACKLOG;
	mod.notify.poll_ms = DP_NOTIFY_DEFAULT_POLL_MS;

	dp_log_set_sink(dp_conf_log_sink, log_prefix);
	dp_log_set_level(DP_LOG_DEBUG);	/* snmpd's -L filters */

	register_config_handler("snmpd", tokens[0], conf_database, NULL,
	    "FILE");
	register_config_handler("snmpd", tokens[1], conf_busy_timeout, NULL,
	    "MILLISECONDS");
	register_config_handler("snmpd", tokens[2], conf_notify_rate, NULL,
	    "NOTIFICATIONS-PER-SECOND");
	register_config_handler("snmpd", tokens[3], conf_notify_backlog, NULL,
	    "EVENTS");
	if (snmp_register_callback(SNMP_CALLBACK_LIBRARY,
	    SNMP_CALLBACK_POST_READ_CONFIG, on_config_read, NULL) ==
	    SNMPERR_SUCCESS)
		mod.callback = true;
	else
		dp_err("cannot register for the end of the configuration");
	/* The store comes with the end of the configuration. */
	mod.agent = dp_agent_register(NULL);
}

void
deinit_dpagent(void)
{
	if (mod.callback)
		snmp_unregister_callback(SNMP_CALLBACK_LIBRARY,
		    SNMP_CALLBACK_POST_READ_CONFIG, on_config_read, NULL, 1);
	mod.callback = false;
	for (size_t i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++)
		unregister_config_handler("snmpd", tokens[i]);
	dp_agent_unregister(mod.agent);	/* also frees it */
	mod.agent = NULL;
	stop_serving();		/* records what was delivered */
	free(mod.db);
	mod.db = NULL;
	dp_info("unloaded");
	dp_log_set_sink(NULL, NULL);
}
