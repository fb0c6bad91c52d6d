/*
 * dp_conf: the Net-SNMP plumbing under dp_service: the core's log sink
 * and the parsing of numeric tokens.
 */
#ifndef DP_CONF_H
#define DP_CONF_H

#include <stdbool.h>

/* Limits of the tokens both read. */
#define DP_CONF_BUSY_MAX_MS	60000
#define DP_CONF_BACKLOG_MAX	100000000

/* A dp_log sink writing through snmp_log(), so that there is one log;
 * arg is a prefix (const char *) or NULL. */
void	dp_conf_log_sink(int prio, const char *msg, void *arg);

/* "N" with min <= N <= max into *out; otherwise config_perror() says
 * "what: from min to max" and false is returned. */
bool	dp_conf_number(const char *line, long min, long max, const char *what,
	    long *out);

#endif
