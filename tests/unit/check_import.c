/*
 * Unit tests of the importers: every shape PowerShell writes, exact field
 * values, the same rows in every format, each refusal with the file,
 * record, PackageID and field it must name, and the import transaction
 * against a real store (all or nothing, snapshot, null keeps the value).
 */
#include <check.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "convert/dp_convert.h"
#include "convert/dp_props.h"
#include "import/dp_import.h"
#include "model/dp_store.h"
#include "util/dp_log.h"
#include "fixture.h"

#define P(prop)		(1u << (prop))
#define ALL_PROPS	DP_PROPS_OF_DP
#define MAX_RECS	64

static const char NAL_DP01[] =
    "[\"Display=\\\\DP01.corp.contoso.com\\\"]MSWNET:[\"SMS_SITE=PS1\"]"
    "\\\\DP01.corp.contoso.com\\";
static const char NAL_DP03[] =
    "[\"Display=\\\\DP03.branch.contoso.com\\\"]MSWNET:[\"SMS_SITE=PS2\"]"
    "\\\\DP03.branch.contoso.com\\";

static const char NAL_DP05[] =
    "[\"Display=\\\\DP05.corp.contoso.com\\\"]MSWNET:[\"SMS_SITE=PS1\"]"
    "\\\\DP05.corp.contoso.com\\";

/* ---- captured log ------------------------------------------------------- */

static char	 logbuf[65536];
static size_t	 loglen;
static int	 nerrors, nwarnings;

static void
capture(int prio, const char *msg, void *arg)
{
	int	 n;

	(void)arg;
	if (prio <= DP_LOG_ERR)
		nerrors++;
	else if (prio == DP_LOG_WARNING)
		nwarnings++;
	n = snprintf(logbuf + loglen, sizeof(logbuf) - loglen, "%d %s\n",
	    prio, msg);
	if (n > 0 && (size_t)n < sizeof(logbuf) - loglen)
		loglen += (size_t)n;
}

static void
log_reset(void)
{
	logbuf[0] = '\0';
	loglen = 0;
	nerrors = nwarnings = 0;
	dp_log_set_sink(capture, NULL);
	dp_log_set_level(DP_LOG_DEBUG);
}

#define ck_log_has(s) \
	ck_assert_msg(strstr(logbuf, (s)) != NULL, \
	    "log lacks \"%s\"; it has:\n%s", (s), logbuf)

/* ---- collected records --------------------------------------------------- */

struct rec {
	unsigned long	 no;
	uint32_t	 present;
	bool		 b[4];		/* Boolean properties */
	uint32_t	 isv_data_size;
	int32_t		 object_type_id;
	int32_t		 package_type;
	int32_t		 status;
	uint8_t		 isv[DP_MAX_ISV_DATA];
	size_t		 isv_len;
	char		*s[DP_P_COUNT];	/* strings by property */
	char		 time[DP_TIME_TEXT_MAX];
};

struct coll {
	size_t		 n;
	struct rec	 r[MAX_RECS];
	int		 fail_at;	/* callback refuses this record */
};

static char *
dup_or_null(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}

static int
collect(const struct dp_record *in, const char *file, unsigned long no,
    void *arg)
{
	struct coll	*c = arg;
	struct rec	*r;

	(void)file;
	if (c->fail_at != 0 && (unsigned long)c->fail_at == no)
		return -1;
	ck_assert_uint_lt(c->n, MAX_RECS);
	r = &c->r[c->n++];
	memset(r, 0, sizeof(*r));
	r->no = no;
	r->present = in->present;
	r->b[0] = in->bits_enabled;
	r->b[1] = in->is_peer_dp;
	r->b[2] = in->is_protected;
	r->b[3] = in->refresh_now;
	r->isv_data_size = in->isv_data_size;
	r->object_type_id = in->object_type_id;
	r->package_type = in->package_type;
	r->status = in->status;
	if (DP_PRESENT(in, DP_P_ISV_DATA)) {
		ck_assert_uint_le(in->isv_data_len, DP_MAX_ISV_DATA);
		if (in->isv_data_len > 0)
			memcpy(r->isv, in->isv_data, in->isv_data_len);
		r->isv_len = in->isv_data_len;
	}
	r->s[DP_P_ISV_STRING] = dup_or_null(in->isv_string);
	r->s[DP_P_PACKAGE_ID] = dup_or_null(in->package_id);
	r->s[DP_P_RESOURCE_TYPE] = dup_or_null(in->resource_type);
	r->s[DP_P_SECURE_OBJECT_ID] = dup_or_null(in->secure_object_id);
	r->s[DP_P_SERVER_NAL_PATH] = dup_or_null(in->server_nal_path);
	r->s[DP_P_SITE_CODE] = dup_or_null(in->site_code);
	r->s[DP_P_SITE_NAME] = dup_or_null(in->site_name);
	r->s[DP_P_SOURCE_SITE] = dup_or_null(in->source_site);
	if (DP_PRESENT(in, DP_P_LAST_REFRESH_TIME))
		memcpy(r->time, in->last_refresh_time, sizeof(r->time));
	return 0;
}

static void
coll_clear(struct coll *c)
{
	for (size_t i = 0; i < c->n; i++) {
		for (int p = 0; p < DP_P_COUNT; p++)
			free(c->r[i].s[p]);
	}
	c->n = 0;
}

static void
coll_free(struct coll *c)
{
	coll_clear(c);
	free(c);
}

static struct coll *
coll_new(void)
{
	struct coll	*c = calloc(1, sizeof(*c));

	ck_assert_ptr_nonnull(c);
	return c;
}

static char *
slurp(const char *name, size_t *len)
{
	char	 path[512], *buf;
	FILE	*f;
	long	 n;

	snprintf(path, sizeof(path), "%s/%s", DP_TEST_DATA, name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Parses a file of tests/data; returns dp_import_parse's result. */
static int
parse_file(const char *name, struct coll *c, unsigned long *warnings)
{
	size_t	 len;
	char	*data = slurp(name, &len);
	int	 rc;

	rc = dp_import_parse(name, data, len, collect, c, warnings);
	free(data);
	return rc;
}

static int
parse_text(const char *text, struct coll *c, unsigned long *warnings)
{
	return dp_import_parse("t.json", text, strlen(text), collect, c,
	    warnings);
}

/* ---- times: compare instants across formats ------------------------------ */

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t
instant_ms(const char *canon)
{
	struct dp_time	 t;

	ck_assert_msg(dp_time_parse_iso8601(canon, &t, NULL) == 0, "%s",
	    canon);
	ck_assert(t.has_offset);
	return ((days_from_civil(t.year, t.month, t.day) * 24 + t.hour) * 60 +
	    t.minute - t.offset_min) * 60000 + t.second * 1000 +
	    t.usec / 1000;
}

/* Every value of a and b equal, except the properties in `except`. */
static void
ck_same_record(const struct rec *a, const struct rec *b, uint32_t except)
{
	ck_assert_uint_eq(a->present & ~except, b->present & ~except);
	for (int p = 0; p < DP_P_COUNT; p++) {
		if ((except & P(p)) || !(a->present & P(p)))
			continue;
		switch (dp_props[p].kind) {
		case DP_K_STRING:
			ck_assert_str_eq(a->s[p], b->s[p]);
			break;
		case DP_K_TIME:
			ck_assert_str_eq(a->time, b->time);
			break;
		case DP_K_BYTES:
			ck_assert_uint_eq(a->isv_len, b->isv_len);
			ck_assert_mem_eq(a->isv, b->isv, a->isv_len);
			break;
		default:
			break;
		}
	}
	ck_assert_mem_eq(a->b, b->b, sizeof(a->b));
	if (!(except & P(DP_P_ISV_DATA_SIZE)))
		ck_assert_uint_eq(a->isv_data_size, b->isv_data_size);
	ck_assert_int_eq(a->object_type_id, b->object_type_id);
	ck_assert_int_eq(a->package_type, b->package_type);
	ck_assert_int_eq(a->status, b->status);
}

/* ---- the bundled samples ------------------------------------------------- */

static void
check_record1(const struct rec *r)
{
	ck_assert_uint_eq(r->no, 1);
	/* Listing instances returns the lazy ISVData and ISVDataSize as
	 * null: not present, so the stored values are kept. */
	ck_assert_uint_eq(r->present, ALL_PROPS & ~P(DP_P_ISV_DATA) &
	    ~P(DP_P_ISV_DATA_SIZE));
	ck_assert(r->b[0] && !r->b[1] && !r->b[2] && !r->b[3]);
	ck_assert_str_eq(r->s[DP_P_ISV_STRING], "");
	ck_assert_str_eq(r->time, "2024-05-01T09:00:00.000000+02:00");
	ck_assert_int_eq(r->object_type_id, 2);
	ck_assert_str_eq(r->s[DP_P_PACKAGE_ID], "PS100012");
	ck_assert_int_eq(r->package_type, 0);
	ck_assert_str_eq(r->s[DP_P_RESOURCE_TYPE], "Windows NT Server");
	ck_assert_str_eq(r->s[DP_P_SECURE_OBJECT_ID], "PS100012");
	ck_assert_str_eq(r->s[DP_P_SERVER_NAL_PATH], NAL_DP01);
	ck_assert_str_eq(r->s[DP_P_SITE_CODE], "PS1");
	ck_assert_str_eq(r->s[DP_P_SITE_NAME], "Contoso Headquarters");
	ck_assert_str_eq(r->s[DP_P_SOURCE_SITE], "PS1");
	ck_assert_int_eq(r->status, 0);
}

START_TEST(test_ps7)
{
	static const uint8_t isv5[] = { 67, 77, 68, 66, 1, 0, 18, 103 };
	static const uint8_t isv8[] = { 0, 255, 16, 32 };
	struct coll	*c = coll_new();
	unsigned long	 w = 0;
	const struct rec *r;

	log_reset();
	ck_assert_int_eq(parse_file("sample-ps7.json", c, &w), 0);
	ck_assert_uint_eq(c->n, 24);
	ck_assert_uint_eq(w, 0);
	ck_assert_int_eq(nwarnings, 0);
	ck_assert_int_eq(nerrors, 0);
	check_record1(&c->r[0]);
	for (size_t i = 0; i < c->n; i++)
		ck_assert_uint_eq(c->r[i].no, i + 1);

	r = &c->r[4];		/* DP01, application content */
	ck_assert_uint_eq(r->present, ALL_PROPS);
	ck_assert_uint_eq(r->isv_len, sizeof(isv5));
	ck_assert_mem_eq(r->isv, isv5, sizeof(isv5));
	ck_assert_uint_eq(r->isv_data_size, 8);
	ck_assert_str_eq(r->s[DP_P_ISV_STRING], "Contoso-CMDB:asset=4711");
	ck_assert_str_eq(r->s[DP_P_PACKAGE_ID], "PS10005A");
	ck_assert_int_eq(r->package_type, 8);
	ck_assert_int_eq(r->object_type_id, 31);
	ck_assert_str_eq(r->s[DP_P_SECURE_OBJECT_ID],
	    "ScopeId_5E7A9B2C-1D3F-4A8B-9C6D-2E4F6A8B0C1D/"
	    "Application_8f2c4d6e-1a3b-4c5d-9e7f-0a1b2c3d4e5f");
	ck_assert_int_eq(r->status, 2);
	ck_assert_str_eq(r->time, "2024-05-05T09:20:00.000000+02:00");

	r = &c->r[7];		/* DP02, boot image: protected */
	ck_assert_uint_eq(r->isv_len, sizeof(isv8));
	ck_assert_mem_eq(r->isv, isv8, sizeof(isv8));
	ck_assert_uint_eq(r->isv_data_size, 4);
	ck_assert(r->b[2]);
	ck_assert_int_eq(r->status, 1);

	r = &c->r[8];		/* milliseconds */
	ck_assert_str_eq(r->time, "2024-05-03T10:10:07.325000+02:00");

	r = &c->r[17];		/* DP03, driver package of PS2, January */
	ck_assert_str_eq(r->s[DP_P_SERVER_NAL_PATH], NAL_DP03);
	ck_assert_str_eq(r->s[DP_P_SITE_CODE], "PS2");
	ck_assert_str_eq(r->s[DP_P_SOURCE_SITE], "PS2");
	ck_assert_str_eq(r->s[DP_P_SITE_NAME], "Contoso Branch Sites");
	ck_assert_str_eq(r->s[DP_P_ISV_STRING],
	    "Zweigstelle Z\xc3\xbcrich \xe2\x80\x93 Au\xc3\x9f" "enlager");
	ck_assert_str_eq(r->time, "2024-01-17T09:45:12.000000+01:00");
	ck_assert_int_eq(r->package_type, 3);
	ck_assert_int_eq(r->object_type_id, 23);
	ck_assert(!r->b[0]);

	ck_assert_int_eq(c->r[11].status, 3);
	ck_assert_str_eq(c->r[18].s[DP_P_ISV_STRING], "ticket=CHG0031337");
	coll_free(c);
}
END_TEST

START_TEST(test_wps51_same_as_ps7)
{
	struct coll	*a = coll_new(), *b = coll_new();
	unsigned long	 w = 0;

	log_reset();
	ck_assert_int_eq(parse_file("sample-ps7.json", a, NULL), 0);
	ck_assert_int_eq(parse_file("sample-wps51-utf16.json", b, &w), 0);
	ck_assert_uint_eq(w, 0);
	ck_assert_uint_eq(b->n, a->n);
	for (size_t i = 0; i < a->n; i++) {
		/* \/Date(ms)\/ is UTC: same instant, but the offset the
		 * export was taken in is lost. */
		ck_same_record(&a->r[i], &b->r[i], P(DP_P_LAST_REFRESH_TIME));
		ck_assert(b->r[i].present & P(DP_P_LAST_REFRESH_TIME));
		ck_assert_int_eq(instant_ms(a->r[i].time),
		    instant_ms(b->r[i].time));
		ck_assert_msg(strstr(b->r[i].time, "+00:00") != NULL, "%s",
		    b->r[i].time);
	}
	/* Record 3 has the {value, DisplayHint, DateTime} form. */
	ck_assert_str_eq(b->r[2].time, "2024-05-03T07:10:00.000000+00:00");
	ck_assert_str_eq(b->r[17].s[DP_P_ISV_STRING],
	    "Zweigstelle Z\xc3\xbcrich \xe2\x80\x93 Au\xc3\x9f" "enlager");
	coll_free(a);
	coll_free(b);
}
END_TEST

START_TEST(test_csv_same_as_ps7)
{
	struct coll	*a = coll_new(), *b = coll_new();
	unsigned long	 w = 0;

	log_reset();
	ck_assert_int_eq(parse_file("sample-ps7.json", a, NULL), 0);
	ck_assert_int_eq(parse_file("sample-wmi.csv", b, &w), 0);
	ck_assert_uint_eq(b->n, a->n);
	for (size_t i = 0; i < a->n; i++) {
		/* DMTF keeps the offset: the same canonical text.  CSV has
		 * no ISVData ("System.Byte[]"): not present. */
		ck_same_record(&a->r[i], &b->r[i], P(DP_P_ISV_DATA));
		ck_assert(!(b->r[i].present & P(DP_P_ISV_DATA)));
	}
	/* "System.Byte[]" on two records: one warning per file. */
	ck_assert_uint_eq(w, 1);
	ck_assert_int_eq(nwarnings, 1);
	ck_log_has("sample-wmi.csv: record 5 (PackageID PS10005A): field "
	    "ISVData: \"System.Byte[]\"");
	coll_free(a);
	coll_free(b);
}
END_TEST

START_TEST(test_single_object)
{
	struct coll	*c = coll_new();

	log_reset();
	ck_assert_int_eq(parse_file("sample-single.json", c, NULL), 0);
	ck_assert_uint_eq(c->n, 1);
	ck_assert_uint_eq(c->r[0].present, ALL_PROPS);
	ck_assert_str_eq(c->r[0].s[DP_P_PACKAGE_ID], "PS100012");
	ck_assert_str_eq(c->r[0].s[DP_P_SERVER_NAL_PATH], NAL_DP01);
	ck_assert_int_eq(c->r[0].status, 1);
	ck_assert_uint_eq(c->r[0].isv_len, 3);
	ck_assert_uint_eq(c->r[0].isv_data_size, 3);
	ck_assert_str_eq(c->r[0].time, "2024-06-03T14:20:05.000000+02:00");
	coll_free(c);
}
END_TEST

START_TEST(test_recipe_and_typeline_csv)
{
	struct coll	*a = coll_new(), *b = coll_new(), *t = coll_new();
	unsigned long	 w = 0;

	log_reset();
	ck_assert_int_eq(parse_file("sample-ps7.json", a, NULL), 0);
	ck_assert_int_eq(parse_file("ok-recipe.csv", b, &w), 0);
	ck_assert_uint_eq(w, 0);
	ck_assert_uint_eq(b->n, 2);
	/* .ToString('o') has 7 fractional digits: the same text. */
	for (size_t i = 0; i < b->n; i++)
		ck_same_record(&a->r[i], &b->r[i], 0);

	ck_assert_int_eq(parse_file("ok-typeline.csv", t, &w), 0);
	ck_assert_uint_eq(t->n, 2);
	ck_assert_uint_eq(w, 1);
	ck_log_has("ok-typeline.csv: line 1: \"#TYPE\" line skipped");
	for (size_t i = 0; i < t->n; i++)
		ck_same_record(&b->r[i], &t->r[i], 0);
	coll_free(a);
	coll_free(b);
	coll_free(t);
}
END_TEST

/* ---- malformed files: each refusal names what it must ------------------ */

static const struct {
	const char	*file;
	size_t		 before;	/* records accepted before it */
	const char	*want[3];
} bad_files[] = {
	{ "bad-truncated.json", 2, { "bad-truncated.json: line 79, "
	    "column 18: ", "premature end of input", "(record 3)" } },
	{ "bad-types.json", 2, { "bad-types.json: record 3 (PackageID "
	    "PS100041): field Status: expected an integer, got the string "
	    "\"1\"" } },
	{ "bad-date-culture.csv", 1, { "bad-date-culture.csv: record 2 "
	    "(PackageID PS100034): field LastRefreshTime: \"5/2/2024 9:05:00 "
	    "AM\": not a DMTF, ISO 8601 or /Date()/ time", ".ToString('o')" } },
	{ "bad-utf8.csv", 0, { "bad-utf8.csv: record 1 (PackageID "
	    "PS100012): field SiteName: not valid UTF-8" } },
	{ "bad-dup-property.json", 1, { "bad-dup-property.json: line 55, "
	    "column 12: duplicate object key", "(record 2)" } },
	{ "bad-long-string.json", 1, { "bad-long-string.json: record 2 "
	    "(PackageID PS100034): field ISVString: 514 octets long, the MIB "
	    "allows at most 512: refused, never truncated" } },
	{ "bad-status-range.json", 1, { "bad-status-range.json: record 2 "
	    "(PackageID PS100034): field Status: 4294967296 is outside "
	    "Integer32" } },
	{ "bad-unterminated.csv", 1, { "bad-unterminated.csv: line 4, "
	    "column 1: the file ends inside a quoted field of record 2, which "
	    "began on line 3" } },
	{ "bad-fieldcount.csv", 1, { "bad-fieldcount.csv: record 2: 36 "
	    "fields on line 3, the header has 38" } },
};

START_TEST(test_bad_file)
{
	struct coll	*c = coll_new();

	log_reset();
	ck_assert_int_eq(parse_file(bad_files[_i].file, c, NULL), -1);
	ck_assert_uint_eq(c->n, bad_files[_i].before);
	ck_assert_int_eq(nerrors, 1);
	for (int k = 0; k < 3 && bad_files[_i].want[k] != NULL; k++)
		ck_log_has(bad_files[_i].want[k]);
	coll_free(c);
}
END_TEST

/* Duplicate class keys are the import's to find (dp_import_files): the
 * parser alone has no memory of earlier records. */
START_TEST(test_dup_key_parses)
{
	struct coll	*c = coll_new();

	log_reset();
	ck_assert_int_eq(parse_file("bad-dup-key.json", c, NULL), 0);
	ck_assert_uint_eq(c->n, 4);
	coll_free(c);
}
END_TEST

/* ---- encodings ------------------------------------------------------- */

static const char SMALL[] =
    "[{\"PackageID\":\"PS100012\",\"ServerNALPath\":\"\\\\\\\\DP01\\\\\","
    "\"SiteCode\":\"PS1\",\"SiteName\":\"Z\xc3\xbcrich \xf0\x9f\x98\x80\"}]";

/* SMALL in UTF-16 with a BOM (ASCII and two non-ASCII characters). */
static size_t
to_utf16(const char *s, bool be, uint8_t *out)
{
	size_t	 o = 0;
	uint32_t cp;

	out[o++] = be ? 0xfe : 0xff;
	out[o++] = be ? 0xff : 0xfe;
	while (*s != '\0') {
		const uint8_t *u = (const uint8_t *)s;
		uint16_t units[2];
		int	 n = 1;

		if (u[0] < 0x80) {
			cp = u[0];
			s += 1;
		} else if (u[0] < 0xe0) {
			cp = (uint32_t)(u[0] & 0x1f) << 6 | (u[1] & 0x3f);
			s += 2;
		} else if (u[0] < 0xf0) {
			cp = (uint32_t)(u[0] & 0x0f) << 12 |
			    (uint32_t)(u[1] & 0x3f) << 6 | (u[2] & 0x3f);
			s += 3;
		} else {
			cp = (uint32_t)(u[0] & 0x07) << 18 |
			    (uint32_t)(u[1] & 0x3f) << 12 |
			    (uint32_t)(u[2] & 0x3f) << 6 | (u[3] & 0x3f);
			s += 4;
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			units[0] = (uint16_t)(0xd800 | cp >> 10);
			units[1] = (uint16_t)(0xdc00 | (cp & 0x3ff));
			n = 2;
		} else
			units[0] = (uint16_t)cp;
		for (int k = 0; k < n; k++) {
			out[o++] = (uint8_t)(be ? units[k] >> 8 : units[k]);
			out[o++] = (uint8_t)(be ? units[k] : units[k] >> 8);
		}
	}
	return o;
}

START_TEST(test_utf16)
{
	uint8_t		 buf[1024];
	struct coll	*c = coll_new();
	size_t		 n;

	log_reset();
	for (int be = 0; be <= 1; be++) {
		coll_clear(c);
		n = to_utf16(SMALL, be, buf);
		ck_assert_int_eq(dp_import_parse("u16.json", buf, n, collect, c,
		    NULL), 0);
		ck_assert_uint_eq(c->n, 1);
		ck_assert_str_eq(c->r[0].s[DP_P_SITE_NAME],
		    "Z\xc3\xbcrich \xf0\x9f\x98\x80");
		ck_assert_str_eq(c->r[0].s[DP_P_SERVER_NAL_PATH],
		    "\\\\DP01\\");
	}
	coll_free(c);
}
END_TEST

/* The transcoder works in chunks of 32 MiB of input: a surrogate pair
 * cut by a chunk's end must come out whole. */
START_TEST(test_utf16_chunk_boundary)
{
	static const char head[] = "[{\"Pad\":\"";
	static const char tail[] = "\xf0\x9f\x98\x80\",\"PackageID\":\"P\","
	    "\"ServerNALPath\":\"N\",\"SiteCode\":\"S\",\"SiteName\":"
	    "\"\xf0\x9f\x98\x80\"}]";
	size_t		 pad = (32u << 20) / 2 - (sizeof(head) - 1) - 1;
	size_t		 n = sizeof(head) - 1 + pad + sizeof(tail);
	char		*text = malloc(n);
	uint8_t		*u16 = malloc(2 * n + 2);
	struct coll	*c = coll_new();
	size_t		 len;

	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(u16);
	memcpy(text, head, sizeof(head) - 1);
	memset(text + sizeof(head) - 1, 'a', pad);
	memcpy(text + sizeof(head) - 1 + pad, tail, sizeof(tail));
	len = to_utf16(text, false, u16);
	/* The high surrogate is the last unit of the first chunk. */
	ck_assert_int_eq(u16[2 + (32u << 20) - 1], 0xd8);
	ck_assert_int_eq(u16[2 + (32u << 20) + 1], 0xde);
	log_reset();
	ck_assert_int_eq(dp_import_parse("big.json", u16, len, collect, c,
	    NULL), 0);
	ck_assert_uint_eq(c->n, 1);
	ck_assert_str_eq(c->r[0].s[DP_P_SITE_NAME], "\xf0\x9f\x98\x80");
	coll_free(c);
	free(text);
	free(u16);
}
END_TEST

START_TEST(test_utf16_bad)
{
	uint8_t		 buf[1024];
	size_t		 n;
	uint8_t		*p;

	log_reset();
	n = to_utf16(SMALL, false, buf);
	/* Drop the low surrogate of the emoji: a lone high surrogate. */
	for (p = buf; p + 1 < buf + n && !(p[0] == 0x3d && p[1] == 0xd8); p++)
		continue;
	ck_assert(p + 1 < buf + n);
	memmove(p + 2, p + 4, (size_t)(buf + n - (p + 4)));
	ck_assert_int_eq(dp_import_parse("u16.json", buf, n - 2, NULL, NULL,
	    NULL), -1);
	ck_log_has("u16.json: line 1: invalid UTF-16LE at byte offset");

	log_reset();
	n = to_utf16(SMALL, false, buf);
	ck_assert_int_eq(dp_import_parse("odd.json", buf, n - 1, NULL, NULL,
	    NULL), -1);
	ck_log_has("odd.json: line 1: the file ends inside a UTF-16LE "
	    "character");

	log_reset();
	ck_assert_int_eq(dp_import_parse("u32.json", "\xff\xfe\0\0[\0\0\0",
	    8, NULL, NULL, NULL), -1);
	ck_log_has("u32.json: UTF-32 is not supported");

	log_reset();
	ck_assert_int_eq(dp_import_parse("nobom.json", "[\0{\0", 4, NULL,
	    NULL, NULL), -1);
	ck_log_has("nobom.json: NUL bytes at the start and no byte order "
	    "mark");
}
END_TEST

START_TEST(test_utf8_bom_and_empty)
{
	struct coll	*c = coll_new();
	unsigned long	 w = 0;
	char		 buf[512];

	log_reset();
	snprintf(buf, sizeof(buf), "\xef\xbb\xbf%s", SMALL);
	ck_assert_int_eq(parse_text(buf, c, &w), 0);
	ck_assert_uint_eq(c->n, 1);
	ck_assert_uint_eq(w, 0);

	/* Nothing but a BOM and white space: what a failed export leaves,
	 * refused (issue 18, item 5). */
	coll_clear(c);
	log_reset();
	ck_assert_int_eq(parse_text("\xef\xbb\xbf \r\n", c, &w), -1);
	ck_assert_uint_eq(c->n, 0);
	ck_log_has("t.json: the file is empty (6 bytes, no JSON or CSV in "
	    "it): not an export; nothing imported");
	log_reset();
	ck_assert_int_eq(parse_text("", c, &w), -1);
	ck_log_has("t.json: the file is empty (0 bytes, no JSON or CSV in "
	    "it): not an export; nothing imported");

	/* An export of no objects is well-formed. */
	log_reset();
	ck_assert_int_eq(parse_text(" [ ] \r\n", c, NULL), 0);
	ck_assert_uint_eq(c->n, 0);
	coll_free(c);
}
END_TEST

/* ---- JSON values --------------------------------------------------------- */

#define KEYS	"\"PackageID\":\"PS100012\"," \
		"\"ServerNALPath\":\"\\\\\\\\DP\\\\\"," \
		"\"SiteCode\":\"PS1\""
/* A whole record of SMS_DistributionPoint: its class needs a property
 * of its own. */
#define REC	KEYS ",\"Status\":0"

/* Parses one JSON record with KEYS and `extra`; returns the result. */
static int
one_json(const char *extra, struct coll *c, unsigned long *w)
{
	char	 buf[8192];

	coll_clear(c);
	log_reset();
	snprintf(buf, sizeof(buf), "{" KEYS "%s%s}", *extra ? "," : "",
	    extra);
	return parse_text(buf, c, w);
}

START_TEST(test_json_values)
{
	struct coll	*c = coll_new();
	unsigned long	 w = 0;

	ck_assert_int_eq(one_json("\"BitsEnabled\":true,\"IsPeerDP\":false,"
	    "\"IsProtected\":true,\"RefreshNow\":false,\"ISVDataSize\":"
	    "4294967295,\"Status\":3,\"PackageType\":7,\"ObjectTypeID\":31,"
	    "\"LastRefreshTime\":\"2024-05-01T10:00:00.1234567Z\","
	    "\"SiteName\":\"\",\"ISVData\":[]", c, &w), 0);
	ck_assert_uint_eq(c->n, 1);
	ck_assert(c->r[0].b[0] && !c->r[0].b[1] && c->r[0].b[2]);
	ck_assert_uint_eq(c->r[0].isv_data_size, 4294967295u);
	ck_assert_int_eq(c->r[0].status, 3);
	ck_assert_int_eq(c->r[0].package_type, 7);
	ck_assert_str_eq(c->r[0].time, "2024-05-01T10:00:00.123456+00:00");
	ck_assert_str_eq(c->r[0].s[DP_P_SITE_NAME], "");
	ck_assert(c->r[0].present & P(DP_P_ISV_DATA));
	ck_assert_uint_eq(c->r[0].isv_len, 0);
	/* Kept, but the size does not match the data (test_isv_data_size). */
	ck_assert_uint_eq(w, 1);
	ck_log_has("field ISVDataSize: 4294967295, but ISVData has 0 octets");

	/* Names are case-insensitive, unknown ones ignored whatever they
	 * hold. */
	coll_clear(c);
	log_reset();
	ck_assert_int_eq(parse_text("[{\"packageid\":\"P1\",\"SERVERNALPATH\":"
	    "\"N\",\"sitecode\":\"S\",\"__PATH\":\"x\",\"CimClass\":{\"a\":"
	    "[1,{\"b\":null}]},\"PSComputerName\":null,\"status\":1.5e0}]",
	    c, NULL), -1);
	ck_log_has("t.json: record 1 (PackageID P1): field Status: expected "
	    "an integer, got the number 1.5");

	/* null keeps the stored value: present bit clear. */
	ck_assert_int_eq(one_json("\"Status\":null,\"ISVData\":null,"
	    "\"LastRefreshTime\":{\"value\":null,\"DisplayHint\":2},"
	    "\"SiteName\":null", c, NULL), 0);
	ck_assert_uint_eq(c->r[0].present, P(DP_P_PACKAGE_ID) |
	    P(DP_P_SERVER_NAL_PATH) | P(DP_P_SITE_CODE));

	/* Windows PowerShell 5.1's wrapped array. */
	ck_assert_int_eq(one_json("\"ISVData\":{\"value\":[1,2],\"Count\":2}",
	    c, NULL), 0);
	ck_assert_uint_eq(c->r[0].isv_len, 2);
	ck_assert_int_eq(c->r[0].isv[1], 2);

	/* "System.Byte[]": warned, kept. */
	w = 0;
	ck_assert_int_eq(one_json("\"ISVData\":\"System.Byte[]\"", c, &w), 0);
	ck_assert(!(c->r[0].present & P(DP_P_ISV_DATA)));
	ck_assert_uint_eq(w, 1);

	/* A DMTF time without offset and a \/Date()\/ with one. */
	ck_assert_int_eq(one_json("\"LastRefreshTime\":"
	    "\"19900101000000.000000+***\"", c, NULL), 0);
	ck_assert_str_eq(c->r[0].time, "1990-01-01T00:00:00.000000");
	ck_assert_int_eq(one_json("\"LastRefreshTime\":"
	    "\"\\/Date(1714557600000+0200)\\/\"", c, NULL), 0);
	ck_assert_str_eq(c->r[0].time, "2024-05-01T12:00:00.000000+02:00");
	coll_free(c);
}
END_TEST

static const struct {
	const char	*extra;
	const char	*want;
} json_refusals[] = {
	{ "\"Status\":\"1\"", "field Status: expected an integer, got the "
	    "string \"1\"" },
	{ "\"Status\":true", "field Status: expected an integer, got true" },
	{ "\"Status\":2147483648", "field Status: 2147483648 is outside "
	    "Integer32" },
	{ "\"PackageType\":-2147483649", "field PackageType: -2147483649 is "
	    "outside Integer32" },
	{ "\"ISVDataSize\":4294967296", "field ISVDataSize: 4294967296 is "
	    "outside UInt32 (0..4294967295): refused" },
	{ "\"ISVDataSize\":-1", "field ISVDataSize: -1 is outside UInt32" },
	{ "\"BitsEnabled\":\"True\"", "field BitsEnabled: expected true or "
	    "false, got the string \"True\"" },
	{ "\"BitsEnabled\":1", "field BitsEnabled: expected true or false, "
	    "got the integer 1" },
	{ "\"SiteName\":5", "field SiteName: expected a string, got the "
	    "integer 5" },
	{ "\"ISVData\":[1,256]", "field ISVData: element 1 is the integer "
	    "256, not an octet" },
	{ "\"ISVData\":\"AQID\"", "field ISVData: expected an array of "
	    "octets, got the string \"AQID\"" },
	{ "\"LastRefreshTime\":\"5/1/2024 10:00:00 AM\"", "field "
	    "LastRefreshTime: \"5/1/2024 10:00:00 AM\": not a DMTF, ISO 8601 "
	    "or /Date()/ time; this looks like a date in a culture's format" },
	{ "\"LastRefreshTime\":\"2024-02-30T10:00:00Z\"", "field "
	    "LastRefreshTime: \"2024-02-30T10:00:00Z\": day out of range" },
	{ "\"LastRefreshTime\":{\"DateTime\":\"x\"}", "field "
	    "LastRefreshTime: a DateTime object without a \"value\" member" },
	{ "\"LastRefreshTime\":12", "field LastRefreshTime: expected a date "
	    "string, got the integer 12" },
	{ "\"Status\":1,\"status\":2", "field Status: given twice in one "
	    "record (again as \"status\")" },
	{ "\"SourceSite\":\"PS10\"", "field SourceSite: 4 octets long, the "
	    "MIB allows at most 3" },
	{ "\"SiteName\":\"a\\u0000b\"", "t.json: line 1, column 89: a "
	    "string contains \\u0000 (NUL)" },
	{ "\"Status\":99999999999999999999", "too big integer" },
};

START_TEST(test_json_refusal)
{
	struct coll	*c = coll_new();

	ck_assert_int_eq(one_json(json_refusals[_i].extra, c, NULL), -1);
	ck_assert_uint_eq(c->n, 0);
	ck_assert_int_eq(nerrors, 1);
	ck_log_has(json_refusals[_i].want);
	if (strstr(json_refusals[_i].want, "field") != NULL)
		ck_log_has("t.json: record 1 (PackageID PS100012): field ");
	coll_free(c);
}
END_TEST

START_TEST(test_json_keys)
{
	struct coll	*c = coll_new();

	log_reset();
	ck_assert_int_eq(parse_text("{\"ServerNALPath\":\"N\",\"SiteCode\":"
	    "\"S\"}", c, NULL), -1);
	ck_log_has("t.json: record 1: field PackageID: missing");

	log_reset();
	ck_assert_int_eq(parse_text("{\"PackageID\":\"P\",\"ServerNALPath\":"
	    "null,\"SiteCode\":\"S\"}", c, NULL), -1);
	ck_log_has("t.json: record 1 (PackageID P): field ServerNALPath: "
	    "null: a key property needs a value");

	log_reset();
	ck_assert_int_eq(parse_text("{\"PackageID\":\"P\",\"ServerNALPath\":"
	    "\"N\",\"SiteCode\":\"\"}", c, NULL), -1);
	ck_log_has("field SiteCode: empty: a key property needs a value");

	/* 3 octets, 2 characters: within the limit. */
	log_reset();
	ck_assert_int_eq(parse_text("{\"PackageID\":\"P\",\"ServerNALPath\":"
	    "\"N\",\"SiteCode\":\"\xc3\x84" "B\",\"Status\":0}", c, NULL),
	    0);
	ck_assert_uint_eq(c->n, 1);

	/* PackageID is named even when it comes last. */
	log_reset();
	ck_assert_int_eq(parse_text("{\"Status\":\"x\",\"ServerNALPath\":"
	    "\"N\",\"SiteCode\":\"S\",\"PackageID\":\"PLAST\"}", c, NULL), -1);
	ck_log_has("t.json: record 1 (PackageID PLAST): field Status:");
	coll_free(c);
}
END_TEST

START_TEST(test_json_enum_warnings)
{
	struct coll	*c = coll_new();
	unsigned long	 w = 0;

	/* Unknown but within Integer32: stored, with a warning each. */
	ck_assert_int_eq(one_json("\"Status\":7,\"PackageType\":-1,"
	    "\"ObjectTypeID\":2147483647", c, &w), 0);
	ck_assert_uint_eq(c->n, 1);
	ck_assert_int_eq(c->r[0].status, 7);
	ck_assert_int_eq(c->r[0].package_type, -1);
	ck_assert_int_eq(c->r[0].object_type_id, 2147483647);
	ck_assert_uint_eq(w, 3);
	ck_assert_int_eq(nwarnings, 3);
	ck_log_has("t.json: record 1 (PackageID PS100012): field Status: 7 "
	    "is not a value this MIB enumerates; stored as it is");
	ck_log_has("field PackageType: -1 is not a value");
	ck_log_has("field ObjectTypeID: 2147483647 is not a value");

	/* Once per value and file, with a count at the end. */
	coll_clear(c);
	log_reset();
	w = 0;
	ck_assert_int_eq(parse_text("[{" KEYS ",\"Status\":7},{\"PackageID\":"
	    "\"P2\",\"ServerNALPath\":\"N\",\"SiteCode\":\"S\",\"Status\":7},"
	    "{\"PackageID\":\"P3\",\"ServerNALPath\":\"N\",\"SiteCode\":\"S\","
	    "\"Status\":8}]", c, &w), 0);
	ck_assert_uint_eq(c->n, 3);
	ck_assert_int_eq(c->r[1].status, 7);
	ck_assert_uint_eq(w, 2);
	ck_log_has("t.json: record 1 (PackageID PS100012): field Status: 7 "
	    "is not a value this MIB enumerates; stored as it is (warned "
	    "once per value and file)");
	ck_log_has("t.json: record 3 (PackageID P3): field Status: 8 is not");
	ck_log_has("t.json: field Status: value 7 on 2 records, the first "
	    "record 1");
	coll_free(c);
}
END_TEST

START_TEST(test_json_syntax)
{
	struct coll	*c = coll_new();

	log_reset();
	ck_assert_int_eq(parse_text("[{" REC "},\n 5]", c, NULL), -1);
	ck_assert_uint_eq(c->n, 1);
	ck_log_has("t.json: line 2, column 2: record 2 is not a JSON object");

	log_reset();
	ck_assert_int_eq(parse_text("[{" REC "}] x", c, NULL), -1);
	ck_log_has("text after the JSON array");

	log_reset();
	ck_assert_int_eq(parse_text("[{" REC "},]", c, NULL), -1);
	ck_log_has("record 2 is not a JSON object");

	log_reset();
	ck_assert_int_eq(parse_text("[{" REC "} {" REC "}]", c, NULL), -1);
	ck_log_has("expected ',' or ']' after record 1");

	log_reset();
	ck_assert_int_eq(parse_text("[{" REC "},", c, NULL), -1);
	ck_log_has("the file ends inside the array (truncated?)");

	log_reset();
	ck_assert_int_eq(parse_text("{" REC "} {", c, NULL), -1);
	ck_log_has("text after the JSON object");

	/* A string holding brackets and escaped quotes does not fool the
	 * cutting of the array into records. */
	coll_clear(c);
	log_reset();
	ck_assert_int_eq(parse_text("[{" REC ",\"x\":\"}]\\\"{[\"},{"
	    "\"PackageID\":\"P2\",\"ServerNALPath\":\"N\",\"SiteCode\":\"S\","
	    "\"Status\":0}]", c, NULL), 0);
	ck_assert_uint_eq(c->n, 2);

	/* Columns count characters, as jansson's do. */
	log_reset();
	ck_assert_int_eq(parse_text("[{\"SiteName\":\"\xc3\xa4\xc3\xa4\","
	    "\"Status\":01}]", c, NULL), -1);
	ck_log_has("t.json: line 1, column 28: ");
	coll_free(c);
}
END_TEST

/* ISVDataSize is the length of ISVData: a mismatch is kept and named. */
START_TEST(test_isv_data_size)
{
	struct coll	*c = coll_new();
	unsigned long	 w = 0;

	ck_assert_int_eq(one_json("\"ISVDataSize\":3,\"ISVData\":[1,2,3]", c,
	    &w), 0);
	ck_assert_uint_eq(w, 0);
	ck_assert_int_eq(nwarnings, 0);

	w = 0;
	ck_assert_int_eq(one_json("\"ISVData\":[1,2,3],\"ISVDataSize\":2", c,
	    &w), 0);
	ck_assert_uint_eq(c->n, 1);
	ck_assert_uint_eq(c->r[0].isv_data_size, 2);
	ck_assert_uint_eq(c->r[0].isv_len, 3);
	ck_assert_uint_eq(w, 1);
	ck_assert_int_eq(nerrors, 0);
	ck_log_has("t.json: record 1 (PackageID PS100012): field ISVDataSize: "
	    "2, but ISVData has 3 octets: stored as exported");

	/* Without the data in the record (lazy: null, or what PowerShell
	 * writes beyond -Depth) there is nothing to compare. */
	w = 0;
	ck_assert_int_eq(one_json("\"ISVDataSize\":7,\"ISVData\":null", c,
	    &w), 0);
	ck_assert_uint_eq(w, 0);
	ck_assert_int_eq(one_json("\"ISVDataSize\":7,\"ISVData\":"
	    "\"System.Byte[]\"", c, &w), 0);
	ck_assert_uint_eq(w, 1);
	ck_log_has("System.Byte[]");
	ck_assert(strstr(logbuf, "but ISVData has") == NULL);
	coll_free(c);
}
END_TEST

/*
 * Found by tests/fuzz: what a log line quotes from the file is escaped.
 * jansson's "near '...'" cut a UTF-8 character in two (fuzz_json), and a
 * PackageID with a control character went raw into every message about
 * its record (fuzz_csv); the logs are UTF-8 and one line per message.
 */
START_TEST(test_log_lines_escaped)
{
	struct coll	*c = coll_new();
	const char	*text;

	log_reset();
	ck_assert_int_eq(parse_text("[{\"PackageID\":\"\\\xc3\xa9\"}]", c,
	    NULL), -1);
	ck_assert_int_eq(nerrors, 1);
	ck_log_has("invalid escape near '\"\\\\xc3'");
	ck_assert(dp_utf8_valid(logbuf, loglen));

	log_reset();
	text = "\"PackageID\",\"ServerNALPath\",\"SiteCode\",\"Status\"\r\n"
	    "\"P\x12\n1\",\"N\",\"S\",\"x\"\r\n";
	ck_assert_int_eq(dp_import_parse("t.csv", text, strlen(text), collect,
	    c, NULL), -1);
	ck_assert_int_eq(nerrors, 1);
	ck_log_has("t.csv: record 1 (PackageID P\\x12\\x0a1): field Status: ");
	ck_assert(memchr(logbuf, 0x12, loglen) == NULL);
	/* One message, one line. */
	ck_assert_ptr_eq(strchr(logbuf, '\n'), logbuf + loglen - 1);
	coll_free(c);
}
END_TEST

START_TEST(test_callback_stops)
{
	struct coll	*c = coll_new();

	log_reset();
	c->fail_at = 3;
	ck_assert_int_eq(parse_file("sample-ps7.json", c, NULL), -1);
	ck_assert_uint_eq(c->n, 2);
	coll_clear(c);
	ck_assert_int_eq(parse_file("sample-wmi.csv", c, NULL), -1);
	ck_assert_uint_eq(c->n, 2);
	coll_free(c);
}
END_TEST

/* ---- CSV values ------------------------------------------------------ */

#define CSV_HEAD "\"PackageID\",\"ServerNALPath\",\"SiteCode\"," \
		 "\"PSComputerName\","
#define CSV_KEYS "\"PS100012\",\"\\\\DP01\\\",\"PS1\",\"x\","

static int
csv_text(const char *text, struct coll *c, unsigned long *w)
{
	return dp_import_parse("t.csv", text, strlen(text), collect, c, w);
}

static int
one_csv(const char *cols, const char *vals, struct coll *c,
    unsigned long *w)
{
	char	 buf[4096];

	coll_clear(c);
	log_reset();
	snprintf(buf, sizeof(buf), CSV_HEAD "%s\r\n" CSV_KEYS "%s\r\n", cols,
	    vals);
	return dp_import_parse("t.csv", buf, strlen(buf), collect, c, w);
}

START_TEST(test_csv_values)
{
	struct coll	*c = coll_new();
	unsigned long	 w = 0;

	ck_assert_int_eq(one_csv("\"BitsEnabled\",\"IsPeerDP\",\"Status\","
	    "\"ISVDataSize\",\"ISVString\",\"LastRefreshTime\",\"ISVData\","
	    "\"SiteName\"", "\"True\",\"false\",\"\",\"12\",\"\","
	    "\"20240501100000.000000-300\",\"\",\"a \"\"b\"\",\r\nc\"", c,
	    &w), 0);
	ck_assert_uint_eq(c->n, 1);
	ck_assert(c->r[0].b[0] && !c->r[0].b[1]);
	/* Empty: null for a number, "" for a string. */
	ck_assert(!(c->r[0].present & P(DP_P_STATUS)));
	ck_assert(!(c->r[0].present & P(DP_P_ISV_DATA)));
	ck_assert(c->r[0].present & P(DP_P_ISV_STRING));
	ck_assert_str_eq(c->r[0].s[DP_P_ISV_STRING], "");
	ck_assert_uint_eq(c->r[0].isv_data_size, 12);
	ck_assert_str_eq(c->r[0].time, "2024-05-01T10:00:00.000000-05:00");
	ck_assert_str_eq(c->r[0].s[DP_P_SITE_NAME], "a \"b\",\r\nc");
	ck_assert_str_eq(c->r[0].s[DP_P_SERVER_NAL_PATH], "\\\\DP01\\");
	ck_assert_uint_eq(w, 0);

	/* Unquoted fields and no final newline are fine too. */
	coll_clear(c);
	log_reset();
	ck_assert_int_eq(csv_text("PackageID,ServerNALPath,SiteCode,"
	    "Status\nP1,N,S,4\nP2,N,S,0", c, &w), 0);
	ck_assert_uint_eq(c->n, 2);
	ck_assert_int_eq(c->r[0].status, 4);
	ck_assert_uint_eq(w, 1);	/* 4 is not a known Status */
	ck_log_has("t.csv: record 1 (PackageID P1): field Status: 4 is not "
	    "a value this MIB enumerates");
	coll_free(c);
}
END_TEST

static const struct {
	const char	*col;
	const char	*val;
	const char	*want;
} csv_refusals[] = {
	{ "\"Status\"", "\"4294967296\"", "field Status: \"4294967296\": "
	    "number out of range" },
	{ "\"Status\"", "\"one\"", "field Status: \"one\": not a decimal "
	    "number" },
	{ "\"ISVDataSize\"", "\"-1\"", "field ISVDataSize: \"-1\": not a "
	    "decimal number" },
	{ "\"BitsEnabled\"", "\"yes\"", "field BitsEnabled: \"yes\": not a "
	    "boolean" },
	{ "\"ISVData\"", "\"1 2 3\"", "field ISVData: \"1 2 3\": Export-Csv "
	    "writes a byte array as \"System.Byte[]\" or nothing" },
	{ "\"LastRefreshTime\"", "\"01.05.2024 10:00:00\"", "field "
	    "LastRefreshTime: \"01.05.2024 10:00:00\": not a DMTF, ISO 8601 "
	    "or /Date()/ time; this looks like a date in a culture's format" },
	{ "\"SiteName\"", "\"\xff\"", "field SiteName: not valid UTF-8" },
	{ "\"Status\"", "\" 1\"", "field Status: \" 1\": not a decimal "
	    "number" },
};

START_TEST(test_csv_refusal)
{
	struct coll	*c = coll_new();

	ck_assert_int_eq(one_csv(csv_refusals[_i].col, csv_refusals[_i].val,
	    c, NULL), -1);
	ck_assert_uint_eq(c->n, 0);
	ck_assert_int_eq(nerrors, 1);
	ck_log_has("t.csv: record 1 (PackageID PS100012): ");
	ck_log_has(csv_refusals[_i].want);
	coll_free(c);
}
END_TEST

START_TEST(test_csv_structure)
{
	struct coll	*c = coll_new();
	static const char nul_field[] = "PackageID,ServerNALPath,SiteCode\n"
	    "P1,N\0X,S\n";

	log_reset();
	ck_assert_int_eq(csv_text("\"Name\",\"Status\"\r\n"
	    "\"a\",\"1\"\r\n", c, NULL), -1);
	ck_log_has("t.csv: line 1: the header has no PackageID column");

	/* Export-Csv -UseCulture: ';' between fields, quoted or not, read
	 * as such with a warning (issue 18, item 10). */
	log_reset();
	coll_clear(c);
	ck_assert_int_eq(csv_text("\"PackageID\";\"ServerNALPath\";"
	    "\"SiteCode\";\"Status\"\r\n\"P1\";\"N;1\";\"S\";\"2\"\r\n", c,
	    NULL), 0);
	ck_assert_uint_eq(c->n, 1);
	ck_assert_str_eq(c->r[0].s[DP_P_SERVER_NAL_PATH], "N;1");
	ck_assert_int_eq(c->r[0].status, 2);
	ck_log_has("t.csv: line 1: fields separated by ';' (Export-Csv "
	    "-UseCulture): read as such");
	log_reset();
	coll_clear(c);
	ck_assert_int_eq(csv_text("PackageID;ServerNALPath;SiteCode;Status\r\n"
	    "P1;N;S;0\r\n", c, NULL), 0);
	ck_assert_uint_eq(c->n, 1);
	ck_assert_str_eq(c->r[0].s[DP_P_SITE_CODE], "S");

	/* Excel's "sep=" first line, then a #TYPE line. */
	log_reset();
	coll_clear(c);
	ck_assert_int_eq(csv_text("sep=;\r\n#TYPE x\r\nPackageID;"
	    "ServerNALPath;SiteCode;Status\r\nP1;N;S;0\r\n", c, NULL), 0);
	ck_assert_uint_eq(c->n, 1);
	ck_log_has("t.csv: line 1: Excel's \"sep=;\" line skipped");
	ck_log_has("t.csv: line 2: \"#TYPE\" line skipped");
	log_reset();
	coll_clear(c);
	ck_assert_int_eq(csv_text("sep=,\nPackageID,ServerNALPath,SiteCode,"
	    "Status\nP1,N,S,0\n", c, NULL), 0);
	ck_assert_uint_eq(c->n, 1);

	/* "sep=" with a newline for a delimiter is no sep line (found by
	 * fuzz_json): the header that follows is read as usual. */
	log_reset();
	coll_clear(c);
	ck_assert_int_eq(csv_text("sep=\n\nPackageID,ServerNALPath,SiteCode,"
	    "Status\nP1,N,S,0\n", c, NULL), -1);
	ck_assert(strstr(logbuf, "sep=\n") == NULL);

	/* A doubled BOM. */
	log_reset();
	coll_clear(c);
	ck_assert_int_eq(csv_text("\xef\xbb\xbf\xef\xbb\xbfPackageID,"
	    "ServerNALPath,SiteCode,Status\r\nP1,N,S,0\r\n", c, NULL), 0);
	ck_assert_uint_eq(c->n, 1);
	ck_assert_str_eq(c->r[0].s[DP_P_PACKAGE_ID], "P1");
	ck_log_has("t.csv: more than one byte order mark at the start "
	    "(converted twice?): skipped");
	coll_clear(c);

	log_reset();
	ck_assert_int_eq(csv_text("PackageID,ServerNALPath,"
	    "SiteCode,status,Status\r\n", c, NULL), -1);
	ck_log_has("t.csv: line 1: columns 4 and 5 of the header both name "
	    "Status");

	/* Strict quoting: text after a closing quote. */
	log_reset();
	coll_clear(c);
	ck_assert_int_eq(csv_text("PackageID,ServerNALPath,"
	    "SiteCode,Status\r\n\"P1\",\"N\",\"S\",0\r\n\"P2\"x,\"N\",\"S\",0\r\n", c,
	    NULL), -1);
	ck_assert_uint_eq(c->n, 1);
	ck_log_has("t.csv: line 3, column 5: a quote inside an unquoted "
	    "field, or text after a closing quote (record 2)");

	/* A quote inside an unquoted field. */
	log_reset();
	ck_assert_int_eq(csv_text("PackageID,ServerNALPath,"
	    "SiteCode\nP\"1,N,S\n", c, NULL), -1);
	ck_log_has("t.csv: line 2, column 2: a quote inside");

	/* An empty key in CSV is an empty string: refused. */
	log_reset();
	ck_assert_int_eq(csv_text("PackageID,ServerNALPath,"
	    "SiteCode\n\"P1\",\"\",\"S\"\n", c, NULL), -1);
	ck_log_has("t.csv: record 1 (PackageID P1): field ServerNALPath: "
	    "empty");

	/* A NUL inside a field. */
	log_reset();
	ck_assert_int_eq(dp_import_parse("t.csv", nul_field,
	    sizeof(nul_field) - 1, collect, c, NULL), -1);
	ck_log_has("t.csv: record 1 (PackageID P1): field ServerNALPath: not "
	    "valid UTF-8 (or contains a NUL character)");

	/* A header and nothing else: no records, a warning. */
	log_reset();
	ck_assert_int_eq(csv_text("PackageID,ServerNALPath,"
	    "SiteCode\r\n", c, NULL), 0);
	ck_log_has("t.csv: no records");
	coll_free(c);
}
END_TEST

/* ---- against a real store -------------------------------------------- */

static struct dp_store	*st;

static void
store_setup(void)
{
	st = fixture_store_open("check_import", 1000);
}

static void
store_teardown(void)
{
	fixture_store_close(st);
	st = NULL;
}

static char paths[4][512];

static int
import(bool snapshot, struct dp_import_counts *cnt, unsigned long *w,
    const char *f1, const char *f2)
{
	const char	*files[2];
	size_t		 n = 0;

	snprintf(paths[0], sizeof(paths[0]), "%s/%s", DP_TEST_DATA, f1);
	files[n++] = paths[0];
	if (f2 != NULL) {
		snprintf(paths[1], sizeof(paths[1]), "%s/%s", DP_TEST_DATA, f2);
		files[n++] = paths[1];
	}
	return dp_import_files(st, files, n, snapshot, cnt, w);
}

/* The row of PackageID pkg on nal/site; fails the test if absent. */
static void
row_of(const char *pkg, const char *nal, const char *site, struct dp_row *r)
{
	uint32_t	 s, p;

	ck_assert_int_eq(dp_store_server_find(st, nal, site, &s), 1);
	ck_assert_int_eq(dp_store_package_find(st, pkg, &p), 1);
	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(dp_store_row_get(st, s, p, r), 1);
}

START_TEST(test_store_import)
{
	struct dp_import_counts	 cnt;
	struct dp_scalars	 sc;
	struct dp_row		 r;
	unsigned long		 w = 0;

	log_reset();
	ck_assert_int_eq(import(false, &cnt, &w, "sample-ps7.json", NULL), 0);
	ck_assert_uint_eq(cnt.records, 24);
	ck_assert_uint_eq(cnt.inserted, 24);
	ck_assert_uint_eq(cnt.updated, 0);
	ck_assert_uint_eq(w, 0);
	ck_log_has("import: 24 records: 24 inserted, 0 updated, 0 unchanged, "
	    "0 removed, 0 warnings");
	ck_assert_int_eq(dp_store_scalars(st, &sc), 0);
	ck_assert_uint_eq(sc.rows, 24);
	ck_assert_uint_eq(sc.servers, 4);
	ck_assert_uint_eq(sc.packages, 6);
	ck_assert_int_gt(sc.last_import_ms, 0);

	row_of("PS200003", NAL_DP03, "PS2", &r);
	ck_assert_str_eq(r.isv_string,
	    "Zweigstelle Z\xc3\xbcrich \xe2\x80\x93 Au\xc3\x9f" "enlager");
	ck_assert_str_eq(r.last_refresh_time,
	    "2024-01-17T09:45:12.000000+01:00");

	/* The same file again: nothing changes. */
	ck_assert_int_eq(import(false, &cnt, &w, "sample-ps7.json", NULL), 0);
	ck_assert_uint_eq(cnt.records, 24);
	ck_assert_uint_eq(cnt.unchanged, 24);
	ck_assert_uint_eq(cnt.inserted + cnt.updated + cnt.removed, 0);

	/* The same rows from Get-WmiObject | Export-Csv: DMTF dates keep
	 * the offset, ISVData is "System.Byte[]" (kept): all unchanged. */
	ck_assert_int_eq(import(false, &cnt, &w, "sample-wmi.csv", NULL), 0);
	ck_assert_uint_eq(cnt.unchanged, 24);
	ck_assert_uint_eq(w, 1);
	row_of("PS10005A", NAL_DP01, "PS1", &r);
	ck_assert_uint_eq(r.isv_data_len, 8);
	ck_assert_int_eq(r.isv_data[0], 67);
	ck_assert_uint_eq(r.isv_data_size, 8);
}
END_TEST

START_TEST(test_store_null_keeps)
{
	struct dp_import_counts	 cnt;
	struct dp_row		 r;

	log_reset();
	ck_assert_int_eq(import(false, &cnt, NULL, "sample-single.json",
	    NULL), 0);
	ck_assert_uint_eq(cnt.inserted, 1);
	/* The listing has ISVData and ISVDataSize null for this row. */
	ck_assert_int_eq(import(false, &cnt, NULL, "sample-ps7.json", NULL),
	    0);
	ck_assert_uint_eq(cnt.inserted, 23);
	ck_assert_uint_eq(cnt.updated, 1);
	row_of("PS100012", NAL_DP01, "PS1", &r);
	ck_assert_uint_eq(r.isv_data_len, 3);
	ck_assert_int_eq(r.isv_data[2], 3);
	ck_assert_uint_eq(r.isv_data_size, 3);
	ck_assert_int_eq(r.status, 0);	/* present: replaced */
	ck_assert_str_eq(r.last_refresh_time,
	    "2024-05-01T09:00:00.000000+02:00");
}
END_TEST

START_TEST(test_store_snapshot)
{
	struct dp_import_counts	 cnt;
	struct dp_scalars	 sc;

	log_reset();
	ck_assert_int_eq(import(false, &cnt, NULL, "sample-ps7.json", NULL),
	    0);
	ck_assert_int_eq(import(true, &cnt, NULL, "sample-single.json", NULL),
	    0);
	ck_assert_uint_eq(cnt.records, 1);
	ck_assert_uint_eq(cnt.updated, 1);
	ck_assert_uint_eq(cnt.removed, 23);
	ck_assert_int_eq(dp_store_scalars(st, &sc), 0);
	ck_assert_uint_eq(sc.rows, 1);
	ck_assert_uint_eq(sc.servers, 1);
	ck_assert_uint_eq(sc.packages, 1);
}
END_TEST

static const struct {
	const char	*f1;
	const char	*f2;
	const char	*want;
} store_refusals[] = {
	/* A good file, then a bad one: the good one's changes go too. */
	{ "ok-new-server.json", "bad-status-range.json",
	    "bad-status-range.json: record 2 (PackageID PS100034): field "
	    "Status: 4294967296 is outside Integer32" },
	{ "bad-dup-key.json", NULL, "bad-dup-key.json: record 4 (PackageID "
	    "PS100034): same class key (PackageID, ServerNALPath, SiteCode) "
	    "as record 2: refused" },
	{ "sample-wmi.csv", "sample-single.json", "sample-single.json: "
	    "record 1 (PackageID PS100012): same class key (PackageID, "
	    "ServerNALPath, SiteCode) as record 1 of " DP_TEST_DATA
	    "/sample-wmi.csv: refused" },
	{ "ok-new-server.json", "bad-truncated.json",
	    "bad-truncated.json: line 79, column 18: premature end of input" },
	{ "ok-new-server.json", "no-such-file.json", "no-such-file.json: No "
	    "such file or directory" },
	{ "ok-new-server.json", "bad-empty.json", "bad-empty.json: the file "
	    "is empty (0 bytes, no JSON or CSV in it): not an export; nothing "
	    "imported" },
};

/* A run without a single record ("[]", a CSV header alone) succeeds but
 * does not move the import time (issue 18, item 5). */
START_TEST(test_store_no_records_keeps_import_time)
{
	static const char *const texts[] = { "[]\n",
	    "\"PackageID\",\"ServerNALPath\",\"SiteCode\"\r\n" };
	static const char *const names[] = { "none.json", "none.csv" };
	struct dp_import_counts	 cnt;
	struct dp_scalars	 a, b;
	char			 path[512];
	const char		*files[1] = { path };
	FILE			*fp;

	ck_assert_int_eq(import(false, &cnt, NULL, "sample-ps7.json", NULL),
	    0);
	ck_assert_int_eq(dp_store_scalars(st, &a), 0);
	ck_assert_int_gt(a.last_import_ms, 0);
	usleep(20000);
	snprintf(path, sizeof(path), "%s/%s", fixture_dir, names[_i]);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs(texts[_i], fp);
	fclose(fp);
	ck_assert_int_eq(dp_import_files(st, files, 1, false, &cnt, NULL), 0);
	ck_assert_uint_eq(cnt.records, 0);
	ck_assert_int_eq(dp_store_scalars(st, &b), 0);
	ck_assert_int_eq(b.last_import_ms, a.last_import_ms);
	ck_assert_uint_eq(b.rows, a.rows);
	/* A run with records does move it. */
	ck_assert_int_eq(import(false, &cnt, NULL, "sample-ps7.json", NULL),
	    0);
	ck_assert_int_eq(dp_store_scalars(st, &b), 0);
	ck_assert_int_gt(b.last_import_ms, a.last_import_ms);
}
END_TEST

START_TEST(test_store_refused_unchanged)
{
	struct dp_import_counts	 cnt;
	struct dp_scalars	 a, b;
	struct dp_row		 ra, rb;
	unsigned long		 w = 0;

	/* Compared byte for byte below: no stack garbage in the padding. */
	memset(&a, 0, sizeof(a));
	log_reset();
	ck_assert_int_eq(import(false, &cnt, NULL, "sample-ps7.json", NULL),
	    0);
	ck_assert_int_eq(dp_store_scalars(st, &a), 0);
	row_of("PS100012", NAL_DP01, "PS1", &ra);
	row_of("PS100034", NAL_DP01, "PS1", &rb);

	log_reset();
	ck_assert_int_eq(import(false, &cnt, &w, store_refusals[_i].f1,
	    store_refusals[_i].f2), -1);
	ck_log_has(store_refusals[_i].want);
	ck_assert_int_ge(nerrors, 1);

	/* Nothing moved: counts, change counter, import time, rows. */
	{
		struct dp_scalars	 a2;
		struct dp_row		 r2;
		uint32_t		 idx;

		memset(&a2, 0, sizeof(a2));
		ck_assert_int_eq(dp_store_scalars(st, &a2), 0);
		ck_assert_mem_eq(&a, &a2, sizeof(a));
		row_of("PS100012", NAL_DP01, "PS1", &r2);
		ck_assert_mem_eq(&ra, &r2, sizeof(ra));
		row_of("PS100034", NAL_DP01, "PS1", &r2);
		ck_assert_mem_eq(&rb, &r2, sizeof(rb));
		/* The server of ok-new-server.json was never added. */
		ck_assert_int_eq(dp_store_server_find(st, NAL_DP05, "PS1",
		    &idx), 0);
	}
	/* And the store is usable afterwards. */
	ck_assert_int_eq(import(false, &cnt, NULL, "sample-single.json", NULL),
	    0);
	ck_assert_uint_eq(cnt.updated, 1);
	ck_assert_int_eq(dp_store_scalars(st, &b), 0);
	ck_assert_uint_gt(b.change_counter, a.change_counter);
}
END_TEST

/* A log line longer than the log's buffer is cut before a UTF-8 sequence
 * that would not fit whole, never inside it. */
START_TEST(test_log_cut_utf8)
{
	char arg[1100];
	const char *line;
	size_t n;

	/* 1022 ASCII bytes, then U+00E9 (2 bytes): byte 1023 would be its
	 * lead byte alone.  Then U+20AC (3 bytes) from byte 1021: two of
	 * its three bytes would fit. */
	for (int pad = 1022; pad >= 1021; pad--) {
		memset(arg, 'a', (size_t)pad);
		strcpy(arg + pad, pad == 1022 ? "\xc3\xa9tail" :
		    "\xe2\x82\xactail");
		log_reset();
		dp_log(DP_LOG_ERR, "%s", arg);
		line = logbuf + 2;	/* after "3 " */
		n = strcspn(line, "\n");
		ck_assert_uint_eq(n, (size_t)pad);
		ck_assert_int_eq(line[n - 1], 'a');
	}
	/* A sequence that fits whole is kept. */
	memset(arg, 'a', 1020);
	strcpy(arg + 1020, "\xe2\x82\xactail");
	log_reset();
	dp_log(DP_LOG_ERR, "%s", arg);
	line = logbuf + 2;
	ck_assert_uint_eq(strcspn(line, "\n"), 1023);
	ck_assert_int_eq(memcmp(line + 1020, "\xe2\x82\xac", 3), 0);
}
END_TEST

static Suite *
import_suite(void)
{
	Suite	*s = suite_create("import");
	TCase	*tc;

	tc = tcase_create("samples");
	tcase_add_test(tc, test_ps7);
	tcase_add_test(tc, test_wps51_same_as_ps7);
	tcase_add_test(tc, test_csv_same_as_ps7);
	tcase_add_test(tc, test_single_object);
	tcase_add_test(tc, test_recipe_and_typeline_csv);
	tcase_add_loop_test(tc, test_bad_file, 0,
	    sizeof(bad_files) / sizeof(bad_files[0]));
	tcase_add_test(tc, test_dup_key_parses);
	tcase_add_test(tc, test_callback_stops);
	suite_add_tcase(s, tc);

	tc = tcase_create("encodings");
	tcase_add_test(tc, test_utf16);
	tcase_add_test(tc, test_utf16_bad);
	tcase_add_test(tc, test_utf16_chunk_boundary);
	tcase_add_test(tc, test_utf8_bom_and_empty);
	suite_add_tcase(s, tc);

	tc = tcase_create("json");
	tcase_add_test(tc, test_json_values);
	tcase_add_loop_test(tc, test_json_refusal, 0,
	    sizeof(json_refusals) / sizeof(json_refusals[0]));
	tcase_add_test(tc, test_json_keys);
	tcase_add_test(tc, test_json_enum_warnings);
	tcase_add_test(tc, test_json_syntax);
	tcase_add_test(tc, test_isv_data_size);
	tcase_add_test(tc, test_log_lines_escaped);
	tcase_add_test(tc, test_log_cut_utf8);
	suite_add_tcase(s, tc);

	tc = tcase_create("csv");
	tcase_add_test(tc, test_csv_values);
	tcase_add_loop_test(tc, test_csv_refusal, 0,
	    sizeof(csv_refusals) / sizeof(csv_refusals[0]));
	tcase_add_test(tc, test_csv_structure);
	suite_add_tcase(s, tc);

	tc = tcase_create("store");
	tcase_add_checked_fixture(tc, store_setup, store_teardown);
	tcase_add_test(tc, test_store_import);
	tcase_add_test(tc, test_store_null_keeps);
	tcase_add_test(tc, test_store_snapshot);
	tcase_add_loop_test(tc, test_store_no_records_keeps_import_time, 0, 2);
	tcase_add_loop_test(tc, test_store_refused_unchanged, 0,
	    sizeof(store_refusals) / sizeof(store_refusals[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return fixture_run(import_suite());
}
