/* tlsverify.h: check a TLS server's certificate chain with GnuTLS.
 *
 * libetpan's GnuTLS build verifies nothing during the handshake: it hands
 * back the peer's chain (mailstream_get_certificate_chain) and the caller
 * must decide. This module decides, without any network I/O, so that it
 * can be tested with certificates alone. */
#ifndef POSTDESK_TLSVERIFY_H
#define POSTDESK_TLSVERIFY_H

#include <stddef.h>

/* Verify the chain a server sent (DER certificates der[0..n-1], leaf
 * first, der_len[i] bytes each; all borrowed) for host, a DNS name or an
 * IP address literal. Trust comes from ca_file (PEM, one or more CAs) or,
 * when ca_file is NULL, from the system trust store. Checked: signatures
 * up to a trusted CA, validity dates of every certificate, the key purpose
 * (TLS server), and the host name (subjectAltName; CN only without DNS
 * names). Returns 0, or -1 with the reason in *error_r (caller frees), e.g.
 * "certificate for 127.0.0.1 is not trusted (signer not found;
 * ca_file=/x/ca.pem)" or "certificate does not match host name
 * mx.example.test (it is for DNS:wrong.example.test)". */
int tlsverify_chain(const void *const *der, const size_t *der_len, size_t n,
    const char *ca_file, const char *host, char **error_r);

#endif
