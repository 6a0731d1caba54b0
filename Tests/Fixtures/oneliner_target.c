/* Host program for the one-liner tool tests (funccount, funclatency,
 * stackcount, trace, argdist): waits until the file argv[1] exists (the
 * test attaches meanwhile), then makes a known set of calls; with argv[2],
 * waits for that file too before exiting (so its symbols can be read).
 * It also fires the USDT probe oneliner:request(int id, const char *path)
 * four times, ids 100, 200, 300, 400, paths "/req/1" .. "/req/4". */
#include "include/usdt_note.h"
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

__attribute__((noinline)) int ol_count(int value) {
    __asm__ volatile("" ::: "memory");
    return value + 1;
}

__attribute__((noinline)) void ol_slow(int milliseconds) {
    struct timespec pause = {milliseconds / 1000, (long)(milliseconds % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

__attribute__((noinline)) int ol_message(const char *text, int length) {
    __asm__ volatile("" ::: "memory");
    return (int)strlen(text) + length;
}

__attribute__((noinline)) unsigned long ol_size(unsigned long size) {
    __asm__ volatile("" ::: "memory");
    return size * 2;
}

__attribute__((noinline)) int ol_nested(int depth) {
    return depth > 0 ? ol_nested(depth - 1) + ol_count(depth) : 0;
}

__attribute__((noinline)) void usdt_request(int id, const char *path) {
    USDT_NOTE("oneliner", "request", "0", "-4@%[id] 8@%[path]", [id] "r"(id), [path] "r"(path));
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    while (access(argv[1], F_OK) != 0) usleep(10000);
    int sum = 0;
    for (int i = 0; i < 7; i++) sum += ol_count(i);          /* 7 ol_count calls */
    for (int i = 0; i < 3; i++) ol_slow(20);                 /* 3 calls of ~20 ms */
    sum += ol_message("hello one-liner", 42);
    sum += ol_message("second", 7);
    for (unsigned long s = 1; s <= 1024; s *= 4) sum += (int)ol_size(s);   /* 1 4 16 64 256 1024 */
    for (int i = 0; i < 5; i++) sum += getppid() > 0;        /* 5 libc getppid calls */
    sum += ol_nested(2);                                     /* 2 more ol_count calls */
    static const char *paths[] = {"/req/1", "/req/2", "/req/3", "/req/4"};
    for (int i = 0; i < 4; i++) usdt_request(100 * (i + 1), paths[i]);   /* USDT oneliner:request x4 */
    printf("%d\n", sum);
    fflush(stdout);
    if (argc > 2)
        while (access(argv[2], F_OK) != 0) usleep(10000);
    return 0;
}
