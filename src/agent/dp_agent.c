/*
 * dp_agent: GET and GETNEXT over dpObjects.  See dp_agent.h.
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

enum part_id { P_SCALARS, P_SERVERS, P_PACKAGES, P_ROWS, P_COUNT };

struct part {
	unsigned	 arc;		/* under dpObjects */
	unsigned	 entry;		/* 1 for tables (the Entry), 0 for none */
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
	/* The accessible-for-notify columns are not readable. */
	[P_ROWS] = { DP_PART_ROWS, 1, {
	    DP_COL_BITS_ENABLED, DP_COL_LAST,
	    COLS(DP_COL_BITS_ENABLED, DP_COL_STATUS) |
	    COLS(DP_COL_REFRESH_PENDING, DP_COL_ISV_STRING_PENDING), 2, 1,
	    UINT32_MAX } },
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
	enum dp_field	field;			/* P_ROWS, !exact: read ahead */
	int64_t		key[DP_INDEX_MAX];	/* what was asked */
	int		rc;			/* 1 found, 0 none, -1 error */
	int64_t		idx[DP_INDEX_MAX];	/* what was found */
	const struct dp_row *row;		/* P_ROWS: u.row or read ahead */
	union {
		struct dp_scalars	sc;
		struct dp_server	srv;
		struct dp_package	pkg;
		struct dp_row		row;	/* of a GET */
	} u;
};

/*
 * dpTable rows read ahead for GETNEXT.  A walk asks for the row after the
 * one it just got, one AgentX round trip each; reading DP_AHEAD rows in
 * one statement execution and serving the next ones from here costs a
 * fraction of a seek per row.  A walk goes column by column, so there is
 * one window per column, and it holds the key and that column's value
 * only: decoding whole rows to serve one column was half of snmpd's
 * instructions in an in-master walk (callgrind).  A request of several
 * columns (snmptable, a GETBULK of a row) reads whole rows into a window
 * of its own, one read for all its columns.  The rows are the next
 * ones after `from` as the model held them at most DP_AHEAD_TTL_MS ago
 * (an import is served within that); every SET drops them.
 */
#define DP_AHEAD	32
#define DP_AHEAD_TTL_MS	100

struct ahead {
	bool		valid;
	int64_t		from[DP_INDEX_MAX];
	int64_t		read_ms;
	int		n;
	struct dp_row	rows[DP_AHEAD];
};

struct dp_agent {
	struct dp_store			*st;
	struct dp_setter		*set;
	/* [0] whole rows, for requests of several columns; [1 + f] field f */
	struct ahead			 ahead[1 + DP_FIELD_COUNT];
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

/* The first row strictly after key with field f, from the rows read
 * ahead when they cover it, else from a new read.  1 found, 0 none, -1
 * error. */
static int
row_after(struct dp_agent *ag, enum dp_field f,
    const int64_t key[DP_INDEX_MAX], const struct dp_row **out)
{
	struct ahead *a = &ag->ahead[1 + f];

	if (a->valid && ag->now_ms - a->read_ms < DP_AHEAD_TTL_MS &&
	    key_cmp(key, a->from[0], a->from[1]) >= 0) {
		for (int i = 0; i < a->n; i++) {
			if (key_cmp(key, a->rows[i].server_idx,
			    a->rows[i].package_idx) < 0) {
				*out = &a->rows[i];
				return 1;
			}
		}
		if (a->n < DP_AHEAD)
			return 0;	/* the table ended there */
	}
	a->valid = false;
	a->n = dp_store_rows_next(ag->st, f, key[0], key[1], a->rows,
	    DP_AHEAD);
	if (a->n < 0)
		return -1;
	a->valid = true;
	a->from[0] = key[0];
	a->from[1] = key[1];
	a->read_ms = ag->now_ms;
	if (a->n == 0)
		return 0;
	*out = &a->rows[0];
	return 1;
}

static void
drop_ahead(struct dp_agent *ag)
{
	for (int i = 0; i < 1 + DP_FIELD_COUNT; i++)
		ag->ahead[i].valid = false;
}

/* The instance of part at key (exact) or after it, for column col. */
static int
fetch(struct dp_agent *ag, enum part_id part, bool exact, unsigned col,
    const int64_t key[DP_INDEX_MAX])
{
	struct found *f = &ag->last;
	enum dp_field field = DP_FIELD_ALL;
	int rc = -1;

	if (part == P_ROWS && !exact && !ag->whole_rows)
		field = dp_value_row_field(col);
	if (f->valid && f->part == part && f->exact == exact &&
	    f->field == field && f->key[0] == key[0] && f->key[1] == key[1])
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
		rc = exact ? dp_store_row_get(ag->st, (uint32_t)key[0],
		    (uint32_t)key[1], &f->u.row) :
		    row_after(ag, field, key, &f->row);
		f->idx[0] = f->row->server_idx;
		f->idx[1] = f->row->package_idx;
		break;
	default:
		break;
	}
	if (rc < 0) {
		dp_err("reading the model: %s", ag->st != NULL ?
		    dp_store_errmsg(ag->st) : "no database");
		return -1;
	}
	f->valid = true;
	f->part = part;
	f->exact = exact;
	f->field = field;
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
		return dp_value_row(f->row, col, v);
	default:
		return -1;
	}
}

/* The OID before a part's columns: dpObjects.arc[.1]. */
static size_t
part_prefix(const struct part *p, oid *out)
{
	memcpy(out, dp_objects_oid, sizeof(dp_objects_oid));
	out[DP_OBJECTS_LEN] = p->arc;
	if (p->entry == 0)
		return DP_OBJECTS_LEN + 1;
	out[DP_OBJECTS_LEN + 1] = p->entry;
	return DP_OBJECTS_LEN + 2;
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
	free(ag);
}
