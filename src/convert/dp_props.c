#include "convert/dp_props.h"

#include <strings.h>
#include <string.h>

#include "convert/dp_convert.h"

#define DP_KEY_KEY	1
#define DP_KEY_KEEP	0
#define DP_KEY_SNMP	0
#define DP_KEY_REQUIRED	0
#define DP_REQ_KEY	1
#define DP_REQ_KEEP	0
#define DP_REQ_SNMP	0
#define DP_REQ_REQUIRED	1

/* From the column table: one entry per property, in enum dp_prop order. */
#define PROP_INFO(id, field, name, kind, max, col, access, model, sql, \
    import, encode, labels) \
	[DP_P_##id] = { name, DP_K_##kind, max, DP_KEY_##import, \
	    DP_REQ_##import, col, labels },
const struct dp_prop_info dp_props[DP_P_COUNT] = {
	DP_COLUMNS(PROP_INFO, DP_IGNORE, DP_IGNORE)
	DP_DIST_COLUMNS(DP_IGNORE, PROP_INFO, DP_IGNORE, DP_IGNORE)
	DP_DIST_EXTRA(PROP_INFO, DP_IGNORE)
};

const char *
dp_class_name(enum dp_class c)
{
	switch (c) {
	case DP_CLASS_DP:
		return "SMS_DistributionPoint";
	case DP_CLASS_DIST:
		return "SMS_PackageStatusDistPointsSummarizer";
	case DP_CLASS_NONE:
		break;
	}
	return "no class";
}

int
dp_prop_lookup(const char *name, size_t len)
{
	for (int i = 0; i < DP_P_COUNT; i++) {
		if (strlen(dp_props[i].name) == len &&
		    strncasecmp(dp_props[i].name, name, len) == 0)
			return i;
	}
	return -1;
}
