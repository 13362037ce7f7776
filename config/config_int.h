/* config_int.h - internals shared by the config module sources and visible to the unit tests. */
#ifndef MT_CONFIG_CONFIG_INT_H
#define MT_CONFIG_CONFIG_INT_H

#include <stddef.h>

struct mt_cfg_arena;

/* A bump allocator for the strings of one mt_config (few large blocks instead of one malloc per
 * scalar). All functions return NULL on OOM. */
struct mt_cfg_arena *mt_cfg_arena_new(void);
void mt_cfg_arena_free(struct mt_cfg_arena *a);
char *mt_cfg_arena_strndup(struct mt_cfg_arena *a, const char *s, size_t n);

/* Levenshtein distance of two short strings, capped: returns at most cap + 1 (strings longer
 * than 64 bytes compare as "far"). */
int mt_cfg_edit_distance(const char *a, const char *b, int cap);

#endif
