#!/usr/bin/env bash
# Build a non-English benchmark corpus from the translated manual pages Debian ships.
#
#   scripts/make-multilingual-corpus.sh OUT [PACKAGE ...]
#
# Downloads the packages with `apt-get download` (run `apt-get update` once first), unpacks them
# with `dpkg -x`, and writes the text of every manual page to OUT, one troff line per line, with
# the troff requests and font/escape sequences stripped. The default packages give German,
# French, Russian, Ukrainian, Spanish, Polish, Czech, Italian, Portuguese, Japanese and Chinese
# (about 60 MB of UTF-8 text). The corpus is benchmark data: never commit it.
set -euo pipefail
out=${1:?usage: scripts/make-multilingual-corpus.sh OUT [PACKAGE ...]}
shift
packages=("$@")
if [ ${#packages[@]} -eq 0 ]; then
    packages=(manpages-de manpages-fr manpages-ru manpages-uk manpages-es manpages-pl manpages-cs
              manpages-it manpages-pt-br manpages-ja manpages-zh)
fi
out=$(realpath -m "$out")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get download "${packages[@]}" >/dev/null
for deb in *.deb; do
    dpkg -x "$deb" root
done
# Pages are gzipped troff; keep only UTF-8 text lines: drop requests ('.' or "'" first),
# comments, and escapes such as \fB \fR \f(CW \- \(em \*(lq \e \& \c.
find root/usr/share/man -type f -name '*.gz' | LC_ALL=C sort | while read -r page; do
    zcat "$page"
done | iconv -f utf-8 -t utf-8 -c \
    | sed -E -e '/^[.'"'"']/d' -e '/^\\"/d' \
             -e 's/\\f(\[[^]]*\]|\([A-Za-z]{2}|[A-Za-z0-9])//g' \
             -e 's/\\\*?\((..)/ /g' -e 's/\\\*\[[^]]*\]/ /g' -e 's/\\[-e]/-/g' \
             -e 's/\\[&c%|^]//g' -e 's/\\s[-+]?[0-9]//g' -e 's/\\//g' \
    > "$out"
echo "$out: $(wc -c < "$out") bytes, $(wc -l < "$out") lines"
