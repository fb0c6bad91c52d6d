/*
 * dp_events: the status-event log as the notifier's queue.  See
 * dp_events.h.
 *
 * Every query below runs on the partial index status_event_undelivered
 * (seq WHERE delivered_ms IS NULL), so its cost grows with the rows it
 * returns or counts, never with the delivered history kept until
 * dpctl prune.
 */
#include "model/dp_events.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "model/dp_store_int.h"

enum ev_stmt {
	E_NEXT,
	E_LAST,
	E_COUNT,
	E_MARK_BOUND,
	E_MARK,
	E_COUNT_STMTS
};

/* The undelivered events of (?1, ?2], the first ?3 of them. */
#define UNDELIVERED_RANGE \
	"FROM status_event WHERE delivered_ms IS NULL AND seq > ?1 " \
	"AND seq <= ?2 ORDER BY seq LIMIT ?3"

static const char *const ev_sql[E_COUNT_STMTS] = {
	[E_NEXT] = "SELECT seq, server_idx, package_idx, status, prev_status, "
	    "at_ms, package_id, server_nal_path, site_code, kind "
	    "FROM status_event "
	    "WHERE delivered_ms IS NULL AND seq > ?1 ORDER BY seq LIMIT ?2",
	/* seq is the rowid: max() is one step to the end of the B-tree. */
	[E_LAST] = "SELECT coalesce(max(seq), 0) FROM status_event",
	[E_COUNT] = "SELECT count(*), coalesce(min(seq), 0), "
	    "coalesce(max(seq), 0), "
	    "coalesce(sum(s = " DP_SQL_NONE "), 0), "
	    "coalesce(sum(s = " DP_SQL_UPDATED "), 0), "
	    "coalesce(sum(s = " DP_SQL_ADDED "), 0), "
	    "coalesce(sum(s = " DP_SQL_DELETED "), 0), "
	    "coalesce(sum(s NOT BETWEEN " DP_SQL_NONE " AND "
	    DP_SQL_DELETED "), 0), "
	    "coalesce(sum(d IS NOT NULL), 0), "
	    "coalesce(sum(d = " DP_SQL_DIST_INSTALLED "), 0), "
	    "coalesce(sum(d IN (" DP_SQL_DIST_INSTALL_PENDING ", "
	    DP_SQL_DIST_REMOVAL_PENDING ", " DP_SQL_DIST_CONTENT_UPDATING
	    ")), 0), "
	    "coalesce(sum(d IN (" DP_SQL_DIST_INSTALL_RETRYING ", "
	    DP_SQL_DIST_REMOVAL_RETRYING ")), 0), "
	    "coalesce(sum(d IN (" DP_SQL_DIST_INSTALL_FAILED ", "
	    DP_SQL_DIST_REMOVAL_FAILED ")), 0), "
	    "coalesce(sum(d NOT BETWEEN " DP_SQL_DIST_ABSENT " AND "
	    DP_SQL_DIST_CONTENT_UPDATING "), 0), "
	    "coalesce(sum(d = " DP_SQL_DIST_ABSENT "), 0) "
	    /* s: the new Status of a Status event, d: the new State of a
	     * distribution's (NULL for the other kind). */
	    "FROM (SELECT seq, CASE kind WHEN 0 THEN status END AS s, "
	    "CASE kind WHEN 1 THEN status END AS d " UNDELIVERED_RANGE ")",
	[E_MARK_BOUND] = "SELECT count(*), coalesce(max(seq), 0) "
	    "FROM (SELECT seq " UNDELIVERED_RANGE ")",
	[E_MARK] = "UPDATE status_event SET delivered_ms = ?3, "
	    "summary_seq = ?4 WHERE delivered_ms IS NULL AND seq > ?1 "
	    "AND seq <= ?2",
};

struct dp_events {
	struct dp_store	*st;
	sqlite3		*db;
	sqlite3_stmt	*stmt[E_COUNT_STMTS];
	int		 busy_ms;
};

struct dp_events *
dp_events_open(struct dp_store *st, int busy_ms)
{
	struct dp_events *ev;

	if ((ev = calloc(1, sizeof(*ev))) == NULL) {
		dp_store_fail(st, "status events: out of memory");
		return NULL;
	}
	ev->st = st;
	ev->db = dp_store_sqlite(st);
	ev->busy_ms = busy_ms;
	for (int i = 0; i < E_COUNT_STMTS; i++) {
		if (sqlite3_prepare_v3(ev->db, ev_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &ev->stmt[i], NULL) !=
		    SQLITE_OK) {
			dp_store_sqlfail(st, "preparing the status-event "
			    "queries");
			dp_events_close(ev);
			return NULL;
		}
	}
	return ev;
}

void
dp_events_close(struct dp_events *ev)
{
	if (ev == NULL)
		return;
	for (int i = 0; i < E_COUNT_STMTS; i++)
		sqlite3_finalize(ev->stmt[i]);
	free(ev);
}

/* Up to 16 integer columns of a one-row aggregate. */
struct ints {
	int	n;
	int64_t	v[16];
};

static void
read_ints(sqlite3_stmt *s, void *out)
{
	struct ints *r = out;

	for (int i = 0; i < r->n; i++)
		r->v[i] = sqlite3_column_int64(s, i);
}

/* Steps a one-row aggregate: 0, or -1 with what in the message. */
static int
aggregate(struct dp_events *ev, sqlite3_stmt *s, struct ints *out,
    const char *what)
{
	int rc = dp_store_step_one(ev->st, s, read_ints, out, what);

	if (rc == 0)
		return dp_store_fail(ev->st, "%s: no row", what);
	return rc < 0 ? -1 : 0;
}

int
dp_events_next(struct dp_events *ev, int64_t after, struct dp_event *out,
    int max, int *n)
{
	sqlite3_stmt *s = ev->stmt[E_NEXT];
	struct dp_event *e;
	int rc;

	*n = 0;
	if (max <= 0)
		return 0;
	if (sqlite3_bind_int64(s, 1, after) != SQLITE_OK ||
	    sqlite3_bind_int(s, 2, max) != SQLITE_OK) {
		rc = dp_store_sqlfail(ev->st, "binding the status-event query");
		goto done;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < max) {
		e = &out[(*n)++];
		e->seq = sqlite3_column_int64(s, 0);
		e->server_idx = dp_store_col_u32(s, 1);
		e->package_idx = dp_store_col_u32(s, 2);
		e->status = dp_store_col_i32(s, 3);
		e->prev_status = dp_store_col_i32(s, 4);
		e->at_ms = sqlite3_column_int64(s, 5);
		dp_store_copy_text(e->package_id, sizeof(e->package_id), s, 6);
		dp_store_copy_text(e->server_nal_path,
		    sizeof(e->server_nal_path), s, 7);
		dp_store_copy_text(e->site_code, sizeof(e->site_code), s, 8);
		e->kind = sqlite3_column_int(s, 9) == DP_EVENT_DIST ?
		    DP_EVENT_DIST : DP_EVENT_STATUS;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		dp_store_fail(ev->st, "reading the status events after seq "
		    "%" PRId64 ": %s", after, sqlite3_errmsg(ev->db));
		rc = -1;
		goto done;
	}
	rc = 0;
done:
	dp_store_stmt_done(s);
	return rc;
}

int
dp_events_last_seq(struct dp_events *ev, int64_t *seq)
{
	struct ints r = { 1, { 0 } };

	if (aggregate(ev, ev->stmt[E_LAST], &r, "reading the last status "
	    "event") != 0)
		return -1;
	*seq = r.v[0];
	return 0;
}

static int
bind_range(struct dp_events *ev, sqlite3_stmt *s, int64_t after,
    int64_t upto, int limit)
{
	if (sqlite3_bind_int64(s, 1, after) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, upto) != SQLITE_OK ||
	    sqlite3_bind_int(s, 3, limit) != SQLITE_OK) {
		dp_store_sqlfail(ev->st, "binding a status-event range");
		dp_store_stmt_done(s);
		return -1;
	}
	return 0;
}

int
dp_events_count(struct dp_events *ev, int64_t after, int64_t upto,
    int limit, struct dp_event_summary *sum, int64_t *reached)
{
	struct ints r = { 15, { 0 } };
	char what[96];
	uint64_t n;

	if (limit <= 0 || upto <= after) {
		*reached = upto > after ? after : upto;
		return 0;
	}
	snprintf(what, sizeof(what), "counting the status events %" PRId64
	    "..%" PRId64, after + 1, upto);
	if (bind_range(ev, ev->stmt[E_COUNT], after, upto, limit) != 0 ||
	    aggregate(ev, ev->stmt[E_COUNT], &r, what) != 0)
		return -1;
	n = (uint64_t)r.v[0];
	if (n > 0) {
		if (sum->first_seq == 0)
			sum->first_seq = r.v[1];
		sum->last_seq = r.v[2];
		sum->count += n;
		for (int b = 0; b < DP_B_COUNT; b++)
			sum->by_status[b] += (uint64_t)r.v[3 + b];
		sum->dist_count += (uint64_t)r.v[8];
		for (int b = 0; b < DP_DB_COUNT; b++)
			sum->by_dist[b] += (uint64_t)r.v[9 + b];
		sum->dist_removed += (uint64_t)r.v[14];
	}
	/* Fewer rows than asked for: nothing is left in the range. */
	*reached = n < (uint64_t)limit ? upto : r.v[2];
	return 0;
}

int
dp_events_mark(struct dp_events *ev, int64_t after, int64_t upto,
    int64_t summary_seq, int64_t now_ms, int limit, int64_t *reached)
{
	struct ints r = { 2, { 0 } };
	sqlite3_stmt *s;
	char what[96];
	int64_t bound;
	uint64_t n;
	int rc = -1;

	*reached = after;
	if (limit <= 0 || upto <= after)
		return 0;
	snprintf(what, sizeof(what), "reading the status events %" PRId64
	    "..%" PRId64 " to mark", after + 1, upto);
	if (bind_range(ev, ev->stmt[E_MARK_BOUND], after, upto, limit) != 0 ||
	    aggregate(ev, ev->stmt[E_MARK_BOUND], &r, what) != 0)
		return -1;
	n = (uint64_t)r.v[0];
	bound = n < (uint64_t)limit ? upto : r.v[1];
	if (n == 0) {
		*reached = bound;
		return 0;
	}

	/*
	 * Never wait for the write lock: an import may hold it for many
	 * seconds, and the agent answers nobody while it waits.  The marks
	 * are kept in memory meanwhile; should the process end first, the
	 * events are sent again, which at-least-once delivery allows.
	 */
	s = ev->stmt[E_MARK];
	sqlite3_busy_timeout(ev->db, 0);
	if (sqlite3_bind_int64(s, 1, after) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, bound) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, now_ms) != SQLITE_OK ||
	    (summary_seq > 0 ? sqlite3_bind_int64(s, 4, summary_seq) :
	    sqlite3_bind_null(s, 4)) != SQLITE_OK) {
		dp_store_sqlfail(ev->st, "binding the delivery of status "
		    "events");
		goto restore;
	}
	rc = sqlite3_step(s);
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
		dp_store_fail(ev->st, "marking the status events %" PRId64
		    "..%" PRId64 " delivered: the database is busy",
		    after + 1, bound);
		rc = DP_STORE_BUSY;
	} else if (rc != SQLITE_DONE) {
		dp_store_fail(ev->st, "marking the status events %" PRId64
		    "..%" PRId64 " delivered: %s", after + 1, bound,
		    sqlite3_errmsg(ev->db));
		rc = -1;
	} else {
		*reached = bound;
		rc = 0;
	}
restore:
	sqlite3_busy_timeout(ev->db, ev->busy_ms);
	dp_store_stmt_done(s);
	return rc;
}
