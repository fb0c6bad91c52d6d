/*
 * fuzz_setval: the checks a SET of dpRefreshNow (TruthValue) or
 * dpISVString (UTF-8, at most 512 octets) gets before the database is
 * touched (dp_set_check(), RESERVE1), on an arbitrary name, ASN type and
 * value.  The varbind is built two ways: as Net-SNMP's own
 * snmp_set_var_typed_value() builds it from a PDU, and raw (any length
 * with any type, the value in a buffer of exactly that size, so that
 * ASan sees any read past it).  The answer must equal the one an
 * independent model of the MIB gives, whose UTF-8 check decodes code
 * points (unlike dp_utf8_valid()'s table).
 *
 * Input: byte 0 the column (< 0x80: bit 0 picks dpISVString or
 * dpRefreshNow; else any column 0..31), byte 1 the index shape (bits 0-2:
 * number of sub-identifiers 0..4 after the column, bit 3: one is >
 * 2^32-1, bit 4: a wrong prefix), byte 2 the ASN type, byte 3 bit 0 raw or
 * built, then 4 octets per sub-identifier, then the value.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/dp_oids.h"
#include "agent/dp_set.h"
#include "convert/dp_props.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "property violated: %s: ", #cond);	\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

static const oid entry[] = { DP_MIB_ROOT, DP_ARC_OBJECTS, DP_PART_ROWS, 1 };
#define ENTRY_LEN	(sizeof(entry) / sizeof(entry[0]))

/* RFC 3629 by decoding: shortest form, no surrogates, <= U+10FFFF, and
 * no NUL (the value becomes a C string). */
static bool
ref_utf8(const uint8_t *p, size_t n)
{
	size_t	 i = 0, len, k;
	uint32_t cp, min;

	while (i < n) {
		if (p[i] == 0)
			return false;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			len = 2;
			cp = p[i] & 0x1f;
			min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			len = 3;
			cp = p[i] & 0x0f;
			min = 0x800;
		} else if ((p[i] & 0xf8) == 0xf0) {
			len = 4;
			cp = p[i] & 0x07;
			min = 0x10000;
		} else
			return false;
		if (n - i < len)
			return false;
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

static int
expected(const oid *name, size_t nlen, const netsnmp_variable_list *vb)
{
	oid	 col;

	if (nlen <= ENTRY_LEN || memcmp(name, entry, sizeof(entry)) != 0)
		return SNMP_ERR_NOTWRITABLE;
	col = name[ENTRY_LEN];
	if (col != DP_COL_ISV_STRING && col != DP_COL_REFRESH_NOW)
		return SNMP_ERR_NOTWRITABLE;
	if (nlen != ENTRY_LEN + 3)
		return SNMP_ERR_NOCREATION;
	for (size_t i = ENTRY_LEN + 1; i < nlen; i++) {
		if (name[i] < 1 || name[i] > 0xffffffffUL)
			return SNMP_ERR_NOCREATION;
	}
	if (col == DP_COL_REFRESH_NOW) {
		long	 v;

		if (vb->type != ASN_INTEGER)
			return SNMP_ERR_WRONGTYPE;
		if (vb->val_len != sizeof(long))
			return SNMP_ERR_WRONGLENGTH;
		memcpy(&v, vb->val.string, sizeof(v));
		return v == 1 || v == 2 ? SNMP_ERR_NOERROR :
		    SNMP_ERR_WRONGVALUE;
	}
	if (vb->type != ASN_OCTET_STR)
		return SNMP_ERR_WRONGTYPE;
	if (vb->val_len > DP_MAX_ISV_STRING)
		return SNMP_ERR_WRONGLENGTH;
	return ref_utf8(vb->val.string, vb->val_len) ? SNMP_ERR_NOERROR :
	    SNMP_ERR_WRONGVALUE;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	netsnmp_variable_list	 vb;
	oid			 name[ENTRY_LEN + 5];
	size_t			 nlen, nsub, vlen;
	const uint8_t		*val;
	uint8_t			*copy;
	int			 got, want;

	if (size < 4)
		return 0;
	memcpy(name, entry, sizeof(entry));
	nlen = ENTRY_LEN;
	name[nlen++] = data[0] < 0x80 ? (data[0] & 1 ? DP_COL_REFRESH_NOW :
	    DP_COL_ISV_STRING) : (oid)(data[0] & 0x1f);
	nsub = data[1] & 7;
	if (nsub > 4)
		nsub = 4;
	if (size < 4 + 4 * nsub)
		return 0;
	for (size_t i = 0; i < nsub; i++) {
		const uint8_t *b = data + 4 + 4 * i;

		name[nlen++] = (oid)b[0] << 24 | (oid)b[1] << 16 |
		    (oid)b[2] << 8 | b[3];
	}
	if ((data[1] & 8) && nsub > 0 && sizeof(oid) > 4)
		name[nlen - 1] += (oid)0xffffffffUL + 1;
	if (data[1] & 16)
		name[data[0] % ENTRY_LEN] ^= 1;
	val = data + 4 + 4 * nsub;
	vlen = size - 4 - 4 * nsub;

	memset(&vb, 0, sizeof(vb));
	if (data[3] & 1) {
		/* Raw: any type with any length. */
		vb.name = name;
		vb.name_length = nlen;
		vb.type = data[2];
		if ((copy = malloc(vlen > 0 ? vlen : 1)) == NULL)
			return 0;
		memcpy(copy, val, vlen);
		vb.val.string = copy;
		vb.val_len = vlen;
		got = dp_set_check(&vb);
		want = expected(name, nlen, &vb);
		free(copy);
	} else {
		/* As the agent builds it from a PDU. */
		if (snmp_set_var_objid(&vb, name, nlen) != 0)
			return 0;
		if (snmp_set_var_typed_value(&vb, data[2], val, vlen) != 0) {
			snmp_free_var_internals(&vb);
			return 0;
		}
		got = dp_set_check(&vb);
		want = expected(vb.name, vb.name_length, &vb);
		snmp_free_var_internals(&vb);
	}
	FZ_CHECK(got == want, "dp_set_check() says %d, the MIB %d (type "
	    "0x%02x, %zu octets)", got, want, data[2], vlen);
	return 0;
}
