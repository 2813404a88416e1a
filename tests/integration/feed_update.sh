#!/usr/bin/env bash
# feed_update.sh - tools/verdict-update against a local HTTP server on
# loopback: the first run imports and reloads; an unchanged list is not
# downloaded again nor re-imported; a truncated list is refused by the
# shrink guard and the old table kept; the reload runs only on change.
. "$(dirname "$0")/feed_common.inc"
. "$(dirname "$0")/wait.inc"
command -v curl >/dev/null || skip "curl not installed"
command -v python3 >/dev/null || skip "python3 not installed"

mkdb "$T/block.txt" "$T/allow.txt"
mkdir "$T/www" "$T/cache"
cp "$T/block.txt" "$T/www/drop.txt"
touch -d '2024-01-01 00:00:00' "$T/www/drop.txt"
port=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$port" > "$T/http.log" 2>&1 &
hpid=$!
cleanup_hooks+=("kill $hpid 2>/dev/null; wait $hpid 2>/dev/null")
wait_for "the HTTP server on port $port" 10 \
	curl -fs -o /dev/null "http://127.0.0.1:$port/drop.txt"

U() {
	VERDICT=$DRIVER "$VERDICT_SRCDIR/tools/verdict-update" -c "$T/verdict.conf" \
		--cache "$T/cache" --feed "plain=$T/feed.txt" --feed "nft=$T/feed.nft" \
		--reload "echo reload >> '$T/reloads'" "drop=http://127.0.0.1:$port/drop.txt"
}
reloads() { [ -e "$T/reloads" ] && wc -l < "$T/reloads" || echo 0; }
gets() { grep -c 'GET /drop.txt' "$T/http.log"; }

U 2> "$T/u1" || { cat "$T/u1"; fail "first run exited $?"; }
grep -q 'imported 6 entries' "$T/u1" || fail "first run did not import: $(cat "$T/u1")"
[ "$(reloads)" = 1 ] || fail "first run: $(reloads) reloads, want 1"
grep -qx 192.0.2.0/24 "$T/feed.txt" || fail "feed file not written"
[ -s "$T/feed.nft" ] || fail "nft feed not written"
ok "first run: downloaded, imported, feeds written, reloaded"

# a local change the next run must not wipe out by re-importing
V add drop 100.64.0.0/10 local >/dev/null
n=$(gets)
U 2> "$T/u2" || { cat "$T/u2"; fail "second run exited $?"; }
grep -q 'drop: not modified' "$T/u2" || fail "second run: $(cat "$T/u2")"
grep -q '" 304 ' "$T/http.log" || fail "no conditional request (304) seen"
V feed | grep -qx 100.64.0.0/10 || fail "unchanged list was re-imported"
[ "$(reloads)" = 2 ] || fail "the local change did not reload"
U 2> "$T/u3"
[ "$(reloads)" = 2 ] || fail "reload without a change"
grep -q 'feed unchanged' "$T/u3" || fail "third run: $(cat "$T/u3")"
ok "unchanged list: 304, not re-imported; reload only on change"

# truncated upstream file: 1 of 6 lines, newer
head -1 "$T/block.txt" > "$T/www/drop.txt"
touch -d '2024-06-01 00:00:00' "$T/www/drop.txt"
set +e
U 2> "$T/u4"; rc=$?
set -e
[ $rc = 1 ] || { cat "$T/u4"; fail "truncated list: exit $rc, want 1"; }
grep -q 'import refused, table kept' "$T/u4" || fail "truncated: $(cat "$T/u4")"
V feed | grep -qx 203.0.113.0/26 || fail "old table not kept"
[ "$(reloads)" = 2 ] || fail "reload after a refused import"
cmp -s "$T/cache/drop.list" "$T/block.txt" || fail "cached copy replaced by the truncated one"
ok "truncated list refused by the shrink guard, old table and feed kept"
