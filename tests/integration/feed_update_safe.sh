#!/usr/bin/env bash
# feed_update_safe.sh - tools/verdict-update downloads safely (issue 16,
# item 4), against a local HTTP server on loopback: a changed URL is a
# fresh download even when the new file is older than the cached copy;
# a file larger than --max-filesize (announced or not) is refused and not
# kept; file:// and ftp:// URLs are refused, also behind a redirect; a
# download the server cuts short is removed from the cache; the systemd
# units run as the unprivileged user verdict.
. "$(dirname "$0")/feed_common.inc"
. "$(dirname "$0")/wait.inc"
command -v curl >/dev/null || skip "curl not installed"
command -v python3 >/dev/null || skip "python3 not installed"

mkdb "$T/block.txt" "$T/allow.txt"
mkdir "$T/www" "$T/cache"
cp "$T/block.txt" "$T/www/a.txt"
touch -d '2024-06-01 00:00:00' "$T/www/a.txt"
# b.txt: another list, older than the cached copy of a.txt
{ cat "$T/block.txt"; echo '100.64.0.0/10 ; NEWURL'; } > "$T/www/b.txt"
touch -d '2024-01-01 00:00:00' "$T/www/b.txt"
head -c 5000 /dev/zero | tr '\0' '#' > "$T/www/big.txt"
echo "secret" > "$T/secret.txt"

# /partial announces 4000 bytes and closes after 200; /stream sends 5000
# bytes with no length; /redir sends curl to a file:// URL
cat > "$T/server.py" <<'PY'
import http.server, sys, functools
class H(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/partial":
            self.send_response(200)
            self.send_header("Content-Length", "4000")
            self.end_headers()
            self.wfile.write(b"192.0.2.0/24 ; P\n" * 12)
            self.wfile.flush()
            self.close_connection = True
            return
        if self.path == "/stream":
            self.protocol_version = "HTTP/1.0"
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"#" * 5000)
            self.close_connection = True
            return
        if self.path == "/redir":
            self.send_response(302)
            self.send_header("Location", "file://" + sys.argv[3])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])),
    functools.partial(H, directory=sys.argv[2])).serve_forever()
PY
port=$(free_port)
python3 "$T/server.py" "$port" "$T/www" "$T/secret.txt" > "$T/http.log" 2>&1 &
hpid=$!
cleanup_hooks+=("kill $hpid 2>/dev/null; wait $hpid 2>/dev/null")
wait_for "the HTTP server on port $port" 10 \
	curl -fs -o /dev/null "http://127.0.0.1:$port/a.txt"

U() {
	VERDICT=$DRIVER "$VERDICT_SRCDIR/tools/verdict-update" -c "$T/verdict.conf" \
		--cache "$T/cache" --feed "plain=$T/feed.txt" "$@"
}
# run EXPECTED-EXIT OUTFILE ARGS... - U with its stderr in OUTFILE
run() {
	local want=$1 out=$2 rc
	shift 2
	set +e
	U "$@" 2> "$out"; rc=$?
	set -e
	[ "$rc" = "$want" ] || fail "verdict-update $*: exit $rc, want $want: $(cat "$out")"
}
# no download leftovers in the cache besides the copies of imported lists
clean_cache() {
	local left
	left=$(cd "$T/cache" && ls -A | grep -v -e '^\.lock$' -e '^feed\.' \
		-e '^drop\.list$' -e '^drop\.etag$' -e '^drop\.url$' || true)
	[ -z "$left" ] || fail "$1: left in the cache: $left"
}

# --- a changed URL is a fresh download
run 0 "$T/u1" "drop=http://127.0.0.1:$port/a.txt"
grep -q 'imported 6 entries' "$T/u1" || fail "first run: $(cat "$T/u1")"
run 0 "$T/u2" "drop=http://127.0.0.1:$port/b.txt"
grep -q 'imported 7 entries' "$T/u2" ||
	fail "a changed URL was not downloaded afresh: $(cat "$T/u2")"
V feed | grep -qx 100.64.0.0/10 || fail "the new URL's list is not in the table"
cmp -s "$T/cache/drop.list" "$T/www/b.txt" || fail "the cache holds the old URL's copy"
run 0 "$T/u3" "drop=http://127.0.0.1:$port/b.txt"
grep -q 'drop: not modified' "$T/u3" || fail "same URL again: $(cat "$T/u3")"
ok "a changed URL forces a fresh download; the same URL is conditional"

# --- size limits
run 1 "$T/u4" --max-filesize 1K "drop=http://127.0.0.1:$port/big.txt"
grep -q 'drop: download of .*big.txt failed' "$T/u4" || fail "big file: $(cat "$T/u4")"
clean_cache "announced too-big file"
cmp -s "$T/cache/drop.list" "$T/www/b.txt" || fail "too big: the good cached copy was lost"
V feed | grep -qx 100.64.0.0/10 || fail "too big: the table changed"
run 1 "$T/u5" --max-filesize 1000 "drop=http://127.0.0.1:$port/stream"
grep -q 'drop: download of .*stream' "$T/u5" || fail "stream: $(cat "$T/u5")"
clean_cache "too-big file of unknown length"
run 2 "$T/u6" --max-filesize 12x "drop=http://127.0.0.1:$port/b.txt"
grep -q 'max-filesize wants a size' "$T/u6" || fail "bad size: $(cat "$T/u6")"
ok "--max-filesize refuses a larger file, announced or streamed; nothing kept"

# --- protocols
run 1 "$T/u7" "drop=file://$T/secret.txt"
grep -q 'refused: only http:// and https://' "$T/u7" || fail "file://: $(cat "$T/u7")"
run 1 "$T/u8" "drop=ftp://127.0.0.1:$port/b.txt"
grep -q 'refused: only http:// and https://' "$T/u8" || fail "ftp://: $(cat "$T/u8")"
run 1 "$T/u9" "drop=http://127.0.0.1:$port/redir"
grep -q 'download of .*redir failed' "$T/u9" || fail "redirect to file://: $(cat "$T/u9")"
clean_cache "protocols"
V feed | grep -qx 100.64.0.0/10 || fail "protocols: the table changed"
ok "file://, ftp:// and a redirect to file:// are refused"

# --- a download cut short is removed
run 1 "$T/u10" "drop=http://127.0.0.1:$port/partial"
grep -q 'download of .*partial failed' "$T/u10" || fail "partial: $(cat "$T/u10")"
clean_cache "partial download"
ok "a partial download is removed from the cache"

# --- the systemd units run unprivileged and write only cache and database
for u in verdict-update verdict-feed; do
	f=$VERDICT_SRCDIR/data/$u.service
	grep -qx 'User=verdict' "$f" || fail "$u.service does not run as user verdict"
	grep -qx 'ProtectSystem=strict' "$f" || fail "$u.service: the system is writable"
	grep -qx 'ReadWritePaths=/var/cache/verdict /var/lib/verdict' "$f" ||
		fail "$u.service: writable paths are not the cache and the database"
done
ok "the units run as user verdict, writing only the cache and /var/lib/verdict"
