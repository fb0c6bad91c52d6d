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
	static const enum dp_field field[DP_COL_LAST + 1] = {
		[DP_COL_BITS_ENABLED] = DP_FIELD_BITS_ENABLED,
		[DP_COL_IS_PEER_DP] = DP_FIELD_IS_PEER_DP,
		[DP_COL_IS_PROTECTED] = DP_FIELD_IS_PROTECTED,
		[DP_COL_ISV_DATA] = DP_FIELD_ISV_DATA,
		[DP_COL_ISV_DATA_SIZE] = DP_FIELD_ISV_DATA_SIZE,
		[DP_COL_ISV_STRING] = DP_FIELD_ISV_STRING,
		[DP_COL_LAST_REFRESH_TIME] = DP_FIELD_LAST_REFRESH_TIME,
		[DP_COL_OBJECT_TYPE_ID] = DP_FIELD_OBJECT_TYPE_ID,
		[DP_COL_PACKAGE_ID] = DP_FIELD_PACKAGE_ID,
		[DP_COL_PACKAGE_TYPE] = DP_FIELD_PACKAGE_TYPE,
		[DP_COL_REFRESH_NOW] = DP_FIELD_REFRESH_NOW,
		[DP_COL_RESOURCE_TYPE] = DP_FIELD_RESOURCE_TYPE,
		[DP_COL_SECURE_OBJECT_ID] = DP_FIELD_SECURE_OBJECT_ID,
		[DP_COL_SERVER_NAL_PATH] = DP_FIELD_SERVER_NAL_PATH,
		[DP_COL_SITE_CODE] = DP_FIELD_SITE_CODE,
		[DP_COL_SITE_NAME] = DP_FIELD_SITE_NAME,
		[DP_COL_SOURCE_SITE] = DP_FIELD_SOURCE_SITE,
		[DP_COL_STATUS] = DP_FIELD_STATUS,
		[DP_COL_REFRESH_PENDING] = DP_FIELD_REFRESH_PENDING,
		[DP_COL_ISV_STRING_PENDING] = DP_FIELD_ISV_STRING_PENDING,
	};

	/* The accessible-for-notify columns are 0 here: never read. */
	if (col == 0 || col > DP_COL_LAST || (col >= DP_COL_PREVIOUS_STATUS &&
	    col <= DP_COL_STATUS_EVENT_SEQ))
		return DP_FIELD_ALL;
	return field[col];
}

int
dp_value_row(const struct dp_row *r, unsigned col, struct dp_value *v)
{
	switch (col) {
	case DP_COL_BITS_ENABLED:
		value_truth(v, r->bits_enabled);
		break;
	case DP_COL_IS_PEER_DP:
		value_truth(v, r->is_peer_dp);
		break;
	case DP_COL_IS_PROTECTED:
		value_truth(v, r->is_protected);
		break;
	case DP_COL_ISV_DATA:
		dp_value_string(v, r->isv_data, r->isv_data_len);
		break;
	case DP_COL_ISV_DATA_SIZE:
		value_unsigned(v, ASN_UNSIGNED, r->isv_data_size);
		break;
	case DP_COL_ISV_STRING:
		value_cstring(v, r->isv_string);
		break;
	case DP_COL_LAST_REFRESH_TIME:
		dp_value_time_text(v, r->last_refresh_time);
		break;
	case DP_COL_OBJECT_TYPE_ID:
		dp_value_int(v, r->object_type_id);
		break;
	case DP_COL_PACKAGE_ID:
		value_cstring(v, r->package_id);
		break;
	case DP_COL_PACKAGE_TYPE:
		dp_value_int(v, r->package_type);
		break;
	case DP_COL_REFRESH_NOW:
		/* As in WMI: a request, not a state; it always reads false. */
		value_truth(v, false);
		break;
	case DP_COL_RESOURCE_TYPE:
		value_cstring(v, r->resource_type);
		break;
	case DP_COL_SECURE_OBJECT_ID:
		value_cstring(v, r->secure_object_id);
		break;
	case DP_COL_SERVER_NAL_PATH:
		value_cstring(v, r->server_nal_path);
		break;
	case DP_COL_SITE_CODE:
		value_cstring(v, r->site_code);
		break;
	case DP_COL_SITE_NAME:
		value_cstring(v, r->site_name);
		break;
	case DP_COL_SOURCE_SITE:
		value_cstring(v, r->source_site);
		break;
	case DP_COL_STATUS:
		dp_value_int(v, r->status);
		break;
	case DP_COL_REFRESH_PENDING:
		value_truth(v, r->refresh_pending);
		break;
	case DP_COL_ISV_STRING_PENDING:
		value_truth(v, r->isv_string_pending);
		break;
	default:
		return -1;
	}
	return 0;
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
	default:
		if (col < DP_SRV_ROWS_NONE || col > DP_SRV_LAST)
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
	default:
		if (col < DP_PKG_ROWS_NONE || col > DP_PKG_LAST)
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
	default:
		if (scalar < DP_SC_ROWS_NONE || scalar > DP_SC_ROWS_OTHER)
			return -1;
		dp_value_gauge(v, sc->by_status[scalar - DP_SC_ROWS_NONE]);
	}
	return 0;
}
