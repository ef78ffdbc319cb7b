/* test-html.c: HTML mail rendered as plain text (src/mail/html.c). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "postdesk/html.h"

#define OUT_MAX ((size_t)1 << 20)

/* Render s (with a cap of OUT_MAX) and compare with want. */
static void
check(const char *html, const char *want)
{
	bool trunc = true;
	char *got = html_to_text(html, strlen(html), OUT_MAX, &trunc);

	assert_string_equal(got, want);
	assert_false(trunc);
	free(got);
}

/* s repeated n times (caller frees). */
static char *
repeat(const char *s, size_t n, const char *tail)
{
	size_t k = strlen(s), t = strlen(tail);
	char *b = malloc(k * n + t + 1);

	assert_non_null(b);
	for (size_t i = 0; i < n; i++)
		memcpy(b + i * k, s, k);
	memcpy(b + k * n, tail, t + 1);
	return b;
}

static void
paragraphs_and_breaks(void **state)
{
	check("<p>First paragraph.</p><p>Second<br>line two<br/>line three</p>",
	    "First paragraph.\n\nSecond\nline two\nline three");
	/* a <br> at the end of a block adds nothing; <br><br> is a blank line */
	check("<div>a<br></div><div>b</div><div><br></div><div>c</div>",
	    "a\nb\n\nc");
	check("one<br><br><br><br>two", "one\n\ntwo");
	/* stray </p> is an empty paragraph; </br> is a <br> */
	check("a</p>b</br>c", "a\n\nb\nc");
	/* no blank lines at the start or the end, no final newline */
	check("<br><br><p></p><p>x</p><br><br><p></p>", "x");
	check("", "");
	check("<p> </p><!-- nothing -->", "");
}

static void
whitespace_collapses(void **state)
{
	check("  Hello,\n\t  <b>big</b>   <i>world</i>  \r\n !  ",
	    "Hello, big world !");
	check("<p>no<b>space</b>inside</p>", "nospaceinside");
	check("<div>line   </div>   <div>   next</div>", "line\nnext");
	/* &nbsp; is a space, and collapses like one */
	check("a&nbsp;&nbsp;&nbsp;b &nbsp; c", "a b c");
}

static void
pre_keeps_whitespace(void **state)
{
	check("<p>Log:</p><pre>\n$ make   check\n  PASS  test-html\n\n\n\ndone  </pre><p>ok</p>",
	    "Log:\n\n$ make   check\n  PASS  test-html\n\ndone\n\nok");
	check("<pre>a\tb\r\nc &amp; d</pre>", "a\tb\nc & d");
	/* a first line of only spaces is dropped like any blank line */
	check("<pre>   \n  code</pre>", "  code");
	/* <textarea> and <xmp> keep their text as written */
	check("<xmp><b>x</b></xmp>", "<b>x</b>");
}

static void
headings(void **state)
{
	check("<h1>Title</h1>Intro text<h2>Part 1</h2><p>Body</p>",
	    "Title\n\nIntro text\n\nPart 1\n\nBody");
	/* <h2> ends an open <h1> */
	check("<h1>One<h2>Two</h1>three", "One\n\nTwo\n\nthree");
}

static void
lists(void **state)
{
	check("<p>Steps:</p><ul><li>one</li><li>two<ul><li>two a</li>"
	    "<li>two b<ul><li>deep</li></ul></li></ul></li><li>three</li></ul>after",
	    "Steps:\n\n- one\n- two\n  - two a\n  - two b\n    - deep\n- three\n\nafter");
	/* unclosed items, start and value */
	check("<ol start=\"3\"><li>c<li>d<li value=\"10\">j<li>k</ol>",
	    "3. c\n4. d\n10. j\n11. k");
	/* a nested list under a numbered item lines up with its text */
	check("<ol><li>first<ol><li>inner</li></ol></li><li>second</li></ol>",
	    "1. first\n   1. inner\n2. second");
	/* a second line of an item is indented under its text */
	check("<ul><li>item<br>continued</li></ul>", "- item\n  continued");
	/* a list right after text: a blank line around it */
	check("<div>Please check:</div><ul><li>a</li></ul><div>Thanks</div>",
	    "Please check:\n\n- a\n\nThanks");
}

static void
links(void **state)
{
	/* text and a different URL */
	check("See <a href=\"https://example.com/docs?a=1&amp;b=2\">the docs</a>.",
	    "See the docs <https://example.com/docs?a=1&b=2>.");
	/* the text is the URL */
	check("<a href=\"https://example.com/help\">https://example.com/help</a>",
	    "https://example.com/help");
	check("<a href=\"https://www.example.com/\">www.example.com</a>",
	    "www.example.com");
	/* mailto: of the address shown */
	check("Write to <a href=\"mailto:Help@Example.com?subject=Hi\">help@example.com</a>",
	    "Write to help@example.com");
	/* javascript: and fragment links: the text alone */
	check("<a href=\"javascript:void(0)\">Click</a> <a href=\"#top\">Back to top</a>",
	    "Click Back to top");
	/* a text naming another host gets the real target beside it */
	check("<a href=\"http://bank.example.net/login\">https://bank.example.com</a>",
	    "https://bank.example.com <http://bank.example.net/login>");
	/* no text: the URL; whitespace inside an href is dropped */
	check("<a href=\"https://example.com/x\n  y\"><img src=\"i.png\"></a>",
	    "<https://example.com/xy>");
	/* a link around a block keeps its URL on the text's line */
	check("<a href=\"https://e.com/\"><div>Open</div></a><p>next</p>",
	    "Open <https://e.com/>\n\nnext");
}

static void
images(void **state)
{
	check("<p><img src=\"logo.png\" alt=\"ACME  Support\"> Hello <img src=\"pixel.gif\">"
	    "<img alt=\"\" src=\"spacer.gif\"> world</p>",
	    "[ACME Support] Hello world");
	check("<a href=\"https://twitter.example/acme\"><img alt=\"Twitter\" src=\"t.png\"></a>",
	    "[Twitter] <https://twitter.example/acme>");
}

static void
tables(void **state)
{
	check("<table>\n<tr><th>Item</th><th>Qty</th><th>Price</th></tr>\n"
	    "<tr><td>Router</td><td>1</td><td>&euro;49</td></tr>\n"
	    "<tr><td>Cable</td><td></td><td>&euro;5</td></tr></table>",
	    "Item | Qty | Price\nRouter | 1 | €49\nCable | €5");
	/* layout tables: blocks in cells give lines, not separators */
	check("<table><tr><td><p>Hello</p></td><td><p>There</p></td></tr></table>",
	    "Hello\n\nThere");
	/* unclosed cells and rows */
	check("<table><tr><td>a<td>b<tr><td>c<td>d</table>after",
	    "a | b\nc | d\nafter");
}

static void
blockquotes(void **state)
{
	check("<p>Reply text</p><blockquote><p>quoted one</p><p>quoted two</p>"
	    "<blockquote>older</blockquote></blockquote><p>after</p>",
	    "Reply text\n\n> quoted one\n>\n> quoted two\n>\n> > older\n\nafter");
	/* two quotes in a row stay two quotes */
	check("<blockquote>a</blockquote><blockquote>b</blockquote>",
	    "> a\n\n> b");
	check("<blockquote>line 1<br>line 2</blockquote>", "> line 1\n> line 2");
}

static void
hidden_content_dropped(void **state)
{
	check("<!DOCTYPE html><html><head><title>Invoice</title>"
	    "<meta charset=\"utf-8\"><style>p { color: red; } </style>"
	    "<script>document.write('<p>no</p>');</script></head>"
	    "<body><!-- a comment <p>no</p> -->Visible"
	    "<script type=\"text/javascript\">var a = \"</scr\" + \"ipt>\";</script>"
	    "<style>.x{}</style> text</body></html>",
	    "Visible text");
	/* Outlook's conditional comments, both kinds */
	check("a<!--[if gte mso 9]><xml><o:OfficeDocumentSettings>"
	    "</o:OfficeDocumentSettings></xml><![endif]-->b"
	    "<!--[if !mso]><!-->c<!--<![endif]-->"
	    "<![if !supportLists]>d<![endif]>e",
	    "abcde");
	/* empty comments and odd endings */
	check("1<!-->2<!--->3<!-- x --!>4<!---->5", "12345");
	/* CDATA, processing instructions, bogus comments */
	check("a<![CDATA[ x > y ]]>b<?xml:namespace prefix = o ?>c</ 1>d", "abcd");
	/* display:none and the hidden attribute (preview text, tracking) */
	check("<div style=\"display: none; max-height:0\">Preview text <b>here</b></div>"
	    "Body<span style=\"DISPLAY:NONE\">x<span>y</span>z</span> end"
	    "<p hidden>gone</p>",
	    "Body end");
	/* a <head> that is never closed ends where the body starts */
	check("<html><head><title>t</title><style>x</style>Hello</html>", "Hello");
	check("<head><meta name=x><body>Hi", "Hi");
}

static void
entities_named(void **state)
{
	check("&amp; &lt;tag&gt; &quot;q&quot; &apos;a&apos; x&nbsp;y",
	    "& <tag> \"q\" 'a' x y");
	check("&copy; &reg; &trade; &hellip; &mdash; &ndash; &euro; &pound; &yen; "
	    "&cent; &sect; &deg; &plusmn; &times; &divide; &middot; &bull;",
	    "© ® ™ … — – € £ ¥ ¢ § ° ± × ÷ · •");
	check("&lsquo;s&rsquo; &ldquo;d&rdquo; &laquo;g&raquo; &sbquo;&bdquo;",
	    "‘s’ “d” «g» ‚„");
	/* legacy names work without ';', others do not */
	check("&copy 2024 AT&T &amp &lt;b&gt &ccaron &notit; &bogus;",
	    "© 2024 AT&T & <b> &ccaron ¬it; &bogus;");
	/* in an attribute, "&copy=" is left alone (query strings) */
	check("<a href=\"https://e.com/?a=1&copy=2&amp;b=3\">x</a>",
	    "x <https://e.com/?a=1&copy=2&b=3>");
	/* names are case-sensitive */
	check("&Eacute;&eacute; &AMP; &Amp;", "Éé & &Amp;");
}

static void
entities_numeric(void **state)
{
	check("&#65;&#x42;&#X43;&#0068; &#8364;&#x20ac; &#x1F600;", "ABCD €€ 😀");
	/* invalid code points become U+FFFD */
	check("[&#0;][&#xD800;][&#x110000;][&#99999999999;]",
	    "[\xef\xbf\xbd][\xef\xbf\xbd][\xef\xbf\xbd][\xef\xbf\xbd]");
	/* 128..159 are Windows-1252 (HTML5) */
	check("&#150; &#147;q&#148; &#128; &#153;", "– “q” € ™");
	/* no digits: literal; missing ';' is fine */
	check("&#; &#x; &#65B &#x41G", "&#; &#x; AB AG");
}

static void
entities_czech(void **state)
{
	check("P&rcaron;&iacute;li&scaron; &zcaron;lu&tcaron;ou&ccaron;k&yacute; k&uring;&ncaron; "
	    "&uacute;p&ecaron;l &dcaron;&aacute;belsk&eacute; &oacute;dy",
	    "Příliš žluťoučký kůň úpěl ďábelské ódy");
	check("&Ccaron;&Scaron;&Zcaron;&Rcaron;&Ecaron;&Uring;&Dcaron;&Tcaron;&Ncaron;",
	    "ČŠŽŘĚŮĎŤŇ");
	/* Slovak, Polish, Hungarian */
	check("&lcaron;&lacute;&racute; &lstrok;&oacute;d&zacute; &aogon;&eogon;&sacute;&cacute;&nacute;&zdot; "
	    "&odblac;&udblac;&Odblac;&Udblac;",
	    "ľĺŕ łódź ąęśćńż őűŐŰ");
}

static void
zero_width_removed(void **state)
{
	check("a&#8203;b\xe2\x80\x8b" "c&shy;d\xc2\xad" "e&#xFEFF;f\xef\xbb\xbf" "g&#x2060;h",
	    "abcdefgh");
	/* but not the joiner inside emoji sequences */
	check("\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x92\xbb",
	    "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x92\xbb");
}

static void
bad_bytes(void **state)
{
	/* invalid UTF-8 becomes U+FFFD; NUL and controls are dropped */
	static const char in[] = "a\xff" "b\xc3" "c\0d\x01" "e\x7f";
	char *got = html_to_text(in, sizeof(in) - 1, OUT_MAX, NULL);

	assert_string_equal(got, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "cde");
	free(got);
	got = html_to_text(NULL, 0, OUT_MAX, NULL);
	assert_string_equal(got, "");
	free(got);
}

/* The shape Outlook (Word) writes a reply in. */
static const char outlook_reply[] =
	"<html xmlns:v=\"urn:schemas-microsoft-com:vml\" "
	"xmlns:o=\"urn:schemas-microsoft-com:office:office\" "
	"xmlns:w=\"urn:schemas-microsoft-com:office:word\" "
	"xmlns=\"http://www.w3.org/TR/REC-html40\">\r\n"
	"<head>\r\n<meta http-equiv=Content-Type content=\"text/html; charset=utf-8\">\r\n"
	"<meta name=Generator content=\"Microsoft Word 15 (filtered medium)\">\r\n"
	"<style><!--\r\n/* Font Definitions */\r\n@font-face\r\n\t{font-family:\"Cambria Math\";}\r\n"
	"p.MsoNormal, li.MsoNormal, div.MsoNormal\r\n\t{margin:0cm;\r\n\tfont-size:11.0pt;}\r\n"
	"--></style><!--[if gte mso 9]><xml>\r\n<o:shapedefaults v:ext=\"edit\" spidmax=\"1026\" />\r\n"
	"</xml><![endif]-->\r\n</head>\r\n"
	"<body lang=CS link=\"#0563C1\" vlink=\"#954F72\" style='word-wrap:break-word'>\r\n"
	"<div class=WordSection1>\r\n"
	"<p class=MsoNormal>Dobr&yacute; den,<o:p></o:p></p>\r\n"
	"<p class=MsoNormal><o:p>&nbsp;</o:p></p>\r\n"
	"<p class=MsoNormal>faktura st&aacute;le nedorazila. Pros&iacute;m o "
	"kontrolu.<o:p></o:p></p>\r\n"
	"<p class=MsoNormal>D&#283;kuji<o:p></o:p></p>\r\n"
	"<p class=MsoNormal><o:p>&nbsp;</o:p></p>\r\n"
	"<p class=MsoNormal><span style='mso-fareast-language:CS'>Jan Nov&aacute;k"
	"<o:p></o:p></span></p>\r\n"
	"<p class=MsoNormal><o:p>&nbsp;</o:p></p>\r\n"
	"<div id=divRplyFwdMsg>\r\n"
	"<div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'>\r\n"
	"<p class=MsoNormal><b>From:</b> Support &lt;support@example.com&gt; <br>\r\n"
	"<b>Sent:</b> Monday, March 4, 2024 10:15 AM<br>\r\n"
	"<b>To:</b> Jan Nov&aacute;k &lt;jan@example.cz&gt;<br>\r\n"
	"<b>Subject:</b> RE: [ACME #1042] Invoice<o:p></o:p></p>\r\n"
	"</div>\r\n</div>\r\n"
	"<p class=MsoNormal><o:p>&nbsp;</o:p></p>\r\n"
	"<p class=MsoNormal>Hello Jan,<o:p></o:p></p>\r\n"
	"<p class=MsoNormal>the invoice was sent on Friday.<o:p></o:p></p>\r\n"
	"</div>\r\n</body>\r\n</html>\r\n";

static void
outlook_desktop_reply(void **state)
{
	check(outlook_reply,
	    "Dobrý den,\n"
	    "\n"
	    "faktura stále nedorazila. Prosím o kontrolu.\n"
	    "Děkuji\n"
	    "\n"
	    "Jan Novák\n"
	    "\n"
	    "From: Support <support@example.com>\n"
	    "Sent: Monday, March 4, 2024 10:15 AM\n"
	    "To: Jan Novák <jan@example.cz>\n"
	    "Subject: RE: [ACME #1042] Invoice\n"
	    "\n"
	    "Hello Jan,\n"
	    "the invoice was sent on Friday.");
}

/* Outlook on the web: appendonsend, an <hr>, divRplyFwdMsg. */
static void
outlook_web_reply(void **state)
{
	check("<html><head><style type=\"text/css\" style=\"display:none;\"> P "
	    "{margin-top:0;margin-bottom:0;} </style></head><body dir=\"ltr\">"
	    "<div class=\"elementToProof\" style=\"font-family: Aptos; font-size: 12pt\">"
	    "Works now, thanks!</div><div id=\"appendonsend\"></div>"
	    "<hr style=\"display:inline-block;width:98%\" tabindex=\"-1\">"
	    "<div id=\"divRplyFwdMsg\" dir=\"ltr\"><font face=\"Calibri, sans-serif\" "
	    "style=\"font-size:11pt\" color=\"#000000\"><b>From:</b> Support "
	    "&lt;support@example.com&gt;<br><b>Sent:</b> Monday, March 4, 2024 10:15<br>"
	    "<b>To:</b> Bob &lt;bob@example.org&gt;<br><b>Subject:</b> Re: Login</font>"
	    "<div>&nbsp;</div></div><div><p>Hi Bob,</p><p>try again.</p></div></body></html>",
	    "Works now, thanks!\n"
	    "---\n"
	    "From: Support <support@example.com>\n"
	    "Sent: Monday, March 4, 2024 10:15\n"
	    "To: Bob <bob@example.org>\n"
	    "Subject: Re: Login\n"
	    "\n"
	    "Hi Bob,\n"
	    "\n"
	    "try again.");
}

static void
gmail_reply(void **state)
{
	check("<div dir=\"ltr\">Thanks, that fixed it.<div><br></div><div>Alice</div></div>"
	    "<br><div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">"
	    "On Mon, 4 Mar 2024 at 10:15, Support &lt;<a href=\"mailto:support@example.com\">"
	    "support@example.com</a>&gt; wrote:<br></div>"
	    "<blockquote class=\"gmail_quote\" style=\"margin:0px 0px 0px 0.8ex;"
	    "border-left:1px solid rgb(204,204,204);padding-left:1ex\">"
	    "<div dir=\"ltr\">Hello Alice,<div><br></div><div>Please restart the router "
	    "(see <a href=\"https://help.example.com/router\">this page</a>).</div></div>\n"
	    "</blockquote></div>\n",
	    "Thanks, that fixed it.\n"
	    "\n"
	    "Alice\n"
	    "\n"
	    "On Mon, 4 Mar 2024 at 10:15, Support <support@example.com> wrote:\n"
	    "\n"
	    "> Hello Alice,\n"
	    ">\n"
	    "> Please restart the router (see this page <https://help.example.com/router>).");
}

static void
malformed_html(void **state)
{
	/* unclosed tags everywhere */
	check("<p>one<p>two<div>three<ul><li>four", "one\n\ntwo\n\nthree\n\n- four");
	/* stray '<' and '>' */
	/* "<d" starts a tag (d, with attributes or, e and "<"), as in a browser */
	check("if a < b and c<d or e <= f > g", "if a < b and c g");
	check("1 < 2 > 0 <<x>> <3", "1 < 2 > 0 <> <3");
	/* unquoted attributes, '>' and quotes inside quoted values */
	check("<a href=https://e.com/a?b=c title=x>t1</a> "
	    "<a title=\"a > b\" href='https://e.com/\"q\"'>t2</a> "
	    "<img alt='x > y' src=a.png>",
	    "t1 <https://e.com/a?b=c> t2 <https://e.com/\"q\"> [x > y]");
	/* attributes without values, odd spacing, duplicates (the first wins) */
	check("<a  href = \"https://e.com/1\"  href=\"https://e.com/2\" download >x</a>",
	    "x <https://e.com/1>");
	/* a tag cut off by the end of the input is dropped */
	check("before<a href=\"https://e.com/", "before");
	check("before<div class=x", "before");
	check("before</", "before</");
	/* end tags that close nothing, misnested inline tags */
	check("</div></li></table>x<b><i>y</b>z</i>", "xyz");
	/* an end tag does not reach out of a table cell */
	check("<div><table><tr><td>a</div>b</td><td>c</td></tr></table>d</div>",
	    "ab | c\nd");
}

static void
truncation_at_character_boundary(void **state)
{
	/* "Příliš" is 9 bytes: P, ř (2), í (2), l, i, š (2) */
	const char *html = "<p>P&rcaron;&iacute;li&scaron;</p><p>more</p>";
	bool trunc = false;
	char *got;

	got = html_to_text(html, strlen(html), 2, &trunc);
	assert_string_equal(got, "P");	/* ř would not fit whole */
	assert_true(trunc);
	free(got);
	got = html_to_text(html, strlen(html), 7, &trunc);
	assert_string_equal(got, "Příli");
	assert_true(trunc);
	free(got);
	/* exactly enough: not truncated, even though layout was owed */
	got = html_to_text(html, strlen(html), 15, &trunc);
	assert_string_equal(got, "Příliš\n\nmore");
	assert_false(trunc);
	free(got);
	got = html_to_text(html, strlen(html), 14, &trunc);
	assert_string_equal(got, "Příliš\n\nmor");
	assert_true(trunc);
	free(got);
	/* the layout after the last text that fits is not left dangling */
	got = html_to_text("<blockquote><p>abc</p><p>def</p></blockquote>", 45, 7, &trunc);
	assert_string_equal(got, "> abc");
	assert_true(trunc);
	free(got);
	got = html_to_text("abc", 3, 0, &trunc);
	assert_string_equal(got, "");
	assert_true(trunc);
	free(got);
}

static void
hostile_input(void **state)
{
	char *in, *got;
	bool trunc;
	size_t n;

	/* 100,000 nested elements, closed again */
	in = repeat("<div>", 100000, "deep");
	n = strlen(in);
	in = realloc(in, n + 6 * 100000 + 6);
	assert_non_null(in);
	for (size_t i = 0; i < 100000; i++)
		memcpy(in + n + 6 * i, "</div>", 6);
	strcpy(in + n + 6 * 100000, "after");
	got = html_to_text(in, strlen(in), OUT_MAX, &trunc);
	assert_string_equal(got, "deep\nafter");
	free(got);
	free(in);

	/* 100,000 nested quotes: the prefix stops growing */
	in = repeat("<blockquote>", 100000, "x");
	got = html_to_text(in, strlen(in), OUT_MAX, &trunc);
	assert_int_equal(strlen(got), 32 * 2 + 1);
	assert_memory_equal(got, "> > > ", 6);
	assert_int_equal(got[64], 'x');
	free(got);
	free(in);

	/* nested lists: same */
	in = repeat("<ul><li>", 100000, "x");
	got = html_to_text(in, strlen(in), OUT_MAX, &trunc);
	assert_int_equal(strlen(got), 32 * 2 + 1);
	free(got);
	free(in);

	/* 10 MB of '<': all text */
	n = (size_t)10 << 20;
	in = malloc(n);
	assert_non_null(in);
	memset(in, '<', n);
	got = html_to_text(in, n, (size_t)16 << 20, &trunc);
	assert_int_equal(strlen(got), n);
	assert_false(trunc);
	free(got);
	/* ... and cut at the cap */
	got = html_to_text(in, n, 1000, &trunc);
	assert_int_equal(strlen(got), 1000);
	assert_true(trunc);
	free(got);

	/* unterminated comment, tag, attribute value over megabytes */
	memcpy(in, "ok<!--", 6);
	memset(in + 6, 'x', n - 6);
	got = html_to_text(in, n, OUT_MAX, &trunc);
	assert_string_equal(got, "ok");
	free(got);
	memcpy(in, "ok<a href=\"", 11);
	got = html_to_text(in, n, OUT_MAX, &trunc);
	assert_string_equal(got, "ok");
	free(got);
	memcpy(in, "ok<aaaa", 7);
	got = html_to_text(in, n, OUT_MAX, &trunc);
	assert_string_equal(got, "ok");
	free(got);
	memcpy(in, "ok<script>", 10);
	got = html_to_text(in, n, OUT_MAX, &trunc);
	assert_string_equal(got, "ok");
	free(got);
	/* a wall of '&' and of would-be entity names */
	memset(in, '&', n);
	got = html_to_text(in, n, (size_t)16 << 20, &trunc);
	assert_int_equal(strlen(got), n);
	free(got);
	in[0] = '&';
	memset(in + 1, 'a', n - 1);
	got = html_to_text(in, n, (size_t)16 << 20, &trunc);
	assert_int_equal(strlen(got), n);
	free(got);
	free(in);

	/* many tables and links opened, never closed: a row each */
	in = repeat("<table><tr><td><a href=x>y", 50000, "end");
	got = html_to_text(in, strlen(in), OUT_MAX, &trunc);
	n = 0;
	for (const char *p = got; (p = strchr(p, '\n')) != NULL; p++)
		n++;
	assert_int_equal(n, 50000 - 1);
	assert_memory_equal(got, "y <x>\ny <x>\n", 12);
	assert_string_equal(strrchr(got, '\n'), "\nyend <x>");
	free(got);
	free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(paragraphs_and_breaks),
		cmocka_unit_test(whitespace_collapses),
		cmocka_unit_test(pre_keeps_whitespace),
		cmocka_unit_test(headings),
		cmocka_unit_test(lists),
		cmocka_unit_test(links),
		cmocka_unit_test(images),
		cmocka_unit_test(tables),
		cmocka_unit_test(blockquotes),
		cmocka_unit_test(hidden_content_dropped),
		cmocka_unit_test(entities_named),
		cmocka_unit_test(entities_numeric),
		cmocka_unit_test(entities_czech),
		cmocka_unit_test(zero_width_removed),
		cmocka_unit_test(bad_bytes),
		cmocka_unit_test(outlook_desktop_reply),
		cmocka_unit_test(outlook_web_reply),
		cmocka_unit_test(gmail_reply),
		cmocka_unit_test(malformed_html),
		cmocka_unit_test(truncation_at_character_boundary),
		cmocka_unit_test(hostile_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
