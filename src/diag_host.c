#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag_host.h"
#include "udev.h"

static const char *const default_dirs[] = {
	"/etc/udev/rules.d", "/run/udev/rules.d", "/usr/lib/udev/rules.d", "/lib/udev/rules.d",
};

const char *const *sf_udev_default_dirs(size_t *n)
{
	*n = sizeof default_dirs / sizeof default_dirs[0];
	return default_dirs;
}

/* Reads a small file (at most cap-1 bytes) as a string; false on error. */
static bool read_small(const char *path, char *buf, size_t cap, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	if (fd < 0)
		return false;
	while (n + 1 < cap) {
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return true;
}

/* A sysfs attribute holding one number in `base`. */
static bool read_num_attr(const char *dir, const char *name, int base, unsigned *out)
{
	char path[512], buf[32];
	char *end;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (!read_small(path, buf, sizeof buf, NULL))
		return false;
	*out = (unsigned)strtoul(buf, &end, base);
	return end != buf;
}

int sf_udev_find_cover(const char *const *dirs, size_t ndirs, uint16_t vid, uint16_t pid,
		       char *file, size_t cap)
{
	const size_t max = 1 << 20;
	int result = -1;
	char *buf = malloc(max);
	if (!buf)
		return -1;
	for (size_t d = 0; d < ndirs; d++) {
		DIR *dir = opendir(dirs[d]);
		struct dirent *e;
		if (!dir)
			continue;
		if (result < 0)
			result = 0;
		while ((e = readdir(dir))) {
			size_t nl = strlen(e->d_name), len;
			char path[1024];
			if (nl < 7 || strcmp(e->d_name + nl - 6, ".rules"))
				continue;
			snprintf(path, sizeof path, "%s/%s", dirs[d], e->d_name);
			if (!read_small(path, buf, max, &len))
				continue;
			if (sf_udev_rules_cover(buf, len, vid, pid)) {
				if (file)
					snprintf(file, cap, "%s", path);
				result = 1;
				break;
			}
		}
		closedir(dir);
		if (result == 1)
			break;
	}
	free(buf);
	return result;
}

static bool wanted(const sf_diag_context *ctx, const uint16_t (*ids)[2], size_t nids,
		   unsigned vid, unsigned pid, bool *runtime)
{
	*runtime = false;
	if (ctx->has_runtime_id && vid == ctx->runtime_vid && pid == ctx->runtime_pid) {
		*runtime = true;
		return true;
	}
	if (ctx->has_dfu_id && vid == ctx->dfu_vid && pid == ctx->dfu_pid)
		return true;
	for (size_t i = 0; i < nids; i++)
		if (ids[i][0] == vid && ids[i][1] == pid)
			return true;
	return false;
}

static void add_rule(sf_diag_context *ctx, const sf_diag_host_opts *o, uint16_t vid, uint16_t pid)
{
	sf_diag_rule *r;
	for (size_t i = 0; i < ctx->nrules; i++)
		if (ctx->rules[i].vid == vid && ctx->rules[i].pid == pid)
			return;
	if (ctx->nrules >= SF_DIAG_MAX_RULES)
		return;
	r = &ctx->rules[ctx->nrules++];
	r->vid = vid;
	r->pid = pid;
	r->file[0] = '\0';
	r->covered = sf_udev_find_cover(o->rules_dirs, o->nrules_dirs, vid, pid, r->file, sizeof r->file);
}

void sf_diag_host_facts(sf_diag_context *ctx, const uint16_t (*ids)[2], size_t nids,
			const sf_diag_host_opts *opts)
{
	sf_diag_host_opts o = { 0 };
	DIR *dir;
	struct dirent *e;

	if (opts)
		o = *opts;
	if (!o.sysfs_dir)
		o.sysfs_dir = "/sys/bus/usb/devices";
	if (!o.rules_dirs)
		o.rules_dirs = sf_udev_default_dirs(&o.nrules_dirs);
#if defined(__linux__)
	ctx->os = "linux";
#elif defined(__APPLE__)
	ctx->os = "macos";
	return;
#else
	ctx->os = NULL;
	return;
#endif
	ctx->host_known = true;
	dir = opendir(o.sysfs_dir);
	while (dir && (e = readdir(dir)) && ctx->ndevices < SF_DIAG_MAX_DEVICES) {
		char path[512];
		unsigned vid, pid, bus, dev;
		bool runtime;
		struct stat sb;
		sf_diag_usbdev *u;
		if (e->d_name[0] == '.' || strchr(e->d_name, ':'))
			continue; /* interfaces ("1-1:1.0") carry no idVendor */
		snprintf(path, sizeof path, "%s/%s", o.sysfs_dir, e->d_name);
		if (!read_num_attr(path, "idVendor", 16, &vid) || !read_num_attr(path, "idProduct", 16, &pid) ||
		    !wanted(ctx, ids, nids, vid, pid, &runtime))
			continue;
		if (!read_num_attr(path, "busnum", 10, &bus) || !read_num_attr(path, "devnum", 10, &dev))
			continue;
		u = &ctx->devices[ctx->ndevices++];
		memset(u, 0, sizeof *u);
		u->vid = (uint16_t)vid;
		u->pid = (uint16_t)pid;
		u->busnum = bus;
		u->devnum = dev;
		u->runtime = runtime;
		u->accessible = -1;
		snprintf(u->node, sizeof u->node, "/dev/bus/usb/%03u/%03u", bus % 1000, dev % 1000);
		if (stat(u->node, &sb) == 0) {
			struct passwd *pw = getpwuid(sb.st_uid);
			struct group *gr = getgrgid(sb.st_gid);
			u->node_known = true;
			u->mode = (unsigned)(sb.st_mode & 07777);
			if (pw)
				snprintf(u->owner, sizeof u->owner, "%s", pw->pw_name);
			else
				snprintf(u->owner, sizeof u->owner, "%u", (unsigned)sb.st_uid);
			if (gr)
				snprintf(u->group, sizeof u->group, "%s", gr->gr_name);
			else
				snprintf(u->group, sizeof u->group, "%u", (unsigned)sb.st_gid);
			u->accessible = access(u->node, R_OK | W_OK) == 0 ? 1 : 0;
		}
	}
	if (dir)
		closedir(dir);
	if (ctx->has_dfu_id)
		add_rule(ctx, &o, ctx->dfu_vid, ctx->dfu_pid);
	if (ctx->has_runtime_id)
		add_rule(ctx, &o, ctx->runtime_vid, ctx->runtime_pid);
	for (size_t i = 0; i < nids; i++)
		add_rule(ctx, &o, ids[i][0], ids[i][1]);
}
