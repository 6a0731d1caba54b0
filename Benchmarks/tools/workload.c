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
//   workload connect PORT COUNT   COUNT TCP connections to itself on
//                                 127.0.0.1:PORT (connect, accept, 1 KiB
//                                 sent, client closes first, then server)
//   workload resolve COUNT        COUNT getaddrinfo("localhost") calls
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
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
                        " | exit COUNT | mount DIR COUNT | connect PORT COUNT | resolve COUNT (after a byte on stdin)\n");
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
    if (strcmp(argv[1], "connect") == 0 && argc == 4) {
        long count = atol(argv[3]);
        struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2])),
                                      .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int one = 1, listener = socket(AF_INET, SOCK_STREAM, 0);
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(listener, (struct sockaddr *)&address, sizeof(address)) != 0 || listen(listener, 16) != 0) {
            perror("listen");
            return 1;
        }
        char payload[1024] = {0};
        for (long i = 0; i < count; i++) {
            int client = socket(AF_INET, SOCK_STREAM, 0);
            if (connect(client, (struct sockaddr *)&address, sizeof(address)) != 0) { perror("connect"); return 1; }
            int server = accept(listener, NULL, NULL);
            if (server < 0 || write(client, payload, sizeof(payload)) != sizeof(payload)) { perror("accept/write"); return 1; }
            for (ssize_t got = 0; got < (ssize_t)sizeof(payload);) {
                ssize_t n = read(server, payload, sizeof(payload) - got);
                if (n <= 0) { perror("read"); return 1; }
                got += n;
            }
            close(client);
            (void)read(server, payload, 1);  // the client's FIN
            close(server);
        }
        close(listener);
        return 0;
    }
    if (strcmp(argv[1], "resolve") == 0 && argc == 3) {
        long count = atol(argv[2]);
        for (long i = 0; i < count; i++) {
            struct addrinfo *result;
            if (getaddrinfo("localhost", NULL, NULL, &result) != 0) { fprintf(stderr, "getaddrinfo failed\n"); return 1; }
            freeaddrinfo(result);
        }
        return 0;
    }
    fprintf(stderr, "workload: unknown mode %s\n", argv[1]);
    return 2;
}
