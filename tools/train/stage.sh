#!/bin/sh
# Stage what a GPU-machine call needs into a carried folder of the checkout the device tool sends:
#   tools/train/stage.sh CORPUS_DIR DEST   (e.g. DEST=.devcarry/train in the repository root, git-ignored)
# then run `bash .devcarry/train/device_run.sh sweep` there with carry [".devcarry/train"].
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
CORPUS=$1 DEST=$2
mkdir -p "$DEST"
cp "$HERE"/*.py "$HERE/device_run.sh" "$DEST/"
tmp=$(mktemp -d)
mkdir "$tmp/corpus" && cp "$CORPUS/train.jsonl" "$CORPUS/valid.jsonl" "$tmp/corpus/"
tar -cJf "$DEST/corpus.tar.xz" -C "$tmp" corpus
rm -rf "$tmp"
du -sh "$DEST"
