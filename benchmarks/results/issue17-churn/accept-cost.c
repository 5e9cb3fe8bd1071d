/*
 * What the accept loop's last call costs: a failing accept4(2) on a listener with an empty backlog, against the
 * poll(2) that a listener now makes instead, getpeername(2) and getppid(2) for scale. Each call 200,000 times in a
 * row, nanoseconds per call.
 *
 *   gcc -O2 -o /tmp/accept-cost accept-cost.c && taskset -c 0 /tmp/accept-cost
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(void) {
    enum { N = 200000 };
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t alen = sizeof(a);
    if (listener < 0 || bind(listener, (struct sockaddr*) &a, sizeof(a)) < 0 || listen(listener, 8) < 0
            || getsockname(listener, (struct sockaddr*) &a, &alen) < 0) {
        perror("listener");
        return 1;
    }
    int client = socket(AF_INET, SOCK_STREAM, 0);
    if (client < 0 || connect(client, (struct sockaddr*) &a, sizeof(a)) < 0) {
        perror("connect");
        return 1;
    }
    usleep(1000);
    int accepted = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
    if (accepted < 0) {
        perror("accept4");
        return 1;
    }

    double t0 = now_ns();
    for (int i = 0; i < N; i++) {
        struct sockaddr_in6 peer;
        socklen_t len = sizeof(peer);
        accept4(listener, (struct sockaddr*) &peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC); /* EAGAIN */
    }
    printf("accept4 (EAGAIN)        %5.0f ns\n", (now_ns() - t0) / N);

    t0 = now_ns();
    for (int i = 0; i < N; i++) {
        struct pollfd pfd = { .fd = listener, .events = POLLIN };
        poll(&pfd, 1, 0);
    }
    printf("poll(listener, 0)       %5.0f ns\n", (now_ns() - t0) / N);

    t0 = now_ns();
    for (int i = 0; i < N; i++) {
        struct sockaddr_in6 peer;
        socklen_t len = sizeof(peer);
        getpeername(accepted, (struct sockaddr*) &peer, &len);
    }
    printf("getpeername             %5.0f ns\n", (now_ns() - t0) / N);

    t0 = now_ns();
    for (int i = 0; i < N; i++) {
        getppid();
    }
    printf("getppid                 %5.0f ns\n", (now_ns() - t0) / N);
    return 0;
}
