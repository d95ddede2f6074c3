# fairlabel: `make run` serves a demo on http://127.0.0.1:8080; `make test` runs every test.
BUILD ?= build
DATA_DIR ?= ./data
LISTEN ?= 127.0.0.1:8080

.PHONY: all build run test test-unit test-api bench clean deps

all: build

deps:
	@scripts/install-deps.sh build

# Reconfigures when the set of embedded files (web/, migrations) changes.
build: deps
	@scripts/build.sh $(BUILD)

run: build
	@if [ ! -f $(DATA_DIR)/fairlabel.db ]; then \
	  ./$(BUILD)/fairlabel demo --data-dir $(DATA_DIR); \
	else \
	  echo "Using the existing data in $(DATA_DIR). Demo logins (if seeded): admin@example.org," \
	       "requester@example.org, worker@example.org, password fairlabel-demo"; \
	fi
	@echo "Open http://$(LISTEN)/ (Ctrl-C stops the server)"
	./$(BUILD)/fairlabel serve --data-dir $(DATA_DIR) --listen $(LISTEN)

test:
	@scripts/install-deps.sh test
	@scripts/build.sh $(BUILD)
	@scripts/test.sh $(BUILD)

bench: build
	bench/claim_submit

# The long crash test (docs/crash.md): CRASH_KILLS (200) SIGKILLs under load on SQLite, then on a throwaway
# PostgreSQL cluster.
.PHONY: crash
crash:
	@scripts/install-deps.sh test
	@scripts/build.sh $(BUILD)
	@rc=0; \
	echo "==== crash test (long) on SQLite"; \
	FAIRLABEL_BIN="$(CURDIR)/$(BUILD)/fairlabel" node tests/crash/crash.mjs || rc=1; \
	echo "==== crash test (long) on PostgreSQL"; \
	FAIRLABEL_BIN="$(CURDIR)/$(BUILD)/fairlabel" scripts/with-pg.sh node tests/crash/crash.mjs || rc=1; \
	exit $$rc

# Fuzzing (docs/fuzzing.md): every libFuzzer harness of fuzz/ for FUZZ_SECONDS (60) each, one at a time,
# in build-fuzz (clang, ASan+UBSan). A crash fails it and leaves the input in test-artifacts/fuzz/.
FUZZ_SECONDS ?= 60
.PHONY: fuzz valgrind
fuzz:
	@scripts/install-deps.sh test
	@scripts/fuzz.sh run $(FUZZ_SECONDS)

# Valgrind memcheck on every cmocka unit test, the store contract on SQLite and on a throwaway PostgreSQL.
VALGRIND = valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect --quiet
valgrind:
	@scripts/install-deps.sh test
	@scripts/build.sh $(BUILD)
	@scripts/with-pg.sh meson test -C $(BUILD) --print-errorlogs --timeout-multiplier 10 --wrapper '$(VALGRIND)'

clean:
	rm -rf $(BUILD) build-asan test-artifacts
