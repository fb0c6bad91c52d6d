/* getresuid(), getresgid() */
#define _GNU_SOURCE

#include "util/dp_priv.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/dp_log.h"

/* "123" or "#123" (Net-SNMP's agentuser form) into *n; false otherwise. */
static bool
parse_id(const char *s, unsigned long *n)
{
	char *end;

	if (*s == '#')
		s++;
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*n = strtoul(s, &end, 10);
	/* (uid_t)-1 means "no change" to setuid() and friends. */
	return errno == 0 && *end == '\0' && *n < (unsigned long)UINT_MAX;
}

static bool
copy_name(char *dst, size_t len, const char *src)
{
	return (size_t)snprintf(dst, len, "%s", src) < len;
}

int
dp_priv_resolve(const char *user, const char *group, struct dp_priv_id *id,
    char *err, size_t errlen)
{
	struct passwd *pw;
	struct group *gr;
	unsigned long n;

	memset(id, 0, sizeof(*id));
	/* A name first: a user may be called "123". */
	if ((pw = getpwnam(user)) == NULL && parse_id(user, &n))
		pw = getpwuid((uid_t)n);
	if (pw != NULL) {
		id->uid = pw->pw_uid;
		id->gid = pw->pw_gid;
		id->has_passwd = true;
		if (!copy_name(id->user, sizeof(id->user), pw->pw_name)) {
			snprintf(err, errlen, "user name too long: '%s'",
			    pw->pw_name);
			return -1;
		}
	} else if (parse_id(user, &n) && group != NULL) {
		id->uid = (uid_t)n;
		snprintf(id->user, sizeof(id->user), "%lu", n);
	} else {
		snprintf(err, errlen, "unknown user '%s'", user);
		return -1;
	}
	if (group == NULL) {
		gr = getgrgid(id->gid);
		if (gr == NULL || !copy_name(id->group, sizeof(id->group),
		    gr->gr_name))
			snprintf(id->group, sizeof(id->group), "%lu",
			    (unsigned long)id->gid);
		return 0;
	}
	if ((gr = getgrnam(group)) == NULL && parse_id(group, &n))
		gr = getgrgid((gid_t)n);
	if (gr != NULL) {
		id->gid = gr->gr_gid;
		if (!copy_name(id->group, sizeof(id->group), gr->gr_name)) {
			snprintf(err, errlen, "group name too long: '%s'",
			    gr->gr_name);
			return -1;
		}
	} else if (parse_id(group, &n)) {
		id->gid = (gid_t)n;
		snprintf(id->group, sizeof(id->group), "%lu", n);
	} else {
		snprintf(err, errlen, "unknown group '%s'", group);
		return -1;
	}
	return 0;
}

int
dp_priv_drop(const struct dp_priv_id *id, char *err, size_t errlen)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	/* Groups first: once the user is not root, they cannot change. */
	if (id->has_passwd) {
		if (initgroups(id->user, id->gid) != 0) {
			snprintf(err, errlen, "initgroups(%s, %lu): %s",
			    id->user, (unsigned long)id->gid, strerror(errno));
			return -1;
		}
	} else if (setgroups(1, &id->gid) != 0) {
		snprintf(err, errlen, "setgroups(%lu): %s",
		    (unsigned long)id->gid, strerror(errno));
		return -1;
	}
	/* As root, setgid() and setuid() set the real, effective and saved
	 * IDs alike. */
	if (setgid(id->gid) != 0) {
		snprintf(err, errlen, "setgid(%lu): %s", (unsigned long)id->gid,
		    strerror(errno));
		return -1;
	}
	if (setuid(id->uid) != 0) {
		snprintf(err, errlen, "setuid(%lu): %s", (unsigned long)id->uid,
		    strerror(errno));
		return -1;
	}
	if (getresuid(&ruid, &euid, &suid) != 0 ||
	    getresgid(&rgid, &egid, &sgid) != 0 || ruid != id->uid ||
	    euid != id->uid || suid != id->uid || rgid != id->gid ||
	    egid != id->gid || sgid != id->gid) {
		snprintf(err, errlen, "the user and group IDs are not %lu and "
		    "%lu after setuid() and setgid()", (unsigned long)id->uid,
		    (unsigned long)id->gid);
		return -1;
	}
	if (id->uid != 0 && setuid(0) != -1) {
		snprintf(err, errlen, "root privileges could be regained after "
		    "dropping them (setuid(0) succeeded)");
		return -1;
	}
	return 0;
}

static const char *
consequence(mode_t mode)
{
	if (S_ISSOCK(mode))
		return "any local user can connect to it";
	if (S_ISDIR(mode))
		return "any local user can create, rename and remove "
		    "files in it";
	return "any local user can change it";
}

/* The directory that holds path, as an absolute path without symbolic
 * links (malloc'ed), or NULL. */
static char *
parent_dir(const char *path)
{
	char *copy, *slash, *dir;
	size_t len;

	if ((copy = strdup(path)) == NULL)
		return NULL;
	len = strlen(copy);
	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	if ((slash = strrchr(copy, '/')) == NULL)
		dir = realpath(".", NULL);
	else if (slash == copy)
		dir = realpath("/", NULL);
	else {
		*slash = '\0';
		dir = realpath(copy, NULL);
	}
	free(copy);
	return dir;
}

int
dp_check_path_perms(const char *path, const char *what)
{
	struct stat sb;
	char *dir, *slash;
	int n = 0;

	if (path == NULL || *path == '\0')
		return 0;
	if (stat(path, &sb) == 0 && (sb.st_mode & S_IWOTH) &&
	    !(S_ISDIR(sb.st_mode) && (sb.st_mode & S_ISVTX))) {
		dp_warn("%s %s is world-writable (mode %04o): %s", what, path,
		    (unsigned)(sb.st_mode & 07777), consequence(sb.st_mode));
		n++;
	}
	/* Whoever may write to a directory above path may rename what is
	 * in it and put something else in its place; the sticky bit (as on
	 * /tmp) limits that to the entry's owner. */
	if ((dir = parent_dir(path)) == NULL)
		return n;
	for (;;) {
		if (stat(dir, &sb) == 0 && (sb.st_mode & S_IWOTH) &&
		    !(sb.st_mode & S_ISVTX)) {
			dp_warn("directory %s is world-writable without the "
			    "sticky bit (mode %04o): any local user can "
			    "replace the %s %s", dir,
			    (unsigned)(sb.st_mode & 07777), what, path);
			n++;
		}
		if (strcmp(dir, "/") == 0)
			break;
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	free(dir);
	return n;
}
