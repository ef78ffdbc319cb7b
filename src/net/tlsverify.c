/* tlsverify.c: see tlsverify.h.
 *
 * Two separate checks, so that the error says which one failed: the chain
 * (gnutls_x509_trust_list_verify_crt2, which also checks dates and, given
 * the TLS server purpose, extended key usage), then the host name
 * (gnutls_x509_crt_check_hostname2, which matches IP literals against IP
 * subjectAltNames and never against DNS names). */
#include "config.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "postdesk/buf.h"
#include "postdesk/tlsverify.h"
#include "postdesk/xalloc.h"

/* A server sends its leaf and a few intermediates; more is a mistake or
 * an attack on the verifier. */
#define MAX_CHAIN 16

static const struct {
	unsigned bit;
	const char *text;
} status_text[] = {
	{ GNUTLS_CERT_SIGNER_NOT_FOUND, "signer not found" },
	{ GNUTLS_CERT_SIGNER_NOT_CA, "signer is not a CA" },
	{ GNUTLS_CERT_EXPIRED, "expired" },
	{ GNUTLS_CERT_NOT_ACTIVATED, "not yet valid" },
	{ GNUTLS_CERT_REVOKED, "revoked" },
	{ GNUTLS_CERT_SIGNATURE_FAILURE, "bad signature" },
	{ GNUTLS_CERT_INSECURE_ALGORITHM, "insecure algorithm" },
	{ GNUTLS_CERT_PURPOSE_MISMATCH, "not meant for TLS servers" },
	{ GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE, "CA name constraints violated" },
};

/* "signer not found, expired" for the bits in status (caller frees). */
static char *
status_reasons(unsigned status, gnutls_x509_crt_t leaf)
{
	struct pd_buf b;
	gnutls_datum_t out;
	size_t i;

	pd_buf_init(&b, 1024);
	for (i = 0; i < sizeof(status_text) / sizeof(status_text[0]); i++) {
		if (!(status & status_text[i].bit))
			continue;
		status &= ~status_text[i].bit;
		pd_buf_printf(&b, "%s%s", b.len ? ", " : "", status_text[i].text);
		if (status_text[i].bit == GNUTLS_CERT_EXPIRED) {
			time_t t = gnutls_x509_crt_get_expiration_time(leaf);
			struct tm tm;
			char when[32];

			/* The date helps only when it is the leaf's. */
			if (t != (time_t)-1 && t < time(NULL) &&
			    gmtime_r(&t, &tm) != NULL &&
			    strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm) > 0)
				pd_buf_printf(&b, " on %s", when);
		}
	}
	status &= ~(unsigned)GNUTLS_CERT_INVALID;
	if (status != 0 && gnutls_certificate_verification_status_print(status,
	    GNUTLS_CRT_X509, &out, 0) == 0) {
		pd_buf_printf(&b, "%s%s", b.len ? ", " : "", (const char *)out.data);
		gnutls_free(out.data);
	}
	if (b.len == 0)
		pd_buf_adds(&b, "invalid");
	return pd_buf_steal(&b);
}

/* "DNS:a.example, IP:192.0.2.1" from the leaf's subjectAltNames, or its
 * CN when it has none (caller frees). */
static char *
cert_names(gnutls_x509_crt_t crt)
{
	struct pd_buf b;
	char name[256], ip[INET6_ADDRSTRLEN];
	unsigned seq, critical;
	size_t size;
	int type;

	pd_buf_init(&b, 2048);
	for (seq = 0; seq < 32; seq++) {
		size = sizeof(name) - 1;
		type = gnutls_x509_crt_get_subject_alt_name(crt, seq, name, &size,
		    &critical);
		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (type == GNUTLS_SAN_DNSNAME) {
			name[size] = '\0';
			pd_buf_printf(&b, "%sDNS:%s", b.len ? ", " : "", name);
		} else if (type == GNUTLS_SAN_IPADDRESS && (size == 4 || size == 16) &&
		    inet_ntop(size == 4 ? AF_INET : AF_INET6, name, ip, sizeof(ip))) {
			pd_buf_printf(&b, "%sIP:%s", b.len ? ", " : "", ip);
		}
	}
	if (b.len == 0) {
		size = sizeof(name);
		if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
		    0, 0, name, &size) == 0)
			pd_buf_printf(&b, "CN=%s", name);
		else
			pd_buf_adds(&b, "no name at all");
	}
	return pd_buf_steal(&b);
}

/* Load the trust anchors; -1 with *error_r set. */
static int
load_trust(gnutls_x509_trust_list_t tl, const char *ca_file, char **error_r)
{
	int r;

	if (ca_file != NULL) {
		r = gnutls_x509_trust_list_add_trust_file(tl, ca_file, NULL,
		    GNUTLS_X509_FMT_PEM, 0, 0);
		if (r < 0) {
			*error_r = xasprintf("cannot read ca_file %s: %s", ca_file,
			    gnutls_strerror(r));
			return -1;
		}
		if (r == 0) {
			*error_r = xasprintf("ca_file %s holds no certificate",
			    ca_file);
			return -1;
		}
		return 0;
	}
	r = gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
	if (r <= 0) {
		*error_r = xasprintf("no system trust store (%s); set ca_file",
		    r < 0 ? gnutls_strerror(r) : "it holds no certificate");
		return -1;
	}
	return 0;
}

static int
verify(gnutls_x509_crt_t *crts, size_t n, const char *ca_file,
    const char *host, char **error_r)
{
	gnutls_x509_trust_list_t tl;
	gnutls_typed_vdata_st purpose = {
		.type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (void *)GNUTLS_KP_TLS_WWW_SERVER,
	};
	unsigned status = 0;
	char *why;
	int r;

	if (gnutls_x509_trust_list_init(&tl, 0) < 0)
		log_fatal("gnutls_x509_trust_list_init: out of memory");
	if (load_trust(tl, ca_file, error_r) < 0) {
		gnutls_x509_trust_list_deinit(tl, 1);
		return -1;
	}
	r = gnutls_x509_trust_list_verify_crt2(tl, crts, (unsigned)n, &purpose,
	    1, 0, &status, NULL);
	gnutls_x509_trust_list_deinit(tl, 1);
	if (r < 0) {
		*error_r = xasprintf("certificate for %s cannot be verified: %s",
		    host, gnutls_strerror(r));
		return -1;
	}
	if (status != 0) {
		why = status_reasons(status, crts[0]);
		*error_r = xasprintf("certificate for %s is not trusted (%s; %s%s)",
		    host, why, ca_file ? "ca_file=" : "system trust store",
		    ca_file ? ca_file : "");
		free(why);
		return -1;
	}
	if (!gnutls_x509_crt_check_hostname2(crts[0], host, 0)) {
		why = cert_names(crts[0]);
		*error_r = xasprintf("certificate does not match host name %s "
		    "(it is for %s)", host, why);
		free(why);
		return -1;
	}
	return 0;
}

int
tlsverify_chain(const void *const *der, const size_t *der_len, size_t n,
    const char *ca_file, const char *host, char **error_r)
{
	gnutls_x509_crt_t crts[MAX_CHAIN];
	gnutls_datum_t d;
	size_t i, ninit = 0;
	int r, ret = -1;

	*error_r = NULL;
	if (n == 0) {
		*error_r = xasprintf("%s sent no certificate", host);
		return -1;
	}
	if (n > MAX_CHAIN) {
		*error_r = xasprintf("%s sent %zu certificates (at most %d are "
		    "accepted)", host, n, MAX_CHAIN);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (gnutls_x509_crt_init(&crts[i]) < 0)
			log_fatal("gnutls_x509_crt_init: out of memory");
		ninit++;
		if (der_len[i] > (1u << 20)) {
			*error_r = xasprintf("certificate %zu of %s is %zu bytes "
			    "long", i + 1, host, der_len[i]);
			goto out;
		}
		d.data = (unsigned char *)der[i];
		d.size = (unsigned)der_len[i];
		r = gnutls_x509_crt_import(crts[i], &d, GNUTLS_X509_FMT_DER);
		if (r < 0) {
			*error_r = xasprintf("certificate %zu of %s cannot be "
			    "parsed: %s", i + 1, host, gnutls_strerror(r));
			goto out;
		}
	}
	ret = verify(crts, n, ca_file, host, error_r);
out:
	for (i = 0; i < ninit; i++)
		gnutls_x509_crt_deinit(crts[i]);
	return ret;
}
