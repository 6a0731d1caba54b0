/* A USDT probe written the way systemtap's sdt.h writes one (this project
 * uses no system sdt.h): a nop at the probe site, and an NT_STAPSDT note in
 * .note.stapsdt holding the nop's address, the .stapsdt.base anchor (which
 * undoes prelinking), the semaphore's address (or 0), the provider, the name
 * and the argument specs. The specs are inline assembly operands printed as
 * "SIZE@OPERAND", so the compiler says where each value is: a register, a
 * stack slot, an immediate, a rip-relative global. */
#ifndef USDT_NOTE_H
#define USDT_NOTE_H

#define USDT_NOTE(provider, name, semaphore, arguments, ...)                    \
    __asm__ __volatile__(                                                        \
        "990: nop\n"                                                             \
        ".pushsection .note.stapsdt,\"\",\"note\"\n"                             \
        ".balign 4\n"                                                            \
        ".4byte 992f-991f, 994f-993f, 3\n"                                       \
        "991: .asciz \"stapsdt\"\n"                                              \
        "992: .balign 4\n"                                                       \
        "993: .8byte 990b\n"                                                     \
        ".8byte _.stapsdt.base\n"                                                \
        ".8byte " semaphore "\n"                                                 \
        ".asciz \"" provider "\"\n"                                              \
        ".asciz \"" name "\"\n"                                                  \
        ".asciz \"" arguments "\"\n"                                             \
        "994: .balign 4\n"                                                       \
        ".popsection\n"                                                          \
        ".ifndef _.stapsdt.base\n"                                               \
        ".pushsection .stapsdt.base,\"aG\",\"progbits\",.stapsdt.base,comdat\n"  \
        ".weak _.stapsdt.base\n"                                                 \
        ".hidden _.stapsdt.base\n"                                               \
        "_.stapsdt.base: .space 1\n"                                             \
        ".size _.stapsdt.base, 1\n"                                              \
        ".popsection\n"                                                          \
        ".endif\n"                                                               \
        :: __VA_ARGS__)

/* A semaphore: a 2-byte counter in .probes that tracers raise. */
#define USDT_SEMAPHORE(variable) \
    volatile unsigned short variable __attribute__((section(".probes"), used))

#endif
