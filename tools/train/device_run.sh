#!/bin/bash
# What one call on the GPU machine runs. stage.sh copies this folder and the corpus (corpus.tar.xz)
# into the carried folder; outputs go to $OUT (at most 8 files of at most 16 MiB come back).
#
#   device_run.sh sweep                      smoke test of the whole pipeline, then the sweep
#   device_run.sh final VOCAB SHAPE EPOCHS   tokenize, train (interrupted at half, resumed in a new
#                                            process), export models/infermesh-tiny and its reference
set -euo pipefail
export PYTHONUNBUFFERED=1
D=$(cd "$(dirname "$0")" && pwd)
W=${WORK:-/tmp/infermesh-train}
OUT=${OUT:-$W/out}
mkdir -p "$W" "$OUT"
tar -xJf "$D/corpus.tar.xz" -C "$W"
nvidia-smi --query-gpu=name,memory.total,memory.used --format=csv,noheader
python3 -c "import torch, transformers, tokenizers; print('torch', torch.__version__, 'transformers', transformers.__version__, 'tokenizers', tokenizers.__version__)"
sha256sum "$W/corpus/train.jsonl" "$W/corpus/valid.jsonl"

case "$1" in
sweep)
    python3 "$D/train.py" smoke --corpus "$W/corpus" --work "$W/smoke" 2>&1 | tee "$OUT/smoke.log"
    python3 "$D/train.py" sweep --corpus "$W/corpus" --work "$W" --out "$OUT" --budget-s "${BUDGET_S:-380}" 2>&1 | tee "$OUT/sweep.log"
    ;;
final)
    V=$2 S=$3 E=$4
    python3 "$D/train.py" tokenize --corpus "$W/corpus" --vocab "$V" --out "$W/data" 2>&1 | tee "$OUT/final.log"
    # the run is interrupted at half way and continued by a new process from the checkpoint, as a run
    # spanning two device calls would be
    python3 "$D/train.py" train --data "$W/data" --shape "$S" --epochs "$E" --seed 0 \
        --stop-at-fraction 0.5 --ckpt "$W/ckpt" 2>&1 | tee -a "$OUT/final.log"
    du -b "$W/ckpt"/* | tee -a "$OUT/final.log"
    python3 "$D/train.py" train --data "$W/data" --shape "$S" --epochs "$E" --seed 0 \
        --resume "$W/ckpt" --out "$W/run" 2>&1 | tee -a "$OUT/final.log"
    python3 "$D/export.py" --data "$W/data" --run "$W/run" --corpus "$W/corpus" --out "$W/export/infermesh-tiny" \
        2>&1 | tee -a "$OUT/final.log"
    cp "$W/export/infermesh-tiny"/model-*.safetensors "$OUT/"
    cp "$W/run/result.json" "$W/data/meta.json" "$W/export/"   # export.py wrote infermesh-tiny-summary.json there
    (cd "$W/export" && tar -cJf "$OUT/small-files.tar.xz" --exclude='model-*.safetensors' \
        infermesh-tiny result.json meta.json infermesh-tiny-summary.json)
    ls -la "$OUT"
    ;;
*)
    echo "usage: device_run.sh sweep | final VOCAB SHAPE EPOCHS" >&2; exit 2 ;;
esac
