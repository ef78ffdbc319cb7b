/* flowed.c: RFC 3676 format=flowed decoding. See flowed.h.
 *
 * One pass over the input. Each physical line is split into its quote depth
 * (leading '>' characters), one space of stuffing (removed) and its content.
 * A content that ends in a space is "flowed": it continues on the next line
 * if that line has the same depth. The signature separator "-- " is never
 * flowed, and nothing is joined onto it. A flowed line followed by a line
 * of another depth (or by the end) just ends there, as section 4.5 of the
 * RFC advises, without its soft-break space. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "postdesk/flowed.h"
#include "postdesk/xalloc.h"

struct fline {
	size_t depth;		/* number of leading '>' */
	const char *c;		/* content after quote marks and stuffing */
	size_t cn;
	bool flowed;		/* ends in a soft line break */
	bool sig;		/* the signature separator "-- " */
};

static void
fline_split(const char *l, size_t n, struct fline *f)
{
	size_t d = 0;

	if (n > 0 && l[n - 1] == '\r')
		n--;
	while (d < n && l[d] == '>')
		d++;
	f->depth = d;
	f->c = l + d;
	f->cn = n - d;
	/* Space-stuffing: one leading space after the quote marks (or at the
	 * start of an unquoted line) belongs to the encoding, not the text. */
	if (f->cn > 0 && f->c[0] == ' ') {
		f->c++;
		f->cn--;
	}
	f->sig = f->cn == 3 && memcmp(f->c, "-- ", 3) == 0;
	f->flowed = f->cn > 0 && f->c[f->cn - 1] == ' ' && !f->sig;
}

/* End a logical line at o. soft: it ends in the space of a soft break that
 * found nothing to join (DelSp=no), which is dropped. */
static char *
end_text(char *o, bool soft)
{
	return soft ? o - 1 : o;
}

static char *
end_line(char *o, bool soft)
{
	o = end_text(o, soft);
	*o++ = '\n';
	return o;
}

char *
flowed_decode(const char *text, size_t len, bool delsp)
{
	char *out, *o;
	size_t pos = 0, open_depth = 0;
	bool open = false, had_nl = false, soft = false;

	/* Each line grows by at most 2 bytes (a space after the quote marks
	 * and a newline the last line may lack). */
	if (len > (SIZE_MAX - 3) / 2)
		len = (SIZE_MAX - 3) / 2;
	out = o = xmalloc(2 * len + 3);	/* returned; caller frees */
	while (pos < len) {
		const char *l = text + pos, *nl;
		size_t n, i;
		struct fline f;

		nl = memchr(l, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - l) : len - pos;
		had_nl = nl != NULL;
		pos += n + (had_nl ? 1 : 0);
		fline_split(l, n, &f);

		/* Never join across quote depths, nor onto the signature
		 * separator (a sender's bug, but a common one). */
		if (open && (f.depth != open_depth || f.sig)) {
			o = end_line(o, soft);
			open = soft = false;
		}
		if (!open) {
			for (i = 0; i < f.depth; i++)
				*o++ = '>';
			if (f.depth > 0 && f.cn > 0)
				*o++ = ' ';
		}
		if (f.flowed && delsp && f.cn > 0)
			f.cn--;		/* the space only marked the break */
		memcpy(o, f.c, f.cn);
		o += f.cn;
		if (f.cn > 0)
			soft = f.flowed && !delsp;
		if (f.flowed) {
			open = true;
			open_depth = f.depth;
		} else if (had_nl) {
			o = end_line(o, soft);
			soft = false;
		} else
			o = end_text(o, soft);
		if (!f.flowed)
			open = false;
	}
	if (open)
		o = had_nl ? end_line(o, soft) : end_text(o, soft);
	*o = '\0';
	return out;
}
