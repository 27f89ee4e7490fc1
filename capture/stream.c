/* SPDX-License-Identifier: MIT */
/*
 * Input byte streams: see stream_internal.h. The first bytes of the file
 * are read into the input buffer to look for a compression magic; they
 * are then decoded (or handed out as they are) before the rest, so that
 * standard input and pipes, which cannot seek back, work the same as
 * files. One decoder per codec, each behind the same refill step.
 */
#include "capture/stream_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>
#ifdef HAVE_ZSTD
#include <zstd.h>
#endif
#ifdef HAVE_LZMA
#include <lzma.h>
#endif

#include "capture/source.h"

#define STREAM_INBUF (64 * 1024)
#define STREAM_FILE_BUF (1024 * 1024)

struct src_stream {
	FILE *raw;
	int own_raw; /* 0 for standard input */
	enum src_codec codec;
	int raw_eof;
	uint64_t raw_read; /* bytes read from raw: the position, without
			      ftell()'s system call each time it is asked */
	int done; /* decoder saw the end, nothing more */
	uint64_t size;
	uint8_t in[STREAM_INBUF];
	size_t in_pos, in_len;
	uint8_t back[SRC_PEEK]; /* bytes put back by src_stream_unread */
	size_t back_pos, back_len;
	z_stream z;
	int z_init;
#ifdef HAVE_ZSTD
	ZSTD_DStream *zd;
	size_t zd_hint; /* 0: between frames; else a frame is unfinished */
#endif
#ifdef HAVE_LZMA
	lzma_stream xz;
	int xz_init;
#endif
	char err[FT_ERRBUF_SIZE];
};

static const struct {
	enum src_codec codec;
	const char *name;
	uint8_t magic[6];
	size_t len;
} codecs[] = {
	{SRC_CODEC_GZIP, "gzip", {0x1f, 0x8b}, 2},
	{SRC_CODEC_ZSTD, "zstd", {0x28, 0xb5, 0x2f, 0xfd}, 4},
	{SRC_CODEC_XZ, "xz", {0xfd, '7', 'z', 'X', 'Z', 0x00}, 6},
};

/* Top up the input buffer; returns 0, or -EIO with err set. */
static int refill(struct src_stream *s)
{
	size_t n;

	if (s->in_pos == s->in_len)
		s->in_pos = s->in_len = 0;
	if (s->raw_eof || s->in_len == sizeof(s->in))
		return 0;
	n = fread(s->in + s->in_len, 1, sizeof(s->in) - s->in_len, s->raw);
	s->in_len += n;
	s->raw_read += n;
	if (n == 0) {
		if (ferror(s->raw)) {
			snprintf(s->err, sizeof(s->err), "read error: %s",
				 strerror(errno ? errno : EIO));
			return -EIO;
		}
		s->raw_eof = 1;
	}
	return 0;
}

static long read_none(struct src_stream *s, uint8_t *buf, size_t n)
{
	size_t k;

	if (s->in_pos == s->in_len && !s->raw_eof) {
		/* Past the magic: read straight into the caller's buffer. */
		k = fread(buf, 1, n, s->raw);
		s->raw_read += k;
		if (!k && ferror(s->raw)) {
			snprintf(s->err, sizeof(s->err), "read error: %s",
				 strerror(errno ? errno : EIO));
			return -EIO;
		}
		return (long)k;
	}
	k = s->in_len - s->in_pos < n ? s->in_len - s->in_pos : n;
	memcpy(buf, s->in + s->in_pos, k);
	s->in_pos += k;
	return (long)k;
}

static long read_gzip(struct src_stream *s, uint8_t *buf, size_t n)
{
	s->z.next_out = buf;
	s->z.avail_out = (uInt)n;
	while (s->z.avail_out == n && !s->done) {
		int rc, eof;

		if (s->in_pos == s->in_len && refill(s))
			return -EIO;
		eof = s->in_pos == s->in_len && s->raw_eof;
		/* Nothing of a member read since the last one ended. */
		if (eof && !s->z.total_in && !s->z.total_out)
			break;
		s->z.next_in = s->in + s->in_pos;
		s->z.avail_in = (uInt)(s->in_len - s->in_pos);
		rc = inflate(&s->z, Z_NO_FLUSH);
		s->in_pos = s->in_len - s->z.avail_in;
		if (rc == Z_STREAM_END) {
			/* gzip files may be several members (cat a.gz b.gz) */
			inflateReset(&s->z);
		} else if (rc == Z_BUF_ERROR && eof) {
			snprintf(s->err, sizeof(s->err), "gzip data cut short");
			return -EIO;
		} else if (rc != Z_OK && rc != Z_BUF_ERROR) {
			snprintf(s->err, sizeof(s->err),
				 "gzip data corrupt: %s",
				 s->z.msg ? s->z.msg : "inflate failed");
			return -EIO;
		}
	}
	return (long)(n - s->z.avail_out);
}

#ifdef HAVE_ZSTD
static long read_zstd(struct src_stream *s, uint8_t *buf, size_t n)
{
	ZSTD_outBuffer out = {buf, n, 0};

	while (out.pos == 0 && !s->done) {
		ZSTD_inBuffer in;
		int eof;

		if (s->in_pos == s->in_len && refill(s))
			return -EIO;
		eof = s->in_pos == s->in_len && s->raw_eof;
		if (eof && !s->zd_hint) {
			s->done = 1; /* between frames */
			break;
		}
		in = (ZSTD_inBuffer){s->in, s->in_len, s->in_pos};
		s->zd_hint = ZSTD_decompressStream(s->zd, &out, &in);
		s->in_pos = in.pos;
		if (ZSTD_isError(s->zd_hint)) {
			snprintf(s->err, sizeof(s->err),
				 "zstd data corrupt: %s",
				 ZSTD_getErrorName(s->zd_hint));
			return -EIO;
		}
		/* A frame unfinished, and nothing more to finish it with. */
		if (eof && !out.pos && s->zd_hint) {
			snprintf(s->err, sizeof(s->err), "zstd data cut short");
			return -EIO;
		}
	}
	return (long)out.pos;
}
#endif

#ifdef HAVE_LZMA
static long read_xz(struct src_stream *s, uint8_t *buf, size_t n)
{
	s->xz.next_out = buf;
	s->xz.avail_out = n;
	while (s->xz.avail_out == n && !s->done) {
		lzma_ret rc;

		if (s->in_pos == s->in_len && refill(s))
			return -EIO;
		s->xz.next_in = s->in + s->in_pos;
		s->xz.avail_in = s->in_len - s->in_pos;
		rc = lzma_code(&s->xz, s->raw_eof ? LZMA_FINISH : LZMA_RUN);
		s->in_pos = s->in_len - s->xz.avail_in;
		if (rc == LZMA_STREAM_END) {
			s->done = 1;
		} else if (rc != LZMA_OK) {
			snprintf(s->err, sizeof(s->err), "xz data %s",
				 rc == LZMA_BUF_ERROR ? "cut short"
						      : "corrupt");
			return -EIO;
		}
	}
	return (long)(n - s->xz.avail_out);
}
#endif

long src_stream_read(struct src_stream *s, void *buf, size_t n)
{
	long k = 0;

	if (s->back_pos < s->back_len) {
		k = (long)(s->back_len - s->back_pos < n
				   ? s->back_len - s->back_pos
				   : n);
		memcpy(buf, s->back + s->back_pos, (size_t)k);
		s->back_pos += (size_t)k;
		return k;
	}
	if (!n)
		return 0;
	switch (s->codec) {
	case SRC_CODEC_NONE:
		return read_none(s, buf, n);
	case SRC_CODEC_GZIP:
		return read_gzip(s, buf, n);
#ifdef HAVE_ZSTD
	case SRC_CODEC_ZSTD:
		return read_zstd(s, buf, n);
#endif
#ifdef HAVE_LZMA
	case SRC_CODEC_XZ:
		return read_xz(s, buf, n);
#endif
	default:
		break;
	}
	return -EIO;
}

void src_stream_unread(struct src_stream *s, const void *buf, size_t n)
{
	if (n > sizeof(s->back))
		n = sizeof(s->back);
	memcpy(s->back, buf, n);
	s->back_pos = 0;
	s->back_len = n;
}

const char *src_stream_error(const struct src_stream *s)
{
	return s->err;
}

enum src_codec src_stream_codec(const struct src_stream *s)
{
	return s->codec;
}

uint64_t src_stream_size(const struct src_stream *s)
{
	return s->size;
}

uint64_t src_stream_pos(const struct src_stream *s)
{
	return s->raw_read;
}

/* Start the decoder of s->codec; returns 0 or -errno with err set. */
static int codec_init(struct src_stream *s, char *err)
{
	switch (s->codec) {
	case SRC_CODEC_NONE:
		return 0;
	case SRC_CODEC_GZIP:
		/* 15 + 32: a gzip or zlib header, detected. */
		if (inflateInit2(&s->z, 15 + 32) != Z_OK)
			break;
		s->z_init = 1;
		return 0;
	case SRC_CODEC_ZSTD:
#ifdef HAVE_ZSTD
		s->zd = ZSTD_createDStream();
		if (!s->zd || ZSTD_isError(ZSTD_initDStream(s->zd)))
			break;
		return 0;
#else
		snprintf(err, FT_ERRBUF_SIZE,
			 "zstd-compressed, and this fintrace was built "
			 "without zstd");
		return -ENOTSUP;
#endif
	case SRC_CODEC_XZ:
#ifdef HAVE_LZMA
		if (lzma_stream_decoder(&s->xz, UINT64_MAX,
					LZMA_CONCATENATED) != LZMA_OK)
			break;
		s->xz_init = 1;
		return 0;
#else
		snprintf(err, FT_ERRBUF_SIZE,
			 "xz-compressed, and this fintrace was built "
			 "without xz");
		return -ENOTSUP;
#endif
	}
	snprintf(err, FT_ERRBUF_SIZE, "out of memory");
	return -ENOMEM;
}

struct src_stream *src_stream_open(const char *path, char *err)
{
	struct src_stream *s = calloc(1, sizeof(*s));
	struct stat st;
	int rc;

	if (!s) {
		snprintf(err, FT_ERRBUF_SIZE, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	if (!strcmp(path, "-")) {
		s->raw = stdin;
	} else {
		s->raw = fopen(path, "rb");
		s->own_raw = 1;
	}
	if (!s->raw) {
		rc = -errno;
		snprintf(err, FT_ERRBUF_SIZE, "%s", strerror(errno));
		goto fail;
	}
	if (!fstat(fileno(s->raw), &st) && S_ISREG(st.st_mode))
		s->size = (uint64_t)st.st_size;
	/* Enough for the longest magic; a shorter file is not compressed. */
	while (s->in_len < sizeof(codecs[2].magic) && !s->raw_eof) {
		rc = refill(s);
		if (rc) {
			snprintf(err, FT_ERRBUF_SIZE, "%s", s->err);
			goto fail;
		}
	}
	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
		if (s->in_len >= codecs[i].len &&
		    !memcmp(s->in, codecs[i].magic, codecs[i].len))
			s->codec = codecs[i].codec;
	rc = codec_init(s, err);
	if (rc)
		goto fail;
	return s;
fail:
	src_stream_free(s);
	errno = -rc;
	return NULL;
}

static ssize_t cookie_read(void *c, char *buf, size_t n)
{
	long k = src_stream_read(c, buf, n);

	if (k < 0) {
		errno = EIO;
		return -1;
	}
	return (ssize_t)k;
}

static int cookie_close(void *c)
{
	src_stream_free(c);
	return 0;
}

FILE *src_stream_fopen(struct src_stream *s)
{
	cookie_io_functions_t io = {
		.read = cookie_read,
		.close = cookie_close,
	};

	FILE *fp = fopencookie(s, "rb", io);

	/*
	 * libpcap reads a record at a time: a large buffer makes each
	 * refill one read() straight into it (fread bypasses the raw
	 * FILE's own buffer for a request this size).
	 */
	if (fp)
		setvbuf(fp, NULL, _IOFBF, STREAM_FILE_BUF);
	return fp;
}

void src_stream_free(struct src_stream *s)
{
	if (!s)
		return;
	if (s->z_init)
		inflateEnd(&s->z);
#ifdef HAVE_ZSTD
	ZSTD_freeDStream(s->zd);
#endif
#ifdef HAVE_LZMA
	if (s->xz_init)
		lzma_end(&s->xz);
#endif
	if (s->raw && s->own_raw)
		fclose(s->raw);
	free(s);
}
