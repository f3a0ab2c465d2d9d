# orgaudit: an OpenAI organization audit service.
#
#   make            build every binary (build/, cgi-bin/)
#   make deps       install the Debian packages that are missing
#   make test       build, then run every test; ends with 'N passed, N failed'
#   make demo       run the whole product locally; prints the URL and login
#   make demo-stop  stop exactly what 'make demo' started
#   make bench      benchmarks, printed as tables
#
# Nothing here reaches the internet: OpenAI and Stripe are stand-ins on
# 127.0.0.1 in tests and the demo.

CC	?= cc
CFLAGS	?= -O2 -g
WARN	 = -Wall -Wextra -Wmissing-prototypes -Wstrict-prototypes \
	   -Wwrite-strings -Wformat=2 -Wno-format-nonliteral
PKGS	 = jansson libcurl openssl libmariadb libarchive zlib
CPPFLAGS += -D_GNU_SOURCE -Isrc -Ibuild $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS	 = -lfcgi -largon2 -lpthread $(shell pkg-config --libs $(PKGS) 2>/dev/null)
SANITIZE = -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined

# Every src/*.c but the mains is the library; every tests/unit/test-*.c a
# unit test.  Adding a file needs no edit here.
LIB_SRCS = $(filter-out main-%.c,$(notdir $(wildcard src/*.c)))
LIB_OBJS = $(LIB_SRCS:%.c=build/%.o) build/migrations.o
ASAN_OBJS = $(LIB_SRCS:%.c=build/asan/%.o) build/asan/migrations.o

BINS	 = build/orgaudit build/orgaudit-collect build/orgaudit-bill \
	   cgi-bin/orgaudit.fcgi
UNIT_TESTS = $(patsubst tests/unit/test-%.c,%,$(wildcard tests/unit/test-*.c))
UNIT_BINS = $(UNIT_TESTS:%=build/test-%) $(UNIT_TESTS:%=build/asan/test-%)

all: $(BINS)

build build/asan:
	@mkdir -p $@

build/migrations.c: src/embed-sql.sh $(sort $(wildcard sql/*.sql)) | build
	src/embed-sql.sh $(sort $(wildcard sql/*.sql)) > $@.tmp && mv $@.tmp $@

build/%.o: src/%.c src/*.h | build
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<
build/migrations.o: build/migrations.c src/migrate.h
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<
build/asan/%.o: src/%.c src/*.h | build/asan
	$(CC) $(CPPFLAGS) -O1 -g $(SANITIZE) $(WARN) -c -o $@ $<
build/asan/migrations.o: build/migrations.c src/migrate.h | build/asan
	$(CC) $(CPPFLAGS) -O1 -g $(SANITIZE) $(WARN) -c -o $@ $<

build/liborgaudit.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^
build/asan/liborgaudit.a: $(ASAN_OBJS)
	rm -f $@ && ar rcs $@ $^

build/orgaudit: build/main-cli.o build/liborgaudit.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
build/orgaudit-collect: build/main-collect.o build/liborgaudit.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
build/orgaudit-bill: build/main-bill.o build/liborgaudit.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
cgi-bin/orgaudit.fcgi: build/main-fcgi.o build/liborgaudit.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# Sanitizer builds of the binaries, used by the integration tests' ASan pass.
build/asan/orgaudit-collect: build/asan/main-collect.o build/asan/liborgaudit.a
	$(CC) $(SANITIZE) -o $@ $^ $(LDLIBS)
build/asan/orgaudit-bill: build/asan/main-bill.o build/asan/liborgaudit.a
	$(CC) $(SANITIZE) -o $@ $^ $(LDLIBS)
build/asan/orgaudit: build/asan/main-cli.o build/asan/liborgaudit.a
	$(CC) $(SANITIZE) -o $@ $^ $(LDLIBS)
build/asan/orgaudit.fcgi: build/asan/main-fcgi.o build/asan/liborgaudit.a
	$(CC) $(SANITIZE) -o $@ $^ $(LDLIBS)

build/test-%: tests/unit/test-%.c tests/unit/*.h build/liborgaudit.a
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $(filter-out %.h,$^) -lcmocka $(LDLIBS)
build/asan/test-%: tests/unit/test-%.c tests/unit/*.h build/asan/liborgaudit.a
	$(CC) $(CPPFLAGS) -O1 -g $(SANITIZE) $(WARN) -o $@ $(filter-out %.h,$^) -lcmocka $(LDLIBS)

asan: build/asan/orgaudit build/asan/orgaudit-collect build/asan/orgaudit-bill \
	build/asan/orgaudit.fcgi

deps:
	@tests/deps.sh

test: deps
	@$(MAKE) --no-print-directory test-build
	@tests/run.sh

test-build: all asan $(UNIT_BINS)
	@:

bench: deps all
	@tests/bench/run.sh

demo: deps all
	@python3 tests/stack.py demo-start

demo-stop:
	@python3 tests/stack.py demo-stop

clean:
	rm -rf build cgi-bin/orgaudit.fcgi tests/out

.PHONY: all asan deps test test-build bench demo demo-stop clean
.SECONDARY:
