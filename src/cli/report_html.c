/* report_html.c: the page of "postdesk report --html": one self-contained
 * HTML file, inline CSS, charts as inline SVG drawn here, no script and
 * nothing fetched. Every string that comes from the configuration or from
 * mail (queue names, agent addresses) goes through put_text(), which
 * escapes it for HTML and SVG alike and repairs broken UTF-8. */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "postdesk/bizhours.h"
#include "postdesk/config.h"
#include "postdesk/stats.h"
#include "postdesk/utf8.h"

/* Colours (a palette that stays apart in grey print too). */
#define C_CREATED "#4e79a7"
#define C_RESOLVED "#59a14f"
#define C_NEW "#e15759"
#define C_OPEN "#f28e2b"
#define C_PENDING "#76b7b2"
#define C_CSAT "#edc948"
#define C_GRID "#e3e3e3"
#define C_TEXT "#333"

/* The width of every chart's viewBox; the page scales it. */
#define W 560.0

/* --- text ---------------------------------------------------------------------------- */

/* s escaped for HTML text and attribute values, and SVG text; at most max
 * code points (then an ellipsis). Broken UTF-8 becomes U+FFFD, control
 * characters a space. */
static void
put_text_max(FILE *f, const char *s, size_t max)
{
	size_t len = s ? strlen(s) : 0, i = 0, cps = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t n = c < 0x80 ? 1 : utf8_seq_len((const unsigned char *)s + i, len - i);

		if (cps++ == max) {
			fputs("\u2026", f);
			return;
		}
		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if (n == 0)
				fputs("\xef\xbf\xbd", f);
			else if (c < 0x20 || c == 0x7f)
				putc(' ', f);
			else
				fwrite(s + i, 1, n, f);
		}
		i += n != 0 ? n : 1;
	}
}

static void
put_text(FILE *f, const char *s)
{
	put_text_max(f, s, SIZE_MAX);
}

/* A local date for an axis or a heading; the zone is held by the caller. */
enum datefmt {
	DF_DAY,		/* "01 Jun" */
	DF_MONTH,	/* "2026-06" */
	DF_MINUTE,	/* "2026-06-01 09:00" */
	DF_ZONE,	/* "2026-06-01 09:00 CEST" */
};

static void
local_fmt(int64_t t, enum datefmt how, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	size_t n = 0;

	if (localtime_r(&tt, &tm) != NULL) {
		switch (how) {
		case DF_DAY: n = strftime(buf, size, "%d %b", &tm); break;
		case DF_MONTH: n = strftime(buf, size, "%Y-%m", &tm); break;
		case DF_MINUTE: n = strftime(buf, size, "%Y-%m-%d %H:%M", &tm); break;
		case DF_ZONE: n = strftime(buf, size, "%Y-%m-%d %H:%M %Z", &tm); break;
		}
	}
	if (n == 0)
		snprintf(buf, size, "?");
}

static void
put_ratio_text(FILE *f, struct stats_ratio r)
{
	if (r.den == 0)
		fputs("&ndash;", f);
	else
		fprintf(f, "%.0f%%", 100.0 * (double)r.num / (double)r.den);
}

/* --- chart pieces -------------------------------------------------------------------- */

struct plot {
	double x, y, w, h;	/* the plotting area in the viewBox */
	double max, step;	/* the value axis */
};

/* A round axis top for values up to v, with at most 5 steps. */
static void
nice_axis(double v, double *max_r, double *step_r)
{
	static const double m[] = { 1, 2, 5 };

	if (v <= 0)
		v = 1;
	for (double e = 1; ; e *= 10)
		for (int i = 0; i < 3; i++)
			if (v / (m[i] * e) <= 5) {
				*step_r = m[i] * e;
				*max_r = ceil(v / *step_r) * *step_r;
				return;
			}
}

static void
svg_open(FILE *f, double h, const char *label)
{
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" "
	    "role=\"img\" aria-label=\"", W, h);
	put_text(f, label);
	fputs("\">\n", f);
}

/* Grid lines and labels of a vertical value axis (suffix: "%" or ""). */
static void
y_axis(FILE *f, const struct plot *p, const char *suffix)
{
	for (double v = 0; v <= p->max + p->step / 2; v += p->step) {
		double y = p->y + p->h - v / p->max * p->h;

		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		    "stroke=\"" C_GRID "\"/>\n", p->x, y, p->x + p->w, y);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"ax\" text-anchor=\"end\">"
		    "%.0f%s</text>\n", p->x - 6, y + 4, v, suffix);
	}
}

static void
bar(FILE *f, double x, double y, double w, double h, const char *color, const char *title)
{
	if (h < 0.5)
		return;
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">",
	    x, y, w, h, color);
	if (title != NULL) {
		fputs("<title>", f);
		put_text(f, title);
		fputs("</title>", f);
	}
	fputs("</rect>\n", f);
}

static void
label(FILE *f, double x, double y, const char *anchor, const char *cls, const char *s)
{
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" class=\"%s\">", x, y,
	    anchor, cls);
	put_text(f, s);
	fputs("</text>\n", f);
}

/* A legend row at the top right: n (colour, name) pairs. */
static void
legend(FILE *f, double right, double y, size_t n, const char *const *colors,
    const char *const *names)
{
	double x = right;

	for (size_t i = n; i-- > 0;) {
		x -= 8 + 7.0 * (double)strlen(names[i]);
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/>\n",
		    x - 14, y - 9, colors[i]);
		label(f, x, y, "start", "lg", names[i]);
		x -= 24;
	}
}

static void
empty_note(FILE *f, double h, const char *s)
{
	label(f, W / 2, h / 2, "middle", "note", s);
}

/* --- the charts ------------------------------------------------------------------------ */

/* Labels every k buckets so that they do not overlap. */
static size_t
label_every(size_t n, size_t fit)
{
	return n <= fit ? 1 : (n + fit - 1) / fit;
}

static enum datefmt
bucket_fmt(const struct stats_series *s)
{
	return s->unit[0] == 'm' ? DF_MONTH : DF_DAY;
}

static void
chart_volume(FILE *f, const struct stats_series *s)
{
	static const char *const colors[] = { C_CREATED, C_RESOLVED };
	static const char *const names[] = { "created", "resolved" };
	struct plot p = { 48, 28, W - 60, 170, 0, 0 };
	double top = 0, gw, bw;
	size_t k = label_every(s->n, 12);
	char buf[64], title[128];

	svg_open(f, 240, "Tickets created and resolved");
	for (size_t i = 0; i < s->n; i++)
		top = fmax(top, fmax((double)s->created[i], (double)s->resolved[i]));
	nice_axis(top, &p.max, &p.step);
	y_axis(f, &p, "");
	legend(f, p.x + p.w, 14, 2, colors, names);
	gw = s->n ? p.w / (double)s->n : p.w;
	bw = gw * 0.38;
	for (size_t i = 0; i < s->n; i++) {
		double x = p.x + gw * (double)i + gw * 0.1;
		double hc = (double)s->created[i] / p.max * p.h;
		double hr = (double)s->resolved[i] / p.max * p.h;

		local_fmt(s->start[i], bucket_fmt(s), buf, sizeof(buf));
		snprintf(title, sizeof(title), "%s: %" PRId64 " created", buf, s->created[i]);
		bar(f, x, p.y + p.h - hc, bw, hc, C_CREATED, title);
		snprintf(title, sizeof(title), "%s: %" PRId64 " resolved", buf, s->resolved[i]);
		bar(f, x + bw + 1, p.y + p.h - hr, bw, hr, C_RESOLVED, title);
		if (i % k == 0)
			label(f, p.x + gw * ((double)i + 0.5), p.y + p.h + 16, "middle", "ax", buf);
	}
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>\n",
	    p.x, p.y + p.h, p.x + p.w, p.y + p.h);
	fputs("</svg>\n", f);
}

static void
chart_frt(FILE *f, const struct stats_figures *all)
{
	struct plot p = { 48, 20, W - 60, 170, 0, 0 };
	double top = 0, gw = p.w / STATS_NFRT;
	char num[32];

	svg_open(f, 230, "First response time distribution, business hours");
	for (int i = 0; i < STATS_NFRT; i++)
		top = fmax(top, (double)all->frt_hist[i]);
	nice_axis(top, &p.max, &p.step);
	y_axis(f, &p, "");
	for (int i = 0; i < STATS_NFRT; i++) {
		double h = (double)all->frt_hist[i] / p.max * p.h;
		double x = p.x + gw * i + gw * 0.15;

		snprintf(num, sizeof(num), "%" PRId64, all->frt_hist[i]);
		bar(f, x, p.y + p.h - h, gw * 0.7, h, C_CREATED, NULL);
		if (all->frt_hist[i] > 0)
			label(f, x + gw * 0.35, p.y + p.h - h - 4, "middle", "val", num);
		label(f, p.x + gw * (i + 0.5), p.y + p.h + 16, "middle", "ax", stats_frt_names[i]);
	}
	if (all->first_response.count == 0)
		empty_note(f, 210, "No first responses in the period");
	fputs("</svg>\n", f);
}

static void
chart_backlog(FILE *f, const struct stats_figures *all)
{
	static const char *const colors[] = { C_NEW, C_OPEN, C_PENDING };
	static const char *const names[] = { "new", "open", "pending" };
	struct plot p = { 48, 28, W - 60, 160, 0, 0 };
	double top = 0, gw = p.w / STATS_NAGE;
	int64_t total = 0;
	char num[32];

	svg_open(f, 230, "Backlog by age and status");
	for (int a = 0; a < STATS_NAGE; a++) {
		double t = 0;

		for (int k = 0; k < STATS_NSTATUS; k++)
			t += (double)all->backlog[k][a];
		top = fmax(top, t);
		total += (int64_t)t;
	}
	nice_axis(top, &p.max, &p.step);
	y_axis(f, &p, "");
	legend(f, p.x + p.w, 14, 3, colors, names);
	for (int a = 0; a < STATS_NAGE; a++) {
		double x = p.x + gw * a + gw * 0.2, y = p.y + p.h;
		int64_t sum = 0;

		for (int k = 0; k < STATS_NSTATUS; k++) {
			double h = (double)all->backlog[k][a] / p.max * p.h;

			y -= h;
			bar(f, x, y, gw * 0.6, h, colors[k], names[k]);
			sum += all->backlog[k][a];
		}
		snprintf(num, sizeof(num), "%" PRId64, sum);
		if (sum > 0)
			label(f, x + gw * 0.3, y - 4, "middle", "val", num);
		label(f, p.x + gw * (a + 0.5), p.y + p.h + 16, "middle", "ax", stats_age_names[a]);
	}
	if (total == 0)
		empty_note(f, 210, "Nothing waits: the backlog is empty");
	fputs("</svg>\n", f);
}

static const struct pd_sla *
sla_of(const struct pd_config *cfg, const struct stats_figures *q)
{
	for (size_t i = 0; i < cfg->nqueues; i++)
		if (strcmp(cfg->queues[i].name, q->name) == 0)
			return &cfg->queues[i].sla;
	return NULL;
}

static bool
has_target(const struct pd_config *cfg, const struct stats_figures *q)
{
	const struct pd_sla *sla = sla_of(cfg, q);

	return sla != NULL && (sla->first_response > 0 || sla->resolution > 0);
}

/* One bar of the SLA chart: the share, and "83% of 6" after it. */
static void
sla_bar(FILE *f, double x, double y, double w, struct stats_ratio r, int64_t target,
    const char *color)
{
	char buf[64];

	if (r.den == 0) {
		label(f, x + 4, y + 11, "start", "ax", target > 0 ? "nothing to count yet" :
		    "no target");
		return;
	}
	bar(f, x, y, w * (double)r.num / (double)r.den, 14, color, NULL);
	snprintf(buf, sizeof(buf), "%.0f%% of %" PRId64, 100.0 * (double)r.num / (double)r.den,
	    r.den);
	label(f, x + w * (double)r.num / (double)r.den + 6, y + 11, "start", "val", buf);
}

static void
chart_sla(FILE *f, const struct pd_config *cfg, const struct stats *s)
{
	static const char *const colors[] = { C_CREATED, C_RESOLVED };
	static const char *const names[] = { "first response", "resolution" };
	size_t rows = 0;
	double y, x = 130, w = W - x - 80, h;

	for (size_t i = 0; i < s->nqueues; i++)
		rows += has_target(cfg, &s->queues[i]);
	h = 40 + (double)(rows ? rows : 1) * 44;
	svg_open(f, h, "SLA compliance per queue");
	legend(f, W - 10, 14, 2, colors, names);
	y = 28;
	for (size_t i = 0; i < s->nqueues; i++) {
		const struct stats_figures *q = &s->queues[i];

		if (!has_target(cfg, q))
			continue;
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"lg\">",
		    x - 10, y + 22);
		put_text_max(f, q->name, 18);
		fputs("</text>\n", f);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		    "stroke=\"" C_GRID "\"/>\n", x + w, y, x + w, y + 36);
		sla_bar(f, x, y + 2, w, q->sla_first_response, sla_of(cfg, q)->first_response,
		    C_CREATED);
		sla_bar(f, x, y + 20, w, q->sla_resolution, sla_of(cfg, q)->resolution,
		    C_RESOLVED);
		y += 44;
	}
	if (rows == 0)
		empty_note(f, h / 2 + 20, "No queue has SLA targets (queues: sla in the configuration)");
	fputs("</svg>\n", f);
}

static void
chart_csat(FILE *f, const struct stats *s)
{
	const struct stats_series *se = &s->series;
	struct plot p = { 48, 28, W - 60, 160, 100, 25 };
	double gw = se->n ? p.w / (double)se->n : p.w;
	size_t k = label_every(se->n, 12);
	int64_t rated = 0;
	char buf[64], title[128], num[32];

	svg_open(f, 230, "Customer satisfaction: share of ratings 4-5");
	y_axis(f, &p, "%");
	for (size_t i = 0; i < se->n; i++) {
		double share, hgt, x = p.x + gw * (double)i + gw * 0.15;

		local_fmt(se->start[i], bucket_fmt(se), buf, sizeof(buf));
		if (i % k == 0)
			label(f, p.x + gw * ((double)i + 0.5), p.y + p.h + 16, "middle", "ax", buf);
		if (se->rated[i] == 0)
			continue;
		rated += se->rated[i];
		share = 100.0 * (double)se->good[i] / (double)se->rated[i];
		hgt = share / 100.0 * p.h;
		snprintf(title, sizeof(title), "%s: %.0f%% of %" PRId64 " ratings", buf, share,
		    se->rated[i]);
		bar(f, x, p.y + p.h - hgt, gw * 0.7, hgt, C_CSAT, title);
		snprintf(num, sizeof(num), "%" PRId64, se->rated[i]);
		if (gw >= 14)
			label(f, x + gw * 0.35, p.y + p.h - hgt - 4, "middle", "val", num);
	}
	if (s->all.csat.den > 0) {
		double y = p.y + p.h - stats_ratio_value(s->all.csat) * p.h;

		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_TEXT
		    "\" stroke-dasharray=\"4 3\"><title>the whole period</title></line>\n",
		    p.x, y, p.x + p.w, y);
	}
	if (rated == 0)
		empty_note(f, 110, "No ratings in the period");
	fputs("</svg>\n", f);
}

/* --- the page ------------------------------------------------------------------------- */

static const char style[] =
"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
"color:" C_TEXT ";margin:0 auto;max-width:1180px;padding:24px;background:#fff}"
"h1{font-size:24px;margin:0 0 4px}h2{font-size:16px;margin:0 0 8px}"
".period{color:#666;margin:0 0 20px}"
".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;"
"margin-bottom:24px}"
".card{border:1px solid #ddd;border-radius:6px;padding:10px 12px}"
".card b{display:block;font-size:22px}.card span{color:#666;font-size:12px}"
".grid{display:grid;grid-template-columns:1fr 1fr;gap:20px}"
"section{break-inside:avoid;margin-bottom:20px}"
"svg{width:100%;height:auto;display:block}"
"svg text{font-family:inherit;fill:" C_TEXT "}"
"svg .ax{font-size:11px;fill:#666}svg .val{font-size:11px}svg .lg{font-size:12px}"
"svg .note{font-size:13px;fill:#888}"
"table{border-collapse:collapse;width:100%;font-size:13px}"
"th,td{padding:4px 8px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}"
"th:first-child,td:first-child{text-align:left;white-space:normal;word-break:break-all}"
"thead th{border-bottom:2px solid #ccc;font-weight:600}"
"footer{color:#888;font-size:12px;margin-top:24px}"
"@media (max-width:800px){.grid{grid-template-columns:1fr}}"
"@media print{body{padding:0;max-width:none}.grid{grid-template-columns:1fr 1fr}"
"section{break-inside:avoid}}";

static void
card(FILE *f, const char *value, const char *what)
{
	fputs("<div class=\"card\"><b>", f);
	put_text(f, value);
	fputs("</b><span>", f);
	put_text(f, what);
	fputs("</span></div>\n", f);
}

static void
ratio_str(struct stats_ratio r, char *buf, size_t size)
{
	if (r.den == 0)
		snprintf(buf, size, "\u2013");
	else
		snprintf(buf, size, "%.0f%%", 100.0 * (double)r.num / (double)r.den);
}

static void
cards(FILE *f, const struct stats_figures *a)
{
	char buf[64];
	int64_t backlog = 0;

	for (int k = 0; k < STATS_NSTATUS; k++)
		for (int g = 0; g < STATS_NAGE; g++)
			backlog += a->backlog[k][g];
	fputs("<div class=\"cards\">\n", f);
	snprintf(buf, sizeof(buf), "%" PRId64, a->created);
	card(f, buf, "tickets created");
	snprintf(buf, sizeof(buf), "%" PRId64, a->resolved);
	card(f, buf, "tickets resolved");
	snprintf(buf, sizeof(buf), "%" PRId64, backlog);
	card(f, buf, "waiting now (backlog)");
	if (a->first_response.count > 0)
		cli_duration(a->first_response.median_biz, true, buf);
	else
		snprintf(buf, sizeof(buf), "\u2013");
	card(f, buf, "median first response (business hours)");
	if (a->resolution.count > 0)
		cli_duration(a->resolution.median_biz, true, buf);
	else
		snprintf(buf, sizeof(buf), "\u2013");
	card(f, buf, "median resolution (business hours)");
	ratio_str(a->sla_first_response, buf, sizeof(buf));
	card(f, buf, "first responses within SLA");
	ratio_str(a->sla_resolution, buf, sizeof(buf));
	card(f, buf, "resolved within SLA");
	ratio_str(a->fcr, buf, sizeof(buf));
	card(f, buf, "first-contact resolution");
	ratio_str(a->reopen, buf, sizeof(buf));
	card(f, buf, "reopened");
	ratio_str(a->csat, buf, sizeof(buf));
	card(f, buf, "satisfied (CSAT, ratings 4\u20135)");
	ratio_str(a->survey, buf, sizeof(buf));
	card(f, buf, "surveys answered");
	fputs("</div>\n", f);
}

static void
td_dur(FILE *f, bool have, int64_t s)
{
	char buf[24];

	if (!have)
		fputs("<td>&ndash;</td>", f);
	else {
		cli_duration(s, true, buf);
		fprintf(f, "<td>%s</td>", buf);
	}
}

static void
table(FILE *f, const char *title, const char *first, const struct stats_figures *v, size_t n)
{
	fputs("<section><h2>", f);
	put_text(f, title);
	fputs("</h2>\n<table><thead><tr><th>", f);
	put_text(f, first);
	fputs("</th><th>created</th><th>resolved</th><th>backlog</th>"
	    "<th>first response<br>median</th><th>p90</th><th>resolution<br>median</th>"
	    "<th>p90</th><th>first<br>contact</th><th>reopened</th><th>SLA first<br>response</th>"
	    "<th>SLA<br>resolution</th><th>CSAT</th></tr></thead>\n<tbody>\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct stats_figures *r = &v[i];
		const struct stats_ratio *q[] = { &r->fcr, &r->reopen, &r->sla_first_response,
			&r->sla_resolution, &r->csat };
		int64_t backlog = 0;

		for (int k = 0; k < STATS_NSTATUS; k++)
			for (int g = 0; g < STATS_NAGE; g++)
				backlog += r->backlog[k][g];
		fputs("<tr><td>", f);
		put_text(f, r->name);
		fprintf(f, "</td><td>%" PRId64 "</td><td>%" PRId64 "</td><td>%" PRId64 "</td>",
		    r->created, r->resolved, backlog);
		td_dur(f, r->first_response.count > 0, r->first_response.median_biz);
		td_dur(f, r->first_response.count > 0, r->first_response.p90_biz);
		td_dur(f, r->resolution.count > 0, r->resolution.median_biz);
		td_dur(f, r->resolution.count > 0, r->resolution.p90_biz);
		for (size_t k = 0; k < sizeof(q) / sizeof(q[0]); k++) {
			fputs("<td>", f);
			put_ratio_text(f, *q[k]);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table></section>\n", f);
}

static void
section_open(FILE *f, const char *title, const char *note)
{
	fputs("<section><h2>", f);
	put_text(f, title);
	fputs("</h2>\n", f);
	if (note != NULL) {
		fputs("<p class=\"period\">", f);
		put_text(f, note);
		fputs("</p>\n", f);
	}
}

void
report_html_write(FILE *f, const struct pd_config *cfg, const struct stats *s,
    const char *queue)
{
	char a[64], b[64], now[64], unit[64];

	bizhours_hold(&cfg->hours);
	local_fmt(s->since, DF_MINUTE, a, sizeof(a));
	local_fmt(s->until, DF_ZONE, b, sizeof(b));
	local_fmt(s->now, DF_ZONE, now, sizeof(now));
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	    "<title>Support report ", f);
	put_text(f, a);
	fputs(" to ", f);
	put_text(f, b);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<header>\n"
	    "<h1>Support report</h1>\n<p class=\"period\">", style);
	put_text(f, a);
	fputs(" to ", f);
	put_text(f, b);
	fputs(" &middot; ", f);
	if (queue != NULL) {
		fputs("queue ", f);
		put_text(f, queue);
	} else
		fputs("every queue", f);
	fputs(" &middot; business hours in ", f);
	put_text(f, cfg->hours.timezone ? cfg->hours.timezone : "UTC");
	fputs(" &middot; backlog as of ", f);
	put_text(f, now);
	fputs("</p>\n</header>\n", f);
	cards(f, &s->all);
	fputs("<div class=\"grid\">\n", f);
	snprintf(unit, sizeof(unit), "Tickets per %s", s->series.unit ? s->series.unit : "day");
	section_open(f, unit, NULL);
	chart_volume(f, &s->series);
	fputs("</section>\n", f);
	section_open(f, "First response time", "Business hours to the first agent reply, "
	    "tickets answered in the period.");
	chart_frt(f, &s->all);
	fputs("</section>\n", f);
	section_open(f, "SLA compliance per queue", "Tickets created in the period, answered "
	    "(and resolved) within the queue's targets.");
	chart_sla(f, cfg, s);
	fputs("</section>\n", f);
	section_open(f, "Backlog age", "Tickets waiting now, by time since creation.");
	chart_backlog(f, &s->all);
	fputs("</section>\n", f);
	snprintf(unit, sizeof(unit), "Satisfaction per %s", s->series.unit ? s->series.unit : "day");
	section_open(f, unit, "Share of ratings 4\u20135; the number is how many ratings; "
	    "the dashed line is the whole period.");
	chart_csat(f, s);
	fputs("</section>\n</div>\n", f);
	table(f, "Queues", "queue", s->queues, s->nqueues);
	table(f, "Agents", "agent", s->agents, s->nagents);
	fprintf(f, "<footer>Made by postdesk %s at ", PACKAGE_VERSION);
	put_text(f, now);
	fputs(". Times are business hours unless said otherwise; medians and 90th "
	    "percentiles by nearest rank. The definitions: postdesk(8), \u201cstats\u201d."
	    "</footer>\n</body>\n</html>\n", f);
	bizhours_release();
}
