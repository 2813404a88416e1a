/*
 * bulk_sort.h - the radix sort that puts an import's entries in key order
 */
#ifndef VD_BULK_SORT_H
#define VD_BULK_SORT_H

#include "bulk.h"

/* vd_bulk_sort - both families into key order; stable, so of equal CIDRs
 * the last added stays last.  VERDICT_OK or VERDICT_ENOMEM. */
int vd_bulk_sort(tbl_bulk *b);

#endif
