#include "util/dp_log.h"

#include <stdio.h>

static void
stderr_sink(int prio, const char *msg, void *arg)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "error", "warning", "notice", "info",
		"debug"
	};

	(void)arg;
	fprintf(stderr, "%s: %s\n", names[prio & 7], msg);
}

static dp_log_sink log_sink = stderr_sink;
static void *log_arg;
static int log_level = DP_LOG_INFO;

void
dp_log_set_sink(dp_log_sink sink, void *arg)
{
	log_sink = sink != NULL ? sink : stderr_sink;
	log_arg = arg;
}

void
dp_log_set_level(int max_prio)
{
	log_level = max_prio;
}

void
dp_vlog(int prio, const char *fmt, va_list ap)
{
	char msg[1024];

	if (prio > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_sink(prio, msg, log_arg);
}

void
dp_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dp_vlog(prio, fmt, ap);
	va_end(ap);
}
