/*
 * profile.h - the sections of verdict.conf(5): global and [profile N]
 *
 * Keys go to the section being read.  A [profile N] section starts as a
 * copy of the global section, so a profile that does not set a key
 * keeps the global value (lists shared, read-only).  Checks that need a
 * whole section run when it ends, checks that need the whole file at
 * the end, and then the profile array of vd_config is built.
 */
#ifndef VD_PROFILE_H
#define VD_PROFILE_H

#include <stddef.h>

#include "config.h"

/*
 * vd_profile_parse - parse text[0..size) (NUL-terminated) from path into
 * cfg, which holds the defaults and owns its arena.  0 ok; -1 with
 * "FILE:LINE: what" or "FILE: out of memory" in err.
 */
int vd_profile_parse(vd_config *cfg, const char *path, const char *text,
		     size_t size, char *err, size_t errlen);

#endif
