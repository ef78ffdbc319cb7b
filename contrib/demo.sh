#!/bin/sh
# The demo. Until the ingest stage lands it validates the example
# configuration with the freshly built binary; it will grow into a whole
# conversation through a throwaway mail stack.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$top/conf/postdesk.conf.example" "$tmp/postdesk.conf"
# The example names its secret files relative to itself; make demo ones,
# readable only by their owner as postdesk requires.
for f in imap.pass smtp.pass secret; do
	printf 'demo-%s\n' "$f" >"$tmp/$f"
	chmod 600 "$tmp/$f"
done
echo "\$ postdesk -c postdesk.conf check-config"
"$top/postdesk" -c "$tmp/postdesk.conf" check-config
