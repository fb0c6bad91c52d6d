#include "convert/dp_props.h"

#include <strings.h>
#include <string.h>

#include "convert/dp_convert.h"

#define DP_KEY_KEY	1
#define DP_KEY_KEEP	0
#define DP_KEY_SNMP	0

/* From the column table: one entry per property, in enum dp_prop order. */
#define PROP_INFO(id, field, name, kind, max, col, access, model, sql, \
    import, encode, labels) \
	[DP_P_##id] = { name, DP_K_##kind, max, DP_KEY_##import, col, labels },
const struct dp_prop_info dp_props[DP_P_COUNT] = {
	DP_COLUMNS(PROP_INFO, DP_IGNORE, DP_IGNORE)
};

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
