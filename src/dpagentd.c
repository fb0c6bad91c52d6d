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
#include <pwd.h>
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
#include "util/dp_priv.h"

#define APP_NAME		"dpagentd"
#define DEFAULT_DB		"/var/lib/dpagent/dpagent.db"
/* Started as root without --user or agentuser: become this user if it
 * exists (the one of the systemd unit and tmpfiles.d). */
#define DEFAULT_USER		"dpagent"
/* Well under the master's agentXTimeout (1 s by default): a busy database
 * must fail a request, never make the master give up on us. */
#define DEFAULT_BUSY_MS		250
#define DEFAULT_PING_S		5
#define HOUSEKEEPING_S		1

static volatile sig_atomic_t stopping;

/* -p: opened at start-up, written once daemonised. */
static struct {
	const char	*path;
	FILE		*file;
} pid;

static struct {
	char		*db;		/* --db, or "database" in the config */
	char		*user;		/* --user, else agentuser */
	char		*group;		/* --group, else agentgroup */
	char		*conf_user;
	char		*conf_group;
	int		 busy_ms;
	bool		 connected;
	unsigned	 losses;
	struct dp_notify_conf notify;
	netsnmp_session	*session;	/* AgentX, while connected */
	struct dp_notifier *notifier;
} cfg = { NULL, NULL, NULL, NULL, NULL, DEFAULT_BUSY_MS, false, 0,
    { DP_NOTIFY_DEFAULT_RATE, DP_NOTIFY_DEFAULT_BACKLOG,
    DP_NOTIFY_DEFAULT_POLL_MS }, NULL, NULL };

static void
usage(FILE *f)
{
	fprintf(f,
"usage: dpagentd [-f] [--db FILE] [-x SOCKET] [-c FILE] [-C] [-p PIDFILE]\n"
"                [-u USER] [-g GROUP] [-L LOGOPTS] [-DTOKENS] [--help]\n"
"                [--version]\n"
"\n"
"AgentX subagent serving DISTRIBUTION-POINT-MIB from the dpagent database.\n"
"\n"
"  -f, --foreground   do not fork; log to stderr unless -L says otherwise\n"
"  --db FILE          the database (default: 'database' in dpagentd.conf,\n"
"                     else " DEFAULT_DB ")\n"
"  -x SOCKET          the master's AgentX socket (agentXSocket)\n"
"  -c FILE            read this configuration file too\n"
"  -C                 do not read the default configuration files\n"
"  -p, --pidfile FILE write the process ID to FILE (opened before\n"
"                     privileges are dropped)\n"
"  -u, --user USER    started as root, run as USER (name or number;\n"
"                     agentuser; default " DEFAULT_USER " if it exists;\n"
"                     root keeps root)\n"
"  -g, --group GROUP  and as GROUP (agentgroup; default: USER's group)\n"
"  -L LOGOPTS         Net-SNMP logging: -Le stderr, -Lf FILE, -Lsd syslog\n"
"                     (facility daemon), -Lo stdout, -LN... with priority\n"
"  -DTOKENS           Net-SNMP debug output for these tokens (-Dagentx)\n"
"  -h, --help         this text\n"
"  -V, --version      the version\n"
"\n"
"Configuration: dpagentd.conf in Net-SNMP's SNMPCONFPATH (for example\n"
"/etc/snmp/dpagentd.conf) with the tokens database, busyTimeout,\n"
"notifyRate, notifyBacklog and the standard agentuser, agentgroup,\n"
"agentXSocket, agentXTimeout, agentXRetries, agentxPingInterval.\n");
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

/* agentuser and agentgroup replace the library's handlers, which keep
 * only a number and go on after an unknown name: we need the name for
 * initgroups() and refuse to start without the user asked for. */
static void
conf_user(const char *token, char *line)
{
	(void)token;
	free(cfg.conf_user);
	cfg.conf_user = strdup(line);
}

static void
conf_group(const char *token, char *line)
{
	(void)token;
	free(cfg.conf_group);
	cfg.conf_group = strdup(line);
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

/* A start that failed before the process ID was written leaves no
 * empty file behind. */
static void
discard_pidfile(void)
{
	fclose(pid.file);
	pid.file = NULL;
	unlink(pid.path);
}

/*
 * Started as root: become the user asked for (--user, else agentuser,
 * else DEFAULT_USER if it exists), for good.  Otherwise only check that
 * the user and group asked for, if any, are those running.  -1: do not
 * start.
 */
static int
take_identity(void)
{
	const char *user = cfg.user != NULL ? cfg.user : cfg.conf_user;
	const char *group = cfg.group != NULL ? cfg.group : cfg.conf_group;
	struct dp_priv_id id;
	char err[256], self[32], self_group[32];
	bool root = geteuid() == 0;

	if (user == NULL && root) {
		if (getpwnam(DEFAULT_USER) == NULL) {
			if (group != NULL) {
				dp_err("group %s asked for without a user: "
				    "give --user USER too", group);
				return -1;
			}
			dp_warn("running as root: there is no user "
			    DEFAULT_USER " to drop to; create it, or give "
			    "--user USER (--user root keeps root without "
			    "this warning)");
			return 0;
		}
		user = DEFAULT_USER;
	}
	if (user == NULL && group == NULL)
		return 0;
	if (user == NULL) {
		snprintf(self, sizeof(self), "#%lu", (unsigned long)geteuid());
		snprintf(self_group, sizeof(self_group), "#%lu",
		    (unsigned long)getegid());
		user = self;
		if (group == NULL)
			group = self_group;
	}
	if (dp_priv_resolve(user, group, &id, err, sizeof(err)) != 0) {
		dp_err("%s", err);
		return -1;
	}
	if (!root) {
		if (id.uid == geteuid() && id.gid == getegid())
			return 0;
		dp_err("cannot switch to user %s (group %s): not started as "
		    "root", id.user, id.group);
		return -1;
	}
	if (id.uid == 0) {
		dp_notice("running as root, as asked (user %s)", user);
		return 0;
	}
	if (dp_priv_drop(&id, err, sizeof(err)) != 0) {
		dp_err("cannot drop privileges to %s: %s", id.user, err);
		return -1;
	}
	dp_notice("dropped privileges to %s (uid %lu, gid %lu)", id.user,
	    (unsigned long)id.uid, (unsigned long)id.gid);
	return 0;
}

/*
 * The configuration is read (the user may come from it), and the AgentX
 * session is not open yet: this runs before the library's own
 * subagent_startup(), so that the master is reached, the database opened
 * and its -wal and -shm files created by the user we run as.
 */
static int
on_config_read(int major, int minor, void *server_arg, void *client_arg)
{
	static bool done;

	(void)major;
	(void)minor;
	(void)server_arg;
	(void)client_arg;
	if (done)
		return 0;
	done = true;
	/* Exit here, inside init_snmp(): returning would let the library
	 * connect to the master with the privileges we failed to drop. */
	if (take_identity() != 0) {
		if (pid.file != NULL)
			discard_pidfile();
		exit(EXIT_FAILURE);
	}
	return 0;
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

/* What would let another local user change what we serve. */
static void
check_permissions(void)
{
	const char *sock = agentx_socket_path();

	dp_check_path_perms(cfg.db, "database");
	if (sock != NULL)
		dp_check_path_perms(sock, "AgentX socket");
	else
		dp_warn("AgentX socket %s is not a unix socket: AgentX has no "
		    "authentication, whoever reaches it can answer for the "
		    "master", netsnmp_ds_get_string(NETSNMP_DS_APPLICATION_ID,
		    NETSNMP_DS_AGENT_X_SOCKET));
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

/* f was opened before privileges were dropped (its directory, /run for
 * one, may be root's); the process ID is known after daemonising. */
static int
write_pidfile(FILE *f, const char *path)
{
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
		{ "user", required_argument, NULL, 'u' },
		{ "group", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct sigaction sa;
	struct dp_store *st = NULL;
	struct dp_agent *ag = NULL;
	bool foreground = false, logging_set = false;
	int ch, ex = EXIT_FAILURE;

	umask(007);
	/* -Ls and the default daemon log are tagged dpagentd, not net-snmp. */
	snmp_log_syslogname(APP_NAME);
	/* The agent answers with OIDs, never names: load no MIB files. */
	setenv("MIBS", "", 1);
	while ((ch = getopt_long(argc, argv, "fd:x:c:Cp:u:g:L:D::hV", opts,
	    NULL)) != -1) {
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
			pid.path = optarg;
			break;
		case 'u':
			free(cfg.user);
			cfg.user = strdup(optarg);
			break;
		case 'g':
			free(cfg.group);
			cfg.group = strdup(optarg);
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
	if (pid.path != NULL && (pid.file = fopen(pid.path, "w")) == NULL) {
		dp_err("%s: %s", pid.path, strerror(errno));
		return EXIT_FAILURE;
	}

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
	register_app_config_handler("agentuser", conf_user, NULL, "USER");
	register_app_config_handler("agentgroup", conf_group, NULL, "GROUP");
	if (netsnmp_register_callback(SNMP_CALLBACK_LIBRARY,
	    SNMP_CALLBACK_POST_READ_CONFIG, on_config_read, NULL,
	    NETSNMP_CALLBACK_HIGHEST_PRIORITY) != SNMPERR_SUCCESS) {
		dp_err("cannot register for the end of the configuration");
		goto out;
	}
	snmp_register_callback(SNMP_CALLBACK_APPLICATION,
	    SNMPD_CALLBACK_INDEX_START, on_master, NULL);
	snmp_register_callback(SNMP_CALLBACK_APPLICATION,
	    SNMPD_CALLBACK_INDEX_STOP, on_master, NULL);
	if ((ag = dp_agent_register(NULL)) == NULL)
		goto out;

	/* Reads dpagentd.conf, drops privileges (on_config_read) and
	 * connects to the master. */
	init_snmp(APP_NAME);
	if (cfg.db == NULL)
		cfg.db = strdup(DEFAULT_DB);
	check_permissions();

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
	if (pid.file != NULL) {
		FILE *f = pid.file;

		pid.file = NULL;
		if (write_pidfile(f, pid.path) != 0)
			goto out;
	}
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
	/* May fail once privileges are dropped (a directory of root's):
	 * the file then stays, as snmpd's does. */
	if (pid.file != NULL)
		discard_pidfile();
	else if (pid.path != NULL && ex == EXIT_SUCCESS)
		unlink(pid.path);
	free(cfg.db);
	free(cfg.user);
	free(cfg.group);
	free(cfg.conf_user);
	free(cfg.conf_group);
	return ex;
}
