# mxray - build, test and demo.
#
# Layers (lower never includes upper):
#   lib/base      general: logging, INI, strings, addresses, tokens (no mail)
#   lib/mail      mail layer: config schema, DNS resolver, Redis store, records
#   lib/probe     the inbound probe: SMTP client, TLS, certificates, MX walk
#   lib/analysis  the test message: DKIM, SPF, Received, job building
#   lib/report    rendering a report: text, HTML, the reply mail
# Programs: milter/ worker/ reporter/ cli/ each link only what they need.

CC      ?= cc
PKGS     = openssl libunbound hiredis jansson libmicrohttpd libcurl libpsl opendkim
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2 \
           -fno-strict-aliasing -Ilib $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lspf2 -lmilter -lresolv -lpthread -lm

# Sanitizer flags of the SANITIZE=1 and FUZZ=1 builds. Every report is
# fatal: UBSan recovers by default (it prints and goes on, so the test that
# met the error passed), and -fno-sanitize-recover=all makes it abort like
# ASan does, so a unit test, a `mxray check` run or a fuzzer that meets
# undefined behaviour fails.
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all

# FUZZ=1: clang with libFuzzer instrumentation, ASan and UBSan (make fuzz).
ifeq ($(FUZZ),1)
CC       = clang
CFLAGS  += -fsanitize=fuzzer-no-link $(SAN_FLAGS) -fno-omit-frame-pointer -O1
LDFLAGS += $(SAN_FLAGS)
endif

ifeq ($(SANITIZE),1)
CFLAGS  += $(SAN_FLAGS) -fno-omit-frame-pointer -O1
LDFLAGS += $(SAN_FLAGS)
endif

# Sanitized builds keep their objects apart so the two never mix.
# B (objects, tests) and BIN (the programs) may be set on the command line
# so that parallel builds in one tree never share files.
B = build$(if $(filter 1,$(SANITIZE)),-san)$(if $(filter 1,$(FUZZ)),-fuzz)
BIN = .
LIBS = base mail probe analysis report
# What each library and program links, upper layers first.
LINK_base     = base
LINK_mail     = mail base
LINK_probe    = probe mail base
LINK_analysis = analysis mail base
LINK_report   = report mail base
LINK_milter   = analysis mail base
LINK_worker   = report probe analysis mail base
LINK_reporter = report mail base
LINK_cli      = report probe analysis mail base

PROGRAMS = mxray-milter mxray-worker mxray-reporter mxray
DIR_mxray-milter   = milter
DIR_mxray-worker   = worker
DIR_mxray-reporter = reporter
DIR_mxray          = cli

all: $(addprefix $(BIN)/,$(PROGRAMS))

objs = $(patsubst %.c,$(B)/%.o,$(wildcard $(1)/*.c))
archives = $(foreach l,$(LINK_$(1)),$(B)/lib$(l).a)

define lib_rule
$(B)/lib$(1).a: $(call objs,lib/$(1))
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach l,$(LIBS),$(eval $(call lib_rule,$(l))))

define prog_rule
$(BIN)/$(1): $(call objs,$(DIR_$(1))) $(call archives,$(DIR_$(1)))
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $(call objs,$(DIR_$(1))) $(call archives,$(DIR_$(1))) $$(LDLIBS)
$(if $(filter .,$(BIN)),,$(1): $(BIN)/$(1))
endef
$(foreach p,$(PROGRAMS),$(eval $(call prog_rule,$(p))))

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# Unit tests: tests/unit/<layer>/test_*.c, each linked with its layer and below.
UNIT_SRCS  = $(wildcard tests/unit/*/test_*.c)
UNIT_BINS  = $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRCS))
define unit_rule
$(B)/tests/$(1)/%: tests/unit/$(1)/%.c $(wildcard tests/unit/*.h) $(call archives,$(1))
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) -Itests/unit $$(LDFLAGS) -o $$@ $$< $(call archives,$(1)) $$(LDLIBS)
endef
$(foreach l,$(LIBS),$(eval $(call unit_rule,$(l))))

unit: $(UNIT_BINS)

# Fuzz targets: fuzz/fuzz_*.c, each linked with every library; seed corpora
# in fuzz/corpus/<target>/. `make fuzz` runs each for FUZZ_SECONDS; the test
# suite runs each briefly (tests/e2e/fuzz_smoke.sh).
FUZZ_SECONDS ?= 60
FUZZ_BINS = $(patsubst fuzz/%.c,$(B)/fuzz/%,$(wildcard fuzz/fuzz_*.c))
$(B)/fuzz/%: fuzz/%.c $(call archives,cli)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(call archives,cli) $(LDLIBS)
fuzz-bins: $(FUZZ_BINS)
# Crashing inputs land in build-fuzz/artifacts/, never in the tree's root.
fuzz:
	$(MAKE) FUZZ=1 SANITIZE= B=build-fuzz fuzz-bins
	for f in build-fuzz/fuzz/fuzz_*; do n=$$(basename $$f); mkdir -p build-fuzz/corpus/$$n build-fuzz/artifacts; \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -artifact_prefix=build-fuzz/artifacts/$$n- \
		build-fuzz/corpus/$$n fuzz/corpus/$$n || exit 1; done

deps:
	./scripts/deps.sh

# Documents generated from the code (tests/e2e/docs_current.sh keeps them so).
docs: $(BIN)/mxray
	$(BIN)/mxray findings > docs/findings.md

# Installation in FHS places; DESTDIR for staging. The config file is
# installed only when none is there, so an admin's settings survive.
PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
UNITDIR    ?= /lib/systemd/system
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/mxray
MAN1 = man/mxray.1
MAN5 = man/mxray.conf.5
MAN8 = man/mxray-milter.8 man/mxray-worker.8 man/mxray-reporter.8
UNITS = conf/mxray-milter.service conf/mxray-worker.service conf/mxray-reporter.service

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin
	install -m 755 $(BIN)/mxray $(DESTDIR)$(PREFIX)/bin/
	install -m 755 $(addprefix $(BIN)/,mxray-milter mxray-worker mxray-reporter) $(DESTDIR)$(PREFIX)/sbin/
	install -d $(DESTDIR)$(SYSCONFDIR)/mxray
	[ -e $(DESTDIR)$(SYSCONFDIR)/mxray/mxray.conf ] || \
		install -m 644 conf/mxray.conf $(DESTDIR)$(SYSCONFDIR)/mxray/mxray.conf
	install -d $(DESTDIR)$(UNITDIR)
	for u in $(UNITS); do \
		sed 's|/usr/sbin/|$(PREFIX)/sbin/|; s|/etc/mxray/|$(SYSCONFDIR)/mxray/|' $$u \
			> $(DESTDIR)$(UNITDIR)/$$(basename $$u); done
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(DOCDIR)
	install -m 644 README.md docs/*.md conf/mxray.conf $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/mxray
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/sbin/,mxray-milter mxray-worker mxray-reporter)
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,mxray-milter.service mxray-worker.service mxray-reporter.service)
	rm -f $(DESTDIR)$(MANDIR)/man1/mxray.1 $(DESTDIR)$(MANDIR)/man5/mxray.conf.5
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,mxray-milter.8 mxray-worker.8 mxray-reporter.8)
	rm -rf $(DESTDIR)$(DOCDIR)
	@echo "left in place: $(DESTDIR)$(SYSCONFDIR)/mxray/mxray.conf (your settings)"

# The README's two commands.
demo: deps all
	./tests/sandbox/demo.sh

check: deps all unit
	@rm -f $(B)/.check-status
	TEST_BUILD_DIR=$(B) MXRAY_BIN_DIR=$(abspath $(BIN)) ./tests/run.sh; rc=$$?; echo $$rc > $(B)/.check-status; exit $$rc

clean:
	rm -rf build build-san build-fuzz $(PROGRAMS)

.PHONY: all unit deps demo check clean install uninstall docs fuzz fuzz-bins
.SECONDARY:

# Record testssl.sh's view of each sandbox MX flavour (minutes; root), the
# fixtures of tests/e2e/tls_scan_agreement.sh.
testssl-fixtures:
	./tests/fixtures/testssl/regen.sh
.PHONY: testssl-fixtures
