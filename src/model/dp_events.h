/*
 * dp_events: the status-event log (table status_event, written by the
 * model's triggers) read as the notifier's queue.  No Net-SNMP here.
 *
 * The notifier walks the log in seq order, which is commit order: SQLite
 * has one writer at a time and AUTOINCREMENT hands out seq inside the
 * writing transaction, so no event can later appear below one already
 * seen.  An event is delivered (delivered_ms set) only once the master
 * has acknowledged its notification, or the summary that counted it
 * (summary_seq = the summary's last seq).
 *
 * Every call is one or two prepared statements, reset before it returns,
 * and bounded by a row limit the caller gives: the notifier runs on the
 * agent's event loop and must never hold it for long.  Functions return
 * 0 and -1 on error (dp_store_errmsg() says why).
 */
#ifndef DP_EVENTS_H
#define DP_EVENTS_H

#include <stdint.h>

#include "convert/dp_convert.h"
#include "convert/dp_props.h"
#include "model/dp_store.h"

/* What changed: a Status (dpStatusChange) or a distribution's State
 * (dpDistStateChange).  One log, one sequence for both. */
enum dp_event_kind {
	DP_EVENT_STATUS = 0,
	DP_EVENT_DIST = 1
};

struct dp_event {
	int64_t		seq;
	enum dp_event_kind kind;
	uint32_t	server_idx;
	uint32_t	package_idx;
	int32_t		status;		/* the new Status, or State */
	int32_t		prev_status;	/* (DP_DIST_ABSENT: no row) */
	int64_t		at_ms;		/* committed at (UTC ms) */
	char		package_id[DP_MAX_PACKAGE_ID + 1];
	char		server_nal_path[DP_MAX_NAL_PATH + 1];
	char		site_code[DP_MAX_SITE_CODE + 1];
};

/* Undelivered events counted together: all of them (count), Status
 * transitions by their new Status, State transitions (dist_count) by the
 * bucket of their new State, removals apart. */
struct dp_event_summary {
	int64_t		first_seq;	/* 0: none counted yet */
	int64_t		last_seq;
	uint64_t	count;
	uint64_t	by_status[DP_B_COUNT];
	uint64_t	dist_count;
	uint64_t	by_dist[DP_DB_COUNT];
	uint64_t	dist_removed;
};

struct dp_events;

/*
 * The queries on st's connection; st must outlive them and
 * dp_events_close() must come before dp_store_close().  busy_ms is the
 * store's busy timeout: dp_events_mark() never waits for another writer
 * and puts it back afterwards.
 */
struct dp_events *dp_events_open(struct dp_store *st, int busy_ms);
void	dp_events_close(struct dp_events *ev);

/* Up to max undelivered events with seq > after, in seq order; *n says
 * how many were written to out. */
int	dp_events_next(struct dp_events *ev, int64_t after,
	    struct dp_event *out, int max, int *n);

/* The highest seq ever logged (0: none); an O(1) upper bound of the
 * backlog is last - the last seq acknowledged. */
int	dp_events_last_seq(struct dp_events *ev, int64_t *seq);

/*
 * Adds the undelivered events with after < seq <= upto, at most limit of
 * them, to *sum.  *reached is the seq up to which the range has been
 * counted: upto once it is exhausted, so that the caller continues from
 * *reached until then.
 */
int	dp_events_count(struct dp_events *ev, int64_t after, int64_t upto,
	    int limit, struct dp_event_summary *sum, int64_t *reached);

/*
 * Marks the undelivered events with after < seq <= upto delivered at
 * now_ms, at most limit of them, counted in the summary whose last event
 * is summary_seq (0: sent one by one).  *reached as for dp_events_count.
 * Returns DP_STORE_BUSY, without waiting and with nothing marked, while
 * another connection writes (a long import): try again later.
 */
int	dp_events_mark(struct dp_events *ev, int64_t after, int64_t upto,
	    int64_t summary_seq, int64_t now_ms, int limit, int64_t *reached);

#endif
