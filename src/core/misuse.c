/*
 * misuse.c — the handler of misused core functions; see misuse.h.
 */
#include "misuse.h"

#include <stdio.h>
#include <stdlib.h>

static void
default_handler(const char *where, const char *what)
{
	fprintf(stderr, "supervise core: %s misused: %s\n", where, what);
	fflush(stderr);
	abort();
}

static core_misuse_handler handler = default_handler;

void
core_set_misuse_handler(core_misuse_handler h)
{
	handler = h ? h : default_handler;
}

void
core_misuse(const char *where, const char *what)
{
	handler(where, what);
	abort();					/* a handler that returned broke its contract */
}
