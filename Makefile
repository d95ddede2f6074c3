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

clean:
	rm -rf $(BUILD) build-asan test-artifacts
