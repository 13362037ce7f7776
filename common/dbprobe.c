/* dbprobe.c - TCP connect, the engine's TLS upgrade and a recorded (not enforced) verification,
 * and the CNAME chain (see dbprobe.h). libssl is loaded with dlopen on first use. */
#include "common/dbprobe.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <resolv.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* ---- libssl, loaded on first use ---- */

static const char *ssl_soname = MT_PROBE_LIBSSL_SONAME;
static int ssl_state; /* 0 untried, 1 loaded, -1 failed */
static char ssl_error[256];

static struct {
    __typeof__(&TLS_client_method) client_method;
    __typeof__(&SSL_CTX_new) ctx_new;
    __typeof__(&SSL_CTX_free) ctx_free;
    __typeof__(&SSL_CTX_ctrl) ctx_ctrl;
    __typeof__(&SSL_CTX_set_verify) ctx_set_verify;
    __typeof__(&SSL_CTX_load_verify_locations) ctx_load_verify_locations;
    __typeof__(&SSL_CTX_set_default_verify_paths) ctx_set_default_verify_paths;
    __typeof__(&SSL_new) new_;
    __typeof__(&SSL_free) free_;
    __typeof__(&SSL_set_fd) set_fd;
    __typeof__(&SSL_ctrl) ctrl;
    __typeof__(&SSL_set1_host) set1_host;
    __typeof__(&SSL_connect) connect_;
    __typeof__(&SSL_shutdown) shutdown_;
    __typeof__(&SSL_get_verify_result) get_verify_result;
    __typeof__(&SSL_get1_peer_certificate) get1_peer_certificate;
    __typeof__(&SSL_get_version) get_version;
    __typeof__(&X509_get_subject_name) x509_subject;
    __typeof__(&X509_get_issuer_name) x509_issuer;
    __typeof__(&X509_NAME_print_ex) name_print_ex;
    __typeof__(&X509_get0_notAfter) not_after;
    __typeof__(&ASN1_TIME_to_tm) asn1_to_tm;
    __typeof__(&X509_free) x509_free;
    __typeof__(&X509_verify_cert_error_string) verify_string;
    __typeof__(&X509_get_ext_d2i) get_ext_d2i;
    __typeof__(&GENERAL_NAMES_free) gens_free;
    __typeof__(&OPENSSL_sk_num) sk_num;
    __typeof__(&OPENSSL_sk_value) sk_value;
    __typeof__(&ASN1_STRING_get0_data) asn1_data;
    __typeof__(&ASN1_STRING_length) asn1_length;
    __typeof__(&BIO_new) bio_new;
    __typeof__(&BIO_s_mem) bio_s_mem;
    __typeof__(&BIO_read) bio_read;
    __typeof__(&BIO_free) bio_free;
    __typeof__(&ERR_get_error) err_get;
    __typeof__(&ERR_error_string_n) err_string;
    __typeof__(&ERR_clear_error) err_clear;
} so;

void mt_probe_set_libssl_name(const char *soname)
{
    if (ssl_state == 0 && soname && *soname)
        ssl_soname = soname;
}

static int sym(void *lib, const char *name, void *fnptr, size_t fnsize)
{
    void *p = dlsym(lib, name);
    if (!p) {
        snprintf(ssl_error, sizeof(ssl_error), "cannot load %s: missing %s", ssl_soname, name);
        return -1;
    }
    memcpy(fnptr, &p, fnsize);
    return 0;
}

#define S(name, field) (sym(lib, name, &so.field, sizeof(so.field)) < 0)

static int load_ssl(struct mt_err *err)
{
    void *lib;

    if (ssl_state == 0) {
        ssl_state = -1;
        lib = dlopen(ssl_soname, RTLD_NOW | RTLD_LOCAL);
        if (!lib) {
            const char *e = dlerror();
            snprintf(ssl_error, sizeof(ssl_error), "cannot load %s: %s", ssl_soname,
                     e ? e : "unknown error");
        } else if (S("TLS_client_method", client_method) || S("SSL_CTX_new", ctx_new) ||
                   S("SSL_CTX_free", ctx_free) || S("SSL_CTX_ctrl", ctx_ctrl) ||
                   S("SSL_CTX_set_verify", ctx_set_verify) ||
                   S("SSL_CTX_load_verify_locations", ctx_load_verify_locations) ||
                   S("SSL_CTX_set_default_verify_paths", ctx_set_default_verify_paths) ||
                   S("SSL_new", new_) || S("SSL_free", free_) || S("SSL_set_fd", set_fd) ||
                   S("SSL_ctrl", ctrl) || S("SSL_set1_host", set1_host) ||
                   S("SSL_connect", connect_) || S("SSL_shutdown", shutdown_) ||
                   S("SSL_get_verify_result", get_verify_result) ||
                   S("SSL_get1_peer_certificate", get1_peer_certificate) ||
                   S("SSL_get_version", get_version) ||
                   S("X509_get_subject_name", x509_subject) ||
                   S("X509_get_issuer_name", x509_issuer) ||
                   S("X509_NAME_print_ex", name_print_ex) || S("X509_get0_notAfter", not_after) ||
                   S("ASN1_TIME_to_tm", asn1_to_tm) || S("X509_free", x509_free) ||
                   S("X509_verify_cert_error_string", verify_string) ||
                   S("X509_get_ext_d2i", get_ext_d2i) || S("GENERAL_NAMES_free", gens_free) ||
                   S("OPENSSL_sk_num", sk_num) || S("OPENSSL_sk_value", sk_value) ||
                   S("ASN1_STRING_get0_data", asn1_data) ||
                   S("ASN1_STRING_length", asn1_length) || S("BIO_new", bio_new) ||
                   S("BIO_s_mem", bio_s_mem) || S("BIO_read", bio_read) ||
                   S("BIO_free", bio_free) || S("ERR_get_error", err_get) ||
                   S("ERR_error_string_n", err_string) || S("ERR_clear_error", err_clear)) {
            /* ssl_error set; the library stays mapped */
        } else {
            ssl_state = 1;
        }
    }
    if (ssl_state == 1)
        return 0;
    return mt_err_set(err, MT_E_HTTP, "%s", ssl_error);
}

/* ---- small helpers ---- */

static void escape_into(char *dst, size_t n, const char *src, size_t len)
{
    mt_err_sanitize(dst, n, src, len);
}

static int set_timeouts(int fd, int ms)
{
    struct timeval tv;

    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
        return -1;
    return 0;
}

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Non-blocking connect to one address with a deadline. Returns the fd or -1 (errno set). */
static int connect_one(const struct addrinfo *ai, int ms)
{
    struct pollfd p;
    int fd, fl, e = 0, rc;
    socklen_t el = sizeof(e);

    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0)
        return -1;
    fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        goto fail;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        if (errno != EINPROGRESS)
            goto fail;
        p.fd = fd;
        p.events = POLLOUT;
        do
            rc = poll(&p, 1, ms);
        while (rc < 0 && errno == EINTR);
        if (rc == 0) {
            errno = ETIMEDOUT;
            goto fail;
        }
        if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
            goto fail;
        if (e) {
            errno = e;
            goto fail;
        }
    }
    if (fcntl(fd, F_SETFL, fl) < 0 || set_timeouts(fd, ms) < 0)
        goto fail;
    return fd;
fail:
    e = errno;
    close(fd);
    errno = e;
    return -1;
}

static int tcp_connect(const struct mt_probe_req *rq, struct mt_probe_result *r, int ms)
{
    struct addrinfo hints, *res = NULL, *ai;
    char port[16];
    int fd = -1, rc, last = 0;
    long t0 = now_ms();

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof(port), "%d", rq->connect_port);
    rc = getaddrinfo(rq->connect_host, port, &hints, &res);
    if (rc) {
        snprintf(r->error, sizeof(r->error), "cannot resolve %s: %s", rq->connect_host,
                 gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        long left = ms - (now_ms() - t0);
        if (left <= 0) {
            last = ETIMEDOUT;
            break;
        }
        fd = connect_one(ai, (int)left);
        if (fd >= 0) {
            if (getnameinfo(ai->ai_addr, ai->ai_addrlen, r->address, sizeof(r->address), NULL, 0,
                            NI_NUMERICHOST))
                r->address[0] = '\0';
            break;
        }
        last = errno;
    }
    freeaddrinfo(res);
    r->connect_ms = now_ms() - t0;
    if (fd < 0)
        snprintf(r->error, sizeof(r->error), "cannot connect to %s port %d: %s%s",
                 rq->connect_host, rq->connect_port, strerror(last),
                 last == ETIMEDOUT ? " (no answer within the timeout)" : "");
    return fd;
}

static int read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;

    while (got < n) {
        ssize_t k = read(fd, (char *)buf + got, n - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return k == 0 ? 0 : -1;
        got += (size_t)k;
    }
    return 1;
}

static int write_full(int fd, const void *buf, size_t n)
{
    size_t put = 0;

    while (put < n) {
        ssize_t k = write(fd, (const char *)buf + put, n - put);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        put += (size_t)k;
    }
    return 0;
}

static void io_error(struct mt_probe_result *r, const char *what, int rc)
{
    snprintf(r->error, sizeof(r->error), "%s: %s", what,
             rc == 0 ? "the server closed the connection"
                     : errno == EAGAIN || errno == EWOULDBLOCK ? "no answer within the timeout"
                                                               : strerror(errno));
}

/* PostgreSQL: Int32 8, Int32 80877103; the answer is one byte. */
static int upgrade_postgres(int fd, struct mt_probe_result *r)
{
    static const unsigned char req[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
    unsigned char c;
    int rc;

    if (write_full(fd, req, sizeof(req)) < 0) {
        io_error(r, "cannot send the PostgreSQL SSLRequest", -1);
        return -1;
    }
    if ((rc = read_full(fd, &c, 1)) != 1) {
        io_error(r, "no answer to the PostgreSQL SSLRequest", rc);
        return -1;
    }
    if (c == 'S')
        return 0;
    if (c == 'N') {
        r->tls_refused = 1;
        snprintf(r->error, sizeof(r->error), "the server answered the SSLRequest with 'N': TLS "
                                             "is not enabled on it");
    } else {
        snprintf(r->error, sizeof(r->error),
                 "unexpected answer 0x%02x to the SSLRequest (not a PostgreSQL server?)", c);
    }
    return -1;
}

#define MYSQL_CLIENT_LONG_PASSWORD 0x1u
#define MYSQL_CLIENT_PROTOCOL_41 0x200u
#define MYSQL_CLIENT_SSL 0x800u
#define MYSQL_CLIENT_SECURE_CONNECTION 0x8000u

int mt_probe_mysql_greeting(const unsigned char *pkt, size_t len, struct mt_probe_result *r)
{
    size_t i, p;
    uint32_t caps;

    if (len < 1) {
        snprintf(r->error, sizeof(r->error), "empty MySQL greeting");
        return -1;
    }
    if (pkt[0] == 0xff) { /* error packet: 0xff, code(2), [#state(6)], message */
        p = len > 9 && pkt[3] == '#' ? 9 : 3;
        snprintf(r->error, sizeof(r->error), "the server refused the connection: ");
        i = strlen(r->error);
        escape_into(r->error + i, sizeof(r->error) - i, (const char *)pkt + (p < len ? p : len),
                    p < len ? len - p : 0);
        return -1;
    }
    if (pkt[0] != 10) {
        snprintf(r->error, sizeof(r->error), "not a MySQL greeting (protocol %u)", pkt[0]);
        return -1;
    }
    for (p = 1; p < len && pkt[p]; p++)
        ;
    escape_into(r->server_version, sizeof(r->server_version), (const char *)pkt + 1, p - 1);
    p++;            /* NUL */
    p += 4 + 8 + 1; /* connection id, auth data part 1, filler */
    if (p + 2 > len) {
        snprintf(r->error, sizeof(r->error), "truncated MySQL greeting");
        return -1;
    }
    caps = pkt[p] | (uint32_t)pkt[p + 1] << 8;
    if (!(caps & MYSQL_CLIENT_SSL)) {
        r->tls_refused = 1;
        snprintf(r->error, sizeof(r->error), "the server's greeting does not offer TLS "
                                             "(CLIENT_SSL not set): TLS is not enabled on it");
        return -1;
    }
    return 0;
}

/* MySQL / MariaDB: the server greets first (protocol 10); CLIENT_SSL in its capability flags
 * means TLS is on; the client answers with a 32-byte SSL request packet (sequence 1). */
static int upgrade_mysql(int fd, struct mt_probe_result *r)
{
    unsigned char hdr[4], pkt[1024], req[36];
    size_t len, i;
    uint32_t caps;
    int rc;

    if ((rc = read_full(fd, hdr, 4)) != 1) {
        io_error(r, "no MySQL greeting", rc);
        return -1;
    }
    len = hdr[0] | (size_t)hdr[1] << 8 | (size_t)hdr[2] << 16;
    if (len < 1 || len > sizeof(pkt)) {
        snprintf(r->error, sizeof(r->error), "not a MySQL greeting (packet of %zu bytes)", len);
        return -1;
    }
    if ((rc = read_full(fd, pkt, len)) != 1) {
        io_error(r, "incomplete MySQL greeting", rc);
        return -1;
    }
    if (mt_probe_mysql_greeting(pkt, len, r) < 0)
        return -1;
    memset(req, 0, sizeof(req));
    req[0] = 32; /* payload length */
    req[3] = 1;  /* sequence */
    caps = MYSQL_CLIENT_LONG_PASSWORD | MYSQL_CLIENT_PROTOCOL_41 | MYSQL_CLIENT_SSL |
           MYSQL_CLIENT_SECURE_CONNECTION;
    for (i = 0; i < 4; i++)
        req[4 + i] = (unsigned char)(caps >> (8 * i));
    req[8 + 3] = 0x01; /* max packet 16 MiB */
    req[12] = 45;      /* utf8mb4_general_ci */
    if (write_full(fd, req, sizeof(req)) < 0) {
        io_error(r, "cannot send the MySQL SSL request", -1);
        return -1;
    }
    return 0;
}

static void name_line(X509_NAME *nm, char *out, size_t n)
{
    BIO *b = so.bio_new(so.bio_s_mem());
    char buf[512];
    int k;

    out[0] = '\0';
    if (!b)
        return;
    if (so.name_print_ex(b, nm, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
        (k = so.bio_read(b, buf, sizeof(buf) - 1)) > 0)
        escape_into(out, n, buf, (size_t)k);
    so.bio_free(b);
}

static void san_line(X509 *cert, char *out, size_t n)
{
    GENERAL_NAMES *g = so.get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    size_t j = 0;
    int i, cnt;

    out[0] = '\0';
    if (!g)
        return;
    cnt = so.sk_num((const OPENSSL_STACK *)g);
    for (i = 0; i < cnt; i++) {
        const GENERAL_NAME *gn = so.sk_value((const OPENSSL_STACK *)g, i);
        char tmp[256];
        if (!gn || gn->type != GEN_DNS)
            continue;
        escape_into(tmp, sizeof(tmp), (const char *)so.asn1_data(gn->d.dNSName),
                    (size_t)so.asn1_length(gn->d.dNSName));
        j += (size_t)snprintf(out + j, j < n ? n - j : 0, "%s%s", j ? "," : "", tmp);
        if (j >= n) {
            out[n - 1] = '\0';
            break;
        }
    }
    so.gens_free(g);
}

static void ssl_err_text(struct mt_probe_result *r, const char *what)
{
    unsigned long e = so.err_get();
    char buf[200];

    if (e) {
        so.err_string(e, buf, sizeof(buf));
        snprintf(r->error, sizeof(r->error), "%s: %s", what, buf);
    } else {
        snprintf(r->error, sizeof(r->error), "%s: %s", what,
                 errno ? strerror(errno) : "the server closed the connection");
    }
}

static void tls_handshake(int fd, const struct mt_probe_req *rq, struct mt_probe_result *r)
{
    SSL_CTX *ctx = NULL;
    SSL *s = NULL;
    X509 *cert = NULL;
    struct tm tm;
    long v;

    so.err_clear();
    ctx = so.ctx_new(so.client_method());
    if (!ctx) {
        ssl_err_text(r, "cannot create a TLS context");
        goto out;
    }
    so.ctx_ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_2_VERSION, NULL);
    so.ctx_set_verify(ctx, SSL_VERIFY_NONE, NULL); /* recorded, not enforced: see the header */
    if (rq->ca_bundle) {
        if (so.ctx_load_verify_locations(ctx, rq->ca_bundle, NULL) != 1) {
            ssl_err_text(r, "cannot read the CA bundle");
            goto out;
        }
    } else if (so.ctx_set_default_verify_paths(ctx) != 1) {
        ssl_err_text(r, "cannot load the system CA roots");
        goto out;
    }
    s = so.new_(ctx);
    if (!s || so.set_fd(s, fd) != 1) {
        ssl_err_text(r, "cannot start TLS");
        goto out;
    }
    if (rq->verify_host && *rq->verify_host) {
        struct in6_addr a6;
        struct in_addr a4;
        int is_ip = inet_pton(AF_INET, rq->verify_host, &a4) == 1 ||
                    inet_pton(AF_INET6, rq->verify_host, &a6) == 1;
        if (!is_ip) /* SNI carries names only */
            so.ctrl(s, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                    (void *)rq->verify_host);
        if (so.set1_host(s, rq->verify_host) != 1) {
            ssl_err_text(r, "cannot set the host name to verify");
            goto out;
        }
    }
    errno = 0;
    if (so.connect_(s) != 1) {
        ssl_err_text(r, "TLS handshake failed");
        goto out;
    }
    r->stage = MT_PROBE_STAGE_DONE;
    snprintf(r->tls_version, sizeof(r->tls_version), "%s", so.get_version(s));
    v = so.get_verify_result(s);
    r->verify_code = v;
    if (v != X509_V_OK)
        snprintf(r->verify_error, sizeof(r->verify_error), "%s", so.verify_string(v));
    r->unknown_ca = v == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
                    v == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
                    v == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
                    v == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
                    v == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
    r->name_mismatch = v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH;
    r->expired = v == X509_V_ERR_CERT_HAS_EXPIRED || v == X509_V_ERR_CERT_NOT_YET_VALID;
    cert = so.get1_peer_certificate(s);
    if (cert) {
        name_line(so.x509_subject(cert), r->subject, sizeof(r->subject));
        name_line(so.x509_issuer(cert), r->issuer, sizeof(r->issuer));
        san_line(cert, r->san, sizeof(r->san));
        memset(&tm, 0, sizeof(tm));
        if (so.asn1_to_tm(so.not_after(cert), &tm) == 1)
            r->not_after = timegm(&tm);
    }
    r->error[0] = '\0';
    so.shutdown_(s);
out:
    if (cert)
        so.x509_free(cert);
    if (s)
        so.free_(s);
    if (ctx)
        so.ctx_free(ctx);
    so.err_clear();
}

int mt_probe_run(const struct mt_probe_req *rq, struct mt_probe_result *r, struct mt_err *err)
{
    int fd, ms;

    memset(r, 0, sizeof(*r));
    if (!rq || !rq->connect_host || !*rq->connect_host || rq->connect_port < 1 ||
        rq->connect_port > 65535)
        return mt_err_set(err, MT_E_USAGE, "probe: no host or port");
    if (load_ssl(err) < 0)
        return -1;
    ms = rq->timeout_ms > 0 ? rq->timeout_ms : MT_PROBE_TIMEOUT_MS_DEFAULT;
    r->stage = MT_PROBE_STAGE_CONNECT;
    fd = tcp_connect(rq, r, ms);
    if (fd < 0)
        return 0;
    r->stage = MT_PROBE_STAGE_UPGRADE;
    if ((rq->proto == MT_PROBE_POSTGRES && upgrade_postgres(fd, r) < 0) ||
        (rq->proto == MT_PROBE_MYSQL && upgrade_mysql(fd, r) < 0)) {
        close(fd);
        return 0;
    }
    r->stage = MT_PROBE_STAGE_HANDSHAKE;
    tls_handshake(fd, rq, r);
    close(fd);
    return 0;
}

/* ---- DNS ---- */

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

int mt_probe_answer_cname(const unsigned char *msg, int len, const char *name, char *out)
{
    const unsigned char *p = msg + 12, *end = msg + len;
    unsigned qd, an, i;
    char owner[NS_MAXDNAME];
    int k;

    if (len < 12)
        return 0;
    qd = (unsigned)msg[4] << 8 | msg[5];
    an = (unsigned)msg[6] << 8 | msg[7];
    for (i = 0; i < qd; i++) {
        if ((k = dn_expand(msg, end, p, owner, sizeof(owner))) < 0 || p + k + 4 > end)
            return 0;
        p += k + 4;
    }
    for (i = 0; i < an; i++) {
        unsigned type, rdlen;
        if ((k = dn_expand(msg, end, p, owner, sizeof(owner))) < 0 || p + k + 10 > end)
            return 0;
        p += k;
        type = (unsigned)p[0] << 8 | p[1];
        rdlen = (unsigned)p[8] << 8 | p[9];
        p += 10;
        if (p + rdlen > end)
            return 0;
        if (type == ns_t_cname && !strcasecmp(owner, name)) {
            char target[NS_MAXDNAME];
            size_t tl;
            if (dn_expand(msg, end, p, target, sizeof(target)) < 0 ||
                (tl = strlen(target)) >= 256)
                return 0;
            memcpy(out, target, tl + 1);
            lower(out);
            return 1;
        }
        p += rdlen;
    }
    return 0;
}

int mt_probe_cname_chain(const char *host, char out[][256], size_t *n, struct mt_err *err)
{
    static const int types[] = {ns_t_a, ns_t_aaaa};
    unsigned char msg[4096];
    char name[256];
    size_t l, t;
    int len = -1;

    *n = 0;
    if (!host || !*host || strlen(host) >= sizeof(name))
        return 0;
    snprintf(name, sizeof(name), "%s", host);
    l = strlen(name);
    if (l && name[l - 1] == '.')
        name[l - 1] = '\0';
    /* an address query: resolvers answer it with the whole CNAME chain in front of the
     * addresses (a CNAME-type query is refused by some local resolvers) */
    for (t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
        len = res_query(name, ns_c_in, types[t], msg, sizeof(msg));
        if (len > (int)sizeof(msg)) /* a truncated answer reports its full length */
            len = (int)sizeof(msg);
        if (len >= 0 || (h_errno != NO_DATA && h_errno != NO_ADDRESS))
            break;
    }
    if (len < 0) {
        if (h_errno == HOST_NOT_FOUND || h_errno == NO_DATA)
            return 0;
        return mt_err_set(err, MT_E_HTTP, "DNS look-up of %s failed: %s", name,
                          hstrerror(h_errno));
    }
    while (*n < MT_PROBE_MAX_CNAMES && mt_probe_answer_cname(msg, len, name, out[*n])) {
        snprintf(name, sizeof(name), "%s", out[*n]);
        (*n)++;
    }
    return 0;
}

int mt_probe_is_private_addr(const char *addr)
{
    struct in_addr a4;
    struct in6_addr a6;

    if (inet_pton(AF_INET, addr, &a4) == 1) {
        uint32_t v = ntohl(a4.s_addr);
        return (v >> 24) == 127 || (v >> 24) == 10 || (v >> 20) == (172u << 4 | 1) ||
               (v >> 16) == (192u << 8 | 168) || (v >> 16) == (169u << 8 | 254) ||
               (v >> 22) == (100u << 2 | 1) || v == 0;
    }
    if (inet_pton(AF_INET6, addr, &a6) == 1) {
        const unsigned char *b = a6.s6_addr;
        static const unsigned char lo[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        if (!memcmp(b, lo, 16) || (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80))
            return 1;
        if (IN6_IS_ADDR_V4MAPPED(&a6)) {
            char s4[INET_ADDRSTRLEN];
            return inet_ntop(AF_INET, b + 12, s4, sizeof(s4)) && mt_probe_is_private_addr(s4);
        }
    }
    return 0;
}

int mt_probe_resolve(const char *host, char *out, size_t n)
{
    struct addrinfo hints, *res = NULL, *ai;
    size_t j = 0;
    int rc, cnt = 0;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (n)
        out[0] = '\0';
    rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc) {
        snprintf(out, n, "%s", gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        char a[64];
        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, a, sizeof(a), NULL, 0, NI_NUMERICHOST))
            continue;
        if (j && strstr(out, a))
            continue;
        if (j < n)
            j += (size_t)snprintf(out + j, n - j, "%s%s", j ? "," : "", a);
        cnt++;
    }
    freeaddrinfo(res);
    return cnt;
}
