#!/usr/bin/env bash
# Kiln's layers against OpenVINO's, by ONNX node, for the bench's real-size
# models at batch 1 on 1 and 2 threads; regenerates
# docs/performance-layers.md. Needs the models ./bench/run.sh exported and
# its venv (bench/.venv, OpenVINO pinned in bench/requirements.txt).
# Arguments go to each bench/layers.py run (see --help).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup.sh"
source "$KILN_ROOT/scripts/venv.sh"
kiln_build
kiln_venv bench "$KILN_ROOT/bench/requirements.txt" "$KILN_ROOT/bench/.venv"
doc="$KILN_ROOT/docs/performance-layers.md"
{
  echo "# Kiln and OpenVINO, layer by layer"
  echo
  echo "Each layer's time in Kiln's default build (its executable's"
  echo "\`--profile\`) and in OpenVINO (its performance counters, with the"
  echo "bench's configuration: latency hint, f32), matched by ONNX node name;"
  echo "the layers where Kiln takes longest against OpenVINO first, then the"
  echo "totals by Kiln op. Both engines profile with their counters on, so the"
  echo "times per run exceed the bench's. Regenerate with"
  echo "\`./bench/layers.sh\` (after \`./bench/run.sh\`)."
  for model in resnet50 mobilenet_v2 bert; do
    folder="$KILN_BUILD/bench/real/$model-b1"
    [ -f "$folder/model.onnx" ] || continue
    for threads in 1 2; do
      echo
      "$KILN_PYTHON" "$KILN_ROOT/bench/layers.py" \
        --kilnc "$KILN_BUILD/bin/kilnc" --model "$folder/model.onnx" \
        --input "$folder"/input_*.npy --threads "$threads" \
        --work "$KILN_BUILD/bench/layers/$model" --name "$model b1" \
        --runs 50 "$@"
    done
  done
} > "$doc.tmp"
mv "$doc.tmp" "$doc"
echo "wrote $doc"
