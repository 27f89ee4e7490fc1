/* SPDX-License-Identifier: MIT */
/*
 * Report output stream; see output.h. The FILE is a cookie stream over a
 * plain descriptor so that the errno of a failed write is kept: stdio
 * forgets it, and "No space left on device" is worth telling the user.
 */
#include "engine/output.h"

#include <time.h>

#include "analysis/html.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "capture/source.h"

static ssize_t cookie_write(void *c, const char *buf, size_t n)
{
	struct out_file *o = c;
	size_t done = 0;

	while (done < n) {
		ssize_t w = write(o->fd, buf + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!o->write_errno)
				o->write_errno = w < 0 ? errno : EIO;
			return -1;
		}
		done += (size_t)w;
	}
	return (ssize_t)n;
}

static int cookie_close(void *c)
{
	struct out_file *o = c;

	if (o->is_stdout)
		return 0;
	if (close(o->fd) && !o->write_errno)
		o->write_errno = errno;
	return 0;
}

static int open_flags(struct out_file *o, const char *path, int flags,
		      char *err)
{
	static const cookie_io_functions_t io = {
		.write = cookie_write,
		.close = cookie_close,
	};

	memset(o, 0, sizeof(*o));
	if (!path || !strcmp(path, "-")) {
		o->fd = STDOUT_FILENO;
		o->name = "standard output";
		o->is_stdout = 1;
	} else {
		o->name = path;
		o->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags,
			     0644);
		if (o->fd < 0) {
			int e = errno;

			snprintf(err, FT_ERRBUF_SIZE, "%s: cannot write: %s",
				 path, strerror(e));
			return -e;
		}
	}
	o->fp = fopencookie(o, "w", io);
	if (!o->fp) {
		if (!o->is_stdout)
			close(o->fd);
		snprintf(err, FT_ERRBUF_SIZE, "%s: out of memory", o->name);
		return -ENOMEM;
	}
	setvbuf(o->fp, NULL, _IOFBF, 1 << 16);
	return 0;
}

int out_open(struct out_file *o, const char *path, char *err)
{
	return open_flags(o, path, O_TRUNC, err);
}

int out_append(struct out_file *o, const char *path, char *err)
{
	return open_flags(o, path, O_APPEND, err);
}

int out_close(struct out_file *o, char *err)
{
	int e;

	if (!o->fp || o->closed)
		return 0;
	o->closed = 1;
	fflush(o->fp);
	fclose(o->fp);
	e = o->write_errno;
	if (!e)
		return 0;
	if (e == EPIPE)
		o->quiet_epipe = 1;
	else if (err)
		snprintf(err, FT_ERRBUF_SIZE, "%s: write error: %s", o->name,
			 strerror(e));
	return -e;
}

/* The command line as typed, quoted where a shell would need it. */
void out_command_line(char *buf, size_t n, int argc, char **argv)
{
	size_t used = (size_t)snprintf(buf, n, "fintrace");

	for (int i = 0; i < argc && used < n; i++) {
		const char *a = argv[i];
		int plain = *a != '\0';

		for (const char *p = a; *p; p++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
				    "QRSTUVWXYZ0123456789_./:=,+-@%",
				    *p))
				plain = 0;
		used += (size_t)snprintf(buf + used, n - used, " %s",
					 plain ? "" : "'");
		for (const char *p = a; *p && used < n; p++)
			used += (size_t)snprintf(buf + used, n - used, "%s",
						 *p == '\'' ? "'\\''" :
							       (char[2]){*p, 0});
		if (!plain && used < n)
			used += (size_t)snprintf(buf + used, n - used, "'");
	}
}

int out_html(const struct rpt *r, const struct tw *tw, const char *path,
	     const struct html_input *in, size_t nin, int argc, char **argv,
	     char *err)
{
	const struct rpt_view *v = rpt_get_view(r);
	struct html_meta meta = {.inputs = in, .ninputs = nin, .tw = tw};
	const struct html_meta *m = &meta;
	char cmd[4096], when[48] = "";
	time_t now = time(NULL);
	struct out_file out;
	struct tm tm;
	int rc;

	out_command_line(cmd, sizeof(cmd), argc, argv);
	if (v && v->local_time && localtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z", &tm);
	else if (gmtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	meta.command_line = cmd;
	meta.generated = when;

	if (!v) {
		snprintf(err, FT_ERRBUF_SIZE, "%s: no report to write", path);
		return -EINVAL;
	}
	rc = out_open(&out, path, err);
	if (rc)
		return rc;
	html_write(out.fp, v, m);
	rc = out_close(&out, err);
	if (rc == -EPIPE)
		snprintf(err, FT_ERRBUF_SIZE, "%s: write error: %s", path,
			 strerror(EPIPE));
	return rc;
}
