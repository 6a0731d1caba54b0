/* Host program for the uprobe tests: waits for a line on stdin (the test
 * attaches meanwhile), then calls uprobe_target_function argv[1] times. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((noinline)) int uprobe_target_function(int value) {
    __asm__ volatile("" ::: "memory");
    return value * 2 + 1;
}

int main(int argc, char **argv) {
    int calls = argc > 1 ? atoi(argv[1]) : 0;
    char byte;
    if (read(0, &byte, 1) != 1) return 2;
    int sum = 0;
    for (int i = 0; i < calls; i++) sum += uprobe_target_function(i);
    printf("%d\n", sum);
    return 0;
}
