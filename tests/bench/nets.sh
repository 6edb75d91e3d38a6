# tests/bench/nets.sh -- sourced by bench.sh: the two networks it measures
# on; defines functions only.  net_local starts an RGW on 127.0.0.1,
# net_wan one in a network namespace behind tests/bench/delayline.c
# (WAN_DELAY ms each way, MTU WAN_MTU); both set S3_ENDPOINT, the RGW logs
# the request counts are read from, SERVER_DIR (its ceph.conf names the
# server's processes, whose CPU measure() counts) and NET_DESC.  net_down
# stops every RGW started and the WAN, and says if the delay line dropped
# a packet.

net_local() {
	local rgw mon osd dir=$WORK/rgw-local
	rgw=$(free_port) && mon=$(free_port) && osd=$(free_port 16) || return 1
	RGW_DIRS+=("$dir")
	OSD_PORT_MIN=$osd OSD_PORT_MAX=$((osd + 15)) \
		bash "$SRC/tests/bench/rgw.sh" start "$dir" "$rgw" "$mon" >"$WORK/log/rgw-local.log" 2>&1 ||
		{ tail -n 20 "$WORK/log/rgw-local.log" >&2; return 1; }
	export S3_ENDPOINT=http://127.0.0.1:$rgw
	RGW_LOG=$dir/log/client.rgw.a.log OPS_LOG=$dir/log/ops.log RGW_ASOK=$dir/run/client.rgw.a.asok
	SERVER_DIR=$dir
	NET_DESC="Ceph RGW on $S3_ENDPOINT (loopback)"
}

net_wan() {
	local host=$WAN_NET.1 srv=$WAN_NET.2 dir=$WORK/rgw-wan hd nd i
	case $WAN_NET in
	*[!0-9.]* | *.*.*.* | '') die "BENCH_WAN_NET must be three octets such as 10.213.57" ;;
	esac
	if ip -4 addr | grep -q "inet $WAN_NET\." || [ -n "$(ip -4 route show "$WAN_NET.0/30")" ]; then
		die "$WAN_NET.0/30 is in use on this machine; pick another with BENCH_WAN_NET"
	fi
	NETNS=lmbench$$
	hd=lmb$$h nd=lmb$$n
	ip netns add "$NETNS" || return 1
	cc -O2 -Wall -o "$WORK/delayline" "$SRC/tests/bench/delayline.c" || return 1
	lm_spawn "$WORK/delayline" "$hd" "$nd" "/run/netns/$NETNS" "$WAN_DELAY" \
		>"$WORK/log/delayline.log" 2>&1
	DELAYLINE_PID=$lm_spawned
	for i in $(seq 1 50); do
		grep -q ready "$WORK/log/delayline.log" && break
		sleep 0.1
	done
	grep -q ready "$WORK/log/delayline.log" || { cat "$WORK/log/delayline.log" >&2; return 1; }
	# txqueuelen: a TUN device drops what its reader has not taken once
	# that many packets wait (500 by default, 4.5 MB at MTU 9000); when
	# the two cores were busy the delay line fell that far behind, and 265
	# packets to the host were dropped in five cold reads of 256 MiB, the
	# TCP recoveries stalling single GETs for 0.4 s.  The line is to delay,
	# never to lose.
	ip addr add "$host/30" dev "$hd" &&
		ip link set "$hd" mtu "$WAN_MTU" txqueuelen 20000 up &&
		ip netns exec "$NETNS" ip addr add "$srv/30" dev "$nd" &&
		ip netns exec "$NETNS" ip link set "$nd" mtu "$WAN_MTU" txqueuelen 20000 up &&
		ip netns exec "$NETNS" ip link set lo up || return 1
	# never let a packet for the server leave by another way
	ip route get "$srv" | grep -q " dev $hd " || die "$srv is not routed through $hd"
	RGW_DIRS+=("$dir")
	# inside the namespace the ports are its own
	ip netns exec "$NETNS" env BENCH_RGW_BIND="$srv" OSD_PORT_MIN=6800 OSD_PORT_MAX=6899 \
		bash "$SRC/tests/bench/rgw.sh" start "$dir" 7480 40000 >"$WORK/log/rgw-wan.log" 2>&1 ||
		{ tail -n 20 "$WORK/log/rgw-wan.log" >&2; return 1; }
	export S3_ENDPOINT=http://$srv:7480
	RGW_LOG=$dir/log/client.rgw.a.log OPS_LOG=$dir/log/ops.log RGW_ASOK=$dir/run/client.rgw.a.asok
	SERVER_DIR=$dir
	i=$(curl -s -o /dev/null -w '%{time_connect}' "$S3_ENDPOINT/")
	NET_DESC="Ceph RGW on $S3_ENDPOINT in netns $NETNS, $WAN_DELAY ms each way through a TUN delay line (TCP connect took ${i}s)"
}

net_down() {
	local d
	for d in "${RGW_DIRS[@]}"; do
		bash "$SRC/tests/bench/rgw.sh" wipe "$d" >>"$WORK/log/rgw-stop.log" 2>&1
	done
	RGW_DIRS=()
	if [ -n "$NETNS" ]; then
		# TX drops of either TUN device: packets the line lost (see net_wan)
		d=$({ ip -s link show "lmb$$h"; ip netns exec "$NETNS" ip -s link show "lmb$$n"; } 2>/dev/null |
			awk '/TX:/ { getline; s += $4 } END { print s + 0 }')
		[ "$d" = 0 ] || say "bench: the WAN delay line dropped $d packets (TUN queue full)"
	fi
	if [ -n "$DELAYLINE_PID" ]; then
		lm_kill_group "$DELAYLINE_PID" 5
		DELAYLINE_PID=
	fi
	if [ -n "$NETNS" ]; then
		ip netns del "$NETNS" 2>/dev/null
		NETNS=
	fi
}
