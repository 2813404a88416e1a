/*
 * defaults.c - the default paths the library was built with
 *
 *	verdict_default_config	the configuration file front ends read
 *				when told none
 *
 * One source for every front end: the build defines VD_DEFAULT_CONFIG
 * from the install prefix (/etc/verdict/verdict.conf under --prefix
 * /usr), so the CLI, the milter and the callout cannot disagree with
 * each other or with the manual pages.
 *
 * Limits: fixed at build time; the environment is the front end's
 * business (the library never reads it).
 */
#include "verdict.h"

#ifndef VD_DEFAULT_CONFIG
#define VD_DEFAULT_CONFIG "/etc/verdict/verdict.conf"
#endif

const char *
verdict_default_config(void)
{
	return VD_DEFAULT_CONFIG;
}
