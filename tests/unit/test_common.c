/*
 * test_common.c — every error code has its own text; version is consistent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "l7splice/common.h"

static const int all_codes[] = {
	L7_EINVAL, L7_ENOMEM, L7_EFULL, L7_ENOENT, L7_EEXIST, L7_EAGAIN,
	L7_ERANGE, L7_ENOSPC, L7_EIO, L7_EUNSUPPORTED, L7_ESTATE,
	L7_ETRUNCATED, L7_EMALFORMED, L7_EBADOPT, L7_ELINKTYPE, L7_EFRAGMENT,
	L7_ENOTTCP, L7_EPCAPFMT, L7_EPCAPTRUNC, L7_EBADCOOKIE, L7_ESTALECOOKIE,
	L7_EOUTOFWINDOW, L7_EHEADTOOBIG, L7_EUNKNOWNCONN, L7_EHTTP,
	L7_EHTTPTOOBIG, L7_ECONFIG, L7_ENOROUTE, L7_ENOENDPOINT,
	L7_ETABLEFULL, L7_ENOFIT, L7_ERMW, L7_ECHANNELFULL,
};

static void every_code_has_a_distinct_text(void **state)
{
	(void)state;
	size_t n = sizeof(all_codes) / sizeof(all_codes[0]);
	for (size_t i = 0; i < n; i++) {
		const char *t = l7_strerror(all_codes[i]);
		assert_non_null(t);
		assert_string_not_equal(t, "unknown error");
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(t, l7_strerror(all_codes[j]));
	}
}

static void unknown_code_is_named_unknown(void **state)
{
	(void)state;
	assert_string_equal(l7_strerror(-99999), "unknown error");
	assert_string_equal(l7_strerror(L7_OK), "success");
}

static void version_matches_macros(void **state)
{
	(void)state;
	assert_string_equal(l7_version(), L7_VERSION_STRING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_code_has_a_distinct_text),
		cmocka_unit_test(unknown_code_is_named_unknown),
		cmocka_unit_test(version_matches_macros),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
