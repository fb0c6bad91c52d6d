#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent/dp_conf.h"

void
dp_conf_log_sink(int prio, const char *msg, void *arg)
{
	snmp_log(prio, "%s%s\n", arg != NULL ? (const char *)arg : "", msg);
}

bool
dp_conf_number(const char *line, long min, long max, const char *what,
    long *out)
{
	char msg[160], *end;
	long v;

	errno = 0;
	v = strtol(line, &end, 10);
	if (errno != 0 || end == line || *end != '\0' || v < min || v > max) {
		snprintf(msg, sizeof(msg), "%s: from %ld to %ld", what, min,
		    max);
		config_perror(msg);
		return false;
	}
	*out = v;
	return true;
}
