#!/usr/bin/env bash
# Installs what is missing, builds Kiln and runs the whole test suite under
# ctest (lit, GoogleTest). Extra arguments go to ctest, e.g. `-R lit`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

kiln_install_packages
kiln_build
ctest --test-dir "$KILN_BUILD" --output-on-failure -j "$(nproc)" "$@"
