#!/usr/bin/env bash
# output_clean.sh - replies and echoes are clean (issue 16, item 12):
# the SMTP reply is 7-bit (a reason's bytes >= 0x80 become '?') while the
# table keeps the bytes (dump shows them); "check -" echoes at most 200
# bytes of a malformed line, non-printing bytes as '?'; --explain prints
# no "-1 ms" for a zone that had not answered; "verdict-update --help"
# prints on stdout and exits 0; the JSON feed writes "expires": null.
set -euo pipefail
V=${VERDICT_BINDIR:-build}/tools/verdict
SRC=${VERDICT_SRCDIR:-.}
[ -x "$V" ] || { echo "SKIP: $V is not built"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
. "$(dirname "$0")/wait.inc"
T=$(mktemp -d "${TMPDIR:-/tmp}/outclean.XXXXXX")
rpid=
cleanup() { [ -n "$rpid" ] && kill "$rpid" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }

python3 "$SRC/tests/dnsresponder.py" "$T/port" "$T/resp.log" &
rpid=$!
wait_for "dnsresponder.py's port file" 10 test -s "$T/port"
cat > "$T/verdict.conf" <<C
database = $T/db
block_tables = drop
dns_servers = 127.0.0.1:$(cat "$T/port")
dnsbl_sites = silent.test
dnsbl_timeout = 200ms
reply = 554 5.7.1 Blocked%{reason}
C
v() { "$V" -c "$T/verdict.conf" "$@"; }
v table create drop --kind block >/dev/null
printf '192.0.2.0/24 ; caf\xc3\xa9 \xff spam\n198.51.100.0/24 ; old\n' > "$T/list"
v import drop "$T/list" >/dev/null
v add drop 203.0.113.0/24 --expires 1d >/dev/null

# --- 7-bit reply, bytes kept in the table
reply=$( (v check --json 192.0.2.1 || true) | python3 -c 'import json,sys; print(json.load(sys.stdin)["reply"])')
[ "$reply" = "554 5.7.1 Blocked; caf?? ? spam" ] || fail "reply: '$reply'"
LC_ALL=C grep -q $'caf\xc3\xa9 \xff spam' <(v dump drop) || fail "dump lost the reason's bytes"
ok "reply is 7-bit ('?' for bytes >= 0x80); dump keeps the bytes"

# --- a malformed line: at most 200 bytes echoed, non-printing as '?'
long=$(printf 'x%.0s' $(seq 1 5000))
set +e
printf '%s\n\001bad\xe9ip\n' "$long" | v check - > "$T/out" 2> "$T/err"
set -e
l1=$(sed -n 1p "$T/out")
[ "${l1%% *}" = "$(printf 'x%.0s' $(seq 1 200))" ] || fail "long line echoed ${#l1} bytes: ${l1:0:80}..."
grep -q "^?bad?ip error" "$T/out" || fail "non-printing bytes: $(sed -n 2p "$T/out" | od -c | head -2)"
n=$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$T/err")
[ "$n" -lt 400 ] || fail "stderr echoes a $n-byte line"
LC_ALL=C grep -q $'[\x01\x80-\xff]' "$T/out" "$T/err" && fail "raw bytes echoed"
ok "check - echoes at most 200 bytes of a malformed line, non-printing as '?'"

# --- --explain: a zone without an answer has no time
v check --explain 8.8.8.8 > "$T/explain" 2>&1 || true
grep -q 'dnsbl silent.test' "$T/explain" || fail "explain: $(cat "$T/explain")"
grep -q -- '-1 ms' "$T/explain" && fail "explain prints -1 ms: $(cat "$T/explain")"
ok "--explain shows no -1 ms for a zone that did not answer"

# --- verdict-update --help
"$SRC/tools/verdict-update" --help > "$T/help" 2> "$T/help.err" || fail "verdict-update --help exit $?"
grep -q 'verdict-update \[-c CONF\]' "$T/help" || fail "verdict-update --help: stdout: $(cat "$T/help")"
[ ! -s "$T/help.err" ] || fail "verdict-update --help wrote to stderr"
ok "verdict-update --help: stdout, exit 0"

# --- JSON feed: expires null when absent, a number otherwise
v feed --format json > "$T/feed.json"
python3 - "$T/feed.json" <<'PY' || fail "json feed: $(cat "$T/feed.json")"
import json, sys
rows = {r["cidr"]: r for r in map(json.loads, open(sys.argv[1], encoding="utf-8"))}
assert rows["198.51.100.0/24"]["expires"] is None, rows
assert isinstance(rows["203.0.113.0/24"]["expires"], int), rows
PY
ok "the JSON feed writes expires null when there is none"
