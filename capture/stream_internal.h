/* SPDX-License-Identifier: MIT */
/*
 * Input byte streams for the capture readers: a file or standard input,
 * decompressed on the fly when its first bytes are the magic of gzip,
 * zstd or xz. Internal to capture/ (source.c and pcapng.c).
 */
#ifndef FT_CAPTURE_STREAM_INTERNAL_H
#define FT_CAPTURE_STREAM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum src_codec {
	SRC_CODEC_NONE = 0,
	SRC_CODEC_GZIP,
	SRC_CODEC_ZSTD,
	SRC_CODEC_XZ,
};

struct src_stream;

/*
 * Open path ("-" is standard input, borrowed for the stream's life) and
 * detect compression by magic bytes. Returns NULL with errno set and one
 * line in err (FT_ERRBUF_SIZE, without the file name) on failure.
 */
struct src_stream *src_stream_open(const char *path, char *err);

/*
 * Read up to n decompressed bytes. Returns the count (0 at the end of
 * the input), or -EIO with the cause in src_stream_error().
 */
long src_stream_read(struct src_stream *s, void *buf, size_t n);

/* Bytes src_stream_unread() can put back: a pcap file header. */
#define SRC_PEEK 24

/*
 * Put back n <= SRC_PEEK bytes just read, so that the next read returns
 * them again (to peek at a file's magic and header).
 */
void src_stream_unread(struct src_stream *s, const void *buf, size_t n);

/* The cause of the last read error ("" when none); borrowed. */
const char *src_stream_error(const struct src_stream *s);

enum src_codec src_stream_codec(const struct src_stream *s);

/* Size of the underlying file (0 when unknown: a pipe) and bytes of it
 * consumed so far, for progress. */
uint64_t src_stream_size(const struct src_stream *s);
uint64_t src_stream_pos(const struct src_stream *s);

/*
 * A stdio FILE reading the decompressed bytes, for libpcap. Takes
 * ownership of s: fclose() of the FILE frees it. NULL with errno set on
 * failure (s is then still the caller's).
 */
FILE *src_stream_fopen(struct src_stream *s);

/* Close the stream (never standard input itself); NULL is a no-op. */
void src_stream_free(struct src_stream *s);

#endif /* FT_CAPTURE_STREAM_INTERNAL_H */
