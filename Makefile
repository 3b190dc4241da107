# mtorrent build. `make` builds bin/tracker and bin/client; `make test` runs
# every test; `make asan|tsan` runs the same suites under sanitizers (asan
# includes UBSan; `make ubsan` is UBSan alone).
# Objects go under build/<variant>/, binaries under bin/ (sanitizer builds
# keep theirs in build/<variant>/bin/).

CXX      ?= g++
CXXSTD   := -std=c++20
WARN     := -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused \
            -Woverloaded-virtual -Wpedantic -Wnull-dereference -Wdouble-promotion \
            -Wformat=2 -Wimplicit-fallthrough -Wmisleading-indentation
OPT      ?= -O2 -g
SAN      ?=
VARIANT  ?= release
BUILD    ?= build/$(VARIANT)
BIN      ?= bin
CPPFLAGS := -I. -MMD -MP
CXXFLAGS := $(CXXSTD) $(OPT) $(WARN) $(SAN) -pthread
LDFLAGS  := $(SAN) -pthread
LIBS     := -lcrypto
GTEST_LIBS := -lgtest -lgtest_main

COMMON_SRCS  := $(sort $(wildcard common/*.cpp common/*/*.cpp))
CLIENT_SRCS  := $(filter-out client/main.cpp,$(sort $(wildcard client/*.cpp client/*/*.cpp)))
TRACKER_SRCS := $(filter-out tracker/main.cpp,$(sort $(wildcard tracker/*.cpp tracker/*/*.cpp)))
TEST_SRCS    := $(sort $(wildcard tests/common/*_test.cpp tests/common/*/*_test.cpp \
                       tests/client/*_test.cpp tests/client/*/*_test.cpp tests/tracker/*_test.cpp))
FUZZ_SRCS    := $(sort $(wildcard tests/fuzz/*_fuzz.cpp))
FUZZ_NAMES   := $(patsubst tests/fuzz/%_fuzz.cpp,%,$(FUZZ_SRCS))

obj = $(patsubst %.cpp,$(BUILD)/%.o,$(1))

COMMON_LIB  := $(BUILD)/libcommon.a
CLIENT_LIB  := $(BUILD)/libclient.a
TRACKER_LIB := $(BUILD)/libtracker.a
UNIT_TESTS  := $(BUILD)/tests/unit_tests
FUZZ_REPLAY := $(patsubst %,$(BUILD)/fuzz/%_replay,$(FUZZ_NAMES))
DEPS_OK     := $(BUILD)/.deps-ok
TEST_DEPS_OK := $(BUILD)/.test-deps-ok

.SECONDARY:
.PHONY: all test unit fuzz-replay integration security asan ubsan tsan sanitizers fuzz fuzz-build check-layers thread-safety variant-builds \
        format format-check clean bench-hash example demo interop drills bench-tools bench-tracker bench-tracker-real \
        bench-get bench-seed bench bench-smoke

all: $(BIN)/tracker $(BIN)/client

$(DEPS_OK):
	@scripts/check-deps.sh $(CXX)
	@mkdir -p $(@D) && touch $@

$(TEST_DEPS_OK):
	@scripts/check-deps.sh $(CXX) tests
	@mkdir -p $(@D) && touch $@

$(BUILD)/tests/%.o: CPPFLAGS += -DMT_SOURCE_DIR=\"$(CURDIR)\"

$(BUILD)/%.o: %.cpp | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

$(COMMON_LIB): $(call obj,$(COMMON_SRCS))
	@mkdir -p $(@D) && rm -f $@ && ar rcs $@ $^
$(CLIENT_LIB): $(call obj,$(CLIENT_SRCS))
	@mkdir -p $(@D) && rm -f $@ && ar rcs $@ $^
$(TRACKER_LIB): $(call obj,$(TRACKER_SRCS))
	@mkdir -p $(@D) && rm -f $@ && ar rcs $@ $^

$(BIN)/client: $(call obj,client/main.cpp) $(CLIENT_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BIN)/tracker: $(call obj,tracker/main.cpp) $(TRACKER_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS)

$(UNIT_TESTS): $(call obj,$(TEST_SRCS)) $(TRACKER_LIB) $(CLIENT_LIB) $(COMMON_LIB) | $(TEST_DEPS_OK)
	@mkdir -p $(@D)
	$(CXX) $(LDFLAGS) -o $@ $^ $(GTEST_LIBS) $(LIBS)

$(BUILD)/fuzz/%_replay: $(call obj,tests/fuzz/%_fuzz.cpp tests/fuzz/replay_main.cpp) $(TRACKER_LIB) $(CLIENT_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS)

# ---- Tests -----------------------------------------------------------------

# Builds in parallel, then runs the suites one after another; every suite runs
# even if an earlier one failed, and the target fails if any did.
test: all $(UNIT_TESTS) $(FUZZ_REPLAY)
	@failed=""; rm -f $(BUILD)/failed-suites; \
	echo "== unit tests"; $(UNIT_TESTS) --gtest_brief=1 || failed="$$failed unit"; \
	echo "== fuzz corpus replay"; \
	for n in $(FUZZ_NAMES); do $(BUILD)/fuzz/$${n}_replay tests/fuzz/corpus/$$n || failed="$$failed fuzz-replay:$$n"; done; \
	export MT_FAILED_FILE=$(CURDIR)/$(BUILD)/failed-suites; \
	BIN=$(CURDIR)/$(BIN) MT_VARIANT=$(VARIANT) tests/integration/run_all.sh || failed="$$failed integration"; \
	BIN=$(CURDIR)/$(BIN) MT_VARIANT=$(VARIANT) tests/security/run_all.sh || failed="$$failed security"; \
	if [ -z "$$failed" ]; then echo "make test ($(VARIANT)): all suites passed"; \
	else echo "make test ($(VARIANT)): FAILED:$$failed"; cat $(BUILD)/failed-suites 2>/dev/null; exit 1; fi

# The include rules between common/, tracker/ and client/'s subsystems
# (docs/ARCHITECTURE.md), and the checker's own self-test; then no function
# of the product over 80 lines without a reason in a comment.
check-layers:
	@bash tests/check_layers_test.sh >/dev/null || { bash tests/check_layers_test.sh; exit 1; }
	@bash tests/check_layers.sh
	@python3 tests/check_function_length.py

unit: $(UNIT_TESTS)
	$(UNIT_TESTS) --gtest_brief=1

fuzz-replay: $(FUZZ_REPLAY)
	@set -e; for n in $(FUZZ_NAMES); do $(BUILD)/fuzz/$${n}_replay tests/fuzz/corpus/$$n; done

integration: all
	@BIN=$(CURDIR)/$(BIN) MT_VARIANT=$(VARIANT) tests/integration/run_all.sh

# Attacks on live processes (tests/security/); also part of `make test`.
security: all
	@BIN=$(CURDIR)/$(BIN) MT_VARIANT=$(VARIANT) tests/security/run_all.sh

# GCC's sanitizer instrumentation makes -Wmaybe-uninitialized report false
# positives inside libstdc++ (std::regex, std::function); that one warning is
# off in sanitizer builds only.
SAN_COMMON := -fno-omit-frame-pointer -Wno-maybe-uninitialized
# A report must fail the run, also inside the tracker and client processes the
# integration suites start (they scan the processes' stderr for reports too).
export ASAN_OPTIONS  ?= abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS ?= halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS  ?= halt_on_error=1:second_deadlock_stack=1
# asan carries UBSan too (the pair libFuzzer uses): one build and one run of
# every suite catch both kinds of report; ubsan alone stays for a quick look.
# Compile time dominates CI, so the checking builds take the cheapest flags
# that keep their reports readable: -g1 (line tables: sanitizer stacks still
# name file and line) instead of -g, and -O1. Measured on
# client/engine/torrent.cpp with g++ 12: asan+UBSan at -O2 -g 32 s, at
# -O1 -g1 14 s; tsan at -O1 -g 8.1 s, at -O1 -g1 5.7 s. The thread-safety
# analysis runs in clang's front end, so its build is -O0 (4.6 s -> 2.8 s).
ASAN_MAKE := $(MAKE) VARIANT=asan BIN=build/asan/bin OPT="-O1 -g1" \
    SAN="-fsanitize=address,undefined -fno-sanitize-recover=all $(SAN_COMMON)"
TSAN_MAKE := $(MAKE) VARIANT=tsan BIN=build/tsan/bin SAN="-fsanitize=thread $(SAN_COMMON)" OPT="-O1 -g1"
TS_MAKE   := $(MAKE) VARIANT=thread-safety CXX=clang++ BIN=build/thread-safety/bin OPT="-O0 -g0" \
    SAN="-Wthread-safety"
asan:
	+$(ASAN_MAKE) test
ubsan:
	$(MAKE) VARIANT=ubsan BIN=build/ubsan/bin \
	    SAN="-fsanitize=undefined -fno-sanitize-recover=all $(SAN_COMMON)" test
tsan:
	+$(TSAN_MAKE) test
# Clang's thread-safety analysis (common/mutex.h: GUARDED_BY, REQUIRES,
# EXCLUDES) over the whole tree as errors, then the unit tests as clang built
# them (a second compiler also catches what one of them accepts wrongly).
thread-safety:
	@command -v clang++ >/dev/null || { echo "mtorrent: make thread-safety needs clang; install it with: apt-get install -y clang"; exit 1; }
	@bash tests/thread_safety_selftest.sh >/dev/null || { bash tests/thread_safety_selftest.sh; exit 1; }
	+$(TS_MAKE) all build/thread-safety/tests/unit_tests
	build/thread-safety/tests/unit_tests --gtest_brief=1
# Only the builds of asan, tsan and thread-safety (CI compiles them at low
# priority while the release suites, which mostly wait on sockets, run).
# The `+` hands the jobserver to the sub-makes (without it each one ran -j1).
variant-builds:
	+$(ASAN_MAKE) all build/asan/tests/unit_tests $(patsubst %,build/asan/fuzz/%_replay,$(FUZZ_NAMES))
	+$(TSAN_MAKE) all build/tsan/tests/unit_tests $(patsubst %,build/tsan/fuzz/%_replay,$(FUZZ_NAMES))
	+$(TS_MAKE) all build/thread-safety/tests/unit_tests
sanitizers: asan tsan

# ---- Fuzzing with libFuzzer (clang) -----------------------------------------

FUZZ_SECONDS ?= 60
FUZZ_CXX     ?= clang++
fuzz: fuzz-build
	@set -e; for n in $(FUZZ_NAMES); do \
	    mkdir -p build/libfuzzer/corpus/$$n; \
	    build/libfuzzer/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	        build/libfuzzer/corpus/$$n tests/fuzz/corpus/$$n; \
	done

# Builds the libFuzzer binaries (build/libfuzzer/fuzz/<name>) without running
# them; tests/fuzz/campaign.sh runs the long campaigns.
fuzz-build:
	@command -v $(FUZZ_CXX) >/dev/null || { echo "mtorrent: make fuzz needs clang; install it with: apt-get install -y clang"; exit 1; }
	$(MAKE) VARIANT=libfuzzer CXX=$(FUZZ_CXX) OPT="-O1 -g" \
	    SAN="-fsanitize=fuzzer-no-link,address,undefined" build/libfuzzer/libcommon.a \
	    build/libfuzzer/libclient.a build/libfuzzer/libtracker.a
	@set -e; mkdir -p build/libfuzzer/fuzz; for n in $(FUZZ_NAMES); do \
	    $(FUZZ_CXX) $(CXXSTD) -O1 -g -I. -fsanitize=fuzzer,address,undefined tests/fuzz/$${n}_fuzz.cpp \
	        build/libfuzzer/libtracker.a build/libfuzzer/libclient.a build/libfuzzer/libcommon.a $(LIBS) \
	        -o build/libfuzzer/fuzz/$$n; \
	done

# ---- The most real thing there is so far: make a .mtorrent and read it back --

example: all
	@mkdir -p build/example
	@head -c 3000000 /dev/urandom > build/example/sample.bin
	$(BIN)/client create build/example/sample.bin build/example/sample.mtorrent --force \
	    --tracker http://127.0.0.1:6969/announce --tracker udp://127.0.0.1:6970
	$(BIN)/client info build/example/sample.mtorrent

# ---- The demo: README's one command that runs the whole system ----------------

demo: all
	@BIN=$(CURDIR)/$(BIN) python3 scripts/demo.py

# ---- Interoperability with real BitTorrent programs --------------------------

interop: all
	@BIN=$(CURDIR)/$(BIN) tests/interop/run_all.sh

# ---- Fault drills (root: network namespaces, tc, a tmpfs mount) ---------------

drills: all
	@BIN=$(CURDIR)/$(BIN) tests/drills/run_all.sh

# ---- Benchmarks --------------------------------------------------------------
# Every bench/*.cpp is a standalone tool linked with common/ (load generators,
# bench/sha1_speed).

BENCH_SRCS  := $(sort $(wildcard bench/*.cpp))
BENCH_TOOLS := $(patsubst bench/%.cpp,$(BUILD)/bench/%,$(BENCH_SRCS))

$(BUILD)/bench/%: $(call obj,bench/%.cpp) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CXX) $(LDFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(LIBS)

# A tool too big for one file keeps the rest in a folder of its own
# (bench/tracker_load: bench/tracker_mix/), linked before libcommon.
$(BUILD)/bench/tracker_load: $(call obj,$(sort $(wildcard bench/tracker_mix/*.cpp)))

# The tracker's store on its own (bench/tracker_store_mem) also needs tracker/.
$(BUILD)/bench/tracker_store_mem: $(call obj,bench/tracker_store_mem.cpp) $(TRACKER_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS)

bench-tools: $(BENCH_TOOLS)

bench-hash: all bench-tools
	BIN=$(CURDIR)/$(BIN) BENCH_BIN=$(CURDIR)/$(BUILD)/bench bench/hash.sh

bench-tracker: all bench-tools
	BIN=$(CURDIR)/$(BIN) BENCH_BIN=$(CURDIR)/$(BUILD)/bench bench/tracker.sh

# The realistic tracker load (issue 17): heavy-tailed swarms, 4,096 source
# addresses, joins/leaves/completions, open-loop latency; ~12 min (estimate), quiet machine.
bench-tracker-real: all bench-tools
	BIN=$(CURDIR)/$(BIN) BENCH_BIN=$(CURDIR)/$(BUILD)/bench bench/tracker_real.sh

bench-get: all
	BIN=$(CURDIR)/$(BIN) bench/get.sh

bench-seed: all
	BIN=$(CURDIR)/$(BIN) bench/seed.sh

# Swarms over an emulated WAN, one network namespace per peer (root; ~25 min).
.PHONY: bench-wan
bench-wan: all
	BIN=$(CURDIR)/$(BIN) bench/wan.sh

# Every benchmark (bench/run_all.sh), by hand, on a quiet machine (~15 min).
bench: all bench-tools
	BIN=$(CURDIR)/$(BIN) BENCH_BIN=$(CURDIR)/$(BUILD)/bench bench/run_all.sh

# Every benchmark in its --quick form (CI: the suite still runs; ~3 min).
bench-smoke: all bench-tools
	BIN=$(CURDIR)/$(BIN) BENCH_BIN=$(CURDIR)/$(BUILD)/bench bench/run_all.sh --quick

# ---- Formatting --------------------------------------------------------------

FORMAT_FILES = $(shell git ls-files --cached --others --exclude-standard '*.cpp' '*.h' 2>/dev/null || find common client tracker tests bench -name '*.cpp' -o -name '*.h')
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	clang-format --dry-run -Werror $(FORMAT_FILES)

clean:
	rm -rf build bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
