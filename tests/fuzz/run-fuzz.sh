#!/bin/sh
# run-fuzz.sh [SECONDS]: build the libFuzzer target for "postdesk inspect"
# (tests/fuzz/fuzz-inspect.c) with clang, ASan and UBSan, and run it for
# SECONDS (default 60) on a copy of the seed corpus.
#
# Run it from a configured tree (its config.h is used), e.g. in CI:
#   ./configure && sh tests/fuzz/run-fuzz.sh 60
# or from an out-of-tree build directory; anywhere else a minimal config.h
# is written. It prints the number of executions and exits non-zero when
# the target crashed, leaked, timed out or broke an invariant, keeping the
# input that did it (its path and, when small, its base64 are printed).
#
# Environment:
#   CLANG=clang          the compiler (must support -fsanitize=fuzzer)
#   FUZZ_OPTIONAL=1      no clang or no libFuzzer: say so and exit 0
#                        (default: that is an error, exit 1)
#   FUZZ_WORKDIR=DIR     where to build and run (default: a new temp dir,
#                        removed after a clean run)
#   FUZZ_ARGS="..."      extra libFuzzer flags (e.g. -seed=1 -jobs=2)
#   FUZZ_TIMEOUT=30      seconds one input may take before it counts as a hang
set -eu

secs=${1:-60}
case $secs in
''|*[!0-9]*) echo "usage: run-fuzz.sh [SECONDS]" >&2; exit 64 ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
CLANG=${CLANG:-clang}

missing() {
	if [ "${FUZZ_OPTIONAL:-0}" = 1 ]; then
		echo "run-fuzz: $1; skipped (FUZZ_OPTIONAL=1)"
		exit 0
	fi
	echo "run-fuzz: $1 (install clang: apt-get install clang; or set FUZZ_OPTIONAL=1)" >&2
	exit 1
}

command -v "$CLANG" >/dev/null 2>&1 || missing "$CLANG not found"
command -v pkg-config >/dev/null 2>&1 || { echo "run-fuzz: pkg-config not found" >&2; exit 1; }
deps=$(pkg-config --cflags --libs libetpan gnutls) ||
	{ echo "run-fuzz: libetpan or gnutls not found by pkg-config" >&2; exit 1; }
# Debian's libetpan.pc carries a gcc -specs= link flag that clang rejects.
deps=$(printf '%s\n' "$deps" | sed 's/-specs=[^ ]*//g')

if [ -n "${FUZZ_WORKDIR:-}" ]; then
	work=$FUZZ_WORKDIR
	mkdir -p "$work"
	keep=1
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/postdesk-fuzz.XXXXXX")
	keep=0
fi

# config.h: the build directory we are run from, else the source tree's
# (an in-tree ./configure), else a minimal one (all the sources need from
# it is _GNU_SOURCE).
if [ -f ./config.h ] && [ -f ./config.status ]; then
	confdir=$(pwd)
elif [ -f "$top/config.h" ]; then
	confdir=$top
else
	confdir=$work/conf
	mkdir -p "$confdir"
	cat >"$confdir/config.h" <<'EOF'
/* Minimal config.h for the fuzz build (run-fuzz.sh, no ./configure). */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE 1
#endif
#define HAVE_ICONV_H 1
#define HAVE_SYSEXITS_H 1
#define PACKAGE "postdesk"
#define PACKAGE_NAME "postdesk"
#define PACKAGE_VERSION "0.0-fuzz"
EOF
fi

bin=$work/fuzz-inspect
echo "run-fuzz: building $bin with $CLANG (config.h from $confdir)"
# shellcheck disable=SC2086 # $deps is a list of flags
if ! "$CLANG" -std=c11 -g -O1 \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer \
	-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
	-Wno-unused-parameter \
	-I"$confdir" -I"$top/include" -I"$top/src/cli" \
	-o "$bin" \
	"$here/fuzz-inspect.c" "$top/src/cli/inspect_json.c" \
	"$top"/src/util/*.c "$top"/src/mail/*.c \
	$deps -lm; then
	# A clang without the libFuzzer runtime fails here too.
	if ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n); int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
		"$CLANG" -x c -fsanitize=fuzzer -o "$work/probe" - >/dev/null 2>&1; then
		missing "$CLANG cannot build libFuzzer targets"
	fi
	echo "run-fuzz: build failed" >&2
	exit 1
fi

# Work on a copy: the committed corpus stays as it is.
corpus=$work/corpus
mkdir -p "$corpus" "$work/artifacts"
cp "$here"/corpus-inspect/* "$corpus"/ 2>/dev/null || true

log=$work/fuzz.log
echo "run-fuzz: fuzzing for ${secs}s (log: $log)"
set +e
# shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
"$bin" -max_total_time="$secs" -max_len=1048576 -timeout="${FUZZ_TIMEOUT:-30}" \
	-rss_limit_mb=4096 -dict="$here/inspect.dict" -print_final_stats=1 \
	-artifact_prefix="$work/artifacts/" ${FUZZ_ARGS:-} \
	"$corpus" >"$log" 2>&1
rc=$?
set -e

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
echo "run-fuzz: executions: ${execs:-?} (${rate:-?}/s), corpus now $(find "$corpus" -type f | wc -l) inputs"

if [ "$rc" -ne 0 ]; then
	# The report: the sanitizer's or our invariant's message and the stack.
	grep -n -E 'invariant violated|ERROR:|SUMMARY:|^ *#[0-9]+ ' "$log" | head -n 60 >&2 || true
	found=0
	for f in "$work"/artifacts/*; do
		[ -f "$f" ] || continue
		found=1
		echo "run-fuzz: FAILED (exit $rc): input kept in $f" >&2
		echo "run-fuzz: reproduce: $bin $f" >&2
		if [ "$(wc -c <"$f")" -le 65536 ]; then
			echo "run-fuzz: the input, base64:" >&2
			base64 "$f" >&2
		fi
	done
	[ "$found" = 1 ] || { echo "run-fuzz: FAILED (exit $rc), see $log" >&2; tail -n 30 "$log" >&2; }
	exit "$rc"
fi

echo "run-fuzz: no crash"
[ "$keep" = 1 ] || rm -rf "$work"
exit 0
