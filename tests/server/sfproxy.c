/* sfproxy: a tiny forward proxy for the cloud tests. Loopback only.
 *
 *   sfproxy --port-file FILE --log FILE [--idle-timeout S]
 *
 * Listens on 127.0.0.1 (ephemeral port, written to --port-file). Handles
 * CONNECT host:port (tunnels, as used for https:// URLs) and absolute-form
 * requests ("GET http://host:port/path", as used for http:// URLs), which it
 * rewrites to origin form with "Connection: close" and relays. Targets must
 * be 127.0.0.1 or localhost. Appends "METHOD TARGET" per request to --log.
 * Exits after --idle-timeout seconds (default 120) without connections. */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEAD_MAX 16384

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const char *log_path;
static volatile sig_atomic_t stopping;
static time_t last_activity;
static int active;

static void log_line(const char *method, const char *target)
{
	FILE *f;
	pthread_mutex_lock(&lock);
	f = fopen(log_path, "a");
	if (f) {
		fprintf(f, "%s %s\n", method, target);
		fclose(f);
	}
	pthread_mutex_unlock(&lock);
}

static bool send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Connects to "host:port" when host is loopback; -1 otherwise. */
static int connect_target(const char *hostport)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	struct sockaddr_in sa;
	int fd, port;
	size_t n;
	if (!colon)
		return -1;
	n = (size_t)(colon - hostport);
	if (n >= sizeof host)
		return -1;
	memcpy(host, hostport, n);
	host[n] = '\0';
	port = atoi(colon + 1);
	if (port <= 0 || port > 65535 || (strcmp(host, "127.0.0.1") && strcasecmp(host, "localhost")))
		return -1;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void relay(int a, int b)
{
	char buf[16384];
	struct pollfd p[2] = { { a, POLLIN, 0 }, { b, POLLIN, 0 } };
	while (!stopping) {
		int r = poll(p, 2, 500);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return;
		for (int i = 0; i < 2; i++) {
			if (p[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				ssize_t n = recv(p[i].fd, buf, sizeof buf, 0);
				if (n <= 0 || !send_all(p[1 - i].fd, buf, (size_t)n))
					return;
			}
		}
	}
}

static void *serve(void *arg)
{
	int c = (int)(long)arg, t = -1;
	char head[HEAD_MAX + 1], method[32], target[2048], version[32];
	size_t n = 0;
	char *end = NULL;

	while (n < HEAD_MAX && !end) {
		ssize_t r = recv(c, head + n, HEAD_MAX - n, 0);
		if (r <= 0)
			goto out;
		n += (size_t)r;
		head[n] = '\0';
		end = strstr(head, "\r\n\r\n");
	}
	if (!end || sscanf(head, "%31s %2047s %31s", method, target, version) != 3)
		goto out;
	log_line(method, target);
	if (!strcmp(method, "CONNECT")) {
		static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
		static const char bad[] = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
		t = connect_target(target);
		if (t < 0) {
			send_all(c, bad, sizeof bad - 1);
			goto out;
		}
		if (!send_all(c, ok, sizeof ok - 1))
			goto out;
		/* bytes after the head belong to the tunnel */
		if (end + 4 < head + n && !send_all(t, end + 4, (size_t)(head + n - (end + 4))))
			goto out;
		relay(c, t);
	} else if (!strncasecmp(target, "http://", 7)) {
		char hostport[256], line[2400];
		const char *slash = strchr(target + 7, '/');
		size_t hl = slash ? (size_t)(slash - (target + 7)) : strlen(target + 7);
		const char *rest = strstr(head, "\r\n") + 2;
		if (hl + 4 >= sizeof hostport)
			goto out;
		memcpy(hostport, target + 7, hl);
		hostport[hl] = '\0';
		if (!strchr(hostport, ':'))
			strcat(hostport, ":80");
		t = connect_target(hostport);
		if (t < 0)
			goto out;
		/* origin form, one request per connection */
		snprintf(line, sizeof line, "%s %s %s\r\nConnection: close\r\n", method, slash ? slash : "/", version);
		if (!send_all(t, line, strlen(line)))
			goto out;
		/* drop the client's Connection/Proxy-Connection headers */
		while (rest < head + n) {
			const char *eol = strstr(rest, "\r\n");
			size_t len;
			if (!eol)
				break;
			len = (size_t)(eol - rest) + 2;
			if (strncasecmp(rest, "Connection:", 11) && strncasecmp(rest, "Proxy-Connection:", 17))
				if (!send_all(t, rest, len))
					goto out;
			rest += len;
			if (len == 2)
				break;
		}
		if (rest < head + n && !send_all(t, rest, (size_t)(head + n - rest)))
			goto out;
		relay(c, t);
	} else {
		static const char bad[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
		send_all(c, bad, sizeof bad - 1);
	}
out:
	if (t >= 0)
		close(t);
	close(c);
	pthread_mutex_lock(&lock);
	active--;
	last_activity = time(NULL);
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port-file", required_argument, NULL, 'p' }, { "log", required_argument, NULL, 'l' },
		{ "idle-timeout", required_argument, NULL, 'i' }, { NULL, 0, NULL, 0 },
	};
	const char *port_file = NULL;
	long idle = 120;
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	int s, opt, one = 1;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'p': port_file = optarg; break;
		case 'l': log_path = optarg; break;
		case 'i': idle = atol(optarg); break;
		default:
			fprintf(stderr, "usage: sfproxy --port-file FILE --log FILE [--idle-timeout S]\n");
			return 2;
		}
	}
	if (!port_file || !log_path) {
		fprintf(stderr, "sfproxy: --port-file and --log are required\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	s = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) || listen(s, 64) ||
	    getsockname(s, (struct sockaddr *)&sa, &sl)) {
		perror("sfproxy: listen");
		return 1;
	}
	{
		char tmp[4096];
		FILE *f;
		snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
		f = fopen(tmp, "w");
		if (!f || fprintf(f, "%u\n", (unsigned)ntohs(sa.sin_port)) < 0 || fclose(f) || rename(tmp, port_file)) {
			fprintf(stderr, "sfproxy: cannot write %s\n", port_file);
			return 1;
		}
	}
	last_activity = time(NULL);
	while (!stopping) {
		struct pollfd p = { s, POLLIN, 0 };
		int r = poll(&p, 1, 200);
		if (r > 0) {
			int c = accept(s, NULL, NULL);
			pthread_t th;
			if (c < 0)
				continue;
			pthread_mutex_lock(&lock);
			active++;
			last_activity = time(NULL);
			pthread_mutex_unlock(&lock);
			if (pthread_create(&th, NULL, serve, (void *)(long)c)) {
				close(c);
				pthread_mutex_lock(&lock);
				active--;
				pthread_mutex_unlock(&lock);
				continue;
			}
			pthread_detach(th);
		}
		pthread_mutex_lock(&lock);
		r = active == 0 && time(NULL) - last_activity > idle;
		pthread_mutex_unlock(&lock);
		if (r)
			break;
	}
	close(s);
	_exit(0);
}
