#!/bin/sh
# t-report.sh: "postdesk report --html" renders in a real headless Chromium:
# no console error, every chart's SVG in the DOM with its bars, a PNG
# screenshot of the asked size that is not blank; the page fetches
# nothing and escapes the names it writes. The history is a month made by
# report-history.py; "now" is fixed with faketime. Chromium is required
# (contrib/install-deps.sh installs it): without it this test fails.
#
# REPORT_PNG=path keeps the screenshot (doc/report.png is made so).
. "$SRCDIR/tests/lib.sh"
unset POSTDESK_CONFIG CREDENTIALS_DIRECTORY TZ

for tool in chromium sqlite3 python3 faketime; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "Bail out! $tool is missing (contrib/install-deps.sh installs it)"
		exit 1
	fi
done

conf=$TEST_TMP/conf
db=$conf/postdesk.db
html=$TEST_TMP/report.html
mkdir "$conf"
cat >"$conf/postdesk.conf" <<'EOF'
database = "postdesk.db";
queues = (
	{ name = "general"; sla = { first_response = "4h"; resolution = "16h"; }; },
	{ name = "billing"; sla = { first_response = "1h"; }; },
	{ name = "sales"; }
);
agents = (
	{ name = "Alice"; email = "alice@example.com"; queues = [ "general", "billing" ]; },
	{ name = "Bob"; email = "bob@example.com"; queues = [ "general" ]; },
	{ name = "Carol"; email = "carol@example.com"; queues = [ "general" ]; },
	{ name = "Dan"; email = "dan@example.com"; queues = [ "billing", "sales" ]; }
);
business_hours = { timezone = "Europe/Prague"; days = "Mon-Fri"; hours = "09:00-17:00"; };
EOF

NOW_UTC="2026-06-15 10:00:00"
pd() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	faketime "$NOW_UTC" "$POSTDESK" -c "$conf/postdesk.conf" "$@" \
		>"$TEST_TMP/out" 2>"$TEST_TMP/err"
	rc=$?
	err=$(cat "$TEST_TMP/err")
}

# chrome OUT ARGS...: headless Chromium on the page; stderr (its log, with
# the page's console messages) in $TEST_TMP/chrome.err.
chrome() {
	o=$1; shift
	HOME=$TEST_TMP chromium --headless --disable-gpu --no-sandbox \
		--user-data-dir="$TEST_TMP/chrome" --enable-logging=stderr --v=0 \
		--hide-scrollbars "$@" >"$o" 2>"$TEST_TMP/chrome.err"
}

pd report
is "$rc" 64 "report without --html: exit 64"
pd report --html "$html" --since nonsense
is "$rc" 64 "report with a bad --since: exit 64"
pd report --html "$html"
is "$rc" 66 "report without a database: exit 66"

(umask 077 && : >"$db")
pd stats
python3 "$SRCDIR/tests/integration/report-history.py" "$(date -d "$NOW_UTC UTC" +%s)" \
	>"$TEST_TMP/history.sql"
ok "a month of history" sqlite3 "$db" ".read $TEST_TMP/history.sql"
pd report --html "$TEST_TMP/no/such/dir/report.html"
is "$rc" 73 "report into a missing directory: exit 73"
pd report --html "$html"
is "$rc" 0 "report --html: exit 0"
ok "report --html: the file is there" test -s "$html"
ok "report --html: no temporary file left" test "$(ls "$TEST_TMP" | grep -c '^report.html.')" -eq 0

# --- what the file holds: self-contained, escaped -------------------------------------
ok "the page stands alone: no script, link, image, frame or remote URL" python3 - "$html" <<'EOF'
import re, sys
page = open(sys.argv[1], encoding="utf-8").read()
bad = []
for pat in (r"<script", r"<link", r"<img", r"<iframe", r"<object", r"<embed", r"\bsrc=",
            r"\bhref=", r"url\(", r"@import"):
    if re.search(pat, page, re.I):
        bad.append(pat)
# the one URL allowed is the SVG namespace, which is a name, not a fetch
rest = page.replace('xmlns="http://www.w3.org/2000/svg"', "")
if re.search(r"(https?|ftp|file|data):", rest, re.I):
    bad.append("a URL")
if bad:
    print("# found: " + ", ".join(bad))
sys.exit(1 if bad else 0)
EOF
ok "the page says it is UTF-8 and has a title" \
	grep -q '<meta charset="utf-8">' "$html"

# --- rendered by Chromium --------------------------------------------------------------
# First a page with errors, to show that the console check below sees them.
printf '<!DOCTYPE html><p>x</p><script>console.error("boom"); nope();</script>\n' \
	>"$TEST_TMP/bad.html"
chrome "$TEST_TMP/bad.dom" --dump-dom "file://$TEST_TMP/bad.html"
ok "control: a page with errors shows them on Chromium's console" \
	grep -q ':CONSOLE' "$TEST_TMP/chrome.err"

chrome "$TEST_TMP/dom.html" --dump-dom "file://$html"
cp "$TEST_TMP/chrome.err" "$TEST_TMP/dom.err"
ok "Chromium renders the report (DOM dumped)" test -s "$TEST_TMP/dom.html"
ok "no console message while rendering" sh -c "! grep ':CONSOLE' '$TEST_TMP/dom.err'"
grep ':CONSOLE' "$TEST_TMP/dom.err" | head -5 | sed 's/^/# /'
ok "the DOM has the five charts with their bars, the tables, no script" python3 - "$TEST_TMP/dom.html" <<'EOF'
import sys
from html.parser import HTMLParser

class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.svgs, self.scripts, self.text = [], [], 0, []
        self.h2 = []
    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self.svgs.append({"label": dict(attrs).get("aria-label"), "rect": 0, "text": 0})
        elif self.svgs and tag in ("rect", "text") and "svg" in self.stack:
            self.svgs[-1][tag] += 1
        if tag == "script":
            self.scripts += 1
        self.stack.append(tag)
    def handle_endtag(self, tag):
        while self.stack and self.stack.pop() != tag:
            pass
    def handle_data(self, data):
        if self.stack and self.stack[-1] == "h2":
            self.h2.append(data)
        self.text.append(data)

p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
labels = [s["label"] for s in p.svgs]
want = ["Tickets created and resolved", "First response time distribution, business hours",
        "SLA compliance per queue", "Backlog by age and status",
        "Customer satisfaction: share of ratings 4-5"]
bad = []
if labels != want:
    bad.append("charts %r" % labels)
for s in p.svgs:
    if s["rect"] < 4 or s["text"] < 3:
        bad.append("%s: %d bars, %d texts" % (s["label"], s["rect"], s["text"]))
if p.scripts:
    bad.append("%d script elements" % p.scripts)
for h in ("Tickets per day", "Queues", "Agents"):
    if h not in p.h2:
        bad.append("no heading " + h)
text = "".join(p.text)
for s in ("alice@example.com", "dan@example.com", "billing"):
    if s not in text:
        bad.append("text %r missing" % s)
for b in bad:
    print("# " + b)
sys.exit(1 if bad else 0)
EOF

chrome "$TEST_TMP/shot.out" --screenshot="$TEST_TMP/report.png" --window-size=1200,1700 \
	"file://$html"
ok "no console message while taking the screenshot" \
	sh -c "! grep ':CONSOLE' '$TEST_TMP/chrome.err'"
ok "the screenshot is a 1200x1700 PNG, not blank" python3 - "$TEST_TMP/report.png" <<'EOF'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, ihdr = 8, b"", None
while pos < len(data):
    n, typ = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if typ == b"IHDR":
        ihdr = struct.unpack(">IIBBBBB", body)
    elif typ == b"IDAT":
        idat += body
    pos += 12 + n
w, h, depth, ctype = ihdr[:4]
if (w, h) != (1200, 1700):
    print("# size %dx%d" % (w, h)); sys.exit(1)
assert depth == 8 and ctype in (2, 6), "colour type %d depth %d" % (ctype, depth)
bpp = 3 if ctype == 2 else 4
raw, stride = zlib.decompress(idat), w * bpp
prev, colours, ink = bytearray(stride), set(), 0
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    if y % 4 == 0:
        for x in range(0, w, 4):
            px = bytes(line[x * bpp:x * bpp + 3])
            colours.add(px)
            ink += px != b"\xff\xff\xff"
    prev = line
share = ink / ((h // 4) * (w // 4))
# the report's own colours: the bars' blue and green must be on screen
blue, green = bytes((0x4e, 0x79, 0xa7)), bytes((0x59, 0xa1, 0x4f))
print("# %d colours sampled, %.1f%% not white" % (len(colours), 100 * share))
sys.exit(0 if len(colours) > 20 and share > 0.05 and blue in colours and green in colours else 1)
EOF
if [ -n "${REPORT_PNG:-}" ]; then
	cp "$TEST_TMP/report.png" "$REPORT_PNG" && diag "screenshot kept in $REPORT_PNG"
fi

# --- names from mail and config come out as text ----------------------------------------
# Names from mail and config go into the page: these must come out as text.
sqlite3 "$db" "INSERT INTO tickets (subject, requester_addr, queue, status, assignee,
	created_at, updated_at) VALUES ('s', 'x@example.net', '<script>alert(1)</script>',
	'new', 'eve\"&<i>@example.com', $(date -d "2026-06-14 08:00 UTC" +%s), 0);"

pd report --html "$html"
is "$rc" 0 "report with odd names: exit 0"
ok "the queue name is escaped" grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' "$html"
ok "the agent address is escaped" grep -qF 'eve&quot;&amp;&lt;i&gt;@example.com' "$html"
chrome "$TEST_TMP/dom.html" --dump-dom "file://$html"
ok "odd names: no console message" sh -c "! grep ':CONSOLE' '$TEST_TMP/chrome.err'"
ok "odd names: in the DOM as text, no script element" python3 - "$TEST_TMP/dom.html" <<'EOF'
import sys
from html.parser import HTMLParser

class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text, self.scripts = [], 0
    def handle_starttag(self, tag, attrs):
        self.scripts += tag == "script"
    def handle_data(self, data):
        self.text.append(data)

p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
text = "".join(p.text)
ok = p.scripts == 0 and "<script>alert(1)</script>" in text and 'eve"&<i>@example.com' in text
sys.exit(0 if ok else 1)
EOF

# --- one queue, and standard output ----------------------------------------------------
pd report --html - --queue billing --since 2026-06-01
is "$rc" 0 "report --html - --queue billing: exit 0"
ok "to standard output, one queue's page" grep -q '2026-06-01 00:00 to 2026-06-15 12:00 CEST &middot; queue billing' "$TEST_TMP/out"
ok "one queue's page: its SLA only" sh -c "! grep -q '>general</text>' '$TEST_TMP/out'"

done_testing
