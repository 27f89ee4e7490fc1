#!/bin/bash
# SPDX-License-Identifier: MIT
#
# expected.sh CAPTURE [DESCRIPTION...]
#
# Prints the expected-verdict file of a capture on stdout, derived from the
# capture alone with tshark (fields per frame) and awk, independently of
# fintrace: one line per TCP flow, in order of the flow's first packet:
#
#   client server roles verdict active_closer reset_by close_wait
#
# The rules (linger threshold 5 s) are those of README.md "Expected files":
# the active closer sent the first FIN; the passive side is in close-wait
# from its first packet whose ACK covers that FIN (ack >= FIN seq + payload
# + 1, modulo 2^32) until its first FIN or RST; for a passive side that
# never closed, until the capture's last frame (of any protocol).
# close_wait is printed in seconds, truncated to microseconds.
# A pcapng file's interface statistics (isb_endtime; a little-endian file,
# as recorded here) extend "the capture's last frame" to the true end;
# dumpcap 4.0 writes that time in microseconds whatever the interface's
# resolution, so the reading that is not before the last frame counts.
# With FTREC_INNER=1 the innermost IP header of each frame is read (a
# tunnel's inner packet) instead of the outermost. A VXLAN VNI is part of
# a flow's identity, as for fintrace.
# A SYN (without ACK) on the 4-tuple of a flow that already ended (RST,
# or both FINs) starts a new flow. A flow whose packets all come from one
# side, which acknowledges the other's sends (a SYN-ACK, or ACK numbers
# that move), was seen one way only: open, or reset when that side sent a
# RST, with no active closer.
set -euo pipefail

if (($# < 1)) || [[ ! -r $1 ]]; then
	echo "usage: expected.sh CAPTURE [DESCRIPTION...]" >&2
	exit 1
fi
cap=$1
shift
desc="$*"

fields=(-e frame.number -e frame.time_epoch -e ip.src -e ip.dst
	-e ipv6.src -e ipv6.dst -e tcp.srcport -e tcp.dstport -e tcp.flags
	-e tcp.seq_raw -e tcp.ack_raw -e tcp.len -e frame.protocols
	-e vxlan.vni)

# isb_end CAPTURE: the latest isb_endtime as "sec.fraction", or nothing.
isb_end() {
	od -An -v -tu4 -w4 "$1" | awk '
	{ w[NR] = $1 }
	END {
		if (w[1] != 168627466)		# 0x0a0d0d0a: not pcapng
			exit
		i = 1; nif = 0
		while (i + 1 <= NR && w[i + 1] >= 12) {
			type = w[i]; len = w[i + 1] / 4
			if (type == 168627466)
				nif = 0
			if (type == 1) {		# IDB: if_tsresol
				res[nif] = 6
				for (j = i + 4; j < i + len - 1; ) {
					code = w[j] % 65536
					olen = int(w[j] / 65536)
					if (code == 0)
						break
					if (code == 9)
						res[nif] = w[j + 1] % 256
					j += 1 + int((olen + 3) / 4)
				}
				nif++
			}
			if (type == 5) {		# ISB: isb_endtime
				for (j = i + 5; j < i + len - 1; ) {
					code = w[j] % 65536
					olen = int(w[j] / 65536)
					if (code == 0)
						break
					if (code == 3) {
						r = res[w[i + 2]]
						t = w[j + 1] * 4294967296 + w[j + 2]
						out = sprintf("%d.%0" r "d %d.%06d",
							      int(t / 10 ^ r),
							      t % 10 ^ r,
							      int(t / 1e6), t % 1e6)
					}
					j += 1 + int((olen + 3) / 4)
				}
			}
			i += len
		}
		if (out != "")
			print out
	}'
}

occurrence=f
[[ ${FTREC_INNER:-0} == 1 ]] && occurrence=l

tshark -n -r "$cap" -o tcp.desegment_tcp_streams:FALSE \
	-o tcp.analyze_sequence_numbers:FALSE -T fields -E separator=/t \
	-E occurrence=$occurrence "${fields[@]}" 2>/dev/null |
	awk -F '\t' -v cap="$(basename "$cap")" -v desc="$desc" \
	-v isb_end="$(isb_end "$cap")" '
function hexval(s,    i, v, d) {
	s = tolower(s)
	sub(/^0x/, "", s)
	v = 0
	for (i = 1; i <= length(s); i++) {
		d = index("0123456789abcdef", substr(s, i, 1)) - 1
		v = v * 16 + d
	}
	return v
}
function flag(v, bit) {
	return int(v / bit) % 2
}
# 1 when a >= b in 32-bit sequence space (RFC 9293, 3.4).
function seq_ge(a, b,    d) {
	d = (a - b) % 4294967296
	if (d < 0)
		d += 4294967296
	return d < 2147483648
}
function endpoint(addr, port) {
	return (addr ~ /:/) ? "[" addr "]:" port : addr ":" port
}
# Capture time in ns since the first frame (exact in a double).
function rel_ns(t,    p, sec, frac) {
	p = index(t, ".")
	if (p == 0) {
		sec = t
		frac = ""
	} else {
		sec = substr(t, 1, p - 1)
		frac = substr(t, p + 1)
	}
	frac = substr(frac "000000000", 1, 9)
	if (!have_base) {
		base = sec
		have_base = 1
	}
	return (sec - base) * 1000000000 + frac
}
function secs(ns) {
	return sprintf("%d.%06d", int(ns / 1000000000),
		       int((ns % 1000000000) / 1000))
}
function label(f, s) {
	if (s == 0)
		return "-"
	return s == client[f] ? "client" : "server"
}
function ended(f) {
	return rst_t[f, 1] != "" || rst_t[f, 2] != "" ||
	       (fin_t[f, 1] != "" && fin_t[f, 2] != "")
}
{
	now = rel_ns($2)
	last = now
	if ($7 == "")
		next				# not TCP
	v6 = $3 == ""
	if ($3 != "" && $5 != "") {
		# IPv4 and IPv6 headers both: the innermost one counts
		n = split($13, pr, ":")
		for (k = n; k >= 1 && pr[k] != "ip" && pr[k] != "ipv6"; k--)
			;
		v6 = k >= 1 && pr[k] == "ipv6"
	}
	src = endpoint(v6 ? $5 : $3, $7)
	dst = endpoint(v6 ? $6 : $4, $8)
	fl = hexval($9)
	fin = flag(fl, 1); syn = flag(fl, 2); rst = flag(fl, 4)
	ack = flag(fl, 16)
	seq = $10 + 0; an = $11 + 0; len = $12 + 0
	key = (src < dst) ? src SUBSEP dst : dst SUBSEP src
	key = key SUBSEP $14		# the tenant (VNI), when tunnelled

	f = cur[key]
	if (f == "" || (syn && !ack && ended(f))) {
		f = ++nflows
		cur[key] = f
		ep[f, 1] = src; ep[f, 2] = dst
		port[f, 1] = $7 + 0; port[f, 2] = $8 + 0
		client[f] = 0
	}
	s = (src == ep[f, 1]) ? 1 : 2
	o = 3 - s
	npk[f, s]++
	# acknowledged what the other sent meanwhile: a SYN, or an ACK
	# number that moved
	if (ack && syn)
		sawack[f, s] = 1
	if (ack && firstack[f, s] == "")
		firstack[f, s] = an
	else if (ack && an != firstack[f, s])
		sawack[f, s] = 1

	if (syn && !ack && client[f] == 0)
		client[f] = s
	if (syn && ack) {
		synack[f] = 1
		if (client[f] == 0)
			client[f] = o	# roles from the SYN-ACK
	}
	# The ACK field first: a FIN+ACK that covers the peer FIN acks it.
	if (ack && fin_t[f, o] != "" && ack_t[f, o] == "" &&
	    seq_ge(an, fin_end[f, o]))
		ack_t[f, o] = now
	if (len > 0 && ack_t[f, o] != "") {
		data_after_fin[f, s] = 1
		last_data[f, s] = now
	}
	if (fin && fin_t[f, s] == "") {
		fin_t[f, s] = now
		fin_end[f, s] = (seq + len + 1) % 4294967296
		if (first_fin[f] == "")
			first_fin[f] = s
		else if (ack_t[f, o] == "")
			simul[f] = 1		# sent before acking the peer FIN
	}
	if (rst && rst_t[f, s] == "") {
		rst_t[f, s] = now
		if (first_rst[f] == "")
			first_rst[f] = s
	}
}
END {
	n = split(isb_end, cand, " ")
	for (k = 1; k <= n; k++)
		if (rel_ns(cand[k]) >= last) {
			last = rel_ns(cand[k])
			break
		}
	print "# " cap ": expected verdict per TCP flow, derived from the"
	print "# capture by pcaps/expected.sh (tshark fields + awk), not by"
	print "# fintrace. Linger threshold 5 s; close_wait in seconds."
	if (desc != "")
		print "# " desc
	print "# client server roles verdict active_closer reset_by close_wait"
	for (f = 1; f <= nflows; f++) {
		roles = "syn"
		if (client[f] == 0) {
			roles = "inferred"
			client[f] = (port[f, 2] > port[f, 1]) ? 2 : 1
		}
		c = client[f]
		sv = 3 - c
		a = (first_fin[f] == "") ? 0 : first_fin[f]
		r = (first_rst[f] == "") ? 0 : first_rst[f]
		cw = "-"
		if ((npk[f, 1] == 0 && sawack[f, 2]) ||
		    (npk[f, 2] == 0 && sawack[f, 1])) {
			# seen one way only: nothing about the unseen side,
			# nor which FIN came first
			verdict = (r != 0) ? "reset" : "open"
			a = 0
		} else if (roles == "syn" && !synack[f] && rst_t[f, sv] != "") {
			verdict = "refused"
			a = 0
		} else if (a == 0) {
			verdict = (r != 0) ? "reset" : "open"
		} else if (simul[f]) {
			verdict = "simultaneous"
		} else if (ack_t[f, a] == "") {
			verdict = (r != 0) ? "reset" : "fin-unacked"
		} else {
			p = 3 - a
			start = ack_t[f, a]
			end = fin_t[f, p]
			by_rst = 0
			if (rst_t[f, p] != "" && (end == "" || rst_t[f, p] < end)) {
				end = rst_t[f, p]
				by_rst = 1
			}
			# A half-close waits from its last data.
			idle = start
			if (data_after_fin[f, p] && last_data[f, p] > idle)
				idle = last_data[f, p]
			if (end != "") {
				cw = secs(end - start)
				if (end - idle > 5000000000)
					verdict = "late-close"
				else if (by_rst)
					verdict = "reset"
				else if (data_after_fin[f, p])
					verdict = "half-close"
				else if (ack_t[f, p] == "")
					verdict = (r != 0) ? "reset" : "fin-unacked"
				else
					verdict = "clean"
				if (verdict == "fin-unacked")
					cw = "-"
			} else if (r != 0) {
				verdict = "reset"
			} else if (data_after_fin[f, p] &&
				   last - idle <= 5000000000) {
				verdict = "half-close"
			} else {
				verdict = "never-closed"
				cw = secs(last - start)
			}
		}
		printf "%s %s %s %s %s %s %s\n", ep[f, c], ep[f, sv], roles,
		       verdict, label(f, a), label(f, r), cw
	}
}'
