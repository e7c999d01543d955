/*
 * plot.c — gnuplot data files and scripts of plot.h.
 */
#include <stdio.h>
#include <string.h>

#include "l7splice/common.h"
#include "report/plot.h"

static int file_name_ok(const char *n)
{
	if (!n || !*n || !strcmp(n, ".") || !strcmp(n, ".."))
		return 0;
	for (const char *p = n; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
			return 0;
	return 1;
}

/* A gnuplot double-quoted string: backslash and quote escaped, control
 * characters dropped. */
static void put_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (const char *p = s ? s : ""; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		if ((unsigned char)*p >= 0x20)
			fputc(*p, f);
	}
	fputc('"', f);
}

static void put_header(FILE *f, const char *name, const char *title, const char *xlabel,
		       const char *ylabel)
{
	fprintf(f, "# %s.gp - written by l7sim; render with: gnuplot %s.gp\n", name, name);
	fputs("set terminal svg size 800,480 dynamic noenhanced font \"sans,11\"\n", f);
	fprintf(f, "set output \"%s.svg\"\n", name);
	fputs("set title ", f);
	put_quoted(f, title);
	fputs("\nset xlabel ", f);
	put_quoted(f, xlabel);
	fputs("\nset ylabel ", f);
	put_quoted(f, ylabel);
	fputs("\nset grid\nset key outside right\n", f);
}

int l7sim_plot_write_series_gp(FILE *f, const char *name, const char *title,
			       const char *ylabel, const struct l7sim_series *s,
			       const uint32_t *cols, uint32_t ncols)
{
	put_header(f, name, title, "time (s)", ylabel);
	fputs("plot ", f);
	for (uint32_t i = 0; i < ncols; i++) {
		fprintf(f, "%s\"%s.dat\" using 1:%u with lines title ", i ? ", \\\n     " : "", name,
			cols[i] + 2);
		put_quoted(f, s->cols[cols[i]].name);
	}
	fputc('\n', f);
	return ferror(f) ? L7_EIO : 0;
}

int l7sim_plot_write_bars_gp(FILE *f, const char *name, const char *title, const char *ylabel)
{
	put_header(f, name, title, "", ylabel);
	fputs("set style fill solid 0.6\nset boxwidth 0.6\nset yrange [0:*]\nunset key\n", f);
	fprintf(f, "plot \"%s.dat\" using 0:2:xtic(1) with boxes\n", name);
	return ferror(f) ? L7_EIO : 0;
}

static FILE *open_in(const char *dir, const char *name, const char *ext)
{
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext);
	if (n < 0 || (size_t)n >= sizeof(path))
		return NULL;
	return fopen(path, "w");
}

static int close_ok(FILE *f, int rc)
{
	if (fclose(f) != 0 && rc == 0)
		rc = L7_EIO;
	return rc;
}

int l7sim_plot_series(const char *dir, const char *name, const char *title,
		      const char *ylabel, const struct l7sim_series *s,
		      const uint32_t *cols, uint32_t ncols)
{
	if (!file_name_ok(name) || ncols == 0)
		return L7_EINVAL;
	for (uint32_t i = 0; i < ncols; i++)
		if (cols[i] >= s->ncols)
			return L7_EINVAL;
	FILE *f = open_in(dir, name, "dat");
	if (!f)
		return L7_EIO;
	int rc = close_ok(f, l7sim_series_write_dat(s, f));
	if (rc)
		return rc;
	f = open_in(dir, name, "gp");
	if (!f)
		return L7_EIO;
	return close_ok(f, l7sim_plot_write_series_gp(f, name, title, ylabel, s, cols, ncols));
}

int l7sim_plot_bars(const char *dir, const char *name, const char *title,
		    const char *ylabel, const char *const *labels, const double *values,
		    uint32_t n)
{
	if (!file_name_ok(name) || n == 0)
		return L7_EINVAL;
	for (uint32_t i = 0; i < n; i++)
		if (!file_name_ok(labels[i]))
			return L7_EINVAL;
	FILE *f = open_in(dir, name, "dat");
	if (!f)
		return L7_EIO;
	fputs("# label value\n", f);
	for (uint32_t i = 0; i < n; i++)
		fprintf(f, "%s %.10g\n", labels[i], values[i]);
	int rc = close_ok(f, ferror(f) ? L7_EIO : 0);
	if (rc)
		return rc;
	f = open_in(dir, name, "gp");
	if (!f)
		return L7_EIO;
	return close_ok(f, l7sim_plot_write_bars_gp(f, name, title, ylabel));
}
