/* SPDX-License-Identifier: MIT */
/*
 * The evidence pack; see pack.h.
 */
#include "engine/pack.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "analysis/json.h"
#include "analysis/verdict.h"
#include "engine/analyse.h"
#include "engine/clock.h"

#define NS ((uint64_t)1000000000)
#define README_FLOWS 1000 /* flows listed one by one in README.txt */

/* The files of a pack beside the evidence, in the manifest's order. */
static const char *const pack_files[] = {"report.html", "report.json",
					 "FACTS.txt", "README.txt", NULL};
static const char *const kernel_files[] = {"report.html", "report.json",
					   "sockets.txt", "FACTS.txt",
					   "README.txt",  NULL};

/* One line in err (FT_ERRBUF_SIZE), cut to fit: names may be long. */
__attribute__((format(printf, 2, 3))) static void errf(char *err,
						       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, FT_ERRBUF_SIZE, fmt, ap);
	va_end(ap);
}

int pack_is_dir(const char *path)
{
	struct stat st;
	size_t n = path ? strlen(path) : 0;

	if (!n)
		return 0;
	if (path[n - 1] == '/')
		return 1;
	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* 1 when dir holds anything but . and .., 0, or -errno. */
static int dir_used(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int used = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			used = 1;
			break;
		}
	closedir(d);
	return used;
}

static int join(char *buf, const char *dir, const char *name)
{
	int k = snprintf(buf, PACK_NAME_MAX, "%s/%s", dir, name);

	return k < 0 || k >= PACK_NAME_MAX ? -ENAMETOOLONG : 0;
}

int pack_open_dir(struct pack *p, const char *path, int force, const char *mode,
		  int argc, char **argv, char *err)
{
	size_t n = strlen(path);
	int rc;

	memset(p, 0, sizeof(*p));
	p->mode = mode;
	p->run_start_ns = clock_ns(CLOCK_REALTIME);
	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n >= sizeof(p->dir)) {
		errf(err, "--evidence: name too long");
		return -ENAMETOOLONG;
	}
	memcpy(p->dir, path, n);
	p->dir[n] = '\0';
	if (mkdir(p->dir, 0700) && errno != EEXIST) {
		rc = -errno;
		errf(err, "%s: cannot create: %s", p->dir, strerror(errno));
		return rc;
	}
	rc = dir_used(p->dir);
	if (rc < 0) {
		errf(err, "%s: %s", p->dir, strerror(-rc));
		return rc;
	}
	if (rc && !force) {
		errf(err,
		     "%s: not empty; give an empty or new directory for "
		     "the evidence pack (or --force to write into it)",
		     p->dir);
		return -ENOTEMPTY;
	}
	if (join(p->evidence, p->dir, "evidence.pcap") ||
	    join(p->html, p->dir, "report.html") ||
	    join(p->json, p->dir, "report.json")) {
		errf(err, "%s: name too long", p->dir);
		return -ENAMETOOLONG;
	}
	out_command_line(p->cmdline, sizeof(p->cmdline), argc, argv);
	return 0;
}

int pack_open(struct pack *p, const char *path, int force,
	      const struct pipeline_config *c, const char *mode, int argc,
	      char **argv, char *err)
{
	struct pipeline_config jc = *c;
	int rc = pack_open_dir(p, path, force, mode, argc, argv, err);

	if (rc)
		return rc;
	rc = out_open(&p->jout, p->json, err);
	if (rc)
		return rc;
	jc.format = RPT_JSON;
	if (pipeline_init(&p->pl, &jc, p->jout.fp, mode)) {
		errf(err, "out of memory");
		return -ENOMEM;
	}
	p->pl_ready = 1;
	return 0;
}

int pack_frame(struct pack *p, const uint8_t *data, uint32_t caplen,
	       uint32_t wirelen, uint64_t wall_ns, uint64_t frame, int dlt)
{
	return pipeline_frame(&p->pl, data, caplen, wirelen, wall_ns, frame,
			      dlt);
}

void pack_free(struct pack *p)
{
	if (p->pl_ready)
		pipeline_free(&p->pl);
	p->pl_ready = 0;
	out_close(&p->jout, NULL);
}

int pack_sha256_file(const char *path, char *hex)
{
	unsigned char buf[1 << 16], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = NULL;
	ssize_t got;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		rc = -ENOMEM;
		goto out;
	}
	while ((got = read(fd, buf, sizeof(buf))) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		if (!EVP_DigestUpdate(ctx, buf, (size_t)got)) {
			rc = -EIO;
			goto out;
		}
	}
	if (!EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen != 32) {
		rc = -EIO;
		goto out;
	}
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
out:
	EVP_MD_CTX_free(ctx);
	close(fd);
	return rc;
}

/* One flagged connection as the evidence file's own analysis saw it. */
struct pack_flow {
	char verdict[24];
	char client[64], server[64];
	char closer[8]; /* active closer: client, server, "" */
	double close_wait;
	int at_end;
	uint64_t first, last, packets;
	char filter[512];
};

struct pack_flows {
	struct pack_flow *f;
	size_t n, cap;
	uint64_t per_verdict[VD__COUNT];
};

static void copy_str(char *dst, size_t n, const struct json_value *v)
{
	snprintf(dst, n, "%s", json_str(v) ? json_str(v) : "");
}

/* Keep the flow records of f whose verdict is in mask. */
static int take_flows(FILE *f, unsigned mask, struct pack_flows *out)
{
	char *line = NULL, jerr[JSON_ERRBUF];
	size_t cap = 0;
	ssize_t len;
	int rc = 0;

	while ((len = getline(&line, &cap, f)) > 0) {
		struct json_doc *d = json_parse(line, (size_t)len, jerr);
		const struct json_value *o = json_root(d);
		const char *type = json_str(json_get(o, "type"));
		const char *vd = json_str(json_get(o, "verdict"));
		int v = vd ? vd_parse(vd) : -1;
		struct pack_flow *pf;
		double x;

		if (!d || !type || strcmp(type, "flow") || v < 0 ||
		    !(mask & (1u << v))) {
			json_free(d);
			continue;
		}
		if (out->n == out->cap) {
			size_t nc = out->cap ? out->cap * 2 : 16;
			struct pack_flow *nf =
				realloc(out->f, nc * sizeof(*nf));

			if (!nf) {
				json_free(d);
				rc = -ENOMEM;
				break;
			}
			out->f = nf;
			out->cap = nc;
		}
		pf = &out->f[out->n++];
		memset(pf, 0, sizeof(*pf));
		out->per_verdict[v]++;
		snprintf(pf->verdict, sizeof(pf->verdict), "%s", vd);
		copy_str(pf->client, sizeof(pf->client), json_get(o, "client"));
		copy_str(pf->server, sizeof(pf->server), json_get(o, "server"));
		copy_str(pf->closer, sizeof(pf->closer),
			 json_get(o, "active_closer"));
		copy_str(pf->filter, sizeof(pf->filter), json_get(o, "filter"));
		if (!json_num(json_get(o, "close_wait"), &x))
			pf->close_wait = x;
		pf->at_end =
			json_get(o, "in_close_wait_at_end") &&
			json_get(o, "in_close_wait_at_end")->type == JSON_TRUE;
		if (!json_num(json_get(o, "first_frame"), &x))
			pf->first = (uint64_t)x;
		if (!json_num(json_get(o, "last_frame"), &x))
			pf->last = (uint64_t)x;
		if (!json_num(json_get(o, "packets"), &x))
			pf->packets = (uint64_t)x;
		json_free(d);
	}
	free(line);
	return rc;
}

static int by_first_frame(const void *a, const void *b)
{
	const struct pack_flow *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* "5s", "300s", "1.5s" for a command line. */
static void dur_arg(char *buf, size_t n, uint64_t ns)
{
	if (ns % NS == 0)
		snprintf(buf, n, "%" PRIu64 "s", ns / NS);
	else
		snprintf(buf, n, "%" PRIu64 "ms", ns / 1000000);
}

static void readme_flow(FILE *f, size_t k, const struct pack_flow *pf,
			const char *file)
{
	const char *passive = !strcmp(pf->closer, "client")   ? "server"
			      : !strcmp(pf->closer, "server") ? "client"
							      : "passive side";

	fprintf(f, "\nConnection %zu: %s  %s -> %s\n", k, pf->verdict,
		pf->client, pf->server);
	if (!strcmp(pf->verdict, "never-closed"))
		fprintf(f,
			"  The %s ACKed the %s's FIN and never closed: in "
			"CLOSE_WAIT %s%.3f s.\n",
			passive, pf->closer[0] ? pf->closer : "peer",
			pf->at_end ? "at least " : "", pf->close_wait);
	else if (!strcmp(pf->verdict, "late-close"))
		fprintf(f,
			"  The %s closed %.3f s after the %s's FIN (stayed in "
			"CLOSE_WAIT that long).\n",
			passive, pf->close_wait,
			pf->closer[0] ? pf->closer : "peer");
	fprintf(f,
		"  Frames %" PRIu64 "-%" PRIu64 " of %s (%" PRIu64
		" packets).\n",
		pf->first, pf->last, file, pf->packets);
	fprintf(f, "  Wireshark display filter:\n    %s\n", pf->filter);
	fprintf(f, "  tshark -r %s -Y '%s'\n", file, pf->filter);
}

/*
 * README.txt: analyse each evidence file as fintrace read would with the
 * run's end, and describe what it shows.
 */
static int write_readme(struct pack *p, const struct pack_run *run, FILE *f,
			char *err)
{
	const struct pipeline_config *c = run->c;
	char end[48], lg[32], idle[32], grace[32];
	uint64_t flagged = ev_get_stats(run->ev)->flows, seen = 0;
	size_t nfiles = ev_files(run->ev), k = 0;
	int rc = 0;

	rpt_fmt_iso(end, sizeof(end), p->last_ns);
	dur_arg(lg, sizeof(lg), c->linger_ns);
	dur_arg(idle, sizeof(idle), c->idle_ns);
	dur_arg(grace, sizeof(grace), c->grace_ns);
	fprintf(f,
		"Evidence of TCP connections left in CLOSE_WAIT\n"
		"==============================================\n\n"
		"Written by fintrace %s (see FACTS.txt: host, kernel, times).\n"
		"Command: %s\n\n"
		"What is here\n"
		"  evidence.pcap    every packet of the %" PRIu64
		" flagged connections, in\n"
		"                   their original order, with their original "
		"timestamps\n"
		"  report.html      the report of the whole run, for a "
		"browser\n"
		"  report.json      the same report as JSON Lines (one record "
		"per connection,\n"
		"                   per service, and a summary)\n"
		"  FACTS.txt        fintrace version, command line, host, "
		"kernel, times\n"
		"  MANIFEST.sha256  SHA-256 of every input and of every file "
		"here:\n"
		"                     sha256sum -c MANIFEST.sha256\n"
		"                   run in this directory; the inputs are "
		"listed by their\n"
		"                   path on the host that wrote the pack (add "
		"--ignore-missing\n"
		"                   where they are absent)\n",
		FT_VERSION, p->cmdline, flagged);
	if (nfiles > 1)
		fputs("  (one evidence file per link type: a pcap file holds "
		      "one)\n",
		      f);
	fputs("\nFrame numbers below are those of the evidence file, not of "
	      "the original\ncapture: the evidence holds only the flagged "
	      "connections' packets, so\nWireshark numbers them from 1.\n",
	      f);
	for (size_t i = 0; i < nfiles && !rc; i++) {
		const char *path = ev_file_name(run->ev, i);
		const char *name = base_name(path);
		struct pack_flows fl = {0};
		FILE *tmp = tmpfile();

		if (!tmp) {
			errf(err, "%s: no temporary file: %s", path,
			     strerror(errno));
			return -errno;
		}
		rc = analyse_files(&path, 1, NULL, c, p->last_ns, tmp, err);
		if (!rc) {
			rewind(tmp);
			rc = take_flows(tmp, c->evidence_verdicts, &fl);
		}
		fclose(tmp);
		if (rc) {
			free(fl.f);
			break;
		}
		if (fl.n)
			qsort(fl.f, fl.n, sizeof(*fl.f), by_first_frame);
		fprintf(f,
			"\n%s\n"
			"  All its connections with tshark (%zu TCP streams "
			"expected):\n"
			"    tshark -r %s -Y tcp -T fields -e tcp.stream | "
			"sort -u | wc -l\n",
			name, fl.n, name);
		for (size_t j = 0; j < fl.n; j++, k++) {
			if (k == README_FLOWS) {
				fprintf(f,
					"\n(%" PRIu64 " more flagged "
					"connections: see report.json)\n",
					flagged - k);
			}
			if (k >= README_FLOWS)
				continue;
			readme_flow(f, k + 1, &fl.f[j], name);
		}
		seen += fl.n;
		free(fl.f);
	}
	if (rc)
		return rc;
	fprintf(f,
		"\nThe same verdicts with fintrace\n"
		"  fintrace read --linger %s --idle-timeout %s --grace %s "
		"\\\n      --capture-end %s",
		lg, idle, grace, end);
	for (size_t i = 0; i < nfiles; i++)
		fprintf(f, " %s", base_name(ev_file_name(run->ev, i)));
	fprintf(f,
		"\nThe evidence ends with its last flagged packet, before the "
		"original\nobservation ended (at %s).\n--capture-end gives "
		"that "
		"end, so that a socket still in CLOSE_WAIT then\nis measured "
		"until then, as it was; without it, close-waits end at the\n"
		"evidence's last packet and a leak younger than --linger there "
		"is only\n\"closing\".\n",
		end);
	if (seen == flagged)
		fprintf(f,
			"Done while writing this pack: it gives the same "
			"%" PRIu64 " flagged connections.\n",
			seen);
	else
		fprintf(f,
			"Done while writing this pack: it gives %" PRIu64
			" flagged connections where the run flagged %" PRIu64
			" (see the evidence summary in report.json).\n",
			seen, flagged);
	return 0;
}

static void write_facts(struct pack *p, const struct pack_run *run, FILE *f)
{
	struct utsname u;
	char host[256] = "", b[48];

	if (uname(&u))
		memset(&u, 0, sizeof(u));
	if (gethostname(host, sizeof(host) - 1))
		snprintf(host, sizeof(host), "%s", u.nodename);
	fprintf(f, "fintrace: %s\n", FT_VERSION);
	fprintf(f, "command: %s\n", p->cmdline);
	fprintf(f, "mode: %s\n", p->mode);
	fprintf(f, "host: %s\n", host);
	fprintf(f, "kernel: %s %s %s %s\n", u.sysname, u.release, u.version,
		u.machine);
	fprintf(f, "run start: %s\n",
		rpt_fmt_iso(b, sizeof(b), p->run_start_ns));
	fprintf(f, "run end: %s\n",
		rpt_fmt_iso(b, sizeof(b), clock_ns(CLOCK_REALTIME)));
	if (p->first_ns) {
		fprintf(f, "%s start: %s\n", run->ev ? "capture" : "tracing",
			rpt_fmt_iso(b, sizeof(b), p->first_ns));
		fprintf(f, "%s end: %s\n", run->ev ? "capture" : "tracing",
			rpt_fmt_iso(b, sizeof(b), p->last_ns));
	}
	for (size_t i = 0; i < run->ninputs; i++)
		fprintf(f, "input: %s\n", run->inputs[i]);
	if (run->error)
		fprintf(f, "input error: %s\n", run->error);
}

/* One manifest line: sha256sum escapes a name with \ or a newline. */
static int manifest_line(FILE *f, const char *path, const char *name)
{
	char hex[65];
	int rc = pack_sha256_file(path, hex);

	if (rc)
		return rc;
	if (strpbrk(name, "\\\n")) {
		fprintf(f, "\\%s  ", hex);
		for (const char *s = name; *s; s++) {
			if (*s == '\\')
				fputs("\\\\", f);
			else if (*s == '\n')
				fputs("\\n", f);
			else
				fputc(*s, f);
		}
		fputc('\n', f);
	} else {
		fprintf(f, "%s  %s\n", hex, name);
	}
	return 0;
}

static int write_manifest(struct pack *p, const struct pack_run *run, FILE *f,
			  char *err)
{
	char path[PACK_NAME_MAX], *abs;
	int rc = 0;

	for (size_t i = 0; run->inputs_are_files && i < run->ninputs; i++) {
		if (!strcmp(run->inputs[i], "-"))
			continue; /* standard input is gone */
		abs = realpath(run->inputs[i], NULL);
		rc = manifest_line(f, abs ? abs : run->inputs[i],
				   abs ? abs : run->inputs[i]);
		free(abs);
		if (rc) {
			errf(err, "%s: %s", run->inputs[i], strerror(-rc));
			return rc;
		}
	}
	for (size_t i = 0; run->ev && i < ev_files(run->ev); i++) {
		const char *ef = ev_file_name(run->ev, i);

		rc = manifest_line(f, ef, base_name(ef));
		if (rc) {
			errf(err, "%s: %s", ef, strerror(-rc));
			return rc;
		}
	}
	for (const char *const *name = run->ev ? pack_files : kernel_files;
	     *name; name++) {
		if (join(path, p->dir, *name))
			return -ENAMETOOLONG;
		rc = manifest_line(f, path, *name);
		if (rc) {
			errf(err, "%s: %s", path, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* Write DIR/name with fn; one line naming the file in err on failure. */
static int write_file(struct pack *p, const char *name,
		      int (*fn)(struct pack *, const struct pack_run *, FILE *,
				char *),
		      const struct pack_run *run, char *err)
{
	char path[PACK_NAME_MAX];
	struct out_file o;
	int rc;

	if (join(path, p->dir, name)) {
		errf(err, "%s: name too long", p->dir);
		return -ENAMETOOLONG;
	}
	rc = out_open(&o, path, err);
	if (rc)
		return rc;
	err[0] = '\0';
	rc = fn(p, run, o.fp, err);
	if (out_close(&o, rc ? NULL : err) && !rc)
		rc = -EIO;
	return rc;
}

static int facts_fn(struct pack *p, const struct pack_run *run, FILE *f,
		    char *err)
{
	(void)err;
	write_facts(p, run, f);
	return 0;
}

int pack_finish(struct pack *p, struct pipeline *pl, const struct pack_run *run,
		char *err)
{
	int rc;

	p->first_ns = pl->first_ns;
	p->last_ns = pl->last_ns;
	rc = pipeline_html(pl, p->html, run->in, run->nin, run->argc, run->argv,
			   err);
	if (rc)
		return rc;
	p->pl.filtered = pl->filtered;
	p->pl.drops = pl->drops;
	if (pl->last_ns > p->pl.last_ns)
		p->pl.last_ns = pl->last_ns;
	if (run->ev)
		pipeline_evidence_report(&p->pl, run->ev, pl->ev_streaming,
					 run->c,
					 pl->ev_err[0] ? pl->ev_err : NULL);
	rc = pipeline_finish(&p->pl, run->inputs, run->ninputs, run->error);
	if (out_close(&p->jout, err) || rc) {
		if (rc && !err[0])
			errf(err, "%s: cannot write", p->json);
		return rc ? rc : -EIO;
	}
	rc = write_file(p, "FACTS.txt", facts_fn, run, err);
	if (!rc)
		rc = write_file(p, "README.txt", write_readme, run, err);
	if (!rc)
		rc = write_file(p, "MANIFEST.sha256", write_manifest, run, err);
	return rc;
}

/* ---- fintrace kernel ---- */

/* A socket of the kernel's report.json, as ss -tanp would show it. */
struct pack_sock {
	char state[16], local[64], peer[64], comm[64], verdict[24];
	int remote; /* the passive side (who did not close) is the peer */
	double pid, netns, close_wait;
	int at_end;
};

/* s from a flow record of fintrace kernel; 0 when it is one. */
static int sock_of(const struct json_value *o, struct pack_sock *s)
{
	const char *type = json_str(json_get(o, "type"));
	const char *local = json_str(json_get(o, "local"));
	const struct json_value *end = json_get(o, "in_close_wait_at_end");
	int server;

	if (!type || strcmp(type, "flow") || !local)
		return -1;
	memset(s, 0, sizeof(*s));
	server = !strcmp(local, "server");
	copy_str(s->state, sizeof(s->state), json_get(o, "state"));
	for (char *c = s->state; *c; c++)
		if (*c == '_')
			*c = '-';
	copy_str(s->local, sizeof(s->local),
		 json_get(o, server ? "server" : "client"));
	copy_str(s->peer, sizeof(s->peer),
		 json_get(o, server ? "client" : "server"));
	copy_str(s->comm, sizeof(s->comm), json_get(o, "comm"));
	copy_str(s->verdict, sizeof(s->verdict), json_get(o, "verdict"));
	json_num(json_get(o, "pid"), &s->pid);
	json_num(json_get(o, "netns"), &s->netns);
	json_num(json_get(o, "close_wait"), &s->close_wait);
	s->at_end = end && end->type == JSON_TRUE;
	s->remote = json_str(json_get(o, "passive")) &&
		    !strcmp(json_str(json_get(o, "passive")), "remote");
	return 0;
}

/* Each flow record of report.json with fn(f, sock, ctx); count kept. */
static int each_sock(struct pack *p, FILE *f,
		     int (*fn)(FILE *, const struct pack_sock *, void *),
		     void *ctx, char *err)
{
	FILE *in = fopen(p->json, "r");
	char *line = NULL, jerr[JSON_ERRBUF];
	size_t cap = 0;
	ssize_t len;
	int n = 0;

	if (!in) {
		errf(err, "%s: %s", p->json, strerror(errno));
		return -errno;
	}
	while ((len = getline(&line, &cap, in)) > 0) {
		struct json_doc *d = json_parse(line, (size_t)len, jerr);
		struct pack_sock s;

		if (d && !sock_of(json_root(d), &s))
			n += fn(f, &s, ctx);
		json_free(d);
	}
	free(line);
	fclose(in);
	return n;
}

static int ss_line(FILE *f, const struct pack_sock *s, void *ctx)
{
	(void)ctx;
	if (!s->at_end && strcmp(s->state, "FIN-WAIT-2") &&
	    strcmp(s->state, "LAST-ACK") && strcmp(s->state, "CLOSING") &&
	    strcmp(s->state, "FIN-WAIT-1"))
		return 0;
	fprintf(f, "%-11s 0      0      %-40s %-40s ", s->state, s->local,
		s->peer);
	if (s->pid)
		fprintf(f, "users:((\"%s\",pid=%.0f))", s->comm, s->pid);
	else
		fputs("users:(unknown)", f);
	fprintf(f, " netns:%.0f", s->netns);
	if (s->at_end)
		fprintf(f, " close-wait:%.3fs", s->close_wait);
	fputc('\n', f);
	return 1;
}

static int sockets_fn(struct pack *p, const struct pack_run *run, FILE *f,
		      char *err)
{
	char b[48];
	int n;

	(void)run;
	fprintf(f,
		"# sockets lingering when tracing stopped (%s), as "
		"ss -tanp shows them,\n# with the network namespace (inode) "
		"and the time in CLOSE_WAIT so far\n",
		rpt_fmt_iso(b, sizeof(b), p->last_ns));
	fprintf(f, "%-11s %-6s %-6s %-40s %-40s %s\n", "State", "Recv-Q",
		"Send-Q", "Local Address:Port", "Peer Address:Port", "Process");
	n = each_sock(p, f, ss_line, NULL, err);
	if (n < 0)
		return n;
	p->lingering = (uint64_t)n;
	return 0;
}

static int flagged_line(FILE *f, const struct pack_sock *s, void *ctx)
{
	uint64_t *k = ctx;

	if (strcmp(s->verdict, "never-closed") &&
	    strcmp(s->verdict, "late-close"))
		return 0;
	if (++*k > README_FLOWS)
		return 1;
	fprintf(f, "  %-12s local %s, peer %s, ", s->verdict, s->local,
		s->peer);
	if (s->pid)
		fprintf(f, "pid %.0f (%s)", s->pid, s->comm);
	else
		fputs("process unknown", f);
	fprintf(f, ", netns %.0f:\n    ", s->netns);
	if (s->remote)
		fputs("the peer did not close (this host's socket closed)\n",
		      f);
	else
		fprintf(f, "this host's socket %s in CLOSE_WAIT %s%.3f s\n",
			s->at_end ? "stayed" : "was",
			s->at_end ? "at least " : "", s->close_wait);
	return 1;
}

static int readme_kernel_fn(struct pack *p, const struct pack_run *run, FILE *f,
			    char *err)
{
	uint64_t k = 0;
	int n;

	fprintf(f,
		"Evidence of TCP sockets left in CLOSE_WAIT (fintrace kernel)\n"
		"============================================================\n"
		"\nWritten by fintrace %s (see FACTS.txt: host, kernel, "
		"times).\n"
		"Command: %s\nTraced: %s\n\n"
		"What is here\n"
		"  report.html      the report, for a browser: processes, "
		"services, sockets\n"
		"  report.json      the same report as JSON Lines (one record "
		"per socket, per\n"
		"                   process and service, and a summary)\n"
		"  sockets.txt      the %" PRIu64
		" sockets still lingering when tracing stopped, as\n"
		"                   ss -tanp shows them, with the process that "
		"holds each\n"
		"  FACTS.txt        fintrace version, command line, host, "
		"kernel, times\n"
		"  MANIFEST.sha256  SHA-256 of every file here: sha256sum -c "
		"MANIFEST.sha256\n\n"
		"The kernel keeps no packets: this pack has no capture. While "
		"the sockets of\nsockets.txt are still there, the host shows "
		"them itself (as root, in their\nnetwork namespace: "
		"nsenter --net=/proc/PID/ns/net):\n"
		"  ss -tanp state close-wait\n"
		"To record packets of the next ones: fintrace live -i IFACE "
		"--evidence DIR/\n\n",
		FT_VERSION, p->cmdline, run->ninputs ? run->inputs[0] : "",
		p->lingering);
	fputs("Sockets that never closed or closed late:\n", f);
	n = each_sock(p, f, flagged_line, &k, err);
	if (n < 0)
		return n;
	if (k > README_FLOWS)
		fprintf(f, "  (%" PRIu64 " more: see report.json)\n",
			k - README_FLOWS);
	if (!k)
		fputs("  none\n", f);
	return 0;
}

int pack_finish_kernel(struct pack *p, const struct pack_run *run,
		       uint64_t start_wall_ns, uint64_t end_wall_ns, char *err)
{
	int rc;

	p->first_ns = start_wall_ns;
	p->last_ns = end_wall_ns;
	rc = write_file(p, "sockets.txt", sockets_fn, run, err);
	if (!rc)
		rc = write_file(p, "FACTS.txt", facts_fn, run, err);
	if (!rc)
		rc = write_file(p, "README.txt", readme_kernel_fn, run, err);
	if (!rc)
		rc = write_file(p, "MANIFEST.sha256", write_manifest, run, err);
	return rc;
}
