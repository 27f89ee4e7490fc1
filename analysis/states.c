/* SPDX-License-Identifier: MIT */
/*
 * The TCP state glossary; see states.h. Linux numbers are the defaults of
 * current kernels (net.ipv4.* sysctls); Windows numbers are the documented
 * registry defaults.
 */
#include "analysis/states.h"

#include <ctype.h>
#include <string.h>

static const struct st_state states[] = {
	{
		.name = "LISTEN",
		.ss_name = "LISTEN",
		.summary = "a server socket waiting for connections",
		.meaning = "A socket on which the application called listen(): "
			   "it accepts SYNs for its port and hands finished "
			   "handshakes to accept(). It is not a connection; "
			   "netstat on Windows says LISTENING.",
		.waiting = "The server application waits for clients. The "
			   "kernel completes handshakes on its own and queues "
			   "them until the application calls accept().",
		.lingering =
			"Staying in LISTEN is normal. What matters is the "
			"accept queue: in ss, Recv-Q of a listening "
			"socket is the number of connections waiting for "
			"accept() and Send-Q its limit. A full queue means "
			"the application is not accepting fast enough "
			"(nstat TcpExtListenOverflows grows; clients see "
			"timeouts, not refusals).",
		.knobs = "The backlog given to listen(), capped by "
			 "net.core.somaxconn; net.ipv4.tcp_max_syn_backlog for "
			 "half-open connections.",
	},
	{
		.name = "SYN_SENT",
		.ss_name = "SYN-SENT",
		.summary = "a client sent its SYN and waits for the answer",
		.meaning =
			"connect() was called: the SYN is out, and neither a "
			"SYN-ACK nor a RST has come back yet (RFC 9293, 3.5).",
		.waiting = "The client waits for the server's host.",
		.lingering = "The server is unreachable or silent: a firewall "
			     "drops the SYN or the answer, a route is missing, "
			     "or the host is down. A refused connection never "
			     "lingers here: the RST ends it at once.",
		.knobs = "Linux retransmits the SYN net.ipv4.tcp_syn_retries "
			 "times (6: about 127 s before connect() fails); "
			 "applications usually set a shorter connect timeout. "
			 "Windows: TcpMaxConnectRetransmissions.",
	},
	{
		.name = "SYN_RECV",
		.ss_name = "SYN-RECV",
		.summary =
			"a server answered a SYN and waits for the final ACK",
		.meaning = "A SYN arrived on a listening port and the SYN-ACK "
			   "went out; the third segment of the handshake has "
			   "not arrived yet. Windows netstat says SYN_RECEIVED "
			   "(RFC 9293: SYN-RECEIVED).",
		.waiting = "The server's kernel waits for the client's ACK; no "
			   "application is involved yet.",
		.lingering = "Many at once: a SYN flood (spoofed sources never "
			     "answer) or SYN-ACKs that do not reach the "
			     "clients (asymmetric routing, a firewall on the "
			     "way back).",
		.knobs = "net.ipv4.tcp_synack_retries (5: about a minute), "
			 "net.ipv4.tcp_max_syn_backlog, and "
			 "net.ipv4.tcp_syncookies, which answers from a cookie "
			 "instead of keeping state when the queue is full.",
	},
	{
		.name = "ESTABLISHED",
		.ss_name = "ESTAB",
		.summary = "an open connection",
		.meaning = "The handshake is done; data can flow both ways. "
			   "Nobody has closed anything yet.",
		.waiting = "Nobody, as far as TCP is concerned: each side "
			   "sends when its application writes.",
		.lingering = "Idle connections are normal (pools, long polls). "
			     "A connection whose peer vanished (host crashed, "
			     "NAT or firewall entry expired) stays ESTABLISHED "
			     "on the silent side for ever unless something "
			     "probes it: the socket looks alive and is not.",
		.knobs =
			"Keepalive, when the application enables SO_KEEPALIVE: "
			"Linux probes after net.ipv4.tcp_keepalive_time (7200 "
			"s), every tcp_keepalive_intvl (75 s), "
			"tcp_keepalive_probes (9) times; per socket with "
			"TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT (RFC "
			"9293, 3.8.4). Windows KeepAliveTime is 2 hours too. "
			"Unacknowledged data gives up after "
			"net.ipv4.tcp_retries2 (15: about 15 minutes) or "
			"TCP_USER_TIMEOUT.",
	},
	{
		.name = "FIN_WAIT1",
		.ss_name = "FIN-WAIT-1",
		.summary = "this side closed first; its FIN is not ACKed yet",
		.meaning =
			"The application called close() or shutdown(SHUT_WR) "
			"first, so this side is the active closer: its FIN "
			"is queued or sent, and the peer has not "
			"acknowledged it yet (RFC 9293, 3.6). Windows "
			"netstat says FIN_WAIT_1.",
		.waiting = "This side waits for the peer's kernel to ACK the "
			   "FIN (and the data still queued before it).",
		.lingering = "The peer does not acknowledge: it is gone, a "
			     "firewall drops the segments, or its receive "
			     "window is zero because its application stopped "
			     "reading, so the queued data and the FIN cannot "
			     "be sent.",
		.knobs = "A socket the application has closed is an orphan; "
			 "Linux retries its FIN net.ipv4.tcp_orphan_retries "
			 "times (0 means 8), and kills orphans beyond "
			 "net.ipv4.tcp_max_orphans at once with a RST "
			 "(\"too many orphaned sockets\").",
	},
	{
		.name = "FIN_WAIT2",
		.ss_name = "FIN-WAIT-2",
		.summary = "this side closed first and waits for the peer to "
			   "close",
		.meaning =
			"This side's FIN was acknowledged; the connection is "
			"half closed. The peer has received the end of the "
			"stream and sits in CLOSE_WAIT until its application "
			"calls close(). Windows netstat says FIN_WAIT_2.",
		.waiting = "This side waits for the peer's application: its "
			   "FIN comes only when that application calls "
			   "close().",
		.lingering =
			"The problem is on the other host: many FIN_WAIT2 "
			"here toward one service means that service "
			"leaves its sockets in CLOSE_WAIT. A half-close on "
			"purpose (shutdown(SHUT_WR) while still reading) "
			"also waits here, for as long as the peer keeps "
			"sending.",
		.knobs =
			"Linux ends an orphaned FIN_WAIT2 (the application has "
			"already closed the socket) after "
			"net.ipv4.tcp_fin_timeout (60 s) or the TCP_LINGER2 "
			"socket option; the peer's late FIN is then answered "
			"with a RST (fintrace names this "
			"late-fin-answered-by-rst). A socket that was only "
			"shut down, not closed, waits without limit.",
	},
	{
		.name = "CLOSE_WAIT",
		.ss_name = "CLOSE-WAIT",
		.summary = "the peer closed; this application has not called "
			   "close()",
		.meaning = "The peer sent its FIN and this host's kernel "
			   "acknowledged it: the application has read (or can "
			   "read) end of file, and the socket stays in "
			   "CLOSE_WAIT until the application calls close() "
			   "(RFC 9293, 3.3.2: \"waiting for a connection "
			   "termination request from the local user\").",
		.waiting =
			"The kernel waits for this host's application. "
			"Nothing on the network is pending: the peer is done "
			"and is itself in FIN_WAIT2, or already gone.",
		.lingering =
			"An application bug, nearly always: a missing "
			"close() on an error or end-of-file path, a "
			"connection pool that never notices the peer "
			"closed, a thread stuck before it gets to close(). "
			"A count that only rises is a descriptor leak; the "
			"process eventually hits its file limit (EMFILE, "
			"\"too many open files\"). The fix is in the "
			"application, not in the network.",
		.knobs = "None: no kernel timer ends CLOSE_WAIT, only close() "
			 "or the process's exit. Find the owner with "
			 "'ss -tnp state close-wait' or 'fintrace kernel'. "
			 "Keepalive can turn a dead peer's RST into the end of "
			 "the TCP state, but the descriptor stays open until "
			 "close().",
	},
	{
		.name = "CLOSING",
		.ss_name = "CLOSING",
		.summary = "both sides closed at once; waiting for the ACK",
		.meaning = "Simultaneous close: this side sent its FIN and "
			   "received the peer's FIN before its own was "
			   "acknowledged (RFC 9293, 3.6, case 3).",
		.waiting = "Each side waits for the other's kernel to ACK its "
			   "FIN; then both go to TIME_WAIT.",
		.lingering = "Rare and short. Many, or old ones, point to lost "
			     "ACKs or a peer that disappeared in the middle of "
			     "the close.",
		.knobs = "As FIN_WAIT1: net.ipv4.tcp_orphan_retries and "
			 "tcp_max_orphans for closed (orphaned) sockets.",
	},
	{
		.name = "LAST_ACK",
		.ss_name = "LAST-ACK",
		.summary = "this side closed second; its FIN is not ACKed yet",
		.meaning = "The passive side: the peer closed first, then this "
			   "application called close() after CLOSE_WAIT, and "
			   "its FIN waits for the peer's ACK.",
		.waiting = "This side waits for the peer's kernel to ACK the "
			   "last FIN.",
		.lingering =
			"The peer no longer answers: its host is gone, or "
			"a firewall forgot the connection while this side "
			"sat in CLOSE_WAIT. A peer whose FIN_WAIT2 already "
			"timed out answers with a RST, which ends "
			"LAST_ACK at once.",
		.knobs = "The FIN is retransmitted with backoff "
			 "(net.ipv4.tcp_orphan_retries for a closed socket, "
			 "net.ipv4.tcp_retries2 otherwise) before the socket "
			 "is dropped.",
	},
	{
		.name = "TIME_WAIT",
		.ss_name = "TIME-WAIT",
		.summary = "the active closer's final wait (2 MSL)",
		.meaning = "The side that closed first, once both FINs are "
			   "acknowledged, keeps the connection's 4-tuple "
			   "reserved for twice the maximum segment lifetime so "
			   "that a retransmitted FIN can still be ACKed and "
			   "stray old segments cannot land in a new connection "
			   "on the same ports (RFC 9293, 3.6: MUST-13). The "
			   "application has already closed the socket; no "
			   "descriptor is held.",
		.waiting = "Nobody: a timer runs out.",
		.lingering = "Many TIME_WAIT sockets are the normal trace of a "
			     "busy side that closes first. They hurt only when "
			     "one client opens many short connections to one "
			     "server address and port: each 4-tuple is blocked "
			     "for the whole wait, and the ephemeral port range "
			     "runs out (connect() fails with EADDRNOTAVAIL). "
			     "Connection reuse (keep-alive, pools) is the real "
			     "fix; closing first on the other side moves the "
			     "TIME_WAIT there.",
		.knobs = "Linux: fixed 60 s (TCP_TIMEWAIT_LEN, compiled in; "
			 "tcp_fin_timeout does not change it); "
			 "net.ipv4.tcp_tw_reuse lets new outgoing connections "
			 "reuse a TIME_WAIT 4-tuple when timestamps make it "
			 "safe (2, the default, only on loopback); "
			 "net.ipv4.tcp_max_tw_buckets caps their number; "
			 "net.ipv4.ip_local_port_range sets the ephemeral "
			 "ports. Windows: TcpTimedWaitDelay, 240 s by default "
			 "(30 to 300), and MaxUserPort (older Windows; today "
			 "the dynamic port range, 49152-65535, set with netsh "
			 "int ipv4 set dynamicport). SO_LINGER with a zero "
			 "timeout skips TIME_WAIT by resetting the connection, "
			 "losing unsent data: a last resort.",
	},
	{
		.name = "CLOSED",
		.ss_name = "UNCONN",
		.summary = "no connection",
		.meaning =
			"RFC 9293's name for no connection state at all. "
			"ss shows a TCP socket that is not connected (created "
			"or bound, or reset while its application still "
			"holds it) as UNCONN, netstat as CLOSE.",
		.waiting = "Nobody on the network. If an application still "
			   "holds the descriptor, the socket waits for its "
			   "close().",
		.lingering = "Sockets in CLOSE that never go away are "
			     "descriptors an application keeps after the "
			     "connection ended, e.g. a CLOSE_WAIT socket that "
			     "a RST ended: the same leak as CLOSE_WAIT.",
		.knobs = "None; only close() releases the descriptor.",
	},
};

#define NSTATES (sizeof(states) / sizeof(states[0]))

/* Other spellings, already normalised (upper case, no '_', '-' or ' '). */
static const struct {
	const char *alias;
	const char *name;
} aliases[] = {
	{"LISTENING", "LISTEN"},     {"ESTAB", "ESTABLISHED"},
	{"SYNRECEIVED", "SYN_RECV"}, {"SYNRCVD", "SYN_RECV"},
	{"CLOSE", "CLOSED"},	     {"UNCONN", "CLOSED"},
};

const struct st_state *st_all(size_t *n)
{
	*n = NSTATES;
	return states;
}

/* Upper case without '_', '-' and blanks; 0, or -1 when too long. */
static int normalise(const char *in, char *out, size_t n)
{
	size_t k = 0;

	for (; *in; in++) {
		if (*in == '_' || *in == '-' || isspace((unsigned char)*in))
			continue;
		if (k + 1 >= n)
			return -1;
		out[k++] = (char)toupper((unsigned char)*in);
	}
	out[k] = '\0';
	return 0;
}

const struct st_state *st_find(const char *name)
{
	char want[32], have[32];

	if (!name || normalise(name, want, sizeof(want)) || !want[0])
		return NULL;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcmp(want, aliases[i].alias))
			return st_find(aliases[i].name);
	for (size_t i = 0; i < NSTATES; i++) {
		normalise(states[i].name, have, sizeof(have));
		if (!strcmp(want, have))
			return &states[i];
	}
	return NULL;
}
