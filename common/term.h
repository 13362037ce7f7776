/* term.h - making outside text safe for a terminal.
 *
 * A byte sequence is "unsafe" when a terminal could act on it instead of showing it: C0 controls
 * (0x00-0x1f, including ESC, CR, LF, TAB), DEL (0x7f), C1 controls (U+0080-U+009F, UTF-8
 * 0xc2 0x80-0x9f) and any byte that is not part of well-formed UTF-8 (a lone 0x9b is CSI on an
 * 8-bit terminal). mt_err_sanitize() (stderr) replaces each unsafe unit with '?';
 * mt_term_escape() (human-readable stdout) writes it visibly as \n, \r, \t, \e or \xHH.
 * One rule, mt_term_unit(), decides for both. */
#ifndef MT_COMMON_TERM_H
#define MT_COMMON_TERM_H

#include <stddef.h>

#include "common/buf.h"

/* The length (>= 1; 0 only when n is 0) of the unit at s: one UTF-8 character, or one unsafe
 * unit; *unsafe says which. n is the number of bytes available at s. */
size_t mt_term_unit(const char *s, size_t n, int *unsafe);
/* 0 when s starts a safe character, else the length of the unsafe unit there (mt_term_unit). */
size_t mt_term_unsafe_len(const char *s, size_t n);
/* 1 if the NUL-terminated s holds any unsafe unit. */
int mt_term_has_unsafe(const char *s);
/* Appends s (n bytes) to out with every unsafe unit escaped (\n \r \t \e, else \xHH per byte).
 * Backslashes themselves are kept as they are. 0, or -1 when out cannot grow. */
int mt_term_escape(struct mt_buf *out, const char *s, size_t n) MT_WUR;

#endif
