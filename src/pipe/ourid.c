/* ourid.c: see ourid.h. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "postdesk/log.h"
#include "postdesk/ourid.h"
#include "postdesk/xalloc.h"

#define MAC_HEX 16	/* 64 bits of HMAC: plenty against guessing by mail */

void
ourid_key_set(struct ourid_key *k, const void *secret, size_t len)
{
	if (len > sizeof(k->key))
		len = sizeof(k->key);
	memcpy(k->key, secret, len);
	k->len = len;
}

static void
hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* The HMAC of "ticket.random" as MAC_HEX hex digits. */
static void
mac(const struct ourid_key *k, int64_t ticket, const char *rnd, size_t rlen, char *out)
{
	unsigned char digest[32];
	char msg[64];
	int n;

	n = snprintf(msg, sizeof(msg), "%" PRId64 ".%.*s", ticket, (int)rlen, rnd);
	if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, k->key, k->len, msg, (size_t)n, digest) < 0)
		log_fatal("gnutls: HMAC-SHA256 unavailable");
	hex(digest, MAC_HEX / 2, out);
	out[MAC_HEX] = '\0';
}

char *
ourid_make(const struct ourid_key *k, int64_t ticket, const char *domain)
{
	unsigned char r[8];
	char rnd[17], m[MAC_HEX + 1];

	if (gnutls_rnd(GNUTLS_RND_NONCE, r, sizeof(r)) < 0)
		log_fatal("gnutls: no random numbers");
	hex(r, sizeof(r), rnd);
	mac(k, ticket, rnd, 16, m);
	return xasprintf("pd.%" PRId64 ".%s.%s@%s", ticket, rnd, m, domain);
}

/* Split "pd.N.R.M@..." into its parts; 0 when id has another shape. */
static int
split(const char *id, int64_t *ticket_r, const char **rnd_r, const char **mac_r)
{
	const char *p = id, *dot;
	char *end;
	long long t;

	if (strncmp(p, "pd.", 3) != 0)
		return 0;
	p += 3;
	t = strtoll(p, &end, 10);
	if (end == p || *end != '.' || t < 0)
		return 0;
	p = end + 1;
	dot = strchr(p, '.');
	if (dot == NULL || dot - p != 16)
		return 0;
	*rnd_r = p;
	p = dot + 1;
	if (strlen(p) < MAC_HEX + 2 || p[MAC_HEX] != '@')
		return 0;
	*mac_r = p;
	*ticket_r = t;
	return 1;
}

int
ourid_looks_ours(const char *id)
{
	int64_t t;
	const char *r, *m;

	return split(id, &t, &r, &m);
}

int
ourid_ticket(const struct ourid_key *k, const char *id, int64_t *ticket_r)
{
	int64_t t;
	const char *r, *m;
	char want[MAC_HEX + 1];
	unsigned char diff = 0;

	if (!split(id, &t, &r, &m))
		return 0;
	mac(k, t, r, 16, want);
	/* Constant-time compare: timing must not tell how many digits of a
	 * guess were right. Hex case is normalised first. */
	for (int i = 0; i < MAC_HEX; i++) {
		char c = m[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		diff |= (unsigned char)(c ^ want[i]);
	}
	if (diff != 0)
		return 0;
	*ticket_r = t;
	return 1;
}
