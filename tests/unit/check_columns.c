/*
 * check_columns: the column table (src/model/dp_columns.h) against the
 * MIB, read as Net-SNMP reads it (snmptranslate, hermetic as in
 * tests/mib/test_mib.sh): every dpEntry column has the number, the SIZE
 * and the MAX-ACCESS the table gives, and the MIB has no column the table
 * lacks.  The compiler checks the rest (enums, members, SQL) by deriving
 * it from the same table.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "convert/dp_props.h"
#include "model/dp_columns.h"
#include "fixture.h"

#ifndef DP_MIB_DIR
#error "DP_MIB_DIR must name the directory of DISTRIBUTION-POINT-MIB"
#endif
#ifndef DP_BASE_MIB_DIR
#error "DP_BASE_MIB_DIR must name the directory of the base MIBs"
#endif

#define MODULE "DISTRIBUTION-POINT-MIB"

struct column {
	const char	*entry;		/* "dpTable(4) dpEntry(1)" */
	const char	*object;	/* "dpBitsEnabled" */
	unsigned	 col;
	size_t		 max;		/* SIZE (0..max) */
	bool		 sized;		/* STRING or BYTES */
	const char	*access;
};

#define SIZED_BOOL	false
#define SIZED_UINT32	false
#define SIZED_ENUM	false
/* DateAndTime: its SIZE (8 | 11) is the TC's. */
#define SIZED_TIME	false
#define SIZED_STRING	true
#define SIZED_BYTES	true
#define ACCESS_RO	"read-only"
#define ACCESS_RW	"read-write"

#define SIZED_MSTIME	false
#define DP_ENTRY	"dpTable(4) dpEntry(1)"
#define DIST_ENTRY	"dpDistTable(6) dpDistEntry(1)"
#define ROW_COLUMN(id, field, name, kind, max, col, access, ...) \
	{ DP_ENTRY, "dp" name, col, max, SIZED_##kind, ACCESS_##access },
#define NOTIFY_COLUMN(id, name, col) \
	{ DP_ENTRY, "dp" name, col, 0, false, "accessible-for-notify" },
/* The keys of dpDistTable are dpTable's properties, with their limits. */
#define KEY_MAX_PACKAGE_ID	DP_MAX_PACKAGE_ID
#define KEY_MAX_SERVER_NAL_PATH	DP_MAX_NAL_PATH
#define KEY_MAX_SITE_CODE	DP_MAX_SITE_CODE
#define DIST_KEY(id, field, name, col) \
	{ DIST_ENTRY, "dpDist" name, col, KEY_MAX_##id, true, ACCESS_RO },
#define DIST_COLUMN(id, field, name, kind, max, col, access, ...) \
	{ DIST_ENTRY, "dpDist" name, col, max, SIZED_##kind, \
	    ACCESS_##access },
#define DIST_NOTIFY(id, name, col) \
	{ DIST_ENTRY, "dpDist" name, col, 0, false, "accessible-for-notify" },

static const struct column columns[] = {
	DP_COLUMNS(ROW_COLUMN, ROW_COLUMN, NOTIFY_COLUMN)
	DP_DIST_COLUMNS(DIST_KEY, DIST_COLUMN, DIST_COLUMN, DIST_NOTIFY)
};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

static void
setup(void)
{
	fixture_dir_open("check_columns");
	/* Hermetic: no snmp.conf, no MIBS or MIBDIRS from the caller, a
	 * private persistent directory. */
	setenv("SNMPCONFPATH", fixture_dir, 1);
	setenv("SNMP_PERSISTENT_DIR", fixture_dir, 1);
	unsetenv("MIBS");
	unsetenv("MIBDIRS");
}

static void
teardown(void)
{
	fixture_dir_close();
}

/* snmptranslate's output for args, NUL-terminated, in buf. */
static void
snmptranslate(const char *args, char *buf, size_t size)
{
	char cmd[1024];
	FILE *p;
	size_t n;
	int rc;

	snprintf(cmd, sizeof(cmd), "snmptranslate -M '%s:%s' -m %s %s "
	    "2>/dev/null", DP_BASE_MIB_DIR, DP_MIB_DIR, MODULE, args);
	p = popen(cmd, "r");
	ck_assert_msg(p != NULL, "%s: %s", cmd, strerror(errno));
	n = fread(buf, 1, size - 1, p);
	buf[n] = '\0';
	rc = pclose(p);
	ck_assert_msg(rc == 0, "%s: exit status %d (is snmptranslate "
	    "installed, and the base MIBs in %s?)", cmd, rc, DP_BASE_MIB_DIR);
}

/* The text after "key" at the start of a line of -Td output, to the end
 * of that line, in out. */
static bool
td_field(const char *td, const char *key, char *out, size_t size)
{
	const char *p, *e;
	size_t klen = strlen(key);

	for (p = td; p != NULL && *p != '\0'; p = strchr(p, '\n'),
	    p = p != NULL ? p + 1 : NULL) {
		while (*p == ' ')
			p++;
		if (strncmp(p, key, klen) != 0)
			continue;
		p += klen;
		while (*p == ' ' || *p == '\t')
			p++;
		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		snprintf(out, size, "%.*s", (int)(e - p), p);
		return true;
	}
	return false;
}

START_TEST(test_numbers_sizes_accesses)
{
	static char td[16384];
	char args[128], line[512], *end;
	const struct column *c = &columns[_i];
	unsigned long sub;
	unsigned lo, hi;
	const char *q;

	snprintf(args, sizeof(args), "-Td %s::%s", MODULE, c->object);
	snmptranslate(args, td, sizeof(td));

	/* "::= { iso(1) ... dpTable(4) dpEntry(1) 15 }" */
	ck_assert_msg(td_field(td, "::=", line, sizeof(line)),
	    "%s: no OID in snmptranslate -Td", c->object);
	q = strstr(line, c->entry);
	ck_assert_msg(q != NULL && q[-1] == ' ' && q[strlen(c->entry)] == ' ',
	    "%s is not a column of %s: %s", c->object, c->entry, line);
	sub = strtoul(q + strlen(c->entry) + 1, &end, 10);
	ck_assert_msg(strncmp(end, " }", 2) == 0, "%s: cannot read %s",
	    c->object, line);
	ck_assert_msg(sub == c->col, "%s is dpEntry column %lu in the MIB, "
	    "%u in the column table", c->object, sub, c->col);

	ck_assert_msg(td_field(td, "MAX-ACCESS", line, sizeof(line)),
	    "%s: no MAX-ACCESS", c->object);
	ck_assert_msg(strcmp(line, c->access) == 0, "%s is %s in the MIB, "
	    "%s in the column table", c->object, line, c->access);

	ck_assert_msg(td_field(td, "SYNTAX", line, sizeof(line)),
	    "%s: no SYNTAX", c->object);
	if (!c->sized)
		return;
	/* "OCTET STRING (0..3)", the SIZE as Net-SNMP prints it */
	q = strrchr(line, '(');
	ck_assert_msg(q != NULL && sscanf(q, "(%u..%u)", &lo, &hi) == 2,
	    "%s has no SIZE in the MIB: %s", c->object, line);
	ck_assert_msg(lo == 0 && hi == c->max, "%s has SIZE (%u..%u) in the "
	    "MIB, (0..%zu) in the column table", c->object, lo, hi, c->max);
}
END_TEST

/* The MIB has no dpEntry (dpDistEntry) column that the table lacks. */
static const struct {
	const char	*object;
	const char	*entry;
} entries[] = {
	{ "dpEntry", DP_ENTRY },
	{ "dpDistEntry", DIST_ENTRY },
};

START_TEST(test_no_column_missing)
{
	static char tree[65536];
	char name[128], args[128];
	const char *p;
	unsigned col, found = 0;
	size_t i, want = 0;

	for (i = 0; i < NCOLUMNS; i++)
		want += strcmp(columns[i].entry, entries[_i].entry) == 0;
	snprintf(args, sizeof(args), "-Tp %s::%s", MODULE,
	    entries[_i].object);
	snmptranslate(args, tree, sizeof(tree));
	for (p = strstr(tree, "+-- "); p != NULL; p = strstr(p + 1, "+-- ")) {
		const char *q = strstr(p, " dp"), *nl = strchr(p, '\n');

		if (q == NULL || (nl != NULL && q > nl))
			continue;
		if (sscanf(q + 1, "%127[A-Za-z0-9](%u)", name, &col) != 2)
			continue;
		if (strcmp(name, entries[_i].object) == 0)
			continue;
		for (i = 0; i < NCOLUMNS; i++) {
			if (strcmp(columns[i].object, name) == 0)
				break;
		}
		ck_assert_msg(i < NCOLUMNS, "%s (%s column %u) is not in "
		    "src/model/dp_columns.h", name, entries[_i].object, col);
		ck_assert_uint_eq(columns[i].col, col);
		found++;
	}
	ck_assert_msg(found == want, "the MIB has %u %s columns, the column "
	    "table %zu", found, entries[_i].object, want);
}
END_TEST

/* What the table says of the properties reaches dp_props[]. */
START_TEST(test_props)
{
	char object[64];
	unsigned n = 0;
	size_t i;

	for (int p = 0; p < DP_P_COUNT; p++) {
		ck_assert_int_eq(dp_prop_lookup(dp_props[p].name,
		    strlen(dp_props[p].name)), p);
		/* A property of the second class alone is a dpDistEntry
		 * column, or none (SecuredTypeID is only stored). */
		if (!(DP_PROPS_OF_DP & (1u << p)) && dp_props[p].mib_col == 0)
			continue;
		snprintf(object, sizeof(object), "%s%s", DP_PROPS_OF_DP &
		    (1u << p) ? "dp" : "dpDist", dp_props[p].name);
		for (i = 0; i < NCOLUMNS; i++) {
			if (strcmp(columns[i].object, object) == 0)
				break;
		}
		ck_assert_msg(i < NCOLUMNS, "%s", object);
		ck_assert_uint_eq(dp_props[p].mib_col, columns[i].col);
		ck_assert_uint_eq(dp_props[p].max_len, columns[i].max);
		n += dp_props[p].is_key;
		ck_assert(dp_props[p].kind != DP_K_ENUM ||
		    dp_props[p].labels != NULL);
	}
	ck_assert_uint_eq(n, 3);	/* PackageID, ServerNALPath, SiteCode */
}
END_TEST

static Suite *
columns_suite(void)
{
	Suite *s = suite_create("columns");
	TCase *tc = tcase_create("mib");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_numbers_sizes_accesses, 0,
	    (int)NCOLUMNS);
	tcase_add_loop_test(tc, test_no_column_missing, 0,
	    (int)(sizeof(entries) / sizeof(entries[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("props");
	tcase_add_test(tc, test_props);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return fixture_run(columns_suite());
}
