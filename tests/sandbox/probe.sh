# probe.sh - the inbound probe's zone probe.test (sourced by sandbox.sh;
# issue 4). Listeners in 127.77.4.0/24.
#
# probe.test (signed) holds one case per name (templates/zones/probe.test.zone.in):
# MTA-STS policies served by nginx on 127.77.4.80:443 (a certificate from
# the test CA naming every mta-sts.<case>.probe.test; one policy file per
# host under DIR/nginx/probe/<host>/) and on 127.77.4.81:443 (the
# certificate of mta-sts.sender.test: the wrong name); MX oddities (CNAME,
# IP literal, duplicate, unresolvable, null MX, no MX, a refused network);
# DANE-TA with and without the CA in the chain (Postfix on 127.77.4.1
# sends leaf + CA; mx1 sends its leaf only); DANE-EE by full certificate,
# full key and SHA-512; an RSA+ECDSA server (127.77.5.5) whose TLSA set
# covers one key or both; signed TLSA records no sender looks up (the
# host an alias into unsigned.test; unsigned.test's dane-mxinsecure has an
# unsigned MX RRset to mx1.sender.test), the implicit MX with TLSA;
# greeting flavours on
# 127.77.4.21-24 that tests/e2e/probe_inbound.sh starts itself
# (tests/tools/flavour_smtpd.py). 127.in-addr.arpa (unsigned) holds PTR
# records of some sandbox addresses.

PROBE_ZONES="probe.test"
PROBE_STS_CASES="sts-enforce sts-nomatch sts-testing sts-syntax sts-missing sts-badmx sts-badcert sts-twoaddr sts-danefail sts-redirect sts-slow sts-huge"

# probe_make - certificates and MTA-STS policy files (before nginx_make,
# postfix_start and dns_make).
probe_make() {
	local d=$SANDBOX_DIR/certs h san="" c www=$SANDBOX_DIR/nginx/probe
	for c in $PROBE_STS_CASES; do san="${san:+$san,}DNS:mta-sts.$c.probe.test"; done
	printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
		"extendedKeyUsage=serverAuth" "subjectAltName=$san" >"$d/mta-sts.probe.test.ext"
	{
		openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=mta-sts.sts-enforce.probe.test" \
			-keyout "$d/mta-sts.probe.test.key" -out "$d/mta-sts.probe.test.csr" &&
		openssl x509 -req -in "$d/mta-sts.probe.test.csr" -sha256 -days $CERT_DAYS \
			-CA "$SANDBOX_DIR/ca/ca.crt" -CAkey "$SANDBOX_DIR/ca/ca.key" -CAcreateserial \
			-extfile "$d/mta-sts.probe.test.ext" -out "$d/mta-sts.probe.test.crt"
	} >>"$SANDBOX_DIR/logs/certs.log" 2>&1 || die "certificate for mta-sts.probe.test failed (log: $SANDBOX_DIR/logs/certs.log)"
	rm -f "$d/mta-sts.probe.test.csr" "$d/mta-sts.probe.test.ext"
	# the dual-stack MX (IPv4 and IPv6 listeners)
	certs_leaf mx6.probe.test
	# DANE-TA: mxta.probe.test sends its leaf and the CA
	certs_leaf mxta.probe.test
	cat "$d/mxta.probe.test.crt" "$SANDBOX_DIR/ca/ca.crt" >"$d/mxta.probe.test.chain.crt"
	# RSA and ECDSA certificates on one listener (127.77.5.5): DANE must
	# match both, and the TLS scan flavour "dual" shows both suite families
	certs_leaf mxdual.probe.test rsa mxdual2.probe.test mx.dual.scan.unsigned.test
	certs_leaf mxdual.probe.test ec mxdual2.probe.test mx.dual.scan.unsigned.test
	probe_chain_certs
	chmod 600 "$d"/*.key "$d"/probe-tls/*.key
	chmod 644 "$d"/*.crt "$d"/probe-tls/*.pem

	mkdir -p "$www"
	probe_policy sts-enforce 'version: STSv1\nmode: enforce\nmx: mx1.sender.test\nmax_age: 604800\n'
	probe_policy sts-nomatch 'version: STSv1\nmode: enforce\nmx: mx9.sender.test\nmax_age: 604800\n'
	probe_policy sts-testing 'version: STSv1\r\nmode: testing\r\nmx: *.sender.test\r\nmax_age: 3600\r\n'
	probe_policy sts-syntax 'version: STSv1\nmode: enforced\nmx: mx1.sender.test\nmax_age: 604800\n'
	probe_policy sts-badmx 'version: STSv1\nmode: enforce\nmx: mx2.sender.test\nmax_age: 604800\n'
	probe_policy sts-badcert 'version: STSv1\nmode: enforce\nmx: mx1.sender.test\nmax_age: 604800\n'
	probe_policy sts-twoaddr 'version: STSv1\nmode: enforce\nmx: mx1.sender.test\nmax_age: 604800\n'
	# a valid certificate for MTA-STS whose second key (ECDSA) the TLSA set misses
	probe_policy sts-danefail 'version: STSv1\nmode: enforce\nmx: mxdual.probe.test\nmax_age: 604800\n'
	# trickled by nginx (nginx.conf.in), and one over 64 KB
	probe_policy sts-slow 'version: STSv1\nmode: enforce\nmx: mx1.sender.test\nmax_age: 604800\n'
	probe_policy sts-huge "version: STSv1\nmode: enforce\nmx: mx1.sender.test\nmax_age: 604800\n$(
		awk 'BEGIN { for (i = 0; i < 3500; i++) printf "mx: mx%04d.sender.test\\n", i }')"
	# sts-missing: no file, nginx answers 404
	chmod -R a+rX "$SANDBOX_DIR/nginx"
}

# probe_chain_certs - what tests/tools/hostile_smtpd.py serves for the
# certificate cases (DIR/certs/probe-tls/MODE.pem and .key): a leaf issued
# by an intermediate CA under the test CA, sent alone (leaf_only) and with
# the intermediate (full_chain); a wildcard *.wild.probe.test from the
# test CA (wildcard).
probe_chain_certs() {
	local t=$SANDBOX_DIR/certs/probe-tls
	mkdir -p "$t"
	printf '%s\n' "basicConstraints=critical,CA:TRUE,pathlen:0" "keyUsage=critical,keyCertSign,cRLSign" \
		>"$t/int.ext"
	printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
		"extendedKeyUsage=serverAuth" "subjectAltName=DNS:mxchain.probe.test,DNS:mxchainfull.probe.test" \
		>"$t/leaf.ext"
	printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
		"extendedKeyUsage=serverAuth" "subjectAltName=DNS:*.wild.probe.test" >"$t/wild.ext"
	{
		openssl req -newkey rsa:2048 -nodes -sha256 -subj "/O=mxray sandbox/CN=mxray sandbox intermediate CA" \
			-keyout "$t/int.key" -out "$t/int.csr" &&
		openssl x509 -req -in "$t/int.csr" -sha256 -days $CERT_DAYS -CA "$SANDBOX_DIR/ca/ca.crt" \
			-CAkey "$SANDBOX_DIR/ca/ca.key" -CAcreateserial -extfile "$t/int.ext" -out "$t/int.pem" &&
		openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=mxchain.probe.test" \
			-keyout "$t/leaf_only.key" -out "$t/leaf.csr" &&
		openssl x509 -req -in "$t/leaf.csr" -sha256 -days $CERT_DAYS -CA "$t/int.pem" \
			-CAkey "$t/int.key" -CAcreateserial -extfile "$t/leaf.ext" -out "$t/leaf_only.pem" &&
		openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=*.wild.probe.test" \
			-keyout "$t/wildcard.key" -out "$t/wild.csr" &&
		openssl x509 -req -in "$t/wild.csr" -sha256 -days $CERT_DAYS -CA "$SANDBOX_DIR/ca/ca.crt" \
			-CAkey "$SANDBOX_DIR/ca/ca.key" -CAcreateserial -extfile "$t/wild.ext" -out "$t/wildcard.pem"
	} >>"$SANDBOX_DIR/logs/certs.log" 2>&1 || die "certificates for the chain cases failed (log: $SANDBOX_DIR/logs/certs.log)"
	cat "$t/leaf_only.pem" "$t/int.pem" >"$t/full_chain.pem"
	cp "$t/leaf_only.key" "$t/full_chain.key"
	rm -f "$t"/*.csr "$t"/*.ext "$t"/*.srl
}

# probe_policy CASE TEXT - the policy file of mta-sts.CASE.probe.test (printf format).
probe_policy() {
	local dir=$SANDBOX_DIR/nginx/probe/mta-sts.$1.probe.test/.well-known
	mkdir -p "$dir"
	# shellcheck disable=SC2059
	printf "$2" >"$dir/mta-sts.txt"
}

# probe_zones_make DNSDIR - probe.test rendered (unsigned yet; dns_make signs it).
probe_zones_make() {
	TLSA_CA=$(openssl x509 -in "$SANDBOX_DIR/ca/ca.crt" -noout -pubkey |
		openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)
	TLSA_DUAL_RSA=$(certs_spki_sha256 mxdual.probe.test)
	TLSA_DUAL_EC=$(certs_spki_sha256 mxdual.probe.test.ec)
	TLSA_MX1_CERT=$(certs_hex mx1.sender.test cert)
	TLSA_MX1_SPKI=$(certs_hex mx1.sender.test spki)
	TLSA_MX1_SPKI512=$(certs_hex mx1.sender.test spki512)
	render "$SANDBOX_LIB/templates/zones/probe.test.zone.in" "$1/zones/probe.test.zone" \
		SERIAL TLSA_MX1 TLSA_CA TLSA_DUAL_RSA TLSA_DUAL_EC TLSA_MX1_CERT TLSA_MX1_SPKI \
		TLSA_MX1_SPKI512
	# reverse DNS (unsigned, served as is: nsd.conf.in names the file)
	NETOCT=${SANDBOX_NET#127.}
	render "$SANDBOX_LIB/templates/zones/127.in-addr.arpa.zone.in" "$1/zones/127.in-addr.arpa.zone" \
		SERIAL NETOCT
}
