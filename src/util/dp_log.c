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
	int n;

	if (prio > log_level)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);

	/* A line cut at the end of msg must not end inside a UTF-8
	 * sequence: back off over its continuation bytes and lead byte. */
	if (n >= (int)sizeof(msg)) {
		size_t end = sizeof(msg) - 1;
		size_t i = end;

		while (i > 0 && ((unsigned char)msg[i - 1] & 0xC0) == 0x80)
			i--;
		if (i > 0 && (unsigned char)msg[i - 1] >= 0xC0) {
			unsigned char lead = (unsigned char)msg[i - 1];
			size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;

			if (end - (i - 1) < need)
				msg[i - 1] = '\0';
		}
	}
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
