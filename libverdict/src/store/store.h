/*
 * store.h - the store layer as the layers above it use it
 *
 * The store is one noun a header; this header gathers them for callers
 * outside store/ (api, feed, policy, tests, tools):
 *	lmdb_env.h	the environment: open, readers, writes, fork rule
 *	catalog.h	tables: names, ids, kinds (db "meta")
 *	entries.h	a table's entries: add, del, dump, expire, import
 *	bulk.h		the entries of an import and their sort
 *	index.h		the combined index: probe, walk
 *	learned.h	learned tables: scores, batched reports
 *	learn_model.h	the learned score: decay, threshold, escalation
 * Each of those headers describes the part of the on-disk layout its
 * module owns.
 */
#ifndef VD_STORE_H
#define VD_STORE_H

#include "bulk.h"
#include "catalog.h"
#include "db_files.h"
#include "entries.h"
#include "index.h"
#include "learned.h"
#include "lmdb_env.h"

#endif
