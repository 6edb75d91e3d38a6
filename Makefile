# lakemount — see README.md.  `make deps`, `make`, `make test`, `make asan`.

PREFIX  ?= /usr/local
BUILD   ?= build
CC      ?= cc
PKG_CONFIG ?= pkg-config

# Libraries per layer: backend/ speaks S3 (curl, OpenSSL, expat, inih);
# cache/ owns the index and blocks (SQLite, lz4); fs/ is the FUSE daemon
# and reads the JSON config (jansson).
BACKEND_PKGS := libcurl openssl expat inih
CACHE_PKGS   := sqlite3 liblz4
FS_PKGS      := fuse3 jansson
ALL_PKGS     := $(BACKEND_PKGS) $(CACHE_PKGS) $(FS_PKGS)

ifeq ($(filter deps clean,$(MAKECMDGOALS)),)
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(ALL_PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(ALL_PKGS) 2>/dev/null)
endif

WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(SAN_FLAGS) -D_GNU_SOURCE \
	-Ibackend -Icache -Ifs $(PKG_CFLAGS) -MMD -MP
LDLIBS  = $(PKG_LIBS) -lpthread -lm

ifdef SAN
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

BACKEND_SRC := $(wildcard backend/*.c)
CACHE_SRC   := $(wildcard cache/*.c)
FS_SRC      := $(filter-out fs/main.c,$(wildcard fs/*.c))
UNIT_SRC    := $(wildcard tests/unit/t_*.c)
TESTBIN_SRC := $(wildcard tests/bin/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIBBACKEND := $(BUILD)/libbackend.a
LIBCACHE   := $(BUILD)/libcache.a
LIBFS      := $(BUILD)/libfs.a
LIBS_ALL   := $(LIBFS) $(if $(CACHE_SRC),$(LIBCACHE)) $(LIBBACKEND)

UNIT_BINS    := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
TESTBIN_BINS := $(patsubst tests/bin/%.c,$(BUILD)/tests/%,$(TESTBIN_SRC))

.PHONY: all deps test unit asan install clean bench stress
# Keep the test objects: make would delete them after `make test`, printing
# after the suite's summary line.
.SECONDARY:
all: $(BUILD)/lakemount $(BUILD)/lakemount-ctl $(UNIT_BINS) $(TESTBIN_BINS)

# V=1 shows the commands.
Q := $(if $(V),,@)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBBACKEND): $(call obj,$(BACKEND_SRC))
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^
$(LIBCACHE): $(call obj,$(CACHE_SRC))
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^
$(LIBFS): $(call obj,$(FS_SRC))
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/lakemount: $(call obj,fs/main.c) $(LIBS_ALL)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)
# lakemount-ctl: tools/lakemount-ctl.c and its modules tools/ctl_*.c (it
# speaks to the daemon's socket and needs none of the daemon's libraries).
$(BUILD)/lakemount-ctl: $(call obj,tools/lakemount-ctl.c $(wildcard tools/ctl_*.c))
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/obj/tests/unit/unit.o $(LIBS_ALL)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/tests/%: $(BUILD)/obj/tests/bin/%.o $(LIBS_ALL)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# ---- setup --------------------------------------------------------------
deps:
	@bash tests/lib/deps.sh

# ---- tests --------------------------------------------------------------
# `make test` runs the unit tests and every tests/t*.sh; it ends with one line
# "N passed, N failed".  T=tests/t0100-foo.sh runs one script.
test: all
	@bash tests/run.sh $(BUILD) $(T)

# `make stress` runs the reliability scripts (t06xx-t08xx) at full length:
# faults for minutes, longer loads, 100,000 fsx ops (LM_STRESS=1, read by
# lm_stress in tests/lib/test-lib.sh).  CI runs `make test` only.
STRESS_TESTS ?= $(sort $(wildcard tests/t06*.sh tests/t07*.sh tests/t08*.sh))
stress: all
	@LM_STRESS=1 TEST_SCRIPT_TIMEOUT=$${TEST_SCRIPT_TIMEOUT:-3600} \
		bash tests/run.sh --no-unit $(BUILD) $(or $(T),$(STRESS_TESTS))

unit: $(UNIT_BINS)
	@bash tests/run.sh --unit-only $(BUILD)

asan:
	@$(MAKE) --no-print-directory BUILD=build-asan SAN=1 CFLAGS="-O1 -g" unit

bench: all
	@bash tests/bench/bench.sh $(BUILD)

# ---- demo ---------------------------------------------------------------
# `make demo`: make deps, make, a local Ceph RGW with a miniature Binance
# archive, mounted at demo/lake, and a short tour (tools/demo.sh; run again,
# it stops the previous demo first).  `make demo-stop` stops it.
.PHONY: demo demo-stop
demo:
	@LM_BUILD=$(BUILD) bash tools/demo.sh start

demo-stop:
	@LM_BUILD=$(BUILD) bash tools/demo.sh stop

# ---- install ------------------------------------------------------------
# Programs in PREFIX/bin (/usr/local/bin is on the default path of the
# shell mount.fuse3 runs lakemount with, for fstab); each page in the man
# section its name ends with: lakemount-ctl.1, lakemount.json.5, lakemount.8.
MANDIR ?= $(PREFIX)/share/man
install: $(BUILD)/lakemount $(BUILD)/lakemount-ctl
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(BUILD)/lakemount $(BUILD)/lakemount-ctl $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(wildcard man/*.5) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(wildcard man/*.8) $(DESTDIR)$(MANDIR)/man8/

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
