/*
 * dp_defaults: what dpctl, dpagentd and dpagent.so assume when told
 * nothing, in one place (conf/, doc/ and the systemd units say the same).
 */
#ifndef DP_DEFAULTS_H
#define DP_DEFAULTS_H

/* The model: a setgid directory shared by a group (DESIGN.md, "Files"). */
#define DP_DEFAULT_DB	"/var/lib/dpagent/dpagent.db"

#endif
