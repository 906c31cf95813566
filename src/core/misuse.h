/*
 * misuse.h — how a core reports a call that breaks its documented contract: a programming error
 * of the caller (a key longer than a sort handles, a size out of range), never bad user input,
 * which the cores report through their return values. core_misuse() never returns: it calls the
 * installed handler, which must not return either. The default handler prints the message and
 * aborts (unit tests and fuzzers stop there); the PostgreSQL glue installs one that raises an
 * internal error (src/pg/supervise.c), so a backend fails the statement instead of going on
 * with a wrong result.
 */
#ifndef SUPERVISE_MISUSE_H
#define SUPERVISE_MISUSE_H

#if defined(__GNUC__) || defined(__clang__)
#define CORE_NORETURN __attribute__((noreturn))
#else
#define CORE_NORETURN
#endif

/* where: the core function misused; what: the broken rule. Must not return. */
typedef void (*core_misuse_handler) (const char *where, const char *what);

/* installs h (NULL: the default handler, which prints to stderr and aborts) */
void		core_set_misuse_handler(core_misuse_handler h);

CORE_NORETURN void core_misuse(const char *where, const char *what);

/* core_misuse(where, "cond") unless cond holds: a precondition of a core function */
#define CORE_REQUIRE(cond, where) \
	do { if (!(cond)) core_misuse((where), #cond); } while (0)

#endif							/* SUPERVISE_MISUSE_H */
