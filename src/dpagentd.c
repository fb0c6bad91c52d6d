/*
 * dpagentd: the AgentX subagent that serves DISTRIBUTION-POINT-MIB from
 * the dpagent model.  Single-threaded, on Net-SNMP's event loop.
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/agent/agent_callbacks.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/dp_agent.h"
#include "agent/dp_conf.h"
#include "agent/dp_notify.h"
#include "model/dp_store.h"
#include "util/dp_log.h"

#define APP_NAME		"dpagentd"
#define DEFAULT_DB		"/var/lib/dpagent/dpagent.db"
/* Well under the master's agentXTimeout (1 s by default): a busy database
 * must fail a request, never make the master give up on us. */
#define DEFAULT_BUSY_MS		250
#define DEFAULT_PING_S		5
#define HOUSEKEEPING_S		1

static volatile sig_atomic_t stopping;

static struct {
	char		*db;		/* --db, or "database" in the config */
	int		 busy_ms;
	bool		 connected;
	unsigned	 losses;
	struct dp_notify_conf notify;
	netsnmp_session	*session;	/* AgentX, while connected */
	struct dp_notifier *notifier;
} cfg = { NULL, DEFAULT_BUSY_MS, false, 0, { DP_NOTIFY_DEFAULT_RATE,
    DP_NOTIFY_DEFAULT_BACKLOG, DP_NOTIFY_DEFAULT_POLL_MS }, NULL, NULL };

static void
usage(FILE *f)
{
	fprintf(f,
"usage: dpagentd [-f] [--db FILE] [-x SOCKET] [-c FILE] [-C] [-p PIDFILE]\n"
"                [-L LOGOPTS] [-DTOKENS] [--help] [--version]\n"
"\n"
"AgentX subagent serving DISTRIBUTION-POINT-MIB from the dpagent database.\n"
"\n"
"  -f, --foreground   do not fork; log to stderr unless -L says otherwise\n"
"  --db FILE          the database (default: 'database' in dpagentd.conf,\n"
"                     else " DEFAULT_DB ")\n"
"  -x SOCKET          the master's AgentX socket (agentXSocket)\n"
"  -c FILE            read this configuration file too\n"
"  -C                 do not read the default configuration files\n"
"  -p, --pidfile FILE write the process ID to FILE\n"
"  -L LOGOPTS         Net-SNMP logging: -Le stderr, -Lf FILE, -Lsd syslog\n"
"                     (facility daemon), -Lo stdout, -LN... with priority\n"
"  -DTOKENS           Net-SNMP debug output for these tokens (-Dagentx)\n"
"  -h, --help         this text\n"
"  -V, --version      the version\n"
"\n"
"Configuration: dpagentd.conf in Net-SNMP's SNMPCONFPATH (for example\n"
"/etc/snmp/dpagentd.conf) with the tokens database, busyTimeout,\n"
"notifyRate, notifyBacklog and the standard agentXSocket, agentXTimeout,\n"
"agentXRetries, agentxPingInterval.\n");
}

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
conf_database(const char *token, char *line)
{
	(void)token;
	/* The command line wins over the file. */
	if (cfg.db == NULL)
		cfg.db = strdup(line);
}

static void
conf_busy_timeout(const char *token, char *line)
{
	long v;

	(void)token;
	if (dp_conf_number(line, 1, DP_CONF_BUSY_MAX_MS,
	    "busyTimeout: milliseconds", &v))
		cfg.busy_ms = (int)v;
}

static void
conf_notify_rate(const char *token, char *line)
{
	long v;

	(void)token;
	if (dp_conf_number(line, 1, DP_NOTIFY_MAX_RATE,
	    "notifyRate: notifications per second", &v))
		cfg.notify.rate = (unsigned)v;
}

static void
conf_notify_backlog(const char *token, char *line)
{
	long v;

	(void)token;
	if (dp_conf_number(line, 0, DP_CONF_BACKLOG_MAX,
	    "notifyBacklog: waiting events (0: never summarise)", &v))
		cfg.notify.backlog = (unsigned)v;
}

static int
on_master(int major, int minor, void *server_arg, void *client_arg)
{
	(void)major;
	(void)client_arg;
	/* The session the notifier sends its Notify-PDUs on; the library
	 * closes it after INDEX_STOP. */
	if (minor == SNMPD_CALLBACK_INDEX_START)
		cfg.session = server_arg;
	else if (minor == SNMPD_CALLBACK_INDEX_STOP)
		cfg.session = NULL;
	dp_notify_session(cfg.notifier, cfg.session);
	if (minor == SNMPD_CALLBACK_INDEX_START) {
		if (cfg.losses > 0)
			dp_notice("AgentX master is back: serving "
			    "DISTRIBUTION-POINT-MIB again");
		else
			dp_notice("connected to the AgentX master: serving "
			    "DISTRIBUTION-POINT-MIB");
		cfg.connected = true;
	} else if (minor == SNMPD_CALLBACK_INDEX_STOP && cfg.connected) {
		cfg.connected = false;
		cfg.losses++;
		if (!stopping)
			dp_warn("lost the AgentX master; reconnecting every "
			    "%d s", netsnmp_ds_get_int(NETSNMP_DS_APPLICATION_ID,
			    NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL));
	}
	return 0;
}

/*
 * Nothing to do but to wake the loop: a signal that lands just before
 * select() would otherwise wait for the next request.
 */
static void
housekeeping(unsigned int reg, void *arg)
{
	(void)reg;
	(void)arg;
}

static struct dp_store *
open_store(void)
{
	struct dp_store *st;
	char err[600];

	st = dp_store_open(cfg.db, 0, cfg.busy_ms, err, sizeof(err));
	if (st == NULL)
		dp_err("%s", err);
	return st;
}

static int
write_pidfile(const char *path)
{
	FILE *f;

	if ((f = fopen(path, "w")) == NULL) {
		dp_err("%s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "%ld\n", (long)getpid());
	if (fclose(f) != 0) {
		dp_err("%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct sigaction sa;
	struct dp_store *st = NULL;
	struct dp_agent *ag = NULL;
	const char *pidfile = NULL;
	bool foreground = false, logging_set = false;
	int ch, ex = EXIT_FAILURE;

	umask(007);
	/* -Ls and the default daemon log are tagged dpagentd, not net-snmp. */
	snmp_log_syslogname(APP_NAME);
	/* The agent answers with OIDs, never names: load no MIB files. */
	setenv("MIBS", "", 1);
	while ((ch = getopt_long(argc, argv, "fd:x:c:Cp:L:D::hV", opts, NULL))
	    != -1) {
		switch (ch) {
		case 'f':
			foreground = true;
			break;
		case 'd':
			cfg.db = strdup(optarg);
			break;
		case 'x':
			netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID,
			    NETSNMP_DS_AGENT_X_SOCKET, optarg);
			break;
		case 'c':
			netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID,
			    NETSNMP_DS_LIB_OPTIONALCONFIG, optarg);
			break;
		case 'C':
			netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
			    NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'L':
			if (snmp_log_options(optarg, argc, argv) < 0) {
				usage(stderr);
				return 2;
			}
			logging_set = true;
			break;
		case 'D':
			debug_register_tokens(optarg);
			snmp_set_do_debugging(1);
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case 'V':
			printf("dpagentd (dpagent) %s, Net-SNMP %s\n",
			    DP_VERSION, netsnmp_get_version());
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!logging_set) {
		snmp_enable_stderrlog();
		if (!foreground)
			snmp_enable_syslog_ident(APP_NAME, LOG_DAEMON);
	}
	dp_log_set_sink(dp_conf_log_sink, NULL);	/* one log: -L */
	dp_log_set_level(DP_LOG_DEBUG);	/* Net-SNMP's -L filters */

	/* A subagent that never blocks on signals or persistent files. */
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID,
	    NETSNMP_DS_AGENT_ROLE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);

	if (init_agent(APP_NAME) != 0) {
		dp_err("cannot initialise the agent library");
		return EXIT_FAILURE;
	}
	/* Explicit reconnect interval (the library's default is 15 s); the
	 * configuration file may still set agentxPingInterval. */
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID,
	    NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, DEFAULT_PING_S);
	register_app_config_handler("database", conf_database, NULL, "FILE");
	register_app_config_handler("busyTimeout", conf_busy_timeout, NULL,
	    "MILLISECONDS");
	register_app_config_handler("notifyRate", conf_notify_rate, NULL,
	    "NOTIFICATIONS-PER-SECOND");
	register_app_config_handler("notifyBacklog", conf_notify_backlog, NULL,
	    "EVENTS");
	snmp_register_callback(SNMP_CALLBACK_APPLICATION,
	    SNMPD_CALLBACK_INDEX_START, on_master, NULL);
	snmp_register_callback(SNMP_CALLBACK_APPLICATION,
	    SNMPD_CALLBACK_INDEX_STOP, on_master, NULL);
	if ((ag = dp_agent_register(NULL)) == NULL)
		goto out;

	/* Reads dpagentd.conf and connects to the master. */
	init_snmp(APP_NAME);
	if (cfg.db == NULL)
		cfg.db = strdup(DEFAULT_DB);

	/* Check the database before forking, so that a wrong path is said on
	 * the terminal; the connection is reopened in the child (an SQLite
	 * connection must not cross a fork). */
	if ((st = open_store()) == NULL)
		goto out;
	if (!foreground) {
		dp_store_close(st);
		st = NULL;
		if (netsnmp_daemonize(1, logging_set &&
		    snmp_stderrlog_status()) != 0) {
			dp_err("cannot daemonise: %s", strerror(errno));
			goto out;
		}
		if ((st = open_store()) == NULL)
			goto out;
	}
	if (pidfile != NULL && write_pidfile(pidfile) != 0)
		goto out;
	if (dp_store_readonly(st))
		dp_warn("%s is read-only for this user: every SET will fail "
		    "(the database and its directory need the dpagent group "
		    "and mode 0660/2770)", cfg.db);
	dp_agent_set_store(ag, st);
	if ((cfg.notifier = dp_notify_start(st, cfg.busy_ms, &cfg.notify)) ==
	    NULL)
		goto out;
	dp_notify_session(cfg.notifier, cfg.session);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	snmp_alarm_register(HOUSEKEEPING_S, SA_REPEAT, housekeeping, NULL);

	dp_info("dpagentd %s serving %s", DP_VERSION, cfg.db);
	while (!stopping)
		agent_check_and_process(1);
	dp_info("stopping on a signal");
	/* Take in what is pending first (notably a master that went away at
	 * the same moment), so that the shutdown does not talk to a closed
	 * session. */
	agent_check_and_process(0);
	ex = EXIT_SUCCESS;
out:
	/* Record what the master acknowledged before the session closes;
	 * closing it calls back a Notify still unanswered, so the notifier
	 * goes after snmp_shutdown(), and before the store it reads. */
	dp_notify_stop(cfg.notifier);
	snmp_shutdown(APP_NAME);
	dp_notify_free(cfg.notifier);
	dp_agent_free(ag);
	dp_store_close(st);
	if (pidfile != NULL && ex == EXIT_SUCCESS)
		unlink(pidfile);
	free(cfg.db);
	return ex;
}
