# t-man: the manual pages are clean mdoc (mandoc -T lint -W warning says
# nothing) and complete: every command of src/cli/main.c's table is in
# postdesk(8), every key of src/conf/config.c's tables and every template
# variable of src/pipe/template.c is in postdesk.conf(5). (Keys others add
# in parallel, timers, stats, must be written in too: this test says which.)
. "$SRCDIR/tests/lib.sh"
for p in postdesk.8 postdesk.conf.5; do
	out=$(mandoc -T lint -W warning "$SRCDIR/doc/$p" 2>&1)
	is "$out" "" "mandoc -T lint -W warning $p: no warnings"
done
MAN8=$SRCDIR/doc/postdesk.8
MAN5=$SRCDIR/doc/postdesk.conf.5

missing=
for c in $(sed -n 's/^	{ "\([a-z-]*\)", ".*cmd_[a-z_]* },$/\1/p' "$SRCDIR/src/cli/main.c"); do
	grep -q "^\.It Cm $c\( \|$\)" "$MAN8" || missing="$missing $c"
done
ok "main.c's table was read" test -n "$(sed -n 's/^	{ "\([a-z-]*\)", ".*cmd_[a-z_]* },$/\1/p' "$SRCDIR/src/cli/main.c")"
is "$missing" "" "every command is in postdesk(8)"

keys=$(sed -n 's/.*{ \(KEY\|CUSTOM\)("\([a-z_0-9]*\)".*/\2/p' "$SRCDIR/src/conf/config.c" | sort -u)
ok "config.c's tables were read" test "$(echo "$keys" | wc -l)" -gt 40
missing=
for k in $keys; do
	# as a tagged key (".It Cm a , b"), or in the rule grammar ("k = ")
	grep -Eq "(Cm |, )$k( |\$)|(^|[ {(])$k = " "$MAN5" || missing="$missing $k"
done
is "$missing" "" "every configuration key is in postdesk.conf(5)"

vars=$(sed -n '/^const char \*const tpl_variables\[\] = {/,/NULL/p' "$SRCDIR/src/pipe/template.c" |
	grep -o '"[a-z_.]*"' | tr -d '"')
ok "template.c's variables were read" test "$(echo "$vars" | wc -l)" -gt 10
missing=
for v in $vars; do
	grep -q "^\.It Li .*$v" "$MAN5" || missing="$missing $v"
done
is "$missing" "" "every template variable is in postdesk.conf(5)"
for s in SIGTERM SIGINT SIGHUP SIGUSR1; do
	like "$(cat "$MAN8")" "$s" "postdesk(8) explains $s"
done
done_testing
