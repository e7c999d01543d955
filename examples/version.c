/*
 * version.c — the smallest program that links libl7splice: prints the
 * library version and one error text. `make check` builds it against the
 * *installed* library through pkg-config (tests/install/pkgconfig.sh).
 */
#include <stdio.h>
#include <l7splice.h>

int main(void)
{
	printf("libl7splice %s: %s\n", l7_version(), l7_strerror(L7_ETABLEFULL));
	return 0;
}
