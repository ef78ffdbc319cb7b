#!/bin/sh
# Install what postdesk needs to build, test and run its demo on Debian 12
# (bookworm) or later. Run as root. The one list of packages, used by the
# Quick start and by CI.
set -eu
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: run as root (sudo $0)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
# Build: toolchain, autotools, the libraries' -dev packages. libetpan-dev
# pulls libcurl4-gnutls-dev (not the OpenSSL flavour); keep it that way.
# Tests: cmocka, valgrind, clang (libFuzzer), the real mail stack
# (Dovecot IMAP/LMTP, Postfix, swaks, openssl), faketime for timers,
# chromium (headless) to render the HTML report, prometheus for promtool's
# check of the stats --prometheus output (its daemon is not needed);
# systemd (systemd-analyze, systemd-sysusers) and man-db check the unit,
# the sysusers.d file and the man pages (mandoc lints them); strace
# (t-hostile-input: no file written by attachment name).
apt-get install -y --no-install-recommends \
	build-essential autoconf automake libtool pkg-config ca-certificates \
	libetpan-dev libcurl4-gnutls-dev libsqlite3-dev sqlite3 libconfig-dev \
	libpcre2-dev libgnutls28-dev libsystemd-dev libcmocka-dev \
	valgrind clang libclang-rt-dev python3 \
	dovecot-imapd dovecot-lmtpd postfix swaks libnet-ssleay-perl openssl curl iproute2 \
	faketime mandoc isync time chromium prometheus systemd man-db strace
