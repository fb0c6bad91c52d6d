/*
 * SET validation and phase logic without a master: dp_agent_handle() is
 * called phase by phase as the AgentX subagent code calls it (each phase
 * a new request list, the transaction ID the only link), over a real
 * model.  Exact SNMP errors, atomicity, UNDO, expiry.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "agent/dp_agent.h"
#include "agent/dp_oids.h"
#include "model/dp_store.h"
#include "fixture.h"

static struct dp_store *st;
static struct dp_agent *ag;
static long next_transid = 100;

#define NVB 4

struct pdu_run {
	netsnmp_pdu			pdu;
	netsnmp_agent_session		asp;
	netsnmp_agent_request_info	ri;
	netsnmp_request_info		req[NVB];
	netsnmp_variable_list		*vb[NVB];
	int				n;
};

static void
add_row(int server, int package, int status)
{
	static char nal[8][64], pkg[8][16];

	snprintf(nal[server], sizeof(nal[server]), "\\\\DP%d.example\\",
	    server);
	snprintf(pkg[package], sizeof(pkg[package]), "PS10000%d", package);
	fixture_import_row(st, nal[server], pkg[package], status, "before");
}

static void
setup(void)
{
	st = fixture_store_open("check_set", 200);
	ck_assert_int_eq(dp_store_import_begin(st, false), 0);
	add_row(1, 1, 1);
	add_row(1, 2, 2);
	add_row(2, 1, 3);	/* deleted(3): writes are inconsistent */
	ck_assert_int_eq(dp_store_import_end(st, true, NULL), 0);
	ag = dp_agent_new(st);
	ck_assert_ptr_nonnull(ag);
	/* Subagent role: the request ID recorded is the transaction's. */
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID,
	    NETSNMP_DS_AGENT_ROLE, 1);
}

static void
teardown(void)
{
	dp_agent_free(ag);
	fixture_store_close(st);
}

static void
run_init(struct pdu_run *run, long transid)
{
	memset(run, 0, sizeof(*run));
	run->pdu.transid = transid;
	run->pdu.reqid = 4242;
	run->asp.pdu = &run->pdu;
	run->ri.asp = &run->asp;
}

/* A varbind on dpEntry.col.s.p (or any suffix under dpObjects). */
static void
run_add(struct pdu_run *run, const oid *suffix, size_t slen, u_char type,
    const void *val, size_t len)
{
	static const oid objects[] = { DP_MIB_ROOT, 1 };
	oid name[MAX_OID_LEN];
	netsnmp_variable_list *vb = calloc(1, sizeof(*vb));

	ck_assert_ptr_nonnull(vb);
	memcpy(name, objects, sizeof(objects));
	memcpy(name + DP_MIB_ROOT_LEN + 1, suffix, slen * sizeof(oid));
	snmp_set_var_objid(vb, name, DP_MIB_ROOT_LEN + 1 + slen);
	snmp_set_var_typed_value(vb, type, val, len);
	run->vb[run->n] = vb;
	run->req[run->n].requestvb = vb;
	if (run->n > 0)
		run->req[run->n - 1].next = &run->req[run->n];
	run->n++;
}

static void
add_isv(struct pdu_run *run, oid s, oid p, const char *v)
{
	const oid sfx[] = { 4, 1, DP_COL_ISV_STRING, s, p };

	run_add(run, sfx, 5, ASN_OCTET_STR, v, strlen(v));
}

static void
add_refresh(struct pdu_run *run, oid s, oid p, long v)
{
	const oid sfx[] = { 4, 1, DP_COL_REFRESH_NOW, s, p };

	run_add(run, sfx, 5, ASN_INTEGER, &v, sizeof(v));
}

/* Runs one phase on a fresh copy of the request list (as AgentX does);
 * returns the first error status, or 0. */
static int
phase(struct pdu_run *run, int mode)
{
	struct pdu_run copy;
	int err = 0;

	memcpy(&copy, run, sizeof(copy));
	copy.asp.pdu = &copy.pdu;
	copy.ri.asp = &copy.asp;
	copy.ri.mode = mode;
	for (int i = 0; i < copy.n; i++) {
		copy.req[i].status = 0;
		copy.req[i].processed = 0;
		copy.req[i].next = i + 1 < copy.n ? &copy.req[i + 1] : NULL;
	}
	dp_agent_handle(ag, &copy.ri, &copy.req[0]);
	for (int i = 0; i < copy.n && err == 0; i++)
		err = copy.req[i].status;
	return err;
}

/* TestSet: RESERVE1 then, when it passed, RESERVE2. */
static int
test_set(struct pdu_run *run)
{
	int err = phase(run, MODE_SET_RESERVE1);

	return err != 0 ? err : phase(run, MODE_SET_RESERVE2);
}

static void
run_free(struct pdu_run *run)
{
	for (int i = 0; i < run->n; i++)
		snmp_free_var(run->vb[i]);
}

static const char *
isv_of(uint32_t s, uint32_t p)
{
	static struct dp_row row;

	ck_assert_int_eq(dp_store_row_get(st, s, p, &row), 1);
	return row.isv_string;
}

static uint32_t
pending(void)
{
	struct dp_scalars sc;

	ck_assert_int_eq(dp_store_scalars(st, &sc), 0);
	return sc.pending_writes;
}

static void
expect_reserve_error(struct pdu_run *run, int want)
{
	ck_assert_int_eq(test_set(run), want);
	phase(run, MODE_SET_FREE);
	run_free(run);
	ck_assert_str_eq(isv_of(1, 1), "before");
	ck_assert_uint_eq(pending(), 0);
}

START_TEST(test_errors)
{
	struct pdu_run run;
	const oid status[] = { 4, 1, DP_COL_STATUS, 1, 1 };
	const oid scalar[] = { 1, 3, 0 };
	const oid short_idx[] = { 4, 1, DP_COL_ISV_STRING, 1 };
	const oid zero_idx[] = { 4, 1, DP_COL_ISV_STRING, 0, 1 };
	const oid big_idx[] = { 4, 1, DP_COL_ISV_STRING, 1, 4294967296UL };
	const oid notify[] = { 4, 1, DP_COL_STATUS_EVENT_SEQ, 1, 1 };
	char long_value[DP_MAX_ISV_STRING + 2];
	long one = 1;

	run_init(&run, next_transid++);
	run_add(&run, status, 5, ASN_INTEGER, &one, sizeof(one));
	expect_reserve_error(&run, SNMP_ERR_NOTWRITABLE);
	run_init(&run, next_transid++);
	run_add(&run, scalar, 3, ASN_GAUGE, &one, sizeof(one));
	expect_reserve_error(&run, SNMP_ERR_NOTWRITABLE);
	run_init(&run, next_transid++);
	run_add(&run, notify, 5, ASN_UNSIGNED, &one, sizeof(one));
	expect_reserve_error(&run, SNMP_ERR_NOTWRITABLE);
	run_init(&run, next_transid++);
	run_add(&run, short_idx, 4, ASN_OCTET_STR, "x", 1);
	expect_reserve_error(&run, SNMP_ERR_NOCREATION);
	run_init(&run, next_transid++);
	run_add(&run, zero_idx, 5, ASN_OCTET_STR, "x", 1);
	expect_reserve_error(&run, SNMP_ERR_NOCREATION);
	run_init(&run, next_transid++);
	run_add(&run, big_idx, 5, ASN_OCTET_STR, "x", 1);
	expect_reserve_error(&run, SNMP_ERR_NOCREATION);
	run_init(&run, next_transid++);
	add_isv(&run, 1, 9, "x");			/* no such row */
	expect_reserve_error(&run, SNMP_ERR_NOCREATION);
	run_init(&run, next_transid++);
	add_refresh(&run, 1, 1, 3);
	expect_reserve_error(&run, SNMP_ERR_WRONGVALUE);
	run_init(&run, next_transid++);
	add_refresh(&run, 1, 1, 0);
	expect_reserve_error(&run, SNMP_ERR_WRONGVALUE);
	run_init(&run, next_transid++);
	{
		const oid sfx[] = { 4, 1, DP_COL_REFRESH_NOW, 1, 1 };

		run_add(&run, sfx, 5, ASN_OCTET_STR, "1", 1);
	}
	expect_reserve_error(&run, SNMP_ERR_WRONGTYPE);
	run_init(&run, next_transid++);
	{
		const oid sfx[] = { 4, 1, DP_COL_ISV_STRING, 1, 1 };

		run_add(&run, sfx, 5, ASN_INTEGER, &one, sizeof(one));
	}
	expect_reserve_error(&run, SNMP_ERR_WRONGTYPE);
	memset(long_value, 'a', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	run_init(&run, next_transid++);
	add_isv(&run, 1, 1, long_value);		/* 513 octets */
	expect_reserve_error(&run, SNMP_ERR_WRONGLENGTH);
	long_value[DP_MAX_ISV_STRING] = '\0';		/* 512: fine */
	run_init(&run, next_transid++);
	add_isv(&run, 1, 1, long_value);
	ck_assert_int_eq(test_set(&run), 0);
	phase(&run, MODE_SET_FREE);
	run_free(&run);
	run_init(&run, next_transid++);
	add_isv(&run, 1, 1, "bad \xc3\x28 utf-8");
	expect_reserve_error(&run, SNMP_ERR_WRONGVALUE);
	run_init(&run, next_transid++);
	{
		const oid sfx[] = { 4, 1, DP_COL_ISV_STRING, 1, 1 };

		run_add(&run, sfx, 5, ASN_OCTET_STR, "a\0b", 3);
	}
	expect_reserve_error(&run, SNMP_ERR_WRONGVALUE);
	run_init(&run, next_transid++);
	add_isv(&run, 2, 1, "x");			/* deleted(3) */
	expect_reserve_error(&run, SNMP_ERR_INCONSISTENTVALUE);
	run_init(&run, next_transid++);
	add_refresh(&run, 2, 1, 1);
	expect_reserve_error(&run, SNMP_ERR_INCONSISTENTVALUE);
	ck_assert_int_eq(dp_agent_unfinished_sets(ag), 0);
}
END_TEST

START_TEST(test_commit_and_outbox)
{
	struct pdu_run run;
	struct dp_outbox o;
	struct dp_row row;

	run_init(&run, 7);
	add_isv(&run, 1, 1, "owner=acme");
	add_refresh(&run, 1, 2, 1);
	ck_assert_int_eq(test_set(&run), 0);
	/* TestSet wrote nothing. */
	ck_assert_str_eq(isv_of(1, 1), "before");
	ck_assert_int_eq(phase(&run, MODE_SET_ACTION), 0);
	ck_assert_int_eq(phase(&run, MODE_SET_COMMIT), 0);
	ck_assert_int_eq(dp_agent_unfinished_sets(ag), 0);
	run_free(&run);
	ck_assert_str_eq(isv_of(1, 1), "owner=acme");
	ck_assert_uint_eq(pending(), 2);
	ck_assert_int_eq(dp_store_row_get(st, 1, 1, &row), 1);
	ck_assert(row.isv_string_pending);
	ck_assert(!row.refresh_pending);
	ck_assert_int_eq(dp_store_row_get(st, 1, 2, &row), 1);
	ck_assert(row.refresh_pending);

	ck_assert_int_eq(dp_store_outbox_next(st, 0, &o), 1);
	ck_assert_int_eq(o.id, 1);
	ck_assert_str_eq(o.property, "ISVString");
	ck_assert_str_eq(o.old_value, "before");
	ck_assert_str_eq(o.new_value, "owner=acme");
	ck_assert_str_eq(o.package_id, "PS100001");
	ck_assert_str_eq(o.site_code, "PS1");
	ck_assert_int_eq(o.request_id, 7);
	ck_assert_str_eq(o.origin, "");
	ck_assert_int_eq(dp_store_outbox_next(st, 1, &o), 1);
	ck_assert_str_eq(o.property, "RefreshNow");
	ck_assert_str_eq(o.old_value, "false");
	ck_assert_str_eq(o.new_value, "true");
	ck_assert_int_eq(dp_store_outbox_next(st, 2, &o), 0);

	/* false(2) withdraws the unacknowledged refresh. */
	run_init(&run, 8);
	add_refresh(&run, 1, 2, 2);
	ck_assert_int_eq(test_set(&run), 0);
	ck_assert_int_eq(phase(&run, MODE_SET_ACTION), 0);
	ck_assert_int_eq(phase(&run, MODE_SET_COMMIT), 0);
	run_free(&run);
	ck_assert_uint_eq(pending(), 1);
	ck_assert_int_eq(dp_store_row_get(st, 1, 2, &row), 1);
	ck_assert(!row.refresh_pending);
	/* ... and again: a no-op. */
	run_init(&run, 9);
	add_refresh(&run, 1, 2, 2);
	ck_assert_int_eq(test_set(&run), 0);
	ck_assert_int_eq(phase(&run, MODE_SET_ACTION), 0);
	ck_assert_int_eq(phase(&run, MODE_SET_COMMIT), 0);
	run_free(&run);
	ck_assert_uint_eq(pending(), 1);
}
END_TEST

/* The path no longer names the file open (issue 18): TestSet refuses
 * with resourceUnavailable; a file gone after it fails the ACTION with
 * commitFailed; neither writes anything. */
START_TEST(test_file_gone)
{
	char moved[160];
	struct pdu_run run;

	snprintf(moved, sizeof(moved), "%s/moved.db", fixture_dir);
	ck_assert_int_eq(rename(fixture_db_path, moved), 0);
	run_init(&run, 21);
	add_isv(&run, 1, 1, "lost");
	expect_reserve_error(&run, SNMP_ERR_RESOURCEUNAVAILABLE);
	ck_assert_int_eq(dp_agent_unfinished_sets(ag), 0);
	ck_assert_int_eq(rename(moved, fixture_db_path), 0);

	run_init(&run, 22);
	add_isv(&run, 1, 1, "lost");
	ck_assert_int_eq(test_set(&run), 0);
	ck_assert_int_eq(rename(fixture_db_path, moved), 0);
	ck_assert_int_eq(phase(&run, MODE_SET_ACTION), SNMP_ERR_COMMITFAILED);
	phase(&run, MODE_SET_UNDO);
	phase(&run, MODE_SET_FREE);
	run_free(&run);
	ck_assert_int_eq(rename(moved, fixture_db_path), 0);
	ck_assert_str_eq(isv_of(1, 1), "before");
	ck_assert_uint_eq(pending(), 0);
	ck_assert_int_eq(dp_agent_unfinished_sets(ag), 0);
}
END_TEST

START_TEST(test_atomic)
{
	struct pdu_run run;

	/* One bad varbind: nothing of the PDU is written. */
	run_init(&run, 11);
	add_isv(&run, 1, 1, "first");
	add_refresh(&run, 1, 2, 1);
	add_refresh(&run, 1, 2, 5);
	ck_assert_int_eq(test_set(&run), SNMP_ERR_WRONGVALUE);
	ck_assert_int_eq(phase(&run, MODE_SET_FREE), 0);
	run_free(&run);
	ck_assert_str_eq(isv_of(1, 1), "before");
	ck_assert_uint_eq(pending(), 0);

	/* A row removed between TestSet and CommitSet: commitFailed, and the
	 * other varbind's write is rolled back with it. */
	run_init(&run, 12);
	add_isv(&run, 1, 1, "first");
	add_isv(&run, 1, 2, "second");
	ck_assert_int_eq(test_set(&run), 0);
	{
		sqlite3 *db;

		ck_assert_int_eq(sqlite3_open(fixture_db_path, &db), SQLITE_OK);
		ck_assert_int_eq(sqlite3_exec(db, "DELETE FROM dp WHERE "
		    "server_idx = 1 AND package_idx = 2", NULL, NULL, NULL),
		    SQLITE_OK);
		sqlite3_close(db);
	}
	ck_assert_int_eq(phase(&run, MODE_SET_ACTION), SNMP_ERR_COMMITFAILED);
	phase(&run, MODE_SET_FREE);
	run_free(&run);
	ck_assert_str_eq(isv_of(1, 1), "before");
	ck_assert_uint_eq(pending(), 0);
}
END_TEST

START_TEST(test_undo)
{
	struct pdu_run run;
	struct dp_row row;

	/* A refresh pending beforehand, to be withdrawn then restored. */
	run_init(&run, 20);
	add_refresh(&run, 1, 1, 1);
	ck_assert_int_eq(test_set(&run), 0);
	ck_assert_int_eq(phase(&run, MODE_SET_ACTION), 0);
	ck_assert_int_eq(phase(&run, MODE_SET_COMMIT), 0);
	run_free(&run);
	ck_assert_uint_eq(pending(), 1);

	run_init(&run, 21);
	add_isv(&run, 1, 1, "undone");
	add_isv(&run, 1, 1, "twice");
	add_refresh(&run, 1, 2, 1);
	add_refresh(&run, 1, 1, 2);
	ck_assert_int_eq(test_set(&run), 0);
	ck_assert_int_eq(phase(&run, MODE_SET_ACTION), 0);
	ck_assert_str_eq(isv_of(1, 1), "twice");
	ck_assert_uint_eq(pending(), 3);	/* 1 + 2 ISV + 1 - 1 */
	/* Another varbind of the PDU failed elsewhere: the master undoes. */
	ck_assert_int_eq(phase(&run, MODE_SET_UNDO), 0);
	run_free(&run);
	ck_assert_str_eq(isv_of(1, 1), "before");
	ck_assert_uint_eq(pending(), 1);
	ck_assert_int_eq(dp_store_row_get(st, 1, 1, &row), 1);
	ck_assert(row.refresh_pending);
	ck_assert(!row.isv_string_pending);
	ck_assert_int_eq(dp_store_row_get(st, 1, 2, &row), 1);
	ck_assert(!row.refresh_pending);
	ck_assert_int_eq(dp_agent_unfinished_sets(ag), 0);
}
END_TEST

START_TEST(test_busy_and_orphans)
{
	struct pdu_run run;
	sqlite3 *db;

	/* Another writer holds the database: ACTION fails cleanly, within
	 * the busy timeout, instead of hanging. */
	run_init(&run, 30);
	add_isv(&run, 1, 1, "busy");
	ck_assert_int_eq(test_set(&run), 0);
	ck_assert_int_eq(sqlite3_open(fixture_db_path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(phase(&run, MODE_SET_ACTION), SNMP_ERR_COMMITFAILED);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	phase(&run, MODE_SET_FREE);
	run_free(&run);
	ck_assert_str_eq(isv_of(1, 1), "before");

	/* A CommitSet whose TestSet never came (or expired). */
	run_init(&run, 31);
	add_isv(&run, 1, 1, "orphan");
	ck_assert_int_eq(phase(&run, MODE_SET_ACTION), SNMP_ERR_COMMITFAILED);
	run_free(&run);
	ck_assert_str_eq(isv_of(1, 1), "before");

	/* A TestSet the master never finishes is kept, then forgotten. */
	run_init(&run, 32);
	add_isv(&run, 1, 1, "left");
	ck_assert_int_eq(test_set(&run), 0);
	run_free(&run);
	ck_assert_int_eq(dp_agent_unfinished_sets(ag), 1);
	dp_agent_expire_sets(ag, dp_now_ms() + 29000);
	ck_assert_int_eq(dp_agent_unfinished_sets(ag), 1);
	dp_agent_expire_sets(ag, dp_now_ms() + 31000);
	ck_assert_int_eq(dp_agent_unfinished_sets(ag), 0);
	ck_assert_str_eq(isv_of(1, 1), "before");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("set");
	TCase *tc = tcase_create("phases");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_commit_and_outbox);
	tcase_add_test(tc, test_file_gone);
	tcase_add_test(tc, test_atomic);
	tcase_add_test(tc, test_undo);
	tcase_add_test(tc, test_busy_and_orphans);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
