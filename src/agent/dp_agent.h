/*
 * dp_agent: the Net-SNMP handler that serves DISTRIBUTION-POINT-MIB's
 * objects (dpScalars, dpServerTable, dpPackageTable, dpTable) from the
 * model, and takes the SETs of dpRefreshNow and dpISVString (dp_set).
 * One registration covers dpObjects; every GET and GETNEXT is answered
 * by indexed lookups, nothing is read at start-up, and what is kept
 * across requests is bounded: the rows a walk reads ahead, for at most
 * 100 ms (see dp_agent.c).  Used by dpagentd (AgentX subagent) and,
 * unchanged, by the in-master module.
 */
#ifndef DP_AGENT_H
#define DP_AGENT_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include "model/dp_store.h"

struct dp_agent;

/* An agent that is not registered anywhere: for tests, which call
 * dp_agent_handle() as the agent library would. */
struct dp_agent *dp_agent_new(struct dp_store *st);

/* The handler's body: answers every unprocessed request in the list for
 * reqinfo->mode: GET, GETNEXT, or a SET phase (all the varbinds of a SET
 * together, see dp_set.h). */
void	dp_agent_handle(struct dp_agent *ag,
	    netsnmp_agent_request_info *reqinfo,
	    netsnmp_request_info *requests);

/* Registers the handler with the agent library.  The store may be set
 * later; until then every request fails with genErr. */
struct dp_agent *dp_agent_register(struct dp_store *st);
void	dp_agent_set_store(struct dp_agent *ag, struct dp_store *st);

/* SETs whose state is kept between phases, and their expiry (also done at
 * every SET phase). */
int	dp_agent_unfinished_sets(const struct dp_agent *ag);
void	dp_agent_expire_sets(struct dp_agent *ag, int64_t now_ms);
void	dp_agent_unregister(struct dp_agent *ag);
/* After snmp_shutdown(): the master forgets a closed session's
 * registrations, and unregistering from a master that is already gone
 * trips an assertion in the AgentX subagent code. */
void	dp_agent_free(struct dp_agent *ag);

#endif
