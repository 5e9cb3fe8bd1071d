// SPDX-License-Identifier: GPL-2.0-only
/*
 * Licensed under the GNU General Public License version 2 only, as the kernel patch whose ABI it checks
 * (epoll-userpoll.patch; https://www.gnu.org/licenses/old-licenses/gpl-2.0.html), not under the Apache
 * License 2.0 of the rest of netty-transport-userpoll.
 *
 * Checks the raw EPOLL_USERPOLL ABI (v3 layout, write-slot-then-release-tail publication) of the
 * running kernel, as /work/shared/USERPOLL-ABI.md describes it. Built static, run inside the QEMU
 * guest by run-qemu.sh:  userpoll-abi-check [syscall-number]   (default 463)
 * Prints "PASS name" / "FAIL name: why" per check and a summary line; exits 1 on any failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EPOLL_USERPOLL 1
#define EPOLLREMOVED (1u << 27)
#define MAGIC 0xeb01eb01u
#define HEADER_SIZE 128
#define ENOTSUPP 524

struct uitem {
	uint32_t ready_events;
	uint32_t events;
	uint64_t data;
};

struct uheader {
	uint32_t magic, header_length, index_length, max_items_nr, head, tail;
};

/* One mapped userpoll epoll. */
struct ring {
	int fd;
	struct uheader *h;
	struct uitem *items;
	uint32_t *index;
	uint32_t mask;
};

static long nr_create2 = 463;
static long page;
static int passed, failed;

#define CHECK(name, cond, ...)                                                   \
	do {                                                                     \
		if (cond) {                                                      \
			passed++;                                                \
			printf("PASS %s\n", name);                               \
		} else {                                                         \
			failed++;                                                \
			printf("FAIL %s: ", name);                               \
			printf(__VA_ARGS__);                                     \
			printf(" (errno %d %s)\n", errno, strerror(errno));     \
		}                                                                \
		fflush(stdout);                                                  \
	} while (0)

static int create2(int flags, size_t size)
{
	return (int)syscall(nr_create2, flags, size);
}

static long mmap_err(int fd, size_t len, off_t off)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	if (p != MAP_FAILED) {
		munmap(p, len);
		return 0;
	}
	return errno;
}

static uint32_t pow2(uint32_t v)
{
	uint32_t r = 1;
	while (r < v)
		r <<= 1;
	return r;
}

static uint32_t expect_header_length(uint32_t items)
{
	return (HEADER_SIZE + 16 * items + page - 1) & ~(page - 1);
}

static uint32_t expect_index_length(uint32_t items)
{
	uint32_t l = pow2(4 * items);
	return l < page ? page : l;
}

static int open_ring(struct ring *r, size_t size)
{
	r->fd = create2(EPOLL_USERPOLL | EPOLL_CLOEXEC, size);
	if (r->fd < 0)
		return -1;
	struct uheader *first = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (first == MAP_FAILED)
		return -1;
	uint32_t hl = first->header_length, il = first->index_length;
	munmap(first, page);
	r->h = mmap(NULL, hl, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, 0);
	r->index = mmap(NULL, il, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, hl);
	if (r->h == MAP_FAILED || r->index == MAP_FAILED)
		return -1;
	r->items = (struct uitem *)((char *)r->h + HEADER_SIZE);
	r->mask = il / 4 - 1;
	return 0;
}

static void close_ring(struct ring *r)
{
	munmap(r->index, r->h->index_length);
	munmap(r->h, r->h->header_length);
	close(r->fd);
}

static uint32_t pending(struct ring *r)
{
	return __atomic_load_n(&r->h->tail, __ATOMIC_ACQUIRE) - r->h->head;
}

/* The v3 consumer: one entry; returns its data, *events = taken bits (0 = dropped). */
static uint64_t take(struct ring *r, uint32_t *events, uint32_t *item)
{
	uint32_t head = r->h->head, idx;
	uint32_t *slot = &r->index[head & r->mask];
	while ((idx = __atomic_load_n(slot, __ATOMIC_ACQUIRE)) == 0)
		;
	*item = idx - 1;
	*slot = 0;
	struct uitem *it = &r->items[idx - 1];
	uint64_t data = it->data;
	*events = __atomic_exchange_n(&it->ready_events, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&r->h->head, head + 1, __ATOMIC_RELEASE);
	return data;
}

static int ctl(int epfd, int op, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};
	return epoll_ctl(epfd, op, fd, &ev);
}

static long wait_ring(int epfd, int timeout)
{
	long res = syscall(SYS_epoll_wait, epfd, NULL, 0, timeout);
	return res < 0 ? -errno : res;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void check_create_and_layout(void)
{
	errno = 0;
	CHECK("size 0 is EINVAL", create2(EPOLL_USERPOLL, 0) == -1 && errno == EINVAL, "got fd or other errno");
	CHECK("size 65537 is EINVAL", create2(EPOLL_USERPOLL, 65537) == -1 && errno == EINVAL, "got fd or other errno");
	CHECK("unknown flag is EINVAL", create2(EPOLL_USERPOLL | 2, 8) == -1 && errno == EINVAL, "got fd or other errno");

	static const size_t sizes[] = {1, 5, 8, 1000, 1024, 65536};
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct ring r;
		char name[96];
		uint32_t items = pow2(sizes[i]);
		snprintf(name, sizeof(name), "layout for size %zu", sizes[i]);
		if (open_ring(&r, sizes[i]) < 0) {
			CHECK(name, 0, "open/mmap failed");
			continue;
		}
		CHECK(name, r.h->magic == MAGIC && r.h->max_items_nr == items &&
				    r.h->header_length == expect_header_length(items) &&
				    r.h->index_length == expect_index_length(items) && r.h->head == 0 && r.h->tail == 0,
		      "magic %#x items %u header_length %u (want %u) index_length %u (want %u) head %u tail %u",
		      r.h->magic, r.h->max_items_nr, r.h->header_length, expect_header_length(items),
		      r.h->index_length, expect_index_length(items), r.h->head, r.h->tail);
		if (sizes[i] == 1000) {
			char link[64] = {0}, path[64];
			snprintf(path, sizeof(path), "/proc/self/fd/%d", r.fd);
			readlink(path, link, sizeof(link) - 1);
			CHECK("fd is an eventpoll", strcmp(link, "anon_inode:[eventpoll]") == 0, "link is %s", link);
			uint32_t hl = r.h->header_length, il = r.h->index_length;
			long e = mmap_err(r.fd, hl + page, 0);
			CHECK("mmap offset 0 longer than header_length is ENXIO", e == ENXIO, "errno %ld", e);
			e = mmap_err(r.fd, page, page);
			CHECK("mmap at an offset other than 0 and header_length is ENXIO", e == ENXIO, "errno %ld", e);
			e = mmap_err(r.fd, il + page, hl);
			CHECK("mmap of the index longer than index_length is ENXIO", e == ENXIO, "errno %ld", e);
			e = mmap_err(r.fd, il, hl);
			CHECK("mmap of the index at header_length works", e == 0, "errno %ld", e);
		}
		close_ring(&r);
	}
	int plain = epoll_create1(EPOLL_CLOEXEC);
	long e = mmap_err(plain, page, 0);
	CHECK("mmap of a plain epoll fd is ENOTSUPP", e == ENOTSUPP, "errno %ld", e);
	errno = 0;
	long w = wait_ring(plain, 0);
	CHECK("plain epoll_wait(NULL, 0) stays EINVAL", w == -EINVAL, "got %ld", w);
	close(plain);
	int classic = create2(EPOLL_CLOEXEC, 0);
	CHECK("epoll_create2 without EPOLL_USERPOLL is a plain epoll", classic >= 0 && mmap_err(classic, page, 0) == ENOTSUPP,
	      "fd %d", classic);
	if (classic >= 0)
		close(classic);
}

static void check_ctl_rules(void)
{
	struct ring r;
	int p[2], q[2], s[2];
	if (open_ring(&r, 2) < 0 || pipe2(p, O_NONBLOCK) || pipe2(q, O_NONBLOCK) || pipe2(s, O_NONBLOCK)) {
		CHECK("ctl rules setup", 0, "setup failed");
		return;
	}
	errno = 0;
	CHECK("ADD without EPOLLET is EINVAL", ctl(r.fd, EPOLL_CTL_ADD, p[0], EPOLLIN, 1) == -1 && errno == EINVAL, "ok");
	errno = 0;
	CHECK("ADD with EPOLLEXCLUSIVE is EINVAL",
	      ctl(r.fd, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLET | EPOLLEXCLUSIVE, 1) == -1 && errno == EINVAL, "ok");
	CHECK("ADD with EPOLLET works", ctl(r.fd, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLET, 11) == 0, "failed");
	CHECK("item events include ERR and HUP",
	      r.items[0].events == (EPOLLIN | EPOLLET | EPOLLERR | EPOLLHUP) && r.items[0].data == 11,
	      "events %#x data %llu", r.items[0].events, (unsigned long long)r.items[0].data);
	errno = 0;
	CHECK("MOD without EPOLLET is EINVAL", ctl(r.fd, EPOLL_CTL_MOD, p[0], EPOLLIN, 1) == -1 && errno == EINVAL, "ok");
	CHECK("second ADD works", ctl(r.fd, EPOLL_CTL_ADD, q[0], EPOLLIN | EPOLLET, 12) == 0, "failed");
	errno = 0;
	CHECK("ADD past max_items_nr is ENOSPC", ctl(r.fd, EPOLL_CTL_ADD, s[0], EPOLLIN | EPOLLET, 13) == -1 && errno == ENOSPC,
	      "ok");
	CHECK("DEL frees an item", ctl(r.fd, EPOLL_CTL_DEL, q[0], 0, 0) == 0 &&
					   ctl(r.fd, EPOLL_CTL_ADD, s[0], EPOLLIN | EPOLLET, 13) == 0,
	      "failed");
	CHECK("nothing queued yet", pending(&r) == 0, "pending %u", pending(&r));
	close_ring(&r);
	close(p[0]), close(p[1]), close(q[0]), close(q[1]), close(s[0]), close(s[1]);
}

static void check_publication(void)
{
	struct ring r;
	int p[2], q[2];
	if (open_ring(&r, 8) < 0 || pipe2(p, O_NONBLOCK) || pipe2(q, O_NONBLOCK)) {
		CHECK("publication setup", 0, "setup failed");
		return;
	}
	ctl(r.fd, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLET, 100);
	long w = wait_ring(r.fd, 0);
	CHECK("empty ring, timeout 0: epoll_wait returns 0", w == 0, "got %ld", w);
	double t0 = now_ms();
	w = wait_ring(r.fd, 50);
	double took = now_ms() - t0;
	CHECK("empty ring, timeout 50 ms: 0 after >= 40 ms", w == 0 && took >= 40 && took < 2000, "got %ld after %.1f ms", w,
	      took);
	write(p[1], "a", 1);
	write(p[1], "b", 1);
	write(p[1], "c", 1);
	CHECK("three writes, one entry (coalesced)", pending(&r) == 1, "pending %u", pending(&r));
	CHECK("slot holds item + 1", r.index[0] == 1, "index[0] = %u", r.index[0]);
	CHECK("ready_events has EPOLLIN", r.items[0].ready_events & EPOLLIN, "ready %#x", r.items[0].ready_events);
	w = wait_ring(r.fd, 0);
	CHECK("non-empty ring: ESTALE at once", w == -ESTALE, "got %ld", w);
	w = wait_ring(r.fd, -1);
	CHECK("non-empty ring: ESTALE even without a timeout", w == -ESTALE, "got %ld", w);
	struct epoll_event ev;
	errno = 0;
	CHECK("userpoll epoll_wait with a buffer is EINVAL", epoll_wait(r.fd, &ev, 1, 0) == -1 && errno == EINVAL, "ok");
	struct pollfd pfd = {.fd = r.fd, .events = POLLIN};
	CHECK("poll() on the epfd: POLLIN while head != tail", poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN), "revents %#x",
	      pfd.revents);
	uint32_t events, item;
	uint64_t data = take(&r, &events, &item);
	CHECK("consumed entry carries data and EPOLLIN", data == 100 && item == 0 && (events & EPOLLIN),
	      "data %llu item %u events %#x", (unsigned long long)data, item, events);
	CHECK("ring empty after consuming", pending(&r) == 0 && wait_ring(r.fd, 0) == 0, "pending %u", pending(&r));
	pfd.revents = 0;
	CHECK("poll() on the epfd: nothing when empty", poll(&pfd, 1, 0) == 0, "revents %#x", pfd.revents);
	write(p[1], "d", 1);
	CHECK("a new edge after consuming queues a new entry", pending(&r) == 1 && r.index[1] == 1, "pending %u index[1] %u",
	      pending(&r), r.index[1]);
	take(&r, &events, &item);

	/* ADD of a ready fd queues at once; EPOLLOUT of an idle pipe. */
	ctl(r.fd, EPOLL_CTL_ADD, q[1], EPOLLOUT | EPOLLET, 200);
	CHECK("ADD of a ready fd queues an entry", pending(&r) == 1, "pending %u", pending(&r));
	data = take(&r, &events, &item);
	CHECK("that entry is EPOLLOUT of the write end", data == 200 && (events & EPOLLOUT), "data %llu events %#x",
	      (unsigned long long)data, events);

	/* MOD of a ready fd queues again, with the new data. */
	ctl(r.fd, EPOLL_CTL_MOD, q[1], EPOLLOUT | EPOLLET, 201);
	CHECK("MOD of a ready fd queues an entry with the new data",
	      pending(&r) == 1 && take(&r, &events, &item) == 201 && (events & EPOLLOUT), "pending %u", pending(&r));

	/* EPOLLREMOVED: delete a queued item. */
	write(p[1], "e", 1);
	CHECK("queued before DEL", pending(&r) == 1 && r.items[0].ready_events != 0, "pending %u", pending(&r));
	ctl(r.fd, EPOLL_CTL_DEL, p[0], 0, 0);
	CHECK("DEL of a queued item: ready_events is exactly EPOLLREMOVED, entry stays",
	      r.items[0].ready_events == EPOLLREMOVED && pending(&r) == 1, "ready %#x pending %u", r.items[0].ready_events,
	      pending(&r));
	take(&r, &events, &item);
	CHECK("consumer sees EPOLLREMOVED on the stale entry", events == EPOLLREMOVED && item == 0, "events %#x item %u",
	      events, item);
	ctl(r.fd, EPOLL_CTL_DEL, p[0], 0, 0);

	/* DEL of an idle item leaves ready_events 0. */
	char buf[16];
	read(p[0], buf, sizeof(buf));
	ctl(r.fd, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLET, 101);
	ctl(r.fd, EPOLL_CTL_DEL, p[0], 0, 0);
	CHECK("DEL of an idle item leaves ready_events 0", r.items[0].ready_events == 0 && pending(&r) == 0,
	      "ready %#x pending %u", r.items[0].ready_events, pending(&r));

	/*
	 * Reuse of an item deleted while queued, by a ready fd: the ADD's own readiness replaces EPOLLREMOVED and
	 * rides on the stale entry; the item never has a second entry (the ring holds one per item at most).
	 */
	ctl(r.fd, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLET, 102);
	write(p[1], "f", 1);
	ctl(r.fd, EPOLL_CTL_DEL, p[0], 0, 0);
	ctl(r.fd, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLET, 103);
	CHECK("re-ADD of a ready fd over a stale entry: its bits replace EPOLLREMOVED, no second entry",
	      (r.items[0].ready_events & EPOLLIN) && !(r.items[0].ready_events & EPOLLREMOVED) &&
	      r.items[0].data == 103 && pending(&r) == 1,
	      "ready %#x data %llu pending %u", r.items[0].ready_events, (unsigned long long)r.items[0].data,
	      pending(&r));
	data = take(&r, &events, &item);
	CHECK("the stale entry delivers the re-added fd's readiness with its new data",
	      data == 103 && (events & EPOLLIN) && !(events & EPOLLREMOVED) && pending(&r) == 0,
	      "data %llu events %#x pending %u", (unsigned long long)data, events, pending(&r));
	read(p[0], buf, sizeof(buf));
	ctl(r.fd, EPOLL_CTL_DEL, p[0], 0, 0);

	/* By an idle fd: EPOLLREMOVED stays (the entry is still queued) until the fd's first event replaces it. */
	ctl(r.fd, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLET, 104);
	write(p[1], "g", 1);
	ctl(r.fd, EPOLL_CTL_DEL, p[0], 0, 0);
	read(p[0], buf, sizeof(buf));
	ctl(r.fd, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLET, 105);
	CHECK("re-ADD of an idle fd over a stale entry keeps EPOLLREMOVED and the one entry",
	      r.items[0].ready_events == EPOLLREMOVED && r.items[0].data == 105 && pending(&r) == 1,
	      "ready %#x data %llu pending %u", r.items[0].ready_events, (unsigned long long)r.items[0].data,
	      pending(&r));
	write(p[1], "h", 1);
	CHECK("its first event replaces EPOLLREMOVED on that entry, no second entry",
	      (r.items[0].ready_events & EPOLLIN) && !(r.items[0].ready_events & EPOLLREMOVED) && pending(&r) == 1,
	      "ready %#x pending %u",
	      r.items[0].ready_events, pending(&r));
	data = take(&r, &events, &item);
	CHECK("and is delivered once with the new data", data == 105 && (events & EPOLLIN) && !(events & EPOLLREMOVED) && pending(&r) == 0,
	      "data %llu events %#x pending %u", (unsigned long long)data, events, pending(&r));
	read(p[0], buf, sizeof(buf));
	ctl(r.fd, EPOLL_CTL_DEL, p[0], 0, 0);
	close_ring(&r);
	close(p[0]), close(p[1]), close(q[0]), close(q[1]);
}

/*
 * The ring's pages are charged to RLIMIT_MEMLOCK of a caller without CAP_IPC_LOCK (run in a child that drops
 * to nobody with a limit of 4 pages): ENOMEM past the limit, and closing a ring gives its pages back.
 */
static void check_memlock(void)
{
	int report[2];
	if (pipe(report)) {
		CHECK("memlock setup", 0, "pipe failed");
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit rl = {4 * page, 4 * page};
		int res[5];
		close(report[0]);
		if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgid(65534) || setuid(65534))
			_exit(3);
		/* 8 items: a header page and an index page. 4096 items: 17 pages of header alone. */
		int a = create2(EPOLL_USERPOLL | EPOLL_CLOEXEC, 8);
		res[0] = a < 0 ? -errno : 0;
		int b = create2(EPOLL_USERPOLL | EPOLL_CLOEXEC, 4096);
		res[1] = b < 0 ? -errno : 0;
		int c = create2(EPOLL_USERPOLL | EPOLL_CLOEXEC, 8);
		res[2] = c < 0 ? -errno : 0;
		int d = create2(EPOLL_USERPOLL | EPOLL_CLOEXEC, 8);
		res[3] = d < 0 ? -errno : 0;
		close(a);
		int e = create2(EPOLL_USERPOLL | EPOLL_CLOEXEC, 8);
		res[4] = e < 0 ? -errno : 0;
		write(report[1], res, sizeof(res));
		_exit(0);
	}
	close(report[1]);
	int res[5] = {1, 1, 1, 1, 1}, status = 0;
	ssize_t n = read(report[0], res, sizeof(res));
	waitpid(pid, &status, 0);
	close(report[0]);
	if (n != sizeof(res)) {
		CHECK("memlock: the unprivileged child ran", 0, "child status %#x", status);
		return;
	}
	CHECK("memlock: a 2-page ring within a 4-page limit", res[0] == 0, "result %d", res[0]);
	CHECK("memlock: a ring past the limit fails with ENOMEM", res[1] == -ENOMEM, "result %d", res[1]);
	CHECK("memlock: a second 2-page ring fills the limit", res[2] == 0, "result %d", res[2]);
	CHECK("memlock: a third fails with ENOMEM (pages add up per user)", res[3] == -ENOMEM, "result %d", res[3]);
	CHECK("memlock: closing a ring gives its pages back", res[4] == 0, "result %d", res[4]);
}

static void *write_later(void *arg)
{
	usleep(100 * 1000);
	write(*(int *)arg, "x", 1);
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void check_waiting(void)
{
	struct ring r;
	int p[2];
	if (open_ring(&r, 4) < 0 || pipe2(p, O_NONBLOCK)) {
		CHECK("waiting setup", 0, "setup failed");
		return;
	}
	ctl(r.fd, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLET, 1);
	pthread_t t;
	pthread_create(&t, NULL, write_later, &p[1]);
	double t0 = now_ms();
	long w = wait_ring(r.fd, 5000);
	double took = now_ms() - t0;
	pthread_join(t, NULL);
	CHECK("a wakeup from another thread ends the park with ESTALE", w == -ESTALE && took >= 50 && took < 2000,
	      "got %ld after %.1f ms", w, took);
	uint32_t events, item;
	take(&r, &events, &item);
	char buf[8];
	read(p[0], buf, sizeof(buf));

	struct sigaction sa = {.sa_handler = on_alarm};
	sigaction(SIGALRM, &sa, NULL); /* no SA_RESTART */
	struct itimerspec its = {.it_value = {.tv_nsec = 100 * 1000 * 1000}};
	timer_t timer;
	struct sigevent sev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM};
	timer_create(CLOCK_MONOTONIC, &sev, &timer);
	timer_settime(timer, 0, &its, NULL);
	t0 = now_ms();
	w = wait_ring(r.fd, -1);
	took = now_ms() - t0;
	CHECK("a signal ends an infinite park with EINTR", w == -EINTR && took < 2000, "got %ld after %.1f ms", w, took);
	timer_delete(timer);
	close_ring(&r);
	close(p[0]), close(p[1]);
}

/* Wakeups without a key (a TCP FIN: sk_state_change) reach the ring through the kernel's work item. */
static void check_keyless_wakeup(void)
{
	struct ring r;
	int ls = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	if (open_ring(&r, 4) < 0 || bind(ls, (void *)&a, sizeof(a)) || listen(ls, 4) || getsockname(ls, (void *)&a, &al) ||
	    connect(c, (void *)&a, sizeof(a))) {
		CHECK("keyless setup", 0, "setup failed");
		return;
	}
	int s = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
	ctl(r.fd, EPOLL_CTL_ADD, s, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, 7);
	uint32_t events, item;
	while (pending(&r))
		take(&r, &events, &item);
	close(c);
	long w = wait_ring(r.fd, 2000);
	uint32_t seen = 0;
	while (pending(&r)) {
		if (take(&r, &events, &item) == 7)
			seen |= events;
	}
	CHECK("peer FIN reaches the ring with EPOLLIN|EPOLLRDHUP", w == -ESTALE && (seen & EPOLLIN) && (seen & EPOLLRDHUP),
	      "wait %ld events %#x", w, seen);
	close(s);
	close(ls);
	close_ring(&r);
}

static void check_fork(void)
{
	struct ring r;
	if (open_ring(&r, 4) < 0) {
		CHECK("fork setup", 0, "setup failed");
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		/* VM_DONTCOPY: the child must not have the mapping; mincore fails with ENOMEM on an unmapped range. */
		unsigned char vec;
		_exit(mincore(r.h, page, &vec) == -1 && errno == ENOMEM ? 0 : 1);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	CHECK("a forked child does not inherit the mapping", WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
	close_ring(&r);
}

/* Threads write to many pipes while the main thread consumes: every byte's pipe is seen ready. */
#define STRESS_PIPES 64
#define STRESS_ROUNDS 2000
static int stress_pipes[STRESS_PIPES][2];

static void *stress_writer(void *arg)
{
	long id = (long)arg;
	for (int i = 0; i < STRESS_ROUNDS; i++)
		write(stress_pipes[(i * 7 + id) % STRESS_PIPES][1], "s", 1);
	return NULL;
}

static void check_stress(void)
{
	struct ring r;
	if (open_ring(&r, STRESS_PIPES) < 0) {
		CHECK("stress setup", 0, "setup failed");
		return;
	}
	for (int i = 0; i < STRESS_PIPES; i++) {
		pipe2(stress_pipes[i], O_NONBLOCK);
		fcntl(stress_pipes[i][1], F_SETPIPE_SZ, 1 << 20);
		ctl(r.fd, EPOLL_CTL_ADD, stress_pipes[i][0], EPOLLIN | EPOLLET, i);
	}
	pthread_t t[2];
	for (long i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, stress_writer, (void *)i);
	long bytes = 0, entries = 0, overfull = 0;
	double deadline = now_ms() + 20000;
	char buf[4096];
	while (bytes < 2L * STRESS_ROUNDS && now_ms() < deadline) {
		if (pending(&r) > STRESS_PIPES)
			overfull++;
		if (!pending(&r)) {
			wait_ring(r.fd, 100);
			continue;
		}
		uint32_t events, item;
		uint64_t data = take(&r, &events, &item);
		entries++;
		if (data < STRESS_PIPES && (events & EPOLLIN)) {
			ssize_t n;
			while ((n = read(stress_pipes[data][0], buf, sizeof(buf))) > 0)
				bytes += n;
		}
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	CHECK("2 writer threads x 2000 bytes over 64 pipes: every byte seen through the ring",
	      bytes == 2L * STRESS_ROUNDS && overfull == 0, "bytes %ld entries %ld overfull %ld", bytes, entries, overfull);
	for (int i = 0; i < STRESS_PIPES; i++)
		close(stress_pipes[i][0]), close(stress_pipes[i][1]);
	close_ring(&r);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		nr_create2 = strtol(argv[1], NULL, 0);
	page = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("userpoll-abi-check: epoll_create2 is syscall %ld\n", nr_create2);
	int probe = create2(EPOLL_USERPOLL | EPOLL_CLOEXEC, 8);
	if (probe < 0) {
		printf("FAIL epoll_create2(EPOLL_USERPOLL, 8): %s\n", strerror(errno));
		printf("USERPOLL-ABI-CHECK: 0 passed, 1 failed\n");
		return 1;
	}
	close(probe);
	check_create_and_layout();
	check_ctl_rules();
	check_publication();
	check_waiting();
	check_keyless_wakeup();
	check_fork();
	check_memlock();
	check_stress();
	printf("USERPOLL-ABI-CHECK: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
