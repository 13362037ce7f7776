/* out.h - human-readable stdout: every outside value goes through mt_tx() (contract 7:
 * control characters escaped, common/term.h), shell words through mt_shq(). */
#ifndef MT_CMD_OUT_H
#define MT_CMD_OUT_H

#include "common/buf.h"

/* s with unsafe bytes escaped (\e, \n, \xHH), for printf("%s"). NULL gives "?". The result lives
 * in one of 16 rotating buffers: valid until 16 more calls. Never NULL ("?" if memory runs out). */
const char *mt_tx(const char *s);
/* Appends s as one POSIX shell word: as it is when it holds only [A-Za-z0-9@%+=:,./_-] (as
 * Python's shlex.quote), else '...' with ' as '\''; unsafe bytes (control characters)
 * leave the quotes as $'\xHH' (bash, zsh, ksh, POSIX 2024 sh), so the line stays one printed
 * line and means exactly s. 0 or -1 (memory). */
int mt_shq(struct mt_buf *out, const char *s) MT_WUR;
/* The same, always quoted (--format env: every value single-quoted, contract 5). */
int mt_shq_always(struct mt_buf *out, const char *s) MT_WUR;

#endif
