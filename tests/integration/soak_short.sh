#!/usr/bin/env bash
# soak_short.sh - the soak tests (tests/soak/run.sh) for 10 s each: the
# library, the callout and verdict-milter answer from the old or the new
# table while another process replaces it in a loop; no error, no wrong
# answer, no stale reader.  Under the sanitizers (VERDICT_SANITIZED set
# by tools/bootstrap.sh) RssAnon is reported, not judged.
set -u
bindir=${VERDICT_BINDIR:-$(cd "$(dirname "$0")/../.." && pwd)/build}
srcdir=${VERDICT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
exec bash "$srcdir/tests/soak/run.sh" "$bindir" "${SOAK_SECONDS:-10}"
