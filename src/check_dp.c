/*
 * check_dp: a Monitoring Plugins (Nagios, Icinga, Naemon) plugin that
 * checks the ConfigMgr distribution points dpagent serves in
 * DISTRIBUTION-POINT-MIB, over SNMPv2c or SNMPv3.
 *
 * It reads the scalars, dpServerTable and dpPackageTable, and of dpTable
 * only a bounded part, for the list of rows it prints after the status
 * line: the rows of one server (a walk of dpStatus.S, which holds exactly
 * that server's rows) or, for a package, one GET of dpStatus.S.P per
 * server.  Its cost therefore grows with the number of servers and
 * packages, never with the number of rows of dpTable.
 *
 * With --dist it checks distribution health (dpDistTable) instead: the
 * counts by State bucket of the scalars, of one server or one package,
 * and, only when that bucket has rows and there is something to list or
 * an age to judge, the State (and dpDistStateSince) of the rows of the
 * servers that have rows in the bucket, as their counts in dpServerTable
 * say: never a walk of the whole dpDistTable.
 *
 * Exit status and output follow the Monitoring Plugins development
 * guidelines: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; one status line
 * with performance data, more lines after it.
 */

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "agent/dp_oids.h"

#ifndef DP_VERSION
#define DP_VERSION	"unknown"
#endif

#define PROGNAME	"check_dp"
#define DEF_PORT	161
#define DEF_TIMEOUT	10	/* seconds, as in the Monitoring Plugins */
#define DEF_MAX_ROWS	10
#define MAX_MAX_ROWS	1000
#define GET_CHUNK	32	/* varbinds per GET of dpStatus.S.P */
#define WALK_MAXCOLS	5
#define WALK_VARBINDS	48	/* max-repetitions x columns per GETBULK */
#define DP_DIST_STATE_N	9	/* DpDistStateCode: installed(0) .. 8 */

enum state {
	STATE_OK,
	STATE_WARNING,
	STATE_CRITICAL,
	STATE_UNKNOWN
};

static const char *const state_name[] = {
	"OK", "WARNING", "CRITICAL", "UNKNOWN"
};

/* The Status buckets of the MIB's counts, in column order. */
enum bucket {
	B_NONE,
	B_UPDATED,
	B_ADDED,
	B_DELETED,
	B_OTHER,
	B_N
};

static const char *const bucket_name[B_N] = {
	"none", "updated", "added", "deleted", "other"
};

/* The State buckets of the distribution counts, in column order. */
enum dist_bucket {
	DB_INSTALLED,
	DB_INPROGRESS,
	DB_RETRYING,
	DB_FAILED,
	DB_OTHER,
	DB_N
};

static const char *const dist_bucket_name[DB_N] = {
	"installed", "inprogress", "retrying", "failed", "other"
};

/* DpDistStateCode's labels; another value is printed as a number. */
static const char *const dist_state_name[DP_DIST_STATE_N] = {
	"installed", "installPending", "installRetrying", "installFailed",
	"removalPending", "removalRetrying", "removalFailed",
	"contentUpdating", "contentMonitoring"
};

/* A threshold in the Monitoring Plugins range syntax. */
struct range {
	const char	*text;		/* as given, for the perfdata */
	double		 lo;		/* -INFINITY for ~ */
	double		 hi;		/* INFINITY for an open end */
	int		 inside;	/* @: alert inside the range */
};

struct options {
	const char	*host;
	unsigned int	 port;
	long		 version;
	const char	*community;
	int		 seclevel;
	const char	*secname;
	const char	*authproto;
	const char	*authpass;
	const char	*privproto;
	const char	*privpass;
	unsigned int	 timeout;
	struct range	 warn, crit, age_warn, age_crit;
	int		 have_warn, have_crit, have_age_warn, have_age_crit;
	const char	*server;
	const char	*site;
	const char	*package;
	enum bucket	 bucket;
	long		 max_rows;
	int		 verbose;
	int		 have_status;	/* -S given */
	int		 dist;		/* --dist */
	int		 have_dist_bucket;
	enum dist_bucket dist_bucket;
	struct range	 dist_age_warn, dist_age_crit;
	int		 have_dist_age_warn, have_dist_age_crit;
};

struct counts {
	long		 rows;
	long		 n[B_N];
};

/* What the scalars say. */
struct scalars {
	struct counts	 c;
	long		 servers;
	long		 packages;
	long		 age;		/* dpLastImportAge, -1: never */
	long		 pending;
};

struct server {
	unsigned long	 idx;
	char		*nal;
	char		*name;
	char		*site;
	long		 count;		/* rows in the checked Status */
	long		 dist_rows;	/* --dist: dpSrvDistRows */
};

struct servers {
	struct server	*v;
	size_t		 n;
	size_t		 cap;
};

struct oidbuf {
	oid		 v[MAX_OID_LEN];
	size_t		 len;
};

/* The distribution counts of a scope: rows, then by bucket. */
struct dist_counts {
	long		 rows;
	long		 n[DB_N];
};

/* A row of dpDistTable in the checked bucket. */
struct dist_row {
	unsigned long	 srv;
	unsigned long	 pkg;
	long		 state;
	time_t		 since;		/* dpDistStateSince */
};

struct dist_rows {
	struct dist_row	*v;
	size_t		 n;
	size_t		 cap;
	int		 partial;	/* the time budget ran out */
};

/* One check: the session and the first error met. */
struct dp {
	void			*ss;
	const struct options	*o;
	enum state		 err_state;
	char			 err[1024];
};

typedef int	row_fn(void *, const oid *, size_t, netsnmp_variable_list **);

static const oid dp_root[] = { DP_MIB_ROOT };

static char timeout_msg[256];
static double start_time;	/* monotonic seconds, when the check began */

static void	usage(void);
static void	help(void);
static int	usage_error(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static int	parse_number(const char *, const char *, double *);
static int	range_parse(struct range *, const char *);
static int	range_alert(const struct range *, double);
static int	parse_ulong(const char *, unsigned long, unsigned long,
		    unsigned long *);
static int	parse_options(int, char **, struct options *);
static void	on_alarm(int);
static int	fail(struct dp *, enum state, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	set_usm(struct dp *, netsnmp_session *);
static int	open_session(struct dp *);
static void	mkoid(struct oidbuf *, int, const oid *, size_t);
static void	trace(const struct dp *, const char *, netsnmp_pdu *);
static netsnmp_pdu *request(struct dp *, netsnmp_pdu *, int);
static netsnmp_pdu *get(struct dp *, const struct oidbuf *, size_t);
static int	vb_long(const netsnmp_variable_list *, long *);
static char	*vb_string(const netsnmp_variable_list *);
static int	in_subtree(const netsnmp_variable_list *,
		    const struct oidbuf *);
static int	walk(struct dp *, int, const int *, int, const oid *, size_t,
		    row_fn *, void *);
static int	get_counts(struct dp *, netsnmp_variable_list *,
		    struct counts *, const char *);
static int	fetch_scalars(struct dp *, struct scalars *);
static int	server_row(void *, const oid *, size_t,
		    netsnmp_variable_list **);
static int	fetch_servers(struct dp *, enum bucket, struct servers *);
static void	free_servers(struct servers *);
static int	name_matches(const char *, const char *);
static int	find_server(struct dp *, struct servers *, struct server **);
static int	package_row(void *, const oid *, size_t,
		    netsnmp_variable_list **);
static int	find_package(struct dp *, unsigned long *, char **);
static int	status_row(void *, const oid *, size_t,
		    netsnmp_variable_list **);
static int	in_bucket(long, enum bucket);
static int	list_server_rows(struct dp *, const struct server *, long,
		    FILE *);
static int	list_package_rows(struct dp *, unsigned long, long, FILE *);
static int	list_servers(struct dp *, long, FILE *);
static int	cmp_servers(const void *, const void *);
static const char *server_label(const struct server *, char *, size_t);
static void	perf_counts(FILE *, const struct options *,
		    const struct counts *);
static void	perf_age(FILE *, const struct options *, long);
static enum state summarize(FILE *, const struct options *,
		    const struct counts *, long);
static int	check_agent(struct dp *, const struct scalars *, FILE *,
		    FILE *, FILE *);
static int	check_server(struct dp *, FILE *, FILE *, FILE *, long);
static int	check_package(struct dp *, FILE *, FILE *, FILE *, long);
static int	dist_bucket_of(long);
static const char *dist_state_label(long, char *, size_t);
static int	fetch_dist_counts(struct dp *, int, unsigned long,
		    struct dist_counts *);
static int	fetch_dist_servers(struct dp *, struct servers *);
static const struct server *server_by_idx(const struct servers *,
		    unsigned long);
static int	dist_rows_add(struct dist_rows *, unsigned long,
		    unsigned long, long);
static int	dist_state_row(void *, const oid *, size_t,
		    netsnmp_variable_list **);
static int	collect_server_rows(struct dp *, unsigned long, long,
		    struct dist_rows *);
static int	collect_package_rows(struct dp *, const struct servers *,
		    unsigned long, long, struct dist_rows *);
static int	dist_server_row(void *, const oid *, size_t,
		    netsnmp_variable_list **);
static int	pkg_count_row(void *, const oid *, size_t,
		    netsnmp_variable_list **);
static int	collect_agent_rows(struct dp *, const struct scalars *,
		    const struct servers *, struct dist_rows *);
static int	vb_date_and_time(const netsnmp_variable_list *, time_t *);
static int	fetch_since(struct dp *, struct dist_rows *);
static int	cmp_dist_rows(const void *, const void *);
static int	list_dist_rows(struct dp *, const struct dist_rows *, long,
		    const struct servers *, const char *, time_t, FILE *);
static enum state judge(FILE *, double, const struct range *, int,
		    const struct range *, int);
static int	range_alert_from(const struct range *, double);
static enum state judge_at_least(FILE *, const struct options *, double,
		    int *);
static enum state summarize_dist(FILE *, const struct options *,
		    const struct dist_counts *, const struct dist_rows *, long,
		    long);
static void	perf_dist(FILE *, const struct options *,
		    const struct dist_counts *, long);
static int	check_dist(struct dp *, const struct scalars *, FILE *,
		    FILE *, FILE *);
static double	monotonic(void);
static int	over_budget(const struct dp *, double);

static void
usage(void)
{
	printf("Usage:\n"
	    " %s -H HOST [-p PORT] [-P 2c] [-C COMMUNITY]\n"
	    "   [-s SERVER [--site SITECODE] | -k PACKAGEID] [-S STATUS]\n"
	    "   [-w RANGE] [-c RANGE] [--age-warning RANGE]"
	    " [--age-critical RANGE]\n"
	    "   [-n MAXROWS] [-t TIMEOUT] [-v]\n"
	    " " PROGNAME " -H HOST ... --dist [-s SERVER [--site SITECODE] |"
	    " -k PACKAGEID]\n"
	    "   [--dist-bucket failed|retrying|inprogress|other] [-w RANGE]"
	    " [-c RANGE]\n"
	    "   [--dist-age-warning RANGE] [--dist-age-critical RANGE]"
	    " [-n MAXROWS]\n"
	    " %s -H HOST -P 3 -U USER [-L SECLEVEL] [-a AUTHPROTO]"
	    " [-A AUTHPASS]\n"
	    "   [-x PRIVPROTO] [-X PRIVPASS] ...\n"
	    " %s -h | -V\n", PROGNAME, PROGNAME, PROGNAME);
}

static void
help(void)
{
	printf("%s %s (dpagent)\n\n", PROGNAME, DP_VERSION);
	printf("Checks the ConfigMgr distribution points that dpagent serves"
	    " over SNMP\n(DISTRIBUTION-POINT-MIB): the whole agent, one"
	    " distribution point server\n(-s) or one package (-k).\n\n");
	usage();
	printf("\nOptions:\n"
	    " -h, --help\n"
	    "    Print this help and exit (status 3).\n"
	    " -V, --version\n"
	    "    Print the version and exit (status 3).\n"
	    " -H, --hostname=HOST\n"
	    "    The SNMP agent (snmpd with dpagentd).  An IPv6 address is"
	    " given bare.\n"
	    " -p, --port=PORT\n"
	    "    UDP port (default %d).\n"
	    " -P, --protocol=2c|3\n"
	    "    SNMP version (default 2c).\n"
	    " -C, --community=COMMUNITY\n"
	    "    SNMPv2c community (default public).\n"
	    " -L, --seclevel=noAuthNoPriv|authNoPriv|authPriv\n"
	    "    SNMPv3 security level (default authPriv with -X,"
	    " authNoPriv with -A,\n"
	    "    else noAuthNoPriv).\n"
	    " -U, --secname=USER\n"
	    "    SNMPv3 user name (required with -P 3).\n"
	    " -a, --authproto=MD5|SHA|SHA-224|SHA-256|SHA-384|SHA-512\n"
	    "    SNMPv3 authentication protocol (default SHA).\n"
	    " -A, --authpasswd=PASS\n"
	    "    SNMPv3 authentication pass phrase (8 characters at least).\n"
	    " -x, --privproto=DES|AES\n"
	    "    SNMPv3 privacy protocol (default AES; AES-192 and AES-256"
	    " where\n    Net-SNMP has them).\n"
	    " -X, --privpasswd=PASS\n"
	    "    SNMPv3 privacy pass phrase (8 characters at least).\n"
	    " -t, --timeout=SECONDS\n"
	    "    Give up after this many seconds in all, with status UNKNOWN"
	    " (default %d).\n"
	    " -s, --server=NAME|NALPATH\n"
	    "    Check one distribution point server: its host name"
	    " (dpSrvName, case\n"
	    "    ignored; a name without a dot also matches the first label"
	    " of a fully\n"
	    "    qualified one) or its NAL path (dpSrvNALPath, exactly).\n"
	    " --site=SITECODE\n"
	    "    With -s: only the server of this site (dpSrvSiteCode), when"
	    " a name is\n    found in several sites.\n"
	    " -k, --package=PACKAGEID\n"
	    "    Check one package (dpPkgPackageID, case ignored).\n"
	    " -S, --status=none|updated|added|deleted|other\n"
	    "    The Status whose rows -w and -c count and -n lists"
	    " (default deleted).\n"
	    " -w, --warning=RANGE\n"
	    " -c, --critical=RANGE\n"
	    "    Thresholds on the number of rows in that Status: over the"
	    " whole agent\n"
	    "    (dpRowsDeleted, ...), of the server (dpSrvRowsDeleted,"
	    " ...) or of the\n"
	    "    package (dpPkgRowsDeleted, ...).  Without them the count"
	    " is reported,\n    not judged.\n"
	    " --age-warning=RANGE\n"
	    " --age-critical=RANGE\n"
	    "    Thresholds on the age of the last import in seconds"
	    " (dpLastImportAge),\n"
	    "    e.g. --age-warning=90000 --age-critical=180000 for a daily"
	    " export.  An\n"
	    "    agent that has never imported (age -1) is CRITICAL in every"
	    " mode,\n    thresholds or not.\n"
	    " -n, --max-rows=N\n"
	    "    List at most N rows (servers for the whole agent) in that"
	    " Status after\n"
	    "    the status line (default %d, 0 for none, at most %d).\n"
	    " -v, --verbose\n"
	    "    Once: indexes and NAL paths in the output; three times:"
	    " every SNMP\n    request on standard error.\n",
	    DEF_PORT, DEF_TIMEOUT, DEF_MAX_ROWS, MAX_MAX_ROWS);
	printf("\nDistribution health (dpDistTable, the State of"
	    " SMS_PackageStatusDistPointsSummarizer):\n"
	    " --dist\n"
	    "    Check the distributions of the whole agent (dpDistFailed,"
	    " ...), of the\n"
	    "    server -s (dpSrvDistFailed, ...) or of the package -k"
	    " (dpPkgDistFailed,\n"
	    "    ...) instead of dpTable's Status.  -w and -c then count"
	    " the rows in the\n"
	    "    bucket, and -n lists them, oldest first (package, server,"
	    " State, since).\n"
	    " --dist-bucket=failed|retrying|inprogress|other\n"
	    "    The bucket (default failed: installFailed and"
	    " removalFailed; retrying:\n"
	    "    installRetrying and removalRetrying; inprogress:"
	    " installPending,\n"
	    "    removalPending and contentUpdating; other:"
	    " contentMonitoring and\n"
	    "    values the MIB does not list).\n"
	    " --dist-age-warning=SECONDS|RANGE\n"
	    " --dist-age-critical=SECONDS|RANGE\n"
	    "    Thresholds on the seconds the oldest row of the bucket has"
	    " been in its\n"
	    "    State (now - dpDistStateSince), e.g."
	    " --dist-age-critical=86400.  Not\n"
	    "    judged while the bucket is empty.\n");
	printf("\nRanges (Monitoring Plugins syntax): an alert is raised when"
	    " the value is\n"
	    "outside the range, or inside it when the range starts with"
	    " @:\n"
	    "  10      outside 0..10      10:     below 10\n"
	    "  ~:10    above 10           10:20   outside 10..20\n"
	    "  @10:20  inside 10..20 (inclusive)\n");
	printf("\nExamples:\n"
	    "  %s -H dpmon01 -C public -w 0 -c 10\n"
	    "  %s -H dpmon01 -s DP02.corp.contoso.com -c 0"
	    " --age-critical 180000\n"
	    "  %s -H dpmon01 -P 3 -U nagios -L authPriv -a SHA-256 -A"
	    " '...' -x AES -X '...' -k PS100012 -w 0\n",
	    PROGNAME, PROGNAME, PROGNAME);
	printf("  " PROGNAME " -H dpmon01 --dist -c 0"
	    " --dist-age-warning 3600\n"
	    "  " PROGNAME " -H dpmon01 --dist -s dp02 --dist-bucket"
	    " retrying -w 0\n");
	printf("\nNever-imported (dpLastImportAge -1), no answer within the"
	    " timeout, SNMP\n"
	    "errors and a server or package that is not in the tables give"
	    " UNKNOWN,\n"
	    "except never-imported (CRITICAL) and a MIB the agent does not"
	    " serve\n(CRITICAL: dpagentd is down or not connected).\n");
}

static int
usage_error(const char *fmt, ...)
{
	va_list	 ap;

	printf("DP UNKNOWN - ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	usage();
	return -1;
}

/* A finite decimal number spanning exactly [s, end). */
static int
parse_number(const char *s, const char *end, double *out)
{
	char	*stop;
	double	 d;

	if (s == end)
		return -1;
	if (!(*s == '-' || *s == '+' || *s == '.' ||
	    (*s >= '0' && *s <= '9')))
		return -1;
	errno = 0;
	d = strtod(s, &stop);
	if (stop != end || errno != 0 || !isfinite(d))
		return -1;
	*out = d;
	return 0;
}

/*
 * The range syntax of the Monitoring Plugins guidelines: [@][START:][END]
 * where START may be ~ (minus infinity), START defaults to 0 and an empty
 * END is plus infinity.
 */
static int
range_parse(struct range *r, const char *s)
{
	const char	*p = s, *colon;

	r->text = s;
	r->inside = 0;
	r->lo = 0;
	r->hi = INFINITY;
	if (*p == '@') {
		r->inside = 1;
		p++;
	}
	if (*p == '\0')
		return -1;
	colon = strchr(p, ':');
	if (colon != NULL) {
		if (p[0] == '~' && p + 1 == colon)
			r->lo = -INFINITY;
		else if (p != colon && parse_number(p, colon, &r->lo) == -1)
			return -1;
		p = colon + 1;
		if (*p == '\0')
			return 0;
	}
	if (parse_number(p, p + strlen(p), &r->hi) == -1)
		return -1;
	if (r->lo > r->hi)
		return -1;
	return 0;
}

static int
range_alert(const struct range *r, double v)
{
	int	 in;

	in = v >= r->lo && v <= r->hi;
	return r->inside ? in : !in;
}

static int
parse_ulong(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	char		*end;
	unsigned long	 v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || errno != 0 || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

enum {
	OPT_SITE = 256,
	OPT_AGE_WARNING,
	OPT_AGE_CRITICAL
};

/* The options of --dist, apart so that the list above stays as it is. */
enum {
	OPT_DIST = 320,
	OPT_DIST_BUCKET,
	OPT_DIST_AGE_WARNING,
	OPT_DIST_AGE_CRITICAL
};

/* 0: check; 1: --help or --version done; -1: usage error printed. */
static int
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "hostname",		required_argument, NULL, 'H' },
		{ "port",		required_argument, NULL, 'p' },
		{ "protocol",		required_argument, NULL, 'P' },
		{ "community",		required_argument, NULL, 'C' },
		{ "seclevel",		required_argument, NULL, 'L' },
		{ "secname",		required_argument, NULL, 'U' },
		{ "authproto",		required_argument, NULL, 'a' },
		{ "authpasswd",		required_argument, NULL, 'A' },
		{ "privproto",		required_argument, NULL, 'x' },
		{ "privpasswd",		required_argument, NULL, 'X' },
		{ "timeout",		required_argument, NULL, 't' },
		{ "warning",		required_argument, NULL, 'w' },
		{ "critical",		required_argument, NULL, 'c' },
		{ "age-warning",	required_argument, NULL,
		    OPT_AGE_WARNING },
		{ "age-critical",	required_argument, NULL,
		    OPT_AGE_CRITICAL },
		{ "server",		required_argument, NULL, 's' },
		{ "site",		required_argument, NULL, OPT_SITE },
		{ "package",		required_argument, NULL, 'k' },
		{ "status",		required_argument, NULL, 'S' },
		{ "max-rows",		required_argument, NULL, 'n' },
		{ "dist",		no_argument,	   NULL,
		    OPT_DIST },
		{ "dist-bucket",	required_argument, NULL,
		    OPT_DIST_BUCKET },
		{ "dist-age-warning",	required_argument, NULL,
		    OPT_DIST_AGE_WARNING },
		{ "dist-age-critical",	required_argument, NULL,
		    OPT_DIST_AGE_CRITICAL },
		{ "verbose",		no_argument,	   NULL, 'v' },
		{ "help",		no_argument,	   NULL, 'h' },
		{ "version",		no_argument,	   NULL, 'V' },
		{ NULL,			0,		   NULL, 0 }
	};
	unsigned long	 ul;
	int		 ch, b, level = 0;

	memset(o, 0, sizeof(*o));
	o->port = DEF_PORT;
	o->version = SNMP_VERSION_2c;
	o->timeout = DEF_TIMEOUT;
	o->bucket = B_DELETED;
	o->dist_bucket = DB_FAILED;
	o->max_rows = DEF_MAX_ROWS;
	opterr = 0;
	while ((ch = getopt_long(argc, argv,
	    ":H:p:P:C:L:U:a:A:x:X:t:w:c:s:k:S:n:vhV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'H':
			o->host = optarg;
			break;
		case 'p':
			if (parse_ulong(optarg, 1, 65535, &ul) == -1)
				return usage_error("bad port: %s", optarg);
			o->port = (unsigned int)ul;
			break;
		case 'P':
			if (strcmp(optarg, "2c") == 0)
				o->version = SNMP_VERSION_2c;
			else if (strcmp(optarg, "3") == 0)
				o->version = SNMP_VERSION_3;
			else
				return usage_error("bad protocol %s: 2c or 3",
				    optarg);
			break;
		case 'C':
			o->community = optarg;
			break;
		case 'L':
			if (strcasecmp(optarg, "noAuthNoPriv") == 0)
				level = SNMP_SEC_LEVEL_NOAUTH;
			else if (strcasecmp(optarg, "authNoPriv") == 0)
				level = SNMP_SEC_LEVEL_AUTHNOPRIV;
			else if (strcasecmp(optarg, "authPriv") == 0)
				level = SNMP_SEC_LEVEL_AUTHPRIV;
			else
				return usage_error("bad security level %s: "
				    "noAuthNoPriv, authNoPriv or authPriv",
				    optarg);
			break;
		case 'U':
			o->secname = optarg;
			break;
		case 'a':
			o->authproto = optarg;
			break;
		case 'A':
			o->authpass = optarg;
			break;
		case 'x':
			o->privproto = optarg;
			break;
		case 'X':
			o->privpass = optarg;
			break;
		case 't':
			if (parse_ulong(optarg, 1, 3600, &ul) == -1)
				return usage_error("bad timeout %s: 1 to 3600 "
				    "seconds", optarg);
			o->timeout = (unsigned int)ul;
			break;
		case 'w':
			if (range_parse(&o->warn, optarg) == -1)
				return usage_error("bad warning range: %s",
				    optarg);
			o->have_warn = 1;
			break;
		case 'c':
			if (range_parse(&o->crit, optarg) == -1)
				return usage_error("bad critical range: %s",
				    optarg);
			o->have_crit = 1;
			break;
		case OPT_AGE_WARNING:
			if (range_parse(&o->age_warn, optarg) == -1)
				return usage_error("bad age warning range: %s",
				    optarg);
			o->have_age_warn = 1;
			break;
		case OPT_AGE_CRITICAL:
			if (range_parse(&o->age_crit, optarg) == -1)
				return usage_error("bad age critical range: "
				    "%s", optarg);
			o->have_age_crit = 1;
			break;
		case 's':
			o->server = optarg;
			break;
		case OPT_SITE:
			o->site = optarg;
			break;
		case 'k':
			o->package = optarg;
			break;
		case 'S':
			for (b = 0; b < B_N; b++)
				if (strcasecmp(optarg, bucket_name[b]) == 0)
					break;
			if (b == B_N)
				return usage_error("bad status %s: none, "
				    "updated, added, deleted or other", optarg);
			o->bucket = (enum bucket)b;
			o->have_status = 1;
			break;
		case OPT_DIST:
			o->dist = 1;
			break;
		case OPT_DIST_BUCKET:
			/* Not installed: listing it would read every row. */
			for (b = DB_INPROGRESS; b < DB_N; b++)
				if (strcasecmp(optarg,
				    dist_bucket_name[b]) == 0)
					break;
			if (b == DB_N)
				return usage_error("bad distribution bucket "
				    "%s: failed, retrying, inprogress or "
				    "other", optarg);
			o->dist_bucket = (enum dist_bucket)b;
			o->have_dist_bucket = 1;
			break;
		case OPT_DIST_AGE_WARNING:
			if (range_parse(&o->dist_age_warn, optarg) == -1)
				return usage_error("bad distribution age "
				    "warning range: %s", optarg);
			o->have_dist_age_warn = 1;
			break;
		case OPT_DIST_AGE_CRITICAL:
			if (range_parse(&o->dist_age_crit, optarg) == -1)
				return usage_error("bad distribution age "
				    "critical range: %s", optarg);
			o->have_dist_age_crit = 1;
			break;
		case 'n':
			if (parse_ulong(optarg, 0, MAX_MAX_ROWS, &ul) == -1)
				return usage_error("bad max-rows %s: 0 to %d",
				    optarg, MAX_MAX_ROWS);
			o->max_rows = (long)ul;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			help();
			return 1;
		case 'V':
			printf("%s %s (dpagent)\n", PROGNAME, DP_VERSION);
			return 1;
		case ':':
			if (optopt != 0)
				return usage_error("option -%c needs a value",
				    optopt);
			return usage_error("option %s needs a value",
			    argv[optind - 1]);
		default:
			if (optopt != 0)
				return usage_error("unknown option -%c",
				    optopt);
			return usage_error("unknown option %s",
			    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument: %s", argv[optind]);
	if (o->host == NULL || *o->host == '\0')
		return usage_error("-H HOST is required");
	if (o->server != NULL && o->package != NULL)
		return usage_error("-s and -k exclude each other");
	if (o->site != NULL && o->server == NULL)
		return usage_error("--site needs -s");
	if (!o->dist && (o->have_dist_bucket || o->have_dist_age_warn ||
	    o->have_dist_age_crit))
		return usage_error("--dist-bucket, --dist-age-warning and "
		    "--dist-age-critical need --dist");
	if (o->dist && o->have_status)
		return usage_error("-S is for dpTable's Status; with --dist, "
		    "--dist-bucket picks the bucket");
	if (o->version == SNMP_VERSION_2c) {
		if (o->secname || o->authproto || o->authpass ||
		    o->privproto || o->privpass || level != 0)
			return usage_error("-L, -U, -a, -A, -x and -X need "
			    "-P 3");
		if (o->community == NULL)
			o->community = "public";
		return 0;
	}
	if (o->community != NULL)
		return usage_error("-C is for SNMPv2c, not -P 3");
	if (o->secname == NULL || *o->secname == '\0')
		return usage_error("-P 3 needs -U USER");
	if (level == 0)
		level = o->privpass ? SNMP_SEC_LEVEL_AUTHPRIV :
		    o->authpass ? SNMP_SEC_LEVEL_AUTHNOPRIV :
		    SNMP_SEC_LEVEL_NOAUTH;
	o->seclevel = level;
	if (level != SNMP_SEC_LEVEL_NOAUTH && o->authpass == NULL)
		return usage_error("-L authNoPriv and authPriv need -A");
	if (level == SNMP_SEC_LEVEL_AUTHPRIV && o->privpass == NULL)
		return usage_error("-L authPriv needs -X");
	if (o->authproto == NULL)
		o->authproto = "SHA";
	if (o->privproto == NULL)
		o->privproto = "AES";
	return 0;
}

/* SIGALRM: the whole check took longer than -t.  Async-signal-safe. */
static void
on_alarm(int sig)
{
	ssize_t	 w;

	(void)sig;
	w = write(STDOUT_FILENO, timeout_msg, strlen(timeout_msg));
	(void)w;
	_exit(STATE_UNKNOWN);
}

static int
fail(struct dp *dp, enum state st, const char *fmt, ...)
{
	va_list	 ap;

	if (dp->err[0] != '\0')
		return -1;
	dp->err_state = st;
	va_start(ap, fmt);
	vsnprintf(dp->err, sizeof(dp->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* The USM part of an SNMPv3 session; the protocol OIDs are to free. */
static int
set_usm(struct dp *dp, netsnmp_session *s)
{
	const struct options	*o = dp->o;
	const oid		*proto;
	size_t			 len;
	int			 type;

	s->securityName = (char *)(uintptr_t)o->secname;
	s->securityNameLen = strlen(o->secname);
	s->securityLevel = o->seclevel;
	s->securityModel = SNMP_SEC_MODEL_USM;
	if (o->seclevel == SNMP_SEC_LEVEL_NOAUTH)
		return 0;
	type = usm_lookup_auth_type(o->authproto);
	if (type < 0 || (proto = sc_get_auth_oid(type, &len)) == NULL)
		return fail(dp, STATE_UNKNOWN, "unknown authentication "
		    "protocol %s", o->authproto);
	s->securityAuthProto = snmp_duplicate_objid(proto, len);
	s->securityAuthProtoLen = len;
	s->securityAuthKeyLen = USM_AUTH_KU_LEN;
	if (s->securityAuthProto == NULL || generate_Ku(s->securityAuthProto,
	    (u_int)s->securityAuthProtoLen, (const u_char *)o->authpass,
	    strlen(o->authpass), s->securityAuthKey,
	    &s->securityAuthKeyLen) != SNMPERR_SUCCESS)
		return fail(dp, STATE_UNKNOWN, "cannot use the authentication "
		    "pass phrase (at least %d characters)", USM_LENGTH_P_MIN);
	if (o->seclevel != SNMP_SEC_LEVEL_AUTHPRIV)
		return 0;
	type = usm_lookup_priv_type(o->privproto);
	if (type < 0 || (proto = sc_get_priv_oid(type, &len)) == NULL)
		return fail(dp, STATE_UNKNOWN, "unknown privacy protocol %s",
		    o->privproto);
	s->securityPrivProto = snmp_duplicate_objid(proto, len);
	s->securityPrivProtoLen = len;
	s->securityPrivKeyLen = USM_PRIV_KU_LEN;
	if (s->securityPrivProto == NULL || generate_Ku(s->securityAuthProto,
	    (u_int)s->securityAuthProtoLen, (const u_char *)o->privpass,
	    strlen(o->privpass), s->securityPrivKey,
	    &s->securityPrivKeyLen) != SNMPERR_SUCCESS)
		return fail(dp, STATE_UNKNOWN, "cannot use the privacy pass "
		    "phrase (at least %d characters)", USM_LENGTH_P_MIN);
	return 0;
}

static int
open_session(struct dp *dp)
{
	const struct options	*o = dp->o;
	netsnmp_session		 s;
	long			 per_try;
	int			 liberr, syserr, rc = -1;
	char			 peer[1100];
	char			*msg;

	snmp_sess_init(&s);
	if (strchr(o->host, ':') != NULL)
		snprintf(peer, sizeof(peer), "udp6:[%s]:%u", o->host,
		    o->port);
	else
		snprintf(peer, sizeof(peer), "udp:%s:%u", o->host, o->port);
	s.peername = peer;
	s.version = o->version;
	/*
	 * A lost datagram costs at most 2 s; the tries fill -t, and SIGALRM
	 * ends whatever still runs at -t.
	 */
	per_try = o->timeout < 2 ? (long)o->timeout : 2;
	s.timeout = per_try * 1000000L;
	s.retries = (int)((o->timeout + (unsigned int)per_try - 1) /
	    (unsigned int)per_try) - 1;
	if (o->version == SNMP_VERSION_2c) {
		s.community = (u_char *)(uintptr_t)o->community;
		s.community_len = strlen(o->community);
	} else if (set_usm(dp, &s) == -1)
		goto out;
	if ((dp->ss = snmp_sess_open(&s)) != NULL)
		rc = 0;
	else if (s.s_snmp_errno == SNMPERR_TIMEOUT)
		fail(dp, STATE_UNKNOWN, "timeout: no answer from %s port %u "
		    "within %u s (SNMPv3 engine discovery)", o->host, o->port,
		    o->timeout);
	else {
		snmp_error(&s, &liberr, &syserr, &msg);
		fail(dp, STATE_UNKNOWN, "cannot open an SNMP session to %s: "
		    "%s", peer, msg);
		free(msg);
	}
out:
	free(s.securityAuthProto);
	free(s.securityPrivProto);
	return rc;
}

/* dpObjects.part followed by sub. */
static void
mkoid(struct oidbuf *o, int part, const oid *sub, size_t nsub)
{
	memcpy(o->v, dp_root, sizeof(dp_root));
	o->len = DP_MIB_ROOT_LEN;
	o->v[o->len++] = DP_ARC_OBJECTS;
	o->v[o->len++] = (oid)part;
	memcpy(o->v + o->len, sub, nsub * sizeof(oid));
	o->len += nsub;
}

static void
trace(const struct dp *dp, const char *dir, netsnmp_pdu *pdu)
{
	netsnmp_variable_list	*vb;
	char			 buf[512];

	if (dp->o->verbose < 3)
		return;
	fprintf(stderr, "%s %s", dir, pdu->command == SNMP_MSG_GET ? "GET" :
	    pdu->command == SNMP_MSG_GETBULK ? "GETBULK" : "RESPONSE");
	if (pdu->command == SNMP_MSG_GETBULK)
		fprintf(stderr, " max-repetitions %ld", pdu->max_repetitions);
	if (pdu->command == SNMP_MSG_RESPONSE && pdu->errstat != 0)
		fprintf(stderr, " error %s index %ld",
		    snmp_errstring((int)pdu->errstat), pdu->errindex);
	fprintf(stderr, "\n");
	for (vb = pdu->variables; vb != NULL; vb = vb->next_variable) {
		if (pdu->command == SNMP_MSG_RESPONSE)
			snprint_variable(buf, sizeof(buf), vb->name,
			    vb->name_length, vb);
		else
			snprint_objid(buf, sizeof(buf), vb->name,
			    vb->name_length);
		fprintf(stderr, "  %s\n", buf);
	}
}

/*
 * Sends req (always consumed) and returns the response, or NULL with the
 * error recorded.  An error status in the response is an error too,
 * except tooBig when toobig_ok.
 */
static netsnmp_pdu *
request(struct dp *dp, netsnmp_pdu *req, int toobig_ok)
{
	netsnmp_pdu	*resp = NULL;
	int		 st, liberr, syserr;
	char		*msg;

	trace(dp, ">", req);
	st = snmp_sess_synch_response(dp->ss, req, &resp);
	if (st == STAT_TIMEOUT) {
		fail(dp, STATE_UNKNOWN, "timeout: no answer from %s port %u "
		    "within %u s", dp->o->host, dp->o->port, dp->o->timeout);
		goto bad;
	}
	if (st != STAT_SUCCESS || resp == NULL) {
		snmp_sess_error(dp->ss, &liberr, &syserr, &msg);
		fail(dp, STATE_UNKNOWN, "SNMP error from %s: %s", dp->o->host,
		    msg);
		free(msg);
		goto bad;
	}
	trace(dp, "<", resp);
	if (resp->errstat == SNMP_ERR_NOERROR ||
	    (resp->errstat == SNMP_ERR_TOOBIG && toobig_ok))
		return resp;
	fail(dp, STATE_UNKNOWN, "the agent answered %s (varbind %ld)",
	    snmp_errstring((int)resp->errstat), resp->errindex);
bad:
	if (resp != NULL)
		snmp_free_pdu(resp);
	return NULL;
}

/* GET of n OIDs; the response has n varbinds in the same order. */
static netsnmp_pdu *
get(struct dp *dp, const struct oidbuf *oids, size_t n)
{
	netsnmp_pdu		*req, *resp;
	netsnmp_variable_list	*vb;
	size_t			 i;

	req = snmp_pdu_create(SNMP_MSG_GET);
	for (i = 0; i < n; i++)
		snmp_add_null_var(req, oids[i].v, oids[i].len);
	if ((resp = request(dp, req, 0)) == NULL)
		return NULL;
	for (i = 0, vb = resp->variables; vb != NULL; vb = vb->next_variable)
		i++;
	if (i != n) {
		snmp_free_pdu(resp);
		fail(dp, STATE_UNKNOWN, "the agent answered %zu varbinds to a "
		    "GET of %zu", i, n);
		return NULL;
	}
	return resp;
}

/* An integer-valued varbind: INTEGER, Gauge32, Counter32, Unsigned32. */
static int
vb_long(const netsnmp_variable_list *vb, long *out)
{
	switch (vb->type) {
	case ASN_INTEGER:
	case ASN_GAUGE:
	case ASN_COUNTER:
		*out = *vb->val.integer;
		return 0;
	default:
		return -1;
	}
}

/*
 * An OCTET STRING as a C string for the output: control characters and
 * '|' (the perfdata separator) become '?'.
 */
static char *
vb_string(const netsnmp_variable_list *vb)
{
	char	*s;
	size_t	 i;

	if (vb->type != ASN_OCTET_STR)
		return NULL;
	if ((s = malloc(vb->val_len + 1)) == NULL)
		return NULL;
	memcpy(s, vb->val.string, vb->val_len);
	s[vb->val_len] = '\0';
	for (i = 0; i < vb->val_len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f ||
		    s[i] == '|')
			s[i] = '?';
	return s;
}

static int
in_subtree(const netsnmp_variable_list *vb, const struct oidbuf *base)
{
	return vb->name_length > base->len &&
	    snmp_oid_ncompare(vb->name, vb->name_length, base->v, base->len,
	    base->len) == 0;
}

/*
 * Walks ncols columns of the table dpObjects.part in step with GETBULK:
 * columns dpObjects.part.1.cols[i], restricted to the instances that
 * start with within (e.g. one server's rows of dpTable).  fn gets each
 * row's instance suffix after within and its ncols varbinds, valid during
 * the call only; it returns 0 to go on, 1 to stop, -1 on error.
 */
static int
walk(struct dp *dp, int part, const int *cols, int ncols, const oid *within,
    size_t nwithin, row_fn *fn, void *arg)
{
	struct oidbuf		 base[WALK_MAXCOLS], cur[WALK_MAXCOLS];
	netsnmp_variable_list	*row[WALK_MAXCOLS], *vb;
	netsnmp_pdu		*req, *resp = NULL;
	oid			 sub[MAX_OID_LEN];
	const oid		*idx;
	size_t			 idxlen;
	long			 reps;
	int			 i, r, rc = -1, done = 0, nrows;

	for (i = 0; i < ncols; i++) {
		sub[0] = 1;
		sub[1] = (oid)cols[i];
		if (nwithin > 0)
			memcpy(sub + 2, within, nwithin * sizeof(oid));
		mkoid(&base[i], part, sub, 2 + nwithin);
		cur[i] = base[i];
	}
	reps = WALK_VARBINDS / ncols;
	while (!done) {
		req = snmp_pdu_create(SNMP_MSG_GETBULK);
		req->non_repeaters = 0;
		req->max_repetitions = reps;
		for (i = 0; i < ncols; i++)
			snmp_add_null_var(req, cur[i].v, cur[i].len);
		if ((resp = request(dp, req, 1)) == NULL)
			goto out;
		if (resp->errstat == SNMP_ERR_TOOBIG) {
			if (reps == 1) {
				fail(dp, STATE_UNKNOWN, "the agent answered "
				    "tooBig to a GETBULK of one row");
				goto out;
			}
			reps /= 2;
			snmp_free_pdu(resp);
			resp = NULL;
			continue;
		}
		vb = resp->variables;
		for (nrows = 0; !done; nrows++) {
			for (i = 0; i < ncols && vb != NULL; i++) {
				row[i] = vb;
				vb = vb->next_variable;
			}
			if (i < ncols) {
				if (nrows == 0) {
					fail(dp, STATE_UNKNOWN, "the agent "
					    "answered a GETBULK without a "
					    "whole row");
					goto out;
				}
				break;
			}
			if (row[0]->type == SNMP_ENDOFMIBVIEW ||
			    row[0]->type == SNMP_NOSUCHOBJECT ||
			    row[0]->type == SNMP_NOSUCHINSTANCE ||
			    !in_subtree(row[0], &base[0])) {
				done = 1;
				break;
			}
			if (snmp_oid_compare(row[0]->name, row[0]->name_length,
			    cur[0].v, cur[0].len) <= 0) {
				fail(dp, STATE_UNKNOWN, "the agent's OIDs do "
				    "not increase");
				goto out;
			}
			idx = row[0]->name + base[0].len;
			idxlen = row[0]->name_length - base[0].len;
			for (i = 1; i < ncols; i++)
				if (!in_subtree(row[i], &base[i]) ||
				    row[i]->name_length - base[i].len !=
				    idxlen || snmp_oid_compare(row[i]->name +
				    base[i].len, idxlen, idx, idxlen) != 0) {
					fail(dp, STATE_UNKNOWN, "the columns "
					    "of a table are not in step");
					goto out;
				}
			for (i = 0; i < ncols; i++) {
				memcpy(cur[i].v, row[i]->name,
				    row[i]->name_length * sizeof(oid));
				cur[i].len = row[i]->name_length;
			}
			if ((r = fn(arg, idx, idxlen, row)) == -1)
				goto out;
			if (r == 1)
				done = 1;
		}
		snmp_free_pdu(resp);
		resp = NULL;
	}
	rc = 0;
out:
	if (resp != NULL)
		snmp_free_pdu(resp);
	if (rc == -1)
		fail(dp, STATE_UNKNOWN, "walk failed");
	return rc;
}

/* Six varbinds: rows, then rows by Status in bucket order. */
static int
get_counts(struct dp *dp, netsnmp_variable_list *vb, struct counts *c,
    const char *what)
{
	int	 b;

	if (vb_long(vb, &c->rows) == -1)
		return fail(dp, STATE_UNKNOWN, "%s: no row count", what);
	vb = vb->next_variable;
	for (b = 0; b < B_N; b++, vb = vb->next_variable)
		if (vb_long(vb, &c->n[b]) == -1)
			return fail(dp, STATE_UNKNOWN, "%s: no count of %s "
			    "rows", what, bucket_name[b]);
	return 0;
}

static int
fetch_scalars(struct dp *dp, struct scalars *sc)
{
	static const int	 which[] = {
		DP_SC_ROW_COUNT, DP_SC_ROWS_NONE, DP_SC_ROWS_UPDATED,
		DP_SC_ROWS_ADDED, DP_SC_ROWS_DELETED, DP_SC_ROWS_OTHER,
		DP_SC_SERVER_COUNT, DP_SC_PACKAGE_COUNT,
		DP_SC_LAST_IMPORT_AGE, DP_SC_PENDING_WRITES
	};
	struct oidbuf		 oids[10];
	netsnmp_pdu		*resp;
	netsnmp_variable_list	*vb;
	oid			 sub[2];
	size_t			 i;
	int			 rc = -1;

	for (i = 0; i < 10; i++) {
		sub[0] = (oid)which[i];
		sub[1] = 0;
		mkoid(&oids[i], DP_PART_SCALARS, sub, 2);
	}
	if ((resp = get(dp, oids, 10)) == NULL)
		return -1;
	vb = resp->variables;
	if (vb->type == SNMP_NOSUCHOBJECT || vb->type == SNMP_NOSUCHINSTANCE) {
		fail(dp, STATE_CRITICAL, "%s does not serve "
		    "DISTRIBUTION-POINT-MIB: is dpagentd running and "
		    "connected to snmpd?", dp->o->host);
		goto out;
	}
	if (get_counts(dp, vb, &sc->c, "dpScalars") == -1)
		goto out;
	for (i = 0; i < 6; i++)
		vb = vb->next_variable;
	if (vb_long(vb, &sc->servers) == -1 ||
	    vb_long(vb->next_variable, &sc->packages) == -1 ||
	    vb_long(vb->next_variable->next_variable, &sc->age) == -1 ||
	    vb_long(vb->next_variable->next_variable->next_variable,
	    &sc->pending) == -1) {
		fail(dp, STATE_UNKNOWN, "dpScalars: unexpected values");
		goto out;
	}
	rc = 0;
out:
	snmp_free_pdu(resp);
	return rc;
}

/* dpServerTable columns in the order fetch_servers() asks for them. */
static int
server_row(void *arg, const oid *idx, size_t idxlen,
    netsnmp_variable_list **vbs)
{
	struct servers	*l = arg;
	struct server	*s, *nv;
	size_t		 cap;

	if (idxlen != 1)
		return -1;
	if (l->n == l->cap) {
		cap = l->cap ? 2 * l->cap : 64;
		if ((nv = reallocarray(l->v, cap, sizeof(*nv))) == NULL)
			return -1;
		l->v = nv;
		l->cap = cap;
	}
	s = &l->v[l->n];
	memset(s, 0, sizeof(*s));
	s->idx = idx[0];
	s->nal = vb_string(vbs[0]);
	s->name = vb_string(vbs[1]);
	s->site = vb_string(vbs[2]);
	l->n++;
	if (s->nal == NULL || s->name == NULL || s->site == NULL ||
	    vb_long(vbs[3], &s->count) == -1)
		return -1;
	return 0;
}

/*
 * The servers (a few hundred rows at most): NAL path, name, site code
 * and their count of rows in Status b.
 */
static int
fetch_servers(struct dp *dp, enum bucket b, struct servers *l)
{
	int	 cols[4];

	cols[0] = DP_SRV_NAL_PATH;
	cols[1] = DP_SRV_NAME;
	cols[2] = DP_SRV_SITE_CODE;
	cols[3] = DP_SRV_ROWS_NONE + (int)b;
	if (walk(dp, DP_PART_SERVERS, cols, 4, NULL, 0, server_row, l) == -1)
		return fail(dp, STATE_UNKNOWN, "cannot read dpServerTable");
	return 0;
}

static void
free_servers(struct servers *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].nal);
		free(l->v[i].name);
		free(l->v[i].site);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/*
 * 2: name equals arg (case ignored); 1: arg has no dot and is the first
 * label of name; 0: no match.
 */
static int
name_matches(const char *name, const char *arg)
{
	size_t	 n;

	if (strcasecmp(name, arg) == 0)
		return 2;
	n = strlen(arg);
	if (strchr(arg, '.') == NULL && strncasecmp(name, arg, n) == 0 &&
	    name[n] == '.')
		return 1;
	return 0;
}

/* The one server that -s (and --site) designate. */
static int
find_server(struct dp *dp, struct servers *l, struct server **out)
{
	const struct options	*o = dp->o;
	struct server		*s, *found = NULL;
	size_t			 i;
	int			 best = 0, m, nbest = 0;
	char			 names[512];
	size_t			 len = 0;

	for (i = 0; i < l->n; i++) {
		s = &l->v[i];
		if (o->site != NULL && strcasecmp(s->site, o->site) != 0)
			continue;
		m = strcmp(s->nal, o->server) == 0 ? 3 :
		    name_matches(s->name, o->server);
		if (m == 0 || m < best)
			continue;
		if (m > best) {
			best = m;
			nbest = 0;
			len = 0;
			names[0] = '\0';
		}
		nbest++;
		found = s;
		if (len < sizeof(names))
			len += (size_t)snprintf(names + len,
			    sizeof(names) - len, "%s%s (%s)",
			    len ? ", " : "", s->name, s->site);
	}
	if (nbest == 0)
		return fail(dp, STATE_UNKNOWN, "server %s%s%s not found in "
		    "dpServerTable (%zu servers)", o->server,
		    o->site ? " of site " : "", o->site ? o->site : "", l->n);
	if (nbest > 1)
		return fail(dp, STATE_UNKNOWN, "server %s is ambiguous: %s; "
		    "give the full name, the NAL path or --site", o->server,
		    names);
	*out = found;
	return 0;
}

struct package_search {
	const char	*id;
	unsigned long	 idx;
	long		 seen;
	char		*found;		/* the agent's spelling of id */
};

static int
package_row(void *arg, const oid *idx, size_t idxlen,
    netsnmp_variable_list **vbs)
{
	struct package_search	*ps = arg;
	const netsnmp_variable_list *vb = vbs[0];
	size_t			 n;

	if (idxlen != 1 || vb->type != ASN_OCTET_STR)
		return -1;
	ps->seen++;
	n = strlen(ps->id);
	if (vb->val_len == n &&
	    strncasecmp((const char *)vb->val.string, ps->id, n) == 0) {
		ps->idx = idx[0];
		ps->found = vb_string(vb);
		return ps->found == NULL ? -1 : 1;
	}
	return 0;
}

/*
 * The index of the package -k names, and its PackageID as the agent
 * spells it (to free): a walk of dpPkgPackageID.
 */
static int
find_package(struct dp *dp, unsigned long *idx, char **id)
{
	struct package_search	 ps;
	int			 col = DP_PKG_PACKAGE_ID;

	ps.id = dp->o->package;
	ps.idx = 0;
	ps.seen = 0;
	ps.found = NULL;
	if (walk(dp, DP_PART_PACKAGES, &col, 1, NULL, 0, package_row,
	    &ps) == -1) {
		free(ps.found);
		return fail(dp, STATE_UNKNOWN, "cannot read dpPackageTable");
	}
	if (ps.idx == 0)
		return fail(dp, STATE_UNKNOWN, "package %s not found in "
		    "dpPackageTable (%ld packages)", dp->o->package, ps.seen);
	*idx = ps.idx;
	*id = ps.found;
	return 0;
}

static int
in_bucket(long status, enum bucket b)
{
	if (status >= 0 && status < B_OTHER)
		return status == (long)b;
	return b == B_OTHER;
}

struct status_search {
	enum bucket	 b;
	long		 want;
	unsigned long	*found;
	long		 n;
};

static int
status_row(void *arg, const oid *idx, size_t idxlen,
    netsnmp_variable_list **vbs)
{
	struct status_search	*ss = arg;
	long			 st;

	if (idxlen != 1 || vb_long(vbs[0], &st) == -1)
		return -1;
	if (in_bucket(st, ss->b))
		ss->found[ss->n++] = idx[0];
	return ss->n >= ss->want;
}

/*
 * Up to want rows of server s in the checked Status: a walk of
 * dpStatus.S, which holds only that server's rows and stops at the want-th
 * match, then GETs of their dpPackageID.
 */
static int
list_server_rows(struct dp *dp, const struct server *s, long want, FILE *out)
{
	const struct options	*o = dp->o;
	struct status_search	 ss;
	struct oidbuf		 oids[GET_CHUNK];
	netsnmp_pdu		*resp;
	netsnmp_variable_list	*vb;
	oid			 within[1], sub[4];
	char			*id;
	long			 i, j, n;
	int			 col = DP_COL_STATUS, rc = -1;

	ss.b = o->bucket;
	ss.want = want;
	ss.n = 0;
	if ((ss.found = calloc((size_t)want, sizeof(*ss.found))) == NULL) {
		fail(dp, STATE_UNKNOWN, "out of memory");
		goto out;
	}
	within[0] = s->idx;
	if (walk(dp, DP_PART_ROWS, &col, 1, within, 1, status_row, &ss) == -1)
		goto out;
	/* Their PackageIDs (up to 64 octets each), a chunk per GET. */
	for (i = 0; i < ss.n; i += n) {
		n = ss.n - i < GET_CHUNK ? ss.n - i : GET_CHUNK;
		for (j = 0; j < n; j++) {
			sub[0] = 1;
			sub[1] = DP_COL_PACKAGE_ID;
			sub[2] = s->idx;
			sub[3] = ss.found[i + j];
			mkoid(&oids[j], DP_PART_ROWS, sub, 4);
		}
		if ((resp = get(dp, oids, (size_t)n)) == NULL)
			goto out;
		for (j = 0, vb = resp->variables; vb != NULL;
		    j++, vb = vb->next_variable) {
			id = vb_string(vb);
			fprintf(out, "%s", id ? id : "(gone)");
			if (o->verbose)
				fprintf(out, " [dpStatus.%lu.%lu]", s->idx,
				    ss.found[i + j]);
			fprintf(out, "\n");
			free(id);
		}
		snmp_free_pdu(resp);
	}
	rc = 0;
out:
	free(ss.found);
	return rc;
}

/*
 * Up to want rows of package p in the checked Status.  dpTable has no
 * prefix that holds one package's rows (its index is server, then
 * package), so this GETs dpStatus.S.P for each server S of dpServerTable
 * in chunks and stops at the want-th match: one varbind per server, never
 * a walk of dpTable.
 */
static int
list_package_rows(struct dp *dp, unsigned long p, long want, FILE *out)
{
	const struct options	*o = dp->o;
	struct servers		 l;
	struct oidbuf		 oids[GET_CHUNK];
	netsnmp_pdu		*resp;
	netsnmp_variable_list	*vb;
	oid			 sub[4];
	size_t			 i, j, n;
	long			 st, found = 0;
	char			 label[600];
	int			 rc = -1;

	memset(&l, 0, sizeof(l));
	if (fetch_servers(dp, o->bucket, &l) == -1)
		goto out;
	for (i = 0; i < l.n && found < want; i += n) {
		n = l.n - i < GET_CHUNK ? l.n - i : GET_CHUNK;
		for (j = 0; j < n; j++) {
			sub[0] = 1;
			sub[1] = DP_COL_STATUS;
			sub[2] = l.v[i + j].idx;
			sub[3] = p;
			mkoid(&oids[j], DP_PART_ROWS, sub, 4);
		}
		if ((resp = get(dp, oids, n)) == NULL)
			goto out;
		for (j = 0, vb = resp->variables; j < n && found < want;
		    j++, vb = vb->next_variable) {
			if (vb_long(vb, &st) == -1 || !in_bucket(st, o->bucket))
				continue;	/* noSuchInstance: not there */
			fprintf(out, "%s", server_label(&l.v[i + j], label,
			    sizeof(label)));
			if (o->verbose)
				fprintf(out, " [dpStatus.%lu.%lu]",
				    l.v[i + j].idx, p);
			fprintf(out, "\n");
			found++;
		}
		snmp_free_pdu(resp);
	}
	rc = 0;
out:
	free_servers(&l);
	return rc;
}

static int
cmp_servers(const void *a, const void *b)
{
	const struct server	*x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* For the whole agent: the want servers with most rows in the Status. */
static int
list_servers(struct dp *dp, long want, FILE *out)
{
	struct servers	 l;
	size_t		 i;
	char		 label[600];

	memset(&l, 0, sizeof(l));
	if (fetch_servers(dp, dp->o->bucket, &l) == -1) {
		free_servers(&l);
		return -1;
	}
	qsort(l.v, l.n, sizeof(*l.v), cmp_servers);
	for (i = 0; i < l.n && (long)i < want && l.v[i].count > 0; i++) {
		fprintf(out, "%s: %ld", server_label(&l.v[i], label,
		    sizeof(label)), l.v[i].count);
		if (dp->o->verbose)
			fprintf(out, " [dpServerIndex %lu]", l.v[i].idx);
		fprintf(out, "\n");
	}
	free_servers(&l);
	return 0;
}

static const char *
server_label(const struct server *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s (%s)", s->name, s->site);
	return buf;
}

static void
perf_counts(FILE *f, const struct options *o, const struct counts *c)
{
	int	 b;

	fprintf(f, " 'rows'=%ld;;;0", c->rows);
	for (b = 0; b < B_N; b++) {
		fprintf(f, " '%s'=%ld;", bucket_name[b], c->n[b]);
		if (b == (int)o->bucket) {
			fprintf(f, "%s;%s", o->have_warn ? o->warn.text : "",
			    o->have_crit ? o->crit.text : "");
		} else
			fprintf(f, ";");
		fprintf(f, ";0;%ld", c->rows);
	}
}

static void
perf_age(FILE *f, const struct options *o, long age)
{
	if (age < 0)
		fprintf(f, " 'import_age'=U");
	else
		fprintf(f, " 'import_age'=%lds", age);
	fprintf(f, ";%s;%s;0", o->have_age_warn ? o->age_warn.text : "",
	    o->have_age_crit ? o->age_crit.text : "");
}

/*
 * "N rows: a none, ..., e other; last import X s ago", with the verdict
 * of each threshold after its value.  Returns the resulting state.
 */
static enum state
summarize(FILE *f, const struct options *o, const struct counts *c,
    long age)
{
	enum state	 st = STATE_OK, s;
	int		 b;

	fprintf(f, "%ld row%s: ", c->rows, c->rows == 1 ? "" : "s");
	for (b = 0; b < B_N; b++) {
		fprintf(f, "%s%ld %s", b ? ", " : "", c->n[b], bucket_name[b]);
		if (b != (int)o->bucket)
			continue;
		s = STATE_OK;
		if (o->have_crit && range_alert(&o->crit, (double)c->n[b]))
			s = STATE_CRITICAL;
		else if (o->have_warn &&
		    range_alert(&o->warn, (double)c->n[b]))
			s = STATE_WARNING;
		if (s != STATE_OK)
			fprintf(f, " (%s, range %s)", state_name[s],
			    s == STATE_CRITICAL ? o->crit.text : o->warn.text);
		if (s > st)
			st = s;
	}
	if (age < 0) {
		fprintf(f, "; CRITICAL: no import has ever completed");
		return STATE_CRITICAL;
	}
	fprintf(f, "; last import %ld s ago", age);
	s = STATE_OK;
	if (o->have_age_crit && range_alert(&o->age_crit, (double)age))
		s = STATE_CRITICAL;
	else if (o->have_age_warn && range_alert(&o->age_warn, (double)age))
		s = STATE_WARNING;
	if (s != STATE_OK)
		fprintf(f, " (%s, range %s)", state_name[s],
		    s == STATE_CRITICAL ? o->age_crit.text : o->age_warn.text);
	return s > st ? s : st;
}

static int
check_agent(struct dp *dp, const struct scalars *sc, FILE *text, FILE *perf,
    FILE *lines)
{
	const struct options	*o = dp->o;
	int			 st;

	fprintf(text, "%ld server%s, %ld package%s, ", sc->servers,
	    sc->servers == 1 ? "" : "s", sc->packages,
	    sc->packages == 1 ? "" : "s");
	st = (int)summarize(text, o, &sc->c, sc->age);
	fprintf(perf, " 'servers'=%ld;;;0 'packages'=%ld;;;0", sc->servers,
	    sc->packages);
	perf_counts(perf, o, &sc->c);
	perf_age(perf, o, sc->age);
	fprintf(perf, " 'pending_writes'=%ld;;;0", sc->pending);
	if (o->max_rows > 0 && sc->c.n[o->bucket] > 0) {
		fprintf(lines, "%s rows by server (%ld in all):\n",
		    bucket_name[o->bucket], sc->c.n[o->bucket]);
		if (list_servers(dp, o->max_rows, lines) == -1)
			return -1;
	}
	return st;
}

static int
check_server(struct dp *dp, FILE *text, FILE *perf, FILE *lines, long age)
{
	const struct options	*o = dp->o;
	struct servers		 l;
	struct server		*s = NULL;
	struct counts		 c;
	struct oidbuf		 oids[6];
	netsnmp_pdu		*resp = NULL;
	oid			 sub[3];
	long			 want;
	char			 label[600];
	int			 i, st = -1;

	memset(&l, 0, sizeof(l));
	if (fetch_servers(dp, o->bucket, &l) == -1 ||
	    find_server(dp, &l, &s) == -1)
		goto out;
	for (i = 0; i < 6; i++) {
		sub[0] = 1;
		sub[1] = (oid)(DP_SRV_ROWS + i);
		sub[2] = s->idx;
		mkoid(&oids[i], DP_PART_SERVERS, sub, 3);
	}
	if ((resp = get(dp, oids, 6)) == NULL)
		goto out;
	if (resp->variables->type == SNMP_NOSUCHINSTANCE) {
		fail(dp, STATE_UNKNOWN, "server %s is gone from "
		    "dpServerTable", o->server);
		goto out;
	}
	if (get_counts(dp, resp->variables, &c, "dpServerTable") == -1)
		goto out;
	fprintf(text, "server %s: ", server_label(s, label, sizeof(label)));
	st = (int)summarize(text, o, &c, age);
	perf_counts(perf, o, &c);
	perf_age(perf, o, age);
	if (o->verbose)
		fprintf(lines, "dpServerIndex %lu, NAL path %s\n", s->idx,
		    s->nal);
	want = c.n[o->bucket] < o->max_rows ? c.n[o->bucket] : o->max_rows;
	if (want > 0) {
		fprintf(lines, "%s rows (%s%ld of %ld):\n",
		    bucket_name[o->bucket], want < c.n[o->bucket] ?
		    "first " : "", want, c.n[o->bucket]);
		if (list_server_rows(dp, s, want, lines) == -1)
			st = -1;
	}
out:
	if (resp != NULL)
		snmp_free_pdu(resp);
	free_servers(&l);
	return st;
}

static int
check_package(struct dp *dp, FILE *text, FILE *perf, FILE *lines, long age)
{
	const struct options	*o = dp->o;
	struct counts		 c;
	struct oidbuf		 oids[8];
	netsnmp_pdu		*resp = NULL;
	netsnmp_variable_list	*vb;
	unsigned long		 p = 0;
	oid			 sub[3];
	long			 type = -1, otype = -1, want;
	char			*id = NULL;
	int			 i, st = -1;

	if (find_package(dp, &p, &id) == -1)
		return -1;
	for (i = 0; i < 8; i++) {
		sub[0] = 1;
		sub[1] = (oid)(i == 0 ? DP_PKG_PACKAGE_TYPE :
		    i == 1 ? DP_PKG_OBJECT_TYPE_ID : DP_PKG_ROWS + i - 2);
		sub[2] = p;
		mkoid(&oids[i], DP_PART_PACKAGES, sub, 3);
	}
	if ((resp = get(dp, oids, 8)) == NULL)
		goto out;
	vb = resp->variables;
	if (vb->type == SNMP_NOSUCHINSTANCE) {
		fail(dp, STATE_UNKNOWN, "package %s is gone from "
		    "dpPackageTable", o->package);
		goto out;
	}
	if (vb_long(vb, &type) == -1 ||
	    vb_long(vb->next_variable, &otype) == -1) {
		fail(dp, STATE_UNKNOWN, "dpPackageTable: unexpected values");
		goto out;
	}
	if (get_counts(dp, vb->next_variable->next_variable, &c,
	    "dpPackageTable") == -1)
		goto out;
	fprintf(text, "package %s: ", id);
	st = (int)summarize(text, o, &c, age);
	perf_counts(perf, o, &c);
	perf_age(perf, o, age);
	if (o->verbose)
		fprintf(lines, "dpPackageIndex %lu, PackageType %ld, "
		    "ObjectTypeID %ld\n", p, type, otype);
	want = c.n[o->bucket] < o->max_rows ? c.n[o->bucket] : o->max_rows;
	if (want > 0) {
		fprintf(lines, "%s rows (%s%ld of %ld):\n",
		    bucket_name[o->bucket], want < c.n[o->bucket] ?
		    "first " : "", want, c.n[o->bucket]);
		if (list_package_rows(dp, p, want, lines) == -1)
			st = -1;
	}
out:
	if (resp != NULL)
		snmp_free_pdu(resp);
	free(id);
	return st;
}

/* -- distribution health (--dist) ------------------------------------------ */

static double
monotonic(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Whether the part of -t that reading rows may take is over: a list of
 * a bucket spread over every server of a large agent reads a column of
 * most of dpDistTable, and an answer on the rows read is better than a
 * timeout.  Rows are collected until DIST_COLLECT of -t, their
 * dpDistStateSince read until DIST_SINCE of it; the rest is for the
 * PackageIDs of the listed rows and the answer.
 */
#define DIST_COLLECT	0.4
#define DIST_SINCE	0.6

static int
over_budget(const struct dp *dp, double share)
{
	return monotonic() - start_time > share * (double)dp->o->timeout;
}

static int
dist_bucket_of(long state)
{
	switch (state) {
	case 0:
		return DB_INSTALLED;
	case 1:
	case 4:
	case 7:
		return DB_INPROGRESS;
	case 2:
	case 5:
		return DB_RETRYING;
	case 3:
	case 6:
		return DB_FAILED;
	default:
		return DB_OTHER;
	}
}

static const char *
dist_state_label(long state, char *buf, size_t len)
{
	if (state >= 0 && state < DP_DIST_STATE_N)
		return dist_state_name[state];
	snprintf(buf, len, "state %ld", state);
	return buf;
}

/*
 * The six counts of a scope: dpDistRows .. dpDistOther (part
 * DP_PART_SCALARS), or the dpSrvDist or dpPkgDist columns of row idx.
 */
static int
fetch_dist_counts(struct dp *dp, int part, unsigned long idx,
    struct dist_counts *c)
{
	static const char *const what[] = {
		[DP_PART_SCALARS] = "dpScalars",
		[DP_PART_SERVERS] = "dpServerTable",
		[DP_PART_PACKAGES] = "dpPackageTable"
	};
	struct oidbuf		 oids[1 + DB_N];
	netsnmp_pdu		*resp;
	netsnmp_variable_list	*vb;
	oid			 sub[3];
	int			 i, rc = -1;

	for (i = 0; i < 1 + DB_N; i++) {
		if (part == DP_PART_SCALARS) {
			sub[0] = (oid)(DP_SC_DIST_ROWS + i);
			sub[1] = 0;
			mkoid(&oids[i], part, sub, 2);
			continue;
		}
		sub[0] = 1;
		sub[1] = (oid)((part == DP_PART_SERVERS ? DP_SRV_DIST_ROWS :
		    DP_PKG_DIST_ROWS) + i);
		sub[2] = idx;
		mkoid(&oids[i], part, sub, 3);
	}
	if ((resp = get(dp, oids, 1 + DB_N)) == NULL)
		return -1;
	vb = resp->variables;
	if (vb->type == SNMP_NOSUCHOBJECT) {
		fail(dp, STATE_UNKNOWN, "%s serves no distribution counts in "
		    "%s: a dpagent without dpDistTable?", dp->o->host,
		    what[part]);
		goto out;
	}
	if (vb->type == SNMP_NOSUCHINSTANCE) {
		fail(dp, STATE_UNKNOWN, "%s %s is gone from %s",
		    part == DP_PART_SERVERS ? "server" : "package",
		    part == DP_PART_SERVERS ? dp->o->server : dp->o->package,
		    what[part]);
		goto out;
	}
	if (vb_long(vb, &c->rows) == -1) {
		fail(dp, STATE_UNKNOWN, "%s: no distribution count",
		    what[part]);
		goto out;
	}
	for (i = 0; i < DB_N; i++) {
		vb = vb->next_variable;
		if (vb_long(vb, &c->n[i]) == -1) {
			fail(dp, STATE_UNKNOWN, "%s: no count of %s "
			    "distributions", what[part], dist_bucket_name[i]);
			goto out;
		}
	}
	rc = 0;
out:
	snmp_free_pdu(resp);
	return rc;
}

static int
dist_server_row(void *arg, const oid *idx, size_t idxlen,
    netsnmp_variable_list **vbs)
{
	struct servers	*l = arg;

	if (server_row(arg, idx, idxlen, vbs) == -1 ||
	    vb_long(vbs[4], &l->v[l->n - 1].dist_rows) == -1)
		return -1;
	return 0;
}

/*
 * The servers with NAL path, name, site code, their number of
 * distributions in the checked bucket (dpSrvDistFailed, ...) and in all
 * (dpSrvDistRows).
 */
static int
fetch_dist_servers(struct dp *dp, struct servers *l)
{
	int	 cols[5];

	cols[0] = DP_SRV_NAL_PATH;
	cols[1] = DP_SRV_NAME;
	cols[2] = DP_SRV_SITE_CODE;
	cols[3] = DP_SRV_DIST_INSTALLED + (int)dp->o->dist_bucket;
	cols[4] = DP_SRV_DIST_ROWS;
	if (walk(dp, DP_PART_SERVERS, cols, 5, NULL, 0, dist_server_row,
	    l) == -1)
		return fail(dp, STATE_UNKNOWN, "cannot read dpServerTable");
	return 0;
}

static const struct server *
server_by_idx(const struct servers *l, unsigned long idx)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].idx == idx)
			return &l->v[i];
	return NULL;
}

static int
dist_rows_add(struct dist_rows *r, unsigned long srv, unsigned long pkg,
    long state)
{
	struct dist_row	*nv;
	size_t		 cap;

	if (r->n == r->cap) {
		cap = r->cap ? 2 * r->cap : 64;
		if ((nv = reallocarray(r->v, cap, sizeof(*nv))) == NULL)
			return -1;
		r->v = nv;
		r->cap = cap;
	}
	r->v[r->n].srv = srv;
	r->v[r->n].pkg = pkg;
	r->v[r->n].state = state;
	r->v[r->n].since = 0;
	r->n++;
	return 0;
}

struct dist_search {
	const struct dp		*dp;
	struct dist_rows	*rows;
	unsigned long		 srv;
	enum dist_bucket	 b;
	long			 want;	/* the server's count */
	long			 found;
};

static int
dist_state_row(void *arg, const oid *idx, size_t idxlen,
    netsnmp_variable_list **vbs)
{
	struct dist_search	*ds = arg;
	long			 st;

	if (idxlen != 1 || vb_long(vbs[0], &st) == -1)
		return -1;
	if (dist_bucket_of(st) == (int)ds->b) {
		if (dist_rows_add(ds->rows, ds->srv, idx[0], st) == -1)
			return -1;
		ds->found++;
	}
	if (ds->found >= ds->want)
		return 1;
	if (over_budget(ds->dp, DIST_COLLECT)) {
		ds->rows->partial = 1;
		return 1;
	}
	return 0;
}

/*
 * The rows of server srv in the checked bucket: a walk of dpDistState.S,
 * which holds only that server's rows, up to the want-th match.
 */
static int
collect_server_rows(struct dp *dp, unsigned long srv, long want,
    struct dist_rows *rows)
{
	struct dist_search	 ds;
	oid			 within[1];
	int			 col = DP_DIST_COL_STATE;

	ds.dp = dp;
	ds.rows = rows;
	ds.srv = srv;
	ds.b = dp->o->dist_bucket;
	ds.want = want;
	ds.found = 0;
	within[0] = srv;
	return walk(dp, DP_PART_DIST, &col, 1, within, 1, dist_state_row,
	    &ds);
}

/*
 * The rows of package p in the checked bucket.  No OID prefix holds one
 * package's rows, so this GETs dpDistState.S.P for each server S that
 * has rows in the bucket (its count in l), up to want matches.
 */
static int
collect_package_rows(struct dp *dp, const struct servers *l,
    unsigned long p, long want, struct dist_rows *rows)
{
	struct oidbuf		 oids[GET_CHUNK];
	unsigned long		 srv[GET_CHUNK];
	netsnmp_pdu		*resp;
	netsnmp_variable_list	*vb;
	oid			 sub[4];
	size_t			 i = 0, j, n;
	long			 st, found = 0;

	while (i < l->n && found < want) {
		if (over_budget(dp, DIST_COLLECT)) {
			rows->partial = 1;
			break;
		}
		for (n = 0; i < l->n && n < GET_CHUNK; i++) {
			if (l->v[i].count <= 0)
				continue;
			sub[0] = 1;
			sub[1] = DP_DIST_COL_STATE;
			sub[2] = srv[n] = l->v[i].idx;
			sub[3] = p;
			mkoid(&oids[n++], DP_PART_DIST, sub, 4);
		}
		if (n == 0)
			break;
		if ((resp = get(dp, oids, n)) == NULL)
			return -1;
		for (j = 0, vb = resp->variables; j < n;
		    j++, vb = vb->next_variable) {
			if (vb_long(vb, &st) == -1 ||
			    dist_bucket_of(st) != (int)dp->o->dist_bucket)
				continue;	/* noSuchInstance: no row */
			if (dist_rows_add(rows, srv[j], p, st) == -1) {
				snmp_free_pdu(resp);
				return fail(dp, STATE_UNKNOWN, "out of memory");
			}
			found++;
		}
		snmp_free_pdu(resp);
	}
	return 0;
}

struct pkg_count {
	unsigned long	 idx;
	long		 count;
};

struct pkg_counts {
	struct pkg_count *v;
	size_t		 n;
	size_t		 cap;
};

static int
pkg_count_row(void *arg, const oid *idx, size_t idxlen,
    netsnmp_variable_list **vbs)
{
	struct pkg_counts	*pc = arg;
	struct pkg_count	*nv;
	long			 n;
	size_t			 cap;

	if (idxlen != 1 || vb_long(vbs[0], &n) == -1)
		return -1;
	if (n <= 0)
		return 0;
	if (pc->n == pc->cap) {
		cap = pc->cap ? 2 * pc->cap : 64;
		if ((nv = reallocarray(pc->v, cap, sizeof(*nv))) == NULL)
			return -1;
		pc->v = nv;
		pc->cap = cap;
	}
	pc->v[pc->n].idx = idx[0];
	pc->v[pc->n].count = n;
	pc->n++;
	return 0;
}

/*
 * The rows of the whole agent in the checked bucket, l being the servers
 * with their counts, by the cheaper of two ways (in PDUs): a walk of
 * dpDistState.S for each server S with rows in the bucket (its
 * dpSrvDistRows rows, 48 a PDU), or, for each package with rows in the
 * bucket (a walk of one column of dpPackageTable says which), a GET of
 * dpDistState.S.P for each such server S (32 a PDU).  Failures on a few
 * servers take the first, a package failing everywhere the second;
 * failures spread over every server and package read as many rows
 * either way.
 */
static int
collect_agent_rows(struct dp *dp, const struct scalars *sc,
    const struct servers *l, struct dist_rows *rows)
{
	struct pkg_counts	 pc;
	long			 walk_cost = 0, per_pkg, pkg_walk, nsrv = 0;
	size_t			 i;
	int			 col, rc = -1;

	memset(&pc, 0, sizeof(pc));
	for (i = 0; i < l->n; i++)
		if (l->v[i].count > 0) {
			walk_cost += (l->v[i].dist_rows + WALK_VARBINDS - 1) /
			    WALK_VARBINDS;
			nsrv++;
		}
	per_pkg = (nsrv + GET_CHUNK - 1) / GET_CHUNK;
	pkg_walk = (sc->packages + WALK_VARBINDS - 1) / WALK_VARBINDS;
	if (walk_cost > pkg_walk + per_pkg) {
		col = DP_PKG_DIST_INSTALLED + (int)dp->o->dist_bucket;
		if (walk(dp, DP_PART_PACKAGES, &col, 1, NULL, 0,
		    pkg_count_row, &pc) == -1) {
			fail(dp, STATE_UNKNOWN, "cannot read dpPackageTable");
			goto out;
		}
		if ((long)pc.n * per_pkg < walk_cost) {
			for (i = 0; i < pc.n && !rows->partial; i++)
				if (collect_package_rows(dp, l, pc.v[i].idx,
				    pc.v[i].count, rows) == -1)
					goto out;
			rc = 0;
			goto out;
		}
	}
	for (i = 0; i < l->n && !rows->partial; i++) {
		if (l->v[i].count <= 0)
			continue;
		if (over_budget(dp, DIST_COLLECT)) {
			rows->partial = 1;
			break;
		}
		if (collect_server_rows(dp, l->v[i].idx, l->v[i].count,
		    rows) == -1)
			goto out;
	}
	rc = 0;
out:
	free(pc.v);
	return rc;
}

/* A DateAndTime (8 octets: UTC assumed; 11: with its offset) in time_t. */
static int
vb_date_and_time(const netsnmp_variable_list *vb, time_t *out)
{
	const u_char	*b = vb->val.string;
	struct tm	 tm;
	time_t		 t;
	long		 off = 0;

	if (vb->type != ASN_OCTET_STR ||
	    (vb->val_len != 8 && vb->val_len != 11))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (b[0] << 8 | b[1]) - 1900;
	tm.tm_mon = b[2] - 1;
	tm.tm_mday = b[3];
	tm.tm_hour = b[4];
	tm.tm_min = b[5];
	tm.tm_sec = b[6];
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	if (vb->val_len == 11) {
		off = (long)b[9] * 3600 + (long)b[10] * 60;
		if (b[8] == '+')
			t -= off;
		else if (b[8] == '-')
			t += off;
		else
			return -1;
	}
	*out = t;
	return 0;
}

/*
 * dpDistStateSince of every collected row, a chunk per GET; a row that is
 * gone by now (noSuchInstance), or not reached within the budget, is
 * dropped.
 */
static int
fetch_since(struct dp *dp, struct dist_rows *rows)
{
	struct oidbuf		 oids[GET_CHUNK];
	netsnmp_pdu		*resp;
	netsnmp_variable_list	*vb;
	oid			 sub[4];
	size_t			 i, j, n, kept = 0;

	for (i = 0; i < rows->n; i += n) {
		if (over_budget(dp, DIST_SINCE)) {
			rows->partial = 1;
			break;
		}
		n = rows->n - i < GET_CHUNK ? rows->n - i : GET_CHUNK;
		for (j = 0; j < n; j++) {
			sub[0] = 1;
			sub[1] = DP_DIST_COL_STATE_SINCE;
			sub[2] = rows->v[i + j].srv;
			sub[3] = rows->v[i + j].pkg;
			mkoid(&oids[j], DP_PART_DIST, sub, 4);
		}
		if ((resp = get(dp, oids, n)) == NULL)
			return -1;
		for (j = 0, vb = resp->variables; j < n;
		    j++, vb = vb->next_variable) {
			if (vb_date_and_time(vb, &rows->v[i + j].since) == -1)
				continue;
			rows->v[kept++] = rows->v[i + j];
		}
		snmp_free_pdu(resp);
	}
	rows->n = kept;
	return 0;
}

/* Oldest first; then by server and package, as the table is ordered. */
static int
cmp_dist_rows(const void *a, const void *b)
{
	const struct dist_row	*x = a, *y = b;

	if (x->since != y->since)
		return x->since < y->since ? -1 : 1;
	if (x->srv != y->srv)
		return x->srv < y->srv ? -1 : 1;
	return x->pkg < y->pkg ? -1 : x->pkg > y->pkg;
}

/*
 * The first -n rows (oldest first), each "PACKAGEID on SERVER (SITE):
 * STATE since ISO-TIME (AGE s)", then "... and N more".  pkg_id: the
 * PackageID of every row (-k), else each is read from dpDistPackageID.
 */
static int
list_dist_rows(struct dp *dp, const struct dist_rows *rows, long count,
    const struct servers *l, const char *pkg_id, time_t now, FILE *out)
{
	const struct options	*o = dp->o;
	const struct dist_row	*r;
	const struct server	*s;
	struct oidbuf		 oids[GET_CHUNK];
	netsnmp_pdu		*resp = NULL;
	netsnmp_variable_list	*vb = NULL;
	struct tm		 tm;
	oid			 sub[4];
	size_t			 i, j, n, want;
	char			*id, when[32], label[600], sbuf[32];

	want = rows->n < (size_t)o->max_rows ? rows->n : (size_t)o->max_rows;
	if (rows->partial)
		fprintf(out, "%s distributions, oldest first of the %zu of %ld "
		    "read in time:\n", dist_bucket_name[o->dist_bucket],
		    rows->n, count);
	else
		fprintf(out, "%s distributions, oldest first:\n",
		    dist_bucket_name[o->dist_bucket]);
	for (i = 0; i < want; i += n) {
		n = want - i < GET_CHUNK ? want - i : GET_CHUNK;
		if (pkg_id == NULL) {
			for (j = 0; j < n; j++) {
				sub[0] = 1;
				sub[1] = DP_DIST_COL_PACKAGE_ID;
				sub[2] = rows->v[i + j].srv;
				sub[3] = rows->v[i + j].pkg;
				mkoid(&oids[j], DP_PART_DIST, sub, 4);
			}
			if ((resp = get(dp, oids, n)) == NULL)
				return -1;
			vb = resp->variables;
		}
		for (j = 0; j < n; j++) {
			r = &rows->v[i + j];
			id = pkg_id != NULL ? NULL : vb_string(vb);
			s = server_by_idx(l, r->srv);
			if (s != NULL)
				server_label(s, label, sizeof(label));
			else
				snprintf(label, sizeof(label), "server %lu",
				    r->srv);
			gmtime_r(&r->since, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
			fprintf(out, "%s on %s: %s since %s (%lld s)",
			    pkg_id != NULL ? pkg_id : id ? id : "(gone)", label,
			    dist_state_label(r->state, sbuf, sizeof(sbuf)),
			    when,
			    now > r->since ? (long long)(now - r->since) : 0LL);
			if (o->verbose)
				fprintf(out, " [dpDistState.%lu.%lu]", r->srv,
				    r->pkg);
			fprintf(out, "\n");
			free(id);
			if (vb != NULL)
				vb = vb->next_variable;
		}
		if (resp != NULL) {
			snmp_free_pdu(resp);
			resp = NULL;
			vb = NULL;
		}
	}
	if (rows->partial && count > (long)want)
		fprintf(out, "... and %ld more\n", count - (long)want);
	else if (!rows->partial && rows->n > want)
		fprintf(out, "... and %zu more\n", rows->n - want);
	return 0;
}

/* The state of v against a warning and a critical range, the verdict
 * printed after the value when one alerts. */
static enum state
judge(FILE *f, double v, const struct range *w, int have_w,
    const struct range *c, int have_c)
{
	enum state	 s = STATE_OK;

	if (have_c && range_alert(c, v))
		s = STATE_CRITICAL;
	else if (have_w && range_alert(w, v))
		s = STATE_WARNING;
	if (s != STATE_OK)
		fprintf(f, " (%s, range %s)", state_name[s],
		    s == STATE_CRITICAL ? c->text : w->text);
	return s;
}

/*
 * Whether a value known to be at least lo is in the alert set of r: 1
 * surely, 0 surely not, -1 it depends on the rows not read.
 */
static int
range_alert_from(const struct range *r, double lo)
{
	if (r->inside) {
		if (lo > r->hi)
			return 0;
		return r->hi == INFINITY && lo >= r->lo ? 1 : -1;
	}
	if (lo > r->hi)
		return 1;
	return r->hi == INFINITY && lo >= r->lo ? 0 : -1;
}

/*
 * The age thresholds on the oldest row when not every row was read:
 * oldest is a lower bound.  *undecided is set when the rows not read
 * could change the state.
 */
static enum state
judge_at_least(FILE *f, const struct options *o, double oldest,
    int *undecided)
{
	int	 c, w;

	c = o->have_dist_age_crit ?
	    range_alert_from(&o->dist_age_crit, oldest) : 0;
	w = o->have_dist_age_warn ?
	    range_alert_from(&o->dist_age_warn, oldest) : 0;
	if (c == 1) {
		fprintf(f, " (CRITICAL, range %s)", o->dist_age_crit.text);
		return STATE_CRITICAL;
	}
	if (c == -1 || w == -1) {
		fprintf(f, " (UNKNOWN: not every row read)");
		*undecided = 1;
		return STATE_OK;
	}
	if (w == 1) {
		fprintf(f, " (WARNING, range %s)", o->dist_age_warn.text);
		return STATE_WARNING;
	}
	return STATE_OK;
}

/*
 * "N distributions: a installed, ..., e other; oldest failed: X s; last
 * import Y s ago" with the verdicts.  oldest: seconds, -1 when not read
 * (nothing to list and no age threshold); with rows->partial it is the
 * oldest of the rows read, a lower bound: an alert it raises is sure, a
 * threshold it cannot decide makes the state UNKNOWN unless another one
 * is CRITICAL.
 */
static enum state
summarize_dist(FILE *f, const struct options *o, const struct dist_counts *c,
    const struct dist_rows *rows, long oldest, long age)
{
	enum state	 st = STATE_OK, s;
	int		 b, undecided = 0;

	fprintf(f, "%ld distribution%s: ", c->rows, c->rows == 1 ? "" : "s");
	for (b = 0; b < DB_N; b++) {
		fprintf(f, "%s%ld %s", b ? ", " : "", c->n[b],
		    dist_bucket_name[b]);
		if (b != (int)o->dist_bucket)
			continue;
		s = judge(f, (double)c->n[b], &o->warn, o->have_warn,
		    &o->crit, o->have_crit);
		if (s > st)
			st = s;
	}
	if (oldest >= 0 && c->n[o->dist_bucket] > 0 && rows->partial) {
		fprintf(f, "; oldest %s: at least %ld s (%zu of %ld read in "
		    "time)", dist_bucket_name[o->dist_bucket], oldest,
		    rows->n, c->n[o->dist_bucket]);
		s = judge_at_least(f, o, (double)oldest, &undecided);
		if (s > st)
			st = s;
	} else if (oldest >= 0 && c->n[o->dist_bucket] > 0) {
		fprintf(f, "; oldest %s: %ld s",
		    dist_bucket_name[o->dist_bucket], oldest);
		s = judge(f, (double)oldest, &o->dist_age_warn,
		    o->have_dist_age_warn, &o->dist_age_crit,
		    o->have_dist_age_crit);
		if (s > st)
			st = s;
	}
	if (age < 0) {
		fprintf(f, "; CRITICAL: no import has ever completed");
		return STATE_CRITICAL;
	}
	fprintf(f, "; last import %ld s ago", age);
	s = judge(f, (double)age, &o->age_warn, o->have_age_warn,
	    &o->age_crit, o->have_age_crit);
	if (s > st)
		st = s;
	return undecided && st != STATE_CRITICAL ? STATE_UNKNOWN : st;
}

static void
perf_dist(FILE *f, const struct options *o, const struct dist_counts *c,
    long oldest)
{
	int	 b;

	fprintf(f, " 'rows'=%ld;;;0", c->rows);
	for (b = 0; b < DB_N; b++) {
		fprintf(f, " '%s'=%ld;", dist_bucket_name[b], c->n[b]);
		if (b == (int)o->dist_bucket)
			fprintf(f, "%s;%s", o->have_warn ? o->warn.text : "",
			    o->have_crit ? o->crit.text : "");
		else
			fprintf(f, ";");
		fprintf(f, ";0;%ld", c->rows);
	}
	if (oldest < 0)
		fprintf(f, " 'oldest_age'=U");
	else
		fprintf(f, " 'oldest_age'=%lds", oldest);
	fprintf(f, ";%s;%s;0",
	    o->have_dist_age_warn ? o->dist_age_warn.text : "",
	    o->have_dist_age_crit ? o->dist_age_crit.text : "");
}

/*
 * --dist: the counts of the scope (one GET), then, only when the bucket
 * has rows and there is something to list or an age to judge, its rows:
 * of the servers whose count says they have some (whole agent, -s), or
 * one GET per such server (-k).
 */
static int
check_dist(struct dp *dp, const struct scalars *sc, FILE *text, FILE *perf,
    FILE *lines)
{
	const struct options	*o = dp->o;
	struct servers		 l;
	struct server		*s = NULL;
	struct dist_counts	 c;
	struct dist_rows	 rows;
	unsigned long		 p = 0;
	time_t			 now = 0;
	long			 count, oldest = -1;
	char			*id = NULL, label[600];
	int			 st = -1;

	memset(&l, 0, sizeof(l));
	memset(&rows, 0, sizeof(rows));
	if (o->server != NULL) {
		if (fetch_dist_servers(dp, &l) == -1 ||
		    find_server(dp, &l, &s) == -1 ||
		    fetch_dist_counts(dp, DP_PART_SERVERS, s->idx, &c) == -1)
			goto out;
	} else if (o->package != NULL) {
		if (find_package(dp, &p, &id) == -1 ||
		    fetch_dist_counts(dp, DP_PART_PACKAGES, p, &c) == -1)
			goto out;
	} else if (fetch_dist_counts(dp, DP_PART_SCALARS, 0, &c) == -1)
		goto out;

	count = c.n[o->dist_bucket];
	if (count > 0 && (o->max_rows > 0 || o->have_dist_age_warn ||
	    o->have_dist_age_crit)) {
		if (o->server != NULL) {
			if (collect_server_rows(dp, s->idx, count, &rows) == -1)
				goto out;
		} else {
			if (fetch_dist_servers(dp, &l) == -1)
				goto out;
			if (o->package != NULL ? collect_package_rows(dp, &l,
			    p, count, &rows) == -1 : collect_agent_rows(dp, sc,
			    &l, &rows) == -1)
				goto out;
		}
		if (fetch_since(dp, &rows) == -1)
			goto out;
		qsort(rows.v, rows.n, sizeof(*rows.v), cmp_dist_rows);
		now = time(NULL);
		oldest = rows.n > 0 && now > rows.v[0].since ?
		    (long)(now - rows.v[0].since) : 0;
	} else if (count == 0)
		oldest = 0;

	if (s != NULL)
		fprintf(text, "server %s: ", server_label(s, label,
		    sizeof(label)));
	else if (id != NULL)
		fprintf(text, "package %s: ", id);
	st = (int)summarize_dist(text, o, &c, &rows, oldest, sc->age);
	perf_dist(perf, o, &c, rows.partial ? -1 : oldest);
	perf_age(perf, o, sc->age);
	if (o->verbose && s != NULL)
		fprintf(lines, "dpServerIndex %lu, NAL path %s\n", s->idx,
		    s->nal);
	else if (o->verbose && id != NULL)
		fprintf(lines, "dpPackageIndex %lu\n", p);
	if (o->max_rows > 0 && rows.n > 0 &&
	    list_dist_rows(dp, &rows, count, &l, id, now, lines) == -1)
		st = -1;
out:
	free(rows.v);
	free_servers(&l);
	free(id);
	return st;
}

int
main(int argc, char **argv)
{
	struct options	 o;
	struct dp	 dp;
	struct scalars	 sc;
	FILE		*text = NULL, *perf = NULL, *lines = NULL;
	char		*tbuf = NULL, *pbuf = NULL, *lbuf = NULL;
	size_t		 tlen, plen, llen;
	int		 r, st = STATE_UNKNOWN;

	if ((r = parse_options(argc, argv, &o)) != 0)
		return STATE_UNKNOWN;	/* also --help and --version */

	snprintf(timeout_msg, sizeof(timeout_msg), "DP UNKNOWN - timeout: "
	    "no complete answer from %s port %u within %u s\n", o.host,
	    o.port, o.timeout);
	signal(SIGALRM, on_alarm);
	alarm(o.timeout);
	start_time = monotonic();

	memset(&dp, 0, sizeof(dp));
	dp.o = &o;
	/* No MIB files, configuration or persistent state: numeric only. */
	setenv("MIBS", "", 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	if (o.verbose >= 3)
		snmp_enable_stderrlog();
	else
		netsnmp_register_loghandler(NETSNMP_LOGHANDLER_NONE, LOG_DEBUG);
	init_snmp(PROGNAME);

	text = open_memstream(&tbuf, &tlen);
	perf = open_memstream(&pbuf, &plen);
	lines = open_memstream(&lbuf, &llen);
	if (text == NULL || perf == NULL || lines == NULL) {
		fail(&dp, STATE_UNKNOWN, "out of memory");
		goto done;
	}
	if (open_session(&dp) == -1)
		goto done;
	/* The age of the data, in every mode; fails if the MIB is absent. */
	if (fetch_scalars(&dp, &sc) == -1)
		goto done;
	if (sc.age < 0 && (o.server != NULL || o.package != NULL)) {
		/* No server or package can be found: say why. */
		fail(&dp, STATE_CRITICAL, "no import has ever completed: %s "
		    "serves no data (dpLastImportAge -1)", o.host);
		goto done;
	}
	if (o.dist)
		r = check_dist(&dp, &sc, text, perf, lines);
	else if (o.server != NULL)
		r = check_server(&dp, text, perf, lines, sc.age);
	else if (o.package != NULL)
		r = check_package(&dp, text, perf, lines, sc.age);
	else
		r = check_agent(&dp, &sc, text, perf, lines);
	if (r != -1)
		st = r;
done:
	alarm(0);
	if (text != NULL)
		fclose(text);
	if (perf != NULL)
		fclose(perf);
	if (lines != NULL)
		fclose(lines);
	if (dp.err[0] != '\0') {
		st = dp.err_state;
		printf("DP %s - %s\n", state_name[st], dp.err);
	} else
		printf("DP %s - %s |%s\n%s", state_name[st], tbuf, pbuf,
		    lbuf);
	free(tbuf);
	free(pbuf);
	free(lbuf);
	if (dp.ss != NULL)
		snmp_sess_close(dp.ss);
	snmp_shutdown(PROGNAME);
	return st;
}
