# supervise — PGXS build.
#
# Layout (one capability = one core file, one glue file, one SQL piece, its tests):
#   src/core/*.c   pure C, no PostgreSQL headers (unit-tested and fuzzed on their own)
#   src/pg/*.c     fmgr glue
#   src/sql/*.sql  the install script in ordered pieces, concatenated into supervise--VERSION.sql
#   src/updates/   frozen scripts of released versions and upgrade scripts supervise--A--B.sql
#   sql/ expected/ pg_regress tests; test/pgtap pgTAP tests; test/core C unit tests

EXTENSION   = supervise
EXTVERSION := $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(dir $(lastword $(MAKEFILE_LIST)))supervise.control)

MODULE_big  = supervise
CORE_SRCS   = $(sort $(wildcard src/core/*.c))
GLUE_SRCS   = $(sort $(wildcard src/pg/*.c))
OBJS        = $(CORE_SRCS:.c=.o) $(GLUE_SRCS:.c=.o)

SQL_PIECES  = $(sort $(wildcard src/sql/*.sql))
DATA_built  = supervise--$(EXTVERSION).sql
DATA        = $(wildcard src/updates/supervise--*.sql)

REGRESS     = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=supervise --encoding=UTF8 --no-locale
ISOLATION   = $(patsubst test/isolation/specs/%.spec,%,$(sort $(wildcard test/isolation/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test/isolation --outputdir=output_iso --load-extension=supervise --encoding=UTF8 --no-locale

PG_CPPFLAGS = -Isrc/core
PG_CFLAGS   = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
SHLIB_LINK  = -lcrypto
EXTRA_CLEAN = supervise--$(EXTVERSION).sql

PG_CONFIG  ?= pg_config
PGXS       := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The install script is built from its pieces; the version is substituted in.
supervise--$(EXTVERSION).sql: $(SQL_PIECES) supervise.control
	{ for f in $(SQL_PIECES); do printf -- '-- ---- %s ----\n' "$$f"; cat "$$f"; printf '\n'; done; } \
	  | sed 's/@EXTVERSION@/$(EXTVERSION)/g' > $@

# Pure C unit tests of src/core (TAP output, run by prove), with ASan and UBSan.
CORE_CC     ?= cc
CORE_CFLAGS ?= -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -Wall -Wextra -std=c99
CORE_TESTS  = $(patsubst test/core/%.c,test/core/bin/%,$(sort $(wildcard test/core/test_*.c)))

test/core/bin/%: test/core/%.c $(CORE_SRCS) $(wildcard src/core/*.h) test/core/tap.h
	@mkdir -p test/core/bin
	$(CORE_CC) $(CORE_CFLAGS) -Isrc/core -Itest/core -o $@ $< $(CORE_SRCS) -lm -lcrypto

core-tests: $(CORE_TESTS)

corecheck: core-tests
	prove -v $(CORE_TESTS)

.PHONY: core-tests corecheck
