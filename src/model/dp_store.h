/*
 * dp_store: the SQLite model of DISTRIBUTION-POINT-MIB.  No Net-SNMP here.
 *
 * The database is the model: every read is one indexed lookup through a
 * prepared statement that is reset as soon as its row is copied out, so
 * no read transaction outlives a call.  Counts by Status, the status-event
 * log and the change counter are kept by triggers in the same transaction
 * as the change, whoever the writer is (dpctl, dpagentd, or plain SQL).
 *
 * Functions return 0 (or 1 = found / 0 = not found for lookups) and -1 on
 * error; dp_store_errmsg() then says what failed.
 */
#ifndef DP_STORE_H
#define DP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "convert/dp_convert.h"
#include "convert/dp_props.h"

/* The number of migrations in dp_schema.h (a test checks they agree). */
#define DP_SCHEMA_VERSION 4

struct dp_store;

/* Open flags. */
#define DP_STORE_READONLY	0x01	/* never write (dpctl list/show) */
#define DP_STORE_CREATE		0x02	/* create, or migrate the schema */

/*
 * Opens (and with DP_STORE_CREATE creates or migrates) the database.  On
 * failure returns NULL and writes the reason to err.  A database whose
 * schema is newer than this program's is refused.
 */
struct dp_store *dp_store_open(const char *path, int flags, int busy_ms,
	    char *err, size_t errlen);
void	dp_store_close(struct dp_store *st);
/* True when SQLite could open the file only for reading. */
bool	dp_store_readonly(struct dp_store *st);
const char *dp_store_errmsg(const struct dp_store *st);
int	dp_store_schema_version(struct dp_store *st);

/*
 * Whether the path still names the file that was opened: a database
 * deleted (rm) or replaced (cp over it, mv onto it) under a running
 * daemon leaves it reading and writing a file nobody else sees, and
 * every write it answers is lost.  Compared by device and inode, one
 * stat() of the path.  A stat() that fails otherwise than "no such file"
 * (a directory made unreachable) tells nothing: DP_STORE_FILE_SAME.
 */
enum dp_store_file {
	DP_STORE_FILE_SAME,
	DP_STORE_FILE_GONE,	/* no file at the path */
	DP_STORE_FILE_REPLACED	/* another file at the path */
};
enum dp_store_file dp_store_file_check(struct dp_store *st);
/* What dp_store_file_check() found, as "was deleted" or "was replaced by
 * another file (inode A, now B)", for "<path>: the database file ...". */
const char *dp_store_file_text(struct dp_store *st, enum dp_store_file f,
	    char *buf, size_t size);
const char *dp_store_path(const struct dp_store *st);

/* ---- one row of dpTable ------------------------------------------------ */

/*
 * The members of a row and of a record, by kind, from the column table
 * (model/dp_columns.h).  A row owns its values; a record points into the
 * export being read.
 */
#define DP_ROW_MEMBER_BOOL(f, max)	bool f;
#define DP_ROW_MEMBER_UINT32(f, max)	uint32_t f;
#define DP_ROW_MEMBER_ENUM(f, max)	int32_t f;
#define DP_ROW_MEMBER_STRING(f, max)	char f[(max) + 1];
/* TIME: the canonical text (dp_time_format()). */
#define DP_ROW_MEMBER_TIME(f, max)	char f[DP_TIME_TEXT_MAX];
#define DP_ROW_MEMBER_BYTES(f, max)	size_t f##_len; uint8_t f[max];
/* MSTIME: milliseconds since the epoch, UTC. */
#define DP_ROW_MEMBER_MSTIME(f, max)	int64_t f;
#define DP_REC_MEMBER_BOOL(f)		bool f;
#define DP_REC_MEMBER_UINT32(f)		uint32_t f;
#define DP_REC_MEMBER_ENUM(f)		int32_t f;
#define DP_REC_MEMBER_STRING(f)		const char *f;
#define DP_REC_MEMBER_TIME(f)		char f[DP_TIME_TEXT_MAX];
#define DP_REC_MEMBER_BYTES(f)		const uint8_t *f; size_t f##_len;

/* A row of dpTable: every column a GET can read. */
#define DP_ROW_MEMBER_(id, field, name, kind, max, ...) \
	DP_ROW_MEMBER_##kind(field, max)
#define DP_REC_MEMBER_(id, field, name, kind, ...) DP_REC_MEMBER_##kind(field)

struct dp_row {
	uint32_t	server_idx;
	uint32_t	package_idx;
	DP_COLUMNS(DP_ROW_MEMBER_, DP_ROW_MEMBER_, DP_IGNORE)
};

/* A row of dpDistTable (model/dp_columns.h, DP_DIST_COLUMNS). */
struct dp_dist_row {
	uint32_t	server_idx;
	uint32_t	package_idx;
	char		package_id[DP_MAX_PACKAGE_ID + 1];
	char		server_nal_path[DP_MAX_NAL_PATH + 1];
	char		site_code[DP_MAX_SITE_CODE + 1];
	DP_DIST_COLUMNS(DP_IGNORE, DP_ROW_MEMBER_, DP_ROW_MEMBER_, DP_IGNORE)
	DP_DIST_EXTRA(DP_ROW_MEMBER_, DP_IGNORE)
};

struct dp_server {
	uint32_t	idx;
	char		nal_path[DP_MAX_NAL_PATH + 1];
	char		name[DP_MAX_SERVER_NAME + 1];
	char		site_code[DP_MAX_SITE_CODE + 1];
	uint32_t	rows;
	uint32_t	by_status[DP_B_COUNT];
	uint32_t	dist_rows;
	uint32_t	by_dist[DP_DB_COUNT];
};

struct dp_package {
	uint32_t	idx;
	char		package_id[DP_MAX_PACKAGE_ID + 1];
	int32_t		package_type;
	int32_t		object_type_id;
	char		secure_object_id[DP_MAX_SECURE_OBJECT_ID + 1];
	char		source_site[DP_MAX_SOURCE_SITE + 1];
	char		site_name[DP_MAX_SITE_NAME + 1];
	uint32_t	rows;
	uint32_t	by_status[DP_B_COUNT];
	uint32_t	dist_rows;
	uint32_t	by_dist[DP_DB_COUNT];
};

struct dp_scalars {
	uint32_t	servers;	/* servers with at least one row */
	uint32_t	packages;	/* packages with at least one row */
	uint32_t	rows;
	uint32_t	by_status[DP_B_COUNT];
	int64_t		last_change_ms;	/* 0: never changed */
	uint64_t	change_counter;
	int64_t		last_import_ms;	/* 0: never imported */
	uint32_t	pending_writes;
	uint32_t	dist_rows;
	uint32_t	by_dist[DP_DB_COUNT];
};

/*
 * Lookups in SNMP order.  *_get: the row with exactly this index.
 * *_next: the first row whose index is strictly greater than the given
 * one in lexicographic (server, package) order; index values are 64-bit so
 * that callers can pass any OID sub-identifier (0..4294967295) and one
 * beyond.  Return 1 and fill *out when found, 0 when there is none, -1 on
 * error.
 */
int	dp_store_row_get(struct dp_store *st, uint32_t server_idx,
	    uint32_t package_idx, struct dp_row *out);
int	dp_store_row_next(struct dp_store *st, int64_t server_idx,
	    int64_t package_idx, struct dp_row *out);
/* The values of a dpTable row, in dpEntry column order. */
#define DP_FIELD_ENUM_(id, ...) DP_FIELD_##id,
enum dp_field {
	DP_FIELD_ALL = -1,
	DP_COLUMNS(DP_FIELD_ENUM_, DP_FIELD_ENUM_, DP_IGNORE)
	DP_FIELD_COUNT
};
#undef DP_FIELD_ENUM_
/* Up to max rows strictly after (server, package), in order, read in one
 * statement execution: returns how many (fewer than max at the end of
 * the table), or -1.  Only the key and field f are filled, unless f is
 * DP_FIELD_ALL: a walk of one column decodes that column only. */
int	dp_store_rows_next(struct dp_store *st, enum dp_field f,
	    int64_t server_idx, int64_t package_idx, struct dp_row *rows,
	    int max);
/* dpDistTable, the same way. */
int	dp_store_dist_get(struct dp_store *st, uint32_t server_idx,
	    uint32_t package_idx, struct dp_dist_row *out);
int	dp_store_dists_next(struct dp_store *st, int64_t server_idx,
	    int64_t package_idx, struct dp_dist_row *rows, int max);
int	dp_store_server_get(struct dp_store *st, uint32_t idx,
	    struct dp_server *out);
int	dp_store_server_next(struct dp_store *st, int64_t idx,
	    struct dp_server *out);
int	dp_store_package_get(struct dp_store *st, uint32_t idx,
	    struct dp_package *out);
int	dp_store_package_next(struct dp_store *st, int64_t idx,
	    struct dp_package *out);
int	dp_store_scalars(struct dp_store *st, struct dp_scalars *out);

/* Lookups by the class's own keys (dpctl show, check_dp). */
int	dp_store_server_find(struct dp_store *st, const char *nal_path,
	    const char *site_code, uint32_t *idx);
int	dp_store_package_find(struct dp_store *st, const char *package_id,
	    uint32_t *idx);

/* PRAGMA data_version: changes whenever another connection commits. */
int	dp_store_data_version(struct dp_store *st, int64_t *version);

/* ---- import -------------------------------------------------------------- */

/*
 * One record of an export, already converted and validated by the import
 * parsers.  A property whose bit is clear in `present` was absent or null:
 * an update keeps the stored value, an insert takes the class default.
 * Strings are NUL-terminated UTF-8 owned by the caller.
 */
struct dp_record {
	enum dp_class	 cls;
	uint32_t	 present;	/* 1u << enum dp_prop */
	DP_COLUMNS(DP_REC_MEMBER_, DP_IGNORE, DP_IGNORE)
	DP_DIST_COLUMNS(DP_IGNORE, DP_REC_MEMBER_, DP_IGNORE, DP_IGNORE)
	DP_DIST_EXTRA(DP_REC_MEMBER_, DP_IGNORE)
};

#define DP_PRESENT(rec, prop)	(((rec)->present >> (prop)) & 1u)

struct dp_import_counts {
	uint64_t	records;	/* records read */
	uint64_t	inserted;
	uint64_t	updated;	/* existing rows whose values changed */
	uint64_t	unchanged;
	uint64_t	removed;	/* by --snapshot */
	uint64_t	kept_pending;	/* kept for an unacked write */
	/* The same for SMS_PackageStatusDistPointsSummarizer records. */
	uint64_t	dist_records;
	uint64_t	dist_inserted;
	uint64_t	dist_updated;
	uint64_t	dist_unchanged;
	uint64_t	dist_removed;
};

/*
 * An import is one write transaction: begin, one call per record, end.
 * dp_store_import_record() returns -1 for a record the database refuses
 * (the message says why) and also for a second record of its class with
 * the same key (PackageID, ServerNALPath, SiteCode) in the same import.
 * A record of SMS_PackageStatusDistPointsSummarizer (rec->cls) goes to
 * dpDistTable.  end(commit = false) rolls everything back; with snapshot,
 * end(commit = true) first removes the rows that no record named, of
 * each class that the import had records of: a run of summarizer
 * records alone leaves dpTable as it was.
 */
int	dp_store_import_begin(struct dp_store *st, bool snapshot);
int	dp_store_import_record(struct dp_store *st,
	    const struct dp_record *rec);
int	dp_store_import_end(struct dp_store *st, bool commit,
	    struct dp_import_counts *counts);

/* ---- writes from SNMP -------------------------------------------------- */

/*
 * A write made over SNMP changes the model at once and is queued in the
 * outbox for ConfigMgr, in the same transaction.  It is pending until
 * `dpctl ack` (ConfigMgr applied it) or, for a refresh request, until a
 * write of false withdraws it.  While an ISVString write is pending, an
 * import keeps the written value (the export predates it).
 *
 * The agent's ACTION phase brackets its writes with write_begin/write_end
 * (one short BEGIN IMMEDIATE ... COMMIT); write_begin returns
 * DP_STORE_BUSY when another writer holds the database past the busy
 * timeout.  The set/request/withdraw calls return 1 when done, 0 when the
 * row does not exist (any more), -1 on error.
 */
#define DP_STORE_BUSY (-2)

int	dp_store_write_begin(struct dp_store *st);
int	dp_store_write_end(struct dp_store *st, bool commit);
int	dp_store_set_isv_string(struct dp_store *st, uint32_t server_idx,
	    uint32_t package_idx, const char *value, int64_t request_id,
	    const char *origin, int64_t *outbox_id);
int	dp_store_request_refresh(struct dp_store *st, uint32_t server_idx,
	    uint32_t package_idx, int64_t request_id, const char *origin,
	    int64_t *outbox_id);
/* Withdraws every pending refresh of the row, stamped with when and the
 * request; *count says how many (0: a no-op). */
int	dp_store_withdraw_refresh(struct dp_store *st, uint32_t server_idx,
	    uint32_t package_idx, int64_t request_id, int64_t when_ms,
	    int *count);

/* Compensating writes of the UNDO phase (their own transaction). */
int	dp_store_undo_isv_string(struct dp_store *st, uint32_t server_idx,
	    uint32_t package_idx, const char *old_value, int64_t outbox_id);
int	dp_store_undo_refresh(struct dp_store *st, int64_t outbox_id);
int	dp_store_undo_withdraw(struct dp_store *st, uint32_t server_idx,
	    uint32_t package_idx, int64_t request_id, int64_t when_ms);

struct dp_outbox {
	int64_t		id;
	uint32_t	server_idx;
	uint32_t	package_idx;
	char		package_id[DP_MAX_PACKAGE_ID + 1];
	char		server_nal_path[DP_MAX_NAL_PATH + 1];
	char		site_code[DP_MAX_SITE_CODE + 1];
	char		property[16];	/* "RefreshNow", "ISVString" */
	char		old_value[DP_MAX_ISV_STRING + 1];
	char		new_value[DP_MAX_ISV_STRING + 1];
	int64_t		requested_ms;
	int64_t		request_id;		/* -1: unknown */
	char		origin[256];	/* "" where AgentX hides it */
};

/* Pending writes in order of their IDs: the first with an ID > after. */
int	dp_store_outbox_next(struct dp_store *st, int64_t after,
	    struct dp_outbox *out);
/* Acknowledges writes (ConfigMgr applied them), all or none: an ID that
 * is not pending refuses the whole call, naming it. */
int	dp_store_ack(struct dp_store *st, const int64_t *ids, size_t n,
	    int64_t now_ms);

/* ---- housekeeping -------------------------------------------------------- */

/* Deletes delivered status events and acknowledged writes older than
 * retention_s seconds before now_ms; reports how many went. */
int	dp_store_prune(struct dp_store *st, int64_t now_ms,
	    int64_t retention_s, uint64_t *events, uint64_t *writes);

/* A consistent copy with SQLite's online backup API while others write. */
int	dp_store_backup(struct dp_store *st, const char *out_path);

/* Milliseconds since the epoch, UTC (the clock every stored time uses). */
int64_t	dp_now_ms(void);

#endif
