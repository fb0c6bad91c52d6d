/*
 * The index <-> model mapping without a master: the real handler body
 * (dp_agent_handle) called as the agent library calls it, over a real
 * model, for GET and GETNEXT from every kind of OID.  Plus the pure index
 * codec and the value encoders.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "agent/dp_agent.h"
#include "agent/dp_index.h"
#include "agent/dp_oids.h"
#include "agent/dp_value.h"
#include "model/dp_store.h"
#include "fixture.h"

static struct dp_store *st;
static struct dp_agent *ag;

static const oid objects[] = { DP_MIB_ROOT, 1 };
#define OBJ_LEN (DP_MIB_ROOT_LEN + 1)

static void
add_row(int server, int package, int status)
{
	static char nal[4][64];
	static char pkg[4][16];

	snprintf(nal[server], sizeof(nal[server]),
	    "[\"Display=\\\\DP%d.example\\\"]MSWNET:\\\\DP%d.example\\", server,
	    server);
	snprintf(pkg[package], sizeof(pkg[package]), "PS10000%d", package);
	fixture_import_row(st, nal[server], pkg[package], status, "isv");
}

/* Servers 1, 2; packages 1, 2, 3; rows (1,1) (1,2) (2,1) (2,3). */
static void
setup_rows(bool with_rows)
{
	st = fixture_store_open("check_agent", 1000);
	if (with_rows) {
		ck_assert_int_eq(dp_store_import_begin(st, false), 0);
		add_row(1, 1, 1);
		add_row(1, 2, 2);
		add_row(2, 1, 3);
		add_row(2, 3, 7);	/* outside the enumeration */
		ck_assert_int_eq(dp_store_import_end(st, true, NULL), 0);
	}
	ag = dp_agent_new(st);
	ck_assert_ptr_nonnull(ag);
}

static void
setup(void)
{
	setup_rows(true);
}

static void
setup_empty(void)
{
	setup_rows(false);
}

static void
teardown(void)
{
	dp_agent_free(ag);
	fixture_store_close(st);
}

/* One request through the handler; returns the varbind (caller frees). */
static netsnmp_variable_list *
ask(int mode, const oid *name, size_t len, int inclusive)
{
	netsnmp_agent_request_info ri;
	netsnmp_request_info req;
	netsnmp_variable_list *vb = calloc(1, sizeof(*vb));

	ck_assert_ptr_nonnull(vb);
	snmp_set_var_objid(vb, name, len);
	vb->type = ASN_NULL;
	memset(&ri, 0, sizeof(ri));
	memset(&req, 0, sizeof(req));
	ri.mode = mode;
	req.requestvb = vb;
	req.inclusive = inclusive;
	dp_agent_handle(ag, &ri, &req);
	ck_assert_int_eq(req.status, 0);
	return vb;
}

/* OID from a dotted suffix under dpObjects, e.g. "4.1.18.1.2". */
static size_t
under(oid *out, const char *suffix)
{
	size_t n = OBJ_LEN;
	const char *p = suffix;
	char *end;

	memcpy(out, objects, sizeof(objects));
	while (*p != '\0') {
		out[n++] = strtoul(p, &end, 10);
		p = *end == '.' ? end + 1 : end;
	}
	return n;
}

static void
assert_oid(const netsnmp_variable_list *vb, const char *suffix)
{
	oid want[MAX_OID_LEN];
	size_t n = under(want, suffix);
	char got[256];

	snprint_objid(got, sizeof(got), vb->name, vb->name_length);
	ck_assert_msg(vb->name_length == n &&
	    memcmp(vb->name, want, n * sizeof(oid)) == 0,
	    "want .%s under dpObjects, got %s", suffix, got);
}

START_TEST(test_walk_order)
{
	/* Expected instance suffixes in order. */
	static const char *const rows[] = { "1.1", "1.2", "2.1", "2.3" };
	char want[300][32];
	size_t n = 0, i = 0;
	oid name[MAX_OID_LEN];
	size_t len;

	for (int k = 1; k <= 19; k++)
		snprintf(want[n++], 32, "1.%d.0", k);
	for (int c = 2; c <= 16; c++)
		for (int s = 1; s <= 2; s++)
			snprintf(want[n++], 32, "2.1.%d.%d", c, s);
	for (int c = 2; c <= 19; c++)
		for (int p = 1; p <= 3; p++)
			snprintf(want[n++], 32, "3.1.%d.%d", c, p);
	for (int c = 1; c <= 23; c++) {
		if (c >= 19 && c <= 21)
			continue;	/* accessible-for-notify */
		for (int r = 0; r < 4; r++)
			snprintf(want[n++], 32, "4.1.%d.%s", c, rows[r]);
	}
	ck_assert_uint_eq(n, 19 + 30 + 54 + 80);

	/* From dpMIB itself, GETNEXT after GETNEXT. */
	memcpy(name, objects, sizeof(objects));
	len = DP_MIB_ROOT_LEN;
	for (;;) {
		netsnmp_variable_list *vb = ask(MODE_GETNEXT, name, len, 0);

		if (vb->type == ASN_NULL) {
			/* Past our objects: left for the next registration,
			 * the OID untouched. */
			ck_assert_uint_eq(vb->name_length, len);
			ck_assert_mem_eq(vb->name, name, len * sizeof(oid));
			snmp_free_var(vb);
			break;
		}
		ck_assert_uint_lt(i, n);
		assert_oid(vb, want[i]);
		memcpy(name, vb->name, vb->name_length * sizeof(oid));
		len = vb->name_length;
		snmp_free_var(vb);
		i++;
	}
	ck_assert_uint_eq(i, n);
}
END_TEST

static void
next_is(const char *from, const char *want, int inclusive)
{
	oid name[MAX_OID_LEN];
	size_t len = under(name, from);
	netsnmp_variable_list *vb = ask(MODE_GETNEXT, name, len, inclusive);

	if (want == NULL)
		ck_assert_msg(vb->type == ASN_NULL, "from %s: answered", from);
	else
		assert_oid(vb, want);
	snmp_free_var(vb);
}

START_TEST(test_next_edges)
{
	next_is("", "1.1.0", 0);
	next_is("0.5", "1.1.0", 0);
	next_is("1", "1.1.0", 0);
	next_is("1.0", "1.1.0", 0);
	next_is("1.3", "1.3.0", 0);
	next_is("1.3.0", "1.4.0", 0);
	next_is("1.3.0", "1.3.0", 1);		/* inclusive */
	next_is("1.3.0.0", "1.4.0", 1);
	next_is("1.13.0", "1.14.0", 0);
	next_is("1.19.0", "2.1.2.1", 0);
	next_is("1.20", "2.1.2.1", 0);
	next_is("2", "2.1.2.1", 0);
	next_is("2.1.1", "2.1.2.1", 0);		/* the index column */
	next_is("2.1.1.99", "2.1.2.1", 0);
	next_is("2.1.2.1", "2.1.2.2", 0);
	next_is("2.1.2.2", "2.1.3.1", 0);
	next_is("2.1.10.2", "2.1.11.1", 0);
	next_is("2.1.16.2", "3.1.2.1", 0);
	next_is("2.2", "3.1.2.1", 0);
	next_is("3.1.13.3", "3.1.14.1", 0);
	next_is("3.1.19.3", "4.1.1.1.1", 0);
	/* Partial and odd indexes of dpTable. */
	next_is("4.1.18", "4.1.18.1.1", 0);
	next_is("4.1.18.1", "4.1.18.1.1", 0);
	next_is("4.1.18.1.1", "4.1.18.1.2", 0);
	next_is("4.1.18.1.1", "4.1.18.1.1", 1);
	next_is("4.1.18.1.2", "4.1.18.2.1", 0);	/* server boundary */
	next_is("4.1.18.1.3", "4.1.18.2.1", 0);
	next_is("4.1.18.1.4294967295", "4.1.18.2.1", 0);
	next_is("4.1.18.2", "4.1.18.2.1", 0);
	next_is("4.1.18.2.2", "4.1.18.2.3", 0);
	next_is("4.1.18.2.2", "4.1.18.2.3", 1);
	next_is("4.1.18.1.1.5.5.5", "4.1.18.1.2", 0);
	next_is("4.1.18.1.1.0", "4.1.18.1.2", 1);
	next_is("4.1.17.2.3", "4.1.18.1.1", 0);	/* next column */
	next_is("4.1.17.4294967295.4294967295", "4.1.18.1.1", 0);
	next_is("4.1.0", "4.1.1.1.1", 0);
	next_is("4.0.5", "4.1.1.1.1", 0);
	next_is("4.1.18.2.3", "4.1.22.1.1", 0);	/* skips 19..21 */
	next_is("4.1.18.3", "4.1.22.1.1", 0);
	next_is("4.1.18.4294967295.4294967295", "4.1.22.1.1", 0);
	next_is("4.1.19", "4.1.22.1.1", 0);	/* accessible-for-notify */
	next_is("4.1.21.1.1", "4.1.22.1.1", 0);
	next_is("4.1.23.2.1", "4.1.23.2.3", 0);
	next_is("4.1.23.2.3", NULL, 0);
	next_is("4.1.24", NULL, 0);
	next_is("4.2", NULL, 0);
	next_is("5", NULL, 0);
}
END_TEST

START_TEST(test_next_long_oid)
{
	oid name[MAX_OID_LEN];
	size_t len = under(name, "4.1.18.1.1");
	netsnmp_variable_list *vb;

	while (len < MAX_OID_LEN)
		name[len++] = 4294967295UL;
	vb = ask(MODE_GETNEXT, name, len, 0);
	assert_oid(vb, "4.1.18.1.2");
	snmp_free_var(vb);
}
END_TEST

static netsnmp_variable_list *
get(const char *suffix)
{
	oid name[MAX_OID_LEN];
	size_t len = under(name, suffix);

	return ask(MODE_GET, name, len, 0);
}

START_TEST(test_get_values)
{
	netsnmp_variable_list *vb;

	vb = get("4.1.18.2.3");
	ck_assert_int_eq(vb->type, ASN_INTEGER);
	ck_assert_int_eq(*vb->val.integer, 7);
	snmp_free_var(vb);

	vb = get("4.1.9.2.3");
	ck_assert_int_eq(vb->type, ASN_OCTET_STR);
	ck_assert_uint_eq(vb->val_len, 8);
	ck_assert_mem_eq(vb->val.string, "PS100003", 8);
	snmp_free_var(vb);

	/* The class default has no offset: 8 octets. */
	vb = get("4.1.7.1.1");
	ck_assert_int_eq(vb->type, ASN_OCTET_STR);
	ck_assert_uint_eq(vb->val_len, 8);
	ck_assert_mem_eq(vb->val.string, "\x07\xc6\x01\x01\x00\x00\x00\x00",
	    8);
	snmp_free_var(vb);

	vb = get("4.1.11.1.1");	/* RefreshNow reads false(2) */
	ck_assert_int_eq(*vb->val.integer, 2);
	snmp_free_var(vb);

	vb = get("4.1.22.1.1");	/* no refresh pending */
	ck_assert_int_eq(vb->type, ASN_INTEGER);
	ck_assert_int_eq(*vb->val.integer, 2);
	snmp_free_var(vb);

	vb = get("2.1.3.2");
	ck_assert_int_eq(vb->type, ASN_OCTET_STR);
	ck_assert_uint_eq(vb->val_len, 11);
	ck_assert_mem_eq(vb->val.string, "DP2.example", 11);
	snmp_free_var(vb);

	vb = get("2.1.10.2");	/* server 2: one row with status 7 */
	ck_assert_int_eq(vb->type, ASN_GAUGE);
	ck_assert_uint_eq(*vb->val.integer, 1);
	snmp_free_var(vb);

	vb = get("3.1.8.1");	/* package 1 has two rows */
	ck_assert_int_eq(vb->type, ASN_GAUGE);
	ck_assert_uint_eq(*vb->val.integer, 2);
	snmp_free_var(vb);

	vb = get("1.3.0");
	ck_assert_int_eq(vb->type, ASN_GAUGE);
	ck_assert_uint_eq(*vb->val.integer, 4);
	snmp_free_var(vb);

	vb = get("1.10.0");
	ck_assert_int_eq(vb->type, ASN_COUNTER);
	ck_assert_uint_eq(*vb->val.integer, 4);
	snmp_free_var(vb);

	vb = get("1.12.0");	/* imported just now */
	ck_assert_int_eq(vb->type, ASN_INTEGER);
	ck_assert_int_le(*vb->val.integer, 1);
	ck_assert_int_ge(*vb->val.integer, 0);
	snmp_free_var(vb);
}
END_TEST

static void
get_is(const char *suffix, u_char type)
{
	netsnmp_variable_list *vb = get(suffix);

	ck_assert_msg(vb->type == type, "%s: type %d, want %d", suffix,
	    vb->type, type);
	snmp_free_var(vb);
}

START_TEST(test_get_misses)
{
	get_is("4.1.18.1.3", SNMP_NOSUCHINSTANCE);
	get_is("4.1.18.1", SNMP_NOSUCHINSTANCE);
	get_is("4.1.18", SNMP_NOSUCHINSTANCE);
	get_is("4.1.18.1.1.1", SNMP_NOSUCHINSTANCE);
	get_is("4.1.18.0.0", SNMP_NOSUCHINSTANCE);
	get_is("4.1.18.4294967295.4294967295", SNMP_NOSUCHINSTANCE);
	get_is("4.1.18.4294967296.1", SNMP_NOSUCHINSTANCE);
	get_is("4.1.19.1.1", SNMP_NOSUCHOBJECT);
	get_is("4.1.21.1.1", SNMP_NOSUCHOBJECT);
	get_is("4.1.24.1.1", SNMP_NOSUCHOBJECT);
	get_is("4.1.22.1.3", SNMP_NOSUCHINSTANCE);
	get_is("4.1.0.1.1", SNMP_NOSUCHOBJECT);
	get_is("4.1", SNMP_NOSUCHOBJECT);
	get_is("4.2.18.1.1", SNMP_NOSUCHOBJECT);
	get_is("2.1.1.1", SNMP_NOSUCHOBJECT);
	get_is("2.1.2.3", SNMP_NOSUCHINSTANCE);
	get_is("1.3.1", SNMP_NOSUCHINSTANCE);
	get_is("1.3", SNMP_NOSUCHINSTANCE);
	get_is("1.0.0", SNMP_NOSUCHOBJECT);
	get_is("1.20.0", SNMP_NOSUCHOBJECT);
	get_is("7", SNMP_NOSUCHOBJECT);
	get_is("", SNMP_NOSUCHOBJECT);
}
END_TEST

START_TEST(test_empty_model)
{
	/* Scalars are always there; the tables are empty. */
	next_is("1.19.0", NULL, 0);
	next_is("", "1.1.0", 0);
	get_is("4.1.18.1.1", SNMP_NOSUCHINSTANCE);
	get_is("1.3.0", ASN_GAUGE);
}
END_TEST

START_TEST(test_index_codec)
{
	static const struct dp_shape sh = { 1, 18, 0x7fffe, 2, 1,
	    4294967295LL };
	const oid s1[] = { 18, 5 };
	const oid s2[] = { 18, 5, 7, 9 };
	const oid s3[] = { 30 };
	int64_t after[2], idx[2];
	unsigned col;

	ck_assert_int_eq(dp_index_next(&sh, s1, 2, 0, &col, after), 1);
	ck_assert_uint_eq(col, 18);
	ck_assert_int_eq(after[0], 5);
	ck_assert_int_eq(after[1], -1);
	ck_assert_int_eq(dp_index_next(&sh, s2, 4, 1, &col, after), 1);
	ck_assert_int_eq(after[0], 5);
	ck_assert_int_eq(after[1], 7);
	ck_assert_int_eq(dp_index_next(&sh, s2, 3, 1, &col, after), 1);
	ck_assert_int_eq(after[1], 6);
	ck_assert_int_eq(dp_index_next(&sh, s3, 1, 0, &col, after), 0);
	ck_assert_int_eq(dp_index_get(&sh, s2, 3, &col, idx), DP_GET_OK);
	ck_assert_int_eq(idx[0], 5);
	ck_assert_int_eq(idx[1], 7);
	ck_assert_int_eq(dp_index_get(&sh, s2, 4, &col, idx),
	    DP_GET_NO_INSTANCE);
	ck_assert_int_eq(dp_index_get(&sh, s3, 1, &col, idx),
	    DP_GET_NO_OBJECT);
	ck_assert_uint_eq(dp_index_next_col(&sh, 18), 0);
	ck_assert_uint_eq(dp_index_next_col(&sh, 0), 1);
}
END_TEST

START_TEST(test_value_scalars)
{
	struct dp_scalars sc;
	struct dp_value v;

	memset(&sc, 0, sizeof(sc));
	ck_assert_int_eq(dp_value_scalar(&sc, 5000, DP_SC_LAST_IMPORT_AGE, &v),
	    0);
	ck_assert_int_eq(v.i, -1);	/* never imported */
	sc.last_import_ms = 2000;
	ck_assert_int_eq(dp_value_scalar(&sc, 7999, DP_SC_LAST_IMPORT_AGE, &v),
	    0);
	ck_assert_int_eq(v.i, 5);
	ck_assert_int_eq(dp_value_scalar(&sc, 1000, DP_SC_LAST_IMPORT_AGE, &v),
	    0);
	ck_assert_int_eq(v.i, 0);	/* our clock is behind */
	sc.change_counter = 0x100000005ULL;
	ck_assert_int_eq(dp_value_scalar(&sc, 0, DP_SC_CHANGE_COUNTER, &v), 0);
	ck_assert_uint_eq(v.u, 5);	/* Counter32 wraps */
	ck_assert_int_eq(dp_value_scalar(&sc, 0, DP_SC_LAST_CHANGE, &v), 0);
	ck_assert_uint_eq(v.len, 11);
	ck_assert_mem_eq(v.ptr, "\x07\xb2\x01\x01\x00\x00\x00\x00+\x00\x00",
	    11);
	sc.last_change_ms = 1714550400123LL;	/* 2024-05-01T08:00:00.123Z */
	ck_assert_int_eq(dp_value_scalar(&sc, 0, DP_SC_LAST_CHANGE, &v), 0);
	ck_assert_mem_eq(v.ptr, "\x07\xe8\x05\x01\x08\x00\x00\x01+\x00\x00",
	    11);
	ck_assert_int_eq(dp_value_scalar(&sc, 0, 0, &v), -1);
	ck_assert_int_eq(dp_value_scalar(&sc, 0, 20, &v), -1);
}
END_TEST

/* A walk of dpStatus over more rows than are read ahead at once, across
 * server boundaries, equals the model's order; a change is seen once the
 * rows read ahead have aged. */
START_TEST(test_read_ahead)
{
	char nal[64], pkg[16];
	struct dp_record r;
	struct dp_row row;
	oid name[MAX_OID_LEN];
	size_t len;
	int64_t s = 0, p = 0;
	int n = 0;

	ck_assert_int_eq(dp_store_import_begin(st, false), 0);
	for (int sv = 1; sv <= 3; sv++)
		for (int pk = 1; pk <= 25; pk++) {
			snprintf(nal, sizeof(nal), "\\\\DP%d.example\\", sv);
			snprintf(pkg, sizeof(pkg), "PS2%05d", pk);
			memset(&r, 0, sizeof(r));
			r.package_id = pkg;
			r.server_nal_path = nal;
			r.site_code = "PS1";
			r.status = (sv * pk) % 4;
			r.present = 1u << DP_P_PACKAGE_ID |
			    1u << DP_P_SERVER_NAL_PATH | 1u << DP_P_SITE_CODE |
			    1u << DP_P_STATUS;
			ck_assert_int_eq(dp_store_import_record(st, &r), 0);
		}
	ck_assert_int_eq(dp_store_import_end(st, true, NULL), 0);

	len = under(name, "4.1.18");
	while (dp_store_row_next(st, s, p, &row) == 1) {
		netsnmp_variable_list *vb = ask(MODE_GETNEXT, name, len, 0);
		char want[32];

		snprintf(want, sizeof(want), "4.1.18.%u.%u", row.server_idx,
		    row.package_idx);
		assert_oid(vb, want);
		ck_assert_int_eq(*vb->val.integer, row.status);
		memcpy(name, vb->name, vb->name_length * sizeof(oid));
		len = vb->name_length;
		snmp_free_var(vb);
		s = row.server_idx;
		p = row.package_idx;
		n++;
	}
	ck_assert_int_eq(n, 4 + 75);

	/* Another writer changes the second row; after the read-ahead has
	 * aged (100 ms) the walk sees it. */
	{
		sqlite3 *db;

		ck_assert_int_eq(sqlite3_open(fixture_db_path, &db), SQLITE_OK);
		ck_assert_int_eq(sqlite3_exec(db, "UPDATE dp SET status = 9 "
		    "WHERE server_idx = 1 AND package_idx = 2", NULL, NULL,
		    NULL), SQLITE_OK);
		sqlite3_close(db);
	}
	usleep(150 * 1000);
	len = under(name, "4.1.18.1.1");
	{
		netsnmp_variable_list *vb = ask(MODE_GETNEXT, name, len, 0);

		assert_oid(vb, "4.1.18.1.2");
		ck_assert_int_eq(*vb->val.integer, 9);
		snmp_free_var(vb);
	}
}
END_TEST

/* The column windows (one GETNEXT varbind: the key and that column only)
 * and the whole-row window (several varbinds) give what a GET of the same
 * instance gives, for every column, across window boundaries. */
START_TEST(test_read_ahead_fields)
{
	static const unsigned cols[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
	    12, 13, 14, 15, 16, 17, 18, 22, 23 };
	char nal[64], pkg[16], isv[32];
	struct dp_record r;
	int rows = 0;

	ck_assert_int_eq(dp_store_import_begin(st, false), 0);
	for (int sv = 1; sv <= 2; sv++)
		for (int pk = 1; pk <= 40; pk++) {
			snprintf(nal, sizeof(nal), "\\\\DP%d.example\\", sv);
			snprintf(pkg, sizeof(pkg), "PS3%05d", pk);
			snprintf(isv, sizeof(isv), "isv %d/%d", sv, pk);
			memset(&r, 0, sizeof(r));
			r.package_id = pkg;
			r.server_nal_path = nal;
			r.site_code = sv == 1 ? "PS1" : "PS2";
			r.status = (sv + pk) % 4;
			r.isv_string = isv;
			r.present = 1u << DP_P_PACKAGE_ID |
			    1u << DP_P_SERVER_NAL_PATH | 1u << DP_P_SITE_CODE |
			    1u << DP_P_STATUS | 1u << DP_P_ISV_STRING;
			ck_assert_int_eq(dp_store_import_record(st, &r), 0);
		}
	ck_assert_int_eq(dp_store_import_end(st, true, NULL), 0);

	for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
		oid name[MAX_OID_LEN];
		char col[16];
		size_t len;
		int n = 0;

		snprintf(col, sizeof(col), "4.1.%u", cols[c]);
		len = under(name, col);
		for (;;) {
			netsnmp_variable_list *next, *get, *pair;
			netsnmp_agent_request_info ri;
			netsnmp_request_info req[2];
			netsnmp_variable_list *vb2;

			next = ask(MODE_GETNEXT, name, len, 0);
			/* Unanswered (past dpObjects) or past the column. */
			if (next->type == ASN_NULL ||
			    snmp_oid_compare(next->name, OBJ_LEN + 3, name,
			    OBJ_LEN + 3) != 0) {
				snmp_free_var(next);
				break;	/* past the column */
			}
			get = ask(MODE_GET, next->name, next->name_length, 0);
			ck_assert_int_eq(next->type, get->type);
			ck_assert_uint_eq(next->val_len, get->val_len);
			ck_assert_int_eq(memcmp(next->val.string,
			    get->val.string, get->val_len), 0);

			/* The same instance asked with a second varbind
			 * (dpStatus of the same row): the whole-row window. */
			pair = calloc(1, sizeof(*pair));
			vb2 = calloc(1, sizeof(*vb2));
			ck_assert_ptr_nonnull(pair);
			ck_assert_ptr_nonnull(vb2);
			snmp_set_var_objid(pair, name, len);
			snmp_set_var_objid(vb2, name, len);
			vb2->name[OBJ_LEN + 2] = 18;
			memset(&ri, 0, sizeof(ri));
			memset(req, 0, sizeof(req));
			ri.mode = MODE_GETNEXT;
			req[0].requestvb = pair;
			req[0].next = &req[1];
			req[1].requestvb = vb2;
			dp_agent_handle(ag, &ri, req);
			ck_assert_int_eq(snmp_oid_compare(pair->name,
			    pair->name_length, next->name, next->name_length),
			    0);
			ck_assert_int_eq(pair->type, get->type);
			ck_assert_uint_eq(pair->val_len, get->val_len);
			ck_assert_int_eq(memcmp(pair->val.string,
			    get->val.string, get->val_len), 0);

			memcpy(name, next->name, next->name_length *
			    sizeof(oid));
			len = next->name_length;
			snmp_free_var(next);
			snmp_free_var(get);
			snmp_free_var(pair);
			snmp_free_var(vb2);
			n++;
		}
		ck_assert_msg(n == 4 + 80, "column %u: %d rows", cols[c], n);
		rows += n;
	}
	ck_assert_int_eq(rows, 20 * 84);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("agent");
	TCase *tc = tcase_create("handler");
	TCase *te = tcase_create("empty");
	TCase *tp = tcase_create("pure");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_walk_order);
	tcase_add_test(tc, test_next_edges);
	tcase_add_test(tc, test_next_long_oid);
	tcase_add_test(tc, test_get_values);
	tcase_add_test(tc, test_get_misses);
	tcase_add_test(tc, test_read_ahead);
	tcase_add_test(tc, test_read_ahead_fields);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(te, setup_empty, teardown);
	tcase_add_test(te, test_empty_model);
	suite_add_tcase(s, te);
	tcase_add_test(tp, test_index_codec);
	tcase_add_test(tp, test_value_scalars);
	suite_add_tcase(s, tp);
	return fixture_run(s);
}
