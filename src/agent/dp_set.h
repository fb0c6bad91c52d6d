/*
 * dp_set: SETs of dpRefreshNow and dpISVString, following Net-SNMP's SET
 * phases as they arrive over AgentX (DESIGN.md, decision 4):
 *
 *   TestSet    -> RESERVE1  type, length, value, UTF-8 (no database)
 *                 RESERVE2  the row exists and may be written; keep an
 *                           undo copy (reads only, no transaction)
 *   CommitSet  -> ACTION    values and their outbox rows in one short
 *                           BEGIN IMMEDIATE ... COMMIT, durable before the
 *                           master answers the manager
 *   UndoSet    -> UNDO      a compensating transaction
 *   CleanupSet -> COMMIT or FREE: only memory is released
 *
 * Over AgentX every phase arrives as a new PDU, so what one phase leaves
 * for the next is kept here, keyed by the transaction ID, never in a
 * transaction or a lock; it expires if the master never finishes.
 */
#ifndef DP_SET_H
#define DP_SET_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include "model/dp_store.h"

/* How long the state of an unfinished SET is kept. */
#define DP_SET_EXPIRE_MS	30000

struct dp_setter;

struct dp_setter *dp_set_new(void);
void	dp_set_free(struct dp_setter *set);

/* Runs one SET phase (reqinfo->mode) over every request of the list. */
void	dp_set_handle(struct dp_setter *set, struct dp_store *st,
	    netsnmp_agent_request_info *reqinfo,
	    netsnmp_request_info *requests);

/*
 * RESERVE1's checks of one varbind, those that need no database: that it
 * names a writable instance, and its type, length and value.  Returns
 * SNMP_ERR_NOERROR or the SNMP error to answer (the fuzzer calls it).
 */
int	dp_set_check(const netsnmp_variable_list *vb);

/* Unfinished SETs kept (tests and logs). */
int	dp_set_pending(const struct dp_setter *set);
/* Forgets SETs older than DP_SET_EXPIRE_MS at now_ms. */
void	dp_set_expire(struct dp_setter *set, int64_t now_ms);

#endif
