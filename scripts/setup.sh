#!/usr/bin/env bash
# Installs the Debian packages Kiln builds with (only those missing), then
# configures and builds it in ./build. Sourced by demo.sh and test.sh.
set -euo pipefail

KILN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KILN_BUILD="${KILN_BUILD:-$KILN_ROOT/build}"

KILN_PACKAGES=(
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22
  libdnnl-dev libfmt-dev libonnx-dev libprotobuf-dev protobuf-compiler
  ocl-icd-opencl-dev ninja-build cmake g++ libgtest-dev python3 python3-numpy
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
kiln_build() {
  if [ ! -f "$KILN_BUILD/build.ninja" ]; then
    # shellcheck disable=SC2086
    cmake -G Ninja -S "$KILN_ROOT" -B "$KILN_BUILD" -DCMAKE_BUILD_TYPE=Release \
      ${KILN_CMAKE_ARGS:-}
  fi
  ninja -C "$KILN_BUILD" "$@"
}

# The sanitizer and fuzzing builds: clang-22 with its sanitizer runtimes.
KILN_CHECKED_PACKAGES=(libclang-rt-22-dev libomp-22-dev)
