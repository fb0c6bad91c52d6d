/*
 * dp_props: the properties of the WMI class SMS_DistributionPoint, their
 * kinds and the size limits that DISTRIBUTION-POINT-MIB puts on them.
 *
 * Every limit here is an OCTET limit and must equal the SIZE of the
 * corresponding object in mibs/DISTRIBUTION-POINT-MIB.txt (a test checks).
 */
#ifndef DP_PROPS_H
#define DP_PROPS_H

#include <stddef.h>
#include <stdint.h>

enum dp_prop {
	DP_P_BITS_ENABLED,
	DP_P_IS_PEER_DP,
	DP_P_IS_PROTECTED,
	DP_P_ISV_DATA,
	DP_P_ISV_DATA_SIZE,
	DP_P_ISV_STRING,
	DP_P_LAST_REFRESH_TIME,
	DP_P_OBJECT_TYPE_ID,
	DP_P_PACKAGE_ID,
	DP_P_PACKAGE_TYPE,
	DP_P_REFRESH_NOW,
	DP_P_RESOURCE_TYPE,
	DP_P_SECURE_OBJECT_ID,
	DP_P_SERVER_NAL_PATH,
	DP_P_SITE_CODE,
	DP_P_SITE_NAME,
	DP_P_SOURCE_SITE,
	DP_P_STATUS,
	DP_P_COUNT
};

enum dp_prop_kind {
	DP_K_BOOL,	/* WMI Boolean -> TruthValue */
	DP_K_BYTES,	/* WMI UInt8[] -> OCTET STRING */
	DP_K_UINT32,	/* WMI UInt32 -> Unsigned32 */
	DP_K_ENUM,	/* WMI UInt32 enumeration -> Integer32-based TC */
	DP_K_STRING,	/* WMI String -> UTF-8 OCTET STRING */
	DP_K_TIME	/* WMI DateTime -> DateAndTime */
};

/* Octet limits, equal to the MIB's SIZE clauses. */
#define DP_MAX_PACKAGE_ID	64
#define DP_MAX_NAL_PATH		1024
#define DP_MAX_SITE_CODE	3
#define DP_MAX_SOURCE_SITE	3
#define DP_MAX_SITE_NAME	255
#define DP_MAX_ISV_STRING	512
#define DP_MAX_RESOURCE_TYPE	255
#define DP_MAX_SECURE_OBJECT_ID	255
#define DP_MAX_ISV_DATA		1024
#define DP_MAX_SERVER_NAME	255

struct dp_prop_info {
	const char		*name;	  /* WMI property name, e.g. "BitsEnabled" */
	enum dp_prop_kind	 kind;
	size_t			 max_len; /* octets, for strings and bytes */
	int			 is_key;  /* part of the class key */
};

extern const struct dp_prop_info dp_props[DP_P_COUNT];

/* Case-insensitive lookup by WMI name (PowerShell property names are not
 * case-sensitive); returns -1 for a property the class does not have. */
int	dp_prop_lookup(const char *name, size_t len);

#endif
