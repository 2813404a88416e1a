#!/usr/bin/env bash
# json_bytes.sh - every JSON output is valid JSON (RFC 8259, UTF-8)
# whatever bytes a reason holds: a list imported in Latin-1, a cut
# multi-byte character, overlongs, an encoded surrogate, a code point
# above U+10FFFF, control characters and DEL.  The json feed, dump
# --json (block and learned tables), check --json and stats --json are
# read back strictly (bytes decoded as UTF-8, no errors= leniency): each
# maximal subpart of a bad sequence is one U+FFFD, the text around it
# and valid UTF-8 are kept, controls are escaped.  The plain dump keeps
# the reason's bytes as they are.
set -euo pipefail
V=${VERDICT_BINDIR:-build}/tools/verdict
[ -x "$V" ] || { echo "SKIP: $V is not built"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/jsonbytes.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }

cat > "$T/verdict.conf" <<C
database = $T/db
block_tables = drop
learned_tables = learned
C
v() { "$V" -c "$T/verdict.conf" "$@"; }
v table create drop --kind block >/dev/null
v table create learned --kind learned >/dev/null
# one line per class of bad input; valid UTF-8 (2, 3 and 4 bytes), '"'
# and '\' on the last
printf '%b\n' \
	'192.0.2.0/24 ; caf\xe9 latin1 end' \
	'198.51.100.0/24 ; cut \xe2\x82 seq \xf0\x9f\x98 tail' \
	'203.0.113.0/26 ; over \xc0\xaf long \xe0\x80\xaf end' \
	'203.0.113.64/26 ; sur \xed\xa0\x80 big \xf4\x90\x80\x80 \xf8\x88 end' \
	'203.0.113.128/26 ; ok \xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 "q" \\ end' \
	> "$T/list"
v import drop "$T/list" >/dev/null
v add drop 203.0.113.192/26 --reason "$(printf 'ctl\ttab\001one\177del')" >/dev/null
v report 192.0.2.99 --reason "$(printf 'learned \xe9t\xe9 \xc3')" >/dev/null

v feed --format json > "$T/feed.json"
v dump drop --json > "$T/dump.json"
v dump learned --json > "$T/learned.json"
v check --json 198.51.100.1 > "$T/check.json" || true
v stats --json > "$T/stats.json"

# strict: bytes decoded as UTF-8 (a bad byte raises), every line parsed
# alone (JSON lines) and the whole file as one value when it is one
for f in feed dump learned check stats; do
	python3 - "$T/$f.json" <<'PY' || fail "$f --json is not valid JSON: $(od -c "$T/$f.json" | head -20)"
import json, sys
data = open(sys.argv[1], "rb").read()
text = data.decode("utf-8")
lines = [l for l in text.split("\n") if l]
assert lines, "no output"
for l in lines:
    json.loads(l)
assert b"\x7f" not in data, "raw DEL"
PY
done
ok "feed, dump (block, learned), check and stats --json are valid UTF-8 JSON"

python3 - "$T" <<'PY' || fail "reasons: $(cat "$T/feed.json" "$T/dump.json")"
import json, sys
d = sys.argv[1]
R = "\ufffd"
want = {
    "192.0.2.0/24": "caf" + R + " latin1 end",
    "198.51.100.0/24": "cut " + R + " seq " + R + " tail",
    "203.0.113.0/26": "over " + R * 2 + " long " + R * 3 + " end",
    "203.0.113.64/26": "sur " + R * 3 + " big " + R * 4 + " " + R * 2 +
        " end",
    "203.0.113.128/26": 'ok \u00e9t\u00e9 \u20ac \U0001f600 "q" \\ end',
    "203.0.113.192/26": "ctl\ttab\x01one\x7fdel",
}
def rows(name):
    with open(d + "/" + name, "rb") as f:
        return {r["cidr"]: r for r in
                (json.loads(l) for l in f.read().decode("utf-8").split("\n")
                 if l)}
feed, dump = rows("feed.json"), rows("dump.json")
for cidr, reason in want.items():
    assert feed[cidr]["reason"] == reason, ("feed", cidr, feed[cidr], reason)
    assert feed[cidr]["table"] == "drop", feed[cidr]
    assert dump[cidr]["reason"] == reason, ("dump", cidr, dump[cidr], reason)
check = json.loads(open(d + "/check.json", "rb").read().decode("utf-8"))
assert check["reason"] == want["198.51.100.0/24"], check
learned = [json.loads(l) for l in
           open(d + "/learned.json", "rb").read().decode("utf-8").split("\n")
           if l]
assert [e["reason"] for e in learned] == ["learned " + R + "t" + R + " " + R], \
    learned
PY
ok "one U+FFFD per maximal subpart, the text around it and valid UTF-8 kept"

# raw bytes: controls escaped, the replacement as "\ufffd"
grep -qF '"ctl\ttab\u0001one\u007fdel"' "$T/feed.json" ||
	fail "feed controls: $(grep ctl "$T/feed.json")"
grep -qF '"ctl\ttab\u0001one\u007fdel"' "$T/dump.json" ||
	fail "dump controls: $(grep ctl "$T/dump.json")"
grep -qF '"caf\ufffd latin1 end"' "$T/feed.json" ||
	fail "feed replacement: $(grep caf "$T/feed.json")"
ok "controls and DEL escaped, U+FFFD written as \\ufffd"

# the plain dump keeps the table's bytes
LC_ALL=C grep -q $'caf\xe9 latin1 end' <(v dump drop) ||
	fail "plain dump lost the bytes: $(v dump drop | od -c | head)"
ok "plain dump keeps the reason's bytes"
