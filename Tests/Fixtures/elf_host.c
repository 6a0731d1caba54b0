/* A small host program for the ELF tests: a global function with a known
 * body, called from main so the compiler keeps it. */
#include <stdio.h>
#include <stdlib.h>

int elf_test_counter = 7;

__attribute__((noinline)) int elf_test_function(int value) {
    elf_test_counter += value;
    return elf_test_counter * 3;
}

int main(int argc, char **argv) {
    void *p = malloc(16);
    printf("%d\n", elf_test_function(argc));
    free(p);
    return 0;
}
