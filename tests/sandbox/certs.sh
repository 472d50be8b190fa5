# certs.sh - the sandbox's certificates (sourced by sandbox.sh).
#
# A test CA (DIR/ca/ca.crt, ca.key) and RSA 2048 server certificates signed
# by it for the sandbox hosts, plus a self-signed one for mx2.sender.test.
# All valid for 365 days from now. Keys are root-only; certificates public.
# Output: DIR/certs/<host>.crt and <host>.key, DIR/ca/ca.crt.

CERT_DAYS=365
CA_SIGNED_HOSTS="mx1.sender.test mx.mxray.test mx.legacy.test mx.unsigned.test mx.bogus.test mta-sts.sender.test"

# certs_ca - the test CA.
certs_ca() {
	openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days $CERT_DAYS \
		-subj "/O=mxray sandbox/CN=mxray sandbox test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-keyout "$SANDBOX_DIR/ca/ca.key" -out "$SANDBOX_DIR/ca/ca.crt" \
		>>"$SANDBOX_DIR/logs/certs.log" 2>&1 ||
		die "creating the test CA failed (log: $SANDBOX_DIR/logs/certs.log)"
}

# certs_leaf HOST - a server certificate for HOST signed by the test CA.
certs_leaf() {
	local h=$1 d=$SANDBOX_DIR/certs ext
	ext=$d/$h.ext
	printf '%s\n' "basicConstraints=critical,CA:FALSE" \
		"keyUsage=critical,digitalSignature,keyEncipherment" \
		"extendedKeyUsage=serverAuth" "subjectAltName=DNS:$h" >"$ext"
	{
		openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=$h" \
			-keyout "$d/$h.key" -out "$d/$h.csr" &&
		openssl x509 -req -in "$d/$h.csr" -sha256 -days $CERT_DAYS \
			-CA "$SANDBOX_DIR/ca/ca.crt" -CAkey "$SANDBOX_DIR/ca/ca.key" \
			-CAcreateserial -extfile "$ext" -out "$d/$h.crt"
	} >>"$SANDBOX_DIR/logs/certs.log" 2>&1 ||
		die "certificate for $h failed (log: $SANDBOX_DIR/logs/certs.log)"
	rm -f "$d/$h.csr" "$ext"
}

# certs_selfsigned HOST - a self-signed certificate for HOST.
certs_selfsigned() {
	local h=$1 d=$SANDBOX_DIR/certs
	openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days $CERT_DAYS \
		-subj "/CN=$h" -addext "subjectAltName=DNS:$h" \
		-keyout "$d/$h.key" -out "$d/$h.crt" >>"$SANDBOX_DIR/logs/certs.log" 2>&1 ||
		die "self-signed certificate for $h failed (log: $SANDBOX_DIR/logs/certs.log)"
}

# certs_spki_sha256 HOST - hex SHA-256 of HOST's SubjectPublicKeyInfo (TLSA 3 1 1).
certs_spki_sha256() {
	openssl x509 -in "$SANDBOX_DIR/certs/$1.crt" -noout -pubkey |
		openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1
}

# certs_make - every certificate of the sandbox.
certs_make() {
	local h
	mkdir -p "$SANDBOX_DIR/ca" "$SANDBOX_DIR/certs"
	certs_ca
	for h in $CA_SIGNED_HOSTS; do certs_leaf "$h"; done
	certs_selfsigned mx2.sender.test
	chmod 600 "$SANDBOX_DIR"/ca/ca.key "$SANDBOX_DIR"/certs/*.key
	chmod 644 "$SANDBOX_DIR"/ca/ca.crt "$SANDBOX_DIR"/certs/*.crt
}
