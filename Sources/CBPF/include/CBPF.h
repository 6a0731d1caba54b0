// CBPF: the small C shim under swift-bcc.
//
// Swift cannot call variadic C functions (syscall(2), ioctl(2)), so the
// system calls the project needs are wrapped here. The atomics give the ring
// buffer reader acquire / release / seq_cst ordering on memory the kernel
// shares with us through mmap; they are static inline so that the hot path
// compiles to plain loads, stores and one fence.
#ifndef CBPF_H
#define CBPF_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: - System calls

/// bpf(2). Returns the kernel's result; on failure -1 with errno set.
int cbpf_bpf(int cmd, union bpf_attr *attr, unsigned int size);

/// perf_event_open(2). Returns an fd; on failure -1 with errno set.
int cbpf_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd, unsigned long flags);

/// ioctl(2) with an integer argument. Returns -1 with errno set on failure.
int cbpf_ioctl(int fd, unsigned long request, unsigned long argument);

/// ioctl(2) with a pointer argument.
int cbpf_ioctl_ptr(int fd, unsigned long request, void *argument);

// MARK: - epoll (struct epoll_event is packed on x86_64, awkward from Swift)

/// Adds fd to the epoll set with the given events; `data` comes back from cbpf_epoll_wait.
int cbpf_epoll_add(int epfd, int fd, uint32_t events, uint64_t data);

/// Removes fd from the epoll set.
int cbpf_epoll_del(int epfd, int fd);

/// epoll_wait(2) into parallel arrays of user data and event masks.
int cbpf_epoll_wait(int epfd, uint64_t *datas, uint32_t *events, int max_events, int timeout_ms);

/// epoll_create1(EPOLL_CLOEXEC).
int cbpf_epoll_create(void);

/// eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK): a descriptor that wakes an epoll wait when written;
/// draining it never blocks.
int cbpf_eventfd_create(void);

/// Readable (EPOLLIN) and edge-triggered (EPOLLET) event bits for cbpf_epoll_add.
static const uint32_t CBPF_EPOLLIN = 0x001;
static const uint32_t CBPF_EPOLLET = 1u << 31;

// MARK: - Packet sockets (struct sockaddr_ll is not in Swift's Glibc module)

/// Binds AF_PACKET socket `fd` to interface `ifindex` for frames of
/// `protocol_be` (an ETH_P_* value in network byte order). 0 or -1 with errno set.
int cbpf_bind_packet_socket(int fd, int ifindex, uint16_t protocol_be);

// MARK: - CPU placement (sched.h declares these only under _GNU_SOURCE)

/// The CPU the calling thread runs on (sched_getcpu(3)), or -1 with errno set.
int cbpf_current_cpu(void);

/// The calling thread's CPU affinity into `mask` (`size` bytes, bit i = CPU i).
int cbpf_thread_affinity_get(void *mask, size_t size);

/// Sets the calling thread's CPU affinity from `mask` (`size` bytes, bit i = CPU i).
int cbpf_thread_affinity_set(const void *mask, size_t size);

// MARK: - Child processes (prctl(2) is variadic, and runs between fork and exec)

/// Starts `path` with `argv` and `envp` as a child tied to this process:
/// standard input from /dev/null, standard output to `output_fd`, standard
/// error to `error_fd`; SIGINT, SIGTERM and SIGPIPE at their default action
/// and no signal blocked (exec would inherit the caller's ignored SIGINT,
/// and Ctrl-C would not stop it); PR_SET_PDEATHSIG SIGKILL, so the child
/// dies when the thread that started it does, SIGKILL of the process
/// included. Returns the child's pid, or -errno when it could not be
/// started (the exec's own error included).
pid_t cbpf_spawn_tied(const char *path, char *const argv[], char *const envp[], int output_fd, int error_fd);

// MARK: - perf ioctl requests (function-like macros do not import into Swift)

static const unsigned long CBPF_PERF_EVENT_IOC_ENABLE = PERF_EVENT_IOC_ENABLE;
static const unsigned long CBPF_PERF_EVENT_IOC_DISABLE = PERF_EVENT_IOC_DISABLE;
static const unsigned long CBPF_PERF_EVENT_IOC_SET_BPF = PERF_EVENT_IOC_SET_BPF;

// MARK: - Ordered atomics on shared memory

static inline uint64_t cbpf_load_acquire_u64(const void *p) {
    return __atomic_load_n((const uint64_t *)p, __ATOMIC_ACQUIRE);
}

static inline uint32_t cbpf_load_acquire_u32(const void *p) {
    return __atomic_load_n((const uint32_t *)p, __ATOMIC_ACQUIRE);
}

static inline uint64_t cbpf_load_relaxed_u64(const void *p) {
    return __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
}

static inline uint64_t cbpf_load_seq_cst_u64(const void *p) {
    return __atomic_load_n((const uint64_t *)p, __ATOMIC_SEQ_CST);
}

static inline void cbpf_store_release_u64(void *p, uint64_t v) {
    __atomic_store_n((uint64_t *)p, v, __ATOMIC_RELEASE);
}

static inline void cbpf_store_seq_cst_u64(void *p, uint64_t v) {
    __atomic_store_n((uint64_t *)p, v, __ATOMIC_SEQ_CST);
}

/// A full (StoreLoad) fence: publishing the consumer position and then
/// reading the producer position must not be reordered, or a record can be
/// committed with no wakeup sent (the kernel reads our position after its
/// commit; we read its position after our publish).
static inline void cbpf_fence_seq_cst(void) {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/// A spin-wait hint (x86 pause, arm64 yield): a reader briefly spinning on a
/// position another CPU is about to move.
static inline void cbpf_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#ifdef __cplusplus
}
#endif

#endif
