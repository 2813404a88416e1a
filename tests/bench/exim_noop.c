/*
 * exim_noop.c - the reference for tests/bench/exim_daemon_bench.sh: an
 * object with Exim's dlfunc signature that answers "neutral" and does
 * nothing else, so the bench can tell what any ${dlfunc} costs an Exim
 * connection (Exim's expansion, dlopen into Exim's process) from what
 * libverdict_exim.so adds to it.
 */
typedef unsigned char uschar;

__attribute__((visibility("default"))) int
verdict_exim(uschar **yield, int argc, uschar *argv[])
{
	static uschar neutral[] = "neutral";

	(void)argc;
	(void)argv;
	*yield = neutral;
	return 0;
}
