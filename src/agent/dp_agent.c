/*
 * dp_agent: GET and GETNEXT over dpObjects; SET phases go to dp_set.  See
 * dp_agent.h.
 *
 * Every instance is prefix.column.index: the scalars' prefix is dpScalars
 * (index .0), each table's its entry OID.  dp_index turns a request into
 * "column c, the first row strictly after index i", which one B-tree seek
 * in the model answers; when a column runs out, the next column starts
 * from its first row, and past the last column the next part starts.
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include "agent/dp_agent.h"
#include "agent/dp_index.h"
#include "agent/dp_oids.h"
#include "agent/dp_set.h"
#include "agent/dp_value.h"
#include "util/dp_log.h"

static const oid dp_objects_oid[] = { DP_MIB_ROOT, DP_ARC_OBJECTS };
#define DP_OBJECTS_LEN	(DP_MIB_ROOT_LEN + 1)

/* Bits c for columns first..last. */
#define COLS(first, last) \
	((((uint64_t)1 << ((last) + 1)) - 1) & ~(((uint64_t)1 << (first)) - 1))

/* In OID order: a GETNEXT goes through them in this order. */
enum part_id {
	P_SCALARS, P_SERVERS, P_PACKAGES, P_ROWS, P_DIST, P_COUNT
};

struct part {
	unsigned	 arc;		/* under dpObjects */
	unsigned	 entry;		/* 1 for tables (the Entry), else 0 */
	struct dp_shape	 shape;
};

static const struct part parts[P_COUNT] = {
	[P_SCALARS] = { DP_PART_SCALARS, 0, {
	    1, DP_SC_LAST, COLS(1, DP_SC_LAST), 1, 0, 0 } },
	[P_SERVERS] = { DP_PART_SERVERS, 1, {
	    DP_SRV_NAL_PATH, DP_SRV_LAST, COLS(DP_SRV_NAL_PATH, DP_SRV_LAST),
	    1, 1, UINT32_MAX } },
	[P_PACKAGES] = { DP_PART_PACKAGES, 1, {
	    DP_PKG_PACKAGE_ID, DP_PKG_LAST,
	    COLS(DP_PKG_PACKAGE_ID, DP_PKG_LAST), 1, 1, UINT32_MAX } },
	/* From the column table: every column but the
	 * accessible-for-notify ones. */
	[P_ROWS] = { DP_PART_ROWS, 1, {
	    DP_COL_BITS_ENABLED, DP_COL_LAST, DP_COL_READABLE, 2, 1,
	    UINT32_MAX } },
	[P_DIST] = { DP_PART_DIST, 1, {
	    DP_DIST_COL_PACKAGE_ID, DP_DIST_COL_LAST, DP_DIST_COL_READABLE,
	    2, 1, UINT32_MAX } },
};

/*
 * dpTable rows read ahead for GETNEXT.  A walk asks for the row after the
 * one it just got, one AgentX round trip each; reading DP_AHEAD rows in
 * one statement execution and serving the next ones from here costs a
 * fraction of a seek per row.  A walk goes column by column, so there is
 * one window per column, and it holds the key and that column's value
 * only, encoded as the answer: decoding whole rows to serve one column
 * was half of snmpd's instructions in an in-master walk (callgrind), and
 * a window of whole rows per column took 2.3 MB.  A request of several
 * columns (snmptable, a GETBULK of a row) reads whole rows into a window
 * of its own, one read for all its columns; a column's read goes through
 * that window too and leaves it empty.  The rows are the next ones after
 * `from` as the model held them at most DP_AHEAD_TTL_MS ago (an import is
 * served within that); every SET drops them.
 */
#define DP_AHEAD	32
#define DP_AHEAD_TTL_MS	100

struct window {
	bool		valid;
	int64_t		from[DP_INDEX_MAX];
	int64_t		read_ms;
	int		n;
	uint32_t	key[DP_AHEAD][DP_INDEX_MAX];	/* of each row read */
};

/* Whole rows. */
struct rows_ahead {
	struct window	w;
	struct dp_row	rows[DP_AHEAD];
};

/* One column's values, as dp_value_row() encoded them. */
struct value_slot {
	int		rc;		/* dp_value_row()'s */
	u_char		type;
	size_t		len;
	size_t		off;		/* in col_ahead.values */
};

struct col_ahead {
	struct window	 w;
	struct value_slot slot[DP_AHEAD];
	uint8_t		*values;
	size_t		 cap;
};

/*
 * dpDistTable rows read ahead, whole: its rows are a third of dpTable's
 * and a walk of its nine columns reads each window nine times, which
 * costs less than a window per column would keep.
 */
struct dist_ahead {
	struct window		w;
	struct dp_dist_row	rows[DP_AHEAD];
};

/*
 * What one lookup found.  Within one handler call the model cannot change
 * (we are its only user on this thread and we do not write), so the last
 * lookup is reused: a request for all columns of a row (snmptable, a
 * multi-varbind GETNEXT) costs one seek instead of one per column.
 */
struct found {
	bool		valid;
	enum part_id	part;
	bool		exact;
	unsigned	window;			/* P_ROWS, !exact: its column */
	int64_t		key[DP_INDEX_MAX];	/* what was asked */
	int		rc;			/* 1 found, 0 none, -1 error */
	int64_t		idx[DP_INDEX_MAX];	/* what was found */
	const struct dp_row *row;		/* P_ROWS: u.row, read ahead */
	const struct dp_dist_row *dist;		/* P_DIST: u.dist, or ahead */
	const struct value_slot *slot;		/* ... or this column value */
	const uint8_t	*values;		/* (of slot) */
	union {
		struct dp_scalars	sc;
		struct dp_server	srv;
		struct dp_package	pkg;
		struct dp_row		row;	/* of a GET */
		struct dp_dist_row	dist;	/* of a GET */
	} u;
};

#define WHOLE_ROWS	0	/* found.window of rows_ahead */

struct dp_agent {
	struct dp_store			*st;
	struct dp_setter		*set;
	struct rows_ahead		 rows;
	struct col_ahead		 cols[DP_COL_LAST + 1];	/* by column */
	struct dist_ahead		*dist;	/* allocated on first use */
	bool				 whole_rows;	/* this request's */
	netsnmp_handler_registration	*reg;
	struct found			 last;
	int64_t				 now_ms;
};

static int
key_cmp(const int64_t a[DP_INDEX_MAX], int64_t s, int64_t p)
{
	if (a[0] != s)
		return a[0] < s ? -1 : 1;
	return a[1] < p ? -1 : a[1] > p;
}

/*
 * Where window w has the first row strictly after key: 1 and *at, 0 when
 * the table ends before it, -1 when w does not tell (read again).
 */
static int
window_find(const struct dp_agent *ag, const struct window *w,
    const int64_t key[DP_INDEX_MAX], int *at)
{
	if (!w->valid || ag->now_ms - w->read_ms >= DP_AHEAD_TTL_MS ||
	    key_cmp(key, w->from[0], w->from[1]) < 0)
		return -1;
	for (int i = 0; i < w->n; i++) {
		if (key_cmp(key, w->key[i][0], w->key[i][1]) < 0) {
			*at = i;
			return 1;
		}
	}
	return w->n < DP_AHEAD ? 0 : -1;
}

/* Reads the rows after key into the whole-row window, with field f only
 * unless f is DP_FIELD_ALL.  The number read, or -1. */
static int
read_rows(struct dp_agent *ag, enum dp_field f,
    const int64_t key[DP_INDEX_MAX])
{
	struct window *w = &ag->rows.w;

	w->valid = false;
	w->n = dp_store_rows_next(ag->st, f, key[0], key[1], ag->rows.rows,
	    DP_AHEAD);
	if (w->n < 0)
		return -1;
	for (int i = 0; i < w->n; i++) {
		w->key[i][0] = ag->rows.rows[i].server_idx;
		w->key[i][1] = ag->rows.rows[i].package_idx;
	}
	w->from[0] = key[0];
	w->from[1] = key[1];
	w->read_ms = ag->now_ms;
	w->valid = f == DP_FIELD_ALL;
	return w->n;
}

/* The first row strictly after key, whole: 1 found, 0 none, -1 error. */
static int
row_after(struct dp_agent *ag, const int64_t key[DP_INDEX_MAX],
    const struct dp_row **out)
{
	int at = 0, rc;

	if ((rc = window_find(ag, &ag->rows.w, key, &at)) < 0) {
		if ((rc = read_rows(ag, DP_FIELD_ALL, key)) <= 0)
			return rc;
		rc = 1;
		at = 0;
	}
	if (rc == 1)
		*out = &ag->rows.rows[at];
	return rc;
}

/* Copies the values of column col of the rows just read into its window.
 * -1 when out of memory. */
static int
keep_column(struct dp_agent *ag, unsigned col)
{
	struct col_ahead *c = &ag->cols[col];
	const struct window *rw = &ag->rows.w;
	size_t used = 0;

	for (int i = 0; i < rw->n; i++) {
		struct value_slot *sl = &c->slot[i];
		struct dp_value v;

		memset(&v, 0, sizeof(v));
		c->w.key[i][0] = rw->key[i][0];
		c->w.key[i][1] = rw->key[i][1];
		if ((sl->rc = dp_value_row(&ag->rows.rows[i], col, &v)) != 0)
			continue;
		/* Aligned for the INTEGER and Gauge32 values, read as longs. */
		used = (used + sizeof(long) - 1) & ~(sizeof(long) - 1);
		if (used + v.len > c->cap) {
			size_t cap = c->cap > 0 ? c->cap : 256;
			uint8_t *p;

			while (cap < used + v.len)
				cap *= 2;
			if ((p = realloc(c->values, cap)) == NULL)
				return -1;
			c->values = p;
			c->cap = cap;
		}
		if (v.len > 0)
			memcpy(c->values + used, v.ptr, v.len);
		sl->type = v.type;
		sl->len = v.len;
		sl->off = used;
		used += v.len;
	}
	c->w.n = rw->n;
	c->w.from[0] = rw->from[0];
	c->w.from[1] = rw->from[1];
	c->w.read_ms = rw->read_ms;
	c->w.valid = true;
	return 0;
}

/* The value of column col in the first row strictly after key: 1 found,
 * 0 none, -1 error (-2 out of memory). */
static int
value_after(struct dp_agent *ag, unsigned col,
    const int64_t key[DP_INDEX_MAX], struct found *f)
{
	struct col_ahead *c = &ag->cols[col];
	int at = 0, rc;

	if ((rc = window_find(ag, &c->w, key, &at)) < 0) {
		c->w.valid = false;
		if ((rc = read_rows(ag, dp_value_row_field(col), key)) < 0)
			return -1;
		if (keep_column(ag, col) != 0)
			return -2;
		rc = rc > 0;
		at = 0;
	}
	if (rc == 1) {
		f->slot = &c->slot[at];
		f->values = c->values;
		f->idx[0] = c->w.key[at][0];
		f->idx[1] = c->w.key[at][1];
	}
	return rc;
}

/* The first dpDistTable row strictly after key: 1 found, 0 none, -1 error
 * (-2 out of memory). */
static int
dist_after(struct dp_agent *ag, const int64_t key[DP_INDEX_MAX],
    const struct dp_dist_row **out)
{
	struct window *w;
	int at = 0, rc;

	if (ag->dist == NULL &&
	    (ag->dist = calloc(1, sizeof(*ag->dist))) == NULL)
		return -2;
	w = &ag->dist->w;
	if ((rc = window_find(ag, w, key, &at)) < 0) {
		w->valid = false;
		w->n = dp_store_dists_next(ag->st, key[0], key[1],
		    ag->dist->rows, DP_AHEAD);
		if (w->n < 0)
			return -1;
		for (int i = 0; i < w->n; i++) {
			w->key[i][0] = ag->dist->rows[i].server_idx;
			w->key[i][1] = ag->dist->rows[i].package_idx;
		}
		w->from[0] = key[0];
		w->from[1] = key[1];
		w->read_ms = ag->now_ms;
		w->valid = true;
		rc = w->n > 0;
		at = 0;
	}
	if (rc == 1)
		*out = &ag->dist->rows[at];
	return rc;
}

static void
drop_ahead(struct dp_agent *ag)
{
	if (ag->dist != NULL)
		ag->dist->w.valid = false;
	ag->rows.w.valid = false;
	for (int i = 0; i <= DP_COL_LAST; i++)
		ag->cols[i].w.valid = false;
}

/* The instance of part at key (exact) or after it, for column col. */
static int
fetch(struct dp_agent *ag, enum part_id part, bool exact, unsigned col,
    const int64_t key[DP_INDEX_MAX])
{
	struct found *f = &ag->last;
	unsigned window = WHOLE_ROWS;
	int rc = -1;

	if (part == P_ROWS && !exact && !ag->whole_rows)
		window = col;
	if (f->valid && f->part == part && f->exact == exact &&
	    f->window == window && f->key[0] == key[0] &&
	    f->key[1] == key[1])
		return f->rc;
	f->valid = false;
	if (ag->st == NULL)
		return -1;
	switch (part) {
	case P_SCALARS:
		/* One instance, index 0. */
		if (exact ? key[0] != 0 : key[0] >= 0)
			rc = 0;
		else
			rc = dp_store_scalars(ag->st, &f->u.sc) == 0 ? 1 : -1;
		f->idx[0] = 0;
		break;
	case P_SERVERS:
		rc = exact ? dp_store_server_get(ag->st, (uint32_t)key[0],
		    &f->u.srv) : dp_store_server_next(ag->st, key[0],
		    &f->u.srv);
		f->idx[0] = f->u.srv.idx;
		break;
	case P_PACKAGES:
		rc = exact ? dp_store_package_get(ag->st, (uint32_t)key[0],
		    &f->u.pkg) : dp_store_package_next(ag->st, key[0],
		    &f->u.pkg);
		f->idx[0] = f->u.pkg.idx;
		break;
	case P_ROWS:
		f->row = &f->u.row;
		f->slot = NULL;
		if (window != WHOLE_ROWS) {
			rc = value_after(ag, col, key, f);
			break;
		}
		rc = exact ? dp_store_row_get(ag->st, (uint32_t)key[0],
		    (uint32_t)key[1], &f->u.row) :
		    row_after(ag, key, &f->row);
		f->idx[0] = f->row->server_idx;
		f->idx[1] = f->row->package_idx;
		break;
	case P_DIST:
		f->dist = &f->u.dist;
		rc = exact ? dp_store_dist_get(ag->st, (uint32_t)key[0],
		    (uint32_t)key[1], &f->u.dist) : dist_after(ag, key,
		    &f->dist);
		if (rc == 1) {
			f->idx[0] = f->dist->server_idx;
			f->idx[1] = f->dist->package_idx;
		}
		break;
	case P_COUNT:
		break;
	}
	if (rc < 0) {
		dp_err("reading the model: %s", rc == -2 ? "out of memory" :
		    dp_store_errmsg(ag->st));
		return -1;
	}
	f->valid = true;
	f->part = part;
	f->exact = exact;
	f->window = window;
	f->key[0] = key[0];
	f->key[1] = key[1];
	f->rc = rc;
	return rc;
}

static int
encode(struct dp_agent *ag, enum part_id part, unsigned col,
    struct dp_value *v)
{
	const struct found *f = &ag->last;

	switch (part) {
	case P_SCALARS:
		return dp_value_scalar(&f->u.sc, ag->now_ms, col, v);
	case P_SERVERS:
		return dp_value_server(&f->u.srv, col, v);
	case P_PACKAGES:
		return dp_value_package(&f->u.pkg, col, v);
	case P_ROWS:
		if (f->slot == NULL)
			return dp_value_row(f->row, col, v);
		if (f->slot->rc != 0)
			return f->slot->rc;
		v->type = f->slot->type;
		v->ptr = f->values + f->slot->off;
		v->len = f->slot->len;
		return 0;
	case P_DIST:
		return dp_value_dist(f->dist, col, v);
	case P_COUNT:
		break;
	}
	return -1;
}

/* The OID before a part's columns: dpObjects.arc[.1]. */
static size_t
part_prefix(const struct part *p, oid out[DP_PREFIX_MAX])
{
	return dp_index_prefix(out, DP_ARC_OBJECTS, p->arc, p->entry);
}

static int
find_part(oid arc)
{
	for (int i = 0; i < P_COUNT; i++)
		if (parts[i].arc == arc)
			return i;
	return -1;
}

static void
answer_get(struct dp_agent *ag, netsnmp_agent_request_info *reqinfo,
    netsnmp_request_info *r)
{
	const netsnmp_variable_list *vb = r->requestvb;
	const struct part *p;
	struct dp_value v;
	oid prefix[MAX_OID_LEN];
	size_t plen;
	int64_t key[DP_INDEX_MAX] = { 0, 0 };
	unsigned col;
	int pi, rc;

	if (vb->name_length <= DP_OBJECTS_LEN ||
	    (pi = find_part(vb->name[DP_OBJECTS_LEN])) < 0)
		goto no_object;
	p = &parts[pi];
	plen = part_prefix(p, prefix);
	if (vb->name_length < plen ||
	    dp_oid_cmp(vb->name, plen, prefix, plen) != 0)
		goto no_object;
	switch (dp_index_get(&p->shape, vb->name + plen, vb->name_length - plen,
	    &col, key)) {
	case DP_GET_NO_OBJECT:
		goto no_object;
	case DP_GET_NO_INSTANCE:
		goto no_instance;
	case DP_GET_OK:
		break;
	}
	rc = fetch(ag, (enum part_id)pi, true, col, key);
	if (rc < 0) {
		netsnmp_set_request_error(reqinfo, r, SNMP_ERR_GENERR);
		return;
	}
	if (rc == 0 || encode(ag, (enum part_id)pi, col, &v) != 0)
		goto no_instance;
	snmp_set_var_typed_value(r->requestvb, v.type, v.ptr, v.len);
	return;
no_object:
	netsnmp_set_request_error(reqinfo, r, SNMP_NOSUCHOBJECT);
	return;
no_instance:
	netsnmp_set_request_error(reqinfo, r, SNMP_NOSUCHINSTANCE);
}

/*
 * GETNEXT (GETBULK arrives as GETNEXTs).  An OID past every part is left
 * unanswered: the agent then asks the next registration.
 */
static void
answer_next(struct dp_agent *ag, netsnmp_agent_request_info *reqinfo,
    netsnmp_request_info *r)
{
	netsnmp_variable_list *vb = r->requestvb;
	const oid *suffix = NULL;
	size_t slen = 0;
	int first = 0, cmp;

	cmp = dp_oid_cmp(vb->name, vb->name_length < DP_OBJECTS_LEN ?
	    vb->name_length : DP_OBJECTS_LEN, dp_objects_oid, DP_OBJECTS_LEN);
	if (cmp > 0)
		return;
	if (cmp == 0 && vb->name_length > DP_OBJECTS_LEN) {
		oid arc = vb->name[DP_OBJECTS_LEN];

		for (first = 0; first < P_COUNT && parts[first].arc < arc;
		    first++)
			;
		if (first < P_COUNT && parts[first].arc == arc) {
			oid prefix[MAX_OID_LEN];
			size_t plen = part_prefix(&parts[first], prefix);
			int c = dp_oid_cmp(vb->name, vb->name_length < plen ?
			    vb->name_length : plen, prefix, plen);

			if (c > 0)
				first++;	/* past this table's entry */
			else if (c == 0 && vb->name_length > plen) {
				suffix = vb->name + plen;
				slen = vb->name_length - plen;
			}
		}
	}

	for (int pi = first; pi < P_COUNT; pi++) {
		const struct part *p = &parts[pi];
		int64_t after[DP_INDEX_MAX];
		unsigned col;

		if (!dp_index_next(&p->shape, suffix, slen, r->inclusive, &col,
		    after)) {
			suffix = NULL;
			slen = 0;
			continue;
		}
		while (col != 0) {
			oid name[MAX_OID_LEN], prefix[MAX_OID_LEN];
			struct dp_value v;
			size_t plen, nlen;
			int rc = fetch(ag, (enum part_id)pi, false, col,
			    after);

			if (rc < 0) {
				netsnmp_set_request_error(reqinfo, r,
				    SNMP_ERR_GENERR);
				return;
			}
			if (rc == 1 &&
			    encode(ag, (enum part_id)pi, col, &v) == 0) {
				plen = part_prefix(p, prefix);
				nlen = dp_index_oid(name, MAX_OID_LEN, prefix,
				    plen, col, ag->last.idx, p->shape.nindex);
				snmp_set_var_objid(vb, name, nlen);
				snmp_set_var_typed_value(vb, v.type, v.ptr,
				    v.len);
				return;
			}
			col = dp_index_next_col(&p->shape, col);
			after[0] = after[1] = -1;
		}
		suffix = NULL;
		slen = 0;
	}
}

void
dp_agent_handle(struct dp_agent *ag, netsnmp_agent_request_info *reqinfo,
    netsnmp_request_info *requests)
{
	netsnmp_request_info *r;
	int n = 0;

	ag->last.valid = false;
	ag->now_ms = dp_now_ms();
	if (reqinfo->mode != MODE_GET && reqinfo->mode != MODE_GETNEXT) {
		/* A SET phase: all its varbinds together (one transaction). */
		drop_ahead(ag);
		dp_set_handle(ag->set, ag->st, reqinfo, requests);
		return;
	}
	for (r = requests; r != NULL && n < 2; r = r->next)
		n += !r->processed;
	ag->whole_rows = n > 1;
	for (r = requests; r != NULL; r = r->next) {
		if (r->processed)
			continue;
		if (reqinfo->mode == MODE_GET)
			answer_get(ag, reqinfo, r);
		else
			answer_next(ag, reqinfo, r);
	}
	ag->last.valid = false;
}

static int
dp_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reg,
    netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	(void)reg;
	dp_agent_handle(handler->myvoid, reqinfo, requests);
	return SNMP_ERR_NOERROR;
}

struct dp_agent *
dp_agent_new(struct dp_store *st)
{
	struct dp_agent *ag = calloc(1, sizeof(*ag));

	if (ag == NULL)
		return NULL;
	if ((ag->set = dp_set_new()) == NULL) {
		free(ag);
		return NULL;
	}
	ag->st = st;
	return ag;
}

struct dp_agent *
dp_agent_register(struct dp_store *st)
{
	struct dp_agent *ag;

	if ((ag = dp_agent_new(st)) == NULL)
		return NULL;
	ag->reg = netsnmp_create_handler_registration("dpObjects", dp_handler,
	    dp_objects_oid, DP_OBJECTS_LEN, HANDLER_CAN_RWRITE);
	if (ag->reg == NULL)
		goto fail;
	ag->reg->handler->myvoid = ag;
	if (netsnmp_register_handler(ag->reg) != MIB_REGISTERED_OK) {
		/* netsnmp_register_handler frees the registration. */
		ag->reg = NULL;
		goto fail;
	}
	return ag;
fail:
	dp_err("cannot register DISTRIBUTION-POINT-MIB's dpObjects");
	dp_agent_free(ag);
	return NULL;
}

int
dp_agent_unfinished_sets(const struct dp_agent *ag)
{
	return dp_set_pending(ag->set);
}

void
dp_agent_expire_sets(struct dp_agent *ag, int64_t now_ms)
{
	dp_set_expire(ag->set, now_ms);
}

void
dp_agent_set_store(struct dp_agent *ag, struct dp_store *st)
{
	ag->st = st;
	ag->last.valid = false;
	drop_ahead(ag);
}

void
dp_agent_unregister(struct dp_agent *ag)
{
	if (ag == NULL)
		return;
	if (ag->reg != NULL)
		netsnmp_unregister_handler(ag->reg);
	dp_agent_free(ag);
}

void
dp_agent_free(struct dp_agent *ag)
{
	if (ag == NULL)
		return;
	dp_set_free(ag->set);
	for (int i = 0; i <= DP_COL_LAST; i++)
		free(ag->cols[i].values);
	free(ag->dist);
	free(ag);
}
