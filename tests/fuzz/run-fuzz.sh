#!/bin/sh
# run-fuzz.sh [SECONDS]: build postdesk's libFuzzer targets with clang,
# ASan and UBSan, and run each for SECONDS (default 30) on a copy of its
# seed corpus, one after another:
#
#   inspect    the whole "postdesk inspect --json" path (fuzz-inspect.c)
#   ids        subject tags, our HMAC Message-IDs, Message-ID lists (fuzz-ids.c)
#   command    the commands by email: #close, #assign ... (fuzz-command.c)
#   template   the mail template parser and renderer (fuzz-template.c)
#   config     the configuration loader (fuzz-config.c)
#
# Each target checks invariants of its module besides the sanitizers (see
# the comment at the top of its file). Seeds are in corpus-TARGET/,
# dictionaries in TARGET.dict, leaks of system libraries that are not
# ours to fix in lsan.supp.
#
# Run it from a configured tree (its config.h is used), e.g. in CI:
#   ./configure && sh tests/fuzz/run-fuzz.sh 25
# or from an out-of-tree build directory; anywhere else a minimal config.h
# is written. It prints the number of executions per target and exits
# non-zero when a target crashed, leaked, timed out or broke an
# invariant, keeping the input that did it (its path and, when small, its
# base64 are printed). All targets run even when one fails.
#
# Environment:
#   CLANG=clang          the compiler (must support -fsanitize=fuzzer)
#   FUZZ_TARGETS="..."   which targets (default: all five, in the order above)
#   FUZZ_OPTIONAL=1      no clang or no libFuzzer: say so and exit 0
#                        (default: that is an error, exit 1)
#   FUZZ_WORKDIR=DIR     where to build and run (default: a new temp dir,
#                        removed after a clean run); DIR/TARGET/corpus
#                        keeps what each target found, for a later run
#   FUZZ_ARGS="..."      extra libFuzzer flags (e.g. -seed=1)
#   FUZZ_TIMEOUT=30      seconds one input may take before it counts as a hang
#   FUZZ_JOBS=2          compilers run at once while building
set -eu

secs=${1:-30}
case $secs in
''|*[!0-9]*) echo "usage: run-fuzz.sh [SECONDS]" >&2; exit 64 ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
CLANG=${CLANG:-clang}
targets=${FUZZ_TARGETS:-inspect ids command template config}

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
deps=$(pkg-config --cflags --libs libetpan gnutls libcurl sqlite3 libconfig libpcre2-8) ||
	{ echo "run-fuzz: a library is not found by pkg-config (contrib/install-deps.sh)" >&2; exit 1; }
# Debian's libetpan.pc carries a gcc -specs= link flag that clang rejects.
deps=$(printf '%s\n' "$deps" | sed 's/-specs=[^ ]*//g')
cflags=$(pkg-config --cflags libetpan gnutls libcurl sqlite3 libconfig libpcre2-8 | sed 's/-specs=[^ ]*//g')

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

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
warn="-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wno-unused-parameter"
# What Makefile.am passes with -D, as a header (no quoting through xargs).
cat >"$work/fuzzdefs.h" <<'EOF'
#define SYSCONFDIR "/etc"
#define LOCALSTATEDIR "/var"
#define PKGDATADIR "/usr/share/postdesk"
EOF
incs="-I$confdir -I$top/include -I$top/src/cli -I$top/src/mail -I$top/src/conf -include $work/fuzzdefs.h"

# The library: every layer the targets reach, built once with coverage
# instrumentation (fuzzer-no-link) into one archive; each target links
# only the objects it needs from it.
probe_fuzzer() {
	echo 'int LLVMFuzzerTestOneInput(const char *d, long n); int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
		"$CLANG" -x c -fsanitize=fuzzer -o "$work/probe" - >/dev/null 2>&1 ||
		missing "$CLANG cannot build libFuzzer targets"
}
probe_fuzzer
mkdir -p "$work/obj"
echo "run-fuzz: building the library with $CLANG (config.h from $confdir)"
start=$(date +%s)
# shellcheck disable=SC2086 # flag lists
if ! ls "$top"/src/util/*.c "$top"/src/conf/*.c "$top"/src/store/*.c "$top"/src/mail/*.c \
	"$top"/src/net/*.c "$top"/src/pipe/*.c "$top"/src/cli/inspect_json.c |
	CC=$CLANG FLAGS="-std=c11 -g -O1 -fsanitize=fuzzer-no-link $san $warn $incs $cflags" \
	OBJ=$work/obj xargs -P "${FUZZ_JOBS:-2}" -n 1 sh -c '
		o=$OBJ/$(echo "$1" | sed "s|.*/src/||; s|/|_|g; s|\.c$|.o|")
		$CC $FLAGS -c -o "$o" "$1"' sh; then
	echo "run-fuzz: build failed" >&2
	exit 1
fi
rm -f "$work/libpostdesk-fuzz.a"
ar rcs "$work/libpostdesk-fuzz.a" "$work"/obj/*.o
echo "run-fuzz: library built in $(($(date +%s) - start)) s"

# max_len TARGET: the longest input worth trying.
max_len() {
	case $1 in
	inspect) echo 1048576 ;;
	ids) echo 4096 ;;
	template) echo 70000 ;;
	*) echo 65536 ;;
	esac
}

# leak_mode TARGET: "run" checks leaks while fuzzing; "replay" fuzzes
# without and then runs every input of the corpus once with leak checks.
# libconfig leaks a little on every syntax error (lsan.supp), and libFuzzer
# then scans the heap after each such input: ten times slower.
leak_mode() {
	case $1 in
	config) echo replay ;;
	*) echo run ;;
	esac
}

# run_target BIN CORPUS LOG [FLAGS...]: libFuzzer with our environment.
run_target() {
	bin=$1 corpus=$2 log=$3
	shift 3
	# shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/lsan.supp:print_suppressions=0} \
	"$bin" -timeout="${FUZZ_TIMEOUT:-30}" -rss_limit_mb=4096 \
		-artifact_prefix="$tw/artifacts/" ${FUZZ_ARGS:-} "$@" "$corpus" >"$log" 2>&1
}

failed=
for t in $targets; do
	if [ ! -f "$here/fuzz-$t.c" ]; then
		echo "run-fuzz: no target '$t' (no $here/fuzz-$t.c)" >&2
		failed="$failed $t"
		continue
	fi
	tw=$work/$t
	bin=$tw/fuzz-$t
	mkdir -p "$tw/corpus" "$tw/artifacts"
	rm -f "$tw"/artifacts/*	# what an earlier run found is not this run's
	# shellcheck disable=SC2086 # flag lists
	if ! "$CLANG" -std=c11 -g -O1 -fsanitize=fuzzer $san $warn $incs $cflags \
		-o "$bin" "$here/fuzz-$t.c" "$work/libpostdesk-fuzz.a" $deps -lm; then
		echo "run-fuzz: $t: build failed" >&2
		failed="$failed $t"
		continue
	fi
	# Work on a copy: the committed corpus stays as it is.
	cp "$here/corpus-$t"/* "$tw/corpus"/ 2>/dev/null || true
	dict=
	[ -f "$here/$t.dict" ] && dict=-dict=$here/$t.dict
	log=$tw/fuzz.log
	echo "run-fuzz: $t: fuzzing for ${secs}s (log: $log)"
	leaks=
	[ "$(leak_mode "$t")" = replay ] && leaks=-detect_leaks=0
	set +e
	# shellcheck disable=SC2086 # $dict and $leaks are empty or one flag
	run_target "$bin" "$tw/corpus" "$log" -max_total_time="$secs" \
		-max_len="$(max_len "$t")" $dict $leaks -print_final_stats=1
	rc=$?
	if [ "$rc" -eq 0 ] && [ -n "$leaks" ]; then
		echo "run-fuzz: $t: every corpus input once more, with leak checks"
		run_target "$bin" "$tw/corpus" "$tw/replay.log" -runs=0 \
			-max_len="$(max_len "$t")"
		rc=$?
		[ "$rc" -eq 0 ] || log=$tw/replay.log
	fi
	set -e

	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tw/fuzz.log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$tw/fuzz.log" | tail -n 1)
	if [ -z "$execs" ]; then
		# -fork=N prints no final stats: its last "#N: ... time: Ts" line
		set -- $(sed -n 's/^#\([0-9]*\):.* time: \([0-9]*\)s.*/\1 \2/p' "$tw/fuzz.log" | tail -n 1)
		[ $# -eq 2 ] && [ "$2" -gt 0 ] && execs=$1 rate=$(($1 / $2))
	fi
	crashes=$(find "$tw/artifacts" -type f | wc -l)
	[ "$crashes" -eq 0 ] || [ "$rc" -ne 0 ] || rc=1	# -fork with -ignore_crashes exits 0
	echo "run-fuzz: $t: executions: ${execs:-?} (${rate:-?}/s), corpus now $(find "$tw/corpus" -type f | wc -l) inputs"

	if [ "$rc" -ne 0 ]; then
		failed="$failed $t"
		# The sanitizer's or our invariant's message and the stack.
		grep -n -E 'invariant violated|ERROR:|SUMMARY:|^ *#[0-9]+ ' "$log" | head -n 60 >&2 || true
		found=0
		for f in "$tw"/artifacts/*; do
			[ -f "$f" ] || continue
			found=1
			echo "run-fuzz: $t: FAILED (exit $rc): input kept in $f" >&2
			echo "run-fuzz: reproduce: $bin $f" >&2
			if [ "$(wc -c <"$f")" -le 65536 ]; then
				echo "run-fuzz: the input, base64:" >&2
				base64 "$f" >&2
			fi
		done
		[ "$found" = 1 ] || { echo "run-fuzz: $t: FAILED (exit $rc), see $log" >&2; tail -n 30 "$log" >&2; }
		keep=1
	fi
done

if [ -n "$failed" ]; then
	echo "run-fuzz: FAILED:$failed (kept in $work)" >&2
	exit 1
fi
echo "run-fuzz: no crash"
[ "$keep" = 1 ] || rm -rf "$work"
exit 0
