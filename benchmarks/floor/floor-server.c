/*
 * The kernel's floor for the HTTP harness: a minimal HTTP/1.1 server that answers the same bytes as the example
 * echo server (dev.userpoll.examples.http.HttpEchoHandler) for the requests the harness sends, with as little
 * user-space work as a server can do. One thread, level-triggered epoll, non-blocking sockets; per readable
 * connection one recv, then every complete request in the buffer is answered into one output buffer and sent
 * with one send (pipelined requests: one send per batch, as the example flushes once per read batch).
 *
 * Requests understood: GET / (200 "Hello, World!"), POST or PUT /echo with a Content-Length body (the body back,
 * with the request's Content-Type), "Connection: close" (answered with "connection: close", then closed). No
 * chunked bodies, no parser beyond finding the header end and two headers: it exists to be measured, not used.
 *
 * Prints "http-echo-server listening on http://127.0.0.1:PORT/ transport=floor" once listening (the harness
 * reads that line); SIGTERM or SIGINT stops it. Built by benchmarks/http_bench.py with gcc -O2.
 *
 *   floor-server [--port P (0 = any free)] [--host ADDR (127.0.0.1)]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_EVENTS 512
#define IN_INITIAL 16384
#define MAX_REQUEST (64 << 20)

static const char HELLO[] = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 13\r\n\r\nHello, World!";
static const char HELLO_CLOSE[] =
    "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 13\r\nconnection: close\r\n\r\nHello, World!";
static const char NOT_FOUND[] = "HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: 10\r\n\r\nNot Found\n";
static const char BAD[] =
    "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: 12\r\nconnection: close\r\n\r\nBad Request\n";

struct conn {
    int fd;
    char *in;
    size_t in_len, in_cap;
    char *out;
    size_t out_len, out_off, out_cap;
    int closing;   /* a response that ends the connection is queued */
    int want_out;  /* registered for EPOLLOUT: the last send stopped at EAGAIN */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
    (void) sig;
    stop = 1;
}

static void die(const char *what) {
    perror(what);
    exit(1);
}

static int grow(char **buf, size_t *cap, size_t need) {
    if (need <= *cap) {
        return 0;
    }
    size_t n = *cap ? *cap : 1;
    while (n < need) {
        n *= 2;
    }
    char *b = realloc(*buf, n);
    if (!b) {
        return -1;
    }
    *buf = b;
    *cap = n;
    return 0;
}

static int append(struct conn *c, const char *data, size_t len) {
    if (grow(&c->out, &c->out_cap, c->out_len + len) < 0) {
        return -1;
    }
    memcpy(c->out + c->out_len, data, len);
    c->out_len += len;
    return 0;
}

/* The value of header `name` (case-insensitive) in [headers, end), or NULL; *len gets its length. */
static const char *header(const char *headers, const char *end, const char *name, size_t *len) {
    size_t n = strlen(name);
    for (const char *p = headers; p < end;) {
        const char *eol = memmem(p, (size_t) (end - p), "\r\n", 2);
        if (!eol) {
            eol = end;
        }
        if ((size_t) (eol - p) > n && p[n] == ':' && strncasecmp(p, name, n) == 0) {
            const char *v = p + n + 1;
            while (v < eol && (*v == ' ' || *v == '\t')) {
                v++;
            }
            *len = (size_t) (eol - v);
            return v;
        }
        p = eol + 2;
    }
    return NULL;
}

/* Answers every complete request at the start of c->in; returns -1 when the connection must close at once. */
static int answer(struct conn *c) {
    size_t off = 0;
    while (!c->closing) {
        char *start = c->in + off;
        size_t avail = c->in_len - off;
        char *hend = memmem(start, avail, "\r\n\r\n", 4);
        if (!hend) {
            break;
        }
        char *line_end = memmem(start, (size_t) (hend - start) + 2, "\r\n", 2);
        char *headers = line_end + 2;
        size_t body_len = 0, vlen;
        const char *v = header(headers, hend + 2, "content-length", &vlen);
        if (v) {
            body_len = strtoul(v, NULL, 10);
            if (body_len > MAX_REQUEST) {
                append(c, BAD, sizeof(BAD) - 1);
                c->closing = 1;
                break;
            }
        }
        size_t total = (size_t) (hend + 4 - start) + body_len;
        if (total > avail) {
            break; /* the body is still coming */
        }
        v = header(headers, hend + 2, "connection", &vlen);
        int close_after = v && vlen == 5 && strncasecmp(v, "close", 5) == 0;
        if (strncmp(start, "GET / ", 6) == 0) {
            if (close_after) {
                append(c, HELLO_CLOSE, sizeof(HELLO_CLOSE) - 1);
            } else {
                append(c, HELLO, sizeof(HELLO) - 1);
            }
        } else if (strncmp(start, "POST /echo ", 11) == 0 || strncmp(start, "PUT /echo ", 10) == 0) {
            char head[256];
            size_t tlen = 0;
            const char *type = header(headers, hend + 2, "content-type", &tlen);
            int n;
            if (type && tlen < 128) {
                n = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\ncontent-type: %.*s\r\ncontent-length: %zu\r\n%s\r\n",
                             (int) tlen, type, body_len, close_after ? "connection: close\r\n" : "");
            } else {
                n = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\ncontent-length: %zu\r\n%s\r\n", body_len,
                             close_after ? "connection: close\r\n" : "");
            }
            append(c, head, (size_t) n);
            append(c, hend + 4, body_len);
        } else {
            append(c, NOT_FOUND, sizeof(NOT_FOUND) - 1);
        }
        c->closing = close_after;
        off += total;
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
    return 0;
}

static void close_conn(int ep, struct conn *c) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
}

/* Sends what is queued; returns -1 when the connection is done (error, or closing and all sent). */
static int flush_out(int ep, struct conn *c) {
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN) {
                if (!c->want_out) {
                    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
                    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                    c->want_out = 1;
                }
                return 0;
            }
            return -1;
        }
        c->out_off += (size_t) n;
    }
    c->out_off = c->out_len = 0;
    if (c->want_out) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        c->want_out = 0;
    }
    return c->closing ? -1 : 0;
}

int main(int argc, char **argv) {
    int port = 0;
    const char *host = "127.0.0.1";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0) {
            port = atoi(argv[i + 1]);
        } else if (strcmp(argv[i], "--host") == 0) {
            host = argv[i + 1];
        } else {
            fprintf(stderr, "usage: %s [--port P] [--host ADDR]\n", argv[0]);
            return 2;
        }
    }
    /* Room for the harness's 10,000 idle connections. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0) {
        die("socket");
    }
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short) port)};
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        fprintf(stderr, "floor-server: not an IPv4 address: %s\n", host);
        return 2;
    }
    if (bind(lfd, (struct sockaddr *) &addr, sizeof(addr)) < 0 || listen(lfd, 1024) < 0) {
        die("bind/listen");
    }
    socklen_t alen = sizeof(addr);
    getsockname(lfd, (struct sockaddr *) &addr, &alen);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        die("epoll_create1");
    }
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
    printf("http-echo-server listening on http://%s:%d/ transport=floor\n", host, ntohs(addr.sin_port));
    fflush(stdout);

    struct epoll_event events[MAX_EVENTS];
    while (!stop) {
        int n = epoll_wait(ep, events, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (!c) {
                /* One accept per readiness event: level-triggered, so a backlog left over reports again. */
                int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                    continue;
                }
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                c = calloc(1, sizeof(*c));
                if (!c) {
                    close(fd);
                    continue;
                }
                c->fd = fd;
                struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
                if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
                    close(fd);
                    free(c);
                }
                continue;
            }
            if (events[i].events & EPOLLOUT) {
                if (flush_out(ep, c) < 0) {
                    close_conn(ep, c);
                    continue;
                }
            }
            if (!(events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || c->closing) {
                continue;
            }
            if (c->in_cap - c->in_len < 4096 && grow(&c->in, &c->in_cap, c->in_cap ? c->in_cap * 2 : IN_INITIAL) < 0) {
                close_conn(ep, c);
                continue;
            }
            ssize_t r = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
            if (r <= 0) {
                if (r < 0 && errno == EAGAIN) {
                    continue;
                }
                close_conn(ep, c);
                continue;
            }
            c->in_len += (size_t) r;
            if (answer(c) < 0 || (c->out_len > 0 && flush_out(ep, c) < 0)) {
                close_conn(ep, c);
            }
        }
    }
    printf("http-echo-server stopped\n");
    return 0;
}
