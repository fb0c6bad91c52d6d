/*
 * dplat: SNMP latency and throughput probe for bench_agent.sh.  One
 * process, one synchronous libnetsnmp session (SNMPv2c over UDP), numeric
 * OIDs only.
 *
 *	dplat [-h HOST] [-p PORT] [-c COMMUNITY] [-t TIMEOUT_S] [-w WARMUP]
 *	    [-n COUNT] [-P PREFIX] [-R MAXREP] [-T START] [-W LIMIT_S]
 *	    [-i POLL_MS] [-v] -m MODE (-f OIDFILE | OID...)
 *
 * get, getnext: COUNT requests of one varbind each, one at a time,
 *	cycling through the OIDs, after WARMUP uncounted ones.  Prints
 *	"n= err= p50_ms= p90_ms= p99_ms= max_ms= mean_ms=".  An answer that
 *	is an error, an exception (noSuchObject, noSuchInstance,
 *	endOfMibView) or, with -P, outside PREFIX counts in err.
 * table: what snmptable -Cr MAXREP does: GETBULK requests carrying one
 *	varbind per column OID, each continuing where its column stopped,
 *	until every column has left its subtree.  No value formatting.
 *	Prints "varbinds= rows= requests= seconds= vbps= rowsps=", rows
 *	being varbinds over the number of columns.
 * wait: GETs the OIDs every POLL_MS (default 2) until one answer holds
 *	them all without error or exception, for at most LIMIT_S (default
 *	30) seconds.  Prints "ready_s= polls=", ready_s counted from START
 *	(seconds since the epoch, as date +%s.%N prints) if given, else
 *	from dplat's own start.  Exit 1 if the limit passes.
 *
 * Exit status: 0 done, 1 no answer / timeouts, 2 usage.
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct oidv {
	oid	 name[MAX_OID_LEN];
	size_t	 len;
};

static struct oidv	*oids;
static size_t		 noids, oids_cap;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: dplat [-h HOST] [-p PORT] [-c COMMUNITY] [-t TIMEOUT_S] "
	    "[-w WARMUP]\n"
	    "             [-n COUNT] [-P PREFIX] [-R MAXREP] [-T START] "
	    "[-W LIMIT_S] [-i POLL_MS]\n"
	    "             [-v] -m get|getnext|table|wait (-f OIDFILE | "
	    "OID...)\n");
	exit(2);
}

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
num_arg(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		usage();
	return v;
}

static double
real_arg(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < 0)
		usage();
	return v;
}

static void
add_oid(const char *text, struct oidv *into)
{
	struct oidv o;

	o.len = MAX_OID_LEN;
	if (read_objid(text, o.name, &o.len) == 0) {
		fprintf(stderr, "dplat: bad OID '%s'\n", text);
		exit(2);
	}
	if (into != NULL) {
		*into = o;
		return;
	}
	if (noids == oids_cap) {
		oids_cap = oids_cap != 0 ? oids_cap * 2 : 64;
		oids = realloc(oids, oids_cap * sizeof(*oids));
		if (oids == NULL) {
			perror("dplat");
			exit(1);
		}
	}
	oids[noids++] = o;
}

static void
read_oid_file(const char *path)
{
	char line[1024];
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		exit(2);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, " \t\r\n")] = '\0';
		if (line[0] != '\0' && line[0] != '#')
			add_oid(line, NULL);
	}
	fclose(f);
}

static bool
is_exception(const netsnmp_variable_list *vb)
{
	return vb->type == SNMP_NOSUCHOBJECT ||
	    vb->type == SNMP_NOSUCHINSTANCE || vb->type == SNMP_ENDOFMIBVIEW;
}

static bool
under(const oid *name, size_t len, const struct oidv *prefix)
{
	return len > prefix->len &&
	    snmp_oid_compare(name, prefix->len, prefix->name,
	    prefix->len) == 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest rank: the smallest value with at least p % at or below it. */
static double
percentile(const double *sorted, size_t n, double p)
{
	size_t k;

	if (n == 0)
		return 0;
	k = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return sorted[k - 1];
}

static int
run_latency(netsnmp_session *ss, int cmd, long count, long warmup,
    const struct oidv *prefix, bool verbose)
{
	double *ms, sum = 0;
	long errs = 0, lost = 0, n = 0;

	if ((ms = calloc((size_t)count, sizeof(*ms))) == NULL) {
		perror("dplat");
		return 1;
	}
	for (long i = 0; i < warmup + count; i++) {
		const struct oidv *o = &oids[(size_t)i % noids];
		netsnmp_pdu *pdu = snmp_pdu_create(cmd), *resp = NULL;
		double t0, t1;
		bool bad;
		int st;

		snmp_add_null_var(pdu, o->name, o->len);
		t0 = clock_s(CLOCK_MONOTONIC);
		st = snmp_synch_response(ss, pdu, &resp);
		t1 = clock_s(CLOCK_MONOTONIC);
		bad = st != STAT_SUCCESS || resp == NULL ||
		    resp->errstat != SNMP_ERR_NOERROR ||
		    resp->variables == NULL || is_exception(resp->variables) ||
		    (prefix != NULL && !under(resp->variables->name,
		    resp->variables->name_length, prefix));
		if (verbose && i == 0 && resp != NULL &&
		    resp->variables != NULL)
			print_variable(resp->variables->name,
			    resp->variables->name_length, resp->variables);
		if (resp != NULL)
			snmp_free_pdu(resp);
		if (st != STAT_SUCCESS)
			lost++;
		if (i < warmup)
			continue;
		if (bad)
			errs++;
		ms[n] = (t1 - t0) * 1e3;
		sum += ms[n++];
	}
	qsort(ms, (size_t)n, sizeof(*ms), cmp_double);
	printf("n=%ld err=%ld p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f "
	    "max_ms=%.3f mean_ms=%.3f\n", n, errs, percentile(ms, (size_t)n, 50),
	    percentile(ms, (size_t)n, 90), percentile(ms, (size_t)n, 99),
	    n > 0 ? ms[n - 1] : 0.0, n > 0 ? sum / (double)n : 0.0);
	free(ms);
	return lost > 0 ? 1 : 0;
}

/*
 * GETBULK over several columns at once.  The answer lists, per
 * repetition, one varbind per requested column in request order; an agent
 * may cut the answer short to fit a message, so the position in the
 * answer, not a count, says which column a varbind continues.
 */
static int
run_table(netsnmp_session *ss, long maxrep)
{
	struct oidv *cur = calloc(noids, sizeof(*cur));
	size_t *active = calloc(noids, sizeof(*active)), nactive = noids;
	bool *ended = calloc(noids, sizeof(*ended));
	unsigned long varbinds = 0, requests = 0;
	double t0, secs;

	if (cur == NULL || active == NULL || ended == NULL) {
		perror("dplat");
		return 1;
	}
	for (size_t c = 0; c < noids; c++) {
		cur[c] = oids[c];
		active[c] = c;
	}
	t0 = clock_s(CLOCK_MONOTONIC);
	while (nactive > 0) {
		netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GETBULK);
		netsnmp_pdu *resp = NULL;
		netsnmp_variable_list *vb;
		size_t k = 0, still = 0;
		int st;

		memset(ended, 0, noids * sizeof(*ended));
		pdu->non_repeaters = 0;
		pdu->max_repetitions = maxrep;
		for (size_t a = 0; a < nactive; a++)
			snmp_add_null_var(pdu, cur[active[a]].name,
			    cur[active[a]].len);
		st = snmp_synch_response(ss, pdu, &resp);
		requests++;
		if (st != STAT_SUCCESS || resp == NULL ||
		    resp->errstat != SNMP_ERR_NOERROR) {
			fprintf(stderr, "dplat: GETBULK failed (%s)\n",
			    st != STAT_SUCCESS ? "no answer" :
			    snmp_errstring(resp != NULL ? resp->errstat : 0));
			if (resp != NULL)
				snmp_free_pdu(resp);
			return 1;
		}
		if (resp->variables == NULL) {
			snmp_free_pdu(resp);
			fprintf(stderr, "dplat: empty GETBULK answer\n");
			return 1;
		}
		for (vb = resp->variables; vb != NULL; vb = vb->next_variable,
		    k = (k + 1) % nactive) {
			size_t c = active[k];

			if (ended[k])
				continue;
			if (is_exception(vb) ||
			    !under(vb->name, vb->name_length, &oids[c])) {
				ended[k] = true;
				continue;
			}
			memcpy(cur[c].name, vb->name,
			    vb->name_length * sizeof(oid));
			cur[c].len = vb->name_length;
			varbinds++;
		}
		snmp_free_pdu(resp);
		for (size_t a = 0; a < nactive; a++)
			if (!ended[a])
				active[still++] = active[a];
		nactive = still;
	}
	secs = clock_s(CLOCK_MONOTONIC) - t0;
	printf("varbinds=%lu rows=%lu requests=%lu seconds=%.3f vbps=%.0f "
	    "rowsps=%.0f\n", varbinds, varbinds / noids, requests, secs,
	    secs > 0 ? (double)varbinds / secs : 0.0,
	    secs > 0 ? (double)varbinds / (double)noids / secs : 0.0);
	free(cur);
	free(active);
	free(ended);
	return 0;
}

static int
run_wait(netsnmp_session *ss, double start, double limit_s, long poll_ms)
{
	struct timespec pause = { poll_ms / 1000, (poll_ms % 1000) * 1000000L };
	double t_end = clock_s(CLOCK_REALTIME) + limit_s;
	long polls = 0;

	while (clock_s(CLOCK_REALTIME) < t_end) {
		netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GET), *resp = NULL;
		netsnmp_variable_list *vb;
		bool ok;
		int st;

		for (size_t i = 0; i < noids; i++)
			snmp_add_null_var(pdu, oids[i].name, oids[i].len);
		st = snmp_synch_response(ss, pdu, &resp);
		polls++;
		ok = st == STAT_SUCCESS && resp != NULL &&
		    resp->errstat == SNMP_ERR_NOERROR;
		if (ok) {
			size_t n = 0;

			for (vb = resp->variables; vb != NULL;
			    vb = vb->next_variable, n++)
				if (is_exception(vb))
					ok = false;
			ok = ok && n == noids;
		}
		if (resp != NULL)
			snmp_free_pdu(resp);
		if (ok) {
			printf("ready_s=%.4f polls=%ld\n",
			    clock_s(CLOCK_REALTIME) - start, polls);
			return 0;
		}
		nanosleep(&pause, NULL);
	}
	printf("ready_s=- polls=%ld\n", polls);
	return 1;
}

int
main(int argc, char **argv)
{
	const char *host = "127.0.0.1", *community = "public", *mode = NULL;
	const char *file = NULL;
	long port = 161, count = 1000, warmup = 20, maxrep = 25, poll_ms = 2;
	double timeout_s = 5, start = -1, limit_s = 30;
	struct oidv prefix;
	bool have_prefix = false, verbose = false;
	netsnmp_session sess, *ss;
	char peer[300];
	int ch, rc;

	/* Numeric OIDs only: no MIB files, no configuration files. */
	setenv("MIBS", "", 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	init_snmp("dplat");

	while ((ch = getopt(argc, argv, "h:p:c:t:w:n:P:R:T:W:i:vm:f:")) != -1) {
		switch (ch) {
		case 'h': host = optarg; break;
		case 'p': port = num_arg(optarg, 1, 65535); break;
		case 'c': community = optarg; break;
		case 't': timeout_s = real_arg(optarg); break;
		case 'w': warmup = num_arg(optarg, 0, 10000000); break;
		case 'n': count = num_arg(optarg, 1, 100000000); break;
		case 'P': add_oid(optarg, &prefix); have_prefix = true; break;
		case 'R': maxrep = num_arg(optarg, 1, 10000); break;
		case 'T': start = real_arg(optarg); break;
		case 'W': limit_s = real_arg(optarg); break;
		case 'i': poll_ms = num_arg(optarg, 0, 10000); break;
		case 'v': verbose = true; break;
		case 'm': mode = optarg; break;
		case 'f': file = optarg; break;
		default: usage();
		}
	}
	if (mode == NULL)
		usage();
	if (file != NULL)
		read_oid_file(file);
	for (int i = optind; i < argc; i++)
		add_oid(argv[i], NULL);
	if (noids == 0)
		usage();
	if (start < 0)
		start = clock_s(CLOCK_REALTIME);

	snmp_sess_init(&sess);
	snprintf(peer, sizeof(peer), "udp:%s:%ld", host, port);
	sess.peername = peer;
	sess.version = SNMP_VERSION_2c;
	sess.community = (u_char *)strdup(community);
	sess.community_len = strlen(community);
	sess.timeout = (long)(timeout_s * 1e6);
	sess.retries = 0;
	if ((ss = snmp_open(&sess)) == NULL) {
		snmp_sess_perror("dplat", &sess);
		return 1;
	}
	if (strcmp(mode, "get") == 0)
		rc = run_latency(ss, SNMP_MSG_GET, count, warmup,
		    have_prefix ? &prefix : NULL, verbose);
	else if (strcmp(mode, "getnext") == 0)
		rc = run_latency(ss, SNMP_MSG_GETNEXT, count, warmup,
		    have_prefix ? &prefix : NULL, verbose);
	else if (strcmp(mode, "table") == 0)
		rc = run_table(ss, maxrep);
	else if (strcmp(mode, "wait") == 0)
		rc = run_wait(ss, start, limit_s, poll_ms);
	else
		usage();
	snmp_close(ss);
	snmp_shutdown("dplat");
	free(oids);
	return rc;
}
