/*
 * dpctl: the model's command line.  Creates and migrates the database,
 * imports ConfigMgr exports, lists and shows rows, backs the database up.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "convert/dp_convert.h"
#include "import/dp_import.h"
#include "model/dp_store.h"
#include "util/dp_defaults.h"
#include "util/dp_log.h"
#define DPCTL_BUSY_MS		5000
#define DPCTL_RETENTION_DAYS	30

/* Exit statuses. */
#define EX_OK		0
#define EX_FAIL		1	/* refused input, database error */
#define EX_USAGE	2

static const char *const bucket_names[DP_B_COUNT] = {
	"none", "updated", "added", "deleted", "other"
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: dpctl [--db FILE] [-q] [-v] COMMAND [ARGS]\n"
"\n"
"Manage the dpagent model: the SQLite database that dpagentd serves as\n"
"DISTRIBUTION-POINT-MIB.\n"
"\n"
"Commands:\n"
"  init                      create the database, or migrate its schema\n"
"  import [--snapshot] FILE...\n"
"                            import SMS_DistributionPoint exports (JSON from\n"
"                            ConvertTo-Json, CSV from Export-Csv) in one\n"
"                            transaction; --snapshot: the files hold every\n"
"                            row, so rows absent from them are removed\n"
"  list                      totals, servers and packages\n"
"  list servers|packages     one line per server or package\n"
"  list rows [SERVER-INDEX]  one line per row (of one server)\n"
"  show S.P                  every property of the row with index S.P\n"
"  show PACKAGEID SERVER     the same, by PackageID and server name or\n"
"                            NAL path\n"
"  pending [--json]          writes made over SNMP that ConfigMgr has not\n"
"                            applied yet (dpRefreshNow, dpISVString)\n"
"  ack ID...                 mark writes applied by ConfigMgr (all or none)\n"
"  backup OUT                write a consistent copy to OUT (online backup)\n"
"  prune [--days N]          delete delivered events and acknowledged writes\n"
"                            older than N days (default %d)\n"
"\n"
"Options:\n"
"  --db FILE   the database (default $DPAGENT_DB or %s)\n"
"  -q          only errors\n"
"  -v          debug messages\n"
"  --help      this text\n"
"  --version   the version\n",
	    DPCTL_RETENTION_DAYS, DP_DEFAULT_DB);
}

static struct dp_store *
open_store(const char *path, int flags)
{
	struct dp_store *st;
	char err[600];

	/* The store's message names the file and the problem (missing,
	 * unreadable, a directory, damaged, a newer schema). */
	st = dp_store_open(path, flags, DPCTL_BUSY_MS, err, sizeof(err));
	if (st == NULL)
		dp_err("%s", err);
	return st;
}

static int
cmd_init(const char *db, int argc, char **argv)
{
	struct dp_store *st;
	(void)argv;

	if (argc != 0) {
		usage(stderr);
		return EX_USAGE;
	}
	if ((st = open_store(db, DP_STORE_CREATE)) == NULL)
		return EX_FAIL;
	dp_info("%s: schema version %d", db, dp_store_schema_version(st));
	dp_store_close(st);
	return EX_OK;
}

static int
cmd_import(const char *db, int argc, char **argv)
{
	struct dp_import_counts c;
	struct dp_store *st;
	unsigned long warnings = 0;
	bool snapshot = false;
	int i = 0, rc;

	if (i < argc && strcmp(argv[i], "--snapshot") == 0) {
		snapshot = true;
		i++;
	}
	if (i >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if ((st = open_store(db, 0)) == NULL)
		return EX_FAIL;
	rc = dp_import_files(st, (const char *const *)argv + i,
	    (size_t)(argc - i), snapshot, &c, &warnings);
	dp_store_close(st);
	if (rc != 0) {
		dp_err("import refused; the database is unchanged");
		return EX_FAIL;
	}
	return EX_OK;
}

static void
format_ms(int64_t ms, char *buf, size_t len)
{
	struct dp_time t;
	char text[DP_TIME_TEXT_MAX];

	if (ms == 0 || dp_time_from_unix_ms(ms, true, 0, &t) != 0) {
		snprintf(buf, len, "never");
		return;
	}
	dp_time_format(&t, text);
	snprintf(buf, len, "%s", text);
}

static void
print_buckets(const uint32_t *by_status)
{
	for (int b = 0; b < DP_B_COUNT; b++)
		printf(" %s=%" PRIu32, bucket_names[b], by_status[b]);
}

/*
 * A stored string as dpctl shows it to a person: control characters (an
 * ESC sequence, a newline that would forge a table row) written as \xNN,
 * as the import's log does; --json output stays exact.  Eight rotating
 * buffers, enough for one printf of a row.
 */
static const char *
shown(const char *s)
{
	static char	 buf[8][4 * DP_MAX_NAL_PATH + 8];
	static int	 next;
	size_t		 n = strnlen(s, DP_MAX_NAL_PATH);
	char		*b = buf[next++ % 8];

	dp_escape(s, n, true, b, sizeof(buf[0]));
	return b;
}

static int
list_servers(struct dp_store *st)
{
	struct dp_server s;
	int64_t idx = 0;
	int rc;

	printf("%-6s %-4s %-32s %7s  %s\n", "INDEX", "SITE", "SERVER", "ROWS",
	    "BY STATUS");
	while ((rc = dp_store_server_next(st, idx, &s)) == 1) {
		printf("%-6" PRIu32 " %-4s %-32s %7" PRIu32 " ", s.idx,
		    shown(s.site_code), shown(s.name), s.rows);
		print_buckets(s.by_status);
		printf("\n");
		idx = s.idx;
	}
	return rc;
}

static int
list_packages(struct dp_store *st)
{
	struct dp_package p;
	int64_t idx = 0;
	int rc;

	printf("%-6s %-12s %5s %5s %-4s %7s  %s\n", "INDEX", "PACKAGEID",
	    "TYPE", "OBJ", "SRC", "ROWS", "BY STATUS");
	while ((rc = dp_store_package_next(st, idx, &p)) == 1) {
		printf("%-6" PRIu32 " %-12s %5" PRId32 " %5" PRId32 " %-4s %7"
		    PRIu32 " ", p.idx, shown(p.package_id), p.package_type,
		    p.object_type_id, shown(p.source_site), p.rows);
		print_buckets(p.by_status);
		printf("\n");
		idx = p.idx;
	}
	return rc;
}

static const char *
status_label(int32_t v, char *buf, size_t len)
{
	const char *name = dp_status_name(v);

	if (name == NULL) {
		snprintf(buf, len, "%" PRId32, v);
		return buf;
	}
	return name;
}

static int
list_rows(struct dp_store *st, int64_t server)
{
	struct dp_row *r;
	char buf[16];
	int rc;

	if ((r = malloc(sizeof(*r))) == NULL)
		return -1;
	printf("%-13s %-12s %-4s %-8s %-32s %s\n", "INDEX", "PACKAGEID",
	    "SITE", "STATUS", "LASTREFRESHTIME", "SERVER");
	rc = dp_store_row_next(st, server < 0 ? 0 : server, 0, r);
	while (rc == 1 && (server < 0 || r->server_idx == server)) {
		char name[DP_MAX_SERVER_NAME + 1], index[24];

		dp_nal_server_name(r->server_nal_path, name, sizeof(name));
		snprintf(index, sizeof(index), "%" PRIu32 ".%" PRIu32,
		    r->server_idx, r->package_idx);
		printf("%-13s %-12s %-4s %-8s %-32s %s\n", index,
		    shown(r->package_id), shown(r->site_code),
		    status_label(r->status, buf, sizeof(buf)),
		    r->last_refresh_time, shown(name));
		rc = dp_store_row_next(st, r->server_idx, r->package_idx, r);
	}
	free(r);
	return rc < 0 ? -1 : 0;
}

static int
print_scalars(struct dp_store *st)
{
	struct dp_scalars sc;
	char when[40];

	if (dp_store_scalars(st, &sc) != 0)
		return -1;
	printf("servers %" PRIu32 ", packages %" PRIu32 ", rows %" PRIu32
	    " (", sc.servers, sc.packages, sc.rows);
	for (int b = 0; b < DP_B_COUNT; b++)
		printf("%s%s %" PRIu32, b ? ", " : "", bucket_names[b],
		    sc.by_status[b]);
	printf(")\n");
	printf("distribution states %" PRIu32 " (", sc.dist_rows);
	for (int b = 0; b < DP_DB_COUNT; b++)
		printf("%s%s %" PRIu32, b ? ", " : "",
		    dp_dist_bucket_name((enum dp_dist_bucket)b), sc.by_dist[b]);
	printf(")\n");
	format_ms(sc.last_import_ms, when, sizeof(when));
	printf("last import %s\n", when);
	format_ms(sc.last_change_ms, when, sizeof(when));
	printf("last change %s, change counter %" PRIu64 "\n", when,
	    sc.change_counter);
	printf("writes pending for ConfigMgr %" PRIu32 "\n",
	    sc.pending_writes);
	return 0;
}

static int
parse_index(const char *s, int64_t *v)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || n == 0 ||
	    n > UINT32_MAX || s[0] == '-')
		return -1;
	*v = (int64_t)n;
	return 0;
}

static int
cmd_list(const char *db, int argc, char **argv)
{
	struct dp_store *st;
	int64_t server = -1;
	int rc;

	if (argc > 2 || (argc == 2 && strcmp(argv[0], "rows") != 0)) {
		usage(stderr);
		return EX_USAGE;
	}
	if (argc == 2 && parse_index(argv[1], &server) != 0) {
		dp_err("%s: not a server index", argv[1]);
		return EX_USAGE;
	}
	if ((st = open_store(db, DP_STORE_READONLY)) == NULL)
		return EX_FAIL;
	if (argc == 0) {
		rc = print_scalars(st);
		if (rc == 0) {
			printf("\n");
			rc = list_servers(st);
		}
		if (rc == 0) {
			printf("\n");
			rc = list_packages(st);
		}
	} else if (strcmp(argv[0], "servers") == 0)
		rc = list_servers(st);
	else if (strcmp(argv[0], "packages") == 0)
		rc = list_packages(st);
	else if (strcmp(argv[0], "rows") == 0)
		rc = list_rows(st, server);
	else {
		dp_store_close(st);
		usage(stderr);
		return EX_USAGE;
	}
	if (rc < 0)
		dp_err("%s: %s", db, dp_store_errmsg(st));
	dp_store_close(st);
	return rc < 0 ? EX_FAIL : EX_OK;
}

static void
print_hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static void
print_enum(const char *prop, int32_t v, const char *name)
{
	if (name != NULL)
		printf("%-16s %" PRId32 " (%s)\n", prop, v, name);
	else
		printf("%-16s %" PRId32 " (not in the MIB's enumeration)\n",
		    prop, v);
}

static void
print_row(const struct dp_row *r)
{
	printf("%-16s %" PRIu32 ".%" PRIu32 "\n", "Index", r->server_idx,
	    r->package_idx);
	printf("%-16s %s\n", "BitsEnabled", r->bits_enabled ? "True" : "False");
	printf("%-16s %s\n", "IsPeerDP", r->is_peer_dp ? "True" : "False");
	printf("%-16s %s\n", "IsProtected", r->is_protected ? "True" :
	    "False");
	printf("%-16s ", "ISVData");
	print_hex(r->isv_data, r->isv_data_len);
	printf("\n%-16s %" PRIu32 "\n", "ISVDataSize", r->isv_data_size);
	printf("%-16s %s\n", "ISVString", shown(r->isv_string));
	printf("%-16s %s\n", "LastRefreshTime", r->last_refresh_time);
	print_enum("ObjectTypeID", r->object_type_id,
	    dp_object_type_name(r->object_type_id));
	printf("%-16s %s\n", "PackageID", shown(r->package_id));
	print_enum("PackageType", r->package_type,
	    dp_package_type_name(r->package_type));
	printf("%-16s %s\n", "RefreshNow", r->refresh_now ? "True" : "False");
	printf("%-16s %s\n", "ResourceType", shown(r->resource_type));
	printf("%-16s %s\n", "SecureObjectID", shown(r->secure_object_id));
	printf("%-16s %s\n", "ServerNALPath", shown(r->server_nal_path));
	printf("%-16s %s\n", "SiteCode", shown(r->site_code));
	printf("%-16s %s\n", "SiteName", shown(r->site_name));
	printf("%-16s %s\n", "SourceSite", shown(r->source_site));
	print_enum("Status", r->status, dp_status_name(r->status));
}

/* The distribution state of a row (SMS_PackageStatusDistPointsSummarizer),
 * under the SMS_DistributionPoint properties when there are some. */
static void
print_dist(const struct dp_dist_row *d, bool alone)
{
	char since[40];

	if (alone) {
		printf("%-16s %" PRIu32 ".%" PRIu32 "\n", "Index",
		    d->server_idx, d->package_idx);
		printf("%-16s %s\n", "PackageID", shown(d->package_id));
		printf("%-16s %s\n", "ServerNALPath",
		    shown(d->server_nal_path));
		printf("%-16s %s\n", "SiteCode", shown(d->site_code));
	}
	printf("-- distribution (SMS_PackageStatusDistPointsSummarizer)\n");
	print_enum("State", d->state, dp_dist_state_name(d->state));
	format_ms(d->state_since_ms, since, sizeof(since));
	printf("%-16s %s\n", "StateSince", since);
	printf("%-16s %" PRIu32 "\n", "SourceVersion", d->source_version);
	printf("%-16s %s\n", "LastCopied", d->last_copied);
	printf("%-16s %s\n", "SummaryDate", d->summary_date);
	printf("%-16s %s\n", "SourceNALPath", shown(d->source_nal_path));
	printf("%-16s %" PRIu32 "\n", "SecuredTypeID", d->secured_type_id);
}

/* A server by index, name or NAL path; 1 found, 0 not, -1 error. */
static int
find_server(struct dp_store *st, const char *arg, uint32_t *idx)
{
	struct dp_server s;
	int64_t i = 0;
	int rc;

	if (parse_index(arg, &i) == 0) {
		*idx = (uint32_t)i;
		return 1;
	}
	/* Hundreds of servers at most: a scan is fine for a CLI. */
	i = 0;
	while ((rc = dp_store_server_next(st, i, &s)) == 1) {
		if (strcasecmp(s.name, arg) == 0 ||
		    strcmp(s.nal_path, arg) == 0) {
			*idx = s.idx;
			return 1;
		}
		i = s.idx;
	}
	return rc;
}

static int
cmd_show(const char *db, int argc, char **argv)
{
	struct dp_store *st;
	struct dp_row *r = NULL;
	struct dp_dist_row *d = NULL;
	uint32_t sidx = 0, pidx = 0;
	int drc = 0;
	int64_t a, b;
	char *dot;
	int rc = -1, ex = EX_FAIL;

	if (argc < 1 || argc > 2) {
		usage(stderr);
		return EX_USAGE;
	}
	if ((st = open_store(db, DP_STORE_READONLY)) == NULL)
		return EX_FAIL;
	if ((r = malloc(sizeof(*r))) == NULL ||
	    (d = malloc(sizeof(*d))) == NULL)
		goto out;
	if (argc == 1) {
		char buf[32];

		snprintf(buf, sizeof(buf), "%s", argv[0]);
		if ((dot = strchr(buf, '.')) == NULL) {
			dp_err("%s: expected SERVER.PACKAGE indexes, or "
			    "PACKAGEID SERVER", argv[0]);
			ex = EX_USAGE;
			goto out;
		}
		*dot = '\0';
		if (parse_index(buf, &a) != 0 || parse_index(dot + 1, &b)
		    != 0) {
			dp_err("%s: not an index S.P", argv[0]);
			ex = EX_USAGE;
			goto out;
		}
		sidx = (uint32_t)a;
		pidx = (uint32_t)b;
	} else {
		if ((rc = dp_store_package_find(st, argv[0], &pidx)) == 1)
			rc = find_server(st, argv[1], &sidx);
	}
	if (argc == 1 || rc == 1) {
		rc = dp_store_row_get(st, sidx, pidx, r);
		if (rc >= 0 && (drc = dp_store_dist_get(st, sidx, pidx, d)) < 0)
			rc = -1;
	}
	if (rc < 0)
		dp_err("%s: %s", db, dp_store_errmsg(st));
	else if (rc == 0 && drc == 0)
		dp_err("no such row");
	else {
		if (rc == 1)
			print_row(r);
		if (drc == 1)
			print_dist(d, rc == 0);
		ex = EX_OK;
	}
out:
	free(d);
	free(r);
	dp_store_close(st);
	return ex;
}

/* A RefreshNow value as JSON: the outbox keeps 'true'/'false'. */
static json_t *
outbox_value(const struct dp_outbox *o, const char *v)
{
	if (strcmp(o->property, "RefreshNow") == 0)
		return json_boolean(strcmp(v, "true") == 0);
	return json_string(v);
}

static json_t *
outbox_json(const struct dp_outbox *o)
{
	char when[40];

	format_ms(o->requested_ms, when, sizeof(when));
	return json_pack("{s:I, s:s, s:s, s:s, s:I, s:I, s:s, s:o, s:o, s:s, "
	    "s:o, s:o}",
	    "Id", (json_int_t)o->id,
	    "PackageID", o->package_id,
	    "ServerNALPath", o->server_nal_path,
	    "SiteCode", o->site_code,
	    "ServerIndex", (json_int_t)o->server_idx,
	    "PackageIndex", (json_int_t)o->package_idx,
	    "Property", o->property,
	    "OldValue", outbox_value(o, o->old_value),
	    "NewValue", outbox_value(o, o->new_value),
	    "RequestedAt", when,
	    "RequestId", o->request_id >= 0 ?
	    json_integer(o->request_id) : json_null(),
	    "Origin", o->origin[0] != '\0' ? json_string(o->origin) :
	    json_null());
}

static int
cmd_pending(const char *db, int argc, char **argv)
{
	struct dp_outbox *o;
	struct dp_store *st;
	json_t *list = NULL;
	int64_t after = 0;
	bool as_json = false;
	int rc, ex = EX_FAIL;

	if (argc == 1 && strcmp(argv[0], "--json") == 0)
		as_json = true;
	else if (argc != 0) {
		usage(stderr);
		return EX_USAGE;
	}
	if ((st = open_store(db, DP_STORE_READONLY)) == NULL)
		return EX_FAIL;
	if ((o = malloc(sizeof(*o))) == NULL)
		goto out;
	if (as_json) {
		if ((list = json_array()) == NULL)
			goto out;
	} else
		printf("%-6s %-13s %-10s %-4s %-24s %-10s %s\n", "ID", "INDEX",
		    "PACKAGEID", "SITE", "SERVER", "PROPERTY", "VALUE");
	while ((rc = dp_store_outbox_next(st, after, o)) == 1) {
		char name[DP_MAX_SERVER_NAME + 1], index[24];

		after = o->id;
		if (as_json) {
			if (json_array_append_new(list, outbox_json(o)) != 0)
				goto out;
			continue;
		}
		dp_nal_server_name(o->server_nal_path, name, sizeof(name));
		snprintf(index, sizeof(index), "%" PRIu32 ".%" PRIu32,
		    o->server_idx, o->package_idx);
		printf("%-6" PRId64 " %-13s %-10s %-4s %-24s %-10s %s\n", o->id,
		    index, shown(o->package_id), shown(o->site_code),
		    shown(name), o->property, shown(o->new_value));
	}
	if (rc < 0) {
		dp_err("%s: %s", db, dp_store_errmsg(st));
		goto out;
	}
	if (as_json && json_dumpf(list, stdout, JSON_INDENT(2)) != 0)
		goto out;
	if (as_json)
		printf("\n");
	ex = EX_OK;
out:
	json_decref(list);
	free(o);
	dp_store_close(st);
	return ex;
}

static int
cmd_ack(const char *db, int argc, char **argv)
{
	struct dp_store *st;
	int64_t *ids;
	int ex = EX_FAIL;

	if (argc < 1) {
		usage(stderr);
		return EX_USAGE;
	}
	if ((ids = calloc((size_t)argc, sizeof(*ids))) == NULL)
		return EX_FAIL;
	for (int i = 0; i < argc; i++) {
		if (parse_index(argv[i], &ids[i]) != 0) {
			dp_err("%s: not a write ID", argv[i]);
			free(ids);
			return EX_USAGE;
		}
	}
	if ((st = open_store(db, 0)) == NULL)
		goto out;
	if (dp_store_ack(st, ids, (size_t)argc, dp_now_ms()) != 0)
		dp_err("ack refused, nothing acknowledged: %s",
		    dp_store_errmsg(st));
	else {
		dp_info("acknowledged %d write(s): imports may overwrite "
		    "those properties again", argc);
		ex = EX_OK;
	}
	dp_store_close(st);
out:
	free(ids);
	return ex;
}

static int
cmd_backup(const char *db, int argc, char **argv)
{
	struct dp_store *st;
	int rc;

	if (argc != 1) {
		usage(stderr);
		return EX_USAGE;
	}
	if ((st = open_store(db, DP_STORE_READONLY)) == NULL)
		return EX_FAIL;
	rc = dp_store_backup(st, argv[0]);
	if (rc != 0)
		dp_err("backup: %s", dp_store_errmsg(st));
	else
		dp_info("%s: consistent copy of %s written", argv[0], db);
	dp_store_close(st);
	return rc != 0 ? EX_FAIL : EX_OK;
}

static int
cmd_prune(const char *db, int argc, char **argv)
{
	struct dp_store *st;
	uint64_t events = 0, writes = 0;
	int64_t days = DPCTL_RETENTION_DAYS;
	int rc;

	if (argc == 2 && strcmp(argv[0], "--days") == 0) {
		if (parse_index(argv[1], &days) != 0) {
			dp_err("%s: not a number of days", argv[1]);
			return EX_USAGE;
		}
	} else if (argc != 0) {
		usage(stderr);
		return EX_USAGE;
	}
	if ((st = open_store(db, 0)) == NULL)
		return EX_FAIL;
	rc = dp_store_prune(st, dp_now_ms(), days * 86400, &events, &writes);
	if (rc != 0)
		dp_err("prune: %s", dp_store_errmsg(st));
	else
		dp_info("pruned %" PRIu64 " delivered events and %" PRIu64
		    " acknowledged writes older than %" PRId64 " days",
		    events, writes, days);
	dp_store_close(st);
	return rc != 0 ? EX_FAIL : EX_OK;
}

/* Each command's own options; a trailing '=' takes the next argument. */
static const char *const import_opts[] = { "--snapshot", NULL };
static const char *const pending_opts[] = { "--json", NULL };
static const char *const prune_opts[] = { "--days=", NULL };
static const char *const no_opts[] = { NULL };

static const struct {
	const char		*name;
	int			(*run)(const char *, int, char **);
	const char *const	*opts;
} commands[] = {
	{ "init", cmd_init, no_opts },
	{ "import", cmd_import, import_opts },
	{ "list", cmd_list, no_opts },
	{ "show", cmd_show, no_opts },
	{ "pending", cmd_pending, pending_opts },
	{ "ack", cmd_ack, no_opts },
	{ "backup", cmd_backup, no_opts },
	{ "prune", cmd_prune, prune_opts },
};

/* The known option opt (its value, if it takes one, at argv[i + 1]): 1
 * when it takes a value, 0 when not, -1 when unknown. */
static int
known_option(const char *const *known, const char *opt)
{
	for (; *known != NULL; known++) {
		size_t n = strlen(*known);

		if ((*known)[n - 1] == '=' &&
		    strncmp(*known, opt, n - 1) == 0 && opt[n - 1] == '\0')
			return 1;
		if (strcmp(*known, opt) == 0)
			return 0;
	}
	return -1;
}

/*
 * A command's arguments checked in one place: an unknown option is a
 * usage error; known ones move before the operands, which keep their
 * order, so that every command reads "OPTIONS OPERANDS"; "--" ends the
 * options (an operand may then start with '-').  The new argc, or -1.
 */
static int
order_arguments(const char *cmd, const char *const *known, int argc,
    char **argv)
{
	char	**out;
	int	 n = 0, i, pass, v;
	bool	 ended;

	if ((out = calloc((size_t)argc + 1, sizeof(*out))) == NULL)
		return -1;
	for (pass = 0; pass < 2; pass++) {
		ended = false;
		for (i = 0; i < argc; i++) {
			const char *a = argv[i];

			if (!ended && strcmp(a, "--") == 0) {
				ended = true;
				continue;
			}
			if (ended || a[0] != '-' || a[1] == '\0') {
				if (pass == 1)
					out[n++] = argv[i];
				continue;
			}
			if ((v = known_option(known, a)) < 0) {
				dp_err("%s: %s: unknown option", cmd, a);
				goto fail;
			}
			if (v == 1 && i + 1 >= argc) {
				dp_err("%s: %s needs a value", cmd, a);
				goto fail;
			}
			if (pass == 0)
				out[n++] = argv[i];
			if (pass == 0 && v == 1)
				out[n++] = argv[i + 1];
			i += v;
		}
	}
	memcpy(argv, out, (size_t)n * sizeof(*argv));
	free(out);
	return n;
fail:
	free(out);
	return -1;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *db = getenv("DPAGENT_DB");
	int ch;

	/* The database is shared with dpagentd through a group: files we
	 * create are never world-accessible (DESIGN.md, "Files"). */
	umask(007);
	if (db == NULL || *db == '\0')
		db = DP_DEFAULT_DB;
	/* "+": options end at the command, whose own options follow it. */
	while ((ch = getopt_long(argc, argv, "+qv", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			db = optarg;
			break;
		case 'q':
			dp_log_set_level(DP_LOG_ERR);
			break;
		case 'v':
			dp_log_set_level(DP_LOG_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'V':
			printf("dpctl (dpagent) %s\n", DP_VERSION);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		int n;

		if (strcmp(argv[optind], commands[i].name) != 0)
			continue;
		n = order_arguments(commands[i].name, commands[i].opts,
		    argc - optind - 1, argv + optind + 1);
		if (n < 0) {
			usage(stderr);
			return EX_USAGE;
		}
		return commands[i].run(db, n, argv + optind + 1);
	}
	dp_err("%s: unknown command", argv[optind]);
	usage(stderr);
	return EX_USAGE;
}
