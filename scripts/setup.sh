#!/usr/bin/env bash
# Installs the Debian packages bert2bilstm needs and selects the OpenMP OpenBLAS.
# Idempotent: runs apt-get only when something is missing.
#   scripts/setup.sh          what the program and library need to build (make demo)
#   scripts/setup.sh --test   also what the tests need: GoogleTest, a single-node Slurm,
#                             Node.js and onnxruntime-node, clang-format, and the Python
#                             package's build and tests (make test, make build)
#   scripts/setup.sh --bench  the tests' packages, the PyTorch reference (python3-torch) and wrk
#   scripts/setup.sh --fuzz   the tests' packages, clang and its libFuzzer runtime
set -euo pipefail

packages=(build-essential cmake pkg-config libtorch-dev libdnnl-dev libopenblas0-openmp libblas-dev
  libutf8proc-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libboost-dev libcpp-httplib-dev gnuplot-nox libonnx-dev libgloo-dev)
mode=${1:-}
tests=false
if [[ -n "$mode" ]]; then
  tests=true
  packages+=(libgtest-dev libbenchmark-dev clang-format
    slurmctld slurmd slurm-client munge  # a single-node Slurm for the recipe's test
    # the Python package (python/): its build (pip, build, venv, pybind11) and tests
    python3-dev python3-venv python3-pip python3-build pybind11-dev
    python3-pytest python3-numpy python3-pandas
    python3-yaml  # tests/docs/check_deploy.py reads deploy/k8s/serve.yaml
    prometheus  # a real Prometheus scrapes the server in tests/lib/test_serve_metrics.cpp
    ccache)  # the package's build compiles the library again: ccache hands it the build's objects
  # Node.js and npm run the ONNX export's test in onnxruntime-node (below); a machine that has
  # them from elsewhere (NodeSource) keeps its own.
  if ! command -v node > /dev/null || ! command -v npm > /dev/null; then packages+=(nodejs npm); fi
fi
case "$mode" in
  ""|--test) ;;
  --bench) packages+=(python3-torch python3-numpy wrk) ;;
  --fuzz) packages+=(clang-14 libclang-rt-14-dev) ;;
  *) echo "setup: unknown option $mode (expected --test, --bench or --fuzz)" >&2; exit 2 ;;
esac

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# libtorch calls whatever libblas.so.3 points at: the reference BLAS is ~20x slower and the
# pthread OpenBLAS fights libtorch's OpenMP threads, so pin the OpenMP build.
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
for lib in libblas.so.3 liblapack.so.3; do
  target="/usr/lib/$arch/openblas-openmp/$lib"
  current=$(update-alternatives --query "$lib-$arch" 2>/dev/null | awk '/^Value:/ {print $2}')
  if [[ "$current" != "$target" ]]; then
    "${sudo_cmd[@]}" update-alternatives --set "$lib-$arch" "$target"
  fi
done

# onnxruntime-node (CPU binaries for linux-x64 inside the package) for tests/test_onnx.cpp,
# into a cache folder outside the repository. --ignore-scripts: its postinstall would try to
# download GPU binaries. Without a registry the ONNX tests say so and skip.
if ! $tests; then exit 0; fi
ort_dir="${HOME:-/root}/.cache/bert2bilstm/onnxruntime"
ort_version=1.30.0
if ! grep -qs "\"version\": \"$ort_version\"" "$ort_dir/node_modules/onnxruntime-node/package.json"; then
  mkdir -p "$ort_dir"
  echo "setup: installing onnxruntime-node $ort_version into $ort_dir"
  (cd "$ort_dir" && npm install --ignore-scripts --no-audit --no-fund --silent \
    "onnxruntime-node@$ort_version") ||
    echo "setup: could not install onnxruntime-node (the ONNX tests will be skipped)" >&2
fi
