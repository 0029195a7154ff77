#!/usr/bin/env bash
# Installs what is missing, builds Kiln and runs the whole test suite under
# ctest (lit, GoogleTest, end-to-end, conformance). Extra arguments go to
# ctest, e.g. `-R lit`.
#
#   ./scripts/test.sh --sanitize [CTEST ARGS]
#
# builds Kiln with clang-22, AddressSanitizer and UndefinedBehaviorSanitizer
# in ./build-sanitize (its runtime too, and every model it compiles is linked
# with them) and runs the suite there; the conformance runs, which compile
# over two thousand models, are left out unless asked for with -R.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

if [ "${1:-}" = "--sanitize" ]; then
  shift
  KILN_BUILD="${KILN_SANITIZE_BUILD:-$KILN_ROOT/build-sanitize}"
  KILN_CMAKE_ARGS="-DKILN_SANITIZE=ON -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22"
  kiln_install_packages "${KILN_CHECKED_PACKAGES[@]}"
  kiln_build
  # Debian's libLLVM/libMLIR are not instrumented, so leaks are not
  # reported at exit. LLVM's allocators poison and unpoison their slabs in
  # an ASan build; Kiln's code instantiates some of their templates
  # (instrumented) and those libraries the others (not), which gives false
  # use-after-poison reports: user poisoning is off.
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:allow_user_poisoning=0:abort_on_error=1}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
  if [ $# -eq 0 ]; then
    set -- -E '^conformance-'
  fi
  ctest --test-dir "$KILN_BUILD" --output-on-failure -j "$(nproc)" "$@"
  exit
fi

kiln_install_packages
kiln_build
ctest --test-dir "$KILN_BUILD" --output-on-failure -j "$(nproc)" "$@"
