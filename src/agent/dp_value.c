#include "agent/dp_value.h"

#include <string.h>

#include <net-snmp/library/asn1.h>

#include "agent/dp_oids.h"

/* TruthValue. */
#define TV_TRUE		1
#define TV_FALSE	2

void
dp_value_int(struct dp_value *v, long i)
{
	v->type = ASN_INTEGER;
	v->i = i;
	v->ptr = &v->i;
	v->len = sizeof(v->i);
}

static void
value_unsigned(struct dp_value *v, u_char type, uint32_t u)
{
	v->type = type;
	v->u = u;
	v->ptr = &v->u;
	v->len = sizeof(v->u);
}

void
dp_value_gauge(struct dp_value *v, uint32_t u)
{
	value_unsigned(v, ASN_GAUGE, u);
}

void
dp_value_unsigned(struct dp_value *v, uint32_t u)
{
	value_unsigned(v, ASN_UNSIGNED, u);
}

void
dp_value_string(struct dp_value *v, const void *p, size_t n)
{
	v->type = ASN_OCTET_STR;
	v->ptr = p;
	v->len = n;
}

static void
value_cstring(struct dp_value *v, const char *s)
{
	dp_value_string(v, s, strlen(s));
}

static void
value_truth(struct dp_value *v, bool b)
{
	dp_value_int(v, b ? TV_TRUE : TV_FALSE);
}

void
dp_value_time_ms(struct dp_value *v, int64_t ms)
{
	struct dp_time t;

	if (dp_time_from_unix_ms(ms, true, 0, &t) != 0)
		dp_time_from_unix_ms(0, true, 0, &t);
	dp_value_string(v, v->dt, dp_time_to_dateandtime(&t, v->dt));
}

void
dp_value_time_text(struct dp_value *v, const char *text)
{
	struct dp_time t;

	/* The model stores only canonical text; anything else was written by
	 * hand and reads as the class default rather than as garbage. */
	if (dp_time_parse_iso8601(text, &t, NULL) != 0)
		dp_time_parse_dmtf("19900101000000.000000+***", &t, NULL);
	dp_value_string(v, v->dt, dp_time_to_dateandtime(&t, v->dt));
}

enum dp_field
dp_value_row_field(unsigned col)
{
	/* The accessible-for-notify columns are no field: never read. */
#define FIELD_OF(id, ...) \
	case DP_COL_##id: \
		return DP_FIELD_##id;
	switch (col) {
	DP_COLUMNS(FIELD_OF, FIELD_OF, DP_IGNORE)
	default:
		return DP_FIELD_ALL;
	}
}

/* Encoders by kind, for the column table's VALUE columns. */
#define ENCODE_BOOL(v, x, len)		value_truth(v, x)
#define ENCODE_UINT32(v, x, len)	dp_value_unsigned(v, x)
#define ENCODE_ENUM(v, x, len)		dp_value_int(v, x)
#define ENCODE_STRING(v, x, len)	value_cstring(v, x)
#define ENCODE_TIME(v, x, len)		dp_value_time_text(v, x)
#define ENCODE_BYTES(v, x, len)		dp_value_string(v, x, len)
/* FALSE: a request, not a state (RefreshNow reads false, as in WMI). */
#define ENCODE_VALUE(kind, v, x, len)	ENCODE_##kind(v, x, len)
#define ENCODE_FALSE(kind, v, x, len)	value_truth(v, false)

int
dp_value_row(const struct dp_row *r, unsigned col, struct dp_value *v)
{
#define ENCODE_COLUMN(id, field, name, kind, max, col, access, model, sql, \
    import, encode, labels) \
	case DP_COL_##id: \
		ENCODE_##encode(kind, v, r->field, r->field##_len); \
		break;
	switch (col) {
	DP_COLUMNS(ENCODE_COLUMN, ENCODE_COLUMN, DP_IGNORE)
	default:
		return -1;
	}
	return 0;
}

#define ENCODE_MSTIME(v, x, len)	dp_value_time_ms(v, x)

int
dp_value_dist(const struct dp_dist_row *r, unsigned col, struct dp_value *v)
{
#define ENCODE_DIST_KEY(id, field, name, col) \
	case DP_DIST_COL_##id: \
		value_cstring(v, r->field); \
		break;
#define ENCODE_DIST(id, field, name, kind, max, col, access, model, sql, \
    import, encode, labels) \
	case DP_DIST_COL_##id: \
		ENCODE_##encode(kind, v, r->field, r->field##_len); \
		break;
	switch (col) {
	DP_DIST_COLUMNS(ENCODE_DIST_KEY, ENCODE_DIST, ENCODE_DIST, DP_IGNORE)
	default:
		return -1;
	}
	return 0;
#undef ENCODE_DIST_KEY
#undef ENCODE_DIST
}

int
dp_value_server(const struct dp_server *s, unsigned col, struct dp_value *v)
{
	switch (col) {
	case DP_SRV_NAL_PATH:
		value_cstring(v, s->nal_path);
		break;
	case DP_SRV_NAME:
		value_cstring(v, s->name);
		break;
	case DP_SRV_SITE_CODE:
		value_cstring(v, s->site_code);
		break;
	case DP_SRV_ROWS:
		dp_value_gauge(v, s->rows);
		break;
	case DP_SRV_DIST_ROWS:
		dp_value_gauge(v, s->dist_rows);
		break;
	default:
		if (col >= DP_SRV_DIST_INSTALLED && col <= DP_SRV_LAST) {
			dp_value_gauge(v,
			    s->by_dist[col - DP_SRV_DIST_INSTALLED]);
			break;
		}
		if (col < DP_SRV_ROWS_NONE || col > DP_SRV_ROWS_NONE + 4)
			return -1;
		dp_value_gauge(v, s->by_status[col - DP_SRV_ROWS_NONE]);
	}
	return 0;
}

int
dp_value_package(const struct dp_package *p, unsigned col,
    struct dp_value *v)
{
	switch (col) {
	case DP_PKG_PACKAGE_ID:
		value_cstring(v, p->package_id);
		break;
	case DP_PKG_PACKAGE_TYPE:
		dp_value_int(v, p->package_type);
		break;
	case DP_PKG_OBJECT_TYPE_ID:
		dp_value_int(v, p->object_type_id);
		break;
	case DP_PKG_SECURE_OBJECT_ID:
		value_cstring(v, p->secure_object_id);
		break;
	case DP_PKG_SOURCE_SITE:
		value_cstring(v, p->source_site);
		break;
	case DP_PKG_SITE_NAME:
		value_cstring(v, p->site_name);
		break;
	case DP_PKG_ROWS:
		dp_value_gauge(v, p->rows);
		break;
	case DP_PKG_DIST_ROWS:
		dp_value_gauge(v, p->dist_rows);
		break;
	default:
		if (col >= DP_PKG_DIST_INSTALLED && col <= DP_PKG_LAST) {
			dp_value_gauge(v,
			    p->by_dist[col - DP_PKG_DIST_INSTALLED]);
			break;
		}
		if (col < DP_PKG_ROWS_NONE || col > DP_PKG_ROWS_NONE + 4)
			return -1;
		dp_value_gauge(v, p->by_status[col - DP_PKG_ROWS_NONE]);
	}
	return 0;
}

int
dp_value_scalar(const struct dp_scalars *sc, int64_t now_ms, unsigned scalar,
    struct dp_value *v)
{
	int64_t age;

	switch (scalar) {
	case DP_SC_SERVER_COUNT:
		dp_value_gauge(v, sc->servers);
		break;
	case DP_SC_PACKAGE_COUNT:
		dp_value_gauge(v, sc->packages);
		break;
	case DP_SC_ROW_COUNT:
		dp_value_gauge(v, sc->rows);
		break;
	case DP_SC_LAST_CHANGE:
		dp_value_time_ms(v, sc->last_change_ms);
		break;
	case DP_SC_CHANGE_COUNTER:
		value_unsigned(v, ASN_COUNTER,
		    (uint32_t)(sc->change_counter & 0xffffffffu));
		break;
	case DP_SC_LAST_IMPORT:
		dp_value_time_ms(v, sc->last_import_ms);
		break;
	case DP_SC_LAST_IMPORT_AGE:
		if (sc->last_import_ms == 0)
			age = -1;
		else {
			age = (now_ms - sc->last_import_ms) / 1000;
			if (age < 0)
				age = 0;	/* our clock is behind */
			if (age > INT32_MAX)
				age = INT32_MAX;
		}
		dp_value_int(v, (long)age);
		break;
	case DP_SC_PENDING_WRITES:
		dp_value_gauge(v, sc->pending_writes);
		break;
	case DP_SC_DIST_ROWS:
		dp_value_gauge(v, sc->dist_rows);
		break;
	default:
		if (scalar >= DP_SC_DIST_INSTALLED && scalar <= DP_SC_LAST) {
			dp_value_gauge(v,
			    sc->by_dist[scalar - DP_SC_DIST_INSTALLED]);
			break;
		}
		if (scalar < DP_SC_ROWS_NONE || scalar > DP_SC_ROWS_OTHER)
			return -1;
		dp_value_gauge(v, sc->by_status[scalar - DP_SC_ROWS_NONE]);
	}
	return 0;
}
