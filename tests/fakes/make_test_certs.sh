#!/usr/bin/env bash
# TEST-ONLY certificates, generated fresh each time (no private key is ever committed):
#   make_test_certs.sh OUTDIR
# writes into OUTDIR
#   ca.pem / ca.key                  a throwaway test CA (trust ca.pem in test clients)
#   server.pem / server.key          signed by the CA, valid for 127.0.0.1, ::1 and localhost
#   wrong-host.pem / wrong-host.key  signed by the CA, valid only for wrong-host.invalid
# Serve them with: gw-fake-provider --tls-cert OUTDIR/server.pem --tls-key OUTDIR/server.key
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
out="$1"
mkdir -p "$out"
cd "$out"

days=2
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "$days" \
  -subj "/CN=gateway test CA (test only)" -keyout ca.key -out ca.pem \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  2>/dev/null

issue() {
  local name="$1" cn="$2" san="$3"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$cn" \
    -keyout "$name.key" -out "$name.csr" 2>/dev/null
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
    "$san" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days "$days" \
    -extfile "$name.ext" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

issue server localhost "IP:127.0.0.1,IP:::1,DNS:localhost"
issue wrong-host wrong-host.invalid "DNS:wrong-host.invalid"
rm -f ca.srl
chmod 600 ./*.key
