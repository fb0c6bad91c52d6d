/*
 * The status-event queue (dp_events) and the notifications built from it
 * (dp_notify's varbinds), without a master: the next undelivered batch in
 * seq order, delivery and summary marking (bounded, never waiting for
 * another writer), counting by new Status, and the exact varbinds of
 * dpStatusChange and dpStatusSummary.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "agent/dp_notify.h"
#include "agent/dp_oids.h"
#include "model/dp_events.h"
#include "model/dp_store.h"
#include "fixture.h"

static struct dp_store *st;
static struct dp_events *ev;
static sqlite3 *raw;

/* An event as the triggers write it: seq n, row (1, n), n % 5 new. */
static void
add_event(int64_t seq, int status, int prev)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "INSERT INTO status_event (seq, "
	    "server_idx, package_idx, package_id, server_nal_path, site_code, "
	    "status, prev_status, at_ms) VALUES (%" PRId64 ", 1, %" PRId64
	    ", 'PS1%05" PRId64 "', '\\\\DP01\\', 'PS1', %d, %d, %" PRId64 ")",
	    seq, seq % 100000, seq % 100000, status, prev,
	    (int64_t)1795510499704 + seq);
	raw_exec(raw, sql);
}

static void
setup(void)
{
	st = fixture_store_open("check_events", 1000);
	ev = dp_events_open(st, 1000);
	ck_assert_msg(ev != NULL, "%s", dp_store_errmsg(st));
	raw = raw_open();
}

static void
teardown(void)
{
	sqlite3_close(raw);
	dp_events_close(ev);
	fixture_store_close(st);
}

START_TEST(test_schema_has_summary_seq)
{
	ck_assert_int_eq(dp_store_schema_version(st), DP_SCHEMA_VERSION);
	ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM pragma_table_info("
	    "'status_event') WHERE name = 'summary_seq'"), 1);
}
END_TEST

START_TEST(test_next_in_order)
{
	struct dp_event e[8];
	int64_t last;
	int n;

	ck_assert_int_eq(dp_events_last_seq(ev, &last), 0);
	ck_assert_int_eq(last, 0);
	ck_assert_int_eq(dp_events_next(ev, 0, e, 8, &n), 0);
	ck_assert_int_eq(n, 0);

	/* Inserted out of order, with a gap and a delivered one. */
	add_event(5, 1, 0);
	add_event(2, 3, 2);
	add_event(9, 7, 3);
	add_event(3, 0, 1);
	add_event(4, 2, 0);
	raw_exec(raw, "UPDATE status_event SET delivered_ms = 1 WHERE seq = 4");

	ck_assert_int_eq(dp_events_last_seq(ev, &last), 0);
	ck_assert_int_eq(last, 9);
	ck_assert_int_eq(dp_events_next(ev, 0, e, 8, &n), 0);
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(e[0].seq, 2);
	ck_assert_int_eq(e[1].seq, 3);
	ck_assert_int_eq(e[2].seq, 5);
	ck_assert_int_eq(e[3].seq, 9);
	ck_assert_int_eq(e[0].status, 3);
	ck_assert_int_eq(e[0].prev_status, 2);
	ck_assert_int_eq(e[3].status, 7);
	ck_assert_uint_eq(e[1].server_idx, 1);
	ck_assert_uint_eq(e[1].package_idx, 3);
	ck_assert_str_eq(e[1].package_id, "PS100003");
	ck_assert_str_eq(e[1].server_nal_path, "\\\\DP01\\");
	ck_assert_str_eq(e[1].site_code, "PS1");
	ck_assert_int_eq(e[1].at_ms, 1795510499707);

	/* Bounded, and from a cursor. */
	ck_assert_int_eq(dp_events_next(ev, 0, e, 2, &n), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(e[1].seq, 3);
	ck_assert_int_eq(dp_events_next(ev, 3, e, 8, &n), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(e[0].seq, 5);
	ck_assert_int_eq(dp_events_next(ev, 9, e, 8, &n), 0);
	ck_assert_int_eq(n, 0);
}
END_TEST

START_TEST(test_events_from_triggers)
{
	struct dp_record r;
	struct dp_event e[4];
	int n;

	memset(&r, 0, sizeof(r));
	r.package_id = "PS100042";
	r.server_nal_path = "[\"Display=\\\\DP01.example\\\"]MSWNET:\\\\DP01\\";
	r.site_code = "PS1";
	r.status = 2;
	r.present = 1u << DP_P_PACKAGE_ID | 1u << DP_P_SERVER_NAL_PATH |
	    1u << DP_P_SITE_CODE | 1u << DP_P_STATUS;
	ck_assert_int_eq(dp_store_import_begin(st, false), 0);
	ck_assert_int_eq(dp_store_import_record(st, &r), 0);
	ck_assert_int_eq(dp_store_import_end(st, true, NULL), 0);
	raw_exec(raw, "UPDATE dp SET status = 1");
	raw_exec(raw, "DELETE FROM dp");	/* a removal: to deleted(3) */

	ck_assert_int_eq(dp_events_next(ev, 0, e, 4, &n), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(e[0].status, 1);
	ck_assert_int_eq(e[0].prev_status, 2);
	ck_assert_int_eq(e[1].status, 3);
	ck_assert_int_eq(e[1].prev_status, 1);
	ck_assert_str_eq(e[1].package_id, "PS100042");
	ck_assert_str_eq(e[1].server_nal_path, r.server_nal_path);
	ck_assert_int_gt(e[1].seq, e[0].seq);
}
END_TEST

START_TEST(test_mark_delivered)
{
	struct dp_event e[8];
	int64_t reached;
	int n;

	for (int i = 1; i <= 10; i++)
		add_event(i, i % 4, 0);
	raw_exec(raw, "UPDATE status_event SET delivered_ms = 5 WHERE seq = 3");

	/* (0, 6], at most 2 rows per call: 1 2 | 4 5 | 6. */
	ck_assert_int_eq(dp_events_mark(ev, 0, 6, 0, 1000, 2, &reached), 0);
	ck_assert_int_eq(reached, 2);
	ck_assert_int_eq(dp_events_mark(ev, reached, 6, 0, 1001, 2, &reached),
	    0);
	ck_assert_int_eq(reached, 5);
	ck_assert_int_eq(dp_events_mark(ev, reached, 6, 0, 1002, 2, &reached),
	    0);
	ck_assert_int_eq(reached, 6);	/* fewer than 2 left: exhausted */
	ck_assert_int_eq(dp_events_mark(ev, reached, 6, 0, 1003, 2, &reached),
	    0);
	ck_assert_int_eq(reached, 6);

	ck_assert_int_eq(raw_int(raw, "SELECT delivered_ms FROM status_event "
	    "WHERE seq = 1"), 1000);
	ck_assert_int_eq(raw_int(raw, "SELECT delivered_ms FROM status_event "
	    "WHERE seq = 3"), 5);	/* already delivered: kept */
	ck_assert_int_eq(raw_int(raw, "SELECT delivered_ms FROM status_event "
	    "WHERE seq = 5"), 1001);
	ck_assert_int_eq(raw_int(raw, "SELECT delivered_ms FROM status_event "
	    "WHERE seq = 6"), 1002);
	ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM status_event WHERE "
	    "delivered_ms IS NULL"), 4);
	ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM status_event WHERE "
	    "summary_seq IS NOT NULL"), 0);

	ck_assert_int_eq(dp_events_next(ev, 0, e, 8, &n), 0);
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(e[0].seq, 7);
}
END_TEST

START_TEST(test_summary_count_and_mark)
{
	struct dp_event_summary sum;
	int64_t reached, after;
	int steps;

	/* 1..100: status i % 6 (4 and 5 are "other"); 50 delivered. */
	for (int i = 1; i <= 100; i++)
		add_event(i, i % 6, 0);
	raw_exec(raw,
	    "UPDATE status_event SET delivered_ms = 1 WHERE seq = 50");

	memset(&sum, 0, sizeof(sum));
	after = 0;
	steps = 0;
	do {
		ck_assert_int_eq(dp_events_count(ev, after, 90, 16, &sum,
		    &reached), 0);
		ck_assert_int_gt(reached, after);
		after = reached;
		steps++;
	} while (reached < 90);
	ck_assert_int_eq(steps, 6);	/* 89 rows, 16 per step */
	ck_assert_int_eq(sum.count, 89);
	ck_assert_int_eq(sum.first_seq, 1);
	ck_assert_int_eq(sum.last_seq, 90);
	/* i % 6 over 1..90 without 50 (50 % 6 = 2). */
	ck_assert_int_eq(sum.by_status[DP_B_NONE], 15);
	ck_assert_int_eq(sum.by_status[DP_B_UPDATED], 15);
	ck_assert_int_eq(sum.by_status[DP_B_ADDED], 14);
	ck_assert_int_eq(sum.by_status[DP_B_DELETED], 15);
	ck_assert_int_eq(sum.by_status[DP_B_OTHER], 30);

	/* Recorded as counted in the summary whose last event is 90. */
	after = 0;
	do {
		ck_assert_int_eq(dp_events_mark(ev, after, 90, 90, 2000, 16,
		    &reached), 0);
		after = reached;
	} while (reached < 90);
	ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM status_event WHERE "
	    "summary_seq = 90 AND delivered_ms = 2000"), 89);
	ck_assert_int_eq(raw_int(raw, "SELECT summary_seq IS NULL FROM "
	    "status_event WHERE seq = 50"), 1);
	ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM status_event WHERE "
	    "delivered_ms IS NULL"), 10);

	/* Nothing left to count in the range. */
	memset(&sum, 0, sizeof(sum));
	ck_assert_int_eq(dp_events_count(ev, 0, 90, 16, &sum, &reached), 0);
	ck_assert_int_eq(reached, 90);
	ck_assert_int_eq(sum.count, 0);
	ck_assert_int_eq(sum.first_seq, 0);
}
END_TEST

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(test_mark_never_waits)
{
	sqlite3 *other;
	int64_t reached;
	double t0;

	add_event(1, 1, 0);
	add_event(2, 2, 0);
	ck_assert_int_eq(sqlite3_open(fixture_db_path, &other), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);

	/* The store's busy timeout is 1000 ms; the mark does not wait. */
	t0 = mono();
	ck_assert_int_eq(dp_events_mark(ev, 0, 2, 0, 3000, 100, &reached),
	    DP_STORE_BUSY);
	ck_assert_double_lt(mono() - t0, 0.2);
	ck_assert_int_eq(reached, 0);
	ck_assert_ptr_nonnull(strstr(dp_store_errmsg(st), "1..2"));
	ck_assert_ptr_nonnull(strstr(dp_store_errmsg(st), "busy"));

	ck_assert_int_eq(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(other);
	ck_assert_int_eq(dp_events_mark(ev, 0, 2, 0, 3000, 100, &reached), 0);
	ck_assert_int_eq(reached, 2);
	ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM status_event WHERE "
	    "delivered_ms = 3000"), 2);
}
END_TEST

/* ---- varbinds ----------------------------------------------------------- */

static const oid trap_oid[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };

static void
assert_name(const netsnmp_variable_list *v, const oid *want, size_t len)
{
	char got[256], exp[256];

	snprint_objid(got, sizeof(got), v->name, v->name_length);
	snprint_objid(exp, sizeof(exp), want, len);
	ck_assert_msg(snmp_oid_compare(v->name, v->name_length, want, len) ==
	    0, "OID %s, expected %s", got, exp);
}

static const netsnmp_variable_list *
assert_trap_oid(const netsnmp_variable_list *v, oid notification)
{
	const oid want[] = { DP_MIB_ROOT, 0, notification };

	ck_assert_ptr_nonnull(v);
	assert_name(v, trap_oid, OID_LENGTH(trap_oid));
	ck_assert_int_eq(v->type, ASN_OBJECT_ID);
	ck_assert_int_eq(snmp_oid_compare(v->val.objid,
	    v->val_len / sizeof(oid), want, OID_LENGTH(want)), 0);
	return v->next_variable;
}

static const netsnmp_variable_list *
assert_int(const netsnmp_variable_list *v, const oid *name, size_t len,
    u_char type, long value)
{
	ck_assert_ptr_nonnull(v);
	assert_name(v, name, len);
	ck_assert_int_eq(v->type, type);
	ck_assert_int_eq(*v->val.integer, value);
	return v->next_variable;
}

static const netsnmp_variable_list *
assert_octets(const netsnmp_variable_list *v, const oid *name, size_t len,
    const void *value, size_t n)
{
	ck_assert_ptr_nonnull(v);
	assert_name(v, name, len);
	ck_assert_int_eq(v->type, ASN_OCTET_STR);
	ck_assert_uint_eq(v->val_len, n);
	ck_assert_int_eq(memcmp(v->val.string, value, n), 0);
	return v->next_variable;
}

START_TEST(test_change_varbinds)
{
	struct dp_event e;
	netsnmp_variable_list *vars;
	const netsnmp_variable_list *v;
	oid name[] = { DP_MIB_ROOT, 1, 4, 1, 0, 4294967295u, 7 };
	const size_t col = DP_MIB_ROOT_LEN + 3;
	/* 2026-11-24 08:54:59.5 UTC, with its +0:0 offset. */
	const uint8_t when[] = { 0x07, 0xea, 11, 24, 8, 54, 59, 5, '+', 0, 0 };
	const char *nal = "[\"Display=\\\\DP01.example\\\"]MSWNET:"
	    "[\"SMS_SITE=PS1\"]\\\\DP01.example\\ $(x) ;'\"";

	memset(&e, 0, sizeof(e));
	e.seq = ((int64_t)1 << 32) + 5;	/* served modulo 2^32 */
	e.server_idx = 4294967295u;
	e.package_idx = 7;
	e.status = 7;			/* outside the enumeration */
	e.prev_status = 3;
	e.at_ms = 1795510499500;
	snprintf(e.package_id, sizeof(e.package_id), "PS100007");
	snprintf(e.server_nal_path, sizeof(e.server_nal_path), "%s", nal);
	snprintf(e.site_code, sizeof(e.site_code), "PS1");

	vars = dp_notify_change_varbinds(&e);
	ck_assert_ptr_nonnull(vars);
	v = assert_trap_oid(vars, 1);
	name[col] = 18;
	v = assert_int(v, name, OID_LENGTH(name), ASN_INTEGER, 7);
	name[col] = 19;
	v = assert_int(v, name, OID_LENGTH(name), ASN_INTEGER, 3);
	name[col] = 9;
	v = assert_octets(v, name, OID_LENGTH(name), "PS100007", 8);
	name[col] = 14;
	v = assert_octets(v, name, OID_LENGTH(name), nal, strlen(nal));
	name[col] = 15;
	v = assert_octets(v, name, OID_LENGTH(name), "PS1", 3);
	name[col] = 20;
	v = assert_octets(v, name, OID_LENGTH(name), when, sizeof(when));
	name[col] = 21;
	v = assert_int(v, name, OID_LENGTH(name), ASN_UNSIGNED, 5);
	ck_assert_ptr_null(v);
	snmp_free_varbind(vars);
}
END_TEST

START_TEST(test_summary_varbinds)
{
	struct dp_event_summary sum;
	netsnmp_variable_list *vars;
	const netsnmp_variable_list *v;
	oid name[] = { DP_MIB_ROOT, 1, 5, 0, 0 };
	const size_t obj = DP_MIB_ROOT_LEN + 2;
	/* dpSummary 1..15: the count, the range, Status transitions by
	 * new Status, then State transitions and theirs by bucket and
	 * removal. */
	const long want[] = { 1000, 17, 1016, 1, 2, 3, 900, 4, 90, 10, 11,
	    12, 13, 14, 30 };
	const u_char type[] = { ASN_GAUGE, ASN_UNSIGNED, ASN_UNSIGNED,
	    ASN_GAUGE, ASN_GAUGE, ASN_GAUGE, ASN_GAUGE, ASN_GAUGE, ASN_GAUGE,
	    ASN_GAUGE, ASN_GAUGE, ASN_GAUGE, ASN_GAUGE, ASN_GAUGE,
	    ASN_GAUGE };

	memset(&sum, 0, sizeof(sum));
	sum.count = 1000;
	sum.first_seq = 17;
	sum.last_seq = 1016;
	sum.by_status[DP_B_NONE] = 1;
	sum.by_status[DP_B_UPDATED] = 2;
	sum.by_status[DP_B_ADDED] = 3;
	sum.by_status[DP_B_DELETED] = 900;
	sum.by_status[DP_B_OTHER] = 4;
	sum.dist_count = 90;
	sum.by_dist[DP_DB_INSTALLED] = 10;
	sum.by_dist[DP_DB_IN_PROGRESS] = 11;
	sum.by_dist[DP_DB_RETRYING] = 12;
	sum.by_dist[DP_DB_FAILED] = 13;
	sum.by_dist[DP_DB_OTHER] = 14;
	sum.dist_removed = 30;

	vars = dp_notify_summary_varbinds(&sum);
	ck_assert_ptr_nonnull(vars);
	v = assert_trap_oid(vars, 2);
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		name[obj] = i + 1;
		v = assert_int(v, name, OID_LENGTH(name), type[i], want[i]);
	}
	ck_assert_ptr_null(v);
	snmp_free_varbind(vars);

	/* Gauge32 saturates rather than wraps. */
	sum.count = (uint64_t)1 << 33;
	vars = dp_notify_summary_varbinds(&sum);
	ck_assert_ptr_nonnull(vars);
	ck_assert_uint_eq(*vars->next_variable->val.integer, 4294967295u);
	snmp_free_varbind(vars);
}
END_TEST

static Suite *
events_suite(void)
{
	Suite *s = suite_create("events");
	TCase *tc = tcase_create("queue");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_schema_has_summary_seq);
	tcase_add_test(tc, test_next_in_order);
	tcase_add_test(tc, test_events_from_triggers);
	tcase_add_test(tc, test_mark_delivered);
	tcase_add_test(tc, test_summary_count_and_mark);
	tcase_add_test(tc, test_mark_never_waits);
	suite_add_tcase(s, tc);

	tc = tcase_create("varbinds");
	tcase_add_test(tc, test_change_varbinds);
	tcase_add_test(tc, test_summary_varbinds);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return fixture_run(events_suite());
}
