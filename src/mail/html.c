/* html.c: see html.h.
 *
 * One pass, two stages, no tree:
 *   the tokenizer follows the states of the HTML5 tokenizer (data, tag
 *   open, end tag open, tag name, attribute name and value, comment, bogus
 *   comment, DOCTYPE, CDATA, RAWTEXT/RCDATA, character references) closely
 *   enough that malformed mail is split where a browser splits it;
 *   the renderer keeps a bounded stack of the open elements that change
 *   the layout and writes lines, owing newlines and spaces until the next
 *   visible text so that whitespace collapses as it does on screen.
 * Hostile input stays linear: every byte is looked at a bounded number of
 * times, scope checks use each element's topmost open frame instead of
 * walking the stack, and the stack and the line prefixes have caps (deeper
 * elements still break lines but are not tracked one by one). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postdesk/buf.h"
#include "postdesk/html.h"
#include "postdesk/utf8.h"
#include "postdesk/xalloc.h"

#define STACK_MAX 512		/* open elements tracked one by one */
#define PREFIX_MAX 32		/* "> " and list levels written per line */
#define TAGNAME_MAX 15		/* longer names are no element we know */
#define HREF_MAX 8192		/* longer links are shown as text only */
#define LINKTEXT_MAX HREF_MAX
#define ALT_MAX 1024
#define STYLE_MAX 2048
#define SMALL_ATTR_MAX 256	/* class, start, value */
#define ENTITY_NAME_MAX 32	/* the longest HTML5 name has 31 characters */
#define LEGACY_NAME_MAX 6	/* the longest name allowed without ';' */

/* What an element does; void and inline elements do nothing, and a few
 * are handled by name in r_start. F_BLOCK/F_PARA: a line break / a blank
 * line before and after; F_PCLOSE: closes an open <p> (HTML5 "close a p
 * element"); F_TRACK: gets a stack frame; F_HEADOK: may sit in <head>
 * without ending it; F_HIDE: its content is never shown; F_RAW/F_RCDATA:
 * the tokenizer reads its content as text up to its end tag (F_DROP: and
 * throws it away); F_PRE: whitespace kept; F_LIST: its items get markers.
 * Scopes (which end tags may close what) are the arrays default_scope... */
enum {
	F_BLOCK = 1 << 0, F_PARA = 1 << 1, F_PCLOSE = 1 << 2, F_TRACK = 1 << 3,
	F_HEADOK = 1 << 4, F_HIDE = 1 << 5, F_RAW = 1 << 6, F_RCDATA = 1 << 7,
	F_DROP = 1 << 8, F_PRE = 1 << 9, F_LIST = 1 << 10,
};
#define F_BLK (F_BLOCK | F_PCLOSE | F_TRACK)

/* Sorted by name: the enum value is the index in els[]. */
enum el {
	EL_A, EL_ADDRESS, EL_AREA, EL_ARTICLE, EL_ASIDE, EL_BASE, EL_BASEFONT,
	EL_BGSOUND, EL_BLOCKQUOTE, EL_BODY, EL_BR, EL_CAPTION, EL_CENTER,
	EL_COL, EL_DD, EL_DETAILS, EL_DIALOG, EL_DIR, EL_DIV, EL_DL, EL_DT,
	EL_EMBED, EL_FIELDSET, EL_FIGCAPTION, EL_FIGURE, EL_FOOTER, EL_FORM,
	EL_FRAME, EL_H1, EL_H2, EL_H3, EL_H4, EL_H5, EL_H6, EL_HEAD, EL_HEADER,
	EL_HGROUP, EL_HR, EL_HTML, EL_IFRAME, EL_IMG, EL_INPUT, EL_KEYGEN,
	EL_LEGEND, EL_LI, EL_LINK, EL_LISTING, EL_MAIN, EL_MENU, EL_META,
	EL_NAV, EL_NOEMBED, EL_NOFRAMES, EL_NOSCRIPT, EL_OL, EL_P, EL_PARAM,
	EL_PLAINTEXT, EL_PRE, EL_SCRIPT, EL_SEARCH, EL_SECTION, EL_SELECT,
	EL_SOURCE, EL_SPAN, EL_STYLE, EL_SUMMARY, EL_SVG, EL_TABLE, EL_TD,
	EL_TEMPLATE, EL_TEXTAREA, EL_TH, EL_TITLE, EL_TR, EL_TRACK, EL_UL,
	EL_WBR, EL_XMP,
	EL_COUNT	/* also: an element we do not know */
};

static const struct eldef {
	const char *name;
	unsigned int flags;
} els[EL_COUNT] = {
	[EL_A] = { "a", 0 },
	[EL_ADDRESS] = { "address", F_BLK },
	[EL_AREA] = { "area", 0 },
	[EL_ARTICLE] = { "article", F_BLK },
	[EL_ASIDE] = { "aside", F_BLK },
	[EL_BASE] = { "base", F_HEADOK },
	[EL_BASEFONT] = { "basefont", F_HEADOK },
	[EL_BGSOUND] = { "bgsound", F_HEADOK },
	[EL_BLOCKQUOTE] = { "blockquote", F_PARA | F_PCLOSE | F_TRACK },
	[EL_BODY] = { "body", 0 },
	[EL_BR] = { "br", 0 },
	[EL_CAPTION] = { "caption", F_BLOCK | F_TRACK },
	[EL_CENTER] = { "center", F_BLK },
	[EL_COL] = { "col", 0 },
	[EL_DD] = { "dd", F_BLK },
	[EL_DETAILS] = { "details", F_BLK },
	[EL_DIALOG] = { "dialog", F_BLK },
	[EL_DIR] = { "dir", F_BLK | F_LIST },
	[EL_DIV] = { "div", F_BLK },
	[EL_DL] = { "dl", F_PARA | F_PCLOSE | F_TRACK },
	[EL_DT] = { "dt", F_BLK },
	[EL_EMBED] = { "embed", 0 },
	[EL_FIELDSET] = { "fieldset", F_BLK },
	[EL_FIGCAPTION] = { "figcaption", F_BLK },
	[EL_FIGURE] = { "figure", F_PARA | F_PCLOSE | F_TRACK },
	[EL_FOOTER] = { "footer", F_BLK },
	[EL_FORM] = { "form", F_BLK },
	[EL_FRAME] = { "frame", 0 },
	[EL_H1] = { "h1", F_PARA | F_PCLOSE | F_TRACK },
	[EL_H2] = { "h2", F_PARA | F_PCLOSE | F_TRACK },
	[EL_H3] = { "h3", F_PARA | F_PCLOSE | F_TRACK },
	[EL_H4] = { "h4", F_PARA | F_PCLOSE | F_TRACK },
	[EL_H5] = { "h5", F_PARA | F_PCLOSE | F_TRACK },
	[EL_H6] = { "h6", F_PARA | F_PCLOSE | F_TRACK },
	[EL_HEAD] = { "head", F_TRACK | F_HIDE | F_HEADOK },
	[EL_HEADER] = { "header", F_BLK },
	[EL_HGROUP] = { "hgroup", F_BLK },
	[EL_HR] = { "hr", F_PCLOSE },
	[EL_HTML] = { "html", F_HEADOK },
	[EL_IFRAME] = { "iframe", F_RAW | F_DROP },
	[EL_IMG] = { "img", 0 },
	[EL_INPUT] = { "input", 0 },
	[EL_KEYGEN] = { "keygen", 0 },
	[EL_LEGEND] = { "legend", F_BLOCK | F_TRACK },
	[EL_LI] = { "li", F_BLK },
	[EL_LINK] = { "link", F_HEADOK },
	[EL_LISTING] = { "listing", F_PARA | F_PCLOSE | F_TRACK | F_PRE },
	[EL_MAIN] = { "main", F_BLK },
	[EL_MENU] = { "menu", F_BLK | F_LIST },
	[EL_META] = { "meta", F_HEADOK },
	[EL_NAV] = { "nav", F_BLK },
	[EL_NOEMBED] = { "noembed", F_RAW | F_DROP },
	[EL_NOFRAMES] = { "noframes", F_RAW | F_DROP | F_HEADOK },
	[EL_NOSCRIPT] = { "noscript", F_HEADOK },
	[EL_OL] = { "ol", F_BLK | F_LIST },
	[EL_P] = { "p", F_PARA | F_PCLOSE | F_TRACK },
	[EL_PARAM] = { "param", 0 },
	[EL_PLAINTEXT] = { "plaintext", F_PARA | F_PCLOSE | F_TRACK | F_PRE },
	[EL_PRE] = { "pre", F_PARA | F_PCLOSE | F_TRACK | F_PRE },
	[EL_SCRIPT] = { "script", F_RAW | F_DROP | F_HEADOK },
	[EL_SEARCH] = { "search", F_BLK },
	[EL_SECTION] = { "section", F_BLK },
	[EL_SELECT] = { "select", F_TRACK | F_HIDE },
	[EL_SOURCE] = { "source", 0 },
	[EL_SPAN] = { "span", 0 },
	[EL_STYLE] = { "style", F_RAW | F_DROP | F_HEADOK },
	[EL_SUMMARY] = { "summary", F_BLK },
	[EL_SVG] = { "svg", F_TRACK | F_HIDE },
	[EL_TABLE] = { "table", F_BLOCK | F_TRACK },
	[EL_TD] = { "td", F_TRACK },
	[EL_TEMPLATE] = { "template", F_TRACK | F_HIDE | F_HEADOK },
	[EL_TEXTAREA] = { "textarea", F_RCDATA | F_BLOCK | F_TRACK | F_PRE },
	[EL_TH] = { "th", F_TRACK },
	[EL_TITLE] = { "title", F_RCDATA | F_DROP | F_HEADOK },
	[EL_TR] = { "tr", F_BLOCK | F_TRACK },
	[EL_TRACK] = { "track", 0 },
	[EL_UL] = { "ul", F_BLK | F_LIST },
	[EL_WBR] = { "wbr", 0 },
	[EL_XMP] = { "xmp", F_RAW | F_PARA | F_PCLOSE | F_TRACK | F_PRE },
};

/* Named character references: the names and code points of the WHATWG
 * HTML table, those that map to one code point in the blocks mail uses
 * (ASCII punctuation, Latin-1, Latin Extended-A for Czech, Slovak, Polish
 * and Hungarian, Greek, general punctuation, currency, arrows and math of
 * HTML 4, a few symbols). legacy = also recognised without the ';'.
 * Sorted by strcmp for bsearch. */
static const struct entity {
	const char *name;
	uint32_t cp;
	int legacy;
} entities[] = {
	{"AElig", 0xc6, 1}, {"AMP", 0x26, 1}, {"Aacute", 0xc1, 1},
	{"Abreve", 0x102, 0}, {"Acirc", 0xc2, 1}, {"Agrave", 0xc0, 1},
	{"Alpha", 0x391, 0}, {"Amacr", 0x100, 0}, {"Aogon", 0x104, 0},
	{"ApplyFunction", 0x2061, 0}, {"Aring", 0xc5, 1}, {"Atilde", 0xc3, 1},
	{"Auml", 0xc4, 1}, {"Beta", 0x392, 0}, {"Breve", 0x2d8, 0},
	{"COPY", 0xa9, 1}, {"Cacute", 0x106, 0}, {"Ccaron", 0x10c, 0},
	{"Ccedil", 0xc7, 1}, {"Ccirc", 0x108, 0}, {"Cdot", 0x10a, 0},
	{"Cedilla", 0xb8, 0}, {"CenterDot", 0xb7, 0}, {"Chi", 0x3a7, 0},
	{"CirclePlus", 0x2295, 0}, {"CircleTimes", 0x2297, 0},
	{"CloseCurlyDoubleQuote", 0x201d, 0}, {"CloseCurlyQuote", 0x2019, 0},
	{"Congruent", 0x2261, 0}, {"Dagger", 0x2021, 0}, {"Dcaron", 0x10e, 0},
	{"Del", 0x2207, 0}, {"Delta", 0x394, 0},
	{"DiacriticalAcute", 0xb4, 0}, {"DiacriticalDot", 0x2d9, 0},
	{"DiacriticalDoubleAcute", 0x2dd, 0}, {"DiacriticalGrave", 0x60, 0},
	{"DiacriticalTilde", 0x2dc, 0}, {"Dot", 0xa8, 0},
	{"DoubleDot", 0xa8, 0}, {"DoubleDownArrow", 0x21d3, 0},
	{"DoubleLeftArrow", 0x21d0, 0}, {"DoubleLeftRightArrow", 0x21d4, 0},
	{"DoubleRightArrow", 0x21d2, 0}, {"DoubleUpArrow", 0x21d1, 0},
	{"DownArrow", 0x2193, 0}, {"Downarrow", 0x21d3, 0},
	{"Dstrok", 0x110, 0}, {"ENG", 0x14a, 0}, {"ETH", 0xd0, 1},
	{"Eacute", 0xc9, 1}, {"Ecaron", 0x11a, 0}, {"Ecirc", 0xca, 1},
	{"Edot", 0x116, 0}, {"Egrave", 0xc8, 1}, {"Element", 0x2208, 0},
	{"Emacr", 0x112, 0}, {"Eogon", 0x118, 0}, {"Epsilon", 0x395, 0},
	{"Eta", 0x397, 0}, {"Euml", 0xcb, 1}, {"Exists", 0x2203, 0},
	{"ForAll", 0x2200, 0}, {"GT", 0x3e, 1}, {"Gamma", 0x393, 0},
	{"Gbreve", 0x11e, 0}, {"Gcedil", 0x122, 0}, {"Gcirc", 0x11c, 0},
	{"Gdot", 0x120, 0}, {"GreaterEqual", 0x2265, 0}, {"Hacek", 0x2c7, 0},
	{"Hat", 0x5e, 0}, {"Hcirc", 0x124, 0}, {"Hstrok", 0x126, 0},
	{"IJlig", 0x132, 0}, {"Iacute", 0xcd, 1}, {"Icirc", 0xce, 1},
	{"Idot", 0x130, 0}, {"Ifr", 0x2111, 0}, {"Igrave", 0xcc, 1},
	{"Im", 0x2111, 0}, {"Imacr", 0x12a, 0}, {"Implies", 0x21d2, 0},
	{"Integral", 0x222b, 0}, {"InvisibleComma", 0x2063, 0},
	{"InvisibleTimes", 0x2062, 0}, {"Iogon", 0x12e, 0},
	{"Iota", 0x399, 0}, {"Itilde", 0x128, 0}, {"Iuml", 0xcf, 1},
	{"Jcirc", 0x134, 0}, {"Kappa", 0x39a, 0}, {"Kcedil", 0x136, 0},
	{"LT", 0x3c, 1}, {"Lacute", 0x139, 0}, {"Lambda", 0x39b, 0},
	{"Lcaron", 0x13d, 0}, {"Lcedil", 0x13b, 0},
	{"LeftAngleBracket", 0x27e8, 0}, {"LeftArrow", 0x2190, 0},
	{"LeftCeiling", 0x2308, 0}, {"LeftFloor", 0x230a, 0},
	{"LeftRightArrow", 0x2194, 0}, {"Leftarrow", 0x21d0, 0},
	{"Leftrightarrow", 0x21d4, 0}, {"Lmidot", 0x13f, 0},
	{"Lstrok", 0x141, 0}, {"MediumSpace", 0x205f, 0}, {"Mu", 0x39c, 0},
	{"Nacute", 0x143, 0}, {"Ncaron", 0x147, 0}, {"Ncedil", 0x145, 0},
	{"NegativeMediumSpace", 0x200b, 0}, {"NegativeThickSpace", 0x200b, 0},
	{"NegativeThinSpace", 0x200b, 0},
	{"NegativeVeryThinSpace", 0x200b, 0}, {"NewLine", 0xa, 0},
	{"NoBreak", 0x2060, 0}, {"NonBreakingSpace", 0xa0, 0},
	{"NotElement", 0x2209, 0}, {"NotEqual", 0x2260, 0},
	{"Ntilde", 0xd1, 1}, {"Nu", 0x39d, 0}, {"OElig", 0x152, 0},
	{"Oacute", 0xd3, 1}, {"Ocirc", 0xd4, 1}, {"Odblac", 0x150, 0},
	{"Ograve", 0xd2, 1}, {"Omacr", 0x14c, 0}, {"Omega", 0x3a9, 0},
	{"Omicron", 0x39f, 0}, {"OpenCurlyDoubleQuote", 0x201c, 0},
	{"OpenCurlyQuote", 0x2018, 0}, {"Oslash", 0xd8, 1},
	{"Otilde", 0xd5, 1}, {"Ouml", 0xd6, 1}, {"OverBar", 0x203e, 0},
	{"PartialD", 0x2202, 0}, {"Phi", 0x3a6, 0}, {"Pi", 0x3a0, 0},
	{"PlusMinus", 0xb1, 0}, {"Prime", 0x2033, 0}, {"Product", 0x220f, 0},
	{"Proportional", 0x221d, 0}, {"Psi", 0x3a8, 0}, {"QUOT", 0x22, 1},
	{"REG", 0xae, 1}, {"Racute", 0x154, 0}, {"Rcaron", 0x158, 0},
	{"Rcedil", 0x156, 0}, {"Re", 0x211c, 0},
	{"ReverseElement", 0x220b, 0}, {"Rfr", 0x211c, 0}, {"Rho", 0x3a1, 0},
	{"RightAngleBracket", 0x27e9, 0}, {"RightArrow", 0x2192, 0},
	{"RightCeiling", 0x2309, 0}, {"RightFloor", 0x230b, 0},
	{"Rightarrow", 0x21d2, 0}, {"Sacute", 0x15a, 0}, {"Scaron", 0x160, 0},
	{"Scedil", 0x15e, 0}, {"Scirc", 0x15c, 0},
	{"ShortDownArrow", 0x2193, 0}, {"ShortLeftArrow", 0x2190, 0},
	{"ShortRightArrow", 0x2192, 0}, {"ShortUpArrow", 0x2191, 0},
	{"Sigma", 0x3a3, 0}, {"Sqrt", 0x221a, 0}, {"SubsetEqual", 0x2286, 0},
	{"SuchThat", 0x220b, 0}, {"Sum", 0x2211, 0}, {"Superset", 0x2283, 0},
	{"SupersetEqual", 0x2287, 0}, {"THORN", 0xde, 1},
	{"TRADE", 0x2122, 0}, {"Tab", 0x9, 0}, {"Tau", 0x3a4, 0},
	{"Tcaron", 0x164, 0}, {"Tcedil", 0x162, 0}, {"Therefore", 0x2234, 0},
	{"Theta", 0x398, 0}, {"ThinSpace", 0x2009, 0}, {"Tilde", 0x223c, 0},
	{"TildeFullEqual", 0x2245, 0}, {"TildeTilde", 0x2248, 0},
	{"Tstrok", 0x166, 0}, {"Uacute", 0xda, 1}, {"Ubreve", 0x16c, 0},
	{"Ucirc", 0xdb, 1}, {"Udblac", 0x170, 0}, {"Ugrave", 0xd9, 1},
	{"Umacr", 0x16a, 0}, {"UnderBar", 0x5f, 0}, {"Uogon", 0x172, 0},
	{"UpArrow", 0x2191, 0}, {"UpTee", 0x22a5, 0}, {"Uparrow", 0x21d1, 0},
	{"Upsi", 0x3d2, 0}, {"Upsilon", 0x3a5, 0}, {"Uring", 0x16e, 0},
	{"Utilde", 0x168, 0}, {"Uuml", 0xdc, 1}, {"Verbar", 0x2016, 0},
	{"Vert", 0x2016, 0}, {"VerticalLine", 0x7c, 0},
	{"VeryThinSpace", 0x200a, 0}, {"Wcirc", 0x174, 0}, {"Xi", 0x39e, 0},
	{"Yacute", 0xdd, 1}, {"Ycirc", 0x176, 0}, {"Yuml", 0x178, 0},
	{"Zacute", 0x179, 0}, {"Zcaron", 0x17d, 0}, {"Zdot", 0x17b, 0},
	{"ZeroWidthSpace", 0x200b, 0}, {"Zeta", 0x396, 0},
	{"aacute", 0xe1, 1}, {"abreve", 0x103, 0}, {"acirc", 0xe2, 1},
	{"acute", 0xb4, 1}, {"aelig", 0xe6, 1}, {"af", 0x2061, 0},
	{"agrave", 0xe0, 1}, {"alefsym", 0x2135, 0}, {"aleph", 0x2135, 0},
	{"alpha", 0x3b1, 0}, {"amacr", 0x101, 0}, {"amp", 0x26, 1},
	{"and", 0x2227, 0}, {"ang", 0x2220, 0}, {"angle", 0x2220, 0},
	{"angst", 0xc5, 0}, {"aogon", 0x105, 0}, {"ap", 0x2248, 0},
	{"apos", 0x27, 0}, {"approx", 0x2248, 0}, {"aring", 0xe5, 1},
	{"ast", 0x2a, 0}, {"asymp", 0x2248, 0}, {"atilde", 0xe3, 1},
	{"auml", 0xe4, 1}, {"backprime", 0x2035, 0}, {"bdquo", 0x201e, 0},
	{"beta", 0x3b2, 0}, {"bigstar", 0x2605, 0}, {"bot", 0x22a5, 0},
	{"bottom", 0x22a5, 0}, {"bprime", 0x2035, 0}, {"breve", 0x2d8, 0},
	{"brvbar", 0xa6, 1}, {"bsemi", 0x204f, 0}, {"bsol", 0x5c, 0},
	{"bull", 0x2022, 0}, {"bullet", 0x2022, 0}, {"cacute", 0x107, 0},
	{"cap", 0x2229, 0}, {"caret", 0x2041, 0}, {"caron", 0x2c7, 0},
	{"ccaron", 0x10d, 0}, {"ccedil", 0xe7, 1}, {"ccirc", 0x109, 0},
	{"cdot", 0x10b, 0}, {"cedil", 0xb8, 1}, {"cent", 0xa2, 1},
	{"centerdot", 0xb7, 0}, {"check", 0x2713, 0},
	{"checkmark", 0x2713, 0}, {"chi", 0x3c7, 0}, {"circ", 0x2c6, 0},
	{"circledR", 0xae, 0}, {"clubs", 0x2663, 0}, {"clubsuit", 0x2663, 0},
	{"colon", 0x3a, 0}, {"comma", 0x2c, 0}, {"commat", 0x40, 0},
	{"cong", 0x2245, 0}, {"copy", 0xa9, 1}, {"copysr", 0x2117, 0},
	{"crarr", 0x21b5, 0}, {"cross", 0x2717, 0}, {"cup", 0x222a, 0},
	{"curren", 0xa4, 1}, {"dArr", 0x21d3, 0}, {"dagger", 0x2020, 0},
	{"darr", 0x2193, 0}, {"dash", 0x2010, 0}, {"dblac", 0x2dd, 0},
	{"dcaron", 0x10f, 0}, {"ddagger", 0x2021, 0}, {"deg", 0xb0, 1},
	{"delta", 0x3b4, 0}, {"diamondsuit", 0x2666, 0}, {"diams", 0x2666, 0},
	{"die", 0xa8, 0}, {"div", 0xf7, 0}, {"divide", 0xf7, 1},
	{"dollar", 0x24, 0}, {"dot", 0x2d9, 0}, {"downarrow", 0x2193, 0},
	{"dstrok", 0x111, 0}, {"eacute", 0xe9, 1}, {"ecaron", 0x11b, 0},
	{"ecirc", 0xea, 1}, {"edot", 0x117, 0}, {"egrave", 0xe8, 1},
	{"emacr", 0x113, 0}, {"empty", 0x2205, 0}, {"emptyset", 0x2205, 0},
	{"emptyv", 0x2205, 0}, {"emsp", 0x2003, 0}, {"emsp13", 0x2004, 0},
	{"emsp14", 0x2005, 0}, {"eng", 0x14b, 0}, {"ensp", 0x2002, 0},
	{"eogon", 0x119, 0}, {"epsi", 0x3b5, 0}, {"epsilon", 0x3b5, 0},
	{"equals", 0x3d, 0}, {"equiv", 0x2261, 0}, {"eta", 0x3b7, 0},
	{"eth", 0xf0, 1}, {"euml", 0xeb, 1}, {"euro", 0x20ac, 0},
	{"excl", 0x21, 0}, {"exist", 0x2203, 0}, {"female", 0x2640, 0},
	{"ffilig", 0xfb03, 0}, {"fflig", 0xfb00, 0}, {"ffllig", 0xfb04, 0},
	{"filig", 0xfb01, 0}, {"flat", 0x266d, 0}, {"fllig", 0xfb02, 0},
	{"fnof", 0x192, 0}, {"forall", 0x2200, 0}, {"frac12", 0xbd, 1},
	{"frac13", 0x2153, 0}, {"frac14", 0xbc, 1}, {"frac15", 0x2155, 0},
	{"frac16", 0x2159, 0}, {"frac18", 0x215b, 0}, {"frac23", 0x2154, 0},
	{"frac25", 0x2156, 0}, {"frac34", 0xbe, 1}, {"frac35", 0x2157, 0},
	{"frac38", 0x215c, 0}, {"frac45", 0x2158, 0}, {"frac56", 0x215a, 0},
	{"frac58", 0x215d, 0}, {"frac78", 0x215e, 0}, {"frasl", 0x2044, 0},
	{"gamma", 0x3b3, 0}, {"gbreve", 0x11f, 0}, {"gcirc", 0x11d, 0},
	{"gdot", 0x121, 0}, {"ge", 0x2265, 0}, {"geq", 0x2265, 0},
	{"grave", 0x60, 0}, {"gt", 0x3e, 1}, {"hArr", 0x21d4, 0},
	{"hairsp", 0x200a, 0}, {"half", 0xbd, 0}, {"harr", 0x2194, 0},
	{"hcirc", 0x125, 0}, {"hearts", 0x2665, 0}, {"heartsuit", 0x2665, 0},
	{"hellip", 0x2026, 0}, {"horbar", 0x2015, 0}, {"hstrok", 0x127, 0},
	{"hybull", 0x2043, 0}, {"hyphen", 0x2010, 0}, {"iacute", 0xed, 1},
	{"ic", 0x2063, 0}, {"icirc", 0xee, 1}, {"iexcl", 0xa1, 1},
	{"iff", 0x21d4, 0}, {"igrave", 0xec, 1}, {"ijlig", 0x133, 0},
	{"imacr", 0x12b, 0}, {"image", 0x2111, 0}, {"imagpart", 0x2111, 0},
	{"imath", 0x131, 0}, {"in", 0x2208, 0}, {"incare", 0x2105, 0},
	{"infin", 0x221e, 0}, {"inodot", 0x131, 0}, {"int", 0x222b, 0},
	{"iogon", 0x12f, 0}, {"iota", 0x3b9, 0}, {"iquest", 0xbf, 1},
	{"isin", 0x2208, 0}, {"isinv", 0x2208, 0}, {"it", 0x2062, 0},
	{"itilde", 0x129, 0}, {"iuml", 0xef, 1}, {"jcirc", 0x135, 0},
	{"kappa", 0x3ba, 0}, {"kcedil", 0x137, 0}, {"kgreen", 0x138, 0},
	{"lArr", 0x21d0, 0}, {"lacute", 0x13a, 0}, {"lambda", 0x3bb, 0},
	{"lang", 0x27e8, 0}, {"langle", 0x27e8, 0}, {"laquo", 0xab, 1},
	{"larr", 0x2190, 0}, {"lbrace", 0x7b, 0}, {"lbrack", 0x5b, 0},
	{"lcaron", 0x13e, 0}, {"lcedil", 0x13c, 0}, {"lceil", 0x2308, 0},
	{"lcub", 0x7b, 0}, {"ldquo", 0x201c, 0}, {"ldquor", 0x201e, 0},
	{"le", 0x2264, 0}, {"leftarrow", 0x2190, 0},
	{"leftrightarrow", 0x2194, 0}, {"leq", 0x2264, 0},
	{"lfloor", 0x230a, 0}, {"lmidot", 0x140, 0}, {"lowast", 0x2217, 0},
	{"lowbar", 0x5f, 0}, {"loz", 0x25ca, 0}, {"lozenge", 0x25ca, 0},
	{"lpar", 0x28, 0}, {"lrm", 0x200e, 0}, {"lsaquo", 0x2039, 0},
	{"lsqb", 0x5b, 0}, {"lsquo", 0x2018, 0}, {"lsquor", 0x201a, 0},
	{"lstrok", 0x142, 0}, {"lt", 0x3c, 1}, {"macr", 0xaf, 1},
	{"male", 0x2642, 0}, {"mdash", 0x2014, 0}, {"micro", 0xb5, 1},
	{"midast", 0x2a, 0}, {"middot", 0xb7, 1}, {"minus", 0x2212, 0},
	{"mldr", 0x2026, 0}, {"mu", 0x3bc, 0}, {"nabla", 0x2207, 0},
	{"nacute", 0x144, 0}, {"napos", 0x149, 0}, {"natur", 0x266e, 0},
	{"natural", 0x266e, 0}, {"nbsp", 0xa0, 1}, {"ncaron", 0x148, 0},
	{"ncedil", 0x146, 0}, {"ndash", 0x2013, 0}, {"ne", 0x2260, 0},
	{"ni", 0x220b, 0}, {"niv", 0x220b, 0}, {"nldr", 0x2025, 0},
	{"not", 0xac, 1}, {"notin", 0x2209, 0}, {"notinva", 0x2209, 0},
	{"nsub", 0x2284, 0}, {"ntilde", 0xf1, 1}, {"nu", 0x3bd, 0},
	{"num", 0x23, 0}, {"numero", 0x2116, 0}, {"numsp", 0x2007, 0},
	{"oacute", 0xf3, 1}, {"ocirc", 0xf4, 1}, {"odblac", 0x151, 0},
	{"oelig", 0x153, 0}, {"ogon", 0x2db, 0}, {"ograve", 0xf2, 1},
	{"ohm", 0x3a9, 0}, {"oline", 0x203e, 0}, {"omacr", 0x14d, 0},
	{"omega", 0x3c9, 0}, {"omicron", 0x3bf, 0}, {"oplus", 0x2295, 0},
	{"or", 0x2228, 0}, {"ordf", 0xaa, 1}, {"ordm", 0xba, 1},
	{"oslash", 0xf8, 1}, {"otilde", 0xf5, 1}, {"otimes", 0x2297, 0},
	{"ouml", 0xf6, 1}, {"para", 0xb6, 1}, {"part", 0x2202, 0},
	{"percnt", 0x25, 0}, {"period", 0x2e, 0}, {"permil", 0x2030, 0},
	{"perp", 0x22a5, 0}, {"pertenk", 0x2031, 0}, {"phi", 0x3c6, 0},
	{"phiv", 0x3d5, 0}, {"phone", 0x260e, 0}, {"pi", 0x3c0, 0},
	{"piv", 0x3d6, 0}, {"plus", 0x2b, 0}, {"plusmn", 0xb1, 1},
	{"pm", 0xb1, 0}, {"pound", 0xa3, 1}, {"prime", 0x2032, 0},
	{"prod", 0x220f, 0}, {"prop", 0x221d, 0}, {"propto", 0x221d, 0},
	{"psi", 0x3c8, 0}, {"puncsp", 0x2008, 0}, {"qprime", 0x2057, 0},
	{"quest", 0x3f, 0}, {"quot", 0x22, 1}, {"rArr", 0x21d2, 0},
	{"racute", 0x155, 0}, {"radic", 0x221a, 0}, {"rang", 0x27e9, 0},
	{"rangle", 0x27e9, 0}, {"raquo", 0xbb, 1}, {"rarr", 0x2192, 0},
	{"rbrace", 0x7d, 0}, {"rbrack", 0x5d, 0}, {"rcaron", 0x159, 0},
	{"rcedil", 0x157, 0}, {"rceil", 0x2309, 0}, {"rcub", 0x7d, 0},
	{"rdquo", 0x201d, 0}, {"rdquor", 0x201d, 0}, {"real", 0x211c, 0},
	{"realpart", 0x211c, 0}, {"reg", 0xae, 1}, {"rfloor", 0x230b, 0},
	{"rho", 0x3c1, 0}, {"rightarrow", 0x2192, 0}, {"ring", 0x2da, 0},
	{"rlm", 0x200f, 0}, {"rpar", 0x29, 0}, {"rsaquo", 0x203a, 0},
	{"rsqb", 0x5d, 0}, {"rsquo", 0x2019, 0}, {"rsquor", 0x2019, 0},
	{"sacute", 0x15b, 0}, {"sbquo", 0x201a, 0}, {"scaron", 0x161, 0},
	{"scedil", 0x15f, 0}, {"scirc", 0x15d, 0}, {"sdot", 0x22c5, 0},
	{"sect", 0xa7, 1}, {"semi", 0x3b, 0}, {"sharp", 0x266f, 0},
	{"shy", 0xad, 1}, {"sigma", 0x3c3, 0}, {"sigmaf", 0x3c2, 0},
	{"sigmav", 0x3c2, 0}, {"sim", 0x223c, 0}, {"slarr", 0x2190, 0},
	{"sol", 0x2f, 0}, {"spades", 0x2660, 0}, {"spadesuit", 0x2660, 0},
	{"srarr", 0x2192, 0}, {"star", 0x2606, 0}, {"starf", 0x2605, 0},
	{"straightphi", 0x3d5, 0}, {"strns", 0xaf, 0}, {"sub", 0x2282, 0},
	{"sube", 0x2286, 0}, {"subset", 0x2282, 0}, {"subseteq", 0x2286, 0},
	{"sum", 0x2211, 0}, {"sung", 0x266a, 0}, {"sup", 0x2283, 0},
	{"sup1", 0xb9, 1}, {"sup2", 0xb2, 1}, {"sup3", 0xb3, 1},
	{"supe", 0x2287, 0}, {"supset", 0x2283, 0}, {"supseteq", 0x2287, 0},
	{"szlig", 0xdf, 1}, {"tau", 0x3c4, 0}, {"tcaron", 0x165, 0},
	{"tcedil", 0x163, 0}, {"there4", 0x2234, 0}, {"therefore", 0x2234, 0},
	{"theta", 0x3b8, 0}, {"thetasym", 0x3d1, 0}, {"thetav", 0x3d1, 0},
	{"thickapprox", 0x2248, 0}, {"thicksim", 0x223c, 0},
	{"thinsp", 0x2009, 0}, {"thkap", 0x2248, 0}, {"thksim", 0x223c, 0},
	{"thorn", 0xfe, 1}, {"tilde", 0x2dc, 0}, {"times", 0xd7, 1},
	{"tprime", 0x2034, 0}, {"trade", 0x2122, 0}, {"tstrok", 0x167, 0},
	{"uArr", 0x21d1, 0}, {"uacute", 0xfa, 1}, {"uarr", 0x2191, 0},
	{"ubreve", 0x16d, 0}, {"ucirc", 0xfb, 1}, {"udblac", 0x171, 0},
	{"ugrave", 0xf9, 1}, {"umacr", 0x16b, 0}, {"uml", 0xa8, 1},
	{"uogon", 0x173, 0}, {"uparrow", 0x2191, 0}, {"upsi", 0x3c5, 0},
	{"upsih", 0x3d2, 0}, {"upsilon", 0x3c5, 0}, {"uring", 0x16f, 0},
	{"utilde", 0x169, 0}, {"uuml", 0xfc, 1}, {"varnothing", 0x2205, 0},
	{"varphi", 0x3d5, 0}, {"varpi", 0x3d6, 0}, {"varpropto", 0x221d, 0},
	{"varsigma", 0x3c2, 0}, {"vartheta", 0x3d1, 0}, {"vee", 0x2228, 0},
	{"verbar", 0x7c, 0}, {"vert", 0x7c, 0}, {"vprop", 0x221d, 0},
	{"wcirc", 0x175, 0}, {"wedge", 0x2227, 0}, {"weierp", 0x2118, 0},
	{"wp", 0x2118, 0}, {"xi", 0x3be, 0}, {"yacute", 0xfd, 1},
	{"ycirc", 0x177, 0}, {"yen", 0xa5, 1}, {"yuml", 0xff, 1},
	{"zacute", 0x17a, 0}, {"zcaron", 0x17e, 0}, {"zdot", 0x17c, 0},
	{"zeta", 0x3b6, 0}, {"zwj", 0x200d, 0}, {"zwnj", 0x200c, 0},
};

/* --- renderer ------------------------------------------------------------ */

struct frame {
	int prev;		/* the previous open frame of this element, or -1 */
	int prefix;		/* our entry in the prefix stack, or -1 */
	int counter;		/* lists: the number of the next item */
	unsigned char el;
	unsigned char margin;	/* newlines owed when it closes: 0, 1 or 2 */
	bool hidden;		/* it hides its content */
};

/* What starts each line inside blockquotes and list items. */
struct prefix {
	bool quote;		/* "> "; else a list item */
	bool done;		/* the item's marker is written: indent instead */
	unsigned char len;
	char marker[16];	/* "- " or "12. " */
	unsigned int serial;	/* tells two sibling blockquotes apart */
};

/* An attribute value we keep (others are skipped as they are read). */
struct attr {
	char *d;		/* borrowed: a buffer in struct tag */
	size_t cap;
	size_t len;
	bool set;		/* present (the first one wins, as in HTML5) */
	bool over;		/* longer than cap: cut */
};

struct tag {
	int el;			/* enum el; EL_COUNT when unknown */
	bool hidden_attr;	/* the boolean attribute "hidden" */
	char name[TAGNAME_MAX + 1];
	size_t name_len;
	bool name_long;
	struct attr href, alt, cls, style, start, value;
	char hrefb[HREF_MAX], altb[ALT_MAX], styleb[STYLE_MAX];
	char clsb[SMALL_ATTR_MAX], startb[SMALL_ATTR_MAX], valueb[SMALL_ATTR_MAX];
};

struct render {
	struct pd_buf out;	/* owned; capped at max_out */
	size_t line_start;	/* offset of the current line in out */
	size_t content_end;	/* end of the last visible text in out */
	bool line_open;		/* the current line's prefix is written */
	bool line_content;	/* the current line has visible text */
	bool any_content;
	bool prev_blank;	/* the last line ended was blank */
	bool full;		/* out is at its cap */
	bool truncated;		/* visible text did not fit */
	bool stop;		/* nothing more can be written: stop reading */

	/* Owed until the next visible text, so that they collapse. */
	int nl;			/* newlines (capped at 2 when written) */
	bool space;		/* one collapsed space */
	bool sep;		/* a table cell separator */
	bool nbsp_line;		/* a line holding only no-break spaces */

	struct frame stack[STACK_MAX];
	int depth;
	int top[EL_COUNT];	/* topmost open frame of each element, or -1 */
	unsigned int overflow[EL_COUNT];	/* open beyond STACK_MAX */
	int hidden;		/* open frames that hide their content */
	int pre;		/* open frames that keep whitespace */
	bool pre_first;		/* a newline right after <pre> is dropped */
	bool body_seen;		/* a later <head> is ignored */

	struct prefix pfx[PREFIX_MAX];
	int npfx;
	unsigned int serial;
	unsigned int line_quote[PREFIX_MAX];	/* quotes of the last line */
	int nline_quote;

	bool link;		/* inside <a> */
	bool href_ok;		/* it has a target worth showing */
	char href[3 * HREF_MAX + 1];	/* room for %XX escapes */
	char ltext[LINKTEXT_MAX];	/* the link's text as written */
	size_t ltext_len;
	bool ltext_over;
	size_t ltext_end;	/* where out ended after the last text */
};

static const unsigned char default_scope[] = {
	EL_TABLE, EL_TD, EL_TH, EL_CAPTION, EL_TEMPLATE, EL_SVG
};
static const unsigned char list_scope[] = {
	EL_TABLE, EL_TD, EL_TH, EL_CAPTION, EL_TEMPLATE, EL_SVG, EL_UL, EL_OL
};
static const unsigned char dl_scope[] = {
	EL_TABLE, EL_TD, EL_TH, EL_CAPTION, EL_TEMPLATE, EL_SVG, EL_DL
};
static const unsigned char table_scope[] = { EL_TABLE, EL_TEMPLATE };
static const unsigned char template_scope[] = { EL_TEMPLATE };

static bool
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static bool
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_alnum(unsigned char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Case-insensitive: does s (n bytes) start with the lower-case word w? */
static bool
starts_ci(const char *s, size_t n, const char *w)
{
	size_t i;

	for (i = 0; w[i] != '\0'; i++)
		if (i >= n || lower((unsigned char)s[i]) != (unsigned char)w[i])
			return false;
	return true;
}

/* Append to out; what does not fit is cut at a character boundary and
 * makes out full. Returns -1 when not everything was written. */
static int
out_put(struct render *r, const char *s, size_t n)
{
	size_t room;

	if (r->full)
		return -1;
	if (pd_buf_add(&r->out, s, n) == 0)
		return 0;
	room = r->out.max - r->out.len;
	while (room > 0 && ((unsigned char)s[room] & 0xc0) == 0x80)
		room--;
	(void)pd_buf_add(&r->out, s, room);
	r->full = true;
	return -1;
}

/* End the current line: trailing blanks go, and a blank line that follows
 * another blank line (or comes before any text) is dropped. */
static void
end_line(struct render *r)
{
	const char *d = r->out.data;
	size_t n = r->out.len;

	while (n > r->line_start && (d[n - 1] == ' ' || d[n - 1] == '\t'))
		n--;
	pd_buf_truncate(&r->out, n);
	if (!r->line_content) {
		if (r->prev_blank || !r->any_content) {
			pd_buf_truncate(&r->out, r->line_start);
			r->line_open = false;
			return;
		}
		r->prev_blank = true;
	} else
		r->prev_blank = false;
	(void)out_put(r, "\n", 1);
	r->line_start = r->out.len;
	r->line_open = false;
	r->line_content = false;
}

static const char spaces[] = "                ";	/* a marker's width */

/* Write the current prefixes: "> " per blockquote, a list item's marker
 * on its first line and as many spaces on the next ones. */
static void
start_line(struct render *r)
{
	r->nline_quote = 0;
	for (int i = 0; i < r->npfx; i++) {
		struct prefix *p = &r->pfx[i];

		if (p->quote) {
			(void)out_put(r, "> ", 2);
			r->line_quote[r->nline_quote++] = p->serial;
		} else if (!p->done) {
			(void)out_put(r, p->marker, p->len);
			p->done = true;
		} else
			(void)out_put(r, spaces, p->len);
	}
	r->line_open = true;
}

/* A blank line between two lines keeps the quote markers the two lines
 * share, so a quoted paragraph break stays inside the quote (">"). */
static void
blank_line(struct render *r)
{
	int k = 0;

	for (int i = 0; i < r->npfx; i++) {
		if (!r->pfx[i].quote) {
			(void)out_put(r, spaces, r->pfx[i].len);
			continue;
		}
		if (k >= r->nline_quote || r->line_quote[k] != r->pfx[i].serial)
			break;
		(void)out_put(r, "> ", 2);
		k++;
	}
	r->line_open = true;
	end_line(r);
}

/* Pay what is owed before the next text: newlines, or a space or a cell
 * separator on the current line. */
static void
flush(struct render *r)
{
	if (r->nl > 0) {
		end_line(r);	/* before any text, this drops the line */
		if (r->nl >= 2 && r->any_content)
			blank_line(r);
		r->nl = 0;
		r->space = r->sep = false;
	}
	if (!r->line_open)
		start_line(r);
	else if (r->sep && r->line_content)
		(void)out_put(r, " | ", 3);
	else if (r->space && r->line_content)
		(void)out_put(r, " ", 1);
	r->space = r->sep = false;
}

static void
link_capture(struct render *r, const char *s, size_t n)
{
	if (r->ltext_over || n > LINKTEXT_MAX - r->ltext_len) {
		r->ltext_over = true;
		return;
	}
	memcpy(r->ltext + r->ltext_len, s, n);
	r->ltext_len += n;
}

/* Visible text (never whitespace outside <pre>). */
static void
emit(struct render *r, const char *s, size_t n)
{
	bool gap = r->nl > 0 || r->space || r->sep;
	size_t before;

	if (r->full) {
		r->truncated = r->stop = true;
		return;
	}
	flush(r);
	if (r->link) {
		if (gap && r->ltext_len > 0)
			link_capture(r, " ", 1);
		link_capture(r, s, n);
	}
	before = r->out.len;
	if (out_put(r, s, n) < 0)
		r->truncated = r->stop = true;
	if (r->out.len > before)	/* not when only the layout fitted */
		r->content_end = r->out.len;
	r->ltext_end = r->out.len;
	r->line_content = r->any_content = true;
	r->nbsp_line = r->pre_first = false;
}

/* A space or tab inside <pre>: kept, but not visible text. */
static void
emit_pre_space(struct render *r, const char *sp)
{
	r->pre_first = false;
	if (r->full)
		return;
	flush(r);
	(void)out_put(r, sp, 1);
}

/* One more newline owed; more than two are never written. */
static void
nl_add(struct render *r)
{
	if (r->nl < 2)
		r->nl++;
}

/* A block starts or ends: the next text goes m lines further down
 * (1 = next line, 2 = after a blank line). */
static void
boundary(struct render *r, int m)
{
	if (m == 0 || r->hidden)
		return;
	/* A line of only &nbsp; is how Outlook writes an empty line. */
	if (r->nbsp_line) {
		nl_add(r);
		r->nbsp_line = false;
	}
	if (r->nl < m)
		r->nl = m;
}

static void
prefix_push(struct render *r, struct frame *f, bool quote, const char *marker)
{
	struct prefix *p;

	if (r->npfx == PREFIX_MAX)
		return;
	p = &r->pfx[r->npfx];
	p->quote = quote;
	p->done = false;
	p->serial = ++r->serial;
	if (quote)
		p->len = 2;
	else {
		size_t n = strlen(marker);

		p->len = (unsigned char)n;
		memcpy(p->marker, marker, n);
	}
	f->prefix = r->npfx++;
}

/* A small integer attribute ("start", "value"); def when absent or odd. */
static int
attr_int(const struct attr *a, int def)
{
	size_t i = 0;
	bool neg = false;
	long v = 0;

	if (!a->set)
		return def;
	while (i < a->len && is_ws((unsigned char)a->d[i]))
		i++;
	if (i < a->len && (a->d[i] == '-' || a->d[i] == '+'))
		neg = a->d[i++] == '-';
	if (i >= a->len || a->d[i] < '0' || a->d[i] > '9')
		return def;
	for (; i < a->len && a->d[i] >= '0' && a->d[i] <= '9'; i++)
		if ((v = v * 10 + (a->d[i] - '0')) > 999999)
			v = 999999;
	return (int)(neg ? -v : v);
}

/* Outlook's paragraphs (class="MsoNormal", "MsoListParagraph", ...) have
 * no margins: each is one line, and blank lines are &nbsp; paragraphs. */
static bool
class_mso(const struct attr *a)
{
	for (size_t i = 0; i < a->len; i++)
		if ((i == 0 || is_ws((unsigned char)a->d[i - 1])) &&
		    starts_ci(a->d + i, a->len - i, "mso"))
			return true;
	return false;
}

/* style="...display: none..." (newsletters' preview text, hidden parts). */
static bool
style_hidden(const struct attr *a)
{
	const char *s = a->d;
	size_t n = a->len;

	for (size_t i = 0; i < n; i++) {
		size_t j;

		if (!starts_ci(s + i, n - i, "display") ||
		    (i > 0 && (is_alnum((unsigned char)s[i - 1]) || s[i - 1] == '-')))
			continue;
		for (j = i + 7; j < n && is_ws((unsigned char)s[j]); j++)
			;
		if (j >= n || s[j] != ':')
			continue;
		for (j++; j < n && is_ws((unsigned char)s[j]); j++)
			;
		if (starts_ci(s + j, n - j, "none"))
			return true;
	}
	return false;
}

static bool
tag_hides(const struct tag *tg)
{
	return tg->hidden_attr || (tg->style.set && style_hidden(&tg->style));
}

/* --- links --- */

/* The href without whitespace and controls (browsers drop tabs and
 * newlines inside URLs), bytes that are not UTF-8 as %XX; false when
 * there is nothing worth showing. */
static bool
link_target(struct render *r, const struct attr *a)
{
	const unsigned char *u = (const unsigned char *)a->d;
	size_t n = 0, k;

	if (!a->set || a->over)
		return false;
	for (size_t i = 0; i < a->len; i += k) {
		k = 1;
		if (u[i] <= 0x20 || u[i] == 0x7f)
			continue;
		if (u[i] >= 0x80 && (k = utf8_seq_len(u + i, a->len - i)) == 0) {
			n += (size_t)snprintf(r->href + n, 4, "%%%02X", u[i]);
			k = 1;
			continue;
		}
		memcpy(r->href + n, u + i, k);
		n += k;
	}
	r->href[n] = '\0';
	if (n == 0 || r->href[0] == '#')
		return false;
	return !starts_ci(r->href, n, "javascript:") &&
	    !starts_ci(r->href, n, "vbscript:") && !starts_ci(r->href, n, "data:");
}

static void
link_start(struct render *r, const struct tag *tg)
{
	r->link = true;
	r->href_ok = link_target(r, &tg->href);
	r->ltext_len = 0;
	r->ltext_over = false;
}

/* s (n bytes) without a leading "http://", "https://" or "mailto:", a
 * mailto's "?subject=..." and one trailing '/'. */
static const char *
url_core(const char *s, size_t *n)
{
	static const char *const schemes[] = { "http://", "https://", "mailto:" };

	for (size_t i = 0; i < 3; i++) {
		size_t k = strlen(schemes[i]);

		if (starts_ci(s, *n, schemes[i])) {
			if (i == 2) {
				const char *q = memchr(s, '?', *n);

				if (q != NULL)
					*n = (size_t)(q - s);
			}
			s += k;
			*n -= k;
			break;
		}
	}
	if (*n > 0 && s[*n - 1] == '/')
		(*n)--;
	return s;
}

/* Does the link's text already say where it goes? Only the scheme, a
 * mailto's query and a final '/' may differ (and letter case), so a text
 * that names another host always gets the real URL beside it. */
static bool
same_target(const char *text, size_t tn, const char *href)
{
	size_t hn = strlen(href);
	const char *a, *b;

	a = url_core(text, &tn);
	b = url_core(href, &hn);
	if (tn != hn || tn == 0)
		return false;
	for (size_t i = 0; i < tn; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	return true;
}

static void
link_end(struct render *r)
{
	if (!r->link)
		return;
	r->link = false;
	if (!r->href_ok || r->hidden)
		return;
	if (r->ltext_len == 0) {
		/* A link without text (an image without alt): the URL alone. */
		emit(r, "<", 1);
		emit(r, r->href, strlen(r->href));
		emit(r, ">", 1);
		return;
	}
	if (!r->ltext_over && same_target(r->ltext, r->ltext_len, r->href))
		return;
	if (r->out.len != r->ltext_end) {
		/* Something was written after the text (<pre> spaces, lines):
		 * the URL follows as text of its own. */
		r->space = true;
		emit(r, "<", 1);
		emit(r, r->href, strlen(r->href));
		emit(r, ">", 1);
		return;
	}
	/* Right after the text, on its line, even when a block inside the
	 * link has made newlines owed: they stay owed. */
	if (r->full) {
		r->truncated = r->stop = true;
		return;
	}
	if (out_put(r, " <", 2) < 0 || out_put(r, r->href, strlen(r->href)) < 0 ||
	    out_put(r, ">", 1) < 0)
		r->truncated = r->stop = true;
	else
		r->content_end = r->out.len;
}

/* --- the stack of open elements --- */

static int
margin_of(int el)
{
	unsigned int f = els[el].flags;

	return f & F_PARA ? 2 : f & F_BLOCK ? 1 : 0;
}

/* Is el open, and not cut off by one of bounds opened after it? */
static bool
in_scope(const struct render *r, int el, const unsigned char *bounds, size_t nb)
{
	int i = r->top[el];

	if (i < 0)
		return false;
	for (size_t k = 0; k < nb; k++)
		if (bounds[k] != el && r->top[bounds[k]] > i)
			return false;
	return true;
}
#define IN_SCOPE(r, el, b) in_scope((r), (el), (b), sizeof(b))

static void
pop(struct render *r)
{
	struct frame *f = &r->stack[--r->depth];

	r->top[f->el] = f->prev;
	if (f->hidden)
		r->hidden--;
	else
		boundary(r, f->margin);
	if (f->prefix >= 0)
		r->npfx--;
	if (els[f->el].flags & F_PRE)
		r->pre--;
}

/* Close every element from the top down to frame i. */
static void
close_to(struct render *r, int i)
{
	while (i >= 0 && r->depth > i)
		pop(r);
}

/* The marker of a new list item, from the nearest open list. */
static void
item_marker(struct render *r, const struct tag *tg, char *buf, size_t size)
{
	static const unsigned char lists[] = { EL_DIR, EL_MENU, EL_OL, EL_UL };
	int li = -1;

	for (size_t i = 0; i < sizeof(lists); i++)
		if (r->top[lists[i]] > li)
			li = r->top[lists[i]];
	if (li >= 0 && r->stack[li].el == EL_OL) {
		int n = attr_int(&tg->value, r->stack[li].counter);

		r->stack[li].counter = n + 1;
		snprintf(buf, size, "%d. ", n);
	} else
		snprintf(buf, size, "- ");
}

static void
push(struct render *r, int el, const struct tag *tg)
{
	unsigned int fl = els[el].flags;
	struct frame *f;
	bool hide = (fl & F_HIDE) || tag_hides(tg);
	int margin = margin_of(el);

	if (el == EL_P && class_mso(&tg->cls))
		margin = 1;
	else if (fl & F_LIST)	/* a blank line around a list, not a nested one */
		margin = r->top[EL_LI] >= 0 ? 1 : 2;
	if (!hide)
		boundary(r, margin);
	if (r->depth == STACK_MAX) {
		r->overflow[el]++;
		return;
	}
	f = &r->stack[r->depth];
	f->el = (unsigned char)el;
	f->margin = (unsigned char)margin;
	f->hidden = hide;
	f->prefix = -1;
	f->counter = (fl & F_LIST) ? attr_int(&tg->start, 1) : 1;
	f->prev = r->top[el];
	r->top[el] = r->depth++;
	if (hide)
		r->hidden++;
	if (fl & F_PRE) {
		r->pre++;
		r->pre_first = true;
	}
	if (r->hidden)
		return;
	if (el == EL_BLOCKQUOTE)
		prefix_push(r, f, true, NULL);
	else if (el == EL_LI) {
		char marker[16];

		item_marker(r, tg, marker, sizeof(marker));
		prefix_push(r, f, false, marker);
	} else if ((el == EL_TD || el == EL_TH) && r->nl == 0 && r->line_content)
		r->sep = true;
}

/* --- tags --- */

static void
close_p(struct render *r)
{
	if (IN_SCOPE(r, EL_P, default_scope))
		close_to(r, r->top[EL_P]);
}

/* The topmost open element among first..last (enum order) in scope. */
static int
top_of(const struct render *r, int first, int last, const unsigned char *b,
    size_t nb)
{
	int best = -1;

	for (int el = first; el <= last; el++)
		if (r->top[el] > best && in_scope(r, el, b, nb))
			best = r->top[el];
	return best;
}

/* HTML5's implied end tags: a new item ends the previous one, and so on. */
static void
implied_ends(struct render *r, int el)
{
	switch (el) {
	case EL_LI:
		if (IN_SCOPE(r, EL_LI, list_scope))
			close_to(r, r->top[EL_LI]);
		break;
	case EL_DD:
	case EL_DT:
		close_to(r, top_of(r, EL_DD, EL_DD, dl_scope, sizeof(dl_scope)));
		close_to(r, top_of(r, EL_DT, EL_DT, dl_scope, sizeof(dl_scope)));
		break;
	case EL_TR:
		close_to(r, top_of(r, EL_TR, EL_TR, table_scope, sizeof(table_scope)));
		/* FALLTHROUGH */
	case EL_TD:
	case EL_TH:
		close_to(r, top_of(r, EL_TD, EL_TD, table_scope, sizeof(table_scope)));
		close_to(r, top_of(r, EL_TH, EL_TH, table_scope, sizeof(table_scope)));
		break;
	case EL_H1: case EL_H2: case EL_H3: case EL_H4: case EL_H5: case EL_H6:
		if (r->depth > 0 && r->stack[r->depth - 1].el >= EL_H1 &&
		    r->stack[r->depth - 1].el <= EL_H6)
			pop(r);
		break;
	default:
		break;
	}
}

static void
r_br(struct render *r)
{
	if (r->hidden)
		return;
	r->nbsp_line = false;
	nl_add(r);
}

static void r_text(struct render *r, const char *s, size_t n);

static void
r_img(struct render *r, const struct tag *tg)
{
	const char *a = tg->alt.d;
	size_t n = tg->alt.len;

	if (r->hidden || !tg->alt.set || tag_hides(tg))
		return;
	while (n > 0 && is_ws((unsigned char)a[n - 1]))
		n--;
	while (n > 0 && is_ws((unsigned char)*a)) {
		a++;
		n--;
	}
	if (n == 0)
		return;
	emit(r, "[", 1);
	r_text(r, a, n);
	emit(r, "]", 1);
}

static void
r_start(struct render *r, const struct tag *tg)
{
	int el = tg->el;
	unsigned int fl = el < EL_COUNT ? els[el].flags : 0;

	/* Anything that cannot sit in <head> starts the body. */
	if (!(fl & F_HEADOK)) {
		close_to(r, r->top[EL_HEAD]);
		r->body_seen = true;
	}
	switch (el) {
	case EL_HEAD:
		if (!r->body_seen && !r->any_content && r->top[EL_HEAD] < 0)
			push(r, el, tg);
		return;
	case EL_A:
		link_end(r);	/* links do not nest */
		if (!r->hidden)
			link_start(r, tg);
		return;
	case EL_BR:
		r_br(r);
		return;
	case EL_IMG:
		r_img(r, tg);
		return;
	case EL_HR:
		close_p(r);
		if (!r->hidden) {
			boundary(r, 1);
			emit(r, "---", 3);
			boundary(r, 1);
		}
		return;
	case EL_SPAN:
		/* Spans are tracked only to find where a hidden one ends. */
		if (tag_hides(tg) || r->top[EL_SPAN] >= 0)
			push(r, el, tg);
		return;
	default:
		break;
	}
	if (!(fl & F_TRACK))
		return;
	if (fl & F_PCLOSE)
		close_p(r);
	implied_ends(r, el);
	push(r, el, tg);
}

static void
r_end(struct render *r, const struct tag *tg)
{
	int el = tg->el, i = -1;

	switch (el) {
	case EL_A:
		link_end(r);
		return;
	case EL_BR:	/* </br> is a <br> (HTML5) */
		r_br(r);
		return;
	case EL_P:	/* a stray </p> is an empty paragraph */
		if (!IN_SCOPE(r, EL_P, default_scope) && r->overflow[EL_P] == 0) {
			boundary(r, 2);
			return;
		}
		break;
	case EL_H1: case EL_H2: case EL_H3: case EL_H4: case EL_H5: case EL_H6:
		/* </h2> closes whichever heading is open */
		if (r->overflow[el] == 0) {
			close_to(r, top_of(r, EL_H1, EL_H6, default_scope,
			    sizeof(default_scope)));
			return;
		}
		break;
	case EL_SPAN:
		if (IN_SCOPE(r, EL_SPAN, default_scope))
			close_to(r, r->top[EL_SPAN]);
		return;
	default:
		break;
	}
	if (el == EL_COUNT || !(els[el].flags & F_TRACK))
		return;
	if (r->overflow[el] > 0) {
		/* Opened beyond the stack's cap: assume this closes it. */
		r->overflow[el]--;
		boundary(r, margin_of(el));
		return;
	}
	if (el == EL_TD || el == EL_TH || el == EL_TR || el == EL_CAPTION) {
		if (IN_SCOPE(r, el, table_scope))
			i = r->top[el];
	} else if (el == EL_TABLE || el == EL_TEMPLATE) {
		if (IN_SCOPE(r, el, template_scope))
			i = r->top[el];
	} else if (el == EL_LI) {
		if (IN_SCOPE(r, el, list_scope))
			i = r->top[el];
	} else if (IN_SCOPE(r, el, default_scope))
		i = r->top[el];
	close_to(r, i);
}

/* --- text --- */

/* Bytes of the ordinary character at s, or 0 for whitespace, controls,
 * invalid UTF-8, no-break space and the invisible characters dropped
 * (soft hyphen, zero-width space, word joiner, BOM). */
static size_t
ordinary_len(const unsigned char *s, size_t n)
{
	size_t k;

	if (s[0] < 0x80)
		return s[0] > 0x20 && s[0] < 0x7f;
	k = utf8_seq_len(s, n);
	if (k == 2 && s[0] == 0xc2 && (s[1] < 0xa0 || s[1] == 0xa0 || s[1] == 0xad))
		return 0;	/* C1 controls, U+00A0, U+00AD */
	if (k == 3 && ((s[0] == 0xe2 && s[1] == 0x80 && s[2] == 0x8b) ||
	    (s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0xa0) ||
	    (s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf)))
		return 0;	/* U+200B, U+2060, U+FEFF */
	return k;
}

static void
text_nbsp(struct render *r)
{
	if (r->pre)
		emit_pre_space(r, " ");
	else if (r->nl > 0 || !r->line_content)
		r->nbsp_line = true;
	else
		r->space = true;
}

/* Whitespace at s[*i]: collapsed, or kept inside <pre>. */
static void
text_ws(struct render *r, const char *s, size_t n, size_t *i)
{
	unsigned char c = (unsigned char)s[(*i)++];

	if (!r->pre) {
		r->space = true;
		return;
	}
	if (c == '\r') {
		if (*i < n && s[*i] == '\n')
			return;	/* CR LF: the LF counts */
		c = '\n';
	}
	if (c != '\n')
		emit_pre_space(r, c == '\t' ? "\t" : " ");
	else if (r->pre_first)
		r->pre_first = false;
	else {
		r->nbsp_line = false;
		nl_add(r);
	}
}

static bool
all_ws(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_ws((unsigned char)s[i]))
			return false;
	return true;
}

static void
r_text(struct render *r, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	if (r->top[EL_HEAD] >= 0) {
		if (all_ws(s, n))
			return;
		close_to(r, r->top[EL_HEAD]);	/* text starts the body */
		r->body_seen = true;
	}
	if (r->hidden)
		return;
	while (i < n && !r->stop) {
		size_t j = i, k;

		while (j < n && (k = ordinary_len(u + j, n - j)) > 0)
			j += k;
		if (j > i) {
			emit(r, s + i, j - i);
			i = j;
		} else if (is_ws(u[i]))
			text_ws(r, s, n, &i);
		else if (u[i] < 0x80)
			i++;	/* C0 controls and DEL: dropped */
		else if ((k = utf8_seq_len(u + i, n - i)) == 0) {
			emit(r, "\xef\xbf\xbd", 3);
			i++;
		} else {
			if (k == 2 && u[i] == 0xc2 && u[i + 1] == 0xa0)
				text_nbsp(r);
			i += k;	/* else invisible: dropped */
		}
	}
}

/* Encode cp (a valid scalar value) as UTF-8 into b; returns the length. */
static size_t
utf8_put(uint32_t cp, char *b)
{
	if (cp < 0x80) {
		b[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	b[0] = (char)(0xf0 | (cp >> 18));
	b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	b[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* --- tokenizer ----------------------------------------------------------- */

struct tok {
	const char *s;		/* borrowed: the caller's HTML */
	size_t len;
	struct render *r;
	struct tag *tag;	/* the tag being read; reused */
	struct attr *cur;	/* the attribute value being read, or NULL */
};

/* &#128;..&#159; mean Windows-1252 characters (HTML5); 0 = none. */
static const uint16_t c1_1252[32] = {
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
};

struct name_key {
	const char *s;		/* not NUL-terminated; may hold NULs */
	size_t n;
};

/* bsearch comparison of a name_key with a struct that starts with a
 * const char *name (struct entity, struct eldef). */
static int
name_cmp(const void *key, const void *elem)
{
	const struct name_key *k = key;
	const char *name = *(const char *const *)elem;
	size_t m = strlen(name);
	int c = memcmp(k->s, name, k->n < m ? k->n : m);

	if (c != 0)
		return c;
	return k->n < m ? -1 : k->n > m;
}

static const struct entity *
entity_find(const char *s, size_t n)
{
	struct name_key k = { s, n };

	return bsearch(&k, entities, sizeof(entities) / sizeof(entities[0]),
	    sizeof(entities[0]), name_cmp);
}

static int
element_find(const char *s, size_t n)
{
	struct name_key k = { s, n };
	const struct eldef *e = bsearch(&k, els, EL_COUNT, sizeof(els[0]), name_cmp);

	return e == NULL ? EL_COUNT : (int)(e - els);
}

/* &#NNN; or &#xHH; at s[i] ('&'); the ';' may be missing. */
static size_t
numeric_ref(const char *s, size_t i, size_t end, uint32_t *cp)
{
	size_t j = i + 2, d0;
	bool hex = false;
	uint32_t v = 0;

	if (j < end && (s[j] == 'x' || s[j] == 'X')) {
		hex = true;
		j++;
	}
	for (d0 = j; j < end; j++) {
		unsigned char c = (unsigned char)s[j];
		int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (hex && lower(c) >= 'a' && lower(c) <= 'f')
			d = lower(c) - 'a' + 10;
		else
			break;
		if (v <= 0x10ffff)
			v = v * (hex ? 16 : 10) + (uint32_t)d;
	}
	if (j == d0)
		return 0;
	if (j < end && s[j] == ';')
		j++;
	if (v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		v = 0xfffd;
	else if (v >= 0x80 && v <= 0x9f && c1_1252[v - 0x80] != 0)
		v = c1_1252[v - 0x80];
	*cp = v;
	return j - i;
}

/* A character reference at s[i] ('&'), not looking at or past end.
 * Returns the bytes it takes and sets *cp, or 0: a literal '&'. As in
 * HTML5, the legacy names also match without ';' ("&copy 2024",
 * "&notit;" is "¬it;"), except inside an attribute value when a letter,
 * digit or '=' follows ("?a=1&copy=2" stays as it is). */
static size_t
char_ref(const char *s, size_t i, size_t end, bool in_attr, uint32_t *cp)
{
	const struct entity *e;
	size_t j = i + 1, n = 0;

	if (j < end && s[j] == '#')
		return numeric_ref(s, i, end, cp);
	while (j + n < end && n < ENTITY_NAME_MAX && is_alnum((unsigned char)s[j + n]))
		n++;
	if (n == 0)
		return 0;
	if (j + n < end && s[j + n] == ';' && (e = entity_find(s + j, n)) != NULL) {
		*cp = e->cp;
		return n + 2;
	}
	for (size_t k = n < LEGACY_NAME_MAX ? n : LEGACY_NAME_MAX; k >= 2; k--) {
		e = entity_find(s + j, k);
		if (e == NULL || !e->legacy)
			continue;
		if (in_attr && j + k < end &&
		    (s[j + k] == '=' || is_alnum((unsigned char)s[j + k])))
			return 0;
		*cp = e->cp;
		return k + 1;
	}
	return 0;
}

/* Text s[a..b) to the renderer, with character references decoded when
 * refs (data and RCDATA; not RAWTEXT). */
static void
tok_text(struct tok *t, size_t a, size_t b, bool refs)
{
	const char *s = t->s, *amp;
	size_t pos = a, e, k;
	uint32_t cp;
	char u[4];

	/* s[a..pos) is literal text not handed over yet: an '&' that starts
	 * no reference stays in it, so "&&&&" costs one call. */
	while (refs && pos < b && (amp = memchr(s + pos, '&', b - pos)) != NULL) {
		e = (size_t)(amp - s);
		if ((k = char_ref(s, e, b, false, &cp)) == 0) {
			pos = e + 1;
			continue;
		}
		if (e > a)
			r_text(t->r, s + a, e - a);
		r_text(t->r, u, utf8_put(cp, u));
		if (t->r->stop)
			return;
		a = pos = e + k;
	}
	if (b > a)
		r_text(t->r, s + a, b - a);
}

static void
attr_add(struct attr *a, const char *s, size_t n)
{
	if (a == NULL || a->over || n == 0)
		return;
	if (n > a->cap - a->len) {
		n = a->cap - a->len;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		a->over = true;
	}
	memcpy(a->d + a->len, s, n);
	a->len += n;
}

/* The attribute we keep under this name, or NULL. */
static struct attr *
attr_pick(struct tag *tg, const char *name, size_t n)
{
	static const struct {
		const char *name;
		size_t off;
	} kept[] = {
		{ "href", offsetof(struct tag, href) },
		{ "alt", offsetof(struct tag, alt) },
		{ "class", offsetof(struct tag, cls) },
		{ "style", offsetof(struct tag, style) },
		{ "start", offsetof(struct tag, start) },
		{ "value", offsetof(struct tag, value) },
	};

	if (n == 6 && starts_ci(name, n, "hidden")) {
		tg->hidden_attr = true;
		return NULL;
	}
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		struct attr *a = (struct attr *)(void *)((char *)tg + kept[i].off);

		if (n != strlen(kept[i].name) || !starts_ci(name, n, kept[i].name))
			continue;
		if (a->set)
			return NULL;	/* the first one wins */
		a->set = true;
		return a;
	}
	return NULL;
}

/* An attribute value from s[j] up to the quote q (or, unquoted, up to
 * whitespace or '>'); returns where it stopped. */
static size_t
attr_value(struct tok *t, size_t j, char q)
{
	const char *s = t->s;
	size_t a = j, k;
	uint32_t cp;
	char u[4];

	for (; j < t->len; j++) {
		char c = s[j];

		if (q != 0 ? c == q : (is_ws((unsigned char)c) || c == '>'))
			break;
		if (c != '&')
			continue;
		attr_add(t->cur, s + a, j - a);
		a = j;
		if ((k = char_ref(s, j, t->len, true, &cp)) > 0) {
			attr_add(t->cur, u, utf8_put(cp, u));
			j += k - 1;
			a = j + 1;
		}
	}
	attr_add(t->cur, s + a, j - a);
	return j;
}

static void
tag_reset(struct tag *tg)
{
	struct attr *as[] = {
		&tg->href, &tg->alt, &tg->cls, &tg->style, &tg->start, &tg->value
	};

	tg->el = EL_COUNT;
	tg->hidden_attr = false;
	tg->name_len = 0;
	tg->name_long = false;
	for (size_t i = 0; i < sizeof(as) / sizeof(as[0]); i++) {
		as[i]->len = 0;
		as[i]->set = as[i]->over = false;
	}
}

static size_t tok_raw(struct tok *t, size_t j, int el);

/* A start or end tag whose name starts at s[j]. A tag cut off by the end
 * of the input is dropped, as in HTML5. */
static size_t
tok_tag(struct tok *t, size_t j, bool end)
{
	const char *s = t->s;
	size_t len = t->len;
	struct tag *tg = t->tag;

	tag_reset(tg);
	for (; j < len && !is_ws((unsigned char)s[j]) && s[j] != '/' && s[j] != '>'; j++) {
		if (tg->name_len < TAGNAME_MAX)
			tg->name[tg->name_len++] = (char)lower((unsigned char)s[j]);
		else
			tg->name_long = true;
	}
	for (;;) {
		size_t a;

		while (j < len && (is_ws((unsigned char)s[j]) || s[j] == '/'))
			j++;
		if (j >= len)
			return len;
		if (s[j] == '>') {
			j++;
			break;
		}
		/* The name; its first character may be anything, even '='. */
		for (a = j++; j < len && !is_ws((unsigned char)s[j]) && s[j] != '/' &&
		    s[j] != '>' && s[j] != '='; j++)
			;
		t->cur = end ? NULL : attr_pick(tg, s + a, j - a);
		while (j < len && is_ws((unsigned char)s[j]))
			j++;
		if (j >= len)
			return len;
		if (s[j] != '=')
			continue;
		for (j++; j < len && is_ws((unsigned char)s[j]); j++)
			;
		if (j < len && (s[j] == '"' || s[j] == '\'')) {
			j = attr_value(t, j + 1, s[j]);
			if (j < len)
				j++;
		} else if (j < len && s[j] != '>')
			j = attr_value(t, j, 0);
	}
	tg->el = tg->name_long ? EL_COUNT : element_find(tg->name, tg->name_len);
	if (end) {
		r_end(t->r, tg);
		return j;
	}
	r_start(t->r, tg);
	if (tg->el < EL_COUNT && (els[tg->el].flags & (F_RAW | F_RCDATA)))
		j = tok_raw(t, j, tg->el);
	return j;
}

/* The content of <script>, <style>, <title>, <textarea>, <xmp>...: text
 * up to "</name" followed by whitespace, '/' or '>'. */
static size_t
tok_raw(struct tok *t, size_t j, int el)
{
	const char *s = t->s, *name = els[el].name;
	size_t len = t->len, n = strlen(name), k = j;
	bool show = !(els[el].flags & F_DROP), refs = els[el].flags & F_RCDATA;
	const char *p;

	while ((p = memchr(s + k, '<', len - k)) != NULL) {
		k = (size_t)(p - s);
		if (k + 2 + n < len && s[k + 1] == '/' &&
		    starts_ci(s + k + 2, n, name) &&
		    (is_ws((unsigned char)s[k + 2 + n]) || s[k + 2 + n] == '/' ||
		    s[k + 2 + n] == '>')) {
			if (show)
				tok_text(t, j, k, refs);
			return tok_tag(t, k + 2, true);
		}
		k++;
	}
	if (show)
		tok_text(t, j, len, refs);
	return len;
}

static size_t
skip_to_gt(const struct tok *t, size_t j)
{
	const char *p = j < t->len ? memchr(t->s + j, '>', t->len - j) : NULL;

	return p != NULL ? (size_t)(p - t->s) + 1 : t->len;
}

/* A comment after "<!--": up to "-->" or "--!>"; "<!-->" and "<!--->"
 * are empty comments; an unterminated one runs to the end. */
static size_t
tok_comment(const struct tok *t, size_t j)
{
	const char *s = t->s, *p;
	size_t len = t->len;

	if (j < len && s[j] == '>')
		return j + 1;
	if (j + 1 < len && s[j] == '-' && s[j + 1] == '>')
		return j + 2;
	while (j < len && (p = memchr(s + j, '-', len - j)) != NULL) {
		j = (size_t)(p - s);
		if (j + 2 < len && s[j + 1] == '-' && s[j + 2] == '>')
			return j + 3;
		if (j + 3 < len && s[j + 1] == '-' && s[j + 2] == '!' && s[j + 3] == '>')
			return j + 4;
		j++;
	}
	return len;
}

/* After "<!": a comment, CDATA (dropped, as a browser shows nothing of
 * it in HTML), or a bogus comment up to '>' (DOCTYPE, Outlook's
 * "<![if !mso]>" and "<![endif]>"). */
static size_t
tok_markup(const struct tok *t, size_t j)
{
	const char *s = t->s, *p;
	size_t len = t->len;

	if (j + 1 < len && s[j] == '-' && s[j + 1] == '-')
		return tok_comment(t, j + 2);
	if (len - j >= 7 && memcmp(s + j, "[CDATA[", 7) == 0) {
		p = memmem(s + j + 7, len - j - 7, "]]>", 3);
		return p != NULL ? (size_t)(p - s) + 3 : len;
	}
	return skip_to_gt(t, j);
}

/* At a '<'. */
static size_t
tok_lt(struct tok *t, size_t i)
{
	const char *s = t->s;
	size_t len = t->len;
	unsigned char c = i + 1 < len ? (unsigned char)s[i + 1] : 0;
	size_t n;

	if (c == '!')
		return tok_markup(t, i + 2);
	if (c == '?')	/* <?xml ...> and Word's <?xml:namespace ...> */
		return skip_to_gt(t, i + 2);
	if (is_alpha(c))
		return tok_tag(t, i + 1, false);
	if (c == '/') {
		c = i + 2 < len ? (unsigned char)s[i + 2] : 0;
		if (is_alpha(c))
			return tok_tag(t, i + 2, true);
		if (c == '>')
			return i + 3;	/* "</>" is nothing */
		if (i + 2 >= len) {
			r_text(t->r, "</", 2);
			return len;
		}
		return skip_to_gt(t, i + 2);
	}
	/* "a < b": text. Of a run "<<<<", all but the last are text. */
	for (n = 1; i + n < len && s[i + n] == '<'; n++)
		;
	if (n > 1)
		n--;
	r_text(t->r, s + i, n);
	return i + n;
}

static void
tokenize(struct tok *t)
{
	size_t i = 0;

	while (i < t->len && !t->r->stop) {
		const char *lt = memchr(t->s + i, '<', t->len - i);
		size_t e = lt != NULL ? (size_t)(lt - t->s) : t->len;

		if (e > i)
			tok_text(t, i, e, true);
		if (lt == NULL)
			break;
		i = tok_lt(t, e);
	}
}

static void
tag_init(struct tag *tg)
{
	tg->href = (struct attr){ .d = tg->hrefb, .cap = sizeof(tg->hrefb) };
	tg->alt = (struct attr){ .d = tg->altb, .cap = sizeof(tg->altb) };
	tg->cls = (struct attr){ .d = tg->clsb, .cap = sizeof(tg->clsb) };
	tg->style = (struct attr){ .d = tg->styleb, .cap = sizeof(tg->styleb) };
	tg->start = (struct attr){ .d = tg->startb, .cap = sizeof(tg->startb) };
	tg->value = (struct attr){ .d = tg->valueb, .cap = sizeof(tg->valueb) };
}

char *
html_to_text(const char *html, size_t len, size_t max_out, bool *truncated_r)
{
	struct render *r = xcalloc(1, sizeof(*r));	/* freed below */
	struct tag *tg = xcalloc(1, sizeof(*tg));	/* freed below */
	struct tok t = { .s = html, .len = html != NULL ? len : 0, .r = r, .tag = tg };
	char *text;

	pd_buf_init(&r->out, max_out);
	for (int el = 0; el < EL_COUNT; el++)
		r->top[el] = -1;
	tag_init(tg);
	tokenize(&t);
	link_end(r);
	/* Whatever follows the last visible text is layout: drop it. */
	pd_buf_truncate(&r->out, r->content_end);
	text = pd_buf_steal(&r->out);
	if (truncated_r != NULL)
		*truncated_r = r->truncated;
	free(tg);
	free(r);
	return text;
}
