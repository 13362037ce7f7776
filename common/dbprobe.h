/* dbprobe.h - what `db doctor` learns from the network, below cmd/ (nothing here prints):
 *   - a TCP connect with a timeout (3 s by default) to where the client connects;
 *   - the TLS handshake through the engine's own upgrade: PostgreSQL SSLRequest, the MySQL /
 *     MariaDB greeting + SSL request packet, or TLS from the first byte (DSQL is PostgreSQL;
 *     ElastiCache / MemoryDB speak TLS directly), verified against ca_bundle (or the system roots)
 *     and the host name the client will check; the certificate's subject, issuer and expiry;
 *   - the CNAME chain of a host name through the system resolver (res_query, in glibc's libc).
 *
 * OpenSSL's libssl.so.3 is loaded with dlopen on the first probe (startup cost: no load-time
 * dependency of mytools, as common/http.c does with libcurl). The handshake runs with the
 * verification result recorded rather than enforced, so a failed verification still reports what
 * the server presented; the probe sends no credentials and closes after the handshake. */
#ifndef MT_COMMON_DBPROBE_H
#define MT_COMMON_DBPROBE_H

#include <stddef.h>
#include <time.h>

#include "common/err.h"

#define MT_PROBE_TIMEOUT_MS_DEFAULT 3000
#define MT_PROBE_LIBSSL_SONAME "libssl.so.3"
#define MT_PROBE_MAX_CNAMES 10

enum mt_probe_proto {
    MT_PROBE_POSTGRES = 0, /* SSLRequest, then TLS ('S') or no TLS ('N') */
    MT_PROBE_MYSQL,        /* greeting; CLIENT_SSL offered?; SSL request packet; TLS */
    MT_PROBE_TLS           /* TLS right away */
};

struct mt_probe_req {
    const char *connect_host; /* where to connect (connect_host, else the host) */
    int connect_port;
    const char *verify_host;  /* the name the certificate must carry (the host clients check) */
    const char *ca_bundle;    /* PEM file; NULL = the system roots */
    enum mt_probe_proto proto;
    int timeout_ms;           /* connect and each read; 0 = MT_PROBE_TIMEOUT_MS_DEFAULT */
};

enum mt_probe_stage {
    MT_PROBE_STAGE_CONNECT = 0, /* failed before the TCP connection stood */
    MT_PROBE_STAGE_UPGRADE,     /* connected; the engine's TLS upgrade failed or was refused */
    MT_PROBE_STAGE_HANDSHAKE,   /* upgrade accepted; the TLS handshake failed */
    MT_PROBE_STAGE_DONE         /* handshake completed (verification: see verify_code) */
};

struct mt_probe_result {
    enum mt_probe_stage stage;
    char address[64];        /* the address connected to (numeric) */
    long connect_ms;
    char error[256];         /* why the stage after `stage` was not reached ("" at DONE) */
    int tls_refused;         /* the server said it has no TLS (PostgreSQL 'N', MySQL without
                                CLIENT_SSL) */
    char server_version[64]; /* MySQL greeting's version string, else "" */
    char tls_version[16];    /* "TLSv1.3" ... */
    long verify_code;        /* OpenSSL X509_V_* (0 = verified: chain and host name) */
    char verify_error[160];  /* X509_verify_cert_error_string, "" when verified */
    int unknown_ca;          /* verify_code says the issuer is not trusted */
    int name_mismatch;       /* verify_code says the host name does not match */
    int expired;             /* the certificate is expired or not yet valid */
    char subject[256], issuer[256]; /* one-line RFC 2253 names, control characters escaped */
    char san[256];           /* DNS names of subjectAltName, comma-separated (truncated) */
    time_t not_after;        /* 0 when unknown */
};

/* Runs the probe. Returns 0 when a result was produced (whatever the stage: read out->stage),
 * -1 only when the probe could not run (MT_E_HTTP "cannot load libssl.so.3: ...", MT_E_USAGE for
 * a bad request, MT_E_NOMEM). */
int mt_probe_run(const struct mt_probe_req *req, struct mt_probe_result *out,
                 struct mt_err *err) MT_WUR;

/* Replaces the libssl soname (tests, packagers); before the first probe. Borrowed. */
void mt_probe_set_libssl_name(const char *soname);

/* The CNAME chain of host through the system resolver: out[0] is the first CNAME target, out[k]
 * the target of out[k-1]; *n = 0 when host is no alias. At most MT_PROBE_MAX_CNAMES entries
 * (a loop ends there). Each entry is lower-case without the trailing dot, size 256. Returns 0, or
 * -1 with MT_E_HTTP when the resolver failed for another reason than "no such record". */
int mt_probe_cname_chain(const char *host, char out[][256], size_t *n, struct mt_err *err) MT_WUR;

/* 1 when addr (a numeric IPv4/IPv6 address) is loopback, private (RFC 1918, fc00::/7),
 * link-local or CGNAT (100.64/10), else 0. */
int mt_probe_is_private_addr(const char *addr);

/* The numeric addresses host resolves to (getaddrinfo), comma-separated into out (size n).
 * Returns the number of addresses, or -1 (out holds gai_strerror's text). */
int mt_probe_resolve(const char *host, char *out, size_t n);

/* ---- the pure parsers of what servers send (fuzzed: tests/fuzz/fuzz_dbprobe.c) ---- */

/* A MySQL / MariaDB greeting packet's payload: 0 when it is a protocol-10 greeting offering TLS
 * (r->server_version set); -1 with r->error (and r->tls_refused when TLS is not offered) else. */
int mt_probe_mysql_greeting(const unsigned char *pkt, size_t len, struct mt_probe_result *r);

/* The CNAME target of name in the answer section of the DNS message msg[0..len) into out (256
 * bytes, lower case, no trailing dot). 1 when found, 0 when not (or the message is malformed). */
int mt_probe_answer_cname(const unsigned char *msg, int len, const char *name, char *out);

#endif
