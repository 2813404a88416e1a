/* util.h - transition header: includes the core noun headers until callers include them directly. */
#ifndef VD_UTIL_H
#define VD_UTIL_H

#include "alloc.h"
#include "clock.h"
#include "errors.h"
#include "log.h"
#include "par2.h"
#include "recs.h"
#include "str.h"

#endif
