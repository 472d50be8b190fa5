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

# certs_leaf HOST [rsa|ec [NAME...]] - a server certificate for HOST (and
# the further NAMEs) signed by the test CA: RSA 2048 in HOST.crt/.key, or
# ECDSA P-256 in HOST.ec.crt/.key.
certs_leaf() {
	local h=$1 alg=${2:-rsa} d=$SANDBOX_DIR/certs ext out san n
	shift
	[ $# -gt 0 ] && shift
	out=$h san="DNS:$h"
	for n in "$@"; do san="$san,DNS:$n"; done
	local newkey=(-newkey rsa:2048) usage="digitalSignature,keyEncipherment"
	if [ "$alg" = ec ]; then
		out=$h.ec newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256) usage=digitalSignature
	fi
	ext=$d/$out.ext
	printf '%s\n' "basicConstraints=critical,CA:FALSE" \
		"keyUsage=critical,$usage" \
		"extendedKeyUsage=serverAuth" "subjectAltName=$san" >"$ext"
	{
		openssl req "${newkey[@]}" -nodes -sha256 -subj "/CN=$h" \
			-keyout "$d/$out.key" -out "$d/$out.csr" &&
		openssl x509 -req -in "$d/$out.csr" -sha256 -days $CERT_DAYS \
			-CA "$SANDBOX_DIR/ca/ca.crt" -CAkey "$SANDBOX_DIR/ca/ca.key" \
			-CAcreateserial -extfile "$ext" -out "$d/$out.crt"
	} >>"$SANDBOX_DIR/logs/certs.log" 2>&1 ||
		die "certificate for $h failed (log: $SANDBOX_DIR/logs/certs.log)"
	rm -f "$d/$out.csr" "$ext"
}

# certs_selfsigned HOST - a self-signed certificate for HOST.
certs_selfsigned() {
	local h=$1 d=$SANDBOX_DIR/certs
	openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days $CERT_DAYS \
		-subj "/CN=$h" -addext "subjectAltName=DNS:$h" \
		-keyout "$d/$h.key" -out "$d/$h.crt" >>"$SANDBOX_DIR/logs/certs.log" 2>&1 ||
		die "self-signed certificate for $h failed (log: $SANDBOX_DIR/logs/certs.log)"
}

# certs_spki_sha256 CERT - hex SHA-256 of the SubjectPublicKeyInfo of
# DIR/certs/CERT.crt (TLSA 3 1 1).
certs_spki_sha256() {
	openssl x509 -in "$SANDBOX_DIR/certs/$1.crt" -noout -pubkey |
		openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1
}

# certs_hex CERT FORM - DIR/certs/CERT.crt as TLSA association data in hex:
# FORM cert (the whole certificate, TLSA 3 0 0), spki (its key, 3 1 0),
# spki512 (SHA-512 of its key, 3 1 2).
certs_hex() {
	local c=$SANDBOX_DIR/certs/$1.crt
	case $2 in
	cert) openssl x509 -in "$c" -outform DER | od -An -v -tx1 | tr -d ' \n' ;;
	spki) openssl x509 -in "$c" -noout -pubkey | openssl pkey -pubin -outform DER |
		od -An -v -tx1 | tr -d ' \n' ;;
	spki512) openssl x509 -in "$c" -noout -pubkey | openssl pkey -pubin -outform DER |
		openssl dgst -sha512 -r | cut -d' ' -f1 ;;
	esac
}

# certs_make - every certificate of the sandbox.
certs_make() {
	local h
	mkdir -p "$SANDBOX_DIR/ca" "$SANDBOX_DIR/certs"
	certs_ca
	for h in $CA_SIGNED_HOSTS; do certs_leaf "$h"; done
	certs_selfsigned mx2.sender.test
	# the published RFC 5114 1024-bit DH group, for the Logjam flavour
	openssl genpkey -genparam -algorithm DH -pkeyopt group:dh_1024_160 \
		-out "$SANDBOX_DIR/certs/dh1024-rfc5114.pem" >>"$SANDBOX_DIR/logs/certs.log" 2>&1 ||
		die "DH parameters failed (log: $SANDBOX_DIR/logs/certs.log)"
	chmod 600 "$SANDBOX_DIR"/ca/ca.key "$SANDBOX_DIR"/certs/*.key
	chmod 644 "$SANDBOX_DIR"/ca/ca.crt "$SANDBOX_DIR"/certs/*.crt
}
