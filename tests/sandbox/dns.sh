# dns.sh - the sandbox's DNS (sourced by sandbox.sh).
#
# Renders the zones from templates/zones/, signs them offline with ldnsutils
# (ECDSAP256SHA256, a KSK and a ZSK per zone, signatures valid from yesterday
# to +30 days), chains them with DS records child to parent up to the fake
# root, and serves them with NSD on 127.77.0.53:53. unsigned.test has no DS
# in test. (insecure); bogus.test's DS in test. is made from a key that
# bogus.test never publishes (bogus).
# Output: DIR/dns/{nsd.conf,root.hints,root.key,zones/,keys/}, DIR/dkim/s1.key.

SIGNED_CHILDREN="sender.test mxray.test nostarttls.test legacy.test bogus.test"

# dns_keygen ZONE [ksk] - make a key for ZONE in DIR/dns/keys; print its base name.
dns_keygen() {
	local zone=$1 flag=""
	[ "${2:-}" = ksk ] && flag=-k
	(cd "$SANDBOX_DIR/dns/keys" && ldns-keygen -a ECDSAP256SHA256 $flag "$zone") 2>>"$SANDBOX_DIR/logs/dns.log" ||
		die "ldns-keygen for $zone failed (log: $SANDBOX_DIR/logs/dns.log)"
}

# dns_ds KEYBASE - the SHA-256 DS record of a key, one line.
dns_ds() {
	(cd "$SANDBOX_DIR/dns/keys" && ldns-key2ds -n -2 "$1.key") ||
		die "ldns-key2ds $1 failed"
}

# dns_sign ZONE [STEM] - sign DIR/dns/zones/STEM.zone (STEM defaults to ZONE)
# into STEM.zone.signed with fresh keys; sets DNS_KSK to the KSK's base name.
dns_sign() {
	local zone=$1 zsk z=$SANDBOX_DIR/dns/zones/${2:-$1}.zone
	DNS_KSK=$(dns_keygen "$zone" ksk)
	zsk=$(dns_keygen "$zone")
	ldns-signzone -i "$DNS_INCEPTION" -e "$DNS_EXPIRATION" -o "$zone" -f "$z.signed" "$z" \
		"$SANDBOX_DIR/dns/keys/$DNS_KSK" "$SANDBOX_DIR/dns/keys/$zsk" >>"$SANDBOX_DIR/logs/dns.log" 2>&1 ||
		die "ldns-signzone $zone failed (log: $SANDBOX_DIR/logs/dns.log)"
}

# dns_dkim - the DKIM key of sender.test (selector s1) and its TXT rdata,
# split in strings of at most 250 octets; sets DKIM_TXT.
dns_dkim() {
	local p
	mkdir -p "$SANDBOX_DIR/dkim"
	# PKCS#1 ("RSA PRIVATE KEY"): the form dkimpy's dkimsign reads.
	openssl genrsa -traditional -out "$SANDBOX_DIR/dkim/s1.key" 2048 2>>"$SANDBOX_DIR/logs/dns.log" ||
		die "DKIM key generation failed (log: $SANDBOX_DIR/logs/dns.log)"
	chmod 600 "$SANDBOX_DIR/dkim/s1.key"
	p=$(openssl rsa -in "$SANDBOX_DIR/dkim/s1.key" -pubout -outform DER 2>/dev/null | base64 -w0)
	DKIM_TXT="\"v=DKIM1; k=rsa; \" $(printf '%s' "p=$p" | fold -w 250 | sed 's/.*/"&"/' | tr '\n' ' ')"
}

# dns_make - render, sign and chain every zone; write nsd.conf, hints, anchor.
dns_make() {
	local d=$SANDBOX_DIR/dns t=$SANDBOX_LIB/templates zone bogus_ksk
	mkdir -p "$d/zones" "$d/keys" "$d/xfr"
	SERIAL=$(date -u +%s)
	DNS_INCEPTION=$(date -u -d yesterday +%Y%m%d%H%M%S)
	DNS_EXPIRATION=$(date -u -d '+30 days' +%Y%m%d%H%M%S)
	TLSA_MX1=$(certs_spki_sha256 mx1.sender.test)
	dns_dkim

	render "$t/zones/test.zone.in" "$d/zones/test.zone" SERIAL
	for zone in $SIGNED_CHILDREN unsigned.test; do
		render "$t/zones/$zone.zone.in" "$d/zones/$zone.zone" SERIAL DKIM_TXT TLSA_MX1
	done
	analysis_zones_make "$d"
	probe_zones_make "$d"
	for zone in $SIGNED_CHILDREN $ANALYSIS_ZONES $PROBE_ZONES; do
		dns_sign "$zone"
		if [ "$zone" = bogus.test ]; then
			# a KSK that bogus.test never publishes: its DS matches nothing
			bogus_ksk=$(dns_keygen bogus.test ksk)
			dns_ds "$bogus_ksk" >>"$d/zones/test.zone"
		else
			dns_ds "$DNS_KSK" >>"$d/zones/test.zone"
		fi
	done
	dns_sign test. test
	render "$t/zones/root.zone.in" "$d/zones/root.zone" SERIAL
	dns_ds "$DNS_KSK" >>"$d/zones/root.zone"
	dns_sign . root
	dns_ds "$DNS_KSK" >"$d/root.key"
	printf '; root.hints - the sandbox root server (libunbound root-hints format)\n.\t3600000\tIN\tNS\tns.root.\nns.root.\t3600000\tIN\tA\t%s.0.53\n' "$SANDBOX_NET" >"$d/root.hints"

	DNS_DIR=$d LOG_DIR=$SANDBOX_DIR/logs render "$t/nsd.conf.in" "$d/nsd.conf" DNS_DIR LOG_DIR
	nsd-checkconf "$d/nsd.conf" >>"$SANDBOX_DIR/logs/dns.log" 2>&1 ||
		die "nsd-checkconf $d/nsd.conf failed (log: $SANDBOX_DIR/logs/dns.log)"
}

# dns_start - run NSD in the foreground (in the background of this shell).
dns_start() {
	spawn nsd nsd -d -c "$SANDBOX_DIR/dns/nsd.conf"
	wait_listen nsd ${SANDBOX_NET}.0.53 53 udp 10
	wait_listen nsd ${SANDBOX_NET}.0.53 53 tcp 10
}
