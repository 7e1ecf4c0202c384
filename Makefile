# The project's entry points. Each target runs the setup script and the build first.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)

.PHONY: all setup configure build test test-sanitize demo bench fuzz format clean

all: build

# The tests' packages too (scripts/setup.sh --test); the demo installs the program's alone.
setup:
	@scripts/setup.sh --test

configure: setup
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=ON > /dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j$(JOBS)

# Tests run one at a time: each uses every core through libtorch's OpenMP pool.
test: build
	@ctest --test-dir $(BUILD_DIR) --output-on-failure --no-tests=error

# The test suite built with AddressSanitizer and UBSan in a build folder of its own.
# SANITIZE_TORCH=OFF builds and tests only what needs no libtorch (the library, readers,
# tokenizers, POS tagger, server: tests/runtime and tests/lib), in a third of the time; CI runs
# that. SANITIZE_TESTS (a ctest -R regex) picks a subset; empty runs every test. It is read with
# $(value ...) so that a regex's '$' reaches ctest unexpanded, and a regex that matches nothing
# fails instead of passing with no test run.
SANITIZE_TORCH ?= ON
SANITIZE_DIR ?= $(BUILD_DIR)-sanitize$(if $(filter OFF,$(SANITIZE_TORCH)),-lib)
SANITIZE_TESTS ?=
test-sanitize: setup
	@cmake -S . -B $(SANITIZE_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DB2B_SANITIZE=ON \
	  -DB2B_WITH_TORCH=$(SANITIZE_TORCH) > /dev/null
	@cmake --build $(SANITIZE_DIR) -j$(JOBS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(SANITIZE_DIR) --output-on-failure --no-tests=error \
	  $(if $(value SANITIZE_TESTS),-R '$(value SANITIZE_TESTS)')

# The demo needs the program alone, not the tests and benchmarks: half the build of a clone,
# and none of the tests' packages (GoogleTest, Slurm, Node.js). A build folder configured
# before (with tests, say) is kept as it is.
demo:
	@scripts/setup.sh
	@test -f $(BUILD_DIR)/CMakeCache.txt || cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release \
	  -DBUILD_TESTING=OFF > /dev/null
	@cmake --build $(BUILD_DIR) -j$(JOBS) --target bert2bilstm
	@$(BUILD_DIR)/bert2bilstm demo --out runs/demo

bench: build
	@scripts/setup.sh --bench
	@bench/run.sh $(BUILD_DIR)

fuzz: setup
	@scripts/setup.sh --fuzz
	@fuzz/run.sh $(BUILD_DIR)/fuzz

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	@rm -rf $(BUILD_DIR)
