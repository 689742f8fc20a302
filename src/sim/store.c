#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "profile_io.h"
#include "sim/store.h"

static char *path_join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s/%s", a, b);
	return s;
}

char *sf_sim_devices_dir(const char *sim_dir)
{
	return path_join(sim_dir, "devices");
}

const char *sf_sim_mode_name(enum sf_sim_presence mode)
{
	switch (mode) {
	case SF_SIM_PRESENT: return "dfu";
	case SF_SIM_LEFT: return "left";
	case SF_SIM_LOST: return "lost";
	case SF_SIM_REENUMERATED: return "dfu";
	case SF_SIM_RUNTIME: return "runtime";
	case SF_SIM_UNPLUGGED: return "unplugged";
	}
	return "dfu";
}

static enum sf_sim_presence mode_from_name(const char *s)
{
	if (s && !strcmp(s, "left"))
		return SF_SIM_LEFT;
	if (s && !strcmp(s, "lost"))
		return SF_SIM_LOST;
	if (s && !strcmp(s, "runtime"))
		return SF_SIM_RUNTIME;
	if (s && !strcmp(s, "unplugged"))
		return SF_SIM_UNPLUGGED;
	return SF_SIM_PRESENT;
}

bool sf_sim_serial_ok(const char *serial)
{
	size_t n = 0;
	if (!serial || !*serial)
		return false;
	for (const char *c = serial; *c; c++, n++) {
		bool ok = (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
			  (*c >= 'A' && *c <= 'Z') || *c == '_' || *c == '-';
		if (!ok || n >= 63)
			return false;
	}
	return true;
}

static bool parse_u8(const char **s, uint8_t *out)
{
	unsigned v = 0;
	int n = 0;
	if (**s == '0')
		return false; /* bus and port numbers start at 1 */
	while (**s >= '0' && **s <= '9' && n < 4) {
		v = v * 10 + (unsigned)(**s - '0');
		(*s)++;
		n++;
	}
	if (n == 0 || v < 1 || v > 255)
		return false;
	*out = (uint8_t)v;
	return true;
}

bool sf_sim_path_parse(const char *path, uint8_t *bus, uint8_t *ports, int *nports)
{
	const char *s = path;
	int n = 0;
	if (!s || !parse_u8(&s, bus) || *s != '-')
		return false;
	s++;
	for (;;) {
		if (n >= SF_SIM_MAX_PORTS || !parse_u8(&s, &ports[n]))
			return false;
		n++;
		if (*s == '\0')
			break;
		if (*s != '.')
			return false;
		s++;
	}
	*nports = n;
	return true;
}

/* Sort key: bus, then ports lexicographically (numerically). */
static int path_cmp(const char *a, const char *b)
{
	uint8_t ba, bb, pa[SF_SIM_MAX_PORTS], pb[SF_SIM_MAX_PORTS];
	int na, nb;
	bool oka = sf_sim_path_parse(a, &ba, pa, &na), okb = sf_sim_path_parse(b, &bb, pb, &nb);
	if (!oka || !okb)
		return oka == okb ? strcmp(a, b) : (oka ? -1 : 1);
	if (ba != bb)
		return ba < bb ? -1 : 1;
	for (int i = 0; i < na && i < nb; i++)
		if (pa[i] != pb[i])
			return pa[i] < pb[i] ? -1 : 1;
	return na - nb;
}

typedef struct name_path {
	char *serial;
	char path[32];
} name_path;

static int name_path_cmp(const void *a, const void *b)
{
	const name_path *x = a, *y = b;
	int c = path_cmp(x->path, y->path);
	return c ? c : strcmp(x->serial, y->serial);
}

/* Reads "path" from device.json without loading the profile. */
static void read_path(const char *devdir, char *out, size_t size)
{
	char *file = path_join(devdir, "device.json");
	json_t *doc = file ? json_load_file(file, 0, NULL) : NULL;
	const char *p = json_string_value(json_object_get(doc, "path"));
	snprintf(out, size, "%s", p ? p : "");
	json_decref(doc);
	free(file);
}

int sf_sim_device_names(const char *sim_dir, char ***serials, size_t *n, sf_err *err)
{
	char *devs = sf_sim_devices_dir(sim_dir);
	DIR *dir;
	struct dirent *e;
	name_path *list = NULL;
	size_t count = 0, cap = 0;
	*serials = NULL;
	*n = 0;
	if (!devs)
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	dir = opendir(devs);
	if (!dir) {
		int e2 = errno;
		free(devs);
		if (e2 == ENOENT)
			return 0;
		/* a user's path, not our bug: refused, not internal */
		return sf_err_set(err, SF_EXIT_REFUSED, "cannot read simulation directory '%s': %s",
				  sim_dir, strerror(e2));
	}
	while ((e = readdir(dir))) {
		char *devdir;
		if (!sf_sim_serial_ok(e->d_name))
			continue;
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			name_path *nl = realloc(list, ncap * sizeof *nl);
			if (!nl)
				break;
			list = nl;
			cap = ncap;
		}
		devdir = path_join(devs, e->d_name);
		list[count].serial = strdup(e->d_name);
		if (!devdir || !list[count].serial) {
			free(devdir);
			free(list[count].serial);
			break;
		}
		read_path(devdir, list[count].path, sizeof list[count].path);
		free(devdir);
		count++;
	}
	closedir(dir);
	free(devs);
	if (count)
		qsort(list, count, sizeof *list, name_path_cmp);
	*serials = calloc(count + 1, sizeof **serials);
	if (!*serials) {
		for (size_t i = 0; i < count; i++)
			free(list[i].serial);
		free(list);
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	}
	for (size_t i = 0; i < count; i++)
		(*serials)[i] = list[i].serial;
	*n = count;
	free(list);
	return 0;
}

void sf_sim_names_free(char **serials, size_t n)
{
	for (size_t i = 0; serials && i < n; i++)
		free(serials[i]);
	free(serials);
}

char *sf_sim_image_path(const sf_sim_device *d, size_t alt_index)
{
	char name[32];
	snprintf(name, sizeof name, "alt%d.bin", d->profile.alts[alt_index].alt);
	return path_join(d->dir, name);
}

static json_t *load_json(const char *dir, const char *name, sf_err *err)
{
	char *file = path_join(dir, name);
	json_error_t je;
	json_t *doc;
	if (!file) {
		sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
		return NULL;
	}
	doc = json_load_file(file, 0, &je);
	if (!doc || !json_is_object(doc)) {
		sf_err_set(err, SF_EXIT_INTERNAL, "simulated device file '%s' is unreadable: %s; remove the device and add it again",
			   file, doc ? "not an object" : je.text);
		json_decref(doc);
		doc = NULL;
	}
	free(file);
	return doc;
}

static void counters_alloc(sf_sim_device *d)
{
	d->counters = calloc(d->profile.nalts ? d->profile.nalts : 1, sizeof *d->counters);
	for (size_t i = 0; d->counters && i < d->profile.nalts; i++) {
		size_t np = sf_sim_layout_pages(&d->profile.alts[i].layout);
		d->counters[i].npages = np;
		d->counters[i].erases = calloc(np ? np : 1, sizeof(uint32_t));
		d->counters[i].programs = calloc(np ? np : 1, sizeof(uint32_t));
	}
}

static void counters_read(sf_sim_counters *c, json_t *arr, uint32_t *dst)
{
	size_t i;
	json_t *v;
	if (!dst)
		return;
	json_array_foreach(arr, i, v) {
		if (i >= c->npages)
			break;
		if (json_is_integer(v) && json_integer_value(v) >= 0)
			dst[i] = (uint32_t)json_integer_value(v);
	}
}

static uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int load_state(sf_sim_device *d, sf_err *err)
{
	json_t *st = load_json(d->dir, "state.json", err), *alts, *a;
	size_t i;
	if (!st)
		return err->code;
	d->mode = mode_from_name(json_string_value(json_object_get(st, "mode")));
	d->devnum = (uint8_t)json_integer_value(json_object_get(st, "devnum"));
	d->dfu_state = (uint8_t)json_integer_value(json_object_get(st, "dfu_state"));
	d->dfu_status = (uint8_t)json_integer_value(json_object_get(st, "dfu_status"));
	if (d->dfu_state < SF_DFU_IDLE || d->dfu_state > SF_DFU_ERROR)
		d->dfu_state = SF_DFU_IDLE;
	if (json_is_integer(json_object_get(st, "pointer"))) {
		d->pointer = (uint32_t)json_integer_value(json_object_get(st, "pointer"));
		d->has_pointer = true;
	}
	d->last_address = (uint32_t)json_integer_value(json_object_get(st, "last_address"));
	d->sessions = (unsigned long)json_integer_value(json_object_get(st, "sessions"));
	d->back_at = (uint64_t)json_integer_value(json_object_get(st, "back_at"));
	d->back_devnum = (uint8_t)json_integer_value(json_object_get(st, "back_devnum"));
	{
		json_t *spent = json_object_get(st, "spent_faults"), *v;
		size_t k;
		json_array_foreach(spent, k, v)
			for (size_t f = 0; f < d->nfaults; f++)
				if (json_is_string(v) && !strcmp(json_string_value(v), d->fault_specs[f]))
					d->spent[f] = true;
	}
	if (d->mode == SF_SIM_UNPLUGGED && wall_ms() >= d->back_at) {
		/* plugged in again: enumerates anew, the bootloader starts */
		d->mode = SF_SIM_PRESENT;
		d->devnum = d->back_devnum;
		sf_sim_boot_state(&d->profile.bootloader, &d->dfu_state, &d->dfu_status);
		d->has_pointer = false;
	}
	alts = json_object_get(st, "alts");
	json_array_foreach(alts, i, a) {
		json_int_t alt = json_integer_value(json_object_get(a, "alt"));
		for (size_t k = 0; k < d->profile.nalts; k++) {
			if (d->profile.alts[k].alt != alt)
				continue;
			counters_read(&d->counters[k], json_object_get(a, "erases"), d->counters[k].erases);
			counters_read(&d->counters[k], json_object_get(a, "programs"), d->counters[k].programs);
		}
	}
	json_decref(st);
	return 0;
}

int sf_sim_device_load(const char *sim_dir, const char *serial, sf_sim_device *d, sf_err *err)
{
	char *devs;
	json_t *doc, *faults, *v;
	const char *s;
	size_t i;
	char *pfile;
	int rc;

	memset(d, 0, sizeof *d);
	if (!sf_sim_serial_ok(serial))
		return sf_err_set(err, SF_EXIT_USAGE, "invalid serial number '%s' (letters, digits, '-' and '_' only)", serial);
	devs = sf_sim_devices_dir(sim_dir);
	d->dir = devs ? path_join(devs, serial) : NULL;
	free(devs);
	if (!d->dir)
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	if (access(d->dir, F_OK) != 0) {
		sf_err_set(err, SF_EXIT_NO_DEVICE, "no simulated device with serial '%s' in '%s'; see 'sparkflash --sim %s sim list'",
			   serial, sim_dir, sim_dir);
		free(d->dir);
		d->dir = NULL;
		return err ? err->code : SF_EXIT_NO_DEVICE;
	}
	doc = load_json(d->dir, "device.json", err);
	if (!doc) {
		free(d->dir);
		d->dir = NULL;
		return err ? err->code : SF_EXIT_INTERNAL;
	}
	snprintf(d->serial, sizeof d->serial, "%s", serial);
	s = json_string_value(json_object_get(doc, "path"));
	snprintf(d->path, sizeof d->path, "%s", s ? s : "");
	if (!sf_sim_path_parse(d->path, &d->bus, d->ports, &d->nports)) {
		rc = sf_err_set(err, SF_EXIT_INTERNAL, "simulated device '%s' has an invalid USB path '%s'", serial, d->path);
		goto fail;
	}
	s = json_string_value(json_object_get(doc, "timing"));
	d->real_timing = s && !strcmp(s, "real");
	sf_sim_faults_init(&d->faults);
	faults = json_object_get(doc, "faults");
	json_array_foreach(faults, i, v) {
		sf_sim_faults check;
		if (!json_is_string(v) || d->nfaults >= SF_SIM_MAX_FAULTS)
			continue;
		sf_sim_faults_init(&check);
		if ((rc = sf_sim_fault_parse(json_string_value(v), &check, err)))
			goto fail;
		if (!(d->fault_specs[d->nfaults] = strdup(json_string_value(v)))) {
			rc = sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
			goto fail;
		}
		d->nfaults++;
	}
	pfile = path_join(d->dir, "profile.json");
	rc = pfile ? sf_profile_load_file(pfile, &d->profile, err) : sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	free(pfile);
	if (rc)
		goto fail;
	if ((s = json_string_value(json_object_get(doc, "refused")))) {
		if (sf_bl_refused_parse(s, &d->refused) != 0) {
			rc = sf_err_set(err, SF_EXIT_INTERNAL, "simulated device '%s' has an invalid \"refused\" value '%s'; remove the device and add it again",
					serial, s);
			goto fail;
		}
		d->has_refused = true;
		d->profile.bootloader.refused = d->refused;
	}
	counters_alloc(d);
	if (!d->counters) {
		rc = sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
		goto fail;
	}
	json_decref(doc);
	if ((rc = load_state(d, err))) {
		sf_sim_device_free(d);
		return rc;
	}
	/* the faults in force: every one but the one-shot faults spent */
	for (size_t f = 0; f < d->nfaults; f++)
		if (!d->spent[f])
			sf_sim_fault_parse(d->fault_specs[f], &d->faults, NULL);
	return 0;
fail:
	json_decref(doc);
	sf_sim_device_free(d);
	return rc;
}

void sf_sim_device_free(sf_sim_device *d)
{
	if (d->counters) {
		for (size_t i = 0; i < d->profile.nalts; i++) {
			free(d->counters[i].erases);
			free(d->counters[i].programs);
		}
		free(d->counters);
	}
	for (size_t i = 0; i < d->nfaults; i++)
		free(d->fault_specs[i]);
	if (d->profile.id || d->profile.alts)
		sf_profile_free(&d->profile);
	free(d->dir);
	memset(d, 0, sizeof *d);
}

static json_t *u32_array(const uint32_t *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && v && i < n; i++)
		json_array_append_new(a, json_integer(v[i]));
	return a;
}

/* Writes doc to dir/name through a temporary file and rename. */
static int save_json(const char *dir, const char *name, json_t *doc, sf_err *err)
{
	char *file = path_join(dir, name);
	char tmp[PATH_MAX];
	int rc = 0;
	if (!file)
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", file, (long)getpid());
	if (json_dump_file(doc, tmp, JSON_COMPACT | JSON_SORT_KEYS) != 0 || rename(tmp, file) != 0) {
		rc = sf_err_set(err, SF_EXIT_INTERNAL, "cannot write '%s': %s", file, strerror(errno));
		unlink(tmp);
	}
	free(file);
	return rc;
}

int sf_sim_state_save(const sf_sim_device *d, sf_err *err)
{
	json_t *st = json_object(), *alts = json_array();
	int rc;
	if (!st || !alts) {
		json_decref(st);
		json_decref(alts);
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	}
	json_object_set_new(st, "mode", json_string(sf_sim_mode_name(d->mode)));
	json_object_set_new(st, "devnum", json_integer(d->devnum));
	json_object_set_new(st, "dfu_state", json_integer(d->dfu_state));
	json_object_set_new(st, "dfu_status", json_integer(d->dfu_status));
	if (d->has_pointer)
		json_object_set_new(st, "pointer", json_integer(d->pointer));
	json_object_set_new(st, "last_address", json_integer(d->last_address));
	json_object_set_new(st, "sessions", json_integer((json_int_t)d->sessions));
	{
		json_t *spent = json_array();
		for (size_t f = 0; f < d->nfaults; f++)
			if (d->spent[f])
				json_array_append_new(spent, json_string(d->fault_specs[f]));
		json_object_set_new(st, "spent_faults", spent);
	}
	if (d->mode == SF_SIM_UNPLUGGED) {
		json_object_set_new(st, "back_at", json_integer((json_int_t)d->back_at));
		json_object_set_new(st, "back_devnum", json_integer(d->back_devnum));
	}
	for (size_t i = 0; d->counters && i < d->profile.nalts; i++)
		json_array_append_new(alts, json_pack("{s:i, s:o, s:o}", "alt", d->profile.alts[i].alt,
						      "erases", u32_array(d->counters[i].erases, d->counters[i].npages),
						      "programs", u32_array(d->counters[i].programs, d->counters[i].npages)));
	json_object_set_new(st, "alts", alts);
	rc = save_json(d->dir, "state.json", st, err);
	json_decref(st);
	return rc;
}

int sf_sim_lock(const char *dev_dir, bool exclusive, bool nonblock, sf_err *err)
{
	int fd = open(dev_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		sf_err_set(err, SF_EXIT_NO_DEVICE, "cannot open '%s': %s", dev_dir, strerror(errno));
		return -1;
	}
	if (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | (nonblock ? LOCK_NB : 0)) != 0) {
		int e = errno;
		sf_err_set(err, SF_EXIT_INTERNAL, "cannot lock '%s': %s", dev_dir, strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

void sf_sim_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

static int copy_file(const char *from, const char *to, sf_err *err)
{
	FILE *in = fopen(from, "rb"), *out;
	char buf[8192];
	size_t n;
	int rc = 0;
	if (!in)
		return sf_err_set(err, SF_EXIT_REFUSED, "cannot read profile '%s': %s", from, strerror(errno));
	out = fopen(to, "wb");
	if (!out) {
		fclose(in);
		return sf_err_set(err, SF_EXIT_INTERNAL, "cannot create '%s': %s", to, strerror(errno));
	}
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, out) != n) {
			rc = sf_err_set(err, SF_EXIT_INTERNAL, "cannot write '%s': %s", to, strerror(errno));
			break;
		}
	if (ferror(in))
		rc = sf_err_set(err, SF_EXIT_INTERNAL, "cannot read '%s'", from);
	fclose(in);
	if (fclose(out) != 0 && !rc)
		rc = sf_err_set(err, SF_EXIT_INTERNAL, "cannot write '%s': %s", to, strerror(errno));
	return rc;
}

static int blank_image(const char *file, uint64_t size, sf_err *err)
{
	FILE *f = fopen(file, "wb");
	uint8_t buf[4096];
	uint64_t left = size;
	if (!f)
		return sf_err_set(err, SF_EXIT_INTERNAL, "cannot create '%s': %s", file, strerror(errno));
	memset(buf, 0xFF, sizeof buf);
	while (left) {
		size_t k = left < sizeof buf ? (size_t)left : sizeof buf;
		if (fwrite(buf, 1, k, f) != k)
			break;
		left -= k;
	}
	if (fclose(f) != 0 || left)
		return sf_err_set(err, SF_EXIT_INTERNAL, "cannot write '%s': %s", file, strerror(errno));
	return 0;
}

/* mkdir -p */
static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof buf) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0777) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int random_serial(char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char raw[32];
	FILE *f = fopen("/dev/urandom", "rb");
	size_t got = f ? fread(raw, 1, len, f) : 0;
	if (f)
		fclose(f);
	if (got != len)
		return -1;
	for (size_t i = 0; i < len; i++)
		out[i] = hex[raw[i] & 15];
	out[len] = '\0';
	return 0;
}

/* Device facts already present: for choosing serials, paths and devnums. */
typedef struct taken {
	char **serials;
	size_t n;
	char (*paths)[32];
	uint8_t *buses, *devnums;
} taken;

static void taken_free(taken *t)
{
	sf_sim_names_free(t->serials, t->n);
	free(t->paths);
	free(t->buses);
	free(t->devnums);
}

static int taken_load(const char *sim_dir, taken *t, sf_err *err)
{
	char *devs;
	int rc;
	memset(t, 0, sizeof *t);
	if ((rc = sf_sim_device_names(sim_dir, &t->serials, &t->n, err)))
		return rc;
	t->paths = calloc(t->n + 1, sizeof *t->paths);
	t->buses = calloc(t->n + 1, 1);
	t->devnums = calloc(t->n + 1, 1);
	devs = sf_sim_devices_dir(sim_dir);
	if (!t->paths || !t->buses || !t->devnums || !devs) {
		free(devs);
		taken_free(t);
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	}
	for (size_t i = 0; i < t->n; i++) {
		char *dir = path_join(devs, t->serials[i]);
		json_t *st;
		uint8_t ports[SF_SIM_MAX_PORTS];
		int np;
		if (!dir)
			continue;
		read_path(dir, t->paths[i], sizeof t->paths[i]);
		if (!sf_sim_path_parse(t->paths[i], &t->buses[i], ports, &np))
			t->buses[i] = 0;
		st = load_json(dir, "state.json", NULL);
		t->devnums[i] = (uint8_t)json_integer_value(json_object_get(st, "devnum"));
		json_decref(st);
		free(dir);
	}
	free(devs);
	return 0;
}

static uint8_t next_devnum(const taken *t, uint8_t bus)
{
	unsigned max = 1; /* devnum 1 is the root hub */
	for (size_t i = 0; i < t->n; i++)
		if (t->buses[i] == bus && t->devnums[i] > max)
			max = t->devnums[i];
	return (uint8_t)(max >= 127 ? 2 : max + 1);
}

uint8_t sf_sim_next_devnum(const char *sim_dir, uint8_t bus)
{
	taken t;
	uint8_t n;
	if (taken_load(sim_dir, &t, NULL) != 0)
		return 2;
	n = next_devnum(&t, bus);
	taken_free(&t);
	return n;
}

int sf_sim_device_create(const char *sim_dir, const sf_sim_new *spec, char *serial_out,
			 size_t serial_size, sf_err *err)
{
	taken t;
	char serial[64], path[32], *devs = NULL, *dir = NULL, *file = NULL;
	uint8_t bus, ports[SF_SIM_MAX_PORTS];
	int np, rc, lock = -1;
	json_t *doc = NULL, *faults;
	sf_sim_device d;

	if (spec->runtime && !spec->profile->has_runtime)
		return sf_err_set(err, SF_EXIT_USAGE,
				  "profile '%s' has no runtime (normal-mode) USB id (usb.runtime), so it cannot start in runtime mode; use --mode dfu or add \"runtime\": \"VID:PID\" to the profile's usb object",
				  spec->profile->id ? spec->profile->id : "?");
	if (mkdir_p(sim_dir) != 0)
		return sf_err_set(err, SF_EXIT_REFUSED, "cannot create simulation directory '%s': %s", sim_dir, strerror(errno));
	devs = sf_sim_devices_dir(sim_dir);
	if (!devs)
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	if (mkdir(devs, 0777) != 0 && errno != EEXIST) {
		rc = sf_err_set(err, SF_EXIT_REFUSED, "cannot create '%s': %s", devs, strerror(errno));
		free(devs);
		return rc;
	}
	/* Serialises concurrent `sim add`s choosing serials, paths, devnums. */
	lock = sf_sim_lock(devs, true, false, err);
	if (lock < 0) {
		free(devs);
		return err ? err->code : SF_EXIT_INTERNAL;
	}
	if ((rc = taken_load(sim_dir, &t, err)))
		goto out_unlocked;

	if (spec->serial) {
		if (!sf_sim_serial_ok(spec->serial)) {
			rc = sf_err_set(err, SF_EXIT_USAGE, "invalid serial number '%s': use 1 to 63 letters, digits, '-' or '_'", spec->serial);
			goto out;
		}
		snprintf(serial, sizeof serial, "%s", spec->serial);
		for (size_t i = 0; i < t.n; i++)
			if (!strcmp(t.serials[i], serial)) {
				rc = sf_err_set(err, SF_EXIT_REFUSED, "a simulated device with serial '%s' already exists; remove it first or pick another --serial", serial);
				goto out;
			}
	} else {
		/* Particle's serials are 24 hex digits (the device ID); the
		 * Spark Core's and the STM32 system bootloaders' 12. */
		size_t len = spec->profile->dfu.vid == 0x2b04 ? 24 : 12;
		bool unique = false;
		for (int tries = 0; tries < 100 && !unique; tries++) {
			if (random_serial(serial, len) != 0)
				break;
			unique = true;
			for (size_t i = 0; i < t.n; i++)
				if (!strcmp(t.serials[i], serial))
					unique = false;
		}
		if (!unique) {
			rc = sf_err_set(err, SF_EXIT_INTERNAL, "cannot generate a serial number; pass --serial");
			goto out;
		}
	}
	if (spec->path) {
		if (!sf_sim_path_parse(spec->path, &bus, ports, &np)) {
			rc = sf_err_set(err, SF_EXIT_USAGE, "invalid USB path '%s': write BUS-PORT[.PORT...], e.g. 1-2 or 3-1.4", spec->path);
			goto out;
		}
		snprintf(path, sizeof path, "%s", spec->path);
		for (size_t i = 0; i < t.n; i++)
			if (!strcmp(t.paths[i], path)) {
				rc = sf_err_set(err, SF_EXIT_REFUSED, "USB path '%s' is already used by simulated device '%s'; pick another --path", path, t.serials[i]);
				goto out;
			}
	} else {
		bool free_path = false;
		for (unsigned port = 1; port <= 255 && !free_path; port++) {
			snprintf(path, sizeof path, "1-%u", port);
			free_path = true;
			for (size_t i = 0; i < t.n; i++)
				if (!strcmp(t.paths[i], path))
					free_path = false;
		}
		if (!free_path) {
			rc = sf_err_set(err, SF_EXIT_REFUSED, "bus 1 is full; pass --path");
			goto out;
		}
		sf_sim_path_parse(path, &bus, ports, &np);
	}

	dir = path_join(devs, serial);
	if (!dir || mkdir(dir, 0777) != 0) {
		rc = sf_err_set(err, SF_EXIT_INTERNAL, "cannot create '%s': %s", dir ? dir : serial, strerror(errno));
		goto out;
	}
	file = path_join(dir, "profile.json");
	if (!file || (rc = copy_file(spec->profile_file, file, err)))
		goto fail_dir;
	faults = json_array();
	for (size_t i = 0; i < spec->nfaults; i++)
		json_array_append_new(faults, json_string(spec->faults[i]));
	doc = json_pack("{s:i, s:s, s:s, s:s, s:s, s:o}", "schema", 1, "serial", serial, "path", path,
			"timing", spec->real_timing ? "real" : "fast", "profile", spec->profile->id ? spec->profile->id : "",
			"faults", faults);
	if (doc && spec->refused) {
		enum sf_bl_refused r;
		if (sf_bl_refused_parse(spec->refused, &r) != 0) {
			rc = sf_err_set(err, SF_EXIT_USAGE, "invalid refused behaviour '%s': use silent, stall or status", spec->refused);
			goto fail_dir;
		}
		json_object_set_new(doc, "refused", json_string(spec->refused));
	}
	if (!doc || (rc = save_json(dir, "device.json", doc, err)))
		goto fail_dir;

	memset(&d, 0, sizeof d);
	d.dir = dir;
	d.profile = *spec->profile;
	d.mode = spec->runtime ? SF_SIM_RUNTIME : SF_SIM_PRESENT;
	d.devnum = next_devnum(&t, bus);
	sf_sim_boot_state(&spec->profile->bootloader, &d.dfu_state, &d.dfu_status);
	for (size_t i = 0; i < spec->profile->nalts; i++) {
		char *img = sf_sim_image_path(&d, i);
		rc = img ? blank_image(img, sf_sim_layout_size(&spec->profile->alts[i].layout), err)
			 : sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
		free(img);
		if (rc)
			goto fail_dir;
	}
	/* counters stay empty until the first session writes them */
	if ((rc = sf_sim_state_save(&d, err)))
		goto fail_dir;
	snprintf(serial_out, serial_size, "%s", serial);
	rc = 0;
	goto out;
fail_dir:
	if (dir) {
		char cmd_dir[PATH_MAX];
		DIR *dd = opendir(dir);
		struct dirent *e;
		while (dd && (e = readdir(dd))) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(cmd_dir, sizeof cmd_dir, "%s/%s", dir, e->d_name);
			unlink(cmd_dir);
		}
		if (dd)
			closedir(dd);
		rmdir(dir);
	}
out:
	taken_free(&t);
out_unlocked:
	json_decref(doc);
	free(file);
	free(dir);
	sf_sim_unlock(lock);
	free(devs);
	return rc;
}

int sf_sim_device_remove(const char *sim_dir, const char *serial, sf_err *err)
{
	char *devs, *dir;
	int rc = 0, lock;
	DIR *dd;
	struct dirent *e;
	/* No sf_sim_device_load: a device with broken files must be removable. */
	if (!sf_sim_serial_ok(serial))
		return sf_err_set(err, SF_EXIT_USAGE, "invalid serial number '%s' (letters, digits, '-' and '_' only)", serial);
	devs = sf_sim_devices_dir(sim_dir);
	dir = devs ? path_join(devs, serial) : NULL;
	free(devs);
	if (!dir)
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	if (access(dir, F_OK) != 0) {
		rc = sf_err_set(err, SF_EXIT_NO_DEVICE, "no simulated device with serial '%s' in '%s'; see 'sparkflash --sim %s sim list'",
				serial, sim_dir, sim_dir);
		free(dir);
		return rc;
	}
	lock = sf_sim_lock(dir, true, false, err);
	if (lock < 0) {
		free(dir);
		return err ? err->code : SF_EXIT_INTERNAL;
	}
	dd = opendir(dir);
	while (dd && (e = readdir(dd))) {
		char file[PATH_MAX];
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(file, sizeof file, "%s/%s", dir, e->d_name);
		if (unlink(file) != 0)
			rc = sf_err_set(err, SF_EXIT_INTERNAL, "cannot remove '%s': %s", file, strerror(errno));
	}
	if (dd)
		closedir(dd);
	if (!rc && rmdir(dir) != 0)
		rc = sf_err_set(err, SF_EXIT_INTERNAL, "cannot remove '%s': %s", dir, strerror(errno));
	sf_sim_unlock(lock);
	free(dir);
	return rc;
}

int sf_sim_device_reset(const char *sim_dir, const char *serial, bool runtime, sf_err *err)
{
	sf_sim_device d;
	taken t;
	int rc, lock;
	char *devdir;
	if ((rc = sf_sim_device_load(sim_dir, serial, &d, err)))
		return rc;
	devdir = strdup(d.dir);
	sf_sim_device_free(&d);
	if (!devdir)
		return sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	lock = sf_sim_lock(devdir, true, false, err);
	free(devdir);
	if (lock < 0)
		return err ? err->code : SF_EXIT_INTERNAL;
	/* Reload under the lock: a session may have just saved. */
	if ((rc = sf_sim_device_load(sim_dir, serial, &d, err)))
		goto out;
	if (runtime && !d.profile.has_runtime) {
		rc = sf_err_set(err, SF_EXIT_USAGE,
				"profile '%s' has no runtime (normal-mode) USB id (usb.runtime), so %s cannot be put in runtime mode",
				d.profile.id ? d.profile.id : "?", serial);
		sf_sim_device_free(&d);
		goto out;
	}
	if ((rc = taken_load(sim_dir, &t, err))) {
		sf_sim_device_free(&d);
		goto out;
	}
	d.mode = runtime ? SF_SIM_RUNTIME : SF_SIM_PRESENT;
	d.devnum = next_devnum(&t, d.bus); /* a replug gets a new address */
	/* powered up: the bootloader starts afresh */
	sf_sim_boot_state(&d.profile.bootloader, &d.dfu_state, &d.dfu_status);
	if (runtime) {
		d.dfu_state = SF_DFU_IDLE;
		d.dfu_status = SF_DFU_OK;
	}
	d.has_pointer = false;
	rc = sf_sim_state_save(&d, err);
	taken_free(&t);
	sf_sim_device_free(&d);
out:
	sf_sim_unlock(lock);
	return rc;
}
