#!/bin/sh
# parse-bench.sh: msg_parse() throughput against Python's email package.
#
# usage: bench/parse-bench.sh [-b BUILDDIR] [DIR]
#   DIR        the .eml files, searched recursively (default: the shared
#              corpus beside the checkout, ../shared/corpus/emails)
#   -b DIR     link bench/parse-bench.c against DIR/libpostdesk.a (a
#              configured and built tree); without it, the C side is built
#              here from src/util and src/mail with the project's warning
#              flags and -O2
#   RUNS=5     runs per side, alternating (C first in odd runs)
#   C_ITER=20  timed passes over all messages in one C run
#   PY_ITER=1  timed passes in one Python run
#   CC=cc      the compiler
#   KEEP=1     keep the temporary directory (its path is printed)
#
# Each run is one process that loads every message into memory, makes one
# untimed warm-up pass and then the timed passes (see bench/README). It
# runs under /usr/bin/time -v for the peak RSS. Prints every run, the
# medians, and the ratio postdesk / python in messages/s (target >= 20).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
builddir=
while getopts b: opt; do
	case $opt in
	b) builddir=$(cd "$OPTARG" && pwd) ;;
	*) echo "usage: parse-bench.sh [-b BUILDDIR] [DIR]" >&2; exit 64 ;;
	esac
done
shift $((OPTIND - 1))
dir=${1:-$top/../shared/corpus/emails}
[ -d "$dir" ] || { echo "parse-bench: $dir: no such directory" >&2; exit 66; }
dir=$(cd "$dir" && pwd)
RUNS=${RUNS:-5}
C_ITER=${C_ITER:-20}
PY_ITER=${PY_ITER:-1}
CC=${CC:-cc}

work=$(mktemp -d "${TMPDIR:-/tmp}/postdesk-parse-bench.XXXXXX")
cleanup() {
	if [ "${KEEP:-0}" = 1 ]; then echo "parse-bench: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

deps=$(pkg-config --cflags --libs libetpan gnutls) ||
	{ echo "parse-bench: libetpan or gnutls not found by pkg-config" >&2; exit 1; }
case $CC in
*clang*) deps=$(printf '%s\n' "$deps" | sed 's/-specs=[^ ]*//g') ;;
esac
warn="-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wno-unused-parameter"
bin=$work/parse-bench

# shellcheck disable=SC2086 # flag lists
if [ -n "$builddir" ]; then
	if [ ! -f "$builddir/libpostdesk.a" ] || [ ! -f "$builddir/config.h" ]; then
		echo "parse-bench: $builddir: no config.h or libpostdesk.a (configure and make there first)" >&2
		exit 1
	fi
	bflags=$(sed -n 's/^PD_CFLAGS = //p' "$builddir/Makefile")
	bldflags=$(sed -n 's/^PD_LDFLAGS = //p' "$builddir/Makefile")
	case "$bflags" in
	*-fsanitize*) echo "parse-bench: WARNING: $builddir is built with sanitizers; its figures say little" ;;
	esac
	echo "parse-bench: C side linked against $builddir/libpostdesk.a"
	$CC -std=c11 -O2 $warn $bldflags -I"$builddir" -I"$top/include" -o "$bin" \
		"$here/parse-bench.c" "$builddir/libpostdesk.a" $deps -lm
else
	if [ -f ./config.h ] && [ -f ./config.status ]; then
		confdir=$(pwd)
	elif [ -f "$top/config.h" ]; then
		confdir=$top
	else
		confdir=$work
		printf '#ifndef _GNU_SOURCE\n# define _GNU_SOURCE 1\n#endif\n' >"$confdir/config.h"
	fi
	echo "parse-bench: C side built from the sources with $CC -O2 (config.h from $confdir)"
	$CC -std=c11 -O2 $warn -I"$confdir" -I"$top/include" -o "$bin" \
		"$here/parse-bench.c" "$top"/src/util/*.c "$top"/src/mail/*.c $deps -lm
fi

if [ -x /usr/bin/time ]; then
	timer="/usr/bin/time -v -o"
else
	echo "parse-bench: /usr/bin/time not found (apt-get install time): no peak RSS"
	timer=
fi

# run SIDE N: one run; appends "msgs mbs rss_kib" to $work/SIDE.
run() {
	side=$1
	out=$work/out.$side.$2
	tv=$work/time.$side.$2
	if [ "$side" = postdesk ]; then
		set -- "$bin" -n "$C_ITER" "$dir"
	else
		set -- python3 "$here/parse-bench.py" -n "$PY_ITER" "$dir"
	fi
	if [ -n "$timer" ]; then
		$timer "$tv" "$@" >"$out"
	else
		"$@" >"$out"
	fi
	line=$(grep '^RESULT ' "$out")
	msgs=$(printf '%s\n' "$line" | sed 's/.* msgs_per_s=\([^ ]*\).*/\1/')
	mbs=$(printf '%s\n' "$line" | sed 's/.* mb_per_s=\([^ ]*\).*/\1/')
	rss=$( [ -f "$tv" ] && sed -n 's/.*Maximum resident set size (kbytes): *//p' "$tv" || echo 0)
	echo "$msgs $mbs ${rss:-0}" >>"$work/$side"
	printf '  %-8s %9s messages/s %8s MB/s  peak RSS %s MiB\n' "$side" "$msgs" "$mbs" \
		"$(awk -v k="${rss:-0}" 'BEGIN { printf "%.1f", k / 1024 }')"
}

echo "parse-bench: $(find "$dir" -name '*.eml' -type f | wc -l) messages under $dir"
echo "parse-bench: $RUNS runs per side; postdesk $C_ITER passes, python $PY_ITER per run"
i=1
while [ "$i" -le "$RUNS" ]; do
	echo "run $i:"
	if [ $((i % 2)) = 1 ]; then
		run postdesk "$i"; run python "$i"
	else
		run python "$i"; run postdesk "$i"
	fi
	i=$((i + 1))
done
grep -h '^RESULT' "$work/out.postdesk.1" "$work/out.python.1" | sed 's/^/  /'

# median FILE COLUMN
median() {
	awk -v c="$2" '{ print $c }' "$1" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
pm=$(median "$work/postdesk" 1); pb=$(median "$work/postdesk" 2); pr=$(median "$work/postdesk" 3)
ym=$(median "$work/python" 1); yb=$(median "$work/python" 2); yr=$(median "$work/python" 3)
awk -v pm="$pm" -v pb="$pb" -v pr="$pr" -v ym="$ym" -v yb="$yb" -v yr="$yr" 'BEGIN {
	printf "median postdesk: %.1f messages/s, %.2f MB/s, peak RSS %.1f MiB\n", pm, pb, pr / 1024
	printf "median python:   %.1f messages/s, %.2f MB/s, peak RSS %.1f MiB\n", ym, yb, yr / 1024
	r = ym > 0 ? pm / ym : 0
	printf "ratio postdesk/python (messages/s): %.1fx (target >= 20x: %s)\n", r, (r >= 20 ? "met" : "NOT met")
}'
