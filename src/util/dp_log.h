/*
 * dp_log: one logging entry point for the SNMP-free core.
 *
 * The core never includes Net-SNMP; the programs install a sink: dpctl
 * writes to stderr, dpagentd forwards to Net-SNMP's snmp_log() so that
 * there is one log with one format.
 */
#ifndef DP_LOG_H
#define DP_LOG_H

#include <stdarg.h>

/* Priorities are syslog's. */
#define DP_LOG_ERR	3
#define DP_LOG_WARNING	4
#define DP_LOG_NOTICE	5
#define DP_LOG_INFO	6
#define DP_LOG_DEBUG	7

typedef void (*dp_log_sink)(int prio, const char *msg, void *arg);

void	dp_log_set_sink(dp_log_sink sink, void *arg);
void	dp_log_set_level(int max_prio);
void	dp_log(int prio, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	dp_vlog(int prio, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));

#define dp_err(...)	dp_log(DP_LOG_ERR, __VA_ARGS__)
#define dp_warn(...)	dp_log(DP_LOG_WARNING, __VA_ARGS__)
#define dp_notice(...)	dp_log(DP_LOG_NOTICE, __VA_ARGS__)
#define dp_info(...)	dp_log(DP_LOG_INFO, __VA_ARGS__)
#define dp_debug(...)	dp_log(DP_LOG_DEBUG, __VA_ARGS__)

#endif
