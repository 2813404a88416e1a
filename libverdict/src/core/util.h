/* util.h - transition header: only includes the core noun headers. */
#ifndef VD_UTIL_H
#define VD_UTIL_H

#include "alloc.h"
#include "clock.h"
#include "errors.h"
#include "log.h"
#include "recs.h"
#include "str.h"

#endif
