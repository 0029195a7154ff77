#!/usr/bin/env bash
# Regenerates the Keras fixtures (test/models/keras) with the pinned Keras,
# TensorFlow and tf-keras, installed into .venv/keras on first use.
#
#   test/models/make_keras_zoo.sh [NAME ...]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$ROOT/scripts/venv.sh"
kiln_venv keras "$ROOT/test/models/keras/requirements.txt"
"$KILN_PYTHON" "$ROOT/test/models/make_keras_zoo.py" --dialect keras3 "$@"
"$KILN_PYTHON" "$ROOT/test/models/make_keras_zoo.py" --dialect tf2 "$@"
