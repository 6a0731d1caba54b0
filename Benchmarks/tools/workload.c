// The workloads of Benchmarks/tools-vs-libbpf.sh: each waits for a byte on
// standard input (the driver sends it once the tool under test is ready),
// then makes a known number of events and exits.
//
//   workload sleep COUNT MICROS   COUNT sleeps of MICROS each (COUNT blocks,
//                                 wakeups and switches)
//   workload spin SECONDS         burn a CPU for SECONDS
//   workload read PATH COUNT      COUNT O_DIRECT reads of 4 KiB from PATH
//   workload kill COUNT           COUNT kill(self, SIGUSR1), the signal ignored
//   workload stat PATH COUNT      COUNT stat() of PATH
//   workload exit COUNT           COUNT children that exit with code 3, one at a time
//   workload mount DIR COUNT      COUNT mounts of a tmpfs on DIR, each unmounted
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    char go;
    if (argc < 3 || read(0, &go, 1) != 1) {
        fprintf(stderr, "usage: workload sleep COUNT MICROS | spin SECONDS | read PATH COUNT | kill COUNT | stat PATH COUNT"
                        " | exit COUNT | mount DIR COUNT (after a byte on stdin)\n");
        return 2;
    }
    if (strcmp(argv[1], "sleep") == 0 && argc == 4) {
        long count = atol(argv[2]), micros = atol(argv[3]);
        struct timespec pause = {micros / 1000000, (micros % 1000000) * 1000};
        for (long i = 0; i < count; i++) nanosleep(&pause, NULL);
        return 0;
    }
    if (strcmp(argv[1], "spin") == 0) {
        double end = now() + atof(argv[2]);
        volatile unsigned long sink = 0;
        while (now() < end)
            for (int i = 0; i < 100000; i++) sink += i;
        return 0;
    }
    if (strcmp(argv[1], "read") == 0 && argc == 4) {
        long count = atol(argv[3]);
        int fd = open(argv[2], O_RDONLY | O_DIRECT);
        void *buffer;
        if (fd < 0 || posix_memalign(&buffer, 4096, 4096) != 0) { perror(argv[2]); return 1; }
        off_t size = lseek(fd, 0, SEEK_END) / 4096;
        for (long i = 0; i < count; i++) {
            // Every other block, so the reads are neither merged nor read ahead.
            if (pread(fd, buffer, 4096, (off_t)((i * 2) % size) * 4096) != 4096) { perror("pread"); return 1; }
        }
        return 0;
    }
    if (strcmp(argv[1], "kill") == 0) {
        long count = atol(argv[2]);
        signal(SIGUSR1, SIG_IGN);
        for (long i = 0; i < count; i++) kill(getpid(), SIGUSR1);
        return 0;
    }
    if (strcmp(argv[1], "stat") == 0 && argc == 4) {
        long count = atol(argv[3]);
        struct stat status;
        for (long i = 0; i < count; i++) stat(argv[2], &status);
        return 0;
    }
    if (strcmp(argv[1], "exit") == 0) {
        long count = atol(argv[2]);
        for (long i = 0; i < count; i++) {
            pid_t child = fork();
            if (child == 0) _exit(3);
            if (child > 0) waitpid(child, NULL, 0);
        }
        return 0;
    }
    if (strcmp(argv[1], "mount") == 0 && argc == 4) {
        long count = atol(argv[3]);
        for (long i = 0; i < count; i++) {
            if (mount("workload", argv[2], "tmpfs", MS_NOSUID, "size=1m") != 0) { perror("mount"); return 1; }
            umount2(argv[2], 0);
        }
        return 0;
    }
    fprintf(stderr, "workload: unknown mode %s\n", argv[1]);
    return 2;
}
