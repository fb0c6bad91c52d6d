/*
 * dp_store: the SQLite model.  See dp_store.h for the contract and
 * dp_schema.h for the schema and why it has that shape.
 */
#include "model/dp_store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
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

/*
 * The columns of a row as SQL, from the column table (model/dp_columns.h):
 * a value of table dp, of the server or package row (the keys), or
 * whether a write of a property waits in the outbox.
 */
#define READ_SQL_DP(col)	"d." #col
#define READ_SQL_SERVER(col)	"s." #col
#define READ_SQL_PACKAGE(col)	"p." #col
#define READ_SQL_PENDING(prop)	OPEN_WRITE_FLAG(#prop)
#define ROW_COLUMN(id, field, name, kind, max, col, access, model, sql, ...) \
	", " READ_SQL_##model(sql)

#define ROW_FROM "FROM dp d CROSS JOIN server s CROSS JOIN package p "
/* Every value of a row, in enum dp_field order. */
#define ROW_SELECT \
	"SELECT d.server_idx, d.package_idx" \
	DP_COLUMNS(ROW_COLUMN, ROW_COLUMN, DP_IGNORE) " " ROW_FROM
#define ROW_JOIN "s.idx = d.server_idx AND p.idx = d.package_idx"
/* The rows after (?1, ?2), up to ?3, with the key and the values given:
 * the same rows whatever is read of them. */
#define ROWS_AFTER(values) \
	"SELECT d.server_idx, d.package_idx, " values " " ROW_FROM \
	"WHERE (d.server_idx, d.package_idx) > (?1, ?2) AND " ROW_JOIN \
	" ORDER BY d.server_idx, d.package_idx LIMIT ?3"

/* The counts of dpDistTable's rows by State bucket, after rows. */
#define DIST_COUNTS \
	"d_rows, d_installed, d_inprogress, d_retrying, d_failed, d_other"
#define SERVER_SELECT \
	"SELECT idx, nal_path, name, site_code, rows, n_none, n_updated, " \
	"n_added, n_deleted, n_other, " DIST_COUNTS " FROM server "
#define PACKAGE_SELECT \
	"SELECT idx, package_id, package_type, object_type_id, " \
	"secure_object_id, source_site, site_name, rows, n_none, n_updated, " \
	"n_added, n_deleted, n_other, " DIST_COUNTS " FROM package "
/* A server or package is served while it has a row of either class (the
 * partial indexes *_live, exactly this expression). */
#define LIVE "(rows > 0 OR d_rows > 0)"

/* A row of dpDistTable: the key, then the columns of table dist. */
#define DIST_SQL_KEY(id, field, name, col)
#define DIST_SQL_COL(id, field, name, kind, max, col, access, model, sql, \
    ...) ", d." #sql
#define DIST_SELECT \
	"SELECT d.server_idx, d.package_idx, p.package_id, s.nal_path, " \
	"s.site_code" \
	DP_DIST_COLUMNS(DIST_SQL_KEY, DIST_SQL_COL, DIST_SQL_COL, DP_IGNORE) \
	DP_DIST_EXTRA(DIST_SQL_COL, DP_IGNORE) \
	" FROM dist d CROSS JOIN server s CROSS JOIN package p "

enum stmt_id {
	S_ROW_GET,
	S_ROW_NEXT,
	S_ROWS_NEXT,
	S_DIST_GET,
	S_DISTS_NEXT,
	S_DIST_SEEN_INSERT,
	S_DIST_UPSERT,
	S_DIST_SNAPSHOT_DELETE,
	S_FIELD_NEXT,		/* + enum dp_field: one value of rows */
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

/* One value of the rows after a key: a walk of one column reads it alone. */
#define FIELD_NEXT(id, field, name, kind, max, col, access, model, sql, ...) \
	[S_FIELD_NEXT + DP_FIELD_##id] = ROWS_AFTER(READ_SQL_##model(sql)),

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
	DP_COLUMNS(FIELD_NEXT, FIELD_NEXT, DP_IGNORE)
	[S_DIST_GET] = DIST_SELECT
	    "WHERE d.server_idx = ?1 AND d.package_idx = ?2 AND " ROW_JOIN,
	[S_DISTS_NEXT] = DIST_SELECT
	    "WHERE (d.server_idx, d.package_idx) > (?1, ?2) AND " ROW_JOIN
	    " ORDER BY d.server_idx, d.package_idx LIMIT ?3",
	[S_SERVER_GET] = SERVER_SELECT "WHERE idx = ?1 AND " LIVE,
	[S_SERVER_NEXT] = SERVER_SELECT
	    "WHERE idx > ?1 AND " LIVE " ORDER BY idx LIMIT 1",
	[S_PACKAGE_GET] = PACKAGE_SELECT "WHERE idx = ?1 AND " LIVE,
	[S_PACKAGE_NEXT] = PACKAGE_SELECT
	    "WHERE idx > ?1 AND " LIVE " ORDER BY idx LIMIT 1",
	[S_SCALARS] = "SELECT servers, packages, rows, n_none, n_updated, "
	    "n_added, n_deleted, n_other, last_change_ms, change_counter, "
	    "last_import_ms, pending_writes, " DIST_COUNTS " FROM meta "
	    "WHERE id = 1",
	/* Case-insensitively, as WMI compares keys; the first spelling. */
	[S_SERVER_FIND] = "SELECT idx FROM server "
	    "WHERE nal_path = ?1 COLLATE NOCASE AND "
	    "site_code = ?2 COLLATE NOCASE ORDER BY idx LIMIT 1",
	[S_PACKAGE_FIND] = "SELECT idx FROM package "
	    "WHERE package_id = ?1 COLLATE NOCASE ORDER BY idx LIMIT 1",
	[S_DATA_VERSION] = "PRAGMA data_version",
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_SERVER_INSERT] = "INSERT INTO server (nal_path, site_code, name) "
	    "VALUES (?1, ?2, ?3)",
	[S_PACKAGE_INSERT] = "INSERT INTO package (package_id) VALUES (?1)",
	/* Package attributes are per instance in WMI; dpPackageTable shows
	 * the last imported ones.  Write only when something differs. */
	/* Parameters named as the properties' columns (bind_record()). */
	[S_PACKAGE_UPDATE] = "UPDATE package SET "
	    "package_type = coalesce(:package_type, package_type), "
	    "object_type_id = coalesce(:object_type_id, object_type_id), "
	    "secure_object_id = coalesce(:secure_object_id, "
	    "secure_object_id), "
	    "source_site = coalesce(:source_site, source_site), "
	    "site_name = coalesce(:site_name, site_name) "
	    "WHERE idx = :idx AND (package_type, object_type_id, "
	    "secure_object_id, source_site, site_name) IS NOT "
	    "(coalesce(:package_type, package_type), "
	    "coalesce(:object_type_id, object_type_id), "
	    "coalesce(:secure_object_id, secure_object_id), "
	    "coalesce(:source_site, source_site), "
	    "coalesce(:site_name, site_name))",
	[S_SEEN_INSERT] = "INSERT INTO temp.dp_seen (server_idx, package_idx) "
	    "VALUES (?1, ?2)",
	/* S_DP_UPSERT: built from the column table (upsert_sql()). */
	[S_SNAPSHOT_DELETE] = "DELETE FROM dp WHERE NOT EXISTS ("
	    "SELECT 1 FROM temp.dp_seen s WHERE s.server_idx = dp.server_idx "
	    "AND s.package_idx = dp.package_idx)",
	[S_DIST_SEEN_INSERT] = "INSERT INTO temp.dist_seen (server_idx, "
	    "package_idx) VALUES (?1, ?2)",
	/* S_DIST_UPSERT: built from the column table (upsert_sql()). */
	[S_DIST_SNAPSHOT_DELETE] = "DELETE FROM dist WHERE NOT EXISTS ("
	    "SELECT 1 FROM temp.dist_seen s "
	    "WHERE s.server_idx = dist.server_idx "
	    "AND s.package_idx = dist.package_idx)",
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

/*
 * ---- the upsert, from the column table -----------------------------------
 *
 * A NULL parameter is a property the export did not carry: an insert
 * takes the class default, an update keeps the stored value.  The WHERE
 * clause skips rows whose values are all equal, so re-importing the same
 * export writes nothing and fires no trigger.  Parameters are named as
 * the columns (:source_site), and bound by name (bind_record()).
 */
#define SQL_DEFAULT_BOOL	"0"
#define SQL_DEFAULT_UINT32	"0"
#define SQL_DEFAULT_ENUM	"0"
#define SQL_DEFAULT_STRING	"''"
#define SQL_DEFAULT_BYTES	"x''"
/* WMI's default DateTime, 19900101000000.000000+***. */
#define SQL_DEFAULT_TIME	"'1990-01-01T00:00:00.000000'"
#define SNMP_WINS_KEEP		false
#define SNMP_WINS_SNMP		true

struct upsert_col {
	const char	*col;
	const char	*dflt;		/* the class default */
	const char	*prop;		/* its name in the outbox */
	bool		 snmp_wins;	/* an unacked SNMP write wins */
};

#define SNMP_WINS_REQUIRED	false
#define UPSERT_COL_DP(sql, kind, name, import) \
	{ #sql, SQL_DEFAULT_##kind, name, SNMP_WINS_##import },
#define UPSERT_COL_DIST(sql, kind, name, import) \
	{ #sql, SQL_DEFAULT_##kind, name, SNMP_WINS_##import },
#define UPSERT_COL_SERVER(...)
#define UPSERT_COL_PACKAGE(...)
#define UPSERT_COL(id, field, name, kind, max, col, access, model, sql, \
    import, ...) UPSERT_COL_##model(sql, kind, name, import)

/* The columns of table dp that an import writes. */
static const struct upsert_col upsert_cols[] = {
	DP_COLUMNS(UPSERT_COL, DP_IGNORE, DP_IGNORE)
};
#define N_UPSERT_COLS ((int)(sizeof(upsert_cols) / sizeof(upsert_cols[0])))

/* ... and of table dist. */
static const struct upsert_col dist_upsert_cols[] = {
	DP_DIST_COLUMNS(DP_IGNORE, UPSERT_COL, DP_IGNORE, DP_IGNORE)
	DP_DIST_EXTRA(UPSERT_COL, DP_IGNORE)
};
#define N_DIST_UPSERT_COLS \
	((int)(sizeof(dist_upsert_cols) / sizeof(dist_upsert_cols[0])))

/* Milliseconds since the epoch in SQL, as the triggers compute it. */
#define SQL_NOW_MS \
	"CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)"

struct sql_text {
	char	*buf;
	size_t	 size;
	size_t	 len;
};

static void sql_add(struct sql_text *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
sql_add(struct sql_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->len >= t->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
	va_end(ap);
	t->len = n < 0 ? t->size : t->len + (size_t)n;
}

/* The value an import gives column c. */
static void
upsert_value(struct sql_text *t, const struct upsert_col *c)
{
	if (c->snmp_wins)
		sql_add(t, "(CASE WHEN EXISTS (SELECT 1 FROM outbox o WHERE "
		    "o.server_idx = :server_idx AND "
		    "o.package_idx = :package_idx AND o.property = '%s' AND "
		    "o.acked_ms IS NULL AND o.withdrawn_ms IS NULL) THEN %s "
		    "ELSE coalesce(:%s, %s) END)", c->prop, c->col, c->col,
		    c->col);
	else
		sql_add(t, "coalesce(:%s, %s)", c->col, c->col);
}

/*
 * The upsert of table `table' (columns cols[0..n)) in buf; -1 when it
 * does not fit.  since: the table keeps state_since_ms, which a new row
 * gets here (the triggers move it when the State changes).
 */
static int
upsert_sql(char *buf, size_t size, const char *table,
    const struct upsert_col *cols, int n, bool since)
{
	struct sql_text t = { buf, size, 0 };
	int i;

	sql_add(&t, "INSERT INTO %s (server_idx, package_idx", table);
	for (i = 0; i < n; i++)
		sql_add(&t, ", %s", cols[i].col);
	if (since)
		sql_add(&t, ", state_since_ms");
	sql_add(&t, ") VALUES (:server_idx, :package_idx");
	for (i = 0; i < n; i++) {
		/* A row that comes back (a snapshot removed it) while a write
		 * of it waits for ConfigMgr takes the written value, as an
		 * update keeps it: the write wins until acknowledged. */
		if (cols[i].snmp_wins)
			sql_add(&t, ", coalesce(CASE WHEN (SELECT pending_writes "
			    "FROM meta WHERE id = 1) > 0 THEN (SELECT "
			    "o.new_value FROM outbox o WHERE o.server_idx = "
			    ":server_idx AND o.package_idx = :package_idx AND "
			    "o.property = '%s' AND o.acked_ms IS NULL AND "
			    "o.withdrawn_ms IS NULL ORDER BY o.id DESC LIMIT 1) "
			    "END, :%s, %s)", cols[i].prop, cols[i].col,
			    cols[i].dflt);
		else
			sql_add(&t, ", coalesce(:%s, %s)", cols[i].col,
			    cols[i].dflt);
	}
	if (since)
		sql_add(&t, ", %s", SQL_NOW_MS);
	sql_add(&t, ") ON CONFLICT (server_idx, package_idx) DO UPDATE SET ");
	for (i = 0; i < n; i++) {
		sql_add(&t, "%s%s = ", i > 0 ? ", " : "", cols[i].col);
		upsert_value(&t, &cols[i]);
	}
	sql_add(&t, " WHERE (");
	for (i = 0; i < n; i++)
		sql_add(&t, "%s%s", i > 0 ? ", " : "", cols[i].col);
	sql_add(&t, ") IS NOT (");
	for (i = 0; i < n; i++) {
		sql_add(&t, "%s", i > 0 ? ", " : "");
		upsert_value(&t, &cols[i]);
	}
	sql_add(&t, ")");
	return t.len < t.size ? 0 : -1;
}

/* The parameter of each property in a statement that binds a record. */
#define PROP_PARAM(id, field, name, kind, max, col, access, model, sql, \
    ...) [DP_P_##id] = ":" #sql,
static const char *const prop_param[DP_P_COUNT] = {
	DP_COLUMNS(PROP_PARAM, DP_IGNORE, DP_IGNORE)
	DP_DIST_COLUMNS(DP_IGNORE, PROP_PARAM, DP_IGNORE, DP_IGNORE)
	DP_DIST_EXTRA(PROP_PARAM, DP_IGNORE)
};

/* Where a record's values go in a statement: 0 for none. */
struct param_map {
	int	key[2];	/* :server_idx, :package_idx; or :idx */
	int	prop[DP_P_COUNT];
};

struct dp_store {
	sqlite3		*db;
	sqlite3_stmt	*stmt[S_COUNT];
	struct param_map upsert_params;		/* of S_DP_UPSERT */
	struct param_map dist_params;		/* of S_DIST_UPSERT */
	struct param_map package_params;	/* of S_PACKAGE_UPDATE */
	int		 flags;
	int		 busy_ms;
	bool		 importing;
	bool		 snapshot;
	bool		 writes_pending;	/* when the import began */
	uint64_t	 rows_before;
	uint64_t	 dist_rows_before;
	struct dp_import_counts counts;
	char		*path;
	dev_t		 dev;		/* of the file opened */
	ino_t		 ino;
	dev_t		 now_dev;	/* at the path, when replaced */
	ino_t		 now_ino;
	char		 err[512];
};


/* "what: <SQLite's message>", with the system's reason when SQLite has
 * one: a full disk or a file-size limit reads "disk I/O error (File too
 * large)", not a bare "disk I/O error"; and who held a busy database. */
static int
store_sqlfail(struct dp_store *st, const char *what)
{
	int code = sqlite3_errcode(st->db) & 0xff, sys_errno;

	if (code == SQLITE_BUSY)
		return dp_store_fail(st, "%s: %s (another process held the "
		    "write "
		    "lock for longer than %d ms)", what, sqlite3_errmsg(st->db),
		    st->busy_ms);
	sys_errno = sqlite3_system_errno(st->db);
	if ((code == SQLITE_IOERR || code == SQLITE_FULL ||
	    code == SQLITE_CANTOPEN) && sys_errno != 0)
		return dp_store_fail(st, "%s: %s (%s)", what,
		    sqlite3_errmsg(st->db), strerror(sys_errno));
	return dp_store_fail(st, "%s: %s", what, sqlite3_errmsg(st->db));
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
static void
map_params(sqlite3_stmt *s, const char *key0, const char *key1,
    struct param_map *m)
{
	m->key[0] = sqlite3_bind_parameter_index(s, key0);
	m->key[1] = key1 != NULL ? sqlite3_bind_parameter_index(s, key1) : 0;
	for (int p = 0; p < DP_P_COUNT; p++)
		m->prop[p] = sqlite3_bind_parameter_index(s, prop_param[p]);
}

static sqlite3_stmt *
stmt_get(struct dp_store *st, enum stmt_id id)
{
	char upsert[8192];
	const char *sql = stmt_sql[id];

	if (st->stmt[id] != NULL)
		return st->stmt[id];
	if (id == S_DP_UPSERT || id == S_DIST_UPSERT) {
		if ((id == S_DP_UPSERT ? upsert_sql(upsert, sizeof(upsert),
		    "dp", upsert_cols, N_UPSERT_COLS, false) :
		    upsert_sql(upsert, sizeof(upsert), "dist",
		    dist_upsert_cols, N_DIST_UPSERT_COLS, true)) != 0) {
			dp_store_fail(st, "the upsert does not fit %zu octets",
			    sizeof(upsert));
			return NULL;
		}
		sql = upsert;
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &st->stmt[id], NULL) != SQLITE_OK) {
		store_sqlfail(st, "preparing a statement");
		st->stmt[id] = NULL;
		return NULL;
	}
	if (id == S_DP_UPSERT)
		map_params(st->stmt[id], ":server_idx", ":package_idx",
		    &st->upsert_params);
	else if (id == S_DIST_UPSERT)
		map_params(st->stmt[id], ":server_idx", ":package_idx",
		    &st->dist_params);
	else if (id == S_PACKAGE_UPDATE)
		map_params(st->stmt[id], ":idx", NULL, &st->package_params);
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
		dp_store_fail(st, "%s: %s", what, msg != NULL ? msg : "?");
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

/*
 * A database created where the file is missing but its -wal or -shm is
 * left: the sign of a daemon that still has the deleted file open (it
 * keeps them while it runs).  SQLite would take the old WAL's pages into
 * the new file, and the daemon would go on writing into both.
 */
static int
orphan_journal(const char *path, char *err, size_t errlen)
{
	static const char *const ext[] = { "-wal", "-shm" };
	char names[2][PATH_MAX + 8];
	struct stat sb;
	int n = 0;

	if (lstat(path, &sb) == 0 || errno != ENOENT)
		return 0;
	for (size_t i = 0; i < 2; i++) {
		snprintf(names[n], sizeof(names[n]), "%s%s", path, ext[i]);
		if (lstat(names[n], &sb) == 0)
			n++;
	}
	if (n == 0)
		return 0;
	snprintf(err, errlen, "%s: the database file is missing but %s%s%s "
	    "%s: a dpagentd or snmpd (dpagent.so) probably still has the "
	    "deleted database open, and SQLite would take %s into the new "
	    "one; stop dpagentd and snmpd first (then remove %s if %s)",
	    path, names[0], n > 1 ? " and " : "", n > 1 ? names[1] : "",
	    n > 1 ? "exist" : "exists", n > 1 ? "them" : "it",
	    n > 1 ? "them" : "it", n > 1 ? "they remain" : "it remains");
	return -1;
}

/* The open-time reason for a file SQLite cannot read as a database. */
static void
damaged_fail(struct dp_store *st)
{
	switch (sqlite3_errcode(st->db) & 0xff) {
	case SQLITE_NOTADB:
		dp_store_fail(st, "not a dpagent database, or its header is "
		    "damaged (%s): check the path, or restore the database "
		    "from a backup", sqlite3_errmsg(st->db));
		break;
	case SQLITE_CORRUPT:
		dp_store_fail(st, "the database is damaged (%s): restore it "
		    "from "
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
	struct stat sb;
	int oflags, version = 0;

	static bool configured;

	/* Before SQLite initialises: no global memory statistics, whose
	 * mutex every allocation would take (each connection is used by one
	 * thread only). */
	if (!configured) {
		int rc = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);

		/* SQLITE_MISUSE: SQLite was initialised before us in this
		 * process (by snmpd or another module, when we are dpagent.so
		 * in it); it keeps its statistics, which costs time only. */
		if (rc != SQLITE_OK && rc != SQLITE_MISUSE) {
			snprintf(err, errlen, "%s: configuring SQLite: %s",
			    path, sqlite3_errstr(rc));
			return NULL;
		}
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
		int fd;

		if (orphan_journal(path, err, errlen) != 0) {
			free(st);
			return NULL;
		}
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
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
	/* SQLite opened the file just now: the path's identity is its. */
	if ((st->path = strdup(path)) == NULL || stat(path, &sb) != 0) {
		snprintf(err, errlen, "%s: %s", path, st->path == NULL ?
		    "out of memory" : strerror(errno));
		goto fail;
	}
	st->dev = sb.st_dev;
	st->ino = sb.st_ino;
	if (read_user_version(st, &version) != 0) {
		damaged_fail(st);
		goto fail_st;
	}
	if (version > DP_SCHEMA_VERSION) {
		dp_store_fail(st, "database schema version %d is newer than "
		    "this "
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
				dp_store_fail(st, "not a dpagent database "
				    "(run 'dpctl --db FILE init')");
			else
				dp_store_fail(st, "schema version %d is "
				    "older than "
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
	free(st->path);
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
	free(st->path);
	free(st);
}

const char *
dp_store_path(const struct dp_store *st)
{
	return st->path;
}

enum dp_store_file
dp_store_file_check(struct dp_store *st)
{
	struct stat sb;

	if (stat(st->path, &sb) != 0)
		return errno == ENOENT || errno == ENOTDIR ?
		    DP_STORE_FILE_GONE : DP_STORE_FILE_SAME;
	if (sb.st_dev == st->dev && sb.st_ino == st->ino)
		return DP_STORE_FILE_SAME;
	st->now_dev = sb.st_dev;
	st->now_ino = sb.st_ino;
	return DP_STORE_FILE_REPLACED;
}

const char *
dp_store_file_text(struct dp_store *st, enum dp_store_file f, char *buf,
    size_t size)
{
	switch (f) {
	case DP_STORE_FILE_SAME:
		snprintf(buf, size, "is the one open");
		break;
	case DP_STORE_FILE_GONE:
		snprintf(buf, size, "was deleted");
		break;
	case DP_STORE_FILE_REPLACED:
		snprintf(buf, size, "was replaced by another file (inode "
		    "%ju, now %ju)", (uintmax_t)st->ino,
		    (uintmax_t)st->now_ino);
		break;
	}
	return buf;
}

/* -1 with the message when the path no longer names the file open. */
static int
file_fail(struct dp_store *st, const char *what)
{
	enum dp_store_file f = dp_store_file_check(st);
	char buf[96];

	if (f == DP_STORE_FILE_SAME)
		return 0;
	return dp_store_fail(st, "%s: %s: the database file %s since it was "
	    "opened", what, st->path, dp_store_file_text(st, f, buf,
	    sizeof(buf)));
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

/* A BLOB into dst, cut to dstsize; returns its length. */
static size_t
copy_blob(uint8_t *dst, size_t dstsize, sqlite3_stmt *s, int col)
{
	const void *blob = sqlite3_column_blob(s, col);
	size_t n = (size_t)sqlite3_column_bytes(s, col);

	if (blob == NULL)
		return 0;
	if (n > dstsize)
		n = dstsize;
	memcpy(dst, blob, n);
	return n;
}

/* Decoders by kind (model/dp_columns.h). */
#define READ_BOOL(s, col, x, len)	(x) = sqlite3_column_int(s, col) != 0
#define READ_UINT32(s, col, x, len)	(x) = dp_store_col_u32(s, col)
#define READ_ENUM(s, col, x, len)	(x) = dp_store_col_i32(s, col)
#define READ_STRING(s, col, x, len) \
	dp_store_copy_text(x, sizeof(x), s, col)
#define READ_TIME(s, col, x, len) \
	dp_store_copy_text(x, sizeof(x), s, col)
#define READ_BYTES(s, col, x, len) \
	(len) = copy_blob(x, sizeof(x), s, col)
#define READ_MSTIME(s, col, x, len)	(x) = sqlite3_column_int64(s, col)
#define READ_FIELD(id, field, name, kind, ...) \
	case DP_FIELD_##id: \
		READ_##kind(s, col, r->field, r->field##_len); \
		break;

/* Field f of a row from result column col. */
static void
read_field(sqlite3_stmt *s, int col, enum dp_field f, struct dp_row *r)
{
	switch (f) {
	DP_COLUMNS(READ_FIELD, READ_FIELD, DP_IGNORE)
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
read_row(sqlite3_stmt *s, void *out)
{
	read_row_fields(s, DP_FIELD_ALL, out);
}

/* A row of DIST_SELECT: the key, its text, then table dist's columns in
 * column-table order. */
static void
read_dist(sqlite3_stmt *s, void *out)
{
	struct dp_dist_row *r = out;
	int col = 5;

	r->server_idx = dp_store_col_u32(s, 0);
	r->package_idx = dp_store_col_u32(s, 1);
	dp_store_copy_text(r->package_id, sizeof(r->package_id), s, 2);
	dp_store_copy_text(r->server_nal_path, sizeof(r->server_nal_path), s,
	    3);
	dp_store_copy_text(r->site_code, sizeof(r->site_code), s, 4);
#define READ_DIST(id, field, name, kind, ...) \
	READ_##kind(s, col, r->field, r->field##_len); \
	col++;
	DP_DIST_COLUMNS(DP_IGNORE, READ_DIST, READ_DIST, DP_IGNORE)
	DP_DIST_EXTRA(READ_DIST, DP_IGNORE)
#undef READ_DIST
}

/* The dist counts at result columns col.. (DIST_COUNTS). */
static void
read_dist_counts(sqlite3_stmt *s, int col, uint32_t *rows,
    uint32_t by[DP_DB_COUNT])
{
	*rows = dp_store_col_u32(s, col);
	for (int b = 0; b < DP_DB_COUNT; b++)
		by[b] = dp_store_col_u32(s, col + 1 + b);
}

static void
read_server(sqlite3_stmt *s, void *out)
{
	struct dp_server *v = out;

	v->idx = dp_store_col_u32(s, 0);
	dp_store_copy_text(v->nal_path, sizeof(v->nal_path), s, 1);
	dp_store_copy_text(v->name, sizeof(v->name), s, 2);
	dp_store_copy_text(v->site_code, sizeof(v->site_code), s, 3);
	v->rows = dp_store_col_u32(s, 4);
	for (int b = 0; b < DP_B_COUNT; b++)
		v->by_status[b] = dp_store_col_u32(s, 5 + b);
	read_dist_counts(s, 10, &v->dist_rows, v->by_dist);
}

static void
read_package(sqlite3_stmt *s, void *out)
{
	struct dp_package *v = out;

	v->idx = dp_store_col_u32(s, 0);
	dp_store_copy_text(v->package_id, sizeof(v->package_id), s, 1);
	v->package_type = dp_store_col_i32(s, 2);
	v->object_type_id = dp_store_col_i32(s, 3);
	dp_store_copy_text(v->secure_object_id, sizeof(v->secure_object_id), s,
	    4);
	dp_store_copy_text(v->source_site, sizeof(v->source_site), s, 5);
	dp_store_copy_text(v->site_name, sizeof(v->site_name), s, 6);
	v->rows = dp_store_col_u32(s, 7);
	for (int b = 0; b < DP_B_COUNT; b++)
		v->by_status[b] = dp_store_col_u32(s, 8 + b);
	read_dist_counts(s, 13, &v->dist_rows, v->by_dist);
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
	    read_row, out);
}

int
dp_store_row_next(struct dp_store *st, int64_t server_idx,
    int64_t package_idx, struct dp_row *out)
{
	return lookup(st, S_ROW_NEXT, 2, server_idx, package_idx,
	    read_row, out);
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
dp_store_dist_get(struct dp_store *st, uint32_t server_idx,
    uint32_t package_idx, struct dp_dist_row *out)
{
	return lookup(st, S_DIST_GET, 2, server_idx, package_idx, read_dist,
	    out);
}

int
dp_store_dists_next(struct dp_store *st, int64_t server_idx,
    int64_t package_idx, struct dp_dist_row *rows, int max)
{
	sqlite3_stmt *s = stmt_get(st, S_DISTS_NEXT);
	int n = 0, rc = SQLITE_DONE;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, server_idx);
	sqlite3_bind_int64(s, 2, package_idx);
	sqlite3_bind_int(s, 3, max);
	while (n < max && (rc = sqlite3_step(s)) == SQLITE_ROW)
		read_dist(s, &rows[n++]);
	dp_store_stmt_done(s);
	if (n < max && rc != SQLITE_DONE)
		return store_sqlfail(st, "reading the model");
	return n;
}

int
dp_store_server_get(struct dp_store *st, uint32_t idx, struct dp_server *out)
{
	return lookup(st, S_SERVER_GET, 1, idx, 0, read_server,
	    out);
}

int
dp_store_server_next(struct dp_store *st, int64_t idx, struct dp_server *out)
{
	return lookup(st, S_SERVER_NEXT, 1, idx, 0, read_server,
	    out);
}

int
dp_store_package_get(struct dp_store *st, uint32_t idx,
    struct dp_package *out)
{
	return lookup(st, S_PACKAGE_GET, 1, idx, 0, read_package,
	    out);
}

int
dp_store_package_next(struct dp_store *st, int64_t idx,
    struct dp_package *out)
{
	return lookup(st, S_PACKAGE_NEXT, 1, idx, 0, read_package,
	    out);
}

static void
read_scalars(sqlite3_stmt *s, void *out)
{
	struct dp_scalars *v = out;

	v->servers = dp_store_col_u32(s, 0);
	v->packages = dp_store_col_u32(s, 1);
	v->rows = dp_store_col_u32(s, 2);
	for (int b = 0; b < DP_B_COUNT; b++)
		v->by_status[b] = dp_store_col_u32(s, 3 + b);
	v->last_change_ms = sqlite3_column_int64(s, 8);
	v->change_counter = (uint64_t)sqlite3_column_int64(s, 9);
	v->last_import_ms = sqlite3_column_int64(s, 10);
	v->pending_writes = dp_store_col_u32(s, 11);
	read_dist_counts(s, 12, &v->dist_rows, v->by_dist);
}

int
dp_store_scalars(struct dp_store *st, struct dp_scalars *out)
{
	int rc = lookup(st, S_SCALARS, 0, 0, 0, read_scalars, out);

	if (rc == 0)
		return dp_store_fail(st, "the meta row is missing");
	return rc < 0 ? -1 : 0;
}

static void
read_idx(sqlite3_stmt *s, void *out)
{
	uint32_t *idx = out;

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
	return dp_store_step_one(st, s, read_idx, idx,
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
	return dp_store_step_one(st, s, read_idx, idx,
	    "finding a package");
}

static void
read_int64(sqlite3_stmt *s, void *out)
{
	int64_t *v = out;

	*v = sqlite3_column_int64(s, 0);
}

int
dp_store_data_version(struct dp_store *st, int64_t *version)
{
	sqlite3_stmt *s = stmt_get(st, S_DATA_VERSION);
	int rc;

	if (s == NULL)
		return -1;
	rc = dp_store_step_one(st, s, read_int64, version,
	    "PRAGMA data_version");
	return rc == 1 ? 0 : rc == 0 ? dp_store_fail(st, "PRAGMA data_version: "
	    "no row") : -1;
}

/* ---- import ------------------------------------------------------------- */

int
dp_store_import_begin(struct dp_store *st, bool snapshot)
{
	struct dp_scalars sc;

	if (st->importing)
		return dp_store_fail(st, "an import is already in progress");
	/* Keys named by this import: duplicate detection and --snapshot. */
	if (exec_sql(st, "CREATE TEMP TABLE IF NOT EXISTS dp_seen ("
	    "server_idx INTEGER NOT NULL, package_idx INTEGER NOT NULL, "
	    "PRIMARY KEY (server_idx, package_idx)) WITHOUT ROWID; "
	    "DELETE FROM temp.dp_seen; "
	    "CREATE TEMP TABLE IF NOT EXISTS dist_seen ("
	    "server_idx INTEGER NOT NULL, package_idx INTEGER NOT NULL, "
	    "PRIMARY KEY (server_idx, package_idx)) WITHOUT ROWID; "
	    "DELETE FROM temp.dist_seen", "preparing the import") != 0)
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
	st->dist_rows_before = sc.dist_rows;
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

static void
bind_blob_or_null(sqlite3_stmt *s, int col, bool present, const uint8_t *v,
    size_t len)
{
	if (present)
		sqlite3_bind_blob(s, col, v != NULL ? (const void *)v :
		    (const void *)"", (int)len, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, col);
}

/* Binders by kind (model/dp_columns.h); an absent value binds NULL. */
#define BIND_BOOL(s, i, on, x, len)	bind_int_or_null(s, i, on, x)
#define BIND_UINT32(s, i, on, x, len)	bind_int_or_null(s, i, on, x)
#define BIND_ENUM(s, i, on, x, len)	bind_int_or_null(s, i, on, x)
#define BIND_STRING(s, i, on, x, len)	bind_text_or_null(s, i, on, x)
#define BIND_TIME(s, i, on, x, len)	bind_text_or_null(s, i, on, x)
#define BIND_BYTES(s, i, on, x, len)	bind_blob_or_null(s, i, on, x, len)
#define BIND_PROP(id, field, name, kind, ...) \
	if (m->prop[DP_P_##id] > 0) \
		BIND_##kind(s, m->prop[DP_P_##id], DP_PRESENT(rec, DP_P_##id), \
		    rec->field, rec->field##_len);

/* Binds every property of rec that s has a parameter for, by name. */
static void
bind_record(sqlite3_stmt *s, const struct param_map *m,
    const struct dp_record *rec)
{
	DP_COLUMNS(BIND_PROP, DP_IGNORE, DP_IGNORE)
	DP_DIST_COLUMNS(DP_IGNORE, BIND_PROP, DP_IGNORE, DP_IGNORE)
	DP_DIST_EXTRA(BIND_PROP, DP_IGNORE)
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
	sqlite3_bind_int64(s, st->package_params.key[0], *idx);
	bind_record(s, &st->package_params, rec);
	rc = sqlite3_step(s);
	dp_store_stmt_done(s);
	if (rc != SQLITE_DONE)
		return store_sqlfail(st, "updating a package");
	return 0;
}

/* Records that this import named the key (duplicates, --snapshot). */
static int
import_seen(struct dp_store *st, enum stmt_id id, const struct dp_record *rec,
    uint32_t sidx, uint32_t pidx)
{
	sqlite3_stmt *s;
	int rc;

	if ((s = stmt_get(st, id)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, sidx);
	sqlite3_bind_int64(s, 2, pidx);
	rc = sqlite3_step(s);
	dp_store_stmt_done(s);
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return dp_store_fail(st, "PackageID %s on %s (SiteCode %s) "
		    "appears more than once in this import of %s",
		    rec->package_id, rec->server_nal_path, rec->site_code,
		    dp_class_name(rec->cls));
	if (rc != SQLITE_DONE)
		return store_sqlfail(st, "recording an imported key");
	return 0;
}

/* A record of SMS_PackageStatusDistPointsSummarizer. */
static int
import_dist(struct dp_store *st, const struct dp_record *rec, uint32_t sidx,
    uint32_t pidx)
{
	sqlite3_stmt *s;
	int rc;

	if (import_seen(st, S_DIST_SEEN_INSERT, rec, sidx, pidx) != 0)
		return -1;
	if ((s = stmt_get(st, S_DIST_UPSERT)) == NULL)
		return -1;
	sqlite3_bind_int64(s, st->dist_params.key[0], sidx);
	sqlite3_bind_int64(s, st->dist_params.key[1], pidx);
	bind_record(s, &st->dist_params, rec);
	rc = sqlite3_step(s);
	dp_store_stmt_done(s);
	if (rc != SQLITE_DONE)
		return store_sqlfail(st, "writing a distribution state");
	st->counts.dist_records++;
	if (sqlite3_changes(st->db) == 0)
		st->counts.dist_unchanged++;
	else
		st->counts.dist_updated++;	/* inserts: told apart later */
	return 0;
}

int
dp_store_import_record(struct dp_store *st, const struct dp_record *rec)
{
	uint32_t sidx, pidx;
	sqlite3_stmt *s;
	int rc;

	if (!st->importing)
		return dp_store_fail(st, "no import in progress");
	if (rec->package_id == NULL || rec->server_nal_path == NULL ||
	    rec->site_code == NULL)
		return dp_store_fail(st, "a record lacks a key property");
	if (rec->cls != DP_CLASS_DP && rec->cls != DP_CLASS_DIST)
		return dp_store_fail(st, "a record of no known class");
	if (rec->cls == DP_CLASS_DIST && !DP_PRESENT(rec, DP_P_STATE))
		return dp_store_fail(st, "a distribution state without State");
	if (import_server(st, rec, &sidx) != 0 ||
	    import_package(st, rec, &pidx) != 0)
		return -1;
	if (rec->cls == DP_CLASS_DIST)
		return import_dist(st, rec, sidx, pidx);
	if (import_seen(st, S_SEEN_INSERT, rec, sidx, pidx) != 0)
		return -1;

	/* Only counted: the upsert itself keeps the written value. */
	if (st->writes_pending && DP_PRESENT(rec, DP_P_ISV_STRING)) {
		if ((rc = isv_write_pending(st, sidx, pidx)) < 0)
			return -1;
		st->counts.kept_pending += (uint64_t)rc;
	}

	if ((s = stmt_get(st, S_DP_UPSERT)) == NULL)
		return -1;
	sqlite3_bind_int64(s, st->upsert_params.key[0], sidx);
	sqlite3_bind_int64(s, st->upsert_params.key[1], pidx);
	bind_record(s, &st->upsert_params, rec);
	rc = sqlite3_step(s);
	dp_store_stmt_done(s);
	if (rc != SQLITE_DONE)
		return store_sqlfail(st, "writing a row");
	st->counts.records++;
	if (sqlite3_changes(st->db) == 0)
		st->counts.unchanged++;
	else
		st->counts.updated++;	/* inserts: told apart later */
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
		return dp_store_fail(st, "no import in progress");
	if (!commit)
		goto rollback;
	/*
	 * A snapshot is complete for each class it has records of, and
	 * tells nothing of the other: summarizer files alone never remove
	 * a dpTable row.  A file with no records names no class.
	 */
	if (st->snapshot) {
		if (st->counts.records == 0 && st->counts.dist_records == 0 &&
		    st->rows_before + st->dist_rows_before > 0) {
			dp_store_fail(st, "a snapshot with no records would "
			    "remove all %" PRIu64 " rows: refused",
			    st->rows_before + st->dist_rows_before);
			goto rollback;
		}
		if (st->counts.records > 0) {
			if (run_simple(st, S_SNAPSHOT_DELETE, "removing rows "
			    "absent from the snapshot") != 0)
				goto rollback;
			st->counts.removed = (uint64_t)sqlite3_changes(st->db);
		}
		if (st->counts.dist_records > 0) {
			if (run_simple(st, S_DIST_SNAPSHOT_DELETE, "removing "
			    "distribution states absent from the snapshot") !=
			    0)
				goto rollback;
			st->counts.dist_removed =
			    (uint64_t)sqlite3_changes(st->db);
		}
	}
	if (dp_store_scalars(st, &sc) != 0)
		goto rollback;
	rows_after = sc.rows;
	/* Only inserts add rows and only the snapshot removes them. */
	st->counts.inserted = rows_after + st->counts.removed -
	    st->rows_before;
	st->counts.updated -= st->counts.inserted;
	st->counts.dist_inserted = sc.dist_rows + st->counts.dist_removed -
	    st->dist_rows_before;
	st->counts.dist_updated -= st->counts.dist_inserted;
	/* A run without a single record ("[]", a CSV header alone) read
	 * nothing from ConfigMgr: it does not make the data fresher, so
	 * dpLastImport and dpLastImportAge stay where they were. */
	if (st->counts.records == 0 && st->counts.dist_records == 0)
		goto done;
	if ((s = stmt_get(st, S_IMPORT_DONE)) == NULL)
		goto rollback;
	sqlite3_bind_int64(s, 1, dp_now_ms());
	rc = sqlite3_step(s);
	dp_store_stmt_done(s);
	if (rc != SQLITE_DONE) {
		store_sqlfail(st, "recording the import time");
		goto rollback;
	}
done:
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
	if (rc == SQLITE_DONE) {
		/* With the write lock: nobody commits to the file meanwhile. */
		if (file_fail(st, "starting a write") == 0)
			return 0;
		rollback(st);
		return -1;
	}
	store_sqlfail(st, "starting a write");
	return (rc & 0xff) == SQLITE_BUSY ? DP_STORE_BUSY : -1;
}

/* A file deleted or replaced between the two checks has the write, but
 * the path does not: it is not durable where anybody will look. */
int
dp_store_write_end(struct dp_store *st, bool commit)
{
	if (commit) {
		if (file_fail(st, "committing a write") == 0 &&
		    run_simple(st, S_COMMIT, "committing a write") == 0 &&
		    file_fail(st, "committing a write") == 0)
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
		return dp_store_fail(st, "out of memory");
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
read_outbox(sqlite3_stmt *s, void *out)
{
	struct dp_outbox *o = out;

	o->id = sqlite3_column_int64(s, 0);
	o->server_idx = dp_store_col_u32(s, 1);
	o->package_idx = dp_store_col_u32(s, 2);
	dp_store_copy_text(o->package_id, sizeof(o->package_id), s, 3);
	dp_store_copy_text(o->server_nal_path, sizeof(o->server_nal_path), s,
	    4);
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
	return lookup(st, S_OUTBOX_NEXT, 1, after, 0, read_outbox,
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
			dp_store_fail(st, "write %" PRId64 " is not pending "
			    "(unknown, "
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
	if (run_int(st, S_PRUNE_EVENTS, before, events, "pruning events") !=
	    0 ||
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
	int fd, rc;

	/*
	 * Never overwrite: the surrogates live only in the database, and a
	 * wrong OUT would destroy the very thing a backup protects.  O_EXCL
	 * decides it in one step (a test first, then an open, would let a
	 * file appear in between); 0644 is the mode SQLite would give.
	 */
	if ((fd = open(out_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0644)) < 0) {
		if (errno == EEXIST)
			return dp_store_fail(st, "%s exists; refusing to "
			    "overwrite it", out_path);
		return dp_store_fail(st, "%s: %s", out_path, strerror(errno));
	}
	close(fd);
	if (sqlite3_open_v2(out_path, &out, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		dp_store_fail(st, "%s: %s", out_path, out != NULL ?
		    sqlite3_errmsg(out) : "out of memory");
		goto fail;
	}
	if ((bk = sqlite3_backup_init(out, "main", st->db, "main")) == NULL) {
		dp_store_fail(st, "%s: %s", out_path, sqlite3_errmsg(out));
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
		dp_store_fail(st, "%s: backup failed: %s", out_path,
		    sqlite3_errstr(rc));
		goto fail;
	}
	if (sqlite3_close(out) != SQLITE_OK) {
		dp_store_fail(st, "%s: closing the backup failed", out_path);
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
