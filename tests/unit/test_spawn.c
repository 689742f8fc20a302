/* sf_spawn_run: line splitting, streams, timeouts, exit status, fd hygiene.
 * The children are /bin/sh -c snippets (only tests use a shell). */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sf_spawn.h"

typedef struct seen {
	size_t n;
	sf_stream stream[64];
	char text[64][64];
} seen;

static void collect(void *data, sf_stream stream, const char *text, size_t len)
{
	seen *s = data;
	assert_int_equal(strlen(text), len);
	if (s->n < 64) {
		s->stream[s->n] = stream;
		snprintf(s->text[s->n], sizeof s->text[s->n], "%s", text);
	}
	s->n++;
}

static int run_sh(const char *script, sf_spawn_opts *o, sf_transcript *t)
{
	char *argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)script, NULL };
	sf_err err = { 0 };
	return sf_spawn_run("/bin/sh", argv, o, t, &err);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void test_split_cr(void **state)
{
	sf_transcript t = { 0 };
	(void)state;
	assert_int_equal(run_sh("printf 'a\\rb\\r\\nc\\n\\nd'", NULL, &t), 0);
	assert_int_equal(t.n, 5);
	assert_string_equal(t.lines[0].text, "a");
	assert_string_equal(t.lines[1].text, "b");
	assert_string_equal(t.lines[2].text, "c");
	assert_string_equal(t.lines[3].text, "");   /* genuine blank line */
	assert_string_equal(t.lines[4].text, "d");  /* no trailing newline */
	for (size_t i = 0; i < t.n; i++)
		assert_int_equal(t.lines[i].stream, SF_STREAM_STDOUT);
	assert_true(t.exited);
	assert_int_equal(t.exit_status, 0);
	sf_transcript_free(&t);
}

static void test_progress_like(void **state)
{
	sf_transcript t = { 0 };
	(void)state;
	/* dfu-util's bar: "\r" + text, newline at the end. */
	assert_int_equal(run_sh("printf '\\rDownload\\t[=   ]   4%%  10 bytes\\rDownload\\t[====] 100%%  250 bytes\\nDownload done.\\n'",
				NULL, &t), 0);
	assert_int_equal(t.n, 3);
	assert_string_equal(t.lines[0].text, "Download\t[=   ]   4%  10 bytes");
	assert_string_equal(t.lines[2].text, "Download done.");
	sf_transcript_free(&t);
}

static void test_streams(void **state)
{
	sf_transcript t = { 0 };
	sf_spawn_opts o;
	seen s = { 0 };
	(void)state;
	sf_spawn_opts_init(&o);
	o.on_line = collect;
	o.data = &s;
	assert_int_equal(run_sh("echo out1; echo err1 >&2; echo out2", &o, &t), 0);
	assert_int_equal(t.n, 3);
	assert_int_equal(s.n, 3);
	for (size_t i = 0; i < t.n; i++) {
		sf_stream want = !strncmp(t.lines[i].text, "err", 3) ? SF_STREAM_STDERR : SF_STREAM_STDOUT;
		assert_int_equal(t.lines[i].stream, want);
		assert_int_equal(s.stream[i], t.lines[i].stream);
		assert_string_equal(s.text[i], t.lines[i].text);
	}
	sf_transcript_free(&t);
}

static void test_huge_line(void **state)
{
	sf_transcript t = { 0 };
	size_t total = 0;
	(void)state;
	assert_int_equal(run_sh("head -c 200000 /dev/zero | tr '\\0' x; echo; echo tail", NULL, &t), 0);
	for (size_t i = 0; i + 1 < t.n; i++) {
		size_t len = strlen(t.lines[i].text);
		assert_true(len <= SF_SPAWN_LINE_MAX);
		assert_int_equal(strspn(t.lines[i].text, "x"), len);
		total += len;
	}
	assert_int_equal(total, 200000);
	assert_string_equal(t.lines[t.n - 1].text, "tail");
	sf_transcript_free(&t);
}

/* A program that prints without end is stopped at SF_SPAWN_OUTPUT_MAX,
 * not recorded further, and nothing of it is left running. */
static void test_endless_output(void **state)
{
	sf_transcript t = { 0 };
	size_t total = 0;
	double t0 = now_s();
	char pidfile[64], buf[32] = "";
	FILE *f;
	(void)state;
	snprintf(pidfile, sizeof pidfile, "/tmp/sf-spawn-test.%d", (int)getpid());
	{
		char script[200];
		char *argv[] = { (char *)"/bin/sh", (char *)"-c", script, NULL };
		sf_err err = { 0 };
		snprintf(script, sizeof script, "echo $$ >%s; exec cat /dev/zero", pidfile);
		assert_int_equal(sf_spawn_run("/bin/sh", argv, NULL, &t, &err), SF_EXIT_DFU_UTIL);
		assert_non_null(strstr(err.msg, "printed more than 16 MiB"));
	}
	assert_true(now_s() - t0 < 10);
	for (size_t i = 0; i < t.n; i++)
		total += strlen(t.lines[i].text);
	assert_true(total <= SF_SPAWN_OUTPUT_MAX);
	assert_true(t.term_signal == SIGTERM || t.term_signal == SIGKILL);
	f = fopen(pidfile, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof buf, f));
	fclose(f);
	unlink(pidfile);
	assert_int_equal(kill((pid_t)atoi(buf), 0), -1);
	sf_transcript_free(&t);
}

static void test_exit_code(void **state)
{
	sf_transcript t = { 0 };
	(void)state;
	assert_int_equal(run_sh("exit 74", NULL, &t), 0);
	assert_true(t.exited);
	assert_int_equal(t.exit_status, 74);
	assert_int_equal(t.term_signal, 0);
	assert_false(t.timed_out);
	sf_transcript_free(&t);
}

static void test_sigchld_ignored(void **state)
{
	sf_transcript t = { 0 };
	struct sigaction ign, saved;
	(void)state;
	/* With SIGCHLD ignored the kernel reaps the child and its status is
	 * lost: the run must end and must not claim success. */
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigaction(SIGCHLD, &ign, &saved);
	assert_int_equal(run_sh("echo hi; exit 0", NULL, &t), 0);
	sigaction(SIGCHLD, &saved, NULL);
	assert_false(t.exited);
	assert_int_equal(t.term_signal, 0);
	assert_int_equal(t.n, 1);
	sf_transcript_free(&t);
}

static void test_signal(void **state)
{
	sf_transcript t = { 0 };
	(void)state;
	assert_int_equal(run_sh("kill -USR1 $$; sleep 5", NULL, &t), 0);
	assert_false(t.exited);
	assert_int_equal(t.term_signal, SIGUSR1);
	sf_transcript_free(&t);
}

static void test_timeout_term(void **state)
{
	sf_transcript t = { 0 };
	sf_spawn_opts o;
	double t0 = now_s();
	(void)state;
	sf_spawn_opts_init(&o);
	o.timeout_s = 0.3;
	assert_int_equal(run_sh("echo started; sleep 30", &o, &t), 0);
	assert_true(t.timed_out);
	assert_int_equal(t.term_signal, SIGTERM);
	assert_true(now_s() - t0 < 5);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.lines[0].text, "started");
	sf_transcript_free(&t);
}

static void test_timeout_kill(void **state)
{
	sf_transcript t = { 0 };
	sf_spawn_opts o;
	double t0 = now_s(), dt;
	(void)state;
	sf_spawn_opts_init(&o);
	o.timeout_s = 0.2;
	o.kill_grace_s = 0.3;
	/* Ignores SIGTERM (the ignore disposition is inherited by sleep). */
	assert_int_equal(run_sh("trap '' TERM; sleep 30; echo survived", &o, &t), 0);
	dt = now_s() - t0;
	assert_true(t.timed_out);
	assert_int_equal(t.term_signal, SIGKILL);
	assert_true(dt >= 0.45);
	assert_true(dt < 5);
	for (size_t i = 0; i < t.n; i++)
		assert_string_not_equal(t.lines[i].text, "survived");
	sf_transcript_free(&t);
}

static void test_forward_signal(void **state)
{
	sf_transcript t = { 0 };
	double t0;
	struct sigaction dfl, saved;
	(void)state;
	/* make sure SIGINT is not ignored here (make may run us that way;
	 * an ignored signal is deliberately left alone) */
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGINT, &dfl, &saved);
	t0 = now_s();
	/* A Ctrl-C reaches only us (the child has its own process group): it
	 * must be passed on, and must not kill the caller. */
	/* The signal comes from a helper once the shell has become sleep:
	 * "kill; sleep" would race with the shell starting sleep (a shell
	 * that catches SIGINT between commands then waits for its child). */
	assert_int_equal(run_sh("(sleep 0.3; kill -INT $PPID) & exec sleep 30", NULL, &t), 0);
	assert_true(now_s() - t0 < 5);
	if (t.exited)
		assert_int_equal(t.exit_status, 128 + SIGINT);
	else
		assert_int_equal(t.term_signal, SIGINT);
	assert_false(t.timed_out);
	for (size_t i = 0; i < t.n; i++)
		assert_string_not_equal(t.lines[i].text, "survived");
	sf_transcript_free(&t);
	/* our own disposition is back to what it was */
	{
		struct sigaction sa;
		sigaction(SIGINT, NULL, &sa);
		assert_true(sa.sa_handler == SIG_DFL);
	}
	sigaction(SIGINT, &saved, NULL);
}

static void test_grandchild_holds_pipe(void **state)
{
	sf_transcript t = { 0 };
	double t0 = now_s();
	(void)state;
	/* The shell exits at once, a background sleep keeps stdout open: the
	 * run must still end promptly. */
	assert_int_equal(run_sh("sleep 30 & echo hi", NULL, &t), 0);
	assert_true(now_s() - t0 < 5);
	assert_true(t.exited);
	assert_false(t.timed_out);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.lines[0].text, "hi");
	sf_transcript_free(&t);
}

static void test_spawn_failure(void **state)
{
	sf_transcript t = { 0 };
	sf_err err = { 0 };
	char *argv[] = { (char *)"x", NULL };
	char path[] = "/tmp/sfspawn-noexec.XXXXXX";
	int fd;
	(void)state;
	assert_int_equal(sf_spawn_run("/nonexistent/dfu-util", argv, NULL, &t, &err), 0);
	assert_true(t.spawn_failed);
	assert_int_equal(t.spawn_errno, ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/dfu-util"));
	sf_transcript_free(&t);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	chmod(path, 0644);
	memset(&err, 0, sizeof err);
	assert_int_equal(sf_spawn_run(path, argv, NULL, &t, &err), 0);
	assert_true(t.spawn_failed);
	assert_int_equal(t.spawn_errno, EACCES);
	sf_transcript_free(&t);
	unlink(path);
}

static void test_env_and_stdin(void **state)
{
	sf_transcript t = { 0 };
	sf_spawn_opts o;
	char *env[] = { (char *)"SF_TEST_VAR=hello", (char *)"PATH=/usr/bin:/bin", NULL };
	(void)state;
	sf_spawn_opts_init(&o);
	o.envp = env;
	/* stdin is /dev/null: cat ends at once; only our variable is set. */
	assert_int_equal(run_sh("cat; echo \"v=$SF_TEST_VAR\"; env | grep -c . ", &o, &t), 0);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.lines[0].text, "v=hello");
	/* SF_TEST_VAR, PATH, and PWD which sh sets itself */
	assert_true(atoi(t.lines[1].text) <= 3);
	sf_transcript_free(&t);
}

static void test_no_fd_leak(void **state)
{
	int before = count_fds();
	sf_transcript t = { 0 };
	char self[64];
	(void)state;
	/* The child sees only 0, 1 and 2: exec'd ls lists its own fds, which
	 * are those plus the directory it opens (the lowest free number, 3).
	 * (No pipeline: the shell's own pipe fds would race into the list.) */
	snprintf(self, sizeof self, "exec ls /proc/self/fd");
	assert_int_equal(run_sh(self, NULL, &t), 0);
	assert_int_equal(t.n, 4);
	assert_string_equal(t.lines[0].text, "0");
	assert_string_equal(t.lines[3].text, "3");
	sf_transcript_free(&t);
	for (int i = 0; i < 20; i++) {
		run_sh("echo x; echo y >&2", NULL, &t);
		sf_transcript_free(&t);
	}
	{
		char *argv[] = { (char *)"x", NULL };
		sf_spawn_run("/nonexistent", argv, NULL, &t, NULL);
		sf_transcript_free(&t);
	}
	assert_int_equal(count_fds(), before);
}

static void test_log(void **state)
{
	sf_transcript t = { 0 };
	sf_spawn_opts o;
	char path[] = "/tmp/sfspawn-log.XXXXXX";
	char buf[4096];
	ssize_t n;
	int fd;
	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	sf_spawn_opts_init(&o);
	o.log_fd = fd;
	assert_int_equal(run_sh("echo 'it''s'; echo oops >&2; exit 3", &o, &t), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	n = read(fd, buf, sizeof buf - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "$ /bin/sh -c "));
	assert_non_null(strstr(buf, "[stdout] its\n"));
	assert_non_null(strstr(buf, "[stderr] oops\n"));
	assert_non_null(strstr(buf, "# exit 3\n"));
	close(fd);
	unlink(path);
	sf_transcript_free(&t);
}

/* Random output (terminators, NULs, high bytes) split as it arrives must
 * give exactly the lines that splitting it in one piece gives. */
static void splitter_round(unsigned seed)
{
	char path[] = "/tmp/sfspawn-fuzz.XXXXXX";
	size_t len = 1 + (size_t)(rand_r(&seed) % 100000);
	char *data = malloc(len);
	sf_transcript got = { 0 }, want = { 0 };
	char *argv[] = { (char *)"/bin/cat", path, NULL };
	int fd;

	assert_non_null(data);
	for (size_t i = 0; i < len; i++) {
		int r = rand_r(&seed) % 100;
		data[i] = r < 5 ? '\n' : r < 9 ? '\r' : r < 10 ? '\0' : (char)(rand_r(&seed) % 256);
		if (data[i] == 0 && r >= 10)
			data[i] = 'z';
	}
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	assert_int_equal(sf_spawn_run("/bin/cat", argv, NULL, &got, NULL), 0);
	assert_true(sf_transcript_add_text(&want, SF_STREAM_STDOUT, data, len));
	assert_int_equal(got.n, want.n);
	for (size_t i = 0; i < got.n; i++)
		assert_string_equal(got.lines[i].text, want.lines[i].text);
	unlink(path);
	free(data);
	sf_transcript_free(&got);
	sf_transcript_free(&want);
}

static void test_splitter_fuzz(void **state)
{
	unsigned seed = (unsigned)time(NULL);
	(void)state;
	for (unsigned i = 0; i < 15; i++)
		splitter_round(1000 + i);
	printf("# splitter fuzz: random seed %u\n", seed);
	for (unsigned i = 0; i < 15; i++)
		splitter_round(seed + i);
}

static void test_shell_quote(void **state)
{
	char *argv[] = { (char *)"dfu-util", (char *)"-s", (char *)"0x08005000:leave",
			 (char *)"it's here", (char *)"", NULL };
	char buf[128], small[8];
	(void)state;
	sf_shell_quote_argv(buf, sizeof buf, argv);
	assert_string_equal(buf, "dfu-util -s 0x08005000:leave 'it'\\''s here' ''");
	assert_int_equal(sf_shell_quote_argv(small, sizeof small, argv), strlen(buf));
	assert_string_equal(small, "dfu-uti");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_cr),
		cmocka_unit_test(test_progress_like),
		cmocka_unit_test(test_streams),
		cmocka_unit_test(test_huge_line),
		cmocka_unit_test(test_endless_output),
		cmocka_unit_test(test_exit_code),
		cmocka_unit_test(test_signal),
		cmocka_unit_test(test_sigchld_ignored),
		cmocka_unit_test(test_timeout_term),
		cmocka_unit_test(test_timeout_kill),
		cmocka_unit_test(test_forward_signal),
		cmocka_unit_test(test_grandchild_holds_pipe),
		cmocka_unit_test(test_spawn_failure),
		cmocka_unit_test(test_env_and_stdin),
		cmocka_unit_test(test_no_fd_leak),
		cmocka_unit_test(test_log),
		cmocka_unit_test(test_splitter_fuzz),
		cmocka_unit_test(test_shell_quote),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
