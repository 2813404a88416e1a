/*
 * par2.h - run one function on two halves at once
 *
 * The bulk passes of an import (sort, index build) split their input in
 * two halves that touch disjoint memory; the second half runs on a
 * second thread.
 */
#ifndef VD_PAR2_H
#define VD_PAR2_H

/*
 * vd_util_par2 - fn(a) on this thread and fn(b) on a second one, both done
 * on return.  When no thread can be started, fn(b) runs here after fn(a):
 * the result is the same, only slower.  fn must not touch what the other
 * half touches.
 */
void vd_util_par2(void (*fn)(void *), void *a, void *b);

#endif
