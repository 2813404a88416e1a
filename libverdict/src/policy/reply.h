/*
 * reply.h - the reply text of a verdict (reply.c)
 */
#ifndef VD_REPLY_H
#define VD_REPLY_H

#include "result.h"

/* vd_reply_render - expand a reply template for res into out: at most
 * RESULT_REPLY_MAX - 1 bytes and a NUL, no '$', CR or LF, cut on a UTF-8
 * boundary.  res is read, and its lazy texts filled. */
void vd_reply_render(const char *tmpl, verdict_result *res,
		     char out[RESULT_REPLY_MAX]);

#endif
