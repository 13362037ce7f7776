/* test_awserr.c - AWS error bodies (json-1.1, rest-json, OAuth, query XML, moto XML) into mt_err. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/awserr.h"
#include "common/http.h"

struct ecase {
    const char *name;
    long status;
    const char *error_type_header;
    const char *request_id_header;
    const char *body;
    enum mt_errc want_code;
    const char *want_type;
    const char *want_msg;
    const char *want_request_id;
};

static const struct ecase cases[] = {
    {"json-1.1 KMS NotFound", 400, NULL, "rid-1",
     "{\"__type\": \"NotFoundException\", \"message\": \"Alias arn:aws:kms:us-east-1:123456789012:"
     "alias/nope is not found.\"}",
     MT_E_AWS, "NotFoundException",
     "NotFoundException: Alias arn:aws:kms:us-east-1:123456789012:alias/nope is not found.",
     "rid-1"},
    {"json-1.1 namespace prefix", 400, NULL, NULL,
     "{\"__type\":\"com.amazonaws.kms#NotFoundException\",\"message\":\"m\"}", MT_E_AWS,
     "NotFoundException", "NotFoundException: m", ""},
    {"json-1.1 colon suffix", 400, NULL, NULL,
     "{\"__type\":\"ns.a#ValidationException:http://internal.amazon.com/coral/x/\"}", MT_E_AWS,
     "ValidationException", "ValidationException (HTTP 400)", ""},
    {"Secrets Manager Message", 400, NULL, NULL,
     "{\"__type\":\"ResourceExistsException\",\"Message\":\"The operation failed because the "
     "secret MyTestSecret already exists.\"}",
     MT_E_AWS, "ResourceExistsException",
     "ResourceExistsException: The operation failed because the secret MyTestSecret already "
     "exists.",
     ""},
    {"json-1.1 InvalidSignature -> auth", 400, NULL, NULL,
     "{\"__type\":\"InvalidSignatureException\",\"message\":\"Signature expired: 20240820T230143Z "
     "is now earlier than 20240820T230302Z (20240820T230802Z - 5 min.)\"}",
     MT_E_AUTH, "InvalidSignatureException",
     "InvalidSignatureException: Signature expired: 20240820T230143Z is now earlier than "
     "20240820T230302Z (20240820T230802Z - 5 min.)",
     ""},
    {"UnrecognizedClient -> auth", 400, NULL, NULL,
     "{\"__type\":\"UnrecognizedClientException\",\"message\":\"The security token included in "
     "the request is invalid.\"}",
     MT_E_AUTH, "UnrecognizedClientException",
     "UnrecognizedClientException: The security token included in the request is invalid.", ""},
    {"ExpiredTokenException -> auth", 400, NULL, NULL,
     "{\"__type\":\"ExpiredTokenException\",\"message\":\"expired\"}", MT_E_AUTH,
     "ExpiredTokenException", "ExpiredTokenException: expired", ""},
    {"AccessDenied is a permission problem", 400, NULL, NULL,
     "{\"__type\":\"AccessDeniedException\",\"message\":\"User: arn:aws:iam::1:user/a is not "
     "authorized to perform: kms:Decrypt\"}",
     MT_E_AWS, "AccessDeniedException",
     "AccessDeniedException: User: arn:aws:iam::1:user/a is not authorized to perform: "
     "kms:Decrypt",
     ""},
    {"throttling", 400, NULL, NULL,
     "{\"__type\":\"ThrottlingException\",\"message\":\"You have exceeded the rate at which you "
     "may call KMS. Reduce the frequency of your calls.\"}",
     MT_E_AWS, "ThrottlingException",
     "ThrottlingException: You have exceeded the rate at which you may call KMS. Reduce the "
     "frequency of your calls.",
     ""},
    {"rest-json header wins", 400,
     "AuthorizationPendingException:http://internal.amazon.com/coral/com.amazonaws.sso.oidc/",
     "r-2", "{\"error\":\"authorization_pending\",\"error_description\":\"Authorization is still "
            "pending\"}",
     MT_E_AWS, "AuthorizationPendingException",
     "AuthorizationPendingException: Authorization is still pending", "r-2"},
    {"OAuth body only: normalised", 400, NULL, NULL,
     "{\"error\":\"slow_down\",\"error_description\":\"Slow down\"}", MT_E_AWS,
     "SlowDownException", "SlowDownException: Slow down", ""},
    {"OAuth invalid_grant -> auth", 400, NULL, NULL,
     "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid grant provided\"}", MT_E_AUTH,
     "InvalidGrantException", "InvalidGrantException: Invalid grant provided", ""},
    {"OAuth expired_token", 400, NULL, NULL, "{\"error\":\"expired_token\"}", MT_E_AUTH,
     "ExpiredTokenException", "ExpiredTokenException (HTTP 400)", ""},
    {"rest-json code/Code", 403, NULL, NULL,
     "{\"code\":\"ForbiddenException\",\"message\":\"No access\"}", MT_E_AWS,
     "ForbiddenException", "ForbiddenException: No access", ""},
    {"rest-json Code", 400, NULL, NULL, "{\"Code\":\"InvalidRequestException\"}", MT_E_AWS,
     "InvalidRequestException", "InvalidRequestException (HTTP 400)", ""},
    {"SSO portal Unauthorized -> auth", 401, "UnauthorizedException", NULL,
     "{\"message\":\"Session token not found or invalid\"}", MT_E_AUTH, "UnauthorizedException",
     "UnauthorizedException: Session token not found or invalid", ""},
    {"bare 401 -> auth", 401, NULL, NULL, "", MT_E_AUTH, "",
     "HTTP 401 from the service, without error details", ""},
    {"bare 503", 503, NULL, NULL, "<html><body>Service Unavailable</body></html>", MT_E_AWS, "",
     "HTTP 503 from the service, without error details", ""},
    {"query XML (STS)", 403, NULL, NULL,
     "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
     "  <Error><Type>Sender</Type><Code>ExpiredToken</Code><Message>The security token included "
     "in the request is expired</Message></Error>\n"
     "  <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>\n</ErrorResponse>\n",
     MT_E_AUTH, "ExpiredToken",
     "ExpiredToken: The security token included in the request is expired",
     "c6104cbe-af31-11e0-8154-cbc7ccf896c7"},
    {"query XML InvalidClientTokenId", 403, NULL, "hdr-rid",
     "<?xml version=\"1.0\"?><ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId"
     "</Code><Message>The security token included in the request is invalid.</Message></Error>"
     "<RequestId>body-rid</RequestId></ErrorResponse>",
     MT_E_AUTH, "InvalidClientTokenId",
     "InvalidClientTokenId: The security token included in the request is invalid.", "hdr-rid"},
    {"moto XML for KMS", 403, NULL, NULL,
     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse>\n  <Errors>\n    <Error>\n"
     "      <Code>SignatureDoesNotMatch</Code>\n      <Message>The request signature we "
     "calculated does not match the signature you provided.</Message>\n    </Error>\n"
     "  </Errors>\n<RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId>\n</ErrorResponse>",
     MT_E_AUTH, "SignatureDoesNotMatch",
     "SignatureDoesNotMatch: The request signature we calculated does not match the signature "
     "you provided.",
     "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE"},
    {"XML entities and attributes", 400, NULL, NULL,
     "<ErrorResponse><Error><Code a=\"b\">AccessDenied</Code><Message>a &lt;b&gt; &amp; "
     "&quot;c&quot; &#39;d&#x27;</Message></Error></ErrorResponse>",
     MT_E_AWS, "AccessDenied", "AccessDenied: a <b> & \"c\" 'd'", ""},
    {"XML namespace prefix and CDATA", 400, NULL, NULL,
     "<e:ErrorResponse><e:Error><e:Code>RequestLimitExceeded</e:Code><e:Message><![CDATA[too "
     "<many>]]></e:Message></e:Error></e:ErrorResponse>",
     MT_E_AWS, "RequestLimitExceeded", "RequestLimitExceeded: too <many>", ""},
    {"control characters sanitised", 400, NULL, NULL,
     "{\"__type\":\"Bad\\u001bType\",\"message\":\"line1\\nline2\\u0007\"}", MT_E_AWS,
     "Bad?Type", "Bad?Type: line1?line2?", ""},
    {"malformed JSON", 500, NULL, NULL, "{\"__type\": \"Trunc", MT_E_AWS, "",
     "HTTP 500 from the service, without error details", ""},
    {"JSON non-string fields", 400, NULL, NULL, "{\"__type\": 5, \"message\": [1]}", MT_E_AWS,
     "", "HTTP 400 from the service, without error details", ""},
    {"unterminated XML", 400, NULL, NULL, "<ErrorResponse><Error><Code>Oops", MT_E_AWS, "",
     "HTTP 400 from the service, without error details", ""},
    {"message without code", 400, NULL, NULL, "{\"message\":\"Missing field\"}", MT_E_AWS, "",
     "HTTP 400: Missing field", ""},
    {"header only", 400, "com.amazon.coral.service#SerializationException", NULL, "", MT_E_AWS,
     "SerializationException", "SerializationException (HTTP 400)", ""},
};

static void fill(struct mt_http_resp *r, const struct ecase *c)
{
    mt_http_resp_release(r);
    r->status = c->status;
    snprintf(r->error_type, sizeof(r->error_type), "%s",
             c->error_type_header ? c->error_type_header : "");
    snprintf(r->request_id, sizeof(r->request_id), "%s",
             c->request_id_header ? c->request_id_header : "");
    if (c->body && *c->body)
        assert_int_equal(mt_buf_adds(&r->body, c->body), 0);
}

static void test_awserr_parse_table(void **state)
{
    struct mt_http_resp r = MT_HTTP_RESP_INIT;
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct ecase *c = &cases[i];
        struct mt_err e = MT_ERR_INIT;
        char code[64];
        fill(&r, c);
        assert_int_equal(mt_aws_parse_error(&r, &e), -1);
        if (e.code != c->want_code || strcmp(e.aws_type, c->want_type) ||
            strcmp(e.msg, c->want_msg) || strcmp(e.request_id, c->want_request_id) ||
            e.http_status != c->status)
            fail_msg("%s:\n got  code %d type '%s' msg '%s' rid '%s' status %ld\n want code %d "
                     "type '%s' msg '%s' rid '%s'",
                     c->name, e.code, e.aws_type, e.msg, e.request_id, e.http_status,
                     c->want_code, c->want_type, c->want_msg, c->want_request_id);
        assert_int_equal(mt_aws_error_code(&r, code, sizeof(code)), *c->want_type ? 0 : -1);
        assert_string_equal(code, c->want_type);
    }
    mt_http_resp_release(&r);
}

static void test_awserr_hints(void **state)
{
    struct mt_http_resp r = MT_HTTP_RESP_INIT;
    struct mt_err e = MT_ERR_INIT;
    (void)state;

    fill(&r, &cases[4]); /* Signature expired */
    mt_aws_parse_error(&r, &e);
    assert_non_null(strstr(e.hint, "clock"));
    mt_err_clear(&e);
    fill(&r, &cases[7]); /* AccessDenied */
    mt_aws_parse_error(&r, &e);
    assert_non_null(strstr(e.hint, "permission"));
    mt_err_clear(&e);
    fill(&r, &cases[0]);
    mt_aws_parse_error(&r, &e);
    assert_string_equal(e.hint, "");
    mt_http_resp_release(&r);
}

static void test_awserr_class_table(void **state)
{
    static const struct {
        const char *code;
        long status;
        enum mt_errc want;
    } t[] = {
        {"UnrecognizedClientException", 400, MT_E_AUTH},
        {"InvalidSignatureException", 400, MT_E_AUTH},
        {"SignatureDoesNotMatch", 403, MT_E_AUTH},
        {"ExpiredToken", 400, MT_E_AUTH},
        {"ExpiredTokenException", 400, MT_E_AUTH},
        {"InvalidClientTokenId", 403, MT_E_AUTH},
        {"UnauthorizedException", 401, MT_E_AUTH},
        {"MissingAuthenticationTokenException", 403, MT_E_AUTH},
        {"InvalidClientException", 401, MT_E_AUTH},
        {"AccessDeniedException", 400, MT_E_AWS},
        {"AccessDenied", 403, MT_E_AWS},
        {"ForbiddenException", 403, MT_E_AWS},
        {"NotFoundException", 400, MT_E_AWS},
        {"KMSInternalException", 500, MT_E_AWS},
        {"", 401, MT_E_AUTH},
        {NULL, 401, MT_E_AUTH},
        {NULL, 403, MT_E_AWS},
        {"SomethingElse", 401, MT_E_AWS}, /* a code decides over the status */
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (mt_aws_error_class(t[i].code, t[i].status) != t[i].want)
            fail_msg("case %zu %s", i, t[i].code ? t[i].code : "(null)");
}

static void test_awserr_clean_code(void **state)
{
    static const struct {
        const char *in, *want;
    } t[] = {
        {"NotFoundException", "NotFoundException"},
        {"com.amazonaws.kms#NotFoundException", "NotFoundException"},
        {"a#b#C", "C"},
        {"X:http://internal.amazon.com/coral/a#b/", "X"},
        {"aws.protocoltests#FooError:http://internal.amazon.com/", "FooError"},
        {"  Spaced  ", "Spaced"},
        {"", ""},
    };
    char out[64];
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        mt_aws_clean_code(t[i].in, out, sizeof(out));
        assert_string_equal(out, t[i].want);
    }
    mt_aws_clean_code(NULL, out, sizeof(out));
    assert_string_equal(out, "");
    mt_aws_clean_code("TooLongForTheBuffer", out, 4);
    assert_string_equal(out, "Too");
}

static void test_awserr_xml_text(void **state)
{
    const char *x = "<a><Code/><b:Message x='1'> hi </b:Message><CodeX>no</CodeX><Code>yes</Code>";
    char out[16], big[64];
    (void)state;
    assert_int_equal(mt_aws_xml_text(x, strlen(x), "Code", out, sizeof(out)), 0);
    assert_string_equal(out, ""); /* <Code/> first */
    assert_int_equal(mt_aws_xml_text(x, strlen(x), "Message", out, sizeof(out)), 0);
    assert_string_equal(out, "hi");
    assert_int_equal(mt_aws_xml_text(x, strlen(x), "Missing", out, sizeof(out)), -1);
    assert_string_equal(out, "");
    assert_int_equal(mt_aws_xml_text(x, 5, "Code", out, sizeof(out)), -1); /* length respected */
    x = "<Message>0123456789abcdefghij</Message>";
    assert_int_equal(mt_aws_xml_text(x, strlen(x), "Message", out, sizeof(out)), 0);
    assert_string_equal(out, "0123456789abcde"); /* truncated */
    x = "<Message>&bogus; &#xZZ; &</Message>";
    assert_int_equal(mt_aws_xml_text(x, strlen(x), "Message", big, sizeof(big)), 0);
    assert_string_equal(big, "&bogus; &#xZZ; &");
    x = "<Message>a&#10;b&#0;c&#x7f;</Message>"; /* control characters stay out */
    assert_int_equal(mt_aws_xml_text(x, strlen(x), "Message", big, sizeof(big)), 0);
    assert_string_equal(big, "a?b?c?");
}

static void test_awserr_null_safe(void **state)
{
    struct mt_err e = MT_ERR_INIT;
    char code[8];
    (void)state;
    assert_int_equal(mt_aws_parse_error(NULL, &e), -1);
    assert_int_equal(e.code, MT_E_INTERNAL);
    assert_int_equal(mt_aws_parse_error(NULL, NULL), -1);
    assert_int_equal(mt_aws_error_code(NULL, code, sizeof(code)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_awserr_parse_table), cmocka_unit_test(test_awserr_hints),
        cmocka_unit_test(test_awserr_class_table), cmocka_unit_test(test_awserr_clean_code),
        cmocka_unit_test(test_awserr_xml_text),    cmocka_unit_test(test_awserr_null_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
