/* mem.h - wiping and secret allocation. One wipe call: mt_memzero (sodium_memzero). */
#ifndef MT_COMMON_MEM_H
#define MT_COMMON_MEM_H

#include <stddef.h>

/* Wipes n bytes in a way the compiler cannot remove. NULL-safe. */
void mt_memzero(void *p, size_t n);
/* Wipes a NUL-terminated string and frees it. NULL-safe. */
void mt_free_secret(char *s);
/* Wipes n bytes and frees. NULL-safe. */
void mt_freezero(void *p, size_t n);
/* strdup that returns NULL on NULL input. */
char *mt_strdup(const char *s);
/* strndup equivalent. */
char *mt_strndup(const char *s, size_t n);
/* Constant-time comparison of n bytes: 0 when equal. */
int mt_memcmp_ct(const void *a, const void *b, size_t n);
/* Initialises libsodium once and hardens the process (no core dumps). Returns 0 or -1. */
int mt_crypto_init(void);

#endif
