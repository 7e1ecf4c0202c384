# The project's entry points. Each target runs the setup script and the build first.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)

.PHONY: all setup configure build test demo bench fuzz format clean

all: build

setup:
	@scripts/setup.sh

configure: setup
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release > /dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j$(JOBS)

# Tests run one at a time: each uses every core through libtorch's OpenMP pool.
test: build
	@ctest --test-dir $(BUILD_DIR) --output-on-failure

# The demo needs the program alone, not the tests and benchmarks: half the build of a clone.
demo: configure
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
