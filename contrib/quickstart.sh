#!/bin/sh
# Quick start: install the dependencies (Debian), build postdesk in this
# checkout and show it working. Run from the top of the source tree:
#     sudo contrib/quickstart.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh contrib/install-deps.sh
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure
make -j"$(nproc)"
sh contrib/demo.sh
