#!/usr/bin/env bash
# feed_output.sh - verdict feed -o and --diff as a timer relies on them:
# -o replaces the file by rename (no temporary left, mode 0666 less the
# umask), exit 0 written / 2 on error with the old file kept; --diff
# prints +CIDR/-CIDR and exits 0 unchanged, 1 changed, 2 error.
. "$(dirname "$0")/feed_common.inc"

mkdb "$T/block.txt" "$T/allow.txt"
mkdir "$T/out"
(umask 027 && V feed --format plain -o "$T/out/feed.txt") || fail "feed -o exited $?"
[ "$(stat -c %a "$T/out/feed.txt")" = 640 ] || fail "mode $(stat -c %a "$T/out/feed.txt") under umask 027, want 640"
(umask 022 && V feed --format plain -o "$T/out/feed.txt")
[ "$(stat -c %a "$T/out/feed.txt")" = 644 ] || fail "mode $(stat -c %a "$T/out/feed.txt") under umask 022, want 644"
[ "$(ls "$T/out")" = feed.txt ] || fail "temporary file left: $(ls "$T/out")"
V feed --format plain > "$T/stdout.txt"
cmp -s "$T/stdout.txt" "$T/out/feed.txt" || fail "-o and stdout differ"
ok "-o: renamed into place, mode follows the umask"

cp "$T/out/feed.txt" "$T/keep.txt"
set +e
V feed --format nosuch -o "$T/out/feed.txt" 2>/dev/null; rc=$?
[ $rc = 2 ] || fail "bad format: exit $rc, want 2"
V feed -o "$T/nodir/feed.txt" 2>/dev/null; rc=$?
[ $rc = 2 ] || fail "unwritable output: exit $rc, want 2"
V feed --bogus 2>/dev/null; rc=$?
[ $rc = 2 ] || fail "unknown option: exit $rc, want 2"
V feed --tables partners 2>/dev/null; rc=$?
[ $rc = 2 ] || fail "allow table in --tables: exit $rc, want 2"
V feed --help | grep -q 'usage: verdict feed' || fail "--help"
set -e
cmp -s "$T/keep.txt" "$T/out/feed.txt" || fail "a failed run changed the file"
[ "$(ls "$T/out")" = feed.txt ] || fail "temporary file left after an error"
ok "errors exit 2 and leave the old file"

set +e
V feed --diff "$T/out/feed.txt" > "$T/d0"; rc=$?
[ $rc = 0 ] && [ ! -s "$T/d0" ] || fail "--diff unchanged: exit $rc, output $(cat "$T/d0")"
V add drop 100.64.0.0/10 new >/dev/null
grep -v 192.0.2 "$T/block.txt" > "$T/b2"
V import drop "$T/b2" >/dev/null
V add drop 100.64.0.0/10 new >/dev/null
V feed --diff "$T/out/feed.txt" -o "$T/out/feed.txt" > "$T/d1"; rc=$?
[ $rc = 1 ] || fail "--diff changed: exit $rc, want 1"
printf '+100.64.0.0/10\n-192.0.2.0/24\n' | cmp -s - "$T/d1" || fail "--diff output: $(cat "$T/d1")"
V feed --diff "$T/out/feed.txt" > /dev/null; rc=$?
[ $rc = 0 ] || fail "--diff after -o kept the state: exit $rc, want 0"
V feed --diff "$T/missing.txt" | grep -c '^+' > "$T/n"; rc=${PIPESTATUS[0]}
[ $rc = 1 ] || fail "--diff against a missing file: exit $rc, want 1"
echo 'garbage' > "$T/bad.txt"
V feed --diff "$T/bad.txt" 2>/dev/null; rc=$?
[ $rc = 2 ] || fail "--diff against garbage: exit $rc, want 2"
set -e
ok "--diff: +/- lines, exit 0/1/2, -o keeps the state"
