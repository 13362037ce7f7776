/* awserr.h - AWS error responses into struct mt_err (pure).
 *
 * Understands every shape mytools meets:
 *   awsJson 1.1 (KMS, Secrets Manager)  {"__type": "ns#Code", "message"|"Message": "..."}
 *   rest-json (SSO portal, SSO OIDC)    header x-amzn-ErrorType "Code:uri" first, body code/Code
 *   OAuth (SSO OIDC)                    {"error": "authorization_pending", "error_description": "..."}
 *   query XML (STS)                     <ErrorResponse><Error><Code>..</Code><Message>..</Message>
 *   moto's XML (testing-notes.md)       <ErrorResponse><Errors><Error><Code>..
 * Code extraction follows botocore: text before the first ':' and after the last '#'.
 * A body-only OAuth error string is normalised to the exception name the service would put in
 * x-amzn-ErrorType ("authorization_pending" -> "AuthorizationPendingException").
 *
 * Mapping: credentials rejected, expired or missing (UnrecognizedClientException,
 * InvalidSignatureException, SignatureDoesNotMatch, IncompleteSignature, ExpiredToken,
 * ExpiredTokenException, InvalidClientTokenId, MissingAuthenticationToken(Exception),
 * UnauthorizedException, InvalidGrantException, InvalidClientException, InvalidToken, AuthFailure,
 * RequestExpired, and HTTP 401 without a code) -> MT_E_AUTH (exit 4: log in again / fix keys).
 * AccessDenied / AccessDeniedException are MT_E_AWS (exit 1): the credentials are valid but lack a
 * permission; logging in again does not help, so no "log in" hint. Everything else -> MT_E_AWS. */
#ifndef MT_COMMON_AWSERR_H
#define MT_COMMON_AWSERR_H

#include <stddef.h>

#include "common/err.h"
#include "common/http.h"

/* Fills err from a non-2xx response: code (MT_E_AUTH or MT_E_AWS), aws_type (the code, or "" when
 * none was found), msg "<Type>: <message>" (or "<Type>", or "HTTP <status> from the service"),
 * sanitised (control characters become '?'), request_id (header, else <RequestId> in XML),
 * http_status, and a hint for a signature outside the allowed clock skew. Always returns -1, so
 * `return mt_aws_parse_error(&resp, err);` reads naturally. */
int mt_aws_parse_error(const struct mt_http_resp *resp, struct mt_err *err);

/* The error code only (same rules, no message), into out (size n); "" when none. Returns 0 if a
 * code was found, else -1. */
int mt_aws_error_code(const struct mt_http_resp *resp, char *out, size_t n);

/* The error class for a code and HTTP status: MT_E_AUTH or MT_E_AWS (see the mapping above). */
enum mt_errc mt_aws_error_class(const char *code, long status);

/* botocore's code clean-up: the part before the first ':', then after the last '#', into out
 * (size n), sanitised. */
void mt_aws_clean_code(const char *raw, char *out, size_t n);

/* Clock-skew correction (aws-wire.md 4.2), the one rule for every signed client: after a failed
 * call whose error (aws_type) is SignatureDoesNotMatch, RequestTimeTooSkewed,
 * InvalidSignatureException, AuthFailure or RequestExpired, and whose response Date header
 * (date, RFC 7231) is more than 4 minutes from local_now + *skew, sets *skew to the server's
 * offset and returns 1: sign again once with mt_clock_now() + *skew. Otherwise 0. */
int mt_aws_skew_retry(const struct mt_err *err, const char *date, long local_now, long *skew);

/* Tolerant XML text extraction: the text of the first <tag>...</tag> (namespace prefixes allowed,
 * attributes skipped, entities &amp; &lt; &gt; &quot; &apos; and numeric ASCII references
 * decoded) into out (size n, truncated). Returns 0 if found, else -1. Not a validating parser. */
int mt_aws_xml_text(const char *xml, size_t len, const char *tag, char *out, size_t n);
/* The same extraction, untruncated, into a new string (wipe and free it with mt_free_secret when
 * it may hold a secret). NULL when the tag is absent or empty, or on OOM. */
char *mt_aws_xml_dup(const char *xml, size_t len, const char *tag);

/* Element iterator (the same tolerant reader): finds the next <tag ...>...</tag> starting at
 * xml[*pos], nesting-aware (a <member> inside a <member> does not end the outer one), and sets
 * *inner / *inner_len to its content (length 0 for <tag/>) and *pos past its end. Returns 1 when
 * found, 0 when there is none (or the document ends before the element does). Loop with
 *   size_t pos = 0; while (mt_aws_xml_next(x, n, "member", &pos, &in, &il)) { ... }
 * and read children with mt_aws_xml_text(in, il, ...) or a nested iterator. */
int mt_aws_xml_next(const char *xml, size_t len, const char *tag, size_t *pos,
                    const char **inner, size_t *inner_len);

#endif
