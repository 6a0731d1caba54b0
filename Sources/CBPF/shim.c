#define _GNU_SOURCE
#include "CBPF.h"

#include <linux/if_packet.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int cbpf_bpf(int cmd, union bpf_attr *attr, unsigned int size) {
    return (int)syscall(__NR_bpf, cmd, attr, size);
}

int cbpf_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd, unsigned long flags) {
    return (int)syscall(__NR_perf_event_open, attr, pid, cpu, group_fd, flags);
}

int cbpf_ioctl(int fd, unsigned long request, unsigned long argument) {
    return ioctl(fd, request, argument);
}

int cbpf_ioctl_ptr(int fd, unsigned long request, void *argument) {
    return ioctl(fd, request, argument);
}

int cbpf_epoll_add(int epfd, int fd, uint32_t events, uint64_t data) {
    struct epoll_event event = { .events = events, .data.u64 = data };
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
}

int cbpf_epoll_del(int epfd, int fd) {
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
}

int cbpf_epoll_wait(int epfd, uint64_t *datas, uint32_t *events, int max_events, int timeout_ms) {
    struct epoll_event buffer[64];
    if (max_events > 64) max_events = 64;
    int n = epoll_wait(epfd, buffer, max_events, timeout_ms);
    for (int i = 0; i < n; i++) {
        datas[i] = buffer[i].data.u64;
        events[i] = buffer[i].events;
    }
    return n;
}

int cbpf_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

int cbpf_eventfd_create(void) {
    return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

int cbpf_current_cpu(void) {
    return sched_getcpu();
}

int cbpf_thread_affinity_get(void *mask, size_t size) {
    return sched_getaffinity(0, size, (cpu_set_t *)mask);
}

int cbpf_thread_affinity_set(const void *mask, size_t size) {
    return sched_setaffinity(0, size, (const cpu_set_t *)mask);
}

_Static_assert(EPOLLIN == 0x001 && (uint32_t)EPOLLET == (1u << 31), "epoll bits");

int cbpf_bind_packet_socket(int fd, int ifindex, uint16_t protocol_be) {
    struct sockaddr_ll address = { .sll_family = AF_PACKET, .sll_protocol = protocol_be, .sll_ifindex = ifindex };
    return bind(fd, (struct sockaddr *)&address, sizeof(address));
}
