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

#include <stdbool.h>
#include <string.h>

#include "agent/dp_agent.h"
#include "agent/dp_conf.h"
#include "agent/dp_service.h"
#include "util/dp_log.h"

void	init_dpagent(void);
void	deinit_dpagent(void);

static struct {
	struct dp_service *svc;		/* database, busy timeout, notifier */
	struct dp_agent	*agent;
	bool		 callback;
} mod;

/* Our lines in snmpd's log. */
static char log_prefix[] = "dpagent: ";

/* The whole configuration is read: open the model and start notifying. */
static int
on_config_read(int major, int minor, void *server_arg, void *client_arg)
{
	(void)major;
	(void)minor;
	(void)server_arg;
	(void)client_arg;
	if (mod.agent == NULL)
		return 0;
	dp_service_stop(mod.svc, mod.agent);
	dp_service_check_permissions(mod.svc);
	if (dp_service_open(mod.svc) != 0)
		return 0;
	/* Without a notifier the tables are served all the same. */
	(void)dp_service_serve(mod.svc, mod.agent);
	dp_info("dpagent %s in snmpd serving %s", DP_VERSION,
	    dp_service_database(mod.svc));
	return 0;
}

void
init_dpagent(void)
{
	memset(&mod, 0, sizeof(mod));
	dp_log_set_sink(dp_conf_log_sink, log_prefix);
	dp_log_set_level(DP_LOG_DEBUG);	/* snmpd's -L filters */

	/* dpagentDatabase, dpagentBusyTimeout, ... */
	mod.svc = dp_service_init(DP_SERVICE_IN_MASTER);
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
	dp_agent_unregister(mod.agent);	/* also frees it */
	mod.agent = NULL;
	dp_service_stop(mod.svc, NULL);	/* records what was delivered */
	dp_service_fini(mod.svc);	/* our tokens, the database path */
	dp_info("unloaded");
	dp_log_set_sink(NULL, NULL);
}
