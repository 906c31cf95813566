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
# A released version's install script is frozen in src/updates/ and installed from there; the
# pieces build the script only of a version not released yet. `make frozen-check` fails when the
# pieces no longer build the frozen script of the current version (bump the version instead).
FROZEN_SCRIPT := $(wildcard src/updates/supervise--$(EXTVERSION).sql)
ifeq ($(FROZEN_SCRIPT),)
DATA_built  = supervise--$(EXTVERSION).sql
endif
DATA        = $(wildcard src/updates/supervise--*.sql)

REGRESS     = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=supervise --encoding=UTF8 --no-locale
ISOLATION   = $(patsubst test/isolation/specs/%.spec,%,$(sort $(wildcard test/isolation/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test/isolation --outputdir=output_iso --load-extension=supervise --encoding=UTF8 --no-locale

PG_CPPFLAGS = -Isrc/core
PG_CFLAGS   = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
SHLIB_LINK  = -lcrypto
EXTRA_CLEAN = supervise--$(EXTVERSION).sql pieces--$(EXTVERSION).sql po/*.mo po/*.pot.new

PG_CONFIG  ?= pg_config
PGXS       := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS does not track headers: every object is rebuilt when a header of the project changes (a
# changed header such as pg_compat.h must reach every glue file, or an object keeps the old one).
$(OBJS): $(wildcard src/core/*.h src/pg/*.h)

# The install script is built from its pieces; the version is substituted in.
define build_install_script
	{ for f in $(SQL_PIECES); do printf -- '-- ---- %s ----\n' "$$f"; cat "$$f"; printf '\n'; done; } \
	  | sed 's/@EXTVERSION@/$(EXTVERSION)/g' > $@
endef
supervise--$(EXTVERSION).sql: $(SQL_PIECES) supervise.control
	$(build_install_script)

pieces--$(EXTVERSION).sql: $(SQL_PIECES) supervise.control
	$(build_install_script)

frozen-check: pieces--$(EXTVERSION).sql
	@if [ -n "$(FROZEN_SCRIPT)" ]; then \
	  if cmp -s $< $(FROZEN_SCRIPT); then echo "src/sql builds the released $(EXTVERSION) script exactly"; \
	  else echo "src/sql no longer builds the released script $(FROZEN_SCRIPT):"; diff -u $(FROZEN_SCRIPT) $< | head -40; \
	       echo "Released scripts are frozen: set a new default_version in supervise.control and add src/updates/supervise--$(EXTVERSION)--NEW.sql."; exit 1; fi; \
	else echo "version $(EXTVERSION) is not released yet (no src/updates/supervise--$(EXTVERSION).sql)"; fi

.PHONY: frozen-check

# Translations: po/LANG.po is compiled and installed as LANG/LC_MESSAGES/supervise-NN.mo under
# PostgreSQL's locale directory, where pg_bindtextdomain() finds it. `make update-po` extracts the
# messages of src/pg, src/core and src/sql into po/supervise.pot and merges them into each
# po/LANG.po (tools/update_po.sh).
PO_LANGS    = $(patsubst po/%.po,%,$(sort $(wildcard po/*.po)))
MO_FILES    = $(PO_LANGS:%=po/%.mo)
MSGFMT     ?= msgfmt

all: $(MO_FILES)

po/%.mo: po/%.po
	$(MSGFMT) -c -o $@ $<

install: install-po
install-po: $(MO_FILES)
	@set -e; for l in $(PO_LANGS); do \
	  $(MKDIR_P) '$(DESTDIR)$(localedir)'/$$l/LC_MESSAGES; \
	  $(INSTALL_DATA) po/$$l.mo '$(DESTDIR)$(localedir)'/$$l/LC_MESSAGES/supervise-$(MAJORVERSION).mo; \
	done

uninstall: uninstall-po
uninstall-po:
	rm -f $(foreach l,$(PO_LANGS),'$(DESTDIR)$(localedir)'/$(l)/LC_MESSAGES/supervise-$(MAJORVERSION).mo)

update-po:
	tools/update_po.sh

.PHONY: install-po uninstall-po update-po

# Pure C unit tests of src/core (TAP output, run by prove), with ASan and UBSan.
CORE_CC     ?= cc
CORE_CFLAGS ?= -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -Wall -Wextra -std=c99
CORE_TESTS  = $(patsubst test/core/%.c,test/core/bin/%,$(sort $(wildcard test/core/test_*.c)))

test/core/bin/%: test/core/%.c $(CORE_SRCS) $(wildcard src/core/*.h) $(wildcard test/core/*.h)
	@mkdir -p test/core/bin
	$(CORE_CC) $(CORE_CFLAGS) -Isrc/core -Itest/core -o $@ $< $(CORE_SRCS) -lm -lcrypto

# the cores built with 8-bit draw candidates, so that draw_run's selection takes its tie path
# (DRAW_CAND_DHI_MASK in src/core/draw.c)
test/core/bin/test_draw_ties: CORE_CFLAGS += -DDRAW_CAND_DHI_MASK='UINT64_C(0xFF00000000000000)'

core-tests: $(CORE_TESTS)

corecheck: core-tests
	prove -v $(CORE_TESTS)

.PHONY: core-tests corecheck

# libFuzzer harnesses of src/core (test/fuzz/fuzz_NAME.c), built with clang, ASan and UBSan.
#   make fuzz-build                    builds test/fuzz/bin/fuzz_NAME
#   make fuzz-short                    each harness FUZZ_SHORT_SECONDS (20) s; run by tools/test.sh
#   make fuzz-long FUZZ_SECONDS=3600   each harness an hour (FUZZ=NAME for one harness)
# Each run first replays test/fuzz/regressions/NAME/ (inputs that once crashed), then fuzzes from
# the seeds in test/fuzz/corpus/NAME/; see tools/fuzz.sh and doc/testing.md.
FUZZ_CC     ?= clang
FUZZ_CFLAGS ?= -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter -std=gnu99
FUZZ_NAMES  = $(patsubst test/fuzz/fuzz_%.c,%,$(sort $(wildcard test/fuzz/fuzz_*.c)))
FUZZ_BINS   = $(FUZZ_NAMES:%=test/fuzz/bin/fuzz_%)
FUZZ_SHORT_SECONDS ?= 20
FUZZ_SECONDS ?= 3600
FUZZ        ?= $(FUZZ_NAMES)

test/fuzz/bin/fuzz_%: test/fuzz/fuzz_%.c $(CORE_SRCS) $(wildcard src/core/*.h) $(wildcard test/fuzz/*.h)
	@mkdir -p test/fuzz/bin
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Isrc/core -Itest/fuzz -o $@ $< $(CORE_SRCS) -lm -lcrypto

fuzz-build: $(FUZZ_BINS)

fuzz-short: fuzz-build
	@rc=0; for n in $(FUZZ); do tools/fuzz.sh $$n $(FUZZ_SHORT_SECONDS) || rc=1; done; exit $$rc

fuzz-long: fuzz-build
	@rc=0; for n in $(FUZZ); do tools/fuzz.sh $$n $(FUZZ_SECONDS) || rc=1; done; exit $$rc

.PHONY: fuzz-build fuzz-short fuzz-long

# META.json (PGXN): valid JSON, the required keys, versions that agree with supervise.control.
metacheck:
	python3 tools/check_meta.py

.PHONY: metacheck
