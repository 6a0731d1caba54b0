import BCCDialect
import BPFObject
import Foundation
import Testing
@testable import BCC

/// bcc's implicit reads, case by case (the situations bcc's rewriter tests
/// cover, in programs of our own): which loads become probe reads, which do
/// not, and that the result compiles. Each `reads` entry is "space text",
/// outermost read first.
@Suite struct ImplicitReadsRewriteTests {
    func run(_ program: String, tracepointStructs: String = "") throws -> ImplicitReadsHarness.Result {
        let result = try ImplicitReadsHarness.run(program, tracepointStructs: tracepointStructs)
        #expect(result.compileDiagnostics == nil, "\(result.compileDiagnostics ?? "")\n\(result.body)")
        #expect(result.body.split(separator: "\n", omittingEmptySubsequences: false).count
                == program.split(separator: "\n", omittingEmptySubsequences: false).count, "line numbers move")
        return result
    }

    // MARK: - Chains and members

    @Test func arrowChainBecomesNestedReads() throws {
        let result = try run("""
            int probe(struct pt_regs *ctx) {
                struct task_struct *t = (struct task_struct *)bpf_get_current_task();
                return t->real_parent->tgid;
            }
            """)
        #expect(result.reads == ["kernel t->real_parent->tgid", "kernel t->real_parent"])
        #expect(result.body.contains("(const void *)&(({ __typeof__((void)0, (t->real_parent)) __bcc_val; "
                                     + "bpf_probe_read_kernel(&__bcc_val, sizeof(__bcc_val), (const void *)&(t->real_parent)); __bcc_val; })->tgid))"))
    }

    @Test func dotMembersAfterAnArrowAreOneRead() throws {
        let result = try run("""
            int kprobe__tcp_connect(struct pt_regs *ctx, struct sock *sk) {
                return sk->__sk_common.skc_family + sk->__sk_common.skc_v6_rcv_saddr.u6_addr32[3];
            }
            """)
        #expect(result.reads == ["kernel sk->__sk_common.skc_family", "kernel sk->__sk_common.skc_v6_rcv_saddr.u6_addr32[3]"])
    }

    @Test func multiLineExpressionKeepsItsLines() throws {
        let result = try run("""
            int probe(struct pt_regs *ctx) {
                struct task_struct *t = (struct task_struct *)bpf_get_current_task();
                return t->
                    real_parent /* parent */ ->
                    tgid;
            }
            """)
        #expect(result.reads == ["kernel t-> real_parent ->\n tgid".replacingOccurrences(of: "\n", with: ""),
                                 "kernel t-> real_parent"])
    }

    @Test func castBaseAndParenthesesAreRead() throws {
        let result = try run("""
            int kprobe__f(struct pt_regs *ctx, void *p) {
                int a = ((struct sock *)p)->sk_priority;
                int b = (((struct task_struct *)p)->pid);
                return a + b;
            }
            """)
        #expect(result.reads == ["kernel ((struct sock *)p)->sk_priority", "kernel ((struct task_struct *)p)->pid"])
    }

    @Test func whatIsLoadedIsReadEvenUnderNegationAndInConditions() throws {
        let result = try run("""
            int probe(struct pt_regs *ctx) {
                struct task_struct *t = (struct task_struct *)bpf_get_current_task();
                if (!t->mm->arg_start) return 1;
                return t->mm ? 2 : 3;
            }
            """)
        #expect(result.reads == ["kernel t->mm->arg_start", "kernel t->mm", "kernel t->mm"])
    }

    @Test func wholeStructCopiesAreRead() throws {
        let result = try run("""
            int kprobe__vfs_open(struct pt_regs *ctx, struct file *file) {
                struct qstr name = file->f_path.dentry->d_name;
                return name.hash;
            }
            """)
        #expect(result.reads == ["kernel file->f_path.dentry->d_name", "kernel file->f_path.dentry"])
    }

    // MARK: - Unary * and subscripts

    @Test func unaryDereferenceOfAnExternalPointer() throws {
        let result = try run("""
            int kprobe__f(struct pt_regs *ctx, struct holder *h) {
                unsigned int *v = *(h->values);
                return *(h->value) + *v;
            }
            """)
        #expect(result.reads == ["kernel *(h->values)", "kernel h->values", "kernel *(h->value)", "kernel h->value", "kernel *v"])
    }

    @Test func subscriptsOfPointersAndOfArrayMembers() throws {
        let result = try run("""
            int kprobe__d_lookup(struct pt_regs *ctx, const struct qstr *name, struct task_struct *t) {
                char *comm = t->comm;
                return name->name[1] + name->name  [ 2] + (name->name)[3] + t->comm[0] + comm[1];
            }
            """)
        #expect(result.reads == ["kernel name->name[1]", "kernel name->name", "kernel name->name [ 2]", "kernel name->name",
                                 "kernel (name->name)[3]", "kernel name->name", "kernel t->comm[0]", "kernel comm[1]"])
    }

    @Test func arraysAndAddressesAreNotRead() throws {
        let result = try run("""
            int kprobe__f(struct pt_regs *ctx, struct task_struct *t) {
                char comm[16];
                int pid = 0;
                bpf_probe_read_kernel(&comm, sizeof(comm), t->comm);
                bpf_probe_read_kernel(&pid, sizeof(pid), &t->pid);
                int *where = &t->tgid;
                return pid + sizeof(t->prio) + *where;
            }
            """)
        #expect(result.reads == ["kernel *where"])
    }

    @Test func addressOfAMemberThenDereference() throws {
        let result = try run("""
            int kprobe__f(struct pt_regs *ctx, struct sock *sk) {
                __be32 *daddr = &sk->__sk_common.skc_daddr;
                return *daddr + *(&sk->sk_priority);
            }
            """)
        #expect(result.reads == ["kernel *daddr", "kernel *(&sk->sk_priority)"])
    }

    // MARK: - Flow through variables

    @Test func pointersToLocalsHoldingExternalPointers() throws {
        let result = try run("""
            int kprobe__f(struct pt_regs *ctx, struct sock *sk) {
                struct sock *one;
                struct sock **two = &one;
                struct sock ***three = &two;
                *two = sk;
                *three = two;
                struct sock **four, **five = &sk;
                four = &sk;
                return ((struct sock *)(**three))->sk_priority + (*four)->sk_priority + (*five)->sk_priority;
            }
            """)
        #expect(result.reads == ["kernel ((struct sock *)(**three))->sk_priority", "kernel (*four)->sk_priority", "kernel (*five)->sk_priority"])
    }

    @Test func structFieldsOnTheStackHoldExternalPointers() throws {
        let result = try run("""
            struct leaf { struct sk_buff *skb; int n; };
            int kprobe__f(struct pt_regs *ctx, struct sk_buff *skb) {
                struct leaf l = {};
                struct leaf *lp = &l;
                lp->skb = skb;
                lp->n = 1;
                return lp->skb->priority + l.skb->priority + lp->n;
            }
            """)
        #expect(result.reads == ["kernel lp->skb->priority", "kernel l.skb->priority"])
    }

    @Test func probeReadDestinationsHoldWhatTheSourceHeld() throws {
        let result = try run("""
            int probe(struct pt_regs *ctx) {
                struct task_struct *t = (struct task_struct *)bpf_get_current_task();
                struct task_struct *parent = 0;
                bpf_probe_read_kernel(&parent, sizeof(parent), &t->real_parent);
                return parent->tgid;
            }
            """)
        #expect(result.reads == ["kernel parent->tgid"])
    }

    // MARK: - Functions

    @Test func helperFunctionsReadThroughTheirParameters() throws {
        let result = try run("""
            static unsigned int name_hash(struct file *file) {
                if (!file) return 0;
                const unsigned char *name = file->f_path.dentry->d_name.name;
                return name[0];
            }
            static unsigned int forward(int unused, struct file *file) {
                return name_hash(file);
            }
            int kprobe__vfs_read(struct pt_regs *ctx, struct file *file) {
                return name_hash(file);
            }
            int kprobe__vfs_write(struct pt_regs *ctx, int unused, struct file *file) {
                return forward(unused, file);
            }
            """)
        #expect(result.reads == ["kernel file->f_path.dentry->d_name.name", "kernel file->f_path.dentry", "kernel name[0]"])
    }

    @Test func returnedExternalPointersAreRead() throws {
        let result = try run("""
            static inline unsigned long none(void) { return 0; }
            static inline unsigned char *transport(struct sk_buff *skb) {
                if (skb) return skb->head + skb->transport_header;
                return (unsigned char *)none();
            }
            static inline struct tcphdr *header(struct sk_buff *skb) { return (struct tcphdr *)transport(skb); }
            int kprobe__tcp_rcv(struct pt_regs *ctx, struct sock *sk, struct sk_buff *skb) {
                struct tcphdr *th = (struct tcphdr *)transport(skb);
                __be32 *seq = (__be32 *)transport(skb) + 1;
                return th->seq + *seq + header(skb)->dest;
            }
            """)
        #expect(result.reads == ["kernel skb->head", "kernel skb->transport_header", "kernel th->seq", "kernel *seq", "kernel header(skb)->dest"])
    }

    @Test func pointerToPointerThroughAHelper() throws {
        let result = try run("""
            static struct sock **same(struct sock **sk) { return sk; }
            static int priority(struct sock ***skp) { return ((struct sock *)(**skp))->sk_priority; }
            int kprobe__f(struct pt_regs *ctx, struct sock *sk) {
                struct sock **a = same(&sk);
                struct sock **b = &sk;
                return (*a)->sk_priority + priority(&b);
            }
            """)
        #expect(result.reads == ["kernel ((struct sock *)(**skp))->sk_priority", "kernel (*a)->sk_priority"])
    }

    // MARK: - Maps

    static let socketMapProgram = """
        BPF_HASH(sockets, u32, struct sock *);
        int kprobe__tcp_v4_connect(struct pt_regs *ctx, struct sock *sk) {
            u32 pid = bpf_get_current_pid_tgid();
            sockets.update(&pid, &sk);
            return 0;
        }
        int kretprobe__tcp_v4_connect(struct pt_regs *ctx) {
            u32 pid = bpf_get_current_pid_tgid();
            struct sock **skpp = sockets.lookup(&pid);
            if (!skpp) return 0;
            struct sock *skp = *skpp;
            return skp->__sk_common.skc_dport;
        }
        """

    @Test func mapsStoringExternalPointersGiveThemBack() throws {
        let result = try run(Self.socketMapProgram)
        #expect(result.reads == ["kernel skp->__sk_common.skc_dport"])
    }

    @Test func theLookupMayComeBeforeTheUpdate() throws {
        let result = try run("""
            BPF_HASH(sockets, u32, struct sock *);
            int kretprobe__tcp_v4_connect(struct pt_regs *ctx) {
                u32 pid = bpf_get_current_pid_tgid();
                struct sock **skpp;
                skpp = sockets.lookup(&pid);
                return skpp ? (*skpp)->__sk_common.skc_dport : 0;
            }
            int kprobe__tcp_v4_connect(struct pt_regs *ctx, struct sock *sk) {
                u32 pid = bpf_get_current_pid_tgid();
                sockets.update(&pid, &sk);
                return 0;
            }
            """)
        #expect(result.reads == ["kernel (*skpp)->__sk_common.skc_dport"])
    }

    @Test func storedThroughAPointerVariable() throws {
        let result = try run("""
            BPF_HASH(sockets, u32, struct sock *);
            int kprobe__f(struct pt_regs *ctx, struct sock *sk) {
                u32 pid = 1;
                struct sock **skp = &sk;
                sockets.update(&pid, skp);
                struct sock **found;
                found = sockets.lookup(&pid);
                return found ? (*found)->sk_priority : 0;
            }
            """)
        #expect(result.reads == ["kernel (*found)->sk_priority"])
    }

    @Test func mapValuesAndKeysAreNotRead() throws {
        let result = try run("""
            struct leaf { u64 size; u64 count; };
            BPF_HASH(sizes, u32, struct leaf);
            BPF_HASH(starts, struct sk_buff *, u64);
            int kprobe__f(struct pt_regs *ctx, struct sk_buff *skb, unsigned long size) {
                u32 pid = bpf_get_current_pid_tgid();
                u64 ts = 1, zero = 0;
                starts.update(&skb, &ts);
                u64 *start = starts.lookup(&skb);
                struct leaf *leaf = sizes.lookup_or_try_init(&pid, &zero);
                if (leaf) { leaf->size += size; leaf->count++; }
                return start ? *start : 0;
            }
            """)
        #expect(result.reads.isEmpty)
    }

    // MARK: - Contexts

    @Test func rawTracepointArgumentsArePointers() throws {
        let result = try run("""
            RAW_TRACEPOINT_PROBE(sched_process_fork) {
                struct task_struct *parent = (struct task_struct *)ctx->args[0];
                u64 raw = ctx->args[1];
                struct task_struct *child = (struct task_struct *)raw;
                return parent->tgid + ((struct task_struct *)ctx->args[1])->pid + child->pid;
            }
            """)
        #expect(result.reads == ["kernel parent->tgid", "kernel ((struct task_struct *)ctx->args[1])->pid", "kernel child->pid"])
    }

    @Test func tracepointPointerFieldsAndUserAddresses() throws {
        let structs = """
            struct tracepoint__skb__kfree_skb { u64 __common; void *skbaddr; void *location; };
            struct tracepoint__syscalls__sys_enter_openat { u64 __common; int __syscall_nr; u64 dfd; const char *filename; u64 flags; };
            """
        let result = try run("""
            TRACEPOINT_PROBE(skb, kfree_skb) {
                struct sk_buff *skb = (struct sk_buff *)args->skbaddr;
                return skb->priority;
            }
            TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
                const char *name = args->filename;
                char path[16];
                bpf_probe_read_user_str(path, sizeof(path), args->filename);
                return name[0] + *args->filename;
            }
            """, tracepointStructs: structs)
        #expect(result.reads == ["kernel skb->priority", "user name[0]", "user *args->filename"])
    }

    @Test func registersOfExplicitlyAttachedProbesMayBeUserAddresses() throws {
        let result = try run("""
            int on_call(struct pt_regs *ctx) {
                struct task_struct *t = (struct task_struct *)PT_REGS_PARM1(ctx);
                const char __user *name = (const char __user *)PT_REGS_PARM2(ctx);
                char *either = (char *)PT_REGS_PARM3(ctx);
                return t->pid + name[0] + either[0];
            }
            int kprobe__do_exit(struct pt_regs *ctx) {
                struct task_struct *t = (struct task_struct *)PT_REGS_PARM1(ctx);
                return t->pid;
            }
            """)
        #expect(result.reads == ["either t->pid", "user name[0]", "either either[0]", "kernel t->pid"])
        #expect(result.body.contains("if (bpf_probe_read_kernel(&__bcc_val, sizeof(__bcc_val), __bcc_src)) bpf_probe_read_user(&__bcc_val, sizeof(__bcc_val), __bcc_src);"))
    }

    @Test func nonTracingContextsAreLeftAlone() throws {
        let result = try run("""
            int classify(struct __sk_buff *skb) {
                void *data = (void *)(long)skb->data;
                void *end = (void *)(long)skb->data_end;
                if (data + sizeof(struct tcphdr) > end) return 0;
                struct tcphdr *th = data;
                return th->dest;
            }
            """)
        #expect(result.reads.isEmpty)
    }

    // MARK: - Macros

    @Test func readsInsideMacroArgumentsAndMemberAliases() throws {
        let result = try run("""
            #define sk_family __sk_common.skc_family
            #define PARENT(t) ((t)->real_parent)
            int probe(struct pt_regs *ctx) {
                struct task_struct *t = (struct task_struct *)bpf_get_current_task();
                struct sock *sk = (struct sock *)PT_REGS_PARM1(ctx);
                bpf_trace_printk("%d\\n", t->pid);
                int family = sk->sk_family;
                return family + PARENT(t)->pid;
            }
            """)
        // The load inside PARENT's own body is wrapped in the #define; the
        // expression that starts with the expansion is wrapped where PARENT is used.
        #expect(result.reads == ["kernel (t)->real_parent", "kernel t->pid", "either sk->sk_family", "kernel PARENT(t)->pid"])
        #expect(result.plan.unwritable.isEmpty)
    }
}

/// What the compiler does around the AST dump: a dump it cannot read is an
/// error naming clang's AST; a program that does not compile reports the
/// compiler's diagnostics at the user's lines (the dump's errors are not shown twice).
@Suite struct ImplicitReadsCompileTests {
    static let program = """
        int probe(struct pt_regs *ctx) {
            struct pt_regs *regs = (struct pt_regs *)PT_REGS_PARM1(ctx);
            return regs->di;
        }
        """

    @Test func anUnreadableDumpIsAnErrorNamingTheAST() throws {
        let setup = try StubCompileSetup(beforeClang: #"case "$*" in *ast-dump=json*) printf '{"kind": "TranslationUnitDecl", "inner": [' ; exit 0 ;; esac"#)
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        let error = #expect(throws: BCCError.self) { try setup.compile(Self.program) }
        guard case let .compilerFailed(_, detail) = error else {
            Issue.record("expected compilerFailed, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("cannot read clang's AST"))
        #expect(detail.contains("malformed JSON at byte 42"))
    }

    @Test func theCompiledProgramReadsThroughTheRegisters() throws {
        let setup = try StubCompileSetup()
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        let compiled = try setup.compile(Self.program)
        // The read is a helper call: `call 113` (bpf_probe_read_kernel) then, for a register of a
        // function attached by hand, `call 112` (bpf_probe_read_user) when the kernel read fails.
        let spec = try ObjectSpec(bytes: compiled.object)
        let calls = try #require(spec.program(named: "probe")).instructions.filter { $0.opcode == 0x85 }.map(\.immediate)
        #expect(calls.contains(113) && calls.contains(112))
    }

    @Test func compileErrorsStillNameTheUserLine() throws {
        let setup = try StubCompileSetup()
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        let error = #expect(throws: BCCError.self) {
            try setup.compile("int probe(struct pt_regs *ctx) {\n    struct pt_regs *regs = (struct pt_regs *)PT_REGS_PARM1(ctx);\n    return regs->nope;\n}\n")
        }
        guard case let .compileFailed(_, diagnostics) = error else {
            Issue.record("expected compileFailed, got \(String(describing: error))")
            return
        }
        #expect(diagnostics.first?.line == 3)
        #expect(diagnostics.first?.message.contains("nope") == true)
    }
}
