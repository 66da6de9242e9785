#!/bin/sh
# Reproduce InferMesh-tiny's training corpus from Debian packages (Debian 12 "bookworm", amd64).
#
#   tools/train/prepare_corpus.sh [OUT_DIR] [WORK_DIR]
#
# Downloads the pinned package versions below with `apt-get download` (run `apt-get update` first),
# unpacks them with `dpkg -x` (nothing is installed), renders the King James text with bible-kjv's
# own reader, and runs prepare_corpus.py, which writes OUT_DIR/train.jsonl, OUT_DIR/valid.jsonl and
# OUT_DIR/stats.json. The output is byte-for-byte deterministic: compare with the sha256 sums in
# models/README.md. Licences of every package are listed there too.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-corpus}
WORK=${2:-${TMPDIR:-/tmp}/infermesh-corpus}

PACKAGES="
r-cran-janeaustenr=1.0.0-1
sword-text-web=426.0-1
bible-kjv=4.38
bible-kjv-text=4.38
fortunes=1:1.99.1-7.3
fortunes-min=1:1.99.1-7.3
dict-devil=1.0-13.1
jargon-text=4.4.7-4.1
debian-faq=11.1
debian-reference-en=2.100
debian-handbook=11.20220922
doc-debian=11.3+nmu1
python3.11-doc=3.11.2-6+deb12u9
"

mkdir -p "$WORK/debs" "$WORK/root" "$OUT"
for spec in $PACKAGES; do
    name=${spec%%=*}
    if ! ls "$WORK/debs/${name}_"*.deb >/dev/null 2>&1; then
        (cd "$WORK/debs" && apt-get download "$spec") || {
            echo "prepare_corpus.sh: cannot download $spec; run 'apt-get update' on a Debian 12 machine," \
                 "or pin the version apt-cache policy $name offers (the corpus then differs)" >&2
            exit 1
        }
    fi
    rm -rf "$WORK/root/$name"
    dpkg -x "$WORK/debs/${name}_"*.deb "$WORK/root/$name"
done

# bible-kjv-text stores the text in its own compressed format; its reader prints it
LC_ALL=C "$WORK/root/bible-kjv/usr/bin/bible" -p "$WORK/root/bible-kjv-text/usr/lib" "gen1-rev22" \
    > "$WORK/root/bible-kjv.txt"

python3 "$HERE/prepare_corpus.py" "$WORK/root" "$OUT"
(cd "$OUT" && sha256sum train.jsonl valid.jsonl)
