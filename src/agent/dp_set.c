/*
 * dp_set: the SET phases of dpRefreshNow and dpISVString.  See dp_set.h.
 */
#include "agent/dp_set.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "agent/dp_index.h"
#include "agent/dp_oids.h"
#include "convert/dp_convert.h"
#include "util/dp_log.h"

#define DP_SET_SLOTS	16

/* TruthValue. */
#define TV_TRUE		1
#define TV_FALSE	2

enum item_kind {
	I_ISV_STRING,
	I_REFRESH,		/* dpRefreshNow := true(1) */
	I_WITHDRAW		/* dpRefreshNow := false(2) */
};

struct item {
	enum item_kind	kind;
	uint32_t	sidx;
	uint32_t	pidx;
	char		value[DP_MAX_ISV_STRING + 1];	/* new ISVString */
	char		old[DP_MAX_ISV_STRING + 1];	/* undo copy */
	int64_t		outbox_id;
	int		withdrawn;
	bool		done;
};

struct txn {
	bool		 used;
	long		 transid;
	int64_t		 created_ms;
	int64_t		 request_id;
	int64_t		 when_ms;
	bool		 applied;
	char		 origin[256];
	size_t		 n;
	struct item	*items;
};

struct dp_setter {
	struct txn	slots[DP_SET_SLOTS];
};

struct dp_setter *
dp_set_new(void)
{
	return calloc(1, sizeof(struct dp_setter));
}

static void
txn_release(struct txn *t)
{
	free(t->items);
	memset(t, 0, sizeof(*t));
}

void
dp_set_free(struct dp_setter *set)
{
	if (set == NULL)
		return;
	for (int i = 0; i < DP_SET_SLOTS; i++)
		txn_release(&set->slots[i]);
	free(set);
}

int
dp_set_pending(const struct dp_setter *set)
{
	int n = 0;

	for (int i = 0; i < DP_SET_SLOTS; i++)
		n += set->slots[i].used;
	return n;
}

/* Forgets SETs the master never finished: they hold no lock and no
 * transaction, only this memory. */
void
dp_set_expire(struct dp_setter *set, int64_t now)
{
	for (int i = 0; i < DP_SET_SLOTS; i++) {
		struct txn *t = &set->slots[i];

		if (t->used && now - t->created_ms > DP_SET_EXPIRE_MS) {
			dp_warn("SET transaction %ld never finished: its state "
			    "expired after %d s", t->transid,
			    DP_SET_EXPIRE_MS / 1000);
			txn_release(t);
		}
	}
}

static struct txn *
txn_find(struct dp_setter *set, long transid)
{
	for (int i = 0; i < DP_SET_SLOTS; i++)
		if (set->slots[i].used && set->slots[i].transid == transid)
			return &set->slots[i];
	return NULL;
}

static struct txn *
txn_new(struct dp_setter *set, long transid, int64_t now)
{
	struct txn *t = txn_find(set, transid), *oldest = NULL;

	if (t != NULL)
		txn_release(t);
	for (int i = 0; i < DP_SET_SLOTS && t == NULL; i++) {
		if (!set->slots[i].used)
			t = &set->slots[i];
		else if (oldest == NULL ||
		    set->slots[i].created_ms < oldest->created_ms)
			oldest = &set->slots[i];
	}
	if (t == NULL) {
		dp_warn("more than %d unfinished SETs: forgetting transaction "
		    "%ld", DP_SET_SLOTS, oldest->transid);
		txn_release(oldest);
		t = oldest;
	}
	t->used = true;
	t->transid = transid;
	t->created_ms = now;
	return t;
}

static long
request_transid(const netsnmp_agent_request_info *reqinfo)
{
	if (reqinfo->asp == NULL || reqinfo->asp->pdu == NULL)
		return 0;
	return reqinfo->asp->pdu->transid;
}

/*
 * What identifies the request in the outbox.  A subagent sees neither the
 * manager's address, its community or security name, nor its request-id:
 * AgentX does not carry them.  It records the AgentX transaction ID (the
 * master logs it with -Dagentx).  Inside the master (the dlmod mode) the
 * manager's request-id, security name and address are known and kept.
 */
static void
request_origin(const netsnmp_agent_request_info *reqinfo, struct txn *t)
{
	const netsnmp_pdu *pdu;
	netsnmp_transport *tr;
	char *addr = NULL;
	char name[128];

	t->origin[0] = '\0';
	t->request_id = -1;
	if (reqinfo->asp == NULL || (pdu = reqinfo->asp->pdu) == NULL)
		return;
	if (netsnmp_ds_get_boolean(NETSNMP_DS_APPLICATION_ID,
	    NETSNMP_DS_AGENT_ROLE)) {
		t->request_id = pdu->transid;
		return;
	}
	t->request_id = pdu->reqid;
	if (pdu->securityNameLen > 0 && pdu->securityName != NULL)
		snprintf(name, sizeof(name), "%.*s", (int)pdu->securityNameLen,
		    pdu->securityName);
	else if (pdu->community_len > 0 && pdu->community != NULL)
		snprintf(name, sizeof(name), "%.*s", (int)pdu->community_len,
		    (const char *)pdu->community);
	else
		name[0] = '\0';
	tr = reqinfo->asp->session != NULL ?
	    snmp_sess_transport(snmp_sess_pointer(reqinfo->asp->session)) :
	    NULL;
	if (tr != NULL && tr->f_fmtaddr != NULL)
		addr = tr->f_fmtaddr(tr, pdu->transport_data,
		    pdu->transport_data_length);
	snprintf(t->origin, sizeof(t->origin), "%s@%s", name,
	    addr != NULL ? addr : "?");
	free(addr);
}

/*
 * Which writable instance a varbind names: 0 and the column and index, or
 * the SNMP error for a name that can never be written (notWritable) or
 * whose row can never exist (noCreation).
 */
static int
parse_target(const netsnmp_variable_list *vb, unsigned *col, uint32_t *sidx,
    uint32_t *pidx)
{
	oid entry[DP_PREFIX_MAX];
	size_t elen = dp_index_prefix(entry, DP_ARC_OBJECTS, DP_PART_ROWS, 1);
	const oid *sfx;

	if (vb->name_length <= elen ||
	    dp_oid_cmp(vb->name, elen, entry, elen) != 0)
		return SNMP_ERR_NOTWRITABLE;
	sfx = vb->name + elen;
	if (sfx[0] != DP_COL_ISV_STRING && sfx[0] != DP_COL_REFRESH_NOW)
		return SNMP_ERR_NOTWRITABLE;
	/* column.server.package */
	if (vb->name_length != elen + 1 + DP_INDEX_MAX || sfx[1] < 1 ||
	    sfx[1] > 0xffffffffUL || sfx[2] < 1 || sfx[2] > 0xffffffffUL)
		return SNMP_ERR_NOCREATION;
	*col = (unsigned)sfx[0];
	*sidx = (uint32_t)sfx[1];
	*pidx = (uint32_t)sfx[2];
	return SNMP_ERR_NOERROR;
}

/* RESERVE1: everything that can be checked without the database. */
static int
check_value(const netsnmp_variable_list *vb, unsigned col)
{
	if (col == DP_COL_REFRESH_NOW) {
		if (vb->type != ASN_INTEGER)
			return SNMP_ERR_WRONGTYPE;
		if (vb->val_len != sizeof(long))
			return SNMP_ERR_WRONGLENGTH;
		if (*vb->val.integer != TV_TRUE && *vb->val.integer != TV_FALSE)
			return SNMP_ERR_WRONGVALUE;
		return SNMP_ERR_NOERROR;
	}
	if (vb->type != ASN_OCTET_STR)
		return SNMP_ERR_WRONGTYPE;
	if (vb->val_len > DP_MAX_ISV_STRING)
		return SNMP_ERR_WRONGLENGTH;
	/* UTF-8 without NUL, as an import requires. */
	if (!dp_utf8_valid(vb->val.string, vb->val_len))
		return SNMP_ERR_WRONGVALUE;
	return SNMP_ERR_NOERROR;
}

int
dp_set_check(const netsnmp_variable_list *vb)
{
	unsigned col;
	uint32_t sidx, pidx;
	int err;

	err = parse_target(vb, &col, &sidx, &pidx);
	if (err == SNMP_ERR_NOERROR)
		err = check_value(vb, col);
	return err;
}

static void
reserve1(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	for (netsnmp_request_info *r = requests; r != NULL; r = r->next) {
		int err;

		if (r->processed)
			continue;
		err = dp_set_check(r->requestvb);
		if (err != SNMP_ERR_NOERROR) {
			netsnmp_set_request_error(reqinfo, r, err);
			return;
		}
	}
}

/* RESERVE2: the rows exist and may be written; the undo copies. */
static void
reserve2(struct dp_setter *set, struct dp_store *st,
    netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	struct dp_row *row = NULL;
	struct txn *t;
	enum dp_store_file f;
	char buf[96];
	size_t n = 0;
	int64_t now = dp_now_ms();
	netsnmp_request_info *r;

	for (r = requests; r != NULL; r = r->next)
		n += !r->processed;
	t = txn_new(set, request_transid(reqinfo), now);
	if ((t->items = calloc(n > 0 ? n : 1, sizeof(*t->items))) == NULL ||
	    (row = malloc(sizeof(*row))) == NULL) {
		netsnmp_set_request_error(reqinfo, requests,
		    SNMP_ERR_RESOURCEUNAVAILABLE);
		goto fail;
	}
	request_origin(reqinfo, t);
	/* A write into a file the path no longer names is lost: refuse it
	 * before anything is written (dp_service reopens the new file). */
	if (st != NULL && (f = dp_store_file_check(st)) != DP_STORE_FILE_SAME) {
		dp_err("SET refused: %s: the database file %s since it was "
		    "opened", dp_store_path(st), dp_store_file_text(st, f, buf,
		    sizeof(buf)));
		netsnmp_set_request_error(reqinfo, requests,
		    SNMP_ERR_RESOURCEUNAVAILABLE);
		goto fail;
	}
	for (r = requests; r != NULL; r = r->next) {
		const netsnmp_variable_list *vb = r->requestvb;
		struct item *it;
		unsigned col;
		int rc;

		if (r->processed)
			continue;
		it = &t->items[t->n];
		if (parse_target(vb, &col, &it->sidx, &it->pidx) != 0) {
			netsnmp_set_request_error(reqinfo, r,
			    SNMP_ERR_NOTWRITABLE);
			goto fail;
		}
		rc = st != NULL ?
		    dp_store_row_get(st, it->sidx, it->pidx, row) :
		    -1;
		if (rc < 0) {
			dp_err("SET: reading row %" PRIu32 ".%" PRIu32 ": %s",
			    it->sidx, it->pidx, st != NULL ?
			    dp_store_errmsg(st) : "no database");
			netsnmp_set_request_error(reqinfo, r,
			    SNMP_ERR_RESOURCEUNAVAILABLE);
			goto fail;
		}
		if (rc == 0) {
			netsnmp_set_request_error(reqinfo, r,
			    SNMP_ERR_NOCREATION);
			goto fail;
		}
		/* ConfigMgr is removing the content: nothing to refresh or
		 * annotate any more (documented in the MIB). */
		if (row->status == DP_STATUS_DELETED) {
			netsnmp_set_request_error(reqinfo, r,
			    SNMP_ERR_INCONSISTENTVALUE);
			goto fail;
		}
		if (col == DP_COL_ISV_STRING) {
			it->kind = I_ISV_STRING;
			memcpy(it->value, vb->val.string, vb->val_len);
			it->value[vb->val_len] = '\0';
			snprintf(it->old, sizeof(it->old), "%s",
			    row->isv_string);
		} else
			it->kind = *vb->val.integer == TV_TRUE ? I_REFRESH :
			    I_WITHDRAW;
		t->n++;
	}
	free(row);
	return;
fail:
	free(row);
	txn_release(t);
}

static void
log_write(const struct txn *t, const struct item *it)
{
	switch (it->kind) {
	case I_ISV_STRING:
		dp_info("SET dpISVString.%" PRIu32 ".%" PRIu32 " queued for "
		    "ConfigMgr as write %" PRId64, it->sidx, it->pidx,
		    it->outbox_id);
		break;
	case I_REFRESH:
		dp_info("SET dpRefreshNow.%" PRIu32 ".%" PRIu32 " = true: "
		    "refresh queued for ConfigMgr as write %" PRId64,
		    it->sidx, it->pidx, it->outbox_id);
		break;
	case I_WITHDRAW:
		dp_info("SET dpRefreshNow.%" PRIu32 ".%" PRIu32 " = false: %d "
		    "pending refresh request(s) withdrawn (request %" PRId64
		    ")", it->sidx, it->pidx, it->withdrawn, t->request_id);
		break;
	}
}

/* ACTION: every write of the PDU in one transaction, or none. */
static void
action(struct dp_setter *set, struct dp_store *st,
    netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	struct txn *t = txn_find(set, request_transid(reqinfo));
	netsnmp_request_info *r = requests;
	size_t i;
	int rc = -1;

	if (t == NULL || st == NULL) {
		dp_err("SET: COMMIT of transaction %ld without its TEST (it "
		    "expired?)", request_transid(reqinfo));
		netsnmp_set_request_error(reqinfo, requests,
		    SNMP_ERR_COMMITFAILED);
		return;
	}
	if ((rc = dp_store_write_begin(st)) != 0) {
		dp_err("SET: %s", dp_store_errmsg(st));
		netsnmp_set_request_error(reqinfo, requests,
		    SNMP_ERR_COMMITFAILED);
		return;
	}
	t->when_ms = dp_now_ms();
	for (i = 0; i < t->n; i++) {
		struct item *it = &t->items[i];

		switch (it->kind) {
		case I_ISV_STRING:
			rc = dp_store_set_isv_string(st, it->sidx, it->pidx,
			    it->value, t->request_id, t->origin,
			    &it->outbox_id);
			break;
		case I_REFRESH:
			rc = dp_store_request_refresh(st, it->sidx, it->pidx,
			    t->request_id, t->origin, &it->outbox_id);
			break;
		case I_WITHDRAW:
			rc = dp_store_withdraw_refresh(st, it->sidx, it->pidx,
			    t->request_id, t->when_ms, &it->withdrawn);
			break;
		}
		if (rc != 1)
			break;
	}
	if (i == t->n && dp_store_write_end(st, true) == 0) {
		t->applied = true;
		for (i = 0; i < t->n; i++)
			log_write(t, &t->items[i]);
		return;
	}
	if (rc == 0)
		dp_warn("SET: row %" PRIu32 ".%" PRIu32 " was removed before "
		    "the write", t->items[i].sidx, t->items[i].pidx);
	else
		dp_err("SET: %s", dp_store_errmsg(st));
	dp_store_write_end(st, false);
	/* Point at the varbind that failed, when we know it. */
	for (size_t k = 0; r != NULL && k < i; r = r->next)
		k += !r->processed;
	netsnmp_set_request_error(reqinfo, r != NULL ? r : requests,
	    SNMP_ERR_COMMITFAILED);
}

/* UNDO: another subagent's or varbind's ACTION failed after ours. */
static void
undo(struct dp_setter *set, struct dp_store *st,
    netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	struct txn *t = txn_find(set, request_transid(reqinfo));
	int rc = 0;

	if (t == NULL || !t->applied) {
		if (t != NULL)
			txn_release(t);
		return;		/* our ACTION wrote nothing */
	}
	if (st == NULL || dp_store_write_begin(st) != 0)
		rc = -1;
	for (size_t i = t->n; rc == 0 && i-- > 0;) {
		struct item *it = &t->items[i];

		switch (it->kind) {
		case I_ISV_STRING:
			rc = dp_store_undo_isv_string(st, it->sidx, it->pidx,
			    it->old, it->outbox_id);
			break;
		case I_REFRESH:
			rc = dp_store_undo_refresh(st, it->outbox_id);
			break;
		case I_WITHDRAW:
			rc = dp_store_undo_withdraw(st, it->sidx, it->pidx,
			    t->request_id, t->when_ms);
			break;
		}
	}
	if (rc == 0 && dp_store_write_end(st, true) == 0)
		dp_notice("SET transaction %ld undone: %zu write(s) withdrawn",
		    t->transid, t->n);
	else {
		dp_err("SET: undoing transaction %ld failed: %s", t->transid,
		    st != NULL ? dp_store_errmsg(st) : "no database");
		if (st != NULL)
			dp_store_write_end(st, false);
		netsnmp_set_request_error(reqinfo, requests,
		    SNMP_ERR_UNDOFAILED);
	}
	txn_release(t);
}

void
dp_set_handle(struct dp_setter *set, struct dp_store *st,
    netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	struct txn *t;

	dp_set_expire(set, dp_now_ms());
	switch (reqinfo->mode) {
	case MODE_SET_RESERVE1:
		reserve1(reqinfo, requests);
		break;
	case MODE_SET_RESERVE2:
		reserve2(set, st, reqinfo, requests);
		break;
	case MODE_SET_ACTION:
		action(set, st, reqinfo, requests);
		break;
	case MODE_SET_UNDO:
		undo(set, st, reqinfo, requests);
		break;
	case MODE_SET_COMMIT:
	case MODE_SET_FREE:
		/* The writes are durable since ACTION: only memory is left. */
		if ((t = txn_find(set, request_transid(reqinfo))) != NULL)
			txn_release(t);
		break;
	default:
		break;
	}
}
