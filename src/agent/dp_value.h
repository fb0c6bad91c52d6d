/*
 * dp_value: the model's values as the MIB's SMIv2 values.  The same
 * encoders answer GETs and build notifications, so a trap can never
 * disagree with a walk.
 */
#ifndef DP_VALUE_H
#define DP_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/types.h>

#include "model/dp_store.h"

struct dp_value {
	u_char		 type;		/* ASN_INTEGER, ASN_OCTET_STR */
	const void	*ptr;		/* for snmp_set_var_typed_value */
	size_t		 len;
	long		 i;		/* INTEGER storage */
	u_long		 u;		/* Gauge32, Unsigned32, Counter32 */
	uint8_t		 dt[11];	/* DateAndTime storage */
};

/* Encoders: 0 on success, -1 for a column the part does not serve. */
/* The field of struct dp_row that column col of dpTable shows
 * (DP_FIELD_ALL when it is not a column). */
enum dp_field dp_value_row_field(unsigned col);
int	dp_value_row(const struct dp_row *r, unsigned col, struct dp_value *v);
/* Column col of a dpDistTable row (enum dp_dist_col). */
int	dp_value_dist(const struct dp_dist_row *r, unsigned col,
	    struct dp_value *v);
int	dp_value_server(const struct dp_server *s, unsigned col,
	    struct dp_value *v);
int	dp_value_package(const struct dp_package *p, unsigned col,
	    struct dp_value *v);
int	dp_value_scalar(const struct dp_scalars *sc, int64_t now_ms,
	    unsigned scalar, struct dp_value *v);

/* Shared building blocks (also used by the notifier). */
void	dp_value_int(struct dp_value *v, long i);
void	dp_value_gauge(struct dp_value *v, uint32_t u);
void	dp_value_unsigned(struct dp_value *v, uint32_t u);
void	dp_value_string(struct dp_value *v, const void *p, size_t n);
/* DateAndTime of a UTC time in milliseconds (0 = the epoch). */
void	dp_value_time_ms(struct dp_value *v, int64_t ms);
/* DateAndTime of the model's canonical text (8 or 11 octets). */
void	dp_value_time_text(struct dp_value *v, const char *text);

#endif
