/*
 * table.h - the store layer as the layers above it use it
 *
 * The store is one noun a header; this header gathers them for callers
 * outside store/ (api, feed, policy, tests, tools):
 *	lmdb_env.h	the environment: open, readers, writes, fork rule
 *	catalog.h	tables: names, ids, kinds (db "meta")
 *	entries.h	a table's entries: add, del, dump, expire, import
 *	bulk.h		the entries of an import and their sort
 *	index.h		the combined index: probe, walk
 * Each of those headers describes the part of the on-disk layout its
 * module owns.
 *
 * The vd_tbl_* names below are the names callers use today; each is the
 * function of the module that owns it.  The names are kept until every
 * caller uses the module's own name.
 */
#ifndef VD_TABLE_H
#define VD_TABLE_H

#include "bulk.h"
#include "catalog.h"
#include "entries.h"
#include "index.h"
#include "lmdb_env.h"

#define vd_tbl_open		vd_lmdb_env_open
#define vd_tbl_close		vd_lmdb_env_close
#define vd_tbl_forked		vd_lmdb_env_forked
#define vd_tbl_check_access	vd_lmdb_env_check_access
#define vd_tbl_read_begin	vd_lmdb_env_read_begin
#define vd_tbl_read_end		vd_lmdb_env_read_end
#define vd_tbl_name_ok		vd_catalog_name_ok
#define vd_tbl_table_id		vd_catalog_table_id
#define vd_tbl_list		vd_catalog_list
#define vd_tbl_create		vd_catalog_create
#define vd_tbl_drop		vd_catalog_drop
#define vd_tbl_add		vd_entries_add
#define vd_tbl_del		vd_entries_del
#define vd_tbl_replace		vd_entries_replace
#define vd_tbl_dump		vd_entries_dump
#define vd_tbl_expire		vd_entries_expire
#define vd_tbl_bulk_init	vd_bulk_init
#define vd_tbl_bulk_add		vd_bulk_add
#define vd_tbl_bulk_free	vd_bulk_free
#define vd_tbl_probe		vd_index_probe
#define vd_tbl_walk_intervals	vd_index_walk
#define vd_tbl_val_hit		vd_index_val_hit

#endif
