#!/bin/sh
# Prepare what scripts/bench_threads.py needs on a machine without network and without gensim:
# the wheels of gensim 4.4.0 and what it imports that such a machine lacks (smart_open, wrapt),
# for CPython 3.12 on manylinux x86_64, in .whl/, and the gzipped bench corpus in
# bench/corpus.txt.gz. Both folders are ignored by git (.gitignore); carry them to the machine
# beside the checkout. Usage: scripts/carry_bench.sh [CORPUS]  (default /work/bench/corpus.txt)
set -eu
cd "$(dirname "$0")/.."
corpus=${1:-/work/bench/corpus.txt}
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d .whl gensim==4.4.0 smart_open wrapt
mkdir -p bench
gzip -9 -c "$corpus" > bench/corpus.txt.gz.part && mv bench/corpus.txt.gz.part bench/corpus.txt.gz
du -ch .whl bench | tail -1
