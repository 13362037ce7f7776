/* err.h - the one error object every fallible mytools function fills in.
 *
 * Fallible functions return int (0 ok, -1 failed) and take `struct mt_err *err` last.
 * mt_err_set() always returns -1 so callers can write `return mt_err_set(err, ...)`.
 * Messages follow git's rules: lowercase, no final period, what failed first, subject quoted.
 * Only cmd/ prints them. */
#ifndef MT_COMMON_ERR_H
#define MT_COMMON_ERR_H

#include <stddef.h>

enum mt_errc {
    MT_E_OK = 0,
    MT_E_USAGE,    /* bad flag or value: exit 2 */
    MT_E_NOMEM,
    MT_E_IO,       /* file or pipe I/O, clipboard: exit 1 */
    MT_E_CONFIG,   /* ~/.mytools.yaml, ~/.aws/config, unknown env/database/profile: exit 3 */
    MT_E_AUTH,     /* credentials missing, expired or rejected; login needed: exit 4 */
    MT_E_HTTP,     /* transport or TLS failure: exit 1 */
    MT_E_AWS,      /* AWS service error: exit 1 */
    MT_E_CRYPTO,
    MT_E_INTERNAL
};

struct mt_err {
    enum mt_errc code;
    int sys_errno;
    long http_status;
    char aws_type[64];
    char request_id[80];
    char hint[256];
    char msg[512];
};

#define MT_ERR_INIT {0}

#if defined(__GNUC__)
#define MT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define MT_WUR __attribute__((warn_unused_result))
#else
#define MT_PRINTF(a, b)
#define MT_WUR
#endif

/* Sets code and message (replacing any earlier one). Returns -1. */
int mt_err_set(struct mt_err *err, enum mt_errc code, const char *fmt, ...) MT_PRINTF(3, 4);
/* Like mt_err_set, appending ": strerror(errnum)" and recording errnum. Returns -1. */
int mt_err_sys(struct mt_err *err, enum mt_errc code, int errnum, const char *fmt, ...)
    MT_PRINTF(4, 5);
/* Sets the optional hint line (printed as "hint: ..."). Returns -1. */
int mt_err_hint(struct mt_err *err, const char *fmt, ...) MT_PRINTF(2, 3);
/* Prepends context to the message as "ctx: old message": the ": " separator is added here, so
 * callers pass the bare context (a trailing ":" or space they still write is dropped). */
void mt_err_prefix(struct mt_err *err, const char *fmt, ...) MT_PRINTF(2, 3);
/* Clears err back to MT_ERR_INIT. */
void mt_err_clear(struct mt_err *err);
/* The process exit code for err (contract section 6): 0, 1, 2, 3 or 4. */
int mt_err_exit_code(const struct mt_err *err);
/* Copies src into dst (size dstsz), replacing each unsafe unit (control characters, C1 controls,
 * bytes that are not UTF-8: common/term.h) with '?' (server text, stderr). */
void mt_err_sanitize(char *dst, size_t dstsz, const char *src, size_t srclen);

#endif
