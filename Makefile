# Kompas - make targets (see README.md):
#   make run     build and serve on http://127.0.0.1:8080 with a private PostgreSQL and demo data
#   make test    build and run every test (unit, API) against a throwaway PostgreSQL
#   make stop    stop the private PostgreSQL of `make run` if one was left running
#   make bench   measure throughput and latency (docs/benchmarks.md)
#   make soak    a long mixed load with a database restart: memory growth, recovery
#   make bench-data [SCALE=1], make bench-national   the national dataset and its scenarios
#   make deps    install missing Debian packages
#   make SANITIZE=address,undefined test   the same suite in a sanitizer build
#   make fuzz [FUZZ_TIME=60]   run each libFuzzer target (tests/fuzz) for FUZZ_TIME seconds
#   make install [PREFIX=/usr/local] [DESTDIR=]   install (docs/operations.md)
#   make uninstall   remove what install put there (a changed /etc config stays)

VERSION   := 0.1.0
COMMIT    := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
PKGS      := libmicrohttpd jansson libsodium libpq libcurl libseccomp gnutls

CC        ?= cc
SANITIZE  ?=
ifeq ($(SANITIZE),)
  BUILD   := build/release
  OPT     := -O2 -D_FORTIFY_SOURCE=2
  SANFLAGS:=
else
  BUILD   := build/sanitize
  OPT     := -O1
  SANFLAGS:= -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

WARN      := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes -Wshadow \
             -Wpointer-arith -Wsign-compare -Wformat=2 -Wvla -Wundef -Wnull-dereference
CFLAGS    := -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -g $(OPT) $(WARN) -fPIE \
             -fstack-protector-strong $(SANFLAGS) \
             -DKOMPAS_VERSION='"$(VERSION)+$(COMMIT)"' \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS   := -pie -Wl,-z,relro,-z,now $(SANFLAGS)
LDLIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread

LIB_SRC   := $(wildcard lib/*.c)
API_SRC   := $(wildcard api/*.c api/*/*.c)
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
API_OBJ   := $(API_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
DBT_SRC   := $(wildcard tests/db/test_*.c)
DBT_BIN   := $(DBT_SRC:tests/db/%.c=$(BUILD)/tests/db/%)
KOMPASD   := $(BUILD)/kompasd

.PHONY: all deps run stop test unit api-test bench bench-data bench-national bench-stop soak format \
        check-format docs clean valgrind install uninstall

# docs/roles.md and docs/errors.md are generated from the route and error
# tables with every build (tests keep them equal to the binary's output).
all: $(KOMPASD) docs/roles.md docs/errors.md

$(KOMPASD): $(LIB_OBJ) $(API_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-missing-prototypes -o $@ $^ $(LDFLAGS) $(LDLIBS) -lcmocka

$(BUILD)/bench-hello: tools/bench/hello.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS) $(LDLIBS)

$(BUILD)/bench-pgasync: tools/bench/pgasync.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/db/%: tests/db/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-missing-prototypes -o $@ $^ $(LDFLAGS) $(LDLIBS) -lcmocka

-include $(LIB_OBJ:.o=.d) $(API_OBJ:.o=.d)

# libFuzzer targets (tests/fuzz/fuzz_*.c), built with clang 14 and ASan/UBSan
# into build/fuzz: lib/ and api/ (without api/commands/main.c) get their own instrumented
# objects. Each target runs FUZZ_TIME seconds on a copy of its seed corpus
# (tests/fuzz/corpus/<target>, never grown by this); any crash, leak,
# sanitizer report, failed invariant or 10 s hang fails the run, and the input
# is left as build/fuzz/<target>-crash-*.
FUZZ_CC    ?= clang
FUZZ_TIME  ?= 60
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS:= -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -g -O1 $(WARN) -Wno-format-nonliteral -Wno-unused-but-set-variable $(FUZZ_SAN) \
              -DKOMPAS_VERSION='"$(VERSION)+$(COMMIT)"' \
              $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_OBJ   := $(LIB_SRC:%.c=build/fuzz/%.o) \
              $(patsubst %.c,build/fuzz/%.o,$(filter-out api/commands/main.c,$(API_SRC)))

build/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/app_stub.c $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

-include $(FUZZ_OBJ:.o=.d)

.PHONY: fuzz fuzz-bins
fuzz-bins: $(FUZZ_NAMES:%=build/fuzz/fuzz_%)

fuzz: fuzz-bins
	@for t in $(FUZZ_NAMES); do \
	    rm -rf build/fuzz/corpus/$$t && mkdir -p build/fuzz/corpus && \
	    cp -r tests/fuzz/corpus/$$t build/fuzz/corpus/$$t && \
	    echo "== fuzz $$t ($(FUZZ_TIME) s)" && \
	    build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_TIME) -timeout=10 -max_len=16384 \
	        -print_final_stats=1 -artifact_prefix=build/fuzz/$$t- \
	        build/fuzz/corpus/$$t 2>build/fuzz/$$t.log || \
	        { tail -40 build/fuzz/$$t.log; echo "fuzz $$t FAILED"; exit 1; }; \
	    grep -E '^stat::number_of_executed_units|^Done' build/fuzz/$$t.log || true; \
	done

deps:
	@tools/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	@tools/dev-run.sh $(KOMPASD)

stop:
	@tools/pgcluster.sh stop var/pg && echo "stopped the PostgreSQL of make run (var/pg)"

test: deps
	@$(MAKE) --no-print-directory all unit-bins
	@tools/test.sh $(BUILD)

unit-bins: $(UNIT_BIN) $(DBT_BIN) $(BUILD)/tests/notify-listen

$(BUILD)/tests/notify-listen: tests/helpers/notify_listen.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS)

bench: deps
	@$(MAKE) --no-print-directory all $(BUILD)/bench-hello $(BUILD)/bench-pgasync
	@tools/bench/run.sh $(KOMPASD)
	@if [ -f var/bench-pg/dataset.txt ]; then tools/bench/national.sh $(KOMPASD); \
	 else echo "bench: no national dataset (make bench-data SCALE=1 builds it); national scenarios skipped"; fi

# The national dataset (docs/benchmarks.md): make bench-data [SCALE=1] (re)builds
# it in var/bench-pg; make bench-national measures kompasd on it; make
# bench-stop stops its PostgreSQL.
SCALE ?= 1
bench-data: deps
	@$(MAKE) --no-print-directory all
	@tools/bench/data.sh $(KOMPASD) $(SCALE)

bench-national: deps
	@$(MAKE) --no-print-directory all
	@tools/bench/national.sh $(KOMPASD)

bench-stop:
	@tools/pgcluster.sh stop var/bench-pg && echo "stopped the PostgreSQL of the national bench (var/bench-pg)"

# SOAK_MINUTES (10), SOAK_VALGRIND=1 and more: see tools/soak/run.sh.
soak: deps
	@$(MAKE) --no-print-directory all
	@tools/soak/run.sh $(KOMPASD)

# The unit and database tests, and the API files below, with kompasd under
# valgrind (memcheck; leaks and errors fail). Argon2 is slow under valgrind,
# so by default not every API file: TESTS=... picks others.
VALGRIND_TESTS ?= tests/api/basics.test.mjs tests/api/errors.test.mjs \
                  tests/api/centres.test.mjs tests/api/personal_data.test.mjs
valgrind: deps
	@$(MAKE) --no-print-directory all unit-bins
	@VALGRIND=1 TESTS="$(or $(TESTS),$(VALGRIND_TESTS))" tools/test.sh $(BUILD)

docs: docs/roles.md docs/errors.md

docs/roles.md: $(KOMPASD)
	@$(KOMPASD) routes --markdown > $@.tmp && mv $@.tmp $@

docs/errors.md: $(KOMPASD)
	@$(KOMPASD) errors > $@.tmp && mv $@.tmp $@

format:
	clang-format -i $(LIB_SRC) $(API_SRC) $(UNIT_SRC) $(DBT_SRC) lib/*.h api/*.h api/*/*.h tools/bench/*.c \
	    tests/fuzz/*.c tests/helpers/*.c

check-format:
	@clang-format --dry-run -Werror $(LIB_SRC) $(API_SRC) $(UNIT_SRC) $(DBT_SRC) lib/*.h api/*.h api/*/*.h \
	    tools/bench/*.c tests/fuzz/*.c tests/helpers/*.c

clean:
	rm -rf build

# Installation. The binary installed is INSTALL_BIN (default: this build).
PREFIX     ?= /usr/local
DESTDIR    ?=
SYSCONFDIR ?= /etc/kompas
SBINDIR    := $(PREFIX)/sbin
SHAREDIR   := $(PREFIX)/share/kompas
DOCDIR     := $(PREFIX)/share/doc/kompas
UNITDIR    ?= $(PREFIX)/lib/systemd/system
INSTALL_BIN ?= $(KOMPASD)
# kompas.conf with the installed paths and an unprivileged user.
CONF_SED   := -e 's|^key_file = .*|key_file = $(SYSCONFDIR)/kompas.key   \# root-owned, mode 0600|' \
              -e 's|^schema_dir = .*|schema_dir = $(SHAREDIR)/schema|' \
              -e 's|^openapi = .*|openapi = $(SHAREDIR)/openapi.yaml|' \
              -e 's|^user =.*|user = kompasd|' \
              -e 's|^conninfo = .*|conninfo = "dbname=kompas user=kompasd gssencmode=disable"|' \
              -e 's|^migrate_conninfo = .*|migrate_conninfo = "dbname=kompas user=kompas_owner gssencmode=disable"|' \
              -e 's|^\# This file is the development configuration used by .make run.; an|\# Installed by make install from the development kompas.conf; an|'

install: $(INSTALL_BIN)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SHAREDIR)/schema/functions $(DESTDIR)$(SYSCONFDIR) \
	        $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)
	install -m 755 $(INSTALL_BIN) $(DESTDIR)$(SBINDIR)/kompasd
	rm -f $(DESTDIR)$(SHAREDIR)/schema/*.sql $(DESTDIR)$(SHAREDIR)/schema/functions/*.sql
	install -m 644 schema/*.sql $(DESTDIR)$(SHAREDIR)/schema/
	install -m 644 schema/functions/*.sql $(DESTDIR)$(SHAREDIR)/schema/functions/
	install -m 644 docs/openapi.yaml $(DESTDIR)$(SHAREDIR)/openapi.yaml
	sed $(CONF_SED) kompas.conf > $(DESTDIR)$(SHAREDIR)/kompas.conf.example
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/kompas.conf ]; then \
	    echo "install: keeping $(DESTDIR)$(SYSCONFDIR)/kompas.conf (new example: $(SHAREDIR)/kompas.conf.example)"; \
	else install -m 640 $(DESTDIR)$(SHAREDIR)/kompas.conf.example $(DESTDIR)$(SYSCONFDIR)/kompas.conf; fi
	sed 's|/usr/local|$(PREFIX)|g; s|/etc/kompas|$(SYSCONFDIR)|g' tools/kompasd.service \
	    > $(DESTDIR)$(UNITDIR)/kompasd.service
	install -m 644 docs/operations.md $(DESTDIR)$(DOCDIR)/operations.md
	install -m 755 tools/backup-restore-check.sh $(DESTDIR)$(SHAREDIR)/backup-restore-check.sh
	@if [ -d clients/web ]; then \
	    (cd clients/web && find . -type f ! -path '*/node_modules/*' ! -path '*/tests/*') | \
	    while read -r f; do install -D -m 644 "clients/web/$$f" "$(DESTDIR)$(SHAREDIR)/web/$$f"; done; \
	fi

# The configuration in /etc stays when it differs from the installed example
# (local changes); so does the key file.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/kompasd $(DESTDIR)$(UNITDIR)/kompasd.service
	@if [ -f $(DESTDIR)$(SYSCONFDIR)/kompas.conf ] && [ -f $(DESTDIR)$(SHAREDIR)/kompas.conf.example ] && \
	    cmp -s $(DESTDIR)$(SYSCONFDIR)/kompas.conf $(DESTDIR)$(SHAREDIR)/kompas.conf.example; then \
	    rm -f $(DESTDIR)$(SYSCONFDIR)/kompas.conf; \
	elif [ -f $(DESTDIR)$(SYSCONFDIR)/kompas.conf ]; then \
	    echo "uninstall: keeping $(DESTDIR)$(SYSCONFDIR)/kompas.conf (changed locally)"; fi
	rm -rf $(DESTDIR)$(SHAREDIR) $(DESTDIR)$(DOCDIR)
	rmdir $(DESTDIR)$(SYSCONFDIR) 2>/dev/null || true
