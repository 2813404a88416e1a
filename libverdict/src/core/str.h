/*
 * str.h - bounded strings and strict numbers
 *
 * The library never calls strcpy, atoi or strtol: copies are bounded,
 * numbers are parsed without locale, white space or signs the caller did
 * not ask for, and text handed to a fixed buffer is cut on a UTF-8
 * character boundary.
 */
#ifndef VD_STR_H
#define VD_STR_H

#include <stddef.h>

/* vd_str_lcpy - copy with truncation; always NUL-terminates when size>0;
 * returns strlen(src). */
size_t vd_str_lcpy(char *dst, const char *src, size_t size);

/* vd_str_parse_long - the whole of s[0..len) as a decimal integer (optional
 * leading '-' when min < 0) within [min, max]; 0 ok, -1 otherwise. */
int vd_str_parse_long(const char *s, size_t len, long min, long max,
		    long *out);

/* vd_str_utf8_cut - the largest n <= max such that s[0..n) does not end in
 * the middle of a UTF-8 sequence. */
size_t vd_str_utf8_cut(const char *s, size_t len, size_t max);

#endif
