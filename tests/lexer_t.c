/*
 * lexer_t.c - verdict.conf text cut into pairs and sections, alone
 *
 * Table-driven: text, then either the events the lexer hands over,
 * rendered "key=value@line" and "[N]@line" separated by '|', or the
 * error it must write.  Keys and values are not checked here (config_t).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lexer.h"
#include "testutil.h"

struct rec {
	char out[1024];
	int fail_at;		/* a callback at this line fails */
};

static void
add(struct rec *r, const char *s)
{
	size_t n = strlen(r->out);

	snprintf(r->out + n, sizeof(r->out) - n, "%s%s", n ? "|" : "", s);
}

static int
on_key(void *arg, const char *k, size_t klen, const char *v, size_t vlen,
       int line)
{
	struct rec *r = arg;
	char buf[600];

	ck_assert_uint_eq(strlen(v), vlen);
	snprintf(buf, sizeof(buf), "%.*s=%s@%d", (int)klen, k, v, line);
	add(r, buf);
	return line == r->fail_at ? -1 : 0;
}

static int
on_section(void *arg, int n, int line)
{
	struct rec *r = arg;
	char buf[64];

	snprintf(buf, sizeof(buf), "[%d]@%d", n, line);
	add(r, buf);
	return line == r->fail_at ? -1 : 0;
}

/* label, text, events (NULL: an error), error (NULL: none) */
static const struct {
	const char *label, *text, *events, *err;
} cases[] = {
	{"empty", "", "", NULL},
	{"one pair", "a = b\n", "a=b@1", NULL},
	{"no final newline", "a = b", "a=b@1", NULL},
	{"no spaces", "a=b\n", "a=b@1", NULL},
	{"empty value", "a =\n", "a=@1", NULL},
	{"value keeps inner space", "a = x  y\n", "a=x  y@1", NULL},
	{"comment line", "# c\na = b\n", "a=b@2", NULL},
	{"comment after value", "a = b # c\n", "a=b@1", NULL},
	{"hash inside value", "a = http://x/#frag\n", "a=http://x/#frag@1",
	 NULL},
	{"continuation", "a = x,\n  y\n\tz\nb = 1\n", "a=x, y z@1|b=1@4",
	 NULL},
	{"continuation after blank", "a = x\n\n  y\n", "a=x y@1", NULL},
	{"crlf", "a = b\r\nc = d\r\n", "a=b@1|c=d@2", NULL},
	{"bom", "\xef\xbb\xbf" "a = b\n", "a=b@1", NULL},
	{"section", "a = 1\n[profile 2]\nb = 2\n", "a=1@1|[2]@2|b=2@3", NULL},
	{"section spaces", "[ profile\t7 ] # x\n", "[7]@1", NULL},
	{"section 999", "[profile 999]\n", "[999]@1", NULL},
	{"section ends a pair", "a = 1\n[profile 1]\n  x\n", NULL,
	 "t.conf:3: continuation line without a \"key = value\" line "
	 "before it"},
	{"section 0", "[profile 0]\n", NULL,
	 "t.conf:1: bad section header; expected [profile N] with N from 1 "
	 "to 999"},
	{"section 1000", "\n[profile 1000]\n", NULL,
	 "t.conf:2: bad section header; expected [profile N] with N from 1 "
	 "to 999"},
	{"section leading zero", "[profile 02]\n", NULL,
	 "t.conf:1: bad section header"},
	{"section no space", "[profile2]\n", NULL,
	 "t.conf:1: bad section header"},
	{"section trailing", "[profile 2]x\n", NULL,
	 "t.conf:1: bad section header"},
	{"leading continuation", "  a = b\n", NULL,
	 "t.conf:1: continuation line without a \"key = value\" line "
	 "before it"},
	{"bad key", "Mode = x\n", NULL,
	 "t.conf:1: bad key \"Mode\"; keys are a-z, 0-9 and _"},
	{"no equals", "mode monitor\n", NULL,
	 "t.conf:1: expected \"key = value\""},
	{"key only", "\n\nmode\n", NULL, "t.conf:3: expected \"key = value\""},
	{"nul byte", "a = b\nc = \0d\n", NULL,
	 "t.conf:2: NUL byte in the file"},
	{"callback error stops", "a = 1\nb = 2\nc = 3\n", NULL, ""},
};

START_TEST(test_lexer)
{
	struct rec r = { "", 0 };
	char err[512] = "";
	vd_lexer lx = { "t.conf", err, sizeof(err), on_key, on_section, &r };
	const char *text = cases[_i].text;
	size_t size = strlen(text);
	int rc;

	if (strcmp(cases[_i].label, "nul byte") == 0)
		size = 12;
	if (strcmp(cases[_i].label, "callback error stops") == 0)
		r.fail_at = 2;
	rc = vd_lexer_run(&lx, text, size);
	if (cases[_i].events) {
		ck_assert_msg(rc == 0, "%s: %s", cases[_i].label, err);
		ck_assert_str_eq(r.out, cases[_i].events);
		ck_assert_str_eq(err, "");
	} else {
		ck_assert_msg(rc == -1, "%s: accepted", cases[_i].label);
		ck_assert_msg(strncmp(err, cases[_i].err,
				      strlen(cases[_i].err)) == 0,
			      "%s: \"%s\"", cases[_i].label, err);
	}
	if (r.fail_at)
		ck_assert_str_eq(r.out, "a=1@1|b=2@2");
}
END_TEST

/* a physical line of 64 KiB is the limit; one byte more is an error */
START_TEST(test_line_limit)
{
	static char text[64 * 1024 + 16];
	struct rec r = { "", 0 };
	char err[512] = "";
	vd_lexer lx = { "t.conf", err, sizeof(err), on_key, on_section, &r };
	size_t n = 64 * 1024;

	memset(text, '#', n + 1);
	text[n] = '\n';
	ck_assert_int_eq(vd_lexer_run(&lx, text, n + 1), 0);
	text[n] = '#';
	text[n + 1] = '\n';
	ck_assert_int_eq(vd_lexer_run(&lx, text, n + 2), -1);
	ck_assert_str_eq(err, "t.conf:1: line longer than 65536 bytes");
}
END_TEST

/* the whole file at once, refusing what is over 1 MiB */
START_TEST(test_read)
{
	char err[512] = "", *text;
	const char *dir = tu_tmpdir();
	size_t size = 0;
	int e = -1;
	static char big[1024 * 1024 + 2];
	char *path;

	path = tu_write(dir, "small.conf", "a = b\n");
	text = vd_lexer_read(path, &size, err, sizeof(err), &e);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(size, 6);
	ck_assert_str_eq(text, "a = b\n");
	ck_assert_int_eq(e, 0);
	free(text);
	free(path);

	memset(big, '#', sizeof(big) - 1);
	path = tu_write(dir, "big.conf", big);
	ck_assert_ptr_null(vd_lexer_read(path, &size, err, sizeof(err), &e));
	ck_assert_int_eq(e, 0);
	ck_assert_ptr_nonnull(strstr(err, "big.conf: larger than 1 MiB"));
	free(path);

	ck_assert_ptr_null(vd_lexer_read("/nonexistent/x.conf", &size, err,
					 sizeof(err), &e));
	ck_assert_int_eq(e, ENOENT);
	ck_assert_str_eq(err, "/nonexistent/x.conf: No such file or directory");
}
END_TEST

static Suite *
lexer_suite(void)
{
	Suite *s = suite_create("lexer");
	TCase *tc = tcase_create("lexer");

	tcase_add_loop_test(tc, test_lexer, 0,
			    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_line_limit);
	tcase_add_test(tc, test_read);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(lexer_suite());
}
