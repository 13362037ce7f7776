/* sigv4.h - AWS Signature Version 4: header signing, query presigning and RDS IAM tokens.
 *
 * PURE: no I/O, no environment, no clock, no RNG, no globals. The time arrives as `now` in each
 * request struct. Hashes come from common/hash.h (libsodium). Every buffer that holds the secret
 * key, a derived key, the session token or a presigned credential is wiped before it is freed.
 *
 * Wire facts: shared/docs/aws-wire.md sections 1 and 2. Output is byte-identical to botocore 1.43
 * (the pure-Python signers used by `aws rds generate-db-auth-token`). */
#ifndef MT_SIGV4_SIGV4_H
#define MT_SIGV4_SIGV4_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"
#include "common/err.h"

#define MT_SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define MT_SIGV4_KEY_LEN 32
/* Longest X-Amz-Expires SigV4 accepts (7 days). */
#define MT_SIGV4_MAX_EXPIRES 604800u
/* X-Amz-Expires of an RDS IAM token (fixed by every SDK). */
#define MT_SIGV4_RDS_EXPIRES 900u
#define MT_SIGV4_RDS_SERVICE "rds-db"

/* Borrowed credentials. session_token NULL or "" means none. */
struct mt_sigv4_creds {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token;
};

/* A borrowed name/value pair: a header (repeated names allowed, values joined with ',' in the
 * order given) or a decoded query parameter (value NULL means "key="). */
struct mt_sigv4_pair {
    const char *name;
    const char *value;
};

enum mt_sigv4_mode {
    MT_SIGV4_MODE_HEADER = 0, /* Authorization + X-Amz-Date headers */
    MT_SIGV4_MODE_QUERY       /* presigned URL: X-Amz-* query parameters */
};

/* Flags for struct mt_sigv4_request. 0 is what mytools always uses: non-S3 path normalisation
 * and double encoding on, session token signed. */
enum mt_sigv4_flag {
    /* Keep "." / ".." segments and repeated slashes in the canonical URI (S3, or aws-c-auth's
     * normalize=false). The path is still percent-encoded unless MT_SIGV4_NO_ENCODE_PATH. */
    MT_SIGV4_NO_NORMALIZE_PATH = 1 << 0,
    /* Use the path as given, without the second percent-encoding (S3). */
    MT_SIGV4_NO_ENCODE_PATH = 1 << 1,
    /* Header mode: add and sign "x-amz-content-sha256: <payload hash>" (S3-style). */
    MT_SIGV4_ADD_CONTENT_SHA256 = 1 << 2,
    /* Leave the session token out of the signature and add it afterwards (aws-c-auth
     * omit_session_token; only AWS IoT websockets want this; never used for RDS/KMS/SM/STS). */
    MT_SIGV4_UNSIGNED_SESSION_TOKEN = 1 << 3
};

/* General signer input. All pointers are borrowed.
 * headers: every header to sign (all of them are signed), must include Host. In header mode the
 * signer adds x-amz-date, x-amz-security-token (when there is a token) and, with
 * MT_SIGV4_ADD_CONTENT_SHA256, x-amz-content-sha256; passing any of those, or Authorization, is an
 * error. Values are trimmed and inner whitespace runs (incl. folded lines) collapse to one space.
 * Query: raw_query (the query string as on the wire, without '?'; percent-decoded then re-encoded
 * for the canonical form, '+' is a literal plus) and/or params (decoded pairs, encoded here);
 * raw_query comes first in the emitted query, then params in the order given. */
struct mt_sigv4_request {
    enum mt_sigv4_mode mode;
    const char *method;      /* upper-cased for signing */
    const char *path;        /* raw path as on the wire; NULL or "" means "/"; must start with '/' */
    const char *raw_query;   /* NULL or "" for none */
    const struct mt_sigv4_pair *params;
    size_t nparams;
    const struct mt_sigv4_pair *headers;
    size_t nheaders;
    const void *body;        /* may be NULL when body_len is 0 */
    size_t body_len;
    const char *region;
    const char *service;     /* signing name: "kms", "secretsmanager", "sts", "rds-db" */
    const struct mt_sigv4_creds *creds;
    time_t now;
    unsigned expires;        /* query mode: X-Amz-Expires, 1..MT_SIGV4_MAX_EXPIRES */
    unsigned flags;          /* enum mt_sigv4_flag bits; 0 for every AWS call mytools makes */
};

/* General signer output. Owned: release with mt_sigv4_result_release() (wipes). All buffers are
 * secret (the canonical request and the query can carry the session token). */
struct mt_sigv4_result {
    char amz_date[17];               /* "20260102T030405Z" */
    char payload_hash[65];           /* lower-case hex SHA-256 of the body */
    char signature[65];              /* lower-case hex */
    struct mt_buf canonical_request;
    struct mt_buf string_to_sign;
    struct mt_buf signed_headers;    /* "host;x-amz-date" */
    struct mt_buf authorization;     /* header mode: the Authorization value; empty in query mode */
    /* The query string to send after '?' (no '?'; empty when none): raw_query as given, the
     * encoded params, then in query mode X-Amz-Algorithm, -Credential, -Date, -Expires,
     * -SignedHeaders, [-Security-Token], -Signature (botocore's order). */
    struct mt_buf query;
    /* Header mode with a session token: the caller must send
     * "X-Amz-Security-Token: <creds->session_token>" (signed unless
     * MT_SIGV4_UNSIGNED_SESSION_TOKEN). */
    int send_security_token;
    /* Header mode with MT_SIGV4_ADD_CONTENT_SHA256: send "x-amz-content-sha256: <payload_hash>". */
    int send_content_sha256;
};

/* The four chained HMAC keys (aws-wire.md 1.6). Secret: wipe with mt_memzero after use. */
struct mt_sigv4_keys {
    uint8_t k_date[MT_SIGV4_KEY_LEN];
    uint8_t k_region[MT_SIGV4_KEY_LEN];
    uint8_t k_service[MT_SIGV4_KEY_LEN];
    uint8_t k_signing[MT_SIGV4_KEY_LEN];
};

/* Sets every buffer of r to empty secret mode. Cannot fail, allocates nothing. */
void mt_sigv4_result_init(struct mt_sigv4_result *r);
/* Wipes and frees r's contents and re-initialises it. Idempotent; NULL-safe. */
void mt_sigv4_result_release(struct mt_sigv4_result *r);

/* Signs req. out is initialised here (release any earlier result first); on failure it is left
 * empty, and releasing it is still safe. Errors: MT_E_USAGE for invalid input (message says which
 * field), MT_E_NOMEM. */
int mt_sigv4_sign(const struct mt_sigv4_request *req, struct mt_sigv4_result *out,
                  struct mt_err *err) MT_WUR;

/* kDate .. kSigning for secret, date8 ("yyyymmdd"), region and service. The "AWS4"+secret
 * buffer is wiped before return; the caller wipes *out. Errors: MT_E_USAGE, MT_E_NOMEM. */
int mt_sigv4_derive_keys(const char *secret_access_key, const char *date8, const char *region,
                         const char *service, struct mt_sigv4_keys *out, struct mt_err *err) MT_WUR;

/* Appends s[0..n) percent-encoded with only A-Z a-z 0-9 - _ . ~ (and '/' when keep_slash) left
 * as they are; everything else, byte by byte, as %XX with upper-case hex. Returns 0, or -1 (out
 * of memory or out's cap) leaving out as it was. */
int mt_sigv4_uri_encode(struct mt_buf *out, const char *s, size_t n, int keep_slash) MT_WUR;

/* ---- Header signing for AWS JSON / query POSTs (KMS, Secrets Manager, STS) ---- */

/* All pointers borrowed. Signs host;x-amz-date + the given headers + x-amz-security-token when
 * there is a session token (aws-wire.md 1.4). */
struct mt_sigv4_header_req {
    const char *method;                   /* "POST" */
    const char *host;                     /* the Host header exactly as sent: host[:port], port
                                             left out when default for the scheme */
    const char *path;                     /* NULL or "" means "/" */
    const struct mt_sigv4_pair *params;   /* decoded query parameters, or NULL */
    size_t nparams;
    const struct mt_sigv4_pair *headers;  /* extra headers to sign and send, e.g. Content-Type,
                                             X-Amz-Target; no CR/LF in values */
    size_t nheaders;
    const void *body;
    size_t body_len;
    const char *region;
    const char *service;
    const struct mt_sigv4_creds *creds;
    time_t now;
};

/* Owned by the struct; release with mt_sigv4_signed_release() (wipes). */
struct mt_sigv4_signed {
    char amz_date[17];         /* send as X-Amz-Date */
    char *authorization;       /* send as Authorization */
    char *query;               /* encoded query to append after '?'; "" when none */
    /* 1 when the caller must send "X-Amz-Security-Token: <creds->session_token>" (it is signed) */
    int send_security_token;
    char *canonical_request;   /* for debugging and tests; may contain the session token */
    char *string_to_sign;
};

/* Signs a header-authenticated request. out is overwritten (release an earlier one first); on
 * failure it is left empty. Errors: MT_E_USAGE, MT_E_NOMEM. */
int mt_sigv4_sign_headers(const struct mt_sigv4_header_req *req, struct mt_sigv4_signed *out,
                          struct mt_err *err) MT_WUR;
/* The headers a header-mode signature adds to a request, in the order every client sends them:
 * X-Amz-Date, Authorization and, when s->send_security_token, X-Amz-Security-Token with
 * session_token. Writes at most MT_SIGV4_SIGNED_HEADERS entries to h (values borrowed from s and
 * session_token; the secret ones flagged) and returns how many. */
#define MT_SIGV4_SIGNED_HEADERS 3
struct mt_http_header;
size_t mt_sigv4_signed_http_headers(const struct mt_sigv4_signed *s, const char *session_token,
                                    struct mt_http_header *h);
/* Wipes and frees every string of s and zeroes it. Idempotent; NULL-safe. */
void mt_sigv4_signed_release(struct mt_sigv4_signed *s);

/* ---- RDS IAM authentication token ---- */

struct mt_sigv4_rds_req {
    const char *host;    /* DB endpoint as the user gave it (kept verbatim in the token) */
    unsigned port;       /* 1..65535 */
    const char *user;    /* database user name */
    const char *region;
    const struct mt_sigv4_creds *creds;
    time_t now;
};

/* Appends the RDS IAM auth token (no scheme) to out, byte-identical to botocore 1.43's
 * generate_db_auth_token:
 *   <host>:<port>/?Action=connect&DBUser=<enc>&X-Amz-Algorithm=..&X-Amz-Credential=..
 *   &X-Amz-Date=..&X-Amz-Expires=900&X-Amz-SignedHeaders=host[&X-Amz-Security-Token=<enc>]
 *   &X-Amz-Signature=<hex>
 * The signed host header is the host lower-cased, with ":<port>" unless the port is 443 (the
 * https default; ":80" is kept, as botocore does). The token is a bearer credential: out must be
 * a secret buffer (MT_BUF_INIT_SECRET), else MT_E_INTERNAL. On failure out is left as it was.
 * Errors: MT_E_USAGE (empty or invalid host, user, region, credentials; port out of range),
 * MT_E_NOMEM, MT_E_INTERNAL. */
int mt_sigv4_rds_token(const struct mt_sigv4_rds_req *req, struct mt_buf *out,
                       struct mt_err *err) MT_WUR;

/* ---- Aurora DSQL, ElastiCache and MemoryDB tokens (aws-wire.md 10.2, 10.3) ---- */

#define MT_SIGV4_DSQL_SERVICE "dsql"
#define MT_SIGV4_DSQL_DEFAULT_EXPIRES 900u

struct mt_sigv4_dsql_req {
    const char *host;    /* cluster endpoint, kept verbatim in the token */
    const char *region;
    int admin;           /* 1: Action=DbConnectAdmin, else DbConnect */
    unsigned expires;    /* 1..MT_SIGV4_MAX_EXPIRES */
    const struct mt_sigv4_creds *creds;
    time_t now;
};

/* Appends the DSQL token, byte-identical to botocore 1.43's generate_db_connect_auth_token /
 * generate_db_connect_admin_auth_token: presigned GET https://<host>/?Action=DbConnect[Admin],
 * service dsql, X-Amz-Expires = expires, "https://" dropped:
 *   <host>/?Action=DbConnect&X-Amz-Algorithm=..&X-Amz-Credential=..&X-Amz-Date=..
 *   &X-Amz-Expires=<n>&X-Amz-SignedHeaders=host[&X-Amz-Security-Token=..]&X-Amz-Signature=..
 * Signed host header: the host lower-cased. out must be a secret buffer. Errors as
 * mt_sigv4_rds_token. */
int mt_sigv4_dsql_token(const struct mt_sigv4_dsql_req *req, struct mt_buf *out,
                        struct mt_err *err) MT_WUR;

struct mt_sigv4_cache_req {
    const char *cache_name; /* replication group / serverless cache / MemoryDB cluster name */
    const char *user;       /* IAM-enabled user id (= user name), signed as given */
    const char *region;
    const char *service;    /* "elasticache" or "memorydb" */
    int serverless;         /* ElastiCache serverless: adds ResourceType=ServerlessCache */
    const struct mt_sigv4_creds *creds;
    time_t now;
};

/* Appends the ElastiCache / MemoryDB IAM token (the AWS documentation's algorithm; no SDK has a
 * generator): presigned GET http://<name>/?Action=connect&User=<user>[&ResourceType=
 * ServerlessCache], X-Amz-Expires=900, "http://" dropped. The signed host header is the name
 * lower-cased; the token shows it lower-cased for elasticache (ElastiCache stores ids in lower
 * case) and as given for memorydb. out must be a secret buffer. Errors as mt_sigv4_rds_token. */
int mt_sigv4_cache_token(const struct mt_sigv4_cache_req *req, struct mt_buf *out,
                         struct mt_err *err) MT_WUR;

#endif
