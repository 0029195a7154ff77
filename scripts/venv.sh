#!/usr/bin/env bash
# Python tools from PyPI at pinned versions, in venvs under ./.venv (never
# in Debian's python3). Sourced by the scripts that need them:
#
#   kiln_venv NAME REQUIREMENTS [DIR]   # creates DIR (default .venv/NAME),
#                                       # installs the pins, sets KILN_PYTHON
#                                       # to its interpreter
set -euo pipefail

KILN_ROOT="${KILN_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"

kiln_venv() {
  local name="$1" requirements="$2"
  local venv="${3:-$KILN_ROOT/.venv/$name}"
  local stamp="$venv/.requirements"
  if [ ! -x "$venv/bin/python" ]; then
    # Debian's python3 needs python3-venv for `-m venv`.
    if ! /usr/bin/python3 -m venv --help >/dev/null 2>&1 ||
       ! dpkg-query -W -f='${Status}' python3-venv 2>/dev/null | grep -q "install ok installed"; then
      local sudo=()
      [ "$(id -u)" -eq 0 ] || sudo=(sudo)
      "${sudo[@]}" apt-get update -qq
      DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
        --no-install-recommends python3-venv >/dev/null
    fi
    /usr/bin/python3 -m venv "$venv"
  fi
  if ! cmp -s "$requirements" "$stamp"; then
    echo "kiln: installing $(grep -c '==' "$requirements") pinned packages into $venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check \
      -r "$requirements"
    cp "$requirements" "$stamp"
  fi
  KILN_PYTHON="$venv/bin/python"
  export KILN_PYTHON
}
