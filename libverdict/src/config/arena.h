/*
 * arena.h - the memory of one parsed configuration
 *
 * Every string and array of a vd_config is bump-allocated from one arena
 * and freed with it at once, so a half-parsed configuration is freed as
 * easily as a complete one and profiles may share the global section's
 * storage without reference counts.
 */
#ifndef VD_ARENA_H
#define VD_ARENA_H

#include <stddef.h>

typedef struct vd_arena vd_arena;

/* vd_arena_new - an empty arena; NULL on out of memory */
vd_arena *vd_arena_new(void);

/* vd_arena_alloc - n zeroed bytes, aligned for any type, that live until
 * vd_arena_free; NULL on out of memory */
void *vd_arena_alloc(vd_arena *a, size_t n);

/* vd_arena_array - n zeroed elements of sz bytes, overflow-checked */
void *vd_arena_array(vd_arena *a, size_t n, size_t sz);

/* vd_arena_strndup - a NUL-terminated copy of s[0..len) */
char *vd_arena_strndup(vd_arena *a, const char *s, size_t len);

/* vd_arena_free - free everything allocated from a, and a; NULL is fine */
void vd_arena_free(vd_arena *a);

#endif
