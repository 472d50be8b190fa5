# analysis.sh - the message-analysis zone analysis.test (sourced by sandbox.sh).
#
# analysis.test (signed) holds the SPF cases (pass.spf, fail.spf, ...,
# eleven.spf, void.spf, hostile.spf; see templates/zones/analysis.test.zone.in)
# and the DKIM key corpus: selectors s1 (the sandbox key, DIR/dkim/s1.key),
# testing (the same key with t=y), revoked (empty p=), ed (ed25519,
# DIR/dkim/ed.key in dkimpy's raw base64 form), rsa1024 and rsa512
# (DIR/dkim/rsa1024.key, rsa512.key); "nokey" has no record. The tests that
# use it sign with dkimpy (tests/e2e/analysis_dkim.sh).
# Needs DKIM_TXT from dns_dkim (dns.sh); called by dns_make.

ANALYSIS_ZONES="analysis.test"

# analysis_rsa_txt NAME BITS - an RSA key DIR/dkim/NAME.key; prints the TXT rdata.
analysis_rsa_txt() {
	local k=$SANDBOX_DIR/dkim/$1.key p
	openssl genrsa -traditional -out "$k" "$2" 2>>"$SANDBOX_DIR/logs/dns.log" ||
		die "DKIM key $1 generation failed (log: $SANDBOX_DIR/logs/dns.log)"
	chmod 600 "$k"
	p=$(openssl rsa -in "$k" -pubout -outform DER 2>/dev/null | base64 -w0)
	printf '"v=DKIM1; k=rsa; " %s' "$(printf '%s' "p=$p" | fold -w 250 | sed 's/.*/"&"/' | tr '\n' ' ')"
}

# analysis_zones_make DNSDIR - the keys, and analysis.test rendered (unsigned yet).
analysis_zones_make() {
	local d=$1 pem
	ANALYSIS_RSA1024_TXT=$(analysis_rsa_txt rsa1024 1024)
	ANALYSIS_RSA512_TXT=$(analysis_rsa_txt rsa512 512)
	ANALYSIS_TESTING_TXT=$(printf '%s' "$DKIM_TXT" | sed 's/k=rsa; /k=rsa; t=y; /')
	# ed25519 (RFC 8463): p= is the raw 32-byte public key; dkimpy reads
	# the private key as the base64 of the raw 32-byte seed.
	pem=$SANDBOX_DIR/dkim/ed.pem
	openssl genpkey -algorithm ed25519 -out "$pem" 2>>"$SANDBOX_DIR/logs/dns.log" ||
		die "ed25519 key generation failed (log: $SANDBOX_DIR/logs/dns.log)"
	openssl pkey -in "$pem" -outform DER 2>/dev/null | tail -c 32 | base64 -w0 >"$SANDBOX_DIR/dkim/ed.key"
	chmod 600 "$pem" "$SANDBOX_DIR/dkim/ed.key"
	ANALYSIS_ED_TXT="\"v=DKIM1; k=ed25519; p=$(openssl pkey -in "$pem" -pubout -outform DER 2>/dev/null | tail -c 32 | base64 -w0)\""
	render "$SANDBOX_LIB/templates/zones/analysis.test.zone.in" "$d/zones/analysis.test.zone" \
		SERIAL DKIM_TXT ANALYSIS_RSA1024_TXT ANALYSIS_RSA512_TXT ANALYSIS_TESTING_TXT ANALYSIS_ED_TXT
}
