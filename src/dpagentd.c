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
#include "agent/dp_service.h"
#include "util/dp_defaults.h"
#include "util/dp_log.h"
#include "util/dp_priv.h"

#define APP_NAME		"dpagentd"
/* Started as root without --user or agentuser: become this user if it
 * exists (the one of the systemd unit and tmpfiles.d). */
#define DEFAULT_USER		"dpagent"
#define DEFAULT_PING_S		5
#define WAKE_UP_S		1

static volatile sig_atomic_t stopping;

/* -p: opened at start-up, written once daemonised. */
static struct {
	const char	*path;
	FILE		*file;
} pid;

/* What the command line says. */
struct options {
	const char	*db;		/* --db: wins over "database" */
	bool		 foreground;
	bool		 logging_set;	/* -L */
};

static struct {
	struct dp_service *svc;		/* database, busy timeout, notifier */
	char		*user;		/* --user, else agentuser */
	char		*group;		/* --group, else agentgroup */
	char		*conf_user;
	char		*conf_group;
	bool		 connected;
	unsigned	 losses;
	netsnmp_session	*session;	/* AgentX, while connected */
	struct dp_agent	*agent;
	long		 refused;	/* the master's error, registering */
} cfg;

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
"                     else " DP_DEFAULT_DB ")\n"
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
	dp_service_session(cfg.svc, cfg.session);
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
			    "%d s",
			    netsnmp_ds_get_int(NETSNMP_DS_APPLICATION_ID,
			    NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL));
	}
	return 0;
}

/*
 * The library says that the master refused a registration only in its
 * log ("registering pdu failed: 263!", agentx/client.c) and goes on with
 * the MIB unserved: a second dpagentd on one master would run for
 * nothing, and send every notification a second time.  Watch the log
 * for it; serve() then stops.
 */
static int
on_log(int major, int minor, void *server_arg, void *client_arg)
{
	static const char refused[] = "registering pdu failed: ";
	const struct snmp_log_message *m = server_arg;

	(void)major;
	(void)minor;
	(void)client_arg;
	if (m != NULL && m->msg != NULL &&
	    strncmp(m->msg, refused, sizeof(refused) - 1) == 0) {
		cfg.refused = strtol(m->msg + sizeof(refused) - 1, NULL, 10);
		if (cfg.refused == 0)
			cfg.refused = -1;
	}
	return 0;
}

/* RFC 2741, 6.2.16: the errors of a Register-PDU's Response. */
static const char *
agentx_error_name(long err)
{
	switch (err) {
	case 262:
		return "unsupportedContext";
	case 263:
		return "duplicateRegistration";
	case 267:
		return "requestDenied";
	case 268:
		return "processingError";
	default:
		return "an error";
	}
}

/*
 * No work of its own: the alarm only wakes the loop up, since a signal
 * that lands just before select() would otherwise wait for the next
 * request to be noticed.
 */
static void
wake_up(unsigned int reg, void *arg)
{
	(void)reg;
	(void)arg;
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

/*
 * The command line into o, and the options that go straight to the
 * library (-x, -c, -C, -L, -D).  -1 to go on, else the exit code.
 */
static int
parse_options(int argc, char **argv, struct options *o)
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
	int ch;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt_long(argc, argv, "fd:x:c:Cp:u:g:L:D::hV", opts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f':
			o->foreground = true;
			break;
		case 'd':
			o->db = optarg;
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
			o->logging_set = true;
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
	return -1;
}

/* One log (-L, else stderr and, daemonised, syslog), the process ID file
 * opened while we may, and the agent library as a subagent. */
static int
start_library(const struct options *o)
{
	netsnmp_log_handler *logh;

	if (!o->logging_set) {
		snmp_enable_stderrlog();
		if (!o->foreground)
			snmp_enable_syslog_ident(APP_NAME, LOG_DAEMON);
	}
	dp_log_set_sink(dp_conf_log_sink, NULL);	/* one log: -L */
	dp_log_set_level(DP_LOG_DEBUG);	/* Net-SNMP's -L filters */
	if (pid.path != NULL && (pid.file = fopen(pid.path, "w")) == NULL) {
		dp_err("%s: %s", pid.path, strerror(errno));
		return -1;
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

	snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING,
	    on_log, NULL);
	if ((logh = netsnmp_register_loghandler(NETSNMP_LOGHANDLER_CALLBACK,
	    LOG_DEBUG)) != NULL)
		logh->enabled = 1;
	else
		dp_warn("cannot watch the log: a refused AgentX registration "
		    "would go on unnoticed");
	if (init_agent(APP_NAME) != 0) {
		dp_err("cannot initialise the agent library");
		return -1;
	}
	return 0;
}

/*
 * Reads the configuration, becomes the user asked for, connects to the
 * master, opens the database (daemonising in between) and starts the
 * notifier.  -1 on failure, logged; tear_down() undoes what was done.
 */
static int
set_up(const struct options *o)
{
	struct sigaction sa;

	/* Explicit reconnect interval (the library's default is 15 s); the
	 * configuration file may still set agentxPingInterval. */
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID,
	    NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, DEFAULT_PING_S);
	/* database, busyTimeout, notifyRate, notifyBacklog; --db wins. */
	cfg.svc = dp_service_init(DP_SERVICE_SUBAGENT);
	if (o->db != NULL)
		dp_service_set_database(cfg.svc, o->db);
	register_app_config_handler("agentuser", conf_user, NULL, "USER");
	register_app_config_handler("agentgroup", conf_group, NULL, "GROUP");
	if (netsnmp_register_callback(SNMP_CALLBACK_LIBRARY,
	    SNMP_CALLBACK_POST_READ_CONFIG, on_config_read, NULL,
	    NETSNMP_CALLBACK_HIGHEST_PRIORITY) != SNMPERR_SUCCESS) {
		dp_err("cannot register for the end of the configuration");
		return -1;
	}
	snmp_register_callback(SNMP_CALLBACK_APPLICATION,
	    SNMPD_CALLBACK_INDEX_START, on_master, NULL);
	snmp_register_callback(SNMP_CALLBACK_APPLICATION,
	    SNMPD_CALLBACK_INDEX_STOP, on_master, NULL);
	if ((cfg.agent = dp_agent_register(NULL)) == NULL)
		return -1;

	/* Reads dpagentd.conf, drops privileges (on_config_read) and
	 * connects to the master. */
	init_snmp(APP_NAME);
	dp_service_check_permissions(cfg.svc);

	/* Check the database before forking, so that a wrong path is said on
	 * the terminal; the connection is reopened in the child (an SQLite
	 * connection must not cross a fork). */
	if (dp_service_open(cfg.svc) != 0)
		return -1;
	if (!o->foreground) {
		dp_service_close(cfg.svc);
		if (netsnmp_daemonize(1, o->logging_set &&
		    snmp_stderrlog_status()) != 0) {
			dp_err("cannot daemonise: %s", strerror(errno));
			return -1;
		}
		if (dp_service_open(cfg.svc) != 0)
			return -1;
	}
	if (pid.file != NULL) {
		FILE *f = pid.file;

		pid.file = NULL;
		if (write_pidfile(f, pid.path) != 0)
			return -1;
	}
	/* With the session (on_master) if connected by now. */
	if (dp_service_serve(cfg.svc, cfg.agent) != 0)
		return -1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	snmp_alarm_register(WAKE_UP_S, SA_REPEAT, wake_up, NULL);
	return 0;
}

/* EXIT_SUCCESS on a signal, EXIT_FAILURE when the master refused us. */
static int
serve(void)
{
	if (cfg.refused == 0)
		dp_info("dpagentd %s serving %s", DP_VERSION,
		    dp_service_database(cfg.svc));
	while (!stopping && cfg.refused == 0)
		agent_check_and_process(1);
	if (cfg.refused != 0) {
		dp_err("the AgentX master refused to register "
		    "DISTRIBUTION-POINT-MIB (AgentX error %ld, %s): another "
		    "dpagentd, or dpagent.so in snmpd, already serves it "
		    "there; stopping", cfg.refused,
		    agentx_error_name(cfg.refused));
		agent_check_and_process(0);
		return EXIT_FAILURE;
	}
	dp_info("stopping on a signal");
	/* Take in what is pending first (notably a master that went away at
	 * the same moment), so that the shutdown does not talk to a closed
	 * session. */
	agent_check_and_process(0);
	return EXIT_SUCCESS;
}

static void
tear_down(int ex)
{
	/* Record what the master acknowledged before the session closes;
	 * closing it calls back a Notify still unanswered, so the notifier
	 * goes after snmp_shutdown(), and before the store it reads. */
	if (cfg.svc != NULL)
		dp_notify_stop(cfg.svc->notifier);
	snmp_shutdown(APP_NAME);
	if (cfg.svc != NULL) {
		dp_service_stop(cfg.svc, cfg.agent);
		dp_service_fini(cfg.svc);
	}
	dp_agent_free(cfg.agent);
	/* May fail once privileges are dropped (a directory of root's):
	 * the file then stays, as snmpd's does. */
	if (pid.file != NULL)
		discard_pidfile();
	else if (pid.path != NULL && ex == EXIT_SUCCESS)
		unlink(pid.path);
	free(cfg.user);
	free(cfg.group);
	free(cfg.conf_user);
	free(cfg.conf_group);
}

int
main(int argc, char **argv)
{
	struct options o;
	int ex;

	umask(007);
	/* -Ls and the default daemon log are tagged dpagentd, not net-snmp. */
	snmp_log_syslogname(APP_NAME);
	/* The agent answers with OIDs, never names: load no MIB files. */
	setenv("MIBS", "", 1);
	if ((ex = parse_options(argc, argv, &o)) >= 0)
		return ex;
	if (start_library(&o) != 0)
		return EXIT_FAILURE;
	ex = EXIT_FAILURE;
	if (set_up(&o) == 0)
		ex = serve();
	tear_down(ex);
	return ex;
}
