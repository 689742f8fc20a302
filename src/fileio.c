#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

/* ---- temporary files and the signals that must not leave them ---------- */

/* At most this many temporaries at once (private copies of up to 8 images,
 * a read's directory and file, an atomic write, a fleet worker's own). */
#define TMP_SLOTS 32

/* What the handler reads: a slot's path is complete before `used` is set,
 * and `used` is cleared before the path changes. */
static struct tmp_slot {
	volatile sig_atomic_t used;
	bool dir;
	char path[4400];
} slots[TMP_SLOTS];

static const int fatal_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define NFATAL (sizeof fatal_signals / sizeof fatal_signals[0])

static void say(const char *s)
{
	ssize_t r = write(STDERR_FILENO, s, strlen(s));
	(void)r;
}

/* Async-signal-safe: unlink, rmdir, write, sigaction, sigprocmask, raise. */
static void on_fatal_signal(int sig)
{
	struct sigaction dfl;
	sigset_t set;
	int e = errno;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = TMP_SLOTS; i-- > 0;)
			if (slots[i].used && slots[i].dir == (pass == 1)) {
				if (pass == 0)
					unlink(slots[i].path);
				else
					rmdir(slots[i].path);
			}
	say(sig == SIGINT ? "sparkflash: interrupted by SIGINT (Ctrl-C)\n" :
	    sig == SIGTERM ? "sparkflash: interrupted by SIGTERM\n" : "sparkflash: interrupted by SIGHUP\n");
	/* die of the signal itself, so the caller sees 128 + N (a shell loop
	 * stops on Ctrl-C) */
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	errno = e;
}

void sf_signals_init(void)
{
	for (size_t i = 0; i < NFATAL; i++) {
		struct sigaction old, sa;
		if (sigaction(fatal_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue; /* nohup: stays ignored */
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_fatal_signal;
		sigemptyset(&sa.sa_mask);
		for (size_t k = 0; k < NFATAL; k++)
			sigaddset(&sa.sa_mask, fatal_signals[k]);
		sigaction(fatal_signals[i], &sa, NULL);
	}
}

static void hold_signals(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < NFATAL; i++)
		sigaddset(&set, fatal_signals[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

static void release_signals(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
}

bool sf_tmp_track(const char *path, bool dir)
{
	if (strlen(path) >= sizeof slots[0].path)
		return false;
	for (size_t i = 0; i < TMP_SLOTS; i++)
		if (!slots[i].used) {
			snprintf(slots[i].path, sizeof slots[i].path, "%s", path);
			slots[i].dir = dir;
			slots[i].used = 1;
			return true;
		}
	return false;
}

void sf_tmp_forget(const char *path)
{
	for (size_t i = 0; i < TMP_SLOTS; i++)
		if (slots[i].used && !strcmp(slots[i].path, path)) {
			slots[i].used = 0;
			return;
		}
}

void sf_tmp_remove(const char *path)
{
	unlink(path);
	sf_tmp_forget(path);
}

void sf_tmp_rmdir(const char *path)
{
	rmdir(path);
	sf_tmp_forget(path);
}

int sf_tmp_mkstemp(char *template_path)
{
	sigset_t old;
	int fd;
	hold_signals(&old);
	fd = mkstemp(template_path);
	if (fd >= 0 && !sf_tmp_track(template_path, false)) {
		/* cannot promise to remove it: do not make it */
		close(fd);
		unlink(template_path);
		fd = -1;
		errno = ENAMETOOLONG;
	}
	release_signals(&old);
	return fd;
}

char *sf_tmp_mkdtemp(char *template_path)
{
	sigset_t old;
	char *d;
	hold_signals(&old);
	d = mkdtemp(template_path);
	if (d && !sf_tmp_track(d, true)) {
		rmdir(d);
		d = NULL;
		errno = ENAMETOOLONG;
	}
	release_signals(&old);
	return d;
}

/* ---- destinations -------------------------------------------------------- */

static void dir_of(const char *path, char *out, size_t n)
{
	char copy[4096];
	snprintf(copy, sizeof copy, "%s", path);
	snprintf(out, n, "%s", dirname(copy));
}

int sf_dest_check(const char *path, bool replace, sf_err *err)
{
	char dir[4096];
	struct stat st;

	if (!*path)
		return sf_err_set(err, SF_EXIT_REFUSED, "an empty file name");
	if (strlen(path) >= sizeof dir)
		return sf_err_set(err, SF_EXIT_REFUSED, "file name too long: %.64s...", path);
	if (lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode)) {
			char to[1024];
			ssize_t n = readlink(path, to, sizeof to - 1);
			struct stat t;
			to[n > 0 ? n : 0] = '\0';
			errno = ELOOP;
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "'%s' is a symbolic link (to '%s'%s); sparkflash never writes through a link "
					  "or replaces one: remove the link, or give the file it points to",
					  path, to, stat(path, &t) != 0 ? ", which does not exist" : "");
		}
		if (S_ISDIR(st.st_mode)) {
			errno = EISDIR;
			return sf_err_set(err, SF_EXIT_REFUSED, "'%s' is a directory, not a regular file; give a file name to write to", path);
		}
		if (!S_ISREG(st.st_mode)) {
			/* rename() would put a regular file in place of a device
			 * node (as root: /dev/null), a pipe or a socket */
			errno = EINVAL;
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "'%s' is a device, pipe or socket, not a regular file; give a file name to write to",
					  path);
		}
		if (!replace) {
			errno = EEXIST;
			return sf_err_set(err, SF_EXIT_REFUSED, "'%s' exists; pass --force to replace it", path);
		}
	} else if (errno != ENOENT) {
		return sf_err_set(err, SF_EXIT_REFUSED, "cannot use '%s': %s", path, strerror(errno));
	}
	dir_of(path, dir, sizeof dir);
	if (stat(dir, &st) != 0) {
		errno = ENOENT;
		return sf_err_set(err, SF_EXIT_REFUSED, "cannot create '%s': directory '%s' does not exist (create it first)",
				  path, dir);
	}
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return sf_err_set(err, SF_EXIT_REFUSED, "cannot create '%s': '%s' is not a directory", path, dir);
	}
	if (access(dir, W_OK | X_OK) != 0) {
		errno = EACCES;
		return sf_err_set(err, SF_EXIT_REFUSED, "cannot create '%s': directory '%s' is not writable", path, dir);
	}
	return 0;
}

int sf_read_bounded(int fd, size_t cap, size_t size_hint, uint8_t **data, size_t *len)
{
	/* one byte beyond the cap tells a too-large pipe or device apart */
	size_t size = size_hint && size_hint <= cap ? size_hint + 1 : (cap < 65536 ? cap + 1 : 65536), n = 0;
	uint8_t *buf = malloc(size + 1);
	*data = NULL;
	*len = 0;
	if (!buf)
		return -1;
	for (;;) {
		ssize_t r;
		if (n == size) {
			size_t want = size > (cap + 1) / 2 ? cap + 1 : size * 2;
			uint8_t *nb;
			if (n > cap)
				break;
			if (!(nb = realloc(buf, want + 1))) {
				free(buf);
				errno = ENOMEM;
				return -1;
			}
			buf = nb;
			size = want;
		}
		r = read(fd, buf + n, size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > cap) {
		free(buf);
		return 1;
	}
	buf[n] = 0;
	*data = buf;
	*len = n;
	return 0;
}

int sf_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int sf_atomic_begin(sf_atomic *a, const char *path, mode_t mode, bool replace, sf_err *err)
{
	char dir[4096];
	int rc;
	a->fd = -1;
	a->tmp[0] = '\0';
	if ((rc = sf_dest_check(path, replace, err)))
		return rc;
	snprintf(a->path, sizeof a->path, "%s", path);
	a->mode = mode;
	a->replace = replace;
	dir_of(path, dir, sizeof dir);
	/* hidden, and in the same directory: rename() stays on one file system */
	snprintf(a->tmp, sizeof a->tmp, "%s/.sparkflash-XXXXXX", dir);
	if ((a->fd = sf_tmp_mkstemp(a->tmp)) < 0) {
		int e = errno;
		a->tmp[0] = '\0';
		errno = e;
		return sf_err_set(err, SF_EXIT_REFUSED, "cannot create a temporary file in '%s': %s", dir, strerror(e));
	}
	return 0;
}

void sf_atomic_abort(sf_atomic *a)
{
	int e = errno;
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	if (a->tmp[0])
		sf_tmp_remove(a->tmp);
	a->tmp[0] = '\0';
	errno = e;
}

/* The directory entry is durable too (a crash after the rename keeps the
 * new file, not an empty name). Best effort: some file systems refuse. */
static void sync_dir(const char *path)
{
	char dir[4096];
	int fd;
	dir_of(path, dir, sizeof dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

int sf_atomic_commit(sf_atomic *a, sf_err *err)
{
	mode_t mask = umask(0);
	int e;
	umask(mask);
	if (fchmod(a->fd, a->mode & ~mask) != 0 || fsync(a->fd) != 0)
		goto fail;
	e = close(a->fd);
	a->fd = -1;
	if (e != 0)
		goto fail;
	if (a->replace ? rename(a->tmp, a->path) != 0 : link(a->tmp, a->path) != 0)
		goto fail;
	if (a->replace)
		sf_tmp_forget(a->tmp);
	else
		sf_tmp_remove(a->tmp);
	a->tmp[0] = '\0';
	sync_dir(a->path);
	return 0;
fail:
	e = errno;
	sf_atomic_abort(a);
	errno = e;
	if (e == EEXIST)
		return sf_err_set(err, SF_EXIT_REFUSED, "cannot create '%s': it appeared meanwhile", a->path);
	return sf_err_set(err, SF_EXIT_REFUSED, "cannot write '%s': %s", a->path, strerror(e));
}

int sf_write_file(const char *path, const void *data, size_t len, mode_t mode, bool replace, sf_err *err)
{
	sf_atomic a;
	int rc;
	if ((rc = sf_atomic_begin(&a, path, mode, replace, err)))
		return rc;
	if (sf_write_all(a.fd, data, len) != 0) {
		int e = errno;
		sf_atomic_abort(&a);
		errno = e;
		return sf_err_set(err, SF_EXIT_REFUSED, "cannot write '%s': %s", path, strerror(e));
	}
	return sf_atomic_commit(&a, err);
}

/* ---- logs ------------------------------------------------------------------ */

int sf_open_log(const char *path, sf_err *err)
{
	struct stat st;
	int fd;
	/* O_NONBLOCK: a pipe without a reader fails (ENXIO) instead of hanging */
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
	if (fd < 0 && errno == ELOOP) {
		/* a link is fine to a stream (a terminal, a pipe), or when it
		 * names one of our own descriptors (--log /dev/stderr, whatever
		 * that is); never to another file: open without creating
		 * anything, then look at what it was */
		bool own = !strcmp(path, "/dev/stdout") || !strcmp(path, "/dev/stderr") ||
			   !strncmp(path, "/dev/fd/", 8) || !strncmp(path, "/proc/self/fd/", 14);
		fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NONBLOCK);
		if (fd >= 0 && (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode) || (!own && S_ISREG(st.st_mode)))) {
			close(fd);
			fd = -1;
		}
		if (fd < 0) {
			char to[1024];
			ssize_t n = readlink(path, to, sizeof to - 1);
			to[n > 0 ? n : 0] = '\0';
			sf_err_set(err, SF_EXIT_REFUSED,
				   "log file '%s' is a symbolic link (to '%s'); sparkflash never writes through a link "
				   "to a file: remove the link, or give the file it points to",
				   path, to);
			errno = ELOOP;
			return -1;
		}
	}
	if (fd < 0) {
		int e = errno;
		sf_err_set(err, SF_EXIT_REFUSED, "cannot open log file '%s': %s%s", path, strerror(e),
			   e == ENXIO ? " (a named pipe nobody reads)" : "");
		errno = e;
		return -1;
	}
	if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
		close(fd);
		sf_err_set(err, SF_EXIT_REFUSED, "cannot open log file '%s': it is a directory", path);
		errno = EISDIR;
		return -1;
	}
	{
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0)
			(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	}
	return fd;
}

bool sf_same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	bool ea, eb;
	char da[4096], db[4096], ca[4096], cb[4096];
	if (!a || !b)
		return false;
	ea = stat(a, &sa) == 0;
	eb = stat(b, &sb) == 0;
	if (ea && eb)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	if (ea != eb)
		return false;
	/* neither exists yet: the same name in the same directory? */
	dir_of(a, da, sizeof da);
	dir_of(b, db, sizeof db);
	if (stat(da, &sa) != 0 || stat(db, &sb) != 0 || sa.st_dev != sb.st_dev || sa.st_ino != sb.st_ino)
		return false;
	snprintf(ca, sizeof ca, "%s", a);
	snprintf(cb, sizeof cb, "%s", b);
	return !strcmp(basename(ca), basename(cb));
}

/* ---- private files ---------------------------------------------------------- */

int sf_private_file_check(int fd, const char *path, char *warning, size_t wsize, sf_err *err)
{
	struct stat st;
	if (warning && wsize)
		warning[0] = '\0';
	if (fstat(fd, &st) != 0)
		return sf_err_set(err, SF_EXIT_REFUSED, "cannot read %s: %s", path, strerror(errno));
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "%s belongs to another user (uid %u): it could send your token elsewhere; not using it "
				  "(fix: remove it, or 'chown' it to yourself and 'chmod 600' it)",
				  path, (unsigned)st.st_uid);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return sf_err_set(err, SF_EXIT_REFUSED,
				  "%s is writable by %s (mode %04o): anyone who can write it can send your token "
				  "elsewhere; not using it (fix: chmod 600 %s)",
				  path, st.st_mode & S_IWOTH ? "every user" : "its group",
				  (unsigned)(st.st_mode & 07777), path);
	if ((st.st_mode & (S_IRGRP | S_IROTH)) && warning && wsize)
		snprintf(warning, wsize,
			 "%s is readable by %s (mode %04o): the token in it may have been read; fix: chmod 600 %s "
			 "(and log in again if others use this machine)",
			 path, st.st_mode & S_IROTH ? "every user" : "its group", (unsigned)(st.st_mode & 07777), path);
	return 0;
}

/* ---- inputs ---------------------------------------------------------------------- */

int sf_open_input(const char *path, double fifo_wait_s, int *fd_out, struct stat *st, sf_err *err)
{
	/* O_NONBLOCK: opening a named pipe would otherwise wait for a writer */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	int fl;
	*fd_out = -1;
	if (fd < 0)
		return sf_err_set(err, SF_EXIT_REFUSED, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, st) < 0) {
		int e = errno;
		close(fd);
		return sf_err_set(err, SF_EXIT_REFUSED, "cannot read '%s': %s", path, strerror(e));
	}
	if (S_ISFIFO(st->st_mode)) {
		/* a writer that wrote, or came and went (POLLHUP), ends the wait */
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int ms = fifo_wait_s > 0 ? (int)(fifo_wait_s * 1000) : 0, r;
		while ((r = poll(&p, 1, ms)) < 0 && errno == EINTR)
			;
		if (r == 0) {
			close(fd);
			return sf_err_set(err, SF_EXIT_REFUSED,
					  "'%s' is a named pipe and nothing wrote to it within %g s; start the writer "
					  "first, or pass the data on standard input (-)", path, fifo_wait_s);
		}
	}
	if ((fl = fcntl(fd, F_GETFL)) >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	*fd_out = fd;
	return 0;
}
