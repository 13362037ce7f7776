/* login.c - `sso login` (edge; sso-and-hashes.md section 4): client registration with the AWS
 * CLI's cache and reuse rules, the PKCE authorization-code flow (loopback listener on 127.0.0.1,
 * S256, state check) for sso_session profiles, the device-code flow for legacy profiles or on
 * request, and the token file in the AWS CLI's format. Texts go through the caller's ui callback;
 * no secret is ever given to it (the URLs carry only the client id, state and code challenge). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/file.h"
#include "common/mem.h"
#include "common/timeutil.h"
#include "config/aws_ini.h"
#include "sso/sso_int.h"

#define PKCE_WAIT_MS (10L * 60 * 1000) /* the AWS CLI's overall wait */
#define PKCE_REQUEST_MS 10000L         /* per callback request */
#define DEVICE_DEFAULT_INTERVAL 5
#define SLOW_DOWN_DELAY 5

static const char *nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

static void say(const struct mt_sso_ui *ui, const char *fmt, ...) MT_PRINTF(2, 3);
static void say(const struct mt_sso_ui *ui, const char *fmt, ...)
{
    struct mt_buf b = MT_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    if (mt_buf_vaddf(&b, fmt, ap) == 0 && ui && ui->out)
        ui->out(ui->ud, b.p);
    va_end(ap);
    mt_buf_release(&b);
}

static long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int oom(struct mt_err *err)
{
    return mt_err_set(err, MT_E_NOMEM, "out of memory");
}

/* ---- configuration ---- */

static int session_values(const struct mt_ini *cfg, const char *session, const char *cfg_path,
                          const char **url, const char **region, const char **scopes,
                          struct mt_err *err)
{
    const struct mt_ini_section *sess = mt_ini_section(cfg, "sso-session", session);
    if (!sess)
        return mt_err_set(err, MT_E_CONFIG, "%s: the specified sso-session does not exist: \"%s\"",
                          cfg_path, session);
    *url = nonempty(mt_ini_get(sess, "sso_start_url"));
    *region = nonempty(mt_ini_get(sess, "sso_region"));
    *scopes = nonempty(mt_ini_get(sess, "sso_registration_scopes"));
    if (!*url || !*region)
        return mt_err_set(err, MT_E_CONFIG,
                          "%s: sso-session '%s': missing the following required SSO configuration "
                          "values: %s%s%s",
                          cfg_path, session, *url ? "" : "sso_start_url",
                          !*url && !*region ? ", " : "", *region ? "" : "sso_region");
    return 0;
}

int mt_sso_login_config(const struct mt_ini *cfg, const char *profile, const char *session,
                        const char *cfg_path, struct mt_sso_profile *out, struct mt_err *err)
{
    const struct mt_ini_section *prof = NULL;
    const char *url = NULL, *region = NULL, *scopes = NULL;
    struct mt_sso_profile p;

    memset(&p, 0, sizeof(p));
    memset(out, 0, sizeof(*out));
    if (!session) {
        prof = mt_ini_profile(cfg, profile);
        if (!prof)
            return mt_err_set(err, MT_E_CONFIG, "profile '%s' not found in '%s'", profile,
                              cfg_path);
        session = nonempty(mt_ini_get(prof, "sso_session"));
    }
    if (session) {
        if (session_values(cfg, session, cfg_path, &url, &region, &scopes, err) < 0)
            return -1;
        if (prof) {
            static const char *const keys[] = {"sso_start_url", "sso_region"};
            const char *sv[2];
            size_t i;
            sv[0] = url;
            sv[1] = region;
            for (i = 0; i < 2; i++) {
                const char *pv = nonempty(mt_ini_get(prof, keys[i]));
                if (pv && strcmp(pv, sv[i]))
                    return mt_err_set(err, MT_E_CONFIG,
                                      "%s: the value for %s is inconsistent between profile '%s' "
                                      "(%s) and sso-session '%s' (%s)",
                                      cfg_path, keys[i], profile, pv, session, sv[i]);
            }
        }
    } else {
        url = nonempty(mt_ini_get(prof, "sso_start_url"));
        region = nonempty(mt_ini_get(prof, "sso_region"));
        if (!url || !region) {
            mt_err_set(err, MT_E_CONFIG,
                       "%s: profile '%s': missing the following required SSO configuration values: "
                       "%s%s%s",
                       cfg_path, profile, url ? "" : "sso_start_url",
                       !url && !region ? ", " : "", region ? "" : "sso_region");
            return mt_err_hint(err, "set sso_session (or sso_start_url and sso_region) in the "
                                    "profile, e.g. with 'aws configure sso'");
        }
    }
    p.profile = mt_strdup(profile ? profile : session);
    p.session_name = mt_strdup(session);
    p.start_url = mt_strdup(url);
    p.region = mt_strdup(region);
    p.scopes = mt_strdup(scopes);
    if (prof) {
        p.account_id = mt_strdup(nonempty(mt_ini_get(prof, "sso_account_id")));
        p.role_name = mt_strdup(nonempty(mt_ini_get(prof, "sso_role_name")));
    }
    if (!p.profile || !p.start_url || !p.region || (session && !p.session_name) ||
        (scopes && !p.scopes)) {
        mt_sso_profile_release(&p);
        return oom(err);
    }
    *out = p;
    return 0;
}

/* ---- registration ---- */

static int register_client(const struct mt_sso_profile *p, const struct mt_sso_net *net,
                           const struct mt_sso_scopes *scopes, int pkce,
                           struct mt_sso_registration *out, struct mt_err *err)
{
    struct mt_buf body = MT_BUF_INIT, sc = MT_BUF_INIT;
    struct mt_http_resp resp = MT_HTTP_RESP_INIT;
    struct mt_sso_registration r = {0};
    cJSON *root = NULL;
    const cJSON *exp;
    char name[128];
    size_t i;
    int rc = -1;

    if (p->session_name)
        snprintf(name, sizeof(name), "botocore-client-%s", p->session_name);
    else
        snprintf(name, sizeof(name), "botocore-client-%lld", (long long)mt_clock_now());
    if (scopes) {
        if (mt_buf_addc(&sc, '[') < 0)
            goto nomem;
        for (i = 0; i < scopes->n; i++)
            if ((i && mt_buf_adds(&sc, ", ") < 0) || mt_pyjson_string(&sc, scopes->v[i]) < 0)
                goto nomem;
        if (mt_buf_addc(&sc, ']') < 0)
            goto nomem;
    }
    if (mt_buf_adds(&body, "{\"clientName\": ") < 0 || mt_pyjson_string(&body, name) < 0 ||
        mt_buf_adds(&body, ", \"clientType\": \"public\"") < 0)
        goto nomem;
    if (pkce && (mt_buf_adds(&body, ", \"grantTypes\": [\"authorization_code\", "
                                    "\"refresh_token\"], \"redirectUris\": [\"" MT_SSO_REDIRECT_REGISTERED
                                    "\"], \"issuerUrl\": ") < 0 ||
                 mt_pyjson_string(&body, p->start_url) < 0))
        goto nomem;
    if (scopes && (mt_buf_adds(&body, ", \"scopes\": ") < 0 || mt_buf_adds(&body, sc.p) < 0))
        goto nomem;
    if (mt_buf_addc(&body, '}') < 0)
        goto nomem;
    if (mt_sso_oidc_post(net, p->region, "/client/register", &body, &resp, err) < 0) {
        mt_err_prefix(err, "cannot register a client with IAM Identity Center");
        goto out;
    }
    root = cJSON_ParseWithLength(resp.body.p ? resp.body.p : "", resp.body.len);
    r.client_id = root ? mt_sso_json_str(root, "clientId") : NULL;
    r.client_secret = root ? mt_sso_json_str(root, "clientSecret") : NULL;
    exp = root ? cJSON_GetObjectItemCaseSensitive(root, "clientSecretExpiresAt") : NULL;
    if (!r.client_id || !r.client_secret || !cJSON_IsNumber(exp)) {
        mt_err_set(err, MT_E_AWS, "malformed RegisterClient response from SSO OIDC");
        goto out;
    }
    r.expires_at = (time_t)exp->valuedouble;
    r.auth_code = pkce;
    *out = r;
    memset(&r, 0, sizeof(r));
    rc = 0;
    goto out;
nomem:
    oom(err);
out:
    mt_json_delete_wiped(root);
    mt_sso_registration_release(&r);
    mt_http_resp_release(&resp);
    mt_buf_release(&body);
    mt_buf_release(&sc);
    return rc;
}

/* The cached registration if reusable for this flow, else a new one (written to the cache). */
static int registration(const struct mt_sso_profile *p, const char *dir,
                        const struct mt_sso_net *net, const struct mt_sso_scopes *configured,
                        const struct mt_sso_scopes *effective, int pkce,
                        struct mt_sso_registration *out, struct mt_err *err)
{
    struct mt_buf body = MT_BUF_INIT_SECRET, file = MT_BUF_INIT_SECRET;
    struct mt_err ignored = MT_ERR_INIT;
    const struct mt_sso_scopes *written;
    char name[46];
    int rc = -1;

    if (mt_sso_registration_cache_name(p, name) < 0)
        return mt_err_set(err, MT_E_CRYPTO, "cannot compute the registration cache name");
    if (mt_sso_read_file(dir, name, &file, &ignored) == 0 &&
        mt_sso_registration_parse(file.p, file.len, out, &ignored) == 0) {
        if (mt_sso_registration_reusable(out, pkce, mt_clock_now())) {
            rc = 0;
            goto out;
        }
        mt_sso_registration_release(out);
    }
    /* device flow: scopes only when configured; PKCE: always (default sso:account:access) */
    written = pkce ? effective : (configured->configured ? configured : NULL);
    if (register_client(p, net, written, pkce, out, err) < 0)
        goto out;
    if (mt_sso_registration_render(out, written, pkce, &body) < 0) {
        oom(err);
        mt_sso_registration_release(out);
        goto out;
    }
    if (mt_sso_write_file(dir, name, body.p, body.len, err) < 0) {
        mt_sso_registration_release(out);
        goto out;
    }
    rc = 0;
out:
    mt_buf_release(&body);
    mt_buf_release(&file);
    return rc;
}

/* ---- browser ---- */


/* Starts the browser on url (not a secret) and returns its pid, or -1. $BROWSER's first entry
 * (Python's webbrowser: ':'-separated, "%s" replaced by the URL), else xdg-open, else open. */
static pid_t open_browser(const char *browser, const char *url)
{
    char *exe = NULL, *cmd = NULL;
    pid_t pid;

    if (browser && *browser) {
        size_t n = strcspn(browser, ":");
        cmd = mt_strndup(browser, n);
        if (!cmd || !*cmd) {
            free(cmd);
            return -1;
        }
        if (strpbrk(cmd, " \t%")) {
            /* a command line: let sh split it; the URL stays a separate argument ("$1") */
            struct mt_buf b = MT_BUF_INIT;
            const char *s = strstr(cmd, "%s");
            if (s) {
                if (mt_buf_add(&b, cmd, (size_t)(s - cmd)) < 0 || mt_buf_adds(&b, "\"$1\"") < 0 ||
                    mt_buf_adds(&b, s + 2) < 0) {
                    mt_buf_release(&b);
                    free(cmd);
                    return -1;
                }
            } else if (mt_buf_adds(&b, cmd) < 0 || mt_buf_adds(&b, " \"$1\"") < 0) {
                mt_buf_release(&b);
                free(cmd);
                return -1;
            }
            free(cmd);
            cmd = mt_buf_detach(&b);
            exe = strdup("/bin/sh");
        } else {
            exe = mt_file_which(cmd);
        }
    } else {
        exe = mt_file_which("xdg-open");
        if (!exe)
            exe = mt_file_which("open");
    }
    if (!exe) {
        free(cmd);
        return -1;
    }
    pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) {
            dup2(devnull, 0);
            close(devnull);
        }
        dup2(2, 1); /* keep stdout for our own output */
        if (cmd && !strcmp(exe, "/bin/sh")) {
            execl("/bin/sh", "sh", "-c", cmd, "sh", url, (char *)NULL);
        } else {
            execl(exe, exe, url, (char *)NULL);
        }
        _exit(127);
    }
    free(cmd);
    free(exe);
    return pid < 0 ? -1 : pid;
}

static void reap(pid_t *pid)
{
    if (*pid > 0 && waitpid(*pid, NULL, WNOHANG) != 0)
        *pid = -1;
}

/* ---- randomness ---- */

static int random_bytes(void *buf, size_t n, struct mt_err *err)
{
    uint8_t *p = buf;
    while (n) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return mt_err_sys(err, MT_E_CRYPTO, errno, "cannot read random bytes");
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* 64 characters from [A-Za-z0-9-._~] (the AWS CLI's code_verifier), uniform. */
static int make_verifier(char out[65], struct mt_err *err)
{
    static const char alpha[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    uint8_t pool[64];
    size_t o = 0, i;
    while (o < 64) {
        if (random_bytes(pool, sizeof(pool), err) < 0)
            return -1;
        for (i = 0; i < sizeof(pool) && o < 64; i++)
            if (pool[i] < 66 * 3)
                out[o++] = alpha[pool[i] % 66];
    }
    out[64] = 0;
    mt_memzero(pool, sizeof(pool));
    return 0;
}

static int make_uuid4(char out[37], struct mt_err *err)
{
    uint8_t b[16];
    if (random_bytes(b, sizeof(b), err) < 0)
        return -1;
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
    return 0;
}

/* ---- the loopback callback (PKCE) ---- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes a query value (%XX, '+') of length n into a new string. */
static char *form_decode(const char *s, size_t n)
{
    char *o = malloc(n + 1);
    size_t i, j = 0;
    if (!o)
        return NULL;
    for (i = 0; i < n; i++) {
        if (s[i] == '+')
            o[j++] = ' ';
        else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            o[j++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else
            o[j++] = s[i];
    }
    o[j] = 0;
    return o;
}

/* The value of key in a query string (first occurrence), decoded; NULL if absent. */
static char *query_get(const char *q, const char *key)
{
    size_t kl = strlen(key);
    while (q && *q) {
        size_t n = strcspn(q, "&");
        if (n > kl && !strncmp(q, key, kl) && q[kl] == '=')
            return form_decode(q + kl + 1, n - kl - 1);
        if (n == kl && !strncmp(q, key, kl))
            return strdup("");
        q += n;
        if (*q == '&')
            q++;
    }
    return NULL;
}

static const char page_ok[] =
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>mytools</title></head><body>"
    "<h1>Request approved</h1><p>mytools has been given the requested permissions. You can close "
    "this window and return to the terminal.</p></body></html>";

static void send_page(int c)
{
    char head[160];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     sizeof(page_ok) - 1);
    if (n > 0)
        (void)!send(c, head, (size_t)n, MSG_NOSIGNAL);
    (void)!send(c, page_ok, sizeof(page_ok) - 1, MSG_NOSIGNAL);
}

/* Reads one request head from c (10 s). Returns 0 with the query of a GET (maybe "") in *query,
 * or -1 for anything else (ignored). */
static int read_request(int c, struct mt_buf *head, char **query)
{
    long deadline = mono_ms() + PKCE_REQUEST_MS;
    char buf[1024];
    const char *sp, *sp2, *q;

    *query = NULL;
    while (!strstr(mt_buf_str(head), "\r\n\r\n") && !strstr(mt_buf_str(head), "\n\n")) {
        struct pollfd pfd = {c, POLLIN, 0};
        long left = deadline - mono_ms();
        ssize_t r;
        if (left <= 0 || head->len > 16384)
            return -1;
        if (poll(&pfd, 1, (int)left) <= 0)
            return -1;
        r = recv(c, buf, sizeof(buf), 0);
        if (r <= 0)
            return -1;
        if (mt_buf_add(head, buf, (size_t)r) < 0)
            return -1;
    }
    mt_memzero(buf, sizeof(buf));
    if (strncmp(head->p, "GET ", 4))
        return -1;
    sp = head->p + 4;
    sp2 = strpbrk(sp, " \r\n");
    if (!sp2)
        return -1;
    q = memchr(sp, '?', (size_t)(sp2 - sp));
    *query = q ? mt_strndup(q + 1, (size_t)(sp2 - q - 1)) : strdup("");
    return *query ? 0 : -1;
}

/* Waits for the redirect carrying code and state. *code is secret. */
static int wait_for_code(int ls, const char *state, pid_t *browser, char **code,
                         struct mt_err *err)
{
    long deadline = mono_ms() + PKCE_WAIT_MS;

    *code = NULL;
    for (;;) {
        struct pollfd pfd = {ls, POLLIN, 0};
        struct mt_buf head = MT_BUF_INIT_SECRET;
        char *query = NULL, *c_code = NULL, *c_state = NULL, *c_err = NULL;
        long left = deadline - mono_ms();
        int c, done = 0, rc = 0;

        reap(browser);
        if (left <= 0) {
            mt_err_set(err, MT_E_AUTH, "the pending authorization to retrieve an SSO token has "
                                       "expired; the login flow must be restarted");
            return -1;
        }
        if (poll(&pfd, 1, left > 250 ? 250 : (int)left) <= 0)
            continue;
        c = accept(ls, NULL, NULL);
        if (c < 0)
            continue;
        if (read_request(c, &head, &query) == 0) {
            c_err = query_get(query, "error");
            c_code = query_get(query, "code");
            c_state = query_get(query, "state");
            send_page(c);
            if (c_err) {
                rc = mt_err_set(err, MT_E_AUTH,
                                "error loading authorization code: failed to retrieve an "
                                "authorization code (%.64s)", c_err);
                done = 1;
            } else if (c_code && c_state) {
                if (strcmp(c_state, state)) {
                    rc = mt_err_set(err, MT_E_AUTH, "error loading authorization code: state "
                                                    "parameter does not match expected value");
                } else {
                    *code = c_code;
                    c_code = NULL;
                }
                done = 1;
            }
        }
        close(c);
        mt_free_secret(query);
        mt_free_secret(c_code);
        free(c_state);
        free(c_err);
        mt_buf_release(&head);
        if (done)
            return rc;
    }
}

/* scheme://host[:port] of the OIDC endpoint + "/authorize?..." */
static int authorize_url(const char *oidc, const char *client_id, int port, const char *state,
                         const struct mt_sso_scopes *scopes, const char *challenge,
                         struct mt_buf *out)
{
    const char *hs = strstr(oidc, "://");
    size_t n = hs ? (size_t)(hs + 3 - oidc) + strcspn(hs + 3, "/?#") : strlen(oidc);
    char redirect[64];
    struct mt_buf sc = MT_BUF_INIT;
    size_t i;
    int rc = -1;

    snprintf(redirect, sizeof(redirect), "http://127.0.0.1:%d/oauth/callback", port);
    for (i = 0; i < scopes->n; i++)
        if ((i && mt_buf_addc(&sc, ' ') < 0) || mt_buf_adds(&sc, scopes->v[i]) < 0)
            goto out;
    if (mt_buf_add(out, oidc, n) < 0 || mt_buf_adds(out, "/authorize?response_type=code") < 0 ||
        mt_buf_adds(out, "&client_id=") < 0 || mt_sso_form_encode(out, client_id) < 0 ||
        mt_buf_adds(out, "&redirect_uri=") < 0 || mt_sso_form_encode(out, redirect) < 0 ||
        mt_buf_adds(out, "&state=") < 0 || mt_sso_form_encode(out, state) < 0 ||
        mt_buf_adds(out, "&code_challenge_method=S256&scopes=") < 0 ||
        mt_sso_form_encode(out, mt_buf_str(&sc)) < 0 ||
        mt_buf_adds(out, "&code_challenge=") < 0 || mt_buf_adds(out, challenge) < 0)
        goto out;
    rc = 0;
out:
    mt_buf_release(&sc);
    return rc;
}

static int pkce_flow(const struct mt_sso_profile *p, const struct mt_sso_net *net,
                     const struct mt_sso_ui *ui, const struct mt_sso_login_opts *opts,
                     const struct mt_sso_registration *reg, const struct mt_sso_scopes *scopes,
                     struct mt_sso_created *out, struct mt_err *err)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    struct mt_buf url = MT_BUF_INIT, body = MT_BUF_INIT_SECRET;
    char verifier[65], challenge[44], state[37], redirect[64];
    char *oidc = NULL, *code = NULL;
    pid_t browser = -1;
    int ls = -1, rc = -1;

    memset(verifier, 0, sizeof(verifier));
    ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* 127.0.0.1 only, never all interfaces */
    sa.sin_port = 0;
    if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 16) < 0 ||
        getsockname(ls, (struct sockaddr *)&sa, &sl) < 0) {
        mt_err_sys(err, MT_E_IO, errno,
                   "unable to initialize the OAuth 2.0 authorization callback handler");
        mt_err_hint(err, "use --use-device-code");
        goto out;
    }
    if (make_verifier(verifier, err) < 0 || make_uuid4(state, err) < 0)
        goto out;
    mt_sso_pkce_challenge(verifier, challenge);
    oidc = net->endpoint(net->ud, "sso_oidc", p->region, err);
    if (!oidc)
        goto out;
    if (authorize_url(oidc, reg->client_id, ntohs(sa.sin_port), state, scopes, challenge, &url) <
        0) {
        oom(err);
        goto out;
    }
    if (opts->no_browser) {
        say(ui, "Browser will not be automatically opened.\nPlease visit the following URL:\n"
                "\n%s\n",
            url.p);
    } else {
        say(ui, "Attempting to open your default browser. If the browser does not open, open the "
                "following URL.\nIf you are unable to open the URL on this device, run this "
                "command again with the '--use-device-code' option.\n\n%s\n\n",
            url.p);
        browser = open_browser(opts->browser, url.p);
    }
    if (wait_for_code(ls, state, &browser, &code, err) < 0)
        goto out;
    close(ls);
    ls = -1;
    snprintf(redirect, sizeof(redirect), "http://127.0.0.1:%d/oauth/callback", ntohs(sa.sin_port));
    if (mt_buf_adds(&body, "{\"grantType\": \"authorization_code\", \"clientId\": ") < 0 ||
        mt_pyjson_string(&body, reg->client_id) < 0 ||
        mt_buf_adds(&body, ", \"clientSecret\": ") < 0 ||
        mt_pyjson_string(&body, reg->client_secret) < 0 ||
        mt_buf_adds(&body, ", \"redirectUri\": ") < 0 || mt_pyjson_string(&body, redirect) < 0 ||
        mt_buf_adds(&body, ", \"codeVerifier\": ") < 0 || mt_pyjson_string(&body, verifier) < 0 ||
        mt_buf_adds(&body, ", \"code\": ") < 0 || mt_pyjson_string(&body, code) < 0 ||
        mt_buf_addc(&body, '}') < 0) {
        oom(err);
        goto out;
    }
    if (mt_sso_create_token(net, p->region, &body, out, err) < 0) {
        if (!strcmp(err->aws_type, "ExpiredTokenException"))
            mt_err_set(err, MT_E_AUTH, "the pending authorization to retrieve an SSO token has "
                                       "expired; the login flow must be restarted");
        goto out;
    }
    rc = 0;
out:
    reap(&browser);
    if (ls >= 0)
        close(ls);
    mt_memzero(verifier, sizeof(verifier));
    mt_free_secret(code);
    free(oidc);
    mt_buf_release(&url);
    mt_buf_release(&body);
    return rc;
}

/* ---- device code ---- */

static int device_flow(const struct mt_sso_profile *p, const struct mt_sso_net *net,
                       const struct mt_sso_ui *ui, const struct mt_sso_login_opts *opts,
                       const struct mt_sso_registration *reg, struct mt_sso_created *out,
                       struct mt_err *err)
{
    struct mt_buf body = MT_BUF_INIT_SECRET, tbody = MT_BUF_INIT_SECRET;
    struct mt_http_resp resp = MT_HTTP_RESP_INIT;
    cJSON *root = NULL;
    const cJSON *it;
    char *device_code = NULL, *user_code = NULL, *vuri = NULL, *vuri_complete = NULL;
    long interval = DEVICE_DEFAULT_INTERVAL, expires_in = 600, deadline;
    pid_t browser = -1;
    int rc = -1, shown = 0;

    if (mt_buf_adds(&body, "{\"clientId\": ") < 0 || mt_pyjson_string(&body, reg->client_id) < 0 ||
        mt_buf_adds(&body, ", \"clientSecret\": ") < 0 ||
        mt_pyjson_string(&body, reg->client_secret) < 0 ||
        mt_buf_adds(&body, ", \"startUrl\": ") < 0 || mt_pyjson_string(&body, p->start_url) < 0 ||
        mt_buf_addc(&body, '}') < 0) {
        oom(err);
        goto out;
    }
    if (mt_sso_oidc_post(net, p->region, "/device_authorization", &body, &resp, err) < 0) {
        mt_err_prefix(err, "cannot start the device authorization");
        goto out;
    }
    root = cJSON_ParseWithLength(resp.body.p ? resp.body.p : "", resp.body.len);
    if (root) {
        device_code = mt_sso_json_str(root, "deviceCode");
        user_code = mt_sso_json_str(root, "userCode");
        vuri = mt_sso_json_str(root, "verificationUri");
        vuri_complete = mt_sso_json_str(root, "verificationUriComplete");
        it = cJSON_GetObjectItemCaseSensitive(root, "interval");
        if (cJSON_IsNumber(it) && it->valuedouble >= 1 && it->valuedouble <= 600)
            interval = (long)it->valuedouble;
        it = cJSON_GetObjectItemCaseSensitive(root, "expiresIn");
        if (cJSON_IsNumber(it) && it->valuedouble >= 1 && it->valuedouble <= 86400)
            expires_in = (long)it->valuedouble;
    }
    if (!device_code || !user_code || !vuri) {
        mt_err_set(err, MT_E_AWS, "malformed StartDeviceAuthorization response from SSO OIDC");
        goto out;
    }
    if (!vuri_complete && !(vuri_complete = strdup(vuri))) {
        oom(err);
        goto out;
    }
    if (mt_buf_adds(&tbody, "{\"grantType\": \"" MT_SSO_DEVICE_GRANT "\", \"clientId\": ") < 0 ||
        mt_pyjson_string(&tbody, reg->client_id) < 0 ||
        mt_buf_adds(&tbody, ", \"clientSecret\": ") < 0 ||
        mt_pyjson_string(&tbody, reg->client_secret) < 0 ||
        mt_buf_adds(&tbody, ", \"deviceCode\": ") < 0 ||
        mt_pyjson_string(&tbody, device_code) < 0 || mt_buf_addc(&tbody, '}') < 0) {
        oom(err);
        goto out;
    }
    /* no client-side deadline in the AWS CLI (ExpiredTokenException ends it); ours is a bound */
    deadline = mono_ms() + (expires_in + 60) * 1000L;
    for (;;) {
        struct mt_err e = MT_ERR_INIT;
        struct timespec ts;
        if (mt_sso_create_token(net, p->region, &tbody, out, &e) == 0)
            break;
        if (!strcmp(e.aws_type, "SlowDownException")) {
            interval += SLOW_DOWN_DELAY;
        } else if (!strcmp(e.aws_type, "AuthorizationPendingException")) {
            /* keep polling */
        } else if (!strcmp(e.aws_type, "ExpiredTokenException")) {
            mt_err_set(err, MT_E_AUTH, "the pending authorization to retrieve an SSO token has "
                                       "expired; the login flow must be restarted");
            goto out;
        } else {
            *err = e;
            goto out;
        }
        if (!shown) {
            shown = 1;
            if (opts->no_browser) {
                say(ui, "Browser will not be automatically opened.\nPlease visit the following "
                        "URL:\n\n%s\n\nThen enter the code:\n\n%s\n\nAlternatively, you may visit "
                        "the following URL which will autofill the code upon loading:\n%s\n",
                    vuri, user_code, vuri_complete);
            } else {
                say(ui, "Attempting to open your default browser.\nIf the browser does not open "
                        "or you wish to use a different device to authorize this request, open "
                        "the following URL:\n\n%s\n\nThen enter the code:\n\n%s\n",
                    vuri, user_code);
                browser = open_browser(opts->browser, vuri_complete);
            }
        }
        reap(&browser);
        if (mono_ms() + interval * 1000L > deadline) {
            mt_err_set(err, MT_E_AUTH, "the pending authorization to retrieve an SSO token has "
                                       "expired; the login flow must be restarted");
            goto out;
        }
        ts.tv_sec = interval;
        ts.tv_nsec = 0;
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
            ;
    }
    rc = 0;
out:
    reap(&browser);
    mt_json_delete_wiped(root);
    mt_free_secret(device_code);
    free(user_code);
    free(vuri);
    free(vuri_complete);
    mt_http_resp_release(&resp);
    mt_buf_release(&body);
    mt_buf_release(&tbody);
    return rc;
}

/* ---- the whole login ---- */

int mt_sso_login(const struct mt_sso_profile *p, const char *dir, const struct mt_sso_net *net,
                 const struct mt_sso_ui *ui, const struct mt_sso_login_opts *opts,
                 struct mt_err *err)
{
    struct mt_sso_scopes configured = {NULL, 0, 0}, effective = {NULL, 0, 0};
    struct mt_sso_registration reg = {0};
    struct mt_sso_created created = {0};
    struct mt_sso_token t = MT_SSO_TOKEN_INIT;
    struct mt_buf file = MT_BUF_INIT_SECRET;
    char tok_name[46], lock_name[46];
    char *lock_path = NULL;
    int pkce = p->session_name && !opts->use_device_code;
    int fd = -1, rc = -1;

    if (strncasecmp(p->start_url, "https://", 8))
        return mt_err_set(err, MT_E_CONFIG, "the sso_start_url must use the https scheme: '%s'",
                          p->start_url);
    if (mt_sso_scopes_parse(p->scopes, &configured) < 0 ||
        mt_sso_scopes_parse(configured.configured && configured.n ? p->scopes
                                                                   : MT_SSO_DEFAULT_SCOPE,
                            &effective) < 0) {
        oom(err);
        goto out;
    }
    if (mt_mkdir_p(dir, 0700, err) < 0)
        goto out;
    if (registration(p, dir, net, &configured, &effective, pkce, &reg, err) < 0)
        goto out;
    if (pkce ? pkce_flow(p, net, ui, opts, &reg, &effective, &created, err)
             : device_flow(p, net, ui, opts, &reg, &created, err))
        goto out;

    t.start_url = p->start_url;
    t.region = p->region;
    t.access_token = created.access_token;
    t.expires_at = mt_clock_now() + created.expires_in;
    t.client_id = reg.client_id;
    t.client_secret = reg.client_secret;
    t.registration_expires_at = reg.expires_at;
    t.refresh_token = created.refresh_token;
    if (mt_sso_token_render(&t, &file) < 0) {
        oom(err);
        goto out;
    }
    if (mt_sso_token_cache_name(p, tok_name) < 0) {
        mt_err_set(err, MT_E_CRYPTO, "cannot compute the SSO cache file name");
        goto out;
    }
    memcpy(lock_name, tok_name, 40);
    memcpy(lock_name + 40, ".lock", 6);
    lock_path = mt_path_join(dir, lock_name);
    if (!lock_path) {
        oom(err);
        goto out;
    }
    if (mt_sso_lock(lock_path, 120000L, &fd, err) < 0)
        goto out;
    rc = mt_sso_write_file(dir, tok_name, file.p, file.len, err);
    mt_sso_unlock(fd);
out:
    free(lock_path);
    mt_buf_release(&file);
    mt_sso_created_release(&created);
    mt_sso_registration_release(&reg);
    mt_sso_scopes_release(&configured);
    mt_sso_scopes_release(&effective);
    return rc;
}
