# orgaudit: an OpenAI organization audit service.
#
#   make            build every binary (build/, cgi-bin/)
#   make deps       install the Debian packages that are missing
#   make test       build, then run every test; ends with 'N passed, N failed'
#   make demo       run the whole product locally; prints the URL and login
#   make demo-stop  stop exactly what 'make demo' started
#   make bench      benchmarks, printed as tables
#   make fuzz       every libFuzzer harness, FUZZ_SECONDS (60) each
#   make install    install under $(DESTDIR)$(PREFIX) (see "Installing" below)
#   make uninstall  remove what 'make install' put there
#   make clean      remove what the build made
#
# Nothing here reaches the internet: OpenAI and Stripe are stand-ins on
# 127.0.0.1 in tests and the demo.

# ---- Flags -----------------------------------------------------------------
# CFLAGS, CPPFLAGS, LDFLAGS and LDLIBS belong to whoever runs make.  A
# Debian package build passes dpkg-buildflags' values, in the environment
# or on the command line, and they are used as given: CFLAGS replaces the
# default '-O2 -g', LDFLAGS goes on every link.  What orgaudit itself needs
# (include paths, libraries, warnings, hardening) is added around them in
# the ALL_* variables, never through them, so overriding one of the four
# never drops -Isrc or -lfcgi.

CC	?= cc
CFLAGS	?= -O2 -g
WARN	 = -Wall -Wextra -Wmissing-prototypes -Wstrict-prototypes \
	   -Wwrite-strings -Wformat=2 -Wno-format-nonliteral
PKGS	 = jansson libcurl openssl libmariadb libarchive zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# Each object also writes build/NAME.d: the headers it really includes.
DEPFLAGS = -MMD -MP

# Hardening, on by default.  A compiler flag that is not universal is used
# only where $(CC) accepts it (gcc 12 on x86-64 takes both).
cc_flag = $(shell $(CC) -Werror $(1) -x c -c -o /dev/null /dev/null \
	    >/dev/null 2>&1 && echo '$(1)')
HARDEN_CFLAGS := -fstack-protector-strong -fPIE \
	   $(call cc_flag,-fstack-clash-protection) \
	   $(call cc_flag,-fcf-protection)
HARDEN_LDFLAGS = -pie -Wl,-z,relro,-z,now
# _FORTIFY_SOURCE=3 where the compiler and the C library support it (gcc
# 12 and glibc 2.34 onwards: glibc then sets __USE_FORTIFY_LEVEL to 3),
# else 2.  It needs optimisation, and a build that sets its own level
# (dpkg-buildflags passes -D_FORTIFY_SOURCE=2) keeps that one: a second
# definition with another value would be a warning.
FORTIFY_LEVEL := $(shell printf '\043include <features.h>\n\043if \
	   __USE_FORTIFY_LEVEL < 3\n\043error\n\043endif\n' | \
	   $(CC) -O2 -D_FORTIFY_SOURCE=3 -E -x c - >/dev/null 2>&1 && \
	   echo 3 || echo 2)
ifeq ($(findstring _FORTIFY_SOURCE,$(CPPFLAGS) $(CFLAGS)),)
ifneq ($(filter-out -O0,$(filter -O%,$(CFLAGS))),)
HARDEN_CPPFLAGS = -D_FORTIFY_SOURCE=$(FORTIFY_LEVEL)
endif
endif

BASE_CPPFLAGS = -D_GNU_SOURCE -Isrc -Ibuild $(PKG_CFLAGS)
ALL_CPPFLAGS = $(BASE_CPPFLAGS) $(HARDEN_CPPFLAGS) $(CPPFLAGS)
ALL_CFLAGS = $(HARDEN_CFLAGS) $(CFLAGS) $(WARN)
ALL_LDFLAGS = $(HARDEN_LDFLAGS) $(LDFLAGS)
LIBS	 = -lfcgi -largon2 -lpthread $(PKG_LIBS) $(LDLIBS)

# The sanitizer builds (build/asan/, for the tests' ASan pass) leave
# _FORTIFY_SOURCE out: its checked copies of memcpy, strcpy and friends
# run instead of ASan's interceptors and hide the very overflows ASan
# reports.  The -U comes last, so it also wins over a -D in CPPFLAGS.
SANITIZE = -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined
ASAN_CPPFLAGS = $(BASE_CPPFLAGS) $(CPPFLAGS)
ASAN_CFLAGS = -O1 -g $(SANITIZE) $(WARN) -U_FORTIFY_SOURCE

# ---- What is built ---------------------------------------------------------
# Every src/*.c but the mains is the library; every tests/unit/test-*.c a
# unit test.  Adding a file needs no edit here.
LIB_SRCS = $(filter-out main-%.c,$(notdir $(wildcard src/*.c)))
LIB_OBJS = $(LIB_SRCS:%.c=build/%.o) build/migrations.o
ASAN_OBJS = $(LIB_SRCS:%.c=build/asan/%.o) build/asan/migrations.o

# Every src/main-NAME.c is a program: main-cli.c is build/orgaudit,
# main-fcgi.c is cgi-bin/orgaudit.fcgi, any other main-NAME.c is
# build/orgaudit-NAME; each also has a sanitizer build in build/asan/.
MAINS	 = $(patsubst src/main-%.c,%,$(wildcard src/main-*.c))
prog	 = $(if $(filter cli,$(1)),orgaudit,$(if $(filter fcgi,$(1)),orgaudit.fcgi,orgaudit-$(1)))
out	 = $(if $(filter fcgi,$(1)),cgi-bin,build)/$(call prog,$(1))
BINS	 = $(foreach m,$(MAINS),$(call out,$(m)))
ASAN_BINS = $(foreach m,$(MAINS),build/asan/$(call prog,$(m)))
# The commands: every program but the FastCGI one.
CMDS	 = $(foreach m,$(filter-out fcgi,$(MAINS)),$(call prog,$(m)))
FCGI	 = $(filter cgi-bin/%,$(BINS))

UNIT_TESTS = $(patsubst tests/unit/test-%.c,%,$(wildcard tests/unit/test-*.c))
UNIT_BINS = $(UNIT_TESTS:%=build/test-%) $(UNIT_TESTS:%=build/asan/test-%)

all: $(BINS)

build build/asan:
	@mkdir -p $@

# build/flags holds the compiler and every flag; it changes only when they
# do, and everything depends on it, so a build with other flags (a
# package build after a plain 'make', say) rebuilds all rather than link
# objects made with the old ones.
sq	 = $(subst ','\'',$(1))
FLAGS_TEXT = 'cc $(call sq,$(CC))' \
	   'cppflags $(call sq,$(ALL_CPPFLAGS))' \
	   'cflags $(call sq,$(ALL_CFLAGS))' \
	   'ldflags $(call sq,$(ALL_LDFLAGS))' \
	   'libs $(call sq,$(LIBS))' \
	   'asan $(call sq,$(ASAN_CPPFLAGS) $(ASAN_CFLAGS) $(LDFLAGS))' \
	   'fuzz $(call sq,$(FUZZ_CC) $(FUZZ_LIB_CFLAGS))'
build/flags: FORCE | build
	@printf '%s\n' $(FLAGS_TEXT) >$@.tmp; \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

build/migrations.c: src/embed-sql.sh $(sort $(wildcard sql/*.sql)) | build
	src/embed-sql.sh $(sort $(wildcard sql/*.sql)) > $@.tmp && mv $@.tmp $@

build/%.o: src/%.c build/flags | build
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(DEPFLAGS) -c -o $@ $<
build/migrations.o: build/migrations.c build/flags
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(DEPFLAGS) -c -o $@ $<
build/asan/%.o: src/%.c build/flags | build/asan
	$(CC) $(ASAN_CPPFLAGS) $(ASAN_CFLAGS) $(DEPFLAGS) -c -o $@ $<
build/asan/migrations.o: build/migrations.c build/flags | build/asan
	$(CC) $(ASAN_CPPFLAGS) $(ASAN_CFLAGS) $(DEPFLAGS) -c -o $@ $<

build/liborgaudit.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^
build/asan/liborgaudit.a: $(ASAN_OBJS)
	rm -f $@ && ar rcs $@ $^

# One program: its main object over the library, and its sanitizer build.
define PROGRAM
$(call out,$(1)): build/main-$(1).o build/liborgaudit.a build/flags
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_CFLAGS) $$(ALL_LDFLAGS) -o $$@ $$(filter %.o %.a,$$^) $$(LIBS)
build/asan/$(call prog,$(1)): build/asan/main-$(1).o build/asan/liborgaudit.a build/flags
	$$(CC) $$(SANITIZE) $$(LDFLAGS) -o $$@ $$(filter %.o %.a,$$^) $$(LIBS)
endef
$(foreach m,$(MAINS),$(eval $(call PROGRAM,$(m))))

build/test-%: tests/unit/test-%.c build/liborgaudit.a build/flags
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(DEPFLAGS) $(ALL_LDFLAGS) -o $@ \
	    $(filter %.c %.a,$^) -lcmocka $(LIBS)
build/asan/test-%: tests/unit/test-%.c build/asan/liborgaudit.a build/flags
	$(CC) $(ASAN_CPPFLAGS) $(ASAN_CFLAGS) $(DEPFLAGS) $(LDFLAGS) -o $@ \
	    $(filter %.c %.a,$^) -lcmocka $(LIBS)

asan: $(ASAN_BINS)

# ---- Fuzzing ---------------------------------------------------------------
# Every tests/fuzz/fuzz-NAME.c is a libFuzzer harness, build/fuzz/fuzz-NAME,
# linked over the library built again by clang with the fuzzer's
# coverage and ASan/UBSan (build/fuzz/liborgaudit.a).  'make fuzz' runs
# each in turn for FUZZ_SECONDS, one process at a time, starting from its
# corpus tests/fuzz/corpus/NAME/ (new inputs go to build/fuzz/corpus/NAME/,
# crashes to build/fuzz/crashes/NAME/); it fails when any harness does.
# The test suite 'fuzz-corpus' replays the corpora and the reproducers in
# tests/fuzz/crashes/ once, then fuzzes each harness for 10 s
# (ORGAUDIT_FUZZ_SECONDS), two at a time (tests/fuzz/run.sh check).
FUZZ_CC	?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	   -fno-omit-frame-pointer
FUZZ_CFLAGS = -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(WARN) \
	   -U_FORTIFY_SOURCE
# clang warns where gcc does not: on a positional initializer that
# leaves later fields zero, and on a "" format chosen by '?:'.
FUZZ_LIB_CFLAGS = $(FUZZ_CFLAGS) -Wno-missing-field-initializers \
	   -Wno-format-zero-length
FUZZERS	 = $(patsubst tests/fuzz/fuzz-%.c,%,$(wildcard tests/fuzz/fuzz-*.c))
FUZZ_BINS = $(FUZZERS:%=build/fuzz/fuzz-%)
FUZZ_OBJS = $(LIB_SRCS:%.c=build/fuzz/%.o) build/fuzz/migrations.o

build/fuzz:
	@mkdir -p $@
build/fuzz/%.o: src/%.c build/flags | build/fuzz
	$(FUZZ_CC) $(ASAN_CPPFLAGS) $(FUZZ_LIB_CFLAGS) $(DEPFLAGS) -c -o $@ $<
build/fuzz/migrations.o: build/migrations.c build/flags | build/fuzz
	$(FUZZ_CC) $(ASAN_CPPFLAGS) $(FUZZ_LIB_CFLAGS) $(DEPFLAGS) -c -o $@ $<
build/fuzz/liborgaudit.a: $(FUZZ_OBJS)
	rm -f $@ && ar rcs $@ $^
build/fuzz/fuzz-%: tests/fuzz/fuzz-%.c tests/fuzz/fuzz.h build/fuzz/liborgaudit.a
	$(FUZZ_CC) $(ASAN_CPPFLAGS) -Itests/fuzz $(FUZZ_CFLAGS) $(DEPFLAGS) \
	    -fsanitize=fuzzer $(LDFLAGS) -o $@ $(filter %.c %.a,$^) $(LIBS)

fuzz-build: $(FUZZ_BINS)
	@:

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@tests/fuzz/run.sh fuzz $(FUZZ_SECONDS) $(FUZZERS)

deps:
	@tests/deps.sh

test: deps
	@$(MAKE) --no-print-directory test-build
	@tests/run.sh

test-build: all asan $(UNIT_BINS) $(FUZZ_BINS)
	@:

bench: deps all
	@tests/bench/run.sh

demo: deps all
	@python3 tests/stack.py demo-start

demo-stop:
	@python3 tests/stack.py demo-stop

clean:
	rm -rf build cgi-bin/orgaudit.fcgi tests/out

# ---- Installing ------------------------------------------------------------
# GNU-style directories, each overridable on the command line:
#
#   make install                                   # under /usr/local, /etc, /var
#   make install DESTDIR=$(CURDIR)/debian/tmp PREFIX=/usr unitdir=/lib/systemd/system
#
# PREFIX (or prefix) moves the programs, templates, units and man pages;
# sysconfdir and localstatedir stay /etc and /var unless given, as a
# Debian admin expects from /usr/local software.  Nothing under
# $(sysconfdir) that an admin edits is ever overwritten: make install puts
# only *.example files in $(sysconfdir)/orgaudit/, and keeps a changed
# $(logrotatedir)/orgaudit.
#
# unitdir is $(prefix)/lib/systemd/system: systemd reads
# /usr/local/lib/systemd/system (see 'systemd-analyze unit-paths'), so the
# default install stays inside PREFIX and never writes under /lib, which
# belongs to dpkg; a Debian 12 package passes unitdir=/lib/systemd/system.
# The same holds for sysusers.d and tmpfiles.d.  orgaudit.fcgi is not a
# command: it goes to $(prefix)/lib/orgaudit/, as Debian's cgit ships
# /usr/lib/cgit/cgit.cgi.
PREFIX	 = /usr/local
prefix	 = $(PREFIX)
exec_prefix = $(prefix)
bindir	 = $(exec_prefix)/bin
libdir	 = $(exec_prefix)/lib
pkglibdir = $(libdir)/orgaudit
datadir	 = $(prefix)/share
pkgdatadir = $(datadir)/orgaudit
mandir	 = $(datadir)/man
sysconfdir = /etc
localstatedir = /var
unitdir	 = $(prefix)/lib/systemd/system
sysusersdir = $(prefix)/lib/sysusers.d
tmpfilesdir = $(prefix)/lib/tmpfiles.d
logrotatedir = $(sysconfdir)/logrotate.d
DESTDIR	 =

INSTALL	 = install
INSTALL_PROGRAM = $(INSTALL) -m 0755
INSTALL_DATA = $(INSTALL) -m 0644

TEMPLATES = $(wildcard templates/*.mustache)
STATIC	 = $(wildcard templates/static/*)
NGINX	 = orgaudit.conf orgaudit-app.conf
MAN5	 = $(wildcard docs/man/*.5)
MAN8	 = $(wildcard docs/man/*.8)
UNITS	 = $(notdir $(wildcard docs/systemd/*.service docs/systemd/*.socket \
	   docs/systemd/*.timer))
EXAMPLES = orgaudit.conf.example web.conf.example

# The units, sysusers.d, tmpfiles.d and logrotate files name the installed
# paths as @bindir@, @pkglibdir@, @sysconfdir@ and @localstatedir@.
SUBST	 = sed -e 's|@bindir@|$(bindir)|g' -e 's|@pkglibdir@|$(pkglibdir)|g' \
	   -e 's|@pkgdatadir@|$(pkgdatadir)|g' \
	   -e 's|@sysconfdir@|$(sysconfdir)|g' \
	   -e 's|@localstatedir@|$(localstatedir)|g'
# The example configuration and the nginx snippets are written with
# Debian's paths, to be read as they are; installed, those paths become
# the configured directories (templates_dir among them, so the installed
# programs find the installed templates).
RELOCATE = sed -e 's|/usr/share/orgaudit|$(pkgdatadir)|g' \
	   -e 's|/etc/orgaudit|$(sysconfdir)/orgaudit|g' \
	   -e 's|/var/lib/orgaudit|$(localstatedir)/lib/orgaudit|g' \
	   -e 's|/var/log/orgaudit|$(localstatedir)/log/orgaudit|g'
# web.conf is orgaudit.conf with the web's own database user and its log,
# and without the master and signing keys, which the web never reads.
WEBCONF	 = sed -e '1,/^$$/s|^\# orgaudit.conf:|\# web.conf:|' \
	   -e 's|^db_user = orgaudit$$|db_user = orgaudit_web|' \
	   -e 's|^db_password_file = /etc/orgaudit/db.password$$|db_password_file = /etc/orgaudit/web-db.password|' \
	   -e 's|^master_key_file = .*|\# (not read by the web: it seals to each tenant'"'"'s public key)|' \
	   -e 's|^signing_key_file = .*|\# (not read by the web: orgaudit-worker signs the packs)|' \
	   -e 's|^log_file = /var/log/orgaudit/orgaudit.log$$|log_file = /var/log/orgaudit/web.log|'

STAGE	 = build/install

install: all
	@rm -rf $(STAGE) && mkdir -p $(STAGE)/systemd $(STAGE)/nginx
	$(RELOCATE) docs/orgaudit.conf.example > $(STAGE)/orgaudit.conf.example
	$(WEBCONF) docs/orgaudit.conf.example | $(RELOCATE) > $(STAGE)/web.conf.example
	for f in $(NGINX); do $(RELOCATE) nginx/$$f > $(STAGE)/nginx/$$f || exit 1; done
	for f in $(UNITS); do $(SUBST) docs/systemd/$$f > $(STAGE)/systemd/$$f || exit 1; done
	$(SUBST) docs/systemd/orgaudit.sysusers > $(STAGE)/orgaudit.sysusers
	$(SUBST) docs/systemd/orgaudit.tmpfiles > $(STAGE)/orgaudit.tmpfiles
	$(SUBST) docs/logrotate/orgaudit > $(STAGE)/logrotate
	$(INSTALL) -d $(DESTDIR)$(bindir) $(DESTDIR)$(pkglibdir) \
	    $(DESTDIR)$(pkgdatadir)/templates/static $(DESTDIR)$(pkgdatadir)/nginx \
	    $(DESTDIR)$(sysconfdir)/orgaudit $(DESTDIR)$(logrotatedir) \
	    $(DESTDIR)$(unitdir) $(DESTDIR)$(sysusersdir) $(DESTDIR)$(tmpfilesdir) \
	    $(DESTDIR)$(mandir)/man5 $(DESTDIR)$(mandir)/man8
	$(INSTALL_PROGRAM) $(addprefix build/,$(CMDS)) $(DESTDIR)$(bindir)/
	$(if $(FCGI),$(INSTALL_PROGRAM) $(FCGI) $(DESTDIR)$(pkglibdir)/)
	$(INSTALL_DATA) $(TEMPLATES) $(DESTDIR)$(pkgdatadir)/templates/
	$(INSTALL_DATA) $(STATIC) $(DESTDIR)$(pkgdatadir)/templates/static/
	$(INSTALL_DATA) $(addprefix $(STAGE)/nginx/,$(NGINX)) $(DESTDIR)$(pkgdatadir)/nginx/
	$(INSTALL_DATA) $(addprefix $(STAGE)/,$(EXAMPLES)) $(DESTDIR)$(sysconfdir)/orgaudit/
	$(INSTALL_DATA) $(addprefix $(STAGE)/systemd/,$(UNITS)) $(DESTDIR)$(unitdir)/
	$(INSTALL_DATA) $(STAGE)/orgaudit.sysusers $(DESTDIR)$(sysusersdir)/orgaudit.conf
	$(INSTALL_DATA) $(STAGE)/orgaudit.tmpfiles $(DESTDIR)$(tmpfilesdir)/orgaudit.conf
	$(INSTALL_DATA) $(MAN5) $(DESTDIR)$(mandir)/man5/
	$(INSTALL_DATA) $(MAN8) $(DESTDIR)$(mandir)/man8/
	@f=$(DESTDIR)$(logrotatedir)/orgaudit; \
	if [ -e "$$f" ] && ! cmp -s $(STAGE)/logrotate "$$f"; then \
		echo "make install: kept $$f, which differs from docs/logrotate/orgaudit"; \
	else \
		echo "$(INSTALL_DATA) $(STAGE)/logrotate $$f"; \
		$(INSTALL_DATA) $(STAGE)/logrotate "$$f"; \
	fi

# Removes what install put, and the directories only orgaudit uses when
# they are empty: an admin's orgaudit.conf, web.conf and keys stay, and so
# do $(sysconfdir)/orgaudit and a changed logrotate file.
uninstall:
	rm -f $(addprefix $(DESTDIR)$(bindir)/,$(CMDS)) \
	    $(DESTDIR)$(pkglibdir)/orgaudit.fcgi \
	    $(addprefix $(DESTDIR)$(pkgdatadir)/templates/,$(notdir $(TEMPLATES))) \
	    $(addprefix $(DESTDIR)$(pkgdatadir)/templates/static/,$(notdir $(STATIC))) \
	    $(addprefix $(DESTDIR)$(pkgdatadir)/nginx/,$(NGINX)) \
	    $(addprefix $(DESTDIR)$(sysconfdir)/orgaudit/,$(EXAMPLES)) \
	    $(addprefix $(DESTDIR)$(unitdir)/,$(UNITS)) \
	    $(DESTDIR)$(sysusersdir)/orgaudit.conf $(DESTDIR)$(tmpfilesdir)/orgaudit.conf \
	    $(addprefix $(DESTDIR)$(mandir)/man5/,$(notdir $(MAN5))) \
	    $(addprefix $(DESTDIR)$(mandir)/man8/,$(notdir $(MAN8)))
	@f=$(DESTDIR)$(logrotatedir)/orgaudit; \
	if [ -e "$$f" ] && ! $(SUBST) docs/logrotate/orgaudit | cmp -s - "$$f"; then \
		echo "make uninstall: kept $$f, which was changed after install"; \
	else \
		echo "rm -f $$f"; rm -f "$$f"; \
	fi
	@for d in $(pkgdatadir)/templates/static $(pkgdatadir)/templates \
	    $(pkgdatadir)/nginx $(pkgdatadir) $(pkglibdir) $(sysconfdir)/orgaudit; do \
		rmdir "$(DESTDIR)$$d" 2>/dev/null || true; \
	done

FORCE:

.PHONY: all asan deps test test-build fuzz fuzz-build bench demo demo-stop clean install \
	uninstall FORCE
.SECONDARY:

-include $(wildcard build/*.d build/asan/*.d build/fuzz/*.d)
