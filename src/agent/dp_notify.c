/*
 * dp_notify: the notifier.  See dp_notify.h for what it guarantees.
 *
 * State, all in memory and all bounded:
 *
 *   acked    every event up to this seq was acknowledged by the master,
 *            one by one or counted in an acknowledged summary;
 *   marked   ... and is recorded delivered in the database.  Marks lag
 *            behind acks (one short write per poll tick instead of one
 *            per event, and none while an import holds the write lock);
 *            after a crash the unrecorded ones are sent again, which
 *            at-least-once allows;
 *   queue    up to QUEUE_MAX undelivered events after acked, read in one
 *            query; queue[qpos] is the next to send;
 *   inflight the one Notify the master has not answered yet.  One at a
 *            time keeps the order even across failures: nothing is sent
 *            after an event until the master has taken that event.
 *
 * Every call into the database is bounded (QUEUE_MAX rows, COUNT_CHUNK,
 * MARK_CHUNK), so the event loop goes back to the master's requests after
 * each step, however large the backlog.
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/dp_index.h"
#include "agent/dp_notify.h"
#include "agent/dp_oids.h"
#include "agent/dp_value.h"
#include "model/dp_events.h"
#include "util/dp_log.h"

/*
 * RFC 2741, 6.1: the Notify-PDU's type, and the AgentX version Net-SNMP
 * gives its sessions.  Net-SNMP defines them in agent/mibgroup/agentx/
 * protocol.h, which libsnmp-dev does not install.
 */
#ifndef AGENTX_MSG_NOTIFY
#define AGENTX_MSG_NOTIFY	((u_char)12)
#endif

#define QUEUE_MAX		64	/* events read per query */
#define COUNT_CHUNK		20000	/* events counted per step */
#define MARK_CHUNK		5000	/* events marked per write */
#define MARK_RANGES		8	/* unrecorded ack ranges kept */
#define CHUNK_PAUSE_US		1000	/* between counting steps */
#define INFLIGHT_LIMIT_S	60	/* a Notify nobody answers is lost */
#define RETRY_MIN_MS		1000	/* after a lost Notify */
#define RETRY_MAX_MS		30000
#define MASTER_BATCH		64	/* in-master sends per loop turn */

static const oid snmptrap_oid0[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };

/* The objects of dpStatusChange, in its OBJECTS order. */
static const unsigned change_cols[] = {
	DP_COL_STATUS,
	DP_COL_PREVIOUS_STATUS,
	DP_COL_PACKAGE_ID,
	DP_COL_SERVER_NAL_PATH,
	DP_COL_SITE_CODE,
	DP_COL_STATUS_CHANGE_TIME,
	DP_COL_STATUS_EVENT_SEQ,
};

/* The objects of dpDistStateChange, in its OBJECTS order. */
static const unsigned dist_change_cols[] = {
	DP_DIST_COL_STATE,
	DP_DIST_COL_PREVIOUS_STATE,
	DP_DIST_COL_PACKAGE_ID,
	DP_DIST_COL_SERVER_NAL_PATH,
	DP_DIST_COL_SITE_CODE,
	DP_DIST_COL_STATE_CHANGE_TIME,
	DP_DIST_COL_STATE_EVENT_SEQ,
};

enum inflight { IF_NONE, IF_CHANGE, IF_SUMMARY };

/* Acknowledged events (previous range's upto, upto] to record delivered;
 * summary_seq as in status_event.summary_seq (0: one by one). */
struct mark_range {
	int64_t		upto;
	int64_t		summary_seq;
};

struct dp_notifier {
	struct dp_store		*st;
	struct dp_events	*ev;
	struct dp_notify_conf	 conf;
	netsnmp_session		*ss;		/* NULL: no master */
	bool			 in_master;	/* send_v2trap(), no session */
	bool			 stopped;

	int64_t			 acked;
	int64_t			 marked;
	struct mark_range	 marks[MARK_RANGES];
	int			 nmarks;
	bool			 mark_busy;	/* logged once a streak */
	bool			 mark_failing;

	struct dp_event		 queue[QUEUE_MAX];
	int			 qlen;
	int			 qpos;

	enum inflight		 inflight;
	int			 inflight_reqid;
	double			 inflight_since;

	/* A summary being counted (in COUNT_CHUNK steps) or sent. */
	bool			 summarising;
	bool			 summary_ready;
	int64_t			 sum_upto;	/* (acked, sum_upto] */
	int64_t			 sum_reached;
	struct dp_event_summary	 sum;
	int64_t			 sum_checked;	/* checked: no summary */

	double			 tokens;
	double			 burst;
	double			 refilled;	/* monotonic seconds */
	double			 retry_at;
	int			 retry_ms;
	bool			 failing;	/* logged once a streak */
	bool			 db_failing;

	unsigned		 poll_alarm;
	unsigned		 wake_alarm;

	uint64_t		 n_sent;
	uint64_t		 n_summaries;
	uint64_t		 n_summarised;
	uint64_t		 n_failed;
};

static void	pump(struct dp_notifier *n);
static void	acknowledged(struct dp_notifier *n, enum inflight kind);

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- varbinds ------------------------------------------------------------ */

static int
add_value(netsnmp_variable_list **vars, const oid *name, size_t len,
    const struct dp_value *v)
{
	return snmp_varlist_add_variable(vars, name, len, v->type,
	    v->ptr, v->len) == NULL ? -1 : 0;
}

static netsnmp_variable_list *
start_varbinds(unsigned notification)
{
	oid trap[DP_PREFIX_MAX];
	size_t tlen = dp_index_prefix(trap, DP_ARC_NOTIFICATIONS, notification,
	    0);
	netsnmp_variable_list *vars = NULL;

	if (snmp_varlist_add_variable(&vars, snmptrap_oid0,
	    OID_LENGTH(snmptrap_oid0), ASN_OBJECT_ID, trap,
	    tlen * sizeof(oid)) == NULL)
		return NULL;
	return vars;
}

/*
 * dpStatusChange and dpDistStateChange carry the same seven values in the
 * same order (new, previous, the three keys, time, sequence number), as
 * columns of their tables: the i-th object of either.
 */
netsnmp_variable_list *
dp_notify_change_varbinds(const struct dp_event *e)
{
	const int64_t idx[DP_INDEX_MAX] = { e->server_idx, e->package_idx };
	oid prefix[DP_PREFIX_MAX], name[DP_PREFIX_MAX + 1 + DP_INDEX_MAX];
	bool dist = e->kind == DP_EVENT_DIST;
	size_t plen = dp_index_prefix(prefix, DP_ARC_OBJECTS, dist ?
	    DP_PART_DIST : DP_PART_ROWS, 1);
	const unsigned *cols = dist ? dist_change_cols : change_cols;
	netsnmp_variable_list *vars;
	struct dp_value v;
	size_t nlen;

	_Static_assert(sizeof(change_cols) == sizeof(dist_change_cols),
	    "dpStatusChange and dpDistStateChange have the same objects");
	if ((vars = start_varbinds(dist ? DP_NOTIFY_DIST_CHANGE :
	    DP_NOTIFY_STATUS_CHANGE)) == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(change_cols) / sizeof(change_cols[0]);
	    i++) {
		memset(&v, 0, sizeof(v));
		/* From the event, not from the row: the row may have changed
		 * again, or be gone. */
		switch (i) {
		case 0:
			dp_value_int(&v, e->status);
			break;
		case 1:
			dp_value_int(&v, e->prev_status);
			break;
		case 2:
			dp_value_string(&v, e->package_id,
			    strlen(e->package_id));
			break;
		case 3:
			dp_value_string(&v, e->server_nal_path,
			    strlen(e->server_nal_path));
			break;
		case 4:
			dp_value_string(&v, e->site_code, strlen(e->site_code));
			break;
		case 5:
			dp_value_time_ms(&v, e->at_ms);
			break;
		default:	/* the sequence number */
			dp_value_unsigned(&v, (uint32_t)(e->seq & 0xffffffff));
			break;
		}
		nlen = dp_index_oid(name, OID_LENGTH(name), prefix, plen,
		    cols[i], idx, DP_INDEX_MAX);
		if (add_value(&vars, name, nlen, &v) != 0) {
			snmp_free_varbind(vars);
			return NULL;
		}
	}
	return vars;
}

static uint32_t
gauge_of(uint64_t u)
{
	return u > UINT32_MAX ? UINT32_MAX : (uint32_t)u;
}

netsnmp_variable_list *
dp_notify_summary_varbinds(const struct dp_event_summary *sum)
{
	static const int64_t scalar[DP_INDEX_MAX] = { 0, 0 };	/* .0 */
	oid prefix[DP_PREFIX_MAX], name[DP_PREFIX_MAX + 1 + DP_INDEX_MAX];
	size_t plen = dp_index_prefix(prefix, DP_ARC_OBJECTS, DP_PART_SUMMARY,
	    0);
	netsnmp_variable_list *vars;
	struct dp_value v;
	size_t nlen;

	if ((vars = start_varbinds(DP_NOTIFY_STATUS_SUMMARY)) == NULL)
		return NULL;
	for (unsigned obj = DP_SUM_TRANSITIONS; obj <= DP_SUM_LAST; obj++) {
		memset(&v, 0, sizeof(v));
		switch (obj) {
		case DP_SUM_TRANSITIONS:
			dp_value_gauge(&v, gauge_of(sum->count));
			break;
		case DP_SUM_FIRST_SEQ:
			dp_value_unsigned(&v,
			    (uint32_t)(sum->first_seq & 0xffffffff));
			break;
		case DP_SUM_LAST_SEQ:
			dp_value_unsigned(&v,
			    (uint32_t)(sum->last_seq & 0xffffffff));
			break;
		case DP_SUM_DIST_CHANGES:
			dp_value_gauge(&v, gauge_of(sum->dist_count));
			break;
		case DP_SUM_DIST_REMOVED:
			dp_value_gauge(&v, gauge_of(sum->dist_removed));
			break;
		default:
			if (obj >= DP_SUM_DIST_TO_INSTALLED) {
				dp_value_gauge(&v, gauge_of(sum->by_dist[obj -
				    DP_SUM_DIST_TO_INSTALLED]));
				break;
			}
			dp_value_gauge(&v,
			    gauge_of(sum->by_status[obj - DP_SUM_TO_NONE]));
			break;
		}
		nlen = dp_index_oid(name, OID_LENGTH(name), prefix, plen, obj,
		    scalar, 1);
		if (add_value(&vars, name, nlen, &v) != 0) {
			snmp_free_varbind(vars);
			return NULL;
		}
	}
	return vars;
}

/* ---- alarms -------------------------------------------------------------- */

static void
on_wake(unsigned int reg, void *arg)
{
	struct dp_notifier *n = arg;

	(void)reg;
	n->wake_alarm = 0;
	pump(n);
}

/* pump() again in about us microseconds (one pending wake-up at most: an
 * earlier one serves as well, pump() checks the time again). */
static void
wake_in(struct dp_notifier *n, long us)
{
	struct timeval tv;

	if (n->wake_alarm != 0 || n->stopped)
		return;
	if (us < 100)
		us = 100;
	tv.tv_sec = us / 1000000;
	tv.tv_usec = us % 1000000;
	n->wake_alarm = snmp_alarm_register_hr(tv, 0, on_wake, n);
	/* Failing that, the poll tick comes anyway. */
}

/* ---- recording deliveries ---------------------------------------------- */

static void
add_mark(struct dp_notifier *n, int64_t upto, int64_t summary_seq)
{
	struct mark_range *last = n->nmarks > 0 ? &n->marks[n->nmarks - 1] :
	    NULL;

	if (last != NULL && last->summary_seq == 0 && summary_seq == 0) {
		last->upto = upto;
		return;
	}
	/* pump() sends nothing while the ranges are full. */
	n->marks[n->nmarks].upto = upto;
	n->marks[n->nmarks].summary_seq = summary_seq;
	n->nmarks++;
}

/* Records one chunk of acknowledged events; false if the rest must
 * wait (busy database, error). */
static bool
flush_marks_step(struct dp_notifier *n)
{
	struct mark_range *m = &n->marks[0];
	int64_t reached;
	int rc;

	rc = dp_events_mark(n->ev, n->marked, m->upto, m->summary_seq,
	    dp_now_ms(), MARK_CHUNK, &reached);
	if (rc == DP_STORE_BUSY) {
		if (!n->mark_busy)
			dp_info("notifier: %s; the events stay acknowledged "
			    "in memory and are recorded when the writer is "
			    "done", dp_store_errmsg(n->st));
		n->mark_busy = true;
		return false;
	}
	if (rc != 0) {
		/* A read-only database, for one: the notifications still go
		 * out, and are sent again after a restart. */
		if (!n->mark_failing)
			dp_err("notifier: %s; delivered notifications will "
			    "be sent again after a restart",
			    dp_store_errmsg(n->st));
		n->mark_failing = true;
		return false;
	}
	if (n->mark_failing)
		dp_notice("notifier: deliveries are recorded again");
	n->mark_failing = false;
	n->mark_busy = false;
	n->marked = reached;
	if (reached >= m->upto) {
		n->nmarks--;
		memmove(&n->marks[0], &n->marks[1],
		    (size_t)n->nmarks * sizeof(n->marks[0]));
	}
	return true;
}

/* ---- sending ------------------------------------------------------------- */

static bool
take_token(struct dp_notifier *n, long *wait_us)
{
	double now = mono_now();

	n->tokens += (now - n->refilled) * n->conf.rate;
	if (n->tokens > n->burst)
		n->tokens = n->burst;
	n->refilled = now;
	if (n->tokens >= 1.0) {
		n->tokens -= 1.0;
		return true;
	}
	*wait_us = (long)((1.0 - n->tokens) * 1e6 / n->conf.rate) + 1;
	return false;
}

static int	on_response(int op, netsnmp_session *ss, int reqid,
		    netsnmp_pdu *pdu, void *arg);

static int
send_notify(struct dp_notifier *n, netsnmp_variable_list *vars,
    enum inflight kind)
{
	netsnmp_pdu *pdu;
	int reqid;

	if (n->in_master) {
		/*
		 * Inside snmpd: send_v2trap() puts sysUpTime.0 first and hands
		 * the notification to the trap2sink / informsink / trapsess
		 * targets before it returns, which is what the master's
		 * Response to a subagent's Notify means too: taken.
		 */
		send_v2trap(vars);
		snmp_free_varbind(vars);
		acknowledged(n, kind);
		return 0;
	}
	if ((pdu = snmp_pdu_create(AGENTX_MSG_NOTIFY)) == NULL) {
		snmp_free_varbind(vars);
		return -1;
	}
	pdu->sessid = n->ss->sessid;
	pdu->variables = vars;
	if ((reqid = snmp_async_send(n->ss, pdu, on_response, n)) == 0) {
		dp_warn("notifier: cannot send a Notify to the master: %s",
		    snmp_api_errstring(n->ss->s_snmp_errno));
		snmp_free_pdu(pdu);
		return -1;
	}
	n->inflight = kind;
	n->inflight_reqid = reqid;
	n->inflight_since = mono_now();
	return 0;
}

static void
log_summary(const struct dp_notifier *n, const char *what)
{
	const struct dp_event_summary *s = &n->sum;

	dp_notice("notifier: dpStatusSummary %s: %" PRIu64 " transitions, "
	    "seq %" PRId64 "..%" PRId64 " (Status to none %" PRIu64
	    ", updated %" PRIu64 ", added %" PRIu64 ", deleted %" PRIu64
	    ", other %" PRIu64 "; %" PRIu64 " distribution States to "
	    "installed %" PRIu64 ", in progress %" PRIu64 ", retrying %"
	    PRIu64 ", failed %" PRIu64 ", other %" PRIu64 ", removed %"
	    PRIu64 "), more than notifyBacklog %u waited",
	    what, s->count, s->first_seq, s->last_seq,
	    s->by_status[DP_B_NONE], s->by_status[DP_B_UPDATED],
	    s->by_status[DP_B_ADDED], s->by_status[DP_B_DELETED],
	    s->by_status[DP_B_OTHER], s->dist_count,
	    s->by_dist[DP_DB_INSTALLED], s->by_dist[DP_DB_IN_PROGRESS],
	    s->by_dist[DP_DB_RETRYING], s->by_dist[DP_DB_FAILED],
	    s->by_dist[DP_DB_OTHER], s->dist_removed, n->conf.backlog);
}

static void
db_error(struct dp_notifier *n, const char *what)
{
	if (!n->db_failing)
		dp_err("notifier: %s: %s; retrying every %u ms", what,
		    dp_store_errmsg(n->st), n->conf.poll_ms);
	n->db_failing = true;
}

/*
 * Fills the queue with the next undelivered events, or starts a summary
 * when too many wait.  Returns true when there is something to send or
 * to count.
 */
static bool
refill(struct dp_notifier *n)
{
	int64_t last;
	int got;

	if (dp_events_last_seq(n->ev, &last) != 0) {
		db_error(n, "reading the status events");
		return false;
	}
	if (last <= n->acked)
		return false;	/* the cheap answer of an idle poll */
	if (n->conf.backlog > 0 && last - n->acked > n->conf.backlog &&
	    last > n->sum_checked) {
		/* last - acked is an upper bound (seq may have gaps): the
		 * exact count decides, in steps. */
		n->summarising = true;
		n->summary_ready = false;
		n->sum_upto = last;
		n->sum_reached = n->acked;
		memset(&n->sum, 0, sizeof(n->sum));
		return true;
	}
	if (dp_events_next(n->ev, n->acked, n->queue, QUEUE_MAX, &got) != 0) {
		db_error(n, "reading the status events");
		return false;
	}
	n->db_failing = false;
	n->qlen = got;
	n->qpos = 0;
	return got > 0;
}

/* One counting step; true once the summary's counts are complete. */
static bool
count_step(struct dp_notifier *n)
{
	int64_t reached;

	if (dp_events_count(n->ev, n->sum_reached, n->sum_upto, COUNT_CHUNK,
	    &n->sum, &reached) != 0) {
		db_error(n, "counting the status events to summarise");
		return false;
	}
	n->db_failing = false;
	n->sum_reached = reached;
	if (reached < n->sum_upto)
		return false;
	n->summary_ready = true;
	return true;
}

/*
 * Does the next step, if any is due: at most one Notify sent or one
 * bounded query run, then back to the event loop.  True when a
 * notification was sent and taken at once (in the master), so that the
 * next one may follow in the same turn.
 */
static bool
pump_one(struct dp_notifier *n)
{
	netsnmp_variable_list *vars;
	long wait_us;

	if (n->stopped || (n->ss == NULL && !n->in_master) ||
	    n->inflight != IF_NONE)
		return false;
	if (n->retry_at > mono_now())
		return false;	/* the poll tick comes back */
	if (n->nmarks == MARK_RANGES) {
		/* Never more acks than we can record: a send adds at most
		 * one range. */
		flush_marks_step(n);
		if (n->nmarks == MARK_RANGES)
			return false;
	}

	if (!n->summarising && n->qpos == n->qlen && !refill(n))
		return false;
	if (n->summarising && !n->summary_ready) {
		if (!count_step(n)) {
			if (!n->db_failing)
				wake_in(n, CHUNK_PAUSE_US);
			return false;
		}
		if (n->sum.count <= n->conf.backlog) {
			/* Gaps in seq made the bound look worse than it is. */
			n->summarising = false;
			n->sum_checked = n->sum_upto;
			wake_in(n, 0);
			return false;
		}
		log_summary(n, "to be sent instead of single notifications");
	}

	if (!take_token(n, &wait_us)) {
		wake_in(n, wait_us);
		return false;
	}
	if (n->summarising)
		vars = dp_notify_summary_varbinds(&n->sum);
	else
		vars = dp_notify_change_varbinds(&n->queue[n->qpos]);
	if (vars == NULL) {
		dp_err("notifier: out of memory building a notification");
		return false;
	}
	if (send_notify(n, vars, n->summarising ? IF_SUMMARY : IF_CHANGE) !=
	    0) {
		n->retry_at = mono_now() + RETRY_MIN_MS / 1000.0;
		return false;
	}
	return n->in_master;
}

/* In the master a send is taken at once: up to MASTER_BATCH of them (as
 * the tokens allow) per turn of the event loop, no recursion. */
static void
pump(struct dp_notifier *n)
{
	int i;

	for (i = 0; i < MASTER_BATCH && pump_one(n); i++)
		;
	if (i == MASTER_BATCH)
		wake_in(n, 0);
}

static const char *
failure_text(int op, const netsnmp_pdu *pdu, char *buf, size_t len)
{
	switch (op) {
	case NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE:
		snprintf(buf, len, "the master answered with AgentX error %ld",
		    pdu != NULL ? pdu->errstat : -1L);
		return buf;
	case NETSNMP_CALLBACK_OP_TIMED_OUT:
		return "no answer from the master (timeout or closed session)";
	case NETSNMP_CALLBACK_OP_SEND_FAILED:
		return "the Notify could not be sent";
	case NETSNMP_CALLBACK_OP_DISCONNECT:
		return "the master disconnected";
	default:
		snprintf(buf, len, "callback operation %d", op);
		return buf;
	}
}

static void
acknowledged(struct dp_notifier *n, enum inflight kind)
{
	const struct dp_event *e;

	if (kind == IF_SUMMARY) {
		log_summary(n, "acknowledged by the master");
		n->acked = n->sum_upto;
		add_mark(n, n->sum_upto, n->sum.last_seq);
		n->n_summaries++;
		n->n_summarised += n->sum.count;
		n->summarising = false;
		n->summary_ready = false;
		n->qlen = n->qpos = 0;
	} else {
		e = &n->queue[n->qpos++];
		n->acked = e->seq;
		add_mark(n, e->seq, 0);
		n->n_sent++;
	}
	if (n->failing)
		dp_notice("notifier: the master takes notifications again "
		    "(up to seq %" PRId64 ")", n->acked);
	n->failing = false;
	n->retry_ms = RETRY_MIN_MS;
}

static int
on_response(int op, netsnmp_session *ss, int reqid, netsnmp_pdu *pdu,
    void *arg)
{
	struct dp_notifier *n = arg;
	enum inflight kind = n->inflight;
	char buf[96];
	const char *why;
	int64_t seq;

	(void)ss;
	if (op == NETSNMP_CALLBACK_OP_RESEND)
		return 1;	/* the library retries on its own */
	if (kind == IF_NONE || reqid != n->inflight_reqid)
		return 1;	/* given up on already (INFLIGHT_LIMIT_S) */
	n->inflight = IF_NONE;
	if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && pdu != NULL &&
	    pdu->errstat == SNMP_ERR_NOERROR) {
		acknowledged(n, kind);
		/* The next one at once if a token allows: one round trip per
		 * notification, GETs served in between by the loop. */
		pump(n);
		return 1;
	}

	/* Not taken: resend from this one, later.  No pump() here: this
	 * may be the session being closed (snmp_close() calls back). */
	n->n_failed++;
	why = failure_text(op, pdu, buf, sizeof(buf));
	seq = kind == IF_SUMMARY ? n->sum.first_seq :
	    n->queue[n->qpos].seq;
	if (!n->failing)
		dp_warn("notifier: %s seq %" PRId64 " not acknowledged: %s; "
		    "it stays undelivered and is sent again", kind ==
		    IF_SUMMARY ? "dpStatusSummary from" : "dpStatusChange of",
		    seq, why);
	n->failing = true;
	/* A refusal will likely be repeated, a slow master needs air: back
	 * off.  A new session (dp_notify_session) starts over at once. */
	n->retry_at = mono_now() + n->retry_ms / 1000.0;
	n->retry_ms = n->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS :
	    n->retry_ms * 2;
	return 1;
}

static void
on_poll(unsigned int reg, void *arg)
{
	struct dp_notifier *n = arg;

	(void)reg;
	if (n->nmarks > 0)
		flush_marks_step(n);
	if (n->inflight != IF_NONE &&
	    mono_now() - n->inflight_since > INFLIGHT_LIMIT_S) {
		dp_warn("notifier: no answer to a Notify in %d s; sending it "
		    "again", INFLIGHT_LIMIT_S);
		n->inflight = IF_NONE;	/* a late answer is ignored */
		n->n_failed++;
	}
	pump(n);
}

/* ---- life cycle -------------------------------------------------------- */

struct dp_notifier *
dp_notify_start(struct dp_store *st, int busy_ms,
    const struct dp_notify_conf *conf)
{
	struct dp_notifier *n;
	struct timeval tv;

	if ((n = calloc(1, sizeof(*n))) == NULL) {
		dp_err("notifier: out of memory");
		return NULL;
	}
	n->st = st;
	n->conf = *conf;
	if (n->conf.rate < 1)
		n->conf.rate = 1;
	if (n->conf.poll_ms < 1)
		n->conf.poll_ms = DP_NOTIFY_DEFAULT_POLL_MS;
	n->burst = n->conf.rate / 50 > 1 ? n->conf.rate / 50 : 1;
	n->tokens = n->burst;
	n->refilled = mono_now();
	n->retry_ms = RETRY_MIN_MS;
	if ((n->ev = dp_events_open(st, busy_ms)) == NULL) {
		dp_err("notifier: %s", dp_store_errmsg(st));
		goto fail;
	}
	tv.tv_sec = n->conf.poll_ms / 1000;
	tv.tv_usec = (n->conf.poll_ms % 1000) * 1000;
	if ((n->poll_alarm = snmp_alarm_register_hr(tv, SA_REPEAT, on_poll,
	    n)) == 0) {
		dp_err("notifier: cannot register its alarm");
		goto fail;
	}
	dp_info("notifier: at most %u notifications/s, a summary past %u "
	    "waiting events%s", n->conf.rate, n->conf.backlog,
	    n->conf.backlog == 0 ? " (never)" : "");
	return n;
fail:
	dp_events_close(n->ev);
	free(n);
	return NULL;
}

/* A new master, or the master itself: send what is left from the first
 * unacknowledged event, without the back-off of the old one. */
static void
start_over(struct dp_notifier *n, const char *to)
{
	int64_t last;

	n->retry_at = 0;
	n->retry_ms = RETRY_MIN_MS;
	if (dp_events_last_seq(n->ev, &last) == 0 && last > n->acked)
		dp_info("notifier: sending the undelivered status events "
		    "after seq %" PRId64 " (at most %" PRId64 ")%s", n->acked,
		    last - n->acked, to);
	/* Not from inside the library's session set-up: a moment later. */
	wake_in(n, 1000);
}

void
dp_notify_session(struct dp_notifier *n, netsnmp_session *ss)
{
	if (n == NULL)
		return;
	n->ss = ss;
	if (ss != NULL && !n->stopped)
		start_over(n, "");
}

void
dp_notify_in_master(struct dp_notifier *n)
{
	if (n == NULL || n->stopped)
		return;
	n->in_master = true;
	n->ss = NULL;
	start_over(n, " to the master's notification targets");
}

int64_t
dp_notify_backlog(struct dp_notifier *n)
{
	int64_t last;

	if (dp_events_last_seq(n->ev, &last) != 0)
		return -1;
	return last > n->acked ? last - n->acked : 0;
}

void
dp_notify_stop(struct dp_notifier *n)
{
	if (n == NULL || n->stopped)
		return;
	n->stopped = true;
	n->ss = NULL;
	n->in_master = false;
	if (n->poll_alarm != 0)
		snmp_alarm_unregister(n->poll_alarm);
	if (n->wake_alarm != 0)
		snmp_alarm_unregister(n->wake_alarm);
	n->poll_alarm = n->wake_alarm = 0;
	while (n->nmarks > 0 && flush_marks_step(n))
		;
	dp_info("notifier: %" PRIu64 " dpStatusChange and %" PRIu64
	    " dpStatusSummary (for %" PRIu64 " transitions) acknowledged, %"
	    PRIu64 " not, delivered up to seq %" PRId64 "%s", n->n_sent,
	    n->n_summaries, n->n_summarised, n->n_failed, n->marked,
	    n->marked < n->acked ? " (the rest is sent again at start)" : "");
}

void
dp_notify_release(struct dp_notifier *n)
{
	if (n == NULL)
		return;
	dp_notify_stop(n);
	dp_events_close(n->ev);
	n->ev = NULL;
	n->st = NULL;
}

void
dp_notify_free(struct dp_notifier *n)
{
	if (n == NULL)
		return;
	dp_notify_stop(n);
	dp_events_close(n->ev);
	free(n);
}
