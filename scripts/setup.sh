#!/usr/bin/env bash
# Installs the Debian packages Kiln builds with (only those missing), then
# configures and builds it in ./build. Sourced by demo.sh and test.sh; run
# as a command, it installs the packages only (what `pip install .` needs
# first).
set -euo pipefail

KILN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KILN_BUILD="${KILN_BUILD:-$KILN_ROOT/build}"

KILN_PACKAGES=(
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22
  libdnnl-dev libfmt-dev libonnx-dev libprotobuf-dev protobuf-compiler
  ocl-icd-opencl-dev ninja-build cmake g++ libgtest-dev python3 python3-numpy python3-onnx
  libhdf5-dev libzip-dev pkg-config python3-dev python3-venv
)

kiln_install_packages() {
  local missing=()
  for pkg in "${KILN_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "kiln: installing ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
}

# Extra CMake arguments (e.g. the sanitizer build's) in KILN_CMAKE_ARGS.
# KILN_PYTHON_PACKAGE=ON also builds the Python package (python/), with
# nanobind and the test tools of python/requirements.txt in .venv/python.
kiln_build() {
  # shellcheck disable=SC2206
  local args=(${KILN_CMAKE_ARGS:-})
  local configure=0
  [ -f "$KILN_BUILD/build.ninja" ] || configure=1
  if [ "${KILN_PYTHON_PACKAGE:-OFF}" = ON ]; then
    source "$KILN_ROOT/scripts/venv.sh"
    kiln_venv python "$KILN_ROOT/python/requirements.txt"
    args+=(-DKILN_PYTHON=ON "-DPython_EXECUTABLE=$KILN_PYTHON")
    grep -q '^KILN_PYTHON:BOOL=ON' "$KILN_BUILD/CMakeCache.txt" 2>/dev/null ||
      configure=1
  fi
  if [ "$configure" = 1 ]; then
    cmake -G Ninja -S "$KILN_ROOT" -B "$KILN_BUILD" -DCMAKE_BUILD_TYPE=Release \
      "${args[@]}"
  fi
  ninja -C "$KILN_BUILD" "$@"
}

# The checked build (./build-sanitize): clang-22 with AddressSanitizer,
# UndefinedBehaviorSanitizer and libFuzzer's instrumentation, for
# `test.sh --sanitize` and fuzz.sh. libomp-22-dev gives clang its OpenMP.
kiln_checked_build() {
  KILN_BUILD="${KILN_CHECKED_BUILD:-$KILN_ROOT/build-sanitize}"
  KILN_CMAKE_ARGS="-DKILN_FUZZ=ON -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22"
  kiln_install_packages libclang-rt-22-dev libomp-22-dev
  kiln_build "$@"
  # Debian's libLLVM/libMLIR are not instrumented, so leaks are not
  # reported at exit. LLVM's allocators poison and unpoison their slabs in
  # an ASan build; Kiln's code instantiates some of their templates
  # (instrumented) and those libraries the others (not), which gives false
  # use-after-poison reports: user poisoning is off.
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:allow_user_poisoning=0}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  kiln_install_packages
fi
