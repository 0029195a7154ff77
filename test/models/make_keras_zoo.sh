#!/usr/bin/env bash
# Regenerates the Keras fixtures with the pinned Keras, TensorFlow and
# tf-keras, installed into .venv/keras on first use (test/models/keras),
# and the files of older Keras 3 versions on the JAX backend, each in
# .venv/keras-VERSION (test/models/keras-versions/VERSION).
#
#   test/models/make_keras_zoo.sh [NAME ...]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$ROOT/scripts/venv.sh"
kiln_venv keras "$ROOT/test/models/keras/requirements.txt"
"$KILN_PYTHON" "$ROOT/test/models/make_keras_zoo.py" --dialect keras3 "$@"
"$KILN_PYTHON" "$ROOT/test/models/make_keras_zoo.py" --dialect tf2 "$@"

# Older versions: the smaller models, as .keras files only. (Keras 3.4 to
# 3.13 leave Conv2DTranspose's output_padding out of the saved config, so
# the convolutions model is not among them.)
versioned=(activations attention bilstm_mask channels_first distmult
           gan_discriminator gru gru_mask lstm normalization pooling_reshape
           recurrent transe transformer)
for requirements in "$ROOT"/test/models/keras-versions/requirements-*.txt; do
  version="$(basename "$requirements" .txt)"
  version="${version#requirements-}"
  kiln_venv "keras-$version" "$requirements"
  names=("${versioned[@]}")
  # Keras 3.13 on JAX fails on the attention model's value_dim.
  [ "$version" = 3.13.2 ] && names=("${names[@]/attention}")
  [ $# -gt 0 ] && names=("$@")
  KERAS_BACKEND=jax "$KILN_PYTHON" "$ROOT/test/models/make_keras_zoo.py" \
    --dialect keras3 --keras-only \
    --out "$ROOT/test/models/keras-versions/$version" ${names[@]}
done
