#include "common/mem.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

void mt_memzero(void *p, size_t n)
{
    if (p && n)
        sodium_memzero(p, n);
}

void mt_free_secret(char *s)
{
    if (!s)
        return;
    sodium_memzero(s, strlen(s));
    free(s);
}

void mt_freezero(void *p, size_t n)
{
    if (!p)
        return;
    sodium_memzero(p, n);
    free(p);
}

char *mt_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

char *mt_strndup(const char *s, size_t n)
{
    char *d;
    if (!s)
        return NULL;
    d = malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

int mt_memcmp_ct(const void *a, const void *b, size_t n)
{
    return sodium_memcmp(a, b, n);
}

int mt_crypto_init(void)
{
    struct rlimit rl = {0, 0};
    /* Security rule: the process disables core dumps (secrets live in its memory). */
    setrlimit(RLIMIT_CORE, &rl);
#if defined(__linux__)
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
    return sodium_init() < 0 ? -1 : 0;
}
