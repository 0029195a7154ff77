#!/usr/bin/env bash
# Installs what is missing, builds Kiln and runs the whole test suite under
# ctest (lit, GoogleTest, end-to-end, conformance, the Python package's
# pytest tests). Extra arguments go to ctest, e.g. `-R lit`.
#
#   ./scripts/test.sh --sanitize [CTEST ARGS]
#
# builds Kiln with clang-22, AddressSanitizer and UndefinedBehaviorSanitizer
# in ./build-sanitize (its runtime too, and every model it compiles is linked
# with them; the fuzz targets of scripts/fuzz.sh share the build) and runs
# the suite there; the conformance runs, which compile over two thousand
# models, are left out unless asked for with -R.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

if [ "${1:-}" = "--sanitize" ]; then
  shift
  kiln_checked_build
  if [ $# -eq 0 ]; then
    set -- -E '^conformance-'
  fi
  ctest --test-dir "$KILN_BUILD" --output-on-failure -j "$(nproc)" "$@"
  exit
fi

kiln_install_packages
KILN_PYTHON_PACKAGE=ON kiln_build
ctest --test-dir "$KILN_BUILD" --output-on-failure -j "$(nproc)" "$@"
