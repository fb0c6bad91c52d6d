/*
 * dp_priv: giving up root, and the file permissions that would let
 * another local user change what dpagent serves.  No Net-SNMP: dpagentd
 * and the in-master module dpagent.so both use it.
 */
#ifndef DP_PRIV_H
#define DP_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Who to become. */
struct dp_priv_id {
	uid_t	 uid;
	gid_t	 gid;
	bool	 has_passwd;	/* the user has a passwd entry: initgroups() */
	char	 user[64];	/* the name, or the number without one */
	char	 group[64];
};

/*
 * Resolves user and group, each a name, a number or "#number" (Net-SNMP's
 * agentuser/agentgroup form).  group NULL means the user's primary group
 * (a number without a passwd entry then needs a group).  0, or -1 with
 * "unknown user 'NAME'" (or the group's) in err.
 */
int	dp_priv_resolve(const char *user, const char *group,
	    struct dp_priv_id *id, char *err, size_t errlen);

/*
 * Becomes id for good: the user's supplementary groups (initgroups(), or
 * only id->gid for a user without a passwd entry), setgid(), setuid(), in
 * that order, then checks that the real, effective and saved IDs are
 * id's and that setuid(0) fails.  Needs root.  0, or -1 with the step
 * that failed and why in err.
 */
int	dp_priv_drop(const struct dp_priv_id *id, char *err, size_t errlen);

/*
 * Logs a warning for each way another local user could change or
 * replace path: path itself world-writable (a directory with the sticky
 * bit excepted), or a directory above it world-writable without the
 * sticky bit.  what names path in the warning ("database", "AgentX
 * socket").  A path that does not exist is not an error; its
 * directories are still checked.  Returns the number of warnings.
 */
int	dp_check_path_perms(const char *path, const char *what);

#endif
