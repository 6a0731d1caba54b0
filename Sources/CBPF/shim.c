#define _GNU_SOURCE
#include "CBPF.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
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

pid_t cbpf_spawn_tied(const char *path, char *const argv[], char *const envp[], int output_fd, int error_fd) {
    // The child reports a failed exec's errno through this pipe; a successful exec closes it.
    int status[2];
    if (pipe2(status, O_CLOEXEC) != 0) return -errno;
    pid_t parent = getpid();
    // No handler of the parent's may run in the child between fork and exec.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t child = fork();
    if (child == 0) {
        // Only async-signal-safe calls from here to exec.
        struct sigaction standard = { .sa_handler = SIG_DFL };
        sigaction(SIGINT, &standard, NULL);
        sigaction(SIGTERM, &standard, NULL);
        sigaction(SIGPIPE, &standard, NULL);
        int error = 0;
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) error = errno;
        // The parent may have died before prctl: then no signal would come.
        else if (getppid() != parent) _exit(127);
        int input = error ? -1 : open("/dev/null", O_RDONLY);
        if (!error && (input < 0 || dup2(input, 0) < 0 || dup2(output_fd, 1) < 0 || dup2(error_fd, 2) < 0)) error = errno;
        if (!error) {
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, NULL);
            execve(path, argv, envp);
            error = errno;
        }
        ssize_t ignored = write(status[1], &error, sizeof(error));
        (void)ignored;
        _exit(127);
    }
    int fork_error = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(status[1]);
    if (child < 0) {
        close(status[0]);
        return -fork_error;
    }
    int child_error = 0;
    ssize_t count;
    do {
        count = read(status[0], &child_error, sizeof(child_error));
    } while (count < 0 && errno == EINTR);
    close(status[0]);
    if (count == (ssize_t)sizeof(child_error)) {
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {}
        return -child_error;
    }
    return child;
}
