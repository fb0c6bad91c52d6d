#include "convert/dp_props.h"

#include <strings.h>
#include <string.h>

const struct dp_prop_info dp_props[DP_P_COUNT] = {
	[DP_P_BITS_ENABLED] = { "BitsEnabled", DP_K_BOOL, 0, 0 },
	[DP_P_IS_PEER_DP] = { "IsPeerDP", DP_K_BOOL, 0, 0 },
	[DP_P_IS_PROTECTED] = { "IsProtected", DP_K_BOOL, 0, 0 },
	[DP_P_ISV_DATA] = { "ISVData", DP_K_BYTES, DP_MAX_ISV_DATA, 0 },
	[DP_P_ISV_DATA_SIZE] = { "ISVDataSize", DP_K_UINT32, 0, 0 },
	[DP_P_ISV_STRING] = { "ISVString", DP_K_STRING, DP_MAX_ISV_STRING, 0 },
	[DP_P_LAST_REFRESH_TIME] = { "LastRefreshTime", DP_K_TIME, 0, 0 },
	[DP_P_OBJECT_TYPE_ID] = { "ObjectTypeID", DP_K_ENUM, 0, 0 },
	[DP_P_PACKAGE_ID] = { "PackageID", DP_K_STRING, DP_MAX_PACKAGE_ID, 1 },
	[DP_P_PACKAGE_TYPE] = { "PackageType", DP_K_ENUM, 0, 0 },
	[DP_P_REFRESH_NOW] = { "RefreshNow", DP_K_BOOL, 0, 0 },
	[DP_P_RESOURCE_TYPE] = { "ResourceType", DP_K_STRING,
	    DP_MAX_RESOURCE_TYPE, 0 },
	[DP_P_SECURE_OBJECT_ID] = { "SecureObjectID", DP_K_STRING,
	    DP_MAX_SECURE_OBJECT_ID, 0 },
	[DP_P_SERVER_NAL_PATH] = { "ServerNALPath", DP_K_STRING,
	    DP_MAX_NAL_PATH, 1 },
	[DP_P_SITE_CODE] = { "SiteCode", DP_K_STRING, DP_MAX_SITE_CODE, 1 },
	[DP_P_SITE_NAME] = { "SiteName", DP_K_STRING, DP_MAX_SITE_NAME, 0 },
	[DP_P_SOURCE_SITE] = { "SourceSite", DP_K_STRING, DP_MAX_SOURCE_SITE,
	    0 },
	[DP_P_STATUS] = { "Status", DP_K_ENUM, 0, 0 },
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
