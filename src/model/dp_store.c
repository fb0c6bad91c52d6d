/*
 * dp_store: the SQLite model.  See dp_store.h for the contract and
 * dp_schema.h for the schema and why it has that shape.
 */
#include "model/dp_store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "model/dp_schema.h"
#include "model/dp_store_int.h"

/* A pending write of a property of row d (the outbox_open index). */
#define OPEN_WRITE(prop) \
	"SELECT 1 FROM outbox o WHERE o.server_idx = d.server_idx " \
	"AND o.package_idx = d.package_idx AND o.property = '" prop "' " \
	"AND o.acked_ms IS NULL AND o.withdrawn_ms IS NULL"

/* Whether row d has an open write of prop.  The outbox is nearly always
 * empty of open writes: meta's count, an uncorrelated subquery that SQLite
 * evaluates once per statement, spares the two seeks per row then (they
 * were a fifth of a walk's instructions in snmpd, callgrind). */
#define OPEN_WRITE_FLAG(prop) \
	"(CASE WHEN (SELECT pending_writes FROM meta WHERE id = 1) > 0 " \
	"THEN EXISTS (" OPEN_WRITE(prop) ") ELSE 0 END)"

/* An outbox row for a write of row (?1, ?2), keys copied from the row. */
#define OUTBOX_INSERT(prop, old, new) \
	"INSERT INTO outbox (server_idx, package_idx, package_id, " \
	"server_nal_path, site_code, property, old_value, new_value, " \
	"requested_ms, request_id, origin) " \
	"SELECT d.server_idx, d.package_idx, p.package_id, s.nal_path, " \
	"s.site_code, '" prop "', " old ", " new ", ?4, ?5, ?6 " \
	"FROM dp d JOIN server s ON s.idx = d.server_idx " \
	"JOIN package p ON p.idx = d.package_idx " \
	"WHERE d.server_idx = ?1 AND d.package_idx = ?2"

/* An import keeps an ISVString written over SNMP until ConfigMgr has
 * acknowledged it: the export predates the write. */
#define ISV_IMPORTED \
	"(CASE WHEN EXISTS (SELECT 1 FROM outbox o WHERE " \
	"o.server_idx = ?1 AND o.package_idx = ?2 AND " \
	"o.property = 'ISVString' AND o.acked_ms IS NULL AND " \
	"o.withdrawn_ms IS NULL) THEN isv_string " \
	"ELSE coalesce(?8, isv_string) END)"

/* The values of a dpTable row, in enum dp_field (struct dp_row) order. */
#define F_BITS_ENABLED		"d.bits_enabled"
#define F_IS_PEER_DP		"d.is_peer_dp"
#define F_IS_PROTECTED		"d.is_protected"
#define F_REFRESH_NOW		"d.refresh_now"
#define F_ISV_DATA_SIZE		"d.isv_data_size"
#define F_OBJECT_TYPE_ID	"d.object_type_id"
#define F_PACKAGE_TYPE		"d.package_type"
#define F_STATUS		"d.status"
#define F_ISV_DATA		"d.isv_data"
#define F_ISV_STRING		"d.isv_string"
#define F_LAST_REFRESH_TIME	"d.last_refresh_time"
#define F_PACKAGE_ID		"p.package_id"
#define F_RESOURCE_TYPE		"d.resource_type"
#define F_SECURE_OBJECT_ID	"d.secure_object_id"
#define F_SERVER_NAL_PATH	"s.nal_path"
#define F_SITE_CODE		"s.site_code"
#define F_SITE_NAME		"d.site_name"
#define F_SOURCE_SITE		"d.source_site"
#define F_REFRESH_PENDING	OPEN_WRITE_FLAG("RefreshNow")
#define F_ISV_STRING_PENDING	OPEN_WRITE_FLAG("ISVString")

#define ROW_FROM "FROM dp d CROSS JOIN server s CROSS JOIN package p "
#define ROW_SELECT \
	"SELECT d.server_idx, d.package_idx, " F_BITS_ENABLED ", " \
	F_IS_PEER_DP ", " F_IS_PROTECTED ", " F_REFRESH_NOW ", " \
	F_ISV_DATA_SIZE ", " F_OBJECT_TYPE_ID ", " F_PACKAGE_TYPE ", " \
	F_STATUS ", " F_ISV_DATA ", " F_ISV_STRING ", " \
	F_LAST_REFRESH_TIME ", " F_PACKAGE_ID ", " F_RESOURCE_TYPE ", " \
	F_SECURE_OBJECT_ID ", " F_SERVER_NAL_PATH ", " F_SITE_CODE ", " \
	F_SITE_NAME ", " F_SOURCE_SITE ", " F_REFRESH_PENDING ", " \
	F_ISV_STRING_PENDING " " ROW_FROM
#define ROW_JOIN "s.idx = d.server_idx AND p.idx = d.package_idx"
/* The rows after (?1, ?2), up to ?3, with the key and the values given:
 * the same rows whatever is read of them. */
#define ROWS_AFTER(values) \
	"SELECT d.server_idx, d.package_idx, " values " " ROW_FROM \
	"WHERE (d.server_idx, d.package_idx) > (?1, ?2) AND " ROW_JOIN \
	" ORDER BY d.server_idx, d.package_idx LIMIT ?3"

#define SERVER_SELECT \
	"SELECT idx, nal_path, name, site_code, rows, n_none, n_updated, " \
	"n_added, n_deleted, n_other FROM server "
#define PACKAGE_SELECT \
	"SELECT idx, package_id, package_type, object_type_id, " \
	"secure_object_id, source_site, site_name, rows, n_none, n_updated, " \
	"n_added, n_deleted, n_other FROM package "

enum stmt_id {
	S_ROW_GET,
	S_ROW_NEXT,
	S_ROWS_NEXT,
	S_FIELD_NEXT,		/* + enum dp_field: one value of the rows */
	S_FIELD_NEXT_LAST = S_FIELD_NEXT + DP_FIELD_COUNT - 1,
	S_SERVER_GET,
	S_SERVER_NEXT,
	S_PACKAGE_GET,
	S_PACKAGE_NEXT,
	S_SCALARS,
	S_SERVER_FIND,
	S_PACKAGE_FIND,
	S_DATA_VERSION,
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_SERVER_INSERT,
	S_PACKAGE_INSERT,
	S_PACKAGE_UPDATE,
	S_SEEN_INSERT,
	S_DP_UPSERT,
	S_SNAPSHOT_DELETE,
	S_IMPORT_DONE,
	S_PRUNE_EVENTS,
	S_PRUNE_WRITES,
	S_PENDING_ISV,
	S_ISV_OUTBOX,
	S_ISV_UPDATE,
	S_REFRESH_OUTBOX,
	S_WITHDRAW,
	S_UNDO_WITHDRAW,
	S_OUTBOX_DELETE,
	S_OUTBOX_NEXT,
	S_ACK,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_ROW_GET] = ROW_SELECT
	    "WHERE d.server_idx = ?1 AND d.package_idx = ?2 AND " ROW_JOIN,
	/* Row values make this one seek on dp's primary key. */
	[S_ROW_NEXT] = ROW_SELECT
	    "WHERE (d.server_idx, d.package_idx) > (?1, ?2) AND " ROW_JOIN
	    " ORDER BY d.server_idx, d.package_idx LIMIT 1",
	[S_ROWS_NEXT] = ROW_SELECT
	    "WHERE (d.server_idx, d.package_idx) > (?1, ?2) AND " ROW_JOIN
	    " ORDER BY d.server_idx, d.package_idx LIMIT ?3",
	[S_FIELD_NEXT + DP_FIELD_BITS_ENABLED] = ROWS_AFTER(F_BITS_ENABLED),
	[S_FIELD_NEXT + DP_FIELD_IS_PEER_DP] = ROWS_AFTER(F_IS_PEER_DP),
	[S_FIELD_NEXT + DP_FIELD_IS_PROTECTED] = ROWS_AFTER(F_IS_PROTECTED),
	[S_FIELD_NEXT + DP_FIELD_REFRESH_NOW] = ROWS_AFTER(F_REFRESH_NOW),
	[S_FIELD_NEXT + DP_FIELD_ISV_DATA_SIZE] = ROWS_AFTER(F_ISV_DATA_SIZE),
	[S_FIELD_NEXT + DP_FIELD_OBJECT_TYPE_ID] = ROWS_AFTER(F_OBJECT_TYPE_ID),
	[S_FIELD_NEXT + DP_FIELD_PACKAGE_TYPE] = ROWS_AFTER(F_PACKAGE_TYPE),
	[S_FIELD_NEXT + DP_FIELD_STATUS] = ROWS_AFTER(F_STATUS),
	[S_FIELD_NEXT + DP_FIELD_ISV_DATA] = ROWS_AFTER(F_ISV_DATA),
	[S_FIELD_NEXT + DP_FIELD_ISV_STRING] = ROWS_AFTER(F_ISV_STRING),
	[S_FIELD_NEXT + DP_FIELD_LAST_REFRESH_TIME] =
	    ROWS_AFTER(F_LAST_REFRESH_TIME),
	[S_FIELD_NEXT + DP_FIELD_PACKAGE_ID] = ROWS_AFTER(F_PACKAGE_ID),
	[S_FIELD_NEXT + DP_FIELD_RESOURCE_TYPE] = ROWS_AFTER(F_RESOURCE_TYPE),
	[S_FIELD_NEXT + DP_FIELD_SECURE_OBJECT_ID] =
	    ROWS_AFTER(F_SECURE_OBJECT_ID),
	[S_FIELD_NEXT + DP_FIELD_SERVER_NAL_PATH] =
	    ROWS_AFTER(F_SERVER_NAL_PATH),
	[S_FIELD_NEXT + DP_FIELD_SITE_CODE] = ROWS_AFTER(F_SITE_CODE),
	[S_FIELD_NEXT + DP_FIELD_SITE_NAME] = ROWS_AFTER(F_SITE_NAME),
	[S_FIELD_NEXT + DP_FIELD_SOURCE_SITE] = ROWS_AFTER(F_SOURCE_SITE),
	[S_FIELD_NEXT + DP_FIELD_REFRESH_PENDING] =
	    ROWS_AFTER(F_REFRESH_PENDING),
	[S_FIELD_NEXT + DP_FIELD_ISV_STRING_PENDING] =
	    ROWS_AFTER(F_ISV_STRING_PENDING),
	[S_SERVER_GET] = SERVER_SELECT "WHERE idx = ?1 AND rows > 0",
	[S_SERVER_NEXT] = SERVER_SELECT
	    "WHERE idx > ?1 AND rows > 0 ORDER BY idx LIMIT 1",
	[S_PACKAGE_GET] = PACKAGE_SELECT "WHERE idx = ?1 AND rows > 0",
	[S_PACKAGE_NEXT] = PACKAGE_SELECT
	    "WHERE idx > ?1 AND rows > 0 ORDER BY idx LIMIT 1",
	[S_SCALARS] = "SELECT servers, packages, rows, n_none, n_updated, "
	    "n_added, n_deleted, n_other, last_change_ms, change_counter, "
	    "last_import_ms, pending_writes FROM meta WHERE id = 1",
	[S_SERVER_FIND] = "SELECT idx FROM server "
	    "WHERE nal_path = ?1 AND site_code = ?2",
	[S_PACKAGE_FIND] = "SELECT idx FROM package WHERE package_id = ?1",
	[S_DATA_VERSION] = "PRAGMA data_version",
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_SERVER_INSERT] = "INSERT INTO server (nal_path, site_code, name) "
	    "VALUES (?1, ?2, ?3)",
	[S_PACKAGE_INSERT] = "INSERT INTO package (package_id) VALUES (?1)",
	/* Package attributes are per instance in WMI; dpPackageTable shows
	 * the last imported ones.  Write only when something differs. */
	[S_PACKAGE_UPDATE] = "UPDATE package SET "
	    "package_type = coalesce(?2, package_type), "
	    "object_type_id = coalesce(?3, object_type_id), "
	    "secure_object_id = coalesce(?4, secure_object_id), "
	    "source_site = coalesce(?5, source_site), "
	    "site_name = coalesce(?6, site_name) "
	    "WHERE idx = ?1 AND (package_type, object_type_id, "
	    "secure_object_id, source_site, site_name) IS NOT "
	    "(coalesce(?2, package_type), coalesce(?3, object_type_id), "
	    "coalesce(?4, secure_object_id), coalesce(?5, source_site), "
	    "coalesce(?6, site_name))",
	[S_SEEN_INSERT] = "INSERT INTO temp.dp_seen (server_idx, package_idx) "
	    "VALUES (?1, ?2)",
	/*
	 * A NULL parameter is a property the export did not carry: an insert
	 * takes the class default, an update keeps the stored value.  The
	 * WHERE clause skips rows whose values are all equal, so re-importing
	 * the same export writes nothing and fires no trigger.
	 */
	[S_DP_UPSERT] = "INSERT INTO dp (server_idx, package_idx, "
	    DP_SQL_VALUE_COLUMNS("") ") VALUES (?1, ?2, "
	    "coalesce(?3, 0), coalesce(?4, 0), coalesce(?5, 0), "
	    "coalesce(?6, x''), coalesce(?7, 0), coalesce(?8, ''), "
	    "coalesce(?9, '1990-01-01T00:00:00.000000'), coalesce(?10, 0), "
	    "coalesce(?11, 0), coalesce(?12, 0), coalesce(?13, ''), "
	    "coalesce(?14, ''), coalesce(?15, ''), coalesce(?16, ''), "
	    "coalesce(?17, 0)) "
	    "ON CONFLICT (server_idx, package_idx) DO UPDATE SET "
	    "bits_enabled = coalesce(?3, bits_enabled), "
	    "is_peer_dp = coalesce(?4, is_peer_dp), "
	    "is_protected = coalesce(?5, is_protected), "
	    "isv_data = coalesce(?6, isv_data), "
	    "isv_data_size = coalesce(?7, isv_data_size), "
	    "isv_string = " ISV_IMPORTED ", "
	    "last_refresh_time = coalesce(?9, last_refresh_time), "
	    "object_type_id = coalesce(?10, object_type_id), "
	    "package_type = coalesce(?11, package_type), "
	    "refresh_now = coalesce(?12, refresh_now), "
	    "resource_type = coalesce(?13, resource_type), "
	    "secure_object_id = coalesce(?14, secure_object_id), "
	    "site_name = coalesce(?15, site_name), "
	    "source_site = coalesce(?16, source_site), "
	    "status = coalesce(?17, status) "
	    "WHERE (" DP_SQL_VALUE_COLUMNS("") ") IS NOT ("
	    "coalesce(?3, bits_enabled), coalesce(?4, is_peer_dp), "
	    "coalesce(?5, is_protected), coalesce(?6, isv_data), "
	    "coalesce(?7, isv_data_size), " ISV_IMPORTED ", "
	    "coalesce(?9, last_refresh_time), coalesce(?10, object_type_id), "
	    "coalesce(?11, package_type), coalesce(?12, refresh_now), "
	    "coalesce(?13, resource_type), coalesce(?14, secure_object_id), "
	    "coalesce(?15, site_name), coalesce(?16, source_site), "
	    "coalesce(?17, status))",
	[S_SNAPSHOT_DELETE] = "DELETE FROM dp WHERE NOT EXISTS ("
	    "SELECT 1 FROM temp.dp_seen s WHERE s.server_idx = dp.server_idx "
	    "AND s.package_idx = dp.package_idx)",
	[S_IMPORT_DONE] = "UPDATE meta SET last_import_ms = ?1 WHERE id = 1",
	[S_PRUNE_EVENTS] = "DELETE FROM status_event "
	    "WHERE delivered_ms IS NOT NULL AND delivered_ms < ?1",
	[S_PRUNE_WRITES] = "DELETE FROM outbox "
	    "WHERE coalesce(acked_ms, withdrawn_ms) < ?1",
	[S_PENDING_ISV] = "SELECT 1 FROM outbox WHERE server_idx = ?1 AND "
	    "package_idx = ?2 AND property = 'ISVString' AND acked_ms IS NULL "
	    "AND withdrawn_ms IS NULL",
	[S_ISV_OUTBOX] = OUTBOX_INSERT("ISVString", "d.isv_string", "?3"),
	[S_ISV_UPDATE] = "UPDATE dp SET isv_string = ?3 "
	    "WHERE server_idx = ?1 AND package_idx = ?2",
	[S_REFRESH_OUTBOX] = OUTBOX_INSERT("RefreshNow", "'false'", "'true'"),
	[S_WITHDRAW] = "UPDATE outbox SET withdrawn_ms = ?4, "
	    "withdrawn_request_id = ?3 WHERE server_idx = ?1 AND "
	    "package_idx = ?2 AND property = 'RefreshNow' AND "
	    "acked_ms IS NULL AND withdrawn_ms IS NULL",
	[S_UNDO_WITHDRAW] = "UPDATE outbox SET withdrawn_ms = NULL, "
	    "withdrawn_request_id = NULL WHERE server_idx = ?1 AND "
	    "package_idx = ?2 AND property = 'RefreshNow' AND "
	    "withdrawn_request_id IS ?3 AND withdrawn_ms = ?4",
	[S_OUTBOX_DELETE] = "DELETE FROM outbox WHERE id = ?1",
	[S_OUTBOX_NEXT] = "SELECT id, server_idx, package_idx, package_id, "
	    "server_nal_path, site_code, property, old_value, new_value, "
	    "requested_ms, request_id, origin FROM outbox WHERE id > ?1 AND "
	    "acked_ms IS NULL AND withdrawn_ms IS NULL ORDER BY id LIMIT 1",
	[S_ACK] = "UPDATE outbox SET acked_ms = ?2 WHERE id = ?1 AND "
	    "acked_ms IS NULL AND withdrawn_ms IS NULL",
};

_Static_assert(DP_MIGRATIONS == DP_SCHEMA_VERSION,
    "DP_SCHEMA_VERSION must equal the number of migrations");

struct dp_store {
	sqlite3		*db;
	sqlite3_stmt	*stmt[S_COUNT];
	int		 flags;
	int		 busy_ms;
	bool		 importing;
	bool		 snapshot;
	bool		 writes_pending;	/* at the start of the import */
	uint64_t	 rows_before;
	struct dp_import_counts counts;
	char		 err[512];
};

static int
store_fail(struct dp_store *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
store_fail(struct dp_store *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* "what: <SQLite's message>", with the system's reason when SQLite has
 * one: a full disk or a file-size limit reads "disk I/O error (File too
 * large)", not a bare "disk I/O error"; and who held a busy database. */
static int
store_sqlfail(struct dp_store *st, const char *what)
{
	int code = sqlite3_errcode(st->db) & 0xff, sys_errno;

	if (code == SQLITE_BUSY)
		return store_fail(st, "%s: %s (another process held the write "
		    "lock for longer than %d ms)", what, sqlite3_errmsg(st->db),
		    st->busy_ms);
	sys_errno = sqlite3_system_errno(st->db);
	if ((code == SQLITE_IOERR || code == SQLITE_FULL ||
	    code == SQLITE_CANTOPEN) && sys_errno != 0)
		return store_fail(st, "%s: %s (%s)", what,
		    sqlite3_errmsg(st->db), strerror(sys_errno));
	return store_fail(st, "%s: %s", what, sqlite3_errmsg(st->db));
}

const char *
dp_store_errmsg(const struct dp_store *st)
{
	return st->err;
}

sqlite3 *
dp_store_sqlite(struct dp_store *st)
{
	return st->db;
}

int
dp_store_fail(struct dp_store *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return -1;
}

int
dp_store_sqlfail(struct dp_store *st, const char *what)
{
	return store_sqlfail(st, what);
}

int64_t
dp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Statements are prepared on first use, so that a read-only opener never
 * prepares what it does not run. */
static sqlite3_stmt *
stmt_get(struct dp_store *st, enum stmt_id id)
{
	if (st->stmt[id] == NULL &&
	    sqlite3_prepare_v3(st->db, stmt_sql[id], -1,
	    SQLITE_PREPARE_PERSISTENT, &st->stmt[id], NULL) != SQLITE_OK) {
		store_sqlfail(st, "preparing a statement");
		st->stmt[id] = NULL;
	}
	return st->stmt[id];
}

/* Resets at once: a statement left mid-step holds a read transaction,
 * which freezes data_version and starves checkpoints. */
void
dp_store_stmt_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

static int
exec_sql(struct dp_store *st, const char *sql, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		store_fail(st, "%s: %s", what, msg != NULL ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Ends the transaction in progress, if any, keeping the error message
 * that says why. */
static void
rollback(struct dp_store *st)
{
	if (sqlite3_get_autocommit(st->db) == 0)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* A write with one integer parameter; *changed (if not NULL) gets the
 * number of rows it changed. */
static int
run_int(struct dp_store *st, enum stmt_id id, int64_t v, uint64_t *changed,
    const char *what)
{
	sqlite3_stmt *s = stmt_get(st, id);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, v);
	rc = sqlite3_step(s);
	dp_store_stmt_done(s);
	if (rc != SQLITE_DONE)
		return store_sqlfail(st, what);
	if (changed != NULL)
		*changed = (uint64_t)sqlite3_changes(st->db);
	return 0;
}

static int
run_simple(struct dp_store *st, enum stmt_id id, const char *what)
{
	sqlite3_stmt *s = stmt_get(st, id);
	int rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	dp_store_stmt_done(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_sqlfail(st, what);
	return 0;
}

static int
read_user_version(struct dp_store *st, int *version)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s,
	    NULL) != SQLITE_OK)
		return store_sqlfail(st, "reading the schema version");
	rc = sqlite3_step(s);
	*version = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
	sqlite3_finalize(s);
	if (*version < 0)
		return store_sqlfail(st, "reading the schema version");
	return 0;
}

int
dp_store_schema_version(struct dp_store *st)
{
	int v = -1;

	return read_user_version(st, &v) == 0 ? v : -1;
}

/* Brings the schema to DP_SCHEMA_VERSION, one migration per transaction
 * step, all in one transaction. */
static int
migrate(struct dp_store *st, int from)
{
	char sql[64];

	if (exec_sql(st, "BEGIN IMMEDIATE", "starting the migration") != 0)
		return -1;
	for (int v = from; v < DP_SCHEMA_VERSION; v++) {
		if (exec_sql(st, dp_migrations[v], "migrating the schema") != 0)
			goto fail;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (exec_sql(st, sql, "recording the schema version") != 0)
			goto fail;
	}
	if (exec_sql(st, "COMMIT", "committing the migration") != 0)
		goto fail;
	return 0;
fail:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/*
 * Says why a database file cannot be used before SQLite does: its own
 * "unable to open database file" and "disk I/O error" name neither a
 * missing file, nor a permission, nor a directory given as the path.
 * O_NONBLOCK: a FIFO at the path must not hang the caller.
 */
static int
probe_file(const char *path, char *err, size_t errlen)
{
	struct stat sb;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		int e = errno;

		if (e == ENOENT)
			snprintf(err, errlen, "%s: unable to open database "
			    "file: %s (create it with 'dpctl --db %s init')",
			    path, strerror(e), path);
		else
			snprintf(err, errlen, "%s: unable to open database "
			    "file: %s", path, strerror(e));
		return -1;
	}
	if (fstat(fd, &sb) != 0)
		sb.st_mode = 0;
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: unable to open database file: %s",
		    path, S_ISDIR(sb.st_mode) ? "it is a directory" :
		    "not a regular file");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* The open-time reason for a file SQLite cannot read as a database. */
static void
damaged_fail(struct dp_store *st)
{
	switch (sqlite3_errcode(st->db) & 0xff) {
	case SQLITE_NOTADB:
		store_fail(st, "not a dpagent database, or its header is "
		    "damaged (%s): check the path, or restore the database "
		    "from a backup", sqlite3_errmsg(st->db));
		break;
	case SQLITE_CORRUPT:
		store_fail(st, "the database is damaged (%s): restore it from "
		    "a backup ('dpctl backup' writes one)",
		    sqlite3_errmsg(st->db));
		break;
	default:
		break;
	}
}

struct dp_store *
dp_store_open(const char *path, int flags, int busy_ms, char *err,
    size_t errlen)
{
	struct dp_store *st;
	int oflags, version = 0;

	static bool configured;

	/* Before SQLite initialises: no global memory statistics, whose
	 * mutex every allocation would take (each connection is used by one
	 * thread only). */
	if (!configured) {
		sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
		configured = true;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	st->flags = flags;
	/*
	 * SQLite creates files 0644 whatever the umask allows, and its -wal
	 * and -shm files take the database's mode: create it 0666 & ~umask
	 * (0660 under dpctl's umask 007) so that the group can write.
	 */
	if ((flags & DP_STORE_CREATE) && !(flags & DP_STORE_READONLY)) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0666);

		if (fd >= 0)
			close(fd);
		else if (errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			free(st);
			return NULL;
		}
	}
	if (probe_file(path, err, errlen) != 0) {
		free(st);
		return NULL;
	}
	if (flags & DP_STORE_READONLY)
		oflags = SQLITE_OPEN_READONLY;
	else if (flags & DP_STORE_CREATE)
		oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	else
		oflags = SQLITE_OPEN_READWRITE;
	/* One connection per thread of use; no shared cache, no mmap (mapped
	 * pages would count in the daemon's memory). */
	oflags |= SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE;
	if (sqlite3_open_v2(path, &st->db, oflags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
		    st->db != NULL ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, busy_ms);
	st->busy_ms = busy_ms;
	if (read_user_version(st, &version) != 0) {
		damaged_fail(st);
		goto fail_st;
	}
	if (version > DP_SCHEMA_VERSION) {
		store_fail(st, "database schema version %d is newer than this "
		    "dpagent's (%d): upgrade dpagent", version,
		    DP_SCHEMA_VERSION);
		goto fail_st;
	}
	if (!(flags & DP_STORE_READONLY)) {
		if (exec_sql(st, "PRAGMA journal_mode = WAL; "
		    "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON",
		    "configuring the database") != 0)
			goto fail_st;
	}
	if (version < DP_SCHEMA_VERSION) {
		if (!(flags & DP_STORE_CREATE)) {
			if (version == 0)
				store_fail(st, "not a dpagent database "
				    "(run 'dpctl --db FILE init')");
			else
				store_fail(st, "schema version %d is older than "
				    "%d: run 'dpctl --db FILE init' to migrate",
				    version, DP_SCHEMA_VERSION);
			goto fail_st;
		}
		if (migrate(st, version) != 0)
			goto fail_st;
	}
	return st;

fail_st:
	snprintf(err, errlen, "%s: %s", path, st->err);
fail:
	sqlite3_close(st->db);
	free(st);
	return NULL;
}

bool
dp_store_readonly(struct dp_store *st)
{
	return sqlite3_db_readonly(st->db, "main") == 1;
}

void
dp_store_close(struct dp_store *st)
{
	if (st == NULL)
		return;
	if (st->importing)
		dp_store_import_end(st, false, NULL);
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st);
}

/* ---- reads -------------------------------------------------------------- */

void
dp_store_copy_text(char *dst, size_t dstsize, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	size_t n = (size_t)sqlite3_column_bytes(s, col);

	/* Imports never store more than the MIB allows; a longer value can
	 * only come from plain SQL and is cut rather than overrun. */
	if (n >= dstsize)
		n = dstsize - 1;
	if (t != NULL)
		memcpy(dst, t, n);
	else
		n = 0;
	dst[n] = '\0';
}

uint32_t
dp_store_col_u32(sqlite3_stmt *s, int col)
{
	sqlite3_int64 v = sqlite3_column_int64(s, col);

	return v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

int32_t
dp_store_col_i32(sqlite3_stmt *s, int col)
{
	sqlite3_int64 v = sqlite3_column_int64(s, col);

	return v < INT32_MIN ? INT32_MIN : v > INT32_MAX ? INT32_MAX :
	    (int32_t)v;
}

/* Field f of a row from result column col. */
static void
read_field(sqlite3_stmt *s, int col, enum dp_field f, struct dp_row *r)
{
	const void *blob;
	size_t n;

	switch (f) {
	case DP_FIELD_BITS_ENABLED:
		r->bits_enabled = sqlite3_column_int(s, col) != 0;
		break;
	case DP_FIELD_IS_PEER_DP:
		r->is_peer_dp = sqlite3_column_int(s, col) != 0;
		break;
	case DP_FIELD_IS_PROTECTED:
		r->is_protected = sqlite3_column_int(s, col) != 0;
		break;
	case DP_FIELD_REFRESH_NOW:
		r->refresh_now = sqlite3_column_int(s, col) != 0;
		break;
	case DP_FIELD_ISV_DATA_SIZE:
		r->isv_data_size = dp_store_col_u32(s, col);
		break;
	case DP_FIELD_OBJECT_TYPE_ID:
		r->object_type_id = dp_store_col_i32(s, col);
		break;
	case DP_FIELD_PACKAGE_TYPE:
		r->package_type = dp_store_col_i32(s, col);
		break;
	case DP_FIELD_STATUS:
		r->status = dp_store_col_i32(s, col);
		break;
	case DP_FIELD_ISV_DATA:
		blob = sqlite3_column_blob(s, col);
		n = (size_t)sqlite3_column_bytes(s, col);
		if (n > sizeof(r->isv_data))
			n = sizeof(r->isv_data);
		if (blob != NULL)
			memcpy(r->isv_data, blob, n);
		else
			n = 0;
		r->isv_data_len = n;
		break;
	case DP_FIELD_ISV_STRING:
		dp_store_copy_text(r->isv_string, sizeof(r->isv_string), s, col);
		break;
	case DP_FIELD_LAST_REFRESH_TIME:
		dp_store_copy_text(r->last_refresh_time, sizeof(r->last_refresh_time),
		    s, col);
		break;
	case DP_FIELD_PACKAGE_ID:
		dp_store_copy_text(r->package_id, sizeof(r->package_id), s, col);
		break;
	case DP_FIELD_RESOURCE_TYPE:
		dp_store_copy_text(r->resource_type, sizeof(r->resource_type), s, col);
		break;
	case DP_FIELD_SECURE_OBJECT_ID:
		dp_store_copy_text(r->secure_object_id, sizeof(r->secure_object_id),
		    s, col);
		break;
	case DP_FIELD_SERVER_NAL_PATH:
		dp_store_copy_text(r->server_nal_path, sizeof(r->server_nal_path),
		    s, col);
		break;
	case DP_FIELD_SITE_CODE:
		dp_store_copy_text(r->site_code, sizeof(r->site_code), s, col);
		break;
	case DP_FIELD_SITE_NAME:
		dp_store_copy_text(r->site_name, sizeof(r->site_name), s, col);
		break;
	case DP_FIELD_SOURCE_SITE:
		dp_store_copy_text(r->source_site, sizeof(r->source_site), s, col);
		break;
	case DP_FIELD_REFRESH_PENDING:
		r->refresh_pending = sqlite3_column_int(s, col) != 0;
		break;
	case DP_FIELD_ISV_STRING_PENDING:
		r->isv_string_pending = sqlite3_column_int(s, col) != 0;
		break;
	default:
		break;
	}
}

/* A row of ROW_SELECT, or the key and field f of ROWS_AFTER(f). */
static void
read_row_fields(sqlite3_stmt *s, enum dp_field f, struct dp_row *r)
{
	r->server_idx = dp_store_col_u32(s, 0);
	r->package_idx = dp_store_col_u32(s, 1);
	if (f != DP_FIELD_ALL) {
		read_field(s, 2, f, r);
		return;
	}
	for (int i = 0; i < DP_FIELD_COUNT; i++)
		read_field(s, 2 + i, (enum dp_field)i, r);
}

static void
read_row(sqlite3_stmt *s, struct dp_row *r)
{
	read_row_fields(s, DP_FIELD_ALL, r);
}

static void
read_server(sqlite3_stmt *s, struct dp_server *v)
{
	v->idx = dp_store_col_u32(s, 0);
	dp_store_copy_text(v->nal_path, sizeof(v->nal_path), s, 1);
	dp_store_copy_text(v->name, sizeof(v->name), s, 2);
	dp_store_copy_text(v->site_code, sizeof(v->site_code), s, 3);
	v->rows = dp_store_col_u32(s, 4);
	for (int b = 0; b < DP_B_COUNT; b++)
		v->by_status[b] = dp_store_col_u32(s, 5 + b);
}

static void
read_package(sqlite3_stmt *s, struct dp_package *v)
{
	v->idx = dp_store_col_u32(s, 0);
	dp_store_copy_text(v->package_id, sizeof(v->package_id), s, 1);
	v->package_type = dp_store_col_i32(s, 2);
	v->object_type_id = dp_store_col_i32(s, 3);
	dp_store_copy_text(v->secure_object_id, sizeof(v->secure_object_id), s, 4);
	dp_store_copy_text(v->source_site, sizeof(v->source_site), s, 5);
	dp_store_copy_text(v->site_name, sizeof(v->site_name), s, 6);
	v->rows = dp_store_col_u32(s, 7);
	for (int b = 0; b < DP_B_COUNT; b++)
		v->by_status[b] = dp_store_col_u32(s, 8 + b);
}

int
dp_store_step_one(struct dp_store *st, sqlite3_stmt *s,
    dp_store_reader reader, void *out, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW && reader != NULL)
		reader(s, out);
	/* Copied out: end the read transaction now, and keep the error
	 * message (a reset does not change it). */
	dp_store_stmt_done(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_sqlfail(st, what);
}

/* Runs a one-row lookup with up to two integer keys; 1 found, 0 not. */
static int
lookup(struct dp_store *st, enum stmt_id id, int nkeys, int64_t k1,
    int64_t k2, dp_store_reader reader, void *out)
{
	sqlite3_stmt *s = stmt_get(st, id);

	if (s == NULL)
		return -1;
	if (nkeys > 0)
		sqlite3_bind_int64(s, 1, k1);
	if (nkeys > 1)
		sqlite3_bind_int64(s, 2, k2);
	return dp_store_step_one(st, s, reader, out, "reading the model");
}

int
dp_store_row_get(struct dp_store *st, uint32_t server_idx,
    uint32_t package_idx, struct dp_row *out)
{
	return lookup(st, S_ROW_GET, 2, server_idx, package_idx,
	    (dp_store_reader)read_row, out);
}

int
dp_store_row_next(struct dp_store *st, int64_t server_idx,
    int64_t package_idx, struct dp_row *out)
{
	return lookup(st, S_ROW_NEXT, 2, server_idx, package_idx,
	    (dp_store_reader)read_row, out);
}

int
dp_store_rows_next(struct dp_store *st, enum dp_field f, int64_t server_idx,
    int64_t package_idx, struct dp_row *rows, int max)
{
	sqlite3_stmt *s;

	if (f < DP_FIELD_ALL || f >= DP_FIELD_COUNT)
		return -1;
	s = stmt_get(st, f == DP_FIELD_ALL ? S_ROWS_NEXT :
	    (enum stmt_id)(S_FIELD_NEXT + f));
	int n = 0, rc = SQLITE_DONE;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, server_idx);
	sqlite3_bind_int64(s, 2, package_idx);
	sqlite3_bind_int(s, 3, max);
	while (n < max && (rc = sqlite3_step(s)) == SQLITE_ROW)
		read_row_fields(s, f, &rows[n++]);
	/* All rows are copied out: end the read transaction now. */
	dp_store_stmt_done(s);
	if (n < max && rc != SQLITE_DONE)
		return store_sqlfail(st, "reading the model");
	return n;
}

int
dp_store_server_get(struct dp_store *st, uint32_t idx, struct dp_server *out)
{
	return lookup(st, S_SERVER_GET, 1, idx, 0, (dp_store_reader)read_server,
	    out);
}

int
dp_store_server_next(struct dp_store *st, int64_t idx, struct dp_server *out)
{
	return lookup(st, S_SERVER_NEXT, 1, idx, 0, (dp_store_reader)read_server,
	    out);
}

int
dp_store_package_get(struct dp_store *st, uint32_t idx,
    struct dp_package *out)
{
	return lookup(st, S_PACKAGE_GET, 1, idx, 0, (dp_store_reader)read_package,
	    out);
}

int
dp_store_package_next(struct dp_store *st, int64_t idx,
    struct dp_package *out)
{
	return lookup(st, S_PACKAGE_NEXT, 1, idx, 0, (dp_store_reader)read_package,
	    out);
}

static void
read_scalars(sqlite3_stmt *s, struct dp_scalars *v)
{
	v->servers = dp_store_col_u32(s, 0);
	v->packages = dp_store_col_u32(s, 1);
	v->rows = dp_store_col_u32(s, 2);
	for (int b = 0; b < DP_B_COUNT; b++)
		v->by_status[b] = dp_store_col_u32(s, 3 + b);
	v->last_change_ms = sqlite3_column_int64(s, 8);
	v->change_counter = (uint64_t)sqlite3_column_int64(s, 9);
	v->last_import_ms = sqlite3_column_int64(s, 10);
	v->pending_writes = dp_store_col_u32(s, 11);
}

int
dp_store_scalars(struct dp_store *st, struct dp_scalars *out)
{
	int rc = lookup(st, S_SCALARS, 0, 0, 0, (dp_store_reader)read_scalars, out);

	if (rc == 0)
		return store_fail(st, "the meta row is missing");
	return rc < 0 ? -1 : 0;
}

static void
read_idx(sqlite3_stmt *s, uint32_t *idx)
{
	*idx = dp_store_col_u32(s, 0);
}

int
dp_store_server_find(struct dp_store *st, const char *nal_path,
    const char *site_code, uint32_t *idx)
{
	sqlite3_stmt *s = stmt_get(st, S_SERVER_FIND);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, nal_path, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, site_code, -1, SQLITE_STATIC);
	return dp_store_step_one(st, s, (dp_store_reader)read_idx, idx,
	    "finding a server");
}

int
dp_store_package_find(struct dp_store *st, const char *package_id,
    uint32_t *idx)
{
	sqlite3_stmt *s = stmt_get(st, S_PACKAGE_FIND);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, package_id, -1, SQLITE_STATIC);
	return dp_store_step_one(st, s, (dp_store_reader)read_idx, idx,
	    "finding a package");
}

static void
read_int64(sqlite3_stmt *s, int64_t *v)
{
	*v = sqlite3_column_int64(s, 0);
}

int
dp_store_data_version(struct dp_store *st, int64_t *version)
{
	sqlite3_stmt *s = stmt_get(st, S_DATA_VERSION);
	int rc;

	if (s == NULL)
		return -1;
	rc = dp_store_step_one(st, s, (dp_store_reader)read_int64, version,
	    "PRAGMA data_version");
	return rc == 1 ? 0 : rc == 0 ? store_fail(st, "PRAGMA data_version: "
	    "no row") : -1;
}

/* ---- import ------------------------------------------------------------- */

int
dp_store_import_begin(struct dp_store *st, bool snapshot)
{
	struct dp_scalars sc;

	if (st->importing)
		return store_fail(st, "an import is already in progress");
	/* Keys named by this import: duplicate detection and --snapshot. */
	if (exec_sql(st, "CREATE TEMP TABLE IF NOT EXISTS dp_seen ("
	    "server_idx INTEGER NOT NULL, package_idx INTEGER NOT NULL, "
	    "PRIMARY KEY (server_idx, package_idx)) WITHOUT ROWID; "
	    "DELETE FROM temp.dp_seen", "preparing the import") != 0)
		return -1;
	if (run_simple(st, S_BEGIN, "starting the import") != 0)
		return -1;
	memset(&st->counts, 0, sizeof(st->counts));
	st->snapshot = snapshot;
	st->importing = true;
	if (dp_store_scalars(st, &sc) != 0) {
		dp_store_import_end(st, false, NULL);
		return -1;
	}
	st->rows_before = sc.rows;
	st->writes_pending = sc.pending_writes > 0;
	return 0;
}

/* 1 when an ISVString write of the row waits for ConfigMgr. */
static int
isv_write_pending(struct dp_store *st, uint32_t sidx, uint32_t pidx)
{
	sqlite3_stmt *s = stmt_get(st, S_PENDING_ISV);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, sidx);
	sqlite3_bind_int64(s, 2, pidx);
	return dp_store_step_one(st, s, NULL, NULL, "reading the outbox");
}

static void
bind_text_or_null(sqlite3_stmt *s, int col, bool present, const char *v)
{
	if (present && v != NULL)
		sqlite3_bind_text(s, col, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, col);
}

static void
bind_int_or_null(sqlite3_stmt *s, int col, bool present, int64_t v)
{
	if (present)
		sqlite3_bind_int64(s, col, v);
	else
		sqlite3_bind_null(s, col);
}

/* Finds or creates the server of a record. */
static int
import_server(struct dp_store *st, const struct dp_record *rec, uint32_t *idx)
{
	char name[DP_MAX_SERVER_NAME + 1];
	sqlite3_stmt *s;
	int rc;

	rc = dp_store_server_find(st, rec->server_nal_path, rec->site_code,
	    idx);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if ((s = stmt_get(st, S_SERVER_INSERT)) == NULL)
		return -1;
	dp_nal_server_name(rec->server_nal_path, name, sizeof(name));
	sqlite3_bind_text(s, 1, rec->server_nal_path, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, rec->site_code, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	dp_store_stmt_done(s);
	if (rc != SQLITE_DONE)
		return store_sqlfail(st, "adding a server");
	*idx = (uint32_t)sqlite3_last_insert_rowid(st->db);
	return 0;
}

/* Finds or creates the package of a record and refreshes its attributes. */
static int
import_package(struct dp_store *st, const struct dp_record *rec,
    uint32_t *idx)
{
	sqlite3_stmt *s;
	int rc;

	rc = dp_store_package_find(st, rec->package_id, idx);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		if ((s = stmt_get(st, S_PACKAGE_INSERT)) == NULL)
			return -1;
		sqlite3_bind_text(s, 1, rec->package_id, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		dp_store_stmt_done(s);
		if (rc != SQLITE_DONE)
			return store_sqlfail(st, "adding a package");
		*idx = (uint32_t)sqlite3_last_insert_rowid(st->db);
	}
	if ((s = stmt_get(st, S_PACKAGE_UPDATE)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, *idx);
	bind_int_or_null(s, 2, DP_PRESENT(rec, DP_P_PACKAGE_TYPE),
	    rec->package_type);
	bind_int_or_null(s, 3, DP_PRESENT(rec, DP_P_OBJECT_TYPE_ID),
	    rec->object_type_id);
	bind_text_or_null(s, 4, DP_PRESENT(rec, DP_P_SECURE_OBJECT_ID),
	    rec->secure_object_id);
	bind_text_or_null(s, 5, DP_PRESENT(rec, DP_P_SOURCE_SITE),
	    rec->source_site);
	bind_text_or_null(s, 6, DP_PRESENT(rec, DP_P_SITE_NAME),
	    rec->site_name);
	rc = sqlite3_step(s);
	dp_store_stmt_done(s);
	if (rc != SQLITE_DONE)
		return store_sqlfail(st, "updating a package");
	return 0;
}

int
dp_store_import_record(struct dp_store *st, const struct dp_record *rec)
{
	uint32_t sidx, pidx;
	sqlite3_stmt *s;
	int rc;

	if (!st->importing)
		return store_fail(st, "no import in progress");
	if (rec->package_id == NULL || rec->server_nal_path == NULL ||
	    rec->site_code == NULL)
		return store_fail(st, "a record lacks a key property");
	if (import_server(st, rec, &sidx) != 0 ||
	    import_package(st, rec, &pidx) != 0)
		return -1;

	if ((s = stmt_get(st, S_SEEN_INSERT)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, sidx);
	sqlite3_bind_int64(s, 2, pidx);
	rc = sqlite3_step(s);
	dp_store_stmt_done(s);
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return store_fail(st, "PackageID %s on %s (SiteCode %s) "
		    "appears more than once in this import", rec->package_id,
		    rec->server_nal_path, rec->site_code);
	if (rc != SQLITE_DONE)
		return store_sqlfail(st, "recording an imported key");

	/* Only counted: the upsert itself keeps the written value. */
	if (st->writes_pending && DP_PRESENT(rec, DP_P_ISV_STRING)) {
		if ((rc = isv_write_pending(st, sidx, pidx)) < 0)
			return -1;
		st->counts.kept_pending += (uint64_t)rc;
	}

	if ((s = stmt_get(st, S_DP_UPSERT)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, sidx);
	sqlite3_bind_int64(s, 2, pidx);
	bind_int_or_null(s, 3, DP_PRESENT(rec, DP_P_BITS_ENABLED),
	    rec->bits_enabled);
	bind_int_or_null(s, 4, DP_PRESENT(rec, DP_P_IS_PEER_DP),
	    rec->is_peer_dp);
	bind_int_or_null(s, 5, DP_PRESENT(rec, DP_P_IS_PROTECTED),
	    rec->is_protected);
	if (DP_PRESENT(rec, DP_P_ISV_DATA))
		sqlite3_bind_blob(s, 6, rec->isv_data != NULL ? rec->isv_data :
		    (const void *)"", (int)rec->isv_data_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 6);
	bind_int_or_null(s, 7, DP_PRESENT(rec, DP_P_ISV_DATA_SIZE),
	    rec->isv_data_size);
	bind_text_or_null(s, 8, DP_PRESENT(rec, DP_P_ISV_STRING),
	    rec->isv_string);
	bind_text_or_null(s, 9, DP_PRESENT(rec, DP_P_LAST_REFRESH_TIME),
	    rec->last_refresh_time);
	bind_int_or_null(s, 10, DP_PRESENT(rec, DP_P_OBJECT_TYPE_ID),
	    rec->object_type_id);
	bind_int_or_null(s, 11, DP_PRESENT(rec, DP_P_PACKAGE_TYPE),
	    rec->package_type);
	bind_int_or_null(s, 12, DP_PRESENT(rec, DP_P_REFRESH_NOW),
	    rec->refresh_now);
	bind_text_or_null(s, 13, DP_PRESENT(rec, DP_P_RESOURCE_TYPE),
	    rec->resource_type);
	bind_text_or_null(s, 14, DP_PRESENT(rec, DP_P_SECURE_OBJECT_ID),
	    rec->secure_object_id);
	bind_text_or_null(s, 15, DP_PRESENT(rec, DP_P_SITE_NAME),
	    rec->site_name);
	bind_text_or_null(s, 16, DP_PRESENT(rec, DP_P_SOURCE_SITE),
	    rec->source_site);
	bind_int_or_null(s, 17, DP_PRESENT(rec, DP_P_STATUS), rec->status);
	rc = sqlite3_step(s);
	dp_store_stmt_done(s);
	if (rc != SQLITE_DONE)
		return store_sqlfail(st, "writing a row");
	st->counts.records++;
	if (sqlite3_changes(st->db) == 0)
		st->counts.unchanged++;
	else
		st->counts.updated++;	/* inserts are told apart at the end */
	return 0;
}

int
dp_store_import_end(struct dp_store *st, bool commit,
    struct dp_import_counts *counts)
{
	struct dp_scalars sc;
	uint64_t rows_after;
	sqlite3_stmt *s;
	int rc;

	if (!st->importing)
		return store_fail(st, "no import in progress");
	if (!commit)
		goto rollback;
	if (st->snapshot) {
		if (st->counts.records == 0 && st->rows_before > 0) {
			store_fail(st, "a snapshot with no records would "
			    "remove all %" PRIu64 " rows: refused",
			    st->rows_before);
			goto rollback;
		}
		if (run_simple(st, S_SNAPSHOT_DELETE, "removing rows absent "
		    "from the snapshot") != 0)
			goto rollback;
		st->counts.removed = (uint64_t)sqlite3_changes(st->db);
	}
	if (dp_store_scalars(st, &sc) != 0)
		goto rollback;
	rows_after = sc.rows;
	/* Only inserts add rows and only the snapshot removes them. */
	st->counts.inserted = rows_after + st->counts.removed -
	    st->rows_before;
	st->counts.updated -= st->counts.inserted;
	if ((s = stmt_get(st, S_IMPORT_DONE)) == NULL)
		goto rollback;
	sqlite3_bind_int64(s, 1, dp_now_ms());
	rc = sqlite3_step(s);
	dp_store_stmt_done(s);
	if (rc != SQLITE_DONE) {
		store_sqlfail(st, "recording the import time");
		goto rollback;
	}
	if (run_simple(st, S_COMMIT, "committing the import") != 0)
		goto rollback;
	st->importing = false;
	if (counts != NULL)
		*counts = st->counts;
	return 0;

rollback:
	/* Keep the first error message: it says why we roll back. */
	rollback(st);
	st->importing = false;
	return commit ? -1 : 0;
}

/* ---- writes from SNMP --------------------------------------------------- */

int
dp_store_write_begin(struct dp_store *st)
{
	sqlite3_stmt *s = stmt_get(st, S_BEGIN);
	int rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	dp_store_stmt_done(s);
	if (rc == SQLITE_DONE)
		return 0;
	store_sqlfail(st, "starting a write");
	return (rc & 0xff) == SQLITE_BUSY ? DP_STORE_BUSY : -1;
}

int
dp_store_write_end(struct dp_store *st, bool commit)
{
	if (commit) {
		if (run_simple(st, S_COMMIT, "committing a write") == 0)
			return 0;
	}
	rollback(st);
	return commit ? -1 : 0;
}

/* Binds the row key (?1, ?2) and runs a one-shot write; returns the number
 * of rows it changed, or -1. */
static int
write_row(struct dp_store *st, sqlite3_stmt *s, uint32_t sidx, uint32_t pidx,
    const char *what)
{
	int rc;

	sqlite3_bind_int64(s, 1, sidx);
	sqlite3_bind_int64(s, 2, pidx);
	rc = sqlite3_step(s);
	dp_store_stmt_done(s);
	if (rc != SQLITE_DONE)
		return store_sqlfail(st, what);
	return sqlite3_changes(st->db);
}

static void
bind_request(sqlite3_stmt *s, int64_t now_ms, int64_t request_id,
    const char *origin)
{
	sqlite3_bind_int64(s, 4, now_ms);
	if (request_id >= 0)
		sqlite3_bind_int64(s, 5, request_id);
	else
		sqlite3_bind_null(s, 5);
	if (origin != NULL && *origin != '\0')
		sqlite3_bind_text(s, 6, origin, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 6);
}

int
dp_store_set_isv_string(struct dp_store *st, uint32_t sidx, uint32_t pidx,
    const char *value, int64_t request_id, const char *origin,
    int64_t *outbox_id)
{
	sqlite3_stmt *s;
	int n;

	/* The outbox row first: it copies the old value from the row. */
	if ((s = stmt_get(st, S_ISV_OUTBOX)) == NULL)
		return -1;
	sqlite3_bind_text(s, 3, value, -1, SQLITE_STATIC);
	bind_request(s, dp_now_ms(), request_id, origin);
	if ((n = write_row(st, s, sidx, pidx, "queueing an ISVString write"))
	    <= 0)
		return n;
	*outbox_id = sqlite3_last_insert_rowid(st->db);
	if ((s = stmt_get(st, S_ISV_UPDATE)) == NULL)
		return -1;
	sqlite3_bind_text(s, 3, value, -1, SQLITE_STATIC);
	n = write_row(st, s, sidx, pidx, "writing ISVString");
	return n < 0 ? -1 : n > 0;
}

int
dp_store_request_refresh(struct dp_store *st, uint32_t sidx, uint32_t pidx,
    int64_t request_id, const char *origin, int64_t *outbox_id)
{
	sqlite3_stmt *s = stmt_get(st, S_REFRESH_OUTBOX);
	int n;

	if (s == NULL)
		return -1;
	bind_request(s, dp_now_ms(), request_id, origin);
	n = write_row(st, s, sidx, pidx, "queueing a refresh");
	if (n > 0)
		*outbox_id = sqlite3_last_insert_rowid(st->db);
	return n < 0 ? -1 : n > 0;
}

int
dp_store_withdraw_refresh(struct dp_store *st, uint32_t sidx, uint32_t pidx,
    int64_t request_id, int64_t when_ms, int *count)
{
	struct dp_row *row;
	sqlite3_stmt *s = stmt_get(st, S_WITHDRAW);
	int n;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 3, request_id);
	sqlite3_bind_int64(s, 4, when_ms);
	if ((n = write_row(st, s, sidx, pidx, "withdrawing a refresh")) < 0)
		return -1;
	*count = n;
	/* The row must still exist for the write to make sense. */
	if ((row = malloc(sizeof(*row))) == NULL)
		return store_fail(st, "out of memory");
	n = dp_store_row_get(st, sidx, pidx, row);
	free(row);
	return n;
}

int
dp_store_undo_isv_string(struct dp_store *st, uint32_t sidx, uint32_t pidx,
    const char *old_value, int64_t outbox_id)
{
	sqlite3_stmt *s;

	if ((s = stmt_get(st, S_ISV_UPDATE)) == NULL)
		return -1;
	sqlite3_bind_text(s, 3, old_value, -1, SQLITE_STATIC);
	if (write_row(st, s, sidx, pidx, "restoring ISVString") < 0)
		return -1;
	return dp_store_undo_refresh(st, outbox_id);
}

int
dp_store_undo_refresh(struct dp_store *st, int64_t outbox_id)
{
	return run_int(st, S_OUTBOX_DELETE, outbox_id, NULL,
	    "withdrawing a queued write");
}

int
dp_store_undo_withdraw(struct dp_store *st, uint32_t sidx, uint32_t pidx,
    int64_t request_id, int64_t when_ms)
{
	sqlite3_stmt *s = stmt_get(st, S_UNDO_WITHDRAW);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 3, request_id);
	sqlite3_bind_int64(s, 4, when_ms);
	return write_row(st, s, sidx, pidx, "restoring a refresh") < 0 ? -1 :
	    0;
}

static void
read_outbox(sqlite3_stmt *s, struct dp_outbox *o)
{
	o->id = sqlite3_column_int64(s, 0);
	o->server_idx = dp_store_col_u32(s, 1);
	o->package_idx = dp_store_col_u32(s, 2);
	dp_store_copy_text(o->package_id, sizeof(o->package_id), s, 3);
	dp_store_copy_text(o->server_nal_path, sizeof(o->server_nal_path), s, 4);
	dp_store_copy_text(o->site_code, sizeof(o->site_code), s, 5);
	dp_store_copy_text(o->property, sizeof(o->property), s, 6);
	dp_store_copy_text(o->old_value, sizeof(o->old_value), s, 7);
	dp_store_copy_text(o->new_value, sizeof(o->new_value), s, 8);
	o->requested_ms = sqlite3_column_int64(s, 9);
	o->request_id = sqlite3_column_type(s, 10) == SQLITE_NULL ? -1 :
	    sqlite3_column_int64(s, 10);
	dp_store_copy_text(o->origin, sizeof(o->origin), s, 11);
}

int
dp_store_outbox_next(struct dp_store *st, int64_t after, struct dp_outbox *out)
{
	return lookup(st, S_OUTBOX_NEXT, 1, after, 0, (dp_store_reader)read_outbox,
	    out);
}

int
dp_store_ack(struct dp_store *st, const int64_t *ids, size_t n,
    int64_t now_ms)
{
	sqlite3_stmt *s;
	int rc;

	if (run_simple(st, S_BEGIN, "starting the acknowledgement") != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if ((s = stmt_get(st, S_ACK)) == NULL)
			goto fail;
		sqlite3_bind_int64(s, 1, ids[i]);
		sqlite3_bind_int64(s, 2, now_ms);
		rc = sqlite3_step(s);
		dp_store_stmt_done(s);
		if (rc != SQLITE_DONE) {
			store_sqlfail(st, "acknowledging a write");
			goto fail;
		}
		if (sqlite3_changes(st->db) != 1) {
			store_fail(st, "write %" PRId64 " is not pending (unknown, "
			    "already acknowledged or withdrawn)", ids[i]);
			goto fail;
		}
	}
	if (run_simple(st, S_COMMIT, "committing the acknowledgement") != 0)
		goto fail;
	return 0;
fail:
	rollback(st);
	return -1;
}

/* ---- housekeeping ------------------------------------------------------- */

int
dp_store_prune(struct dp_store *st, int64_t now_ms, int64_t retention_s,
    uint64_t *events, uint64_t *writes)
{
	int64_t before = now_ms - retention_s * 1000;

	if (run_simple(st, S_BEGIN, "starting the prune") != 0)
		return -1;
	if (run_int(st, S_PRUNE_EVENTS, before, events, "pruning events") != 0 ||
	    run_int(st, S_PRUNE_WRITES, before, writes,
	    "pruning acknowledged writes") != 0 ||
	    run_simple(st, S_COMMIT, "committing the prune") != 0) {
		rollback(st);
		return -1;
	}
	return 0;
}

int
dp_store_backup(struct dp_store *st, const char *out_path)
{
	sqlite3 *out = NULL;
	sqlite3_backup *bk;
	struct stat sb;
	int rc;

	/* Never overwrite: the surrogates live only in the database, and a
	 * wrong OUT would destroy the very thing a backup protects. */
	if (stat(out_path, &sb) == 0)
		return store_fail(st, "%s exists; refusing to overwrite it",
		    out_path);
	if (sqlite3_open_v2(out_path, &out, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		store_fail(st, "%s: %s", out_path, out != NULL ?
		    sqlite3_errmsg(out) : "out of memory");
		goto fail;
	}
	if ((bk = sqlite3_backup_init(out, "main", st->db, "main")) == NULL) {
		store_fail(st, "%s: %s", out_path, sqlite3_errmsg(out));
		goto fail;
	}
	/* One step copies every page inside one read transaction: in WAL
	 * mode that is a consistent snapshot and writers are not blocked. */
	do {
		rc = sqlite3_backup_step(bk, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(50);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(bk);
	if (rc != SQLITE_DONE) {
		store_fail(st, "%s: backup failed: %s", out_path,
		    sqlite3_errstr(rc));
		goto fail;
	}
	if (sqlite3_close(out) != SQLITE_OK) {
		store_fail(st, "%s: closing the backup failed", out_path);
		out = NULL;
		goto fail_unlink;
	}
	return 0;
fail:
	sqlite3_close(out);
fail_unlink:
	unlink(out_path);
	return -1;
}
