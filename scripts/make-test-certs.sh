#!/usr/bin/env bash
# Makes the client certificates the mutual-TLS tests use (test/fixtures/client-certs.json) with
# openssl: workerd cannot make certificates, so they are made once here and committed. Run it again
# (`bash scripts/make-test-certs.sh`) to make new ones; the tests read only the JSON.
#
# Each entry holds the certificate's DER in base64 (`der`) and its subject as openssl prints it in
# RFC 2253 form, by name (`subject`) and by OID (`subjectOids`), which the tests compare with the server's own reading. The certificates:
#   ca             a test CA, standing in for the zone's mTLS trust
#   client         issued by ca: CN=bank-client,O=Bank\, Inc.,C=EE, with a DNS, a URI and an email SAN
#   other          issued by ca: another client, with other names
#   self_signed    self-signed, for self_signed_tls_client_auth (and its x5c)
#   self_signed_2  another self-signed one with the same subject, so only the certificate tells them apart
#   tricky         issued by ca: a subject with every character RFC 4514 §2.4 escapes, a multi-valued
#                  RDN, UTF-8, DC, UID, emailAddress, serialNumber and an attribute type without a name
#                  (1.3.6.1.4.1.99999.1, which both sides write as `#` and the hex of its DER)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=test/fixtures/client-certs.json
days=36500

json() { printf '%s' "$1" | node -e 'process.stdout.write(JSON.stringify(require("fs").readFileSync(0, "utf8")))'; }
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/$1.key" 2>/dev/null; }

# A self-signed certificate: name, subject, [extensions...]
self_signed() {
  local name=$1 subject=$2; shift 2
  key "$name"
  openssl req -x509 -new -key "$work/$name.key" -subj "$subject" -multivalue-rdn -utf8 -days $days "$@" -out "$work/$name.pem"
}

# A certificate issued by the CA: name, subject, [extensions...]
issued() {
  local name=$1 subject=$2; shift 2
  key "$name"
  openssl req -new -key "$work/$name.key" -subj "$subject" -multivalue-rdn -utf8 "$@" -out "$work/$name.csr"
  openssl x509 -req -in "$work/$name.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
    -copy_extensions copy -days $days -out "$work/$name.pem" 2>/dev/null
}

self_signed ca '/CN=Test Client CA/O=Example Trust' -addext 'basicConstraints=critical,CA:TRUE'
issued client '/C=EE/O=Bank, Inc./CN=bank-client' \
  -addext 'subjectAltName=DNS:client.bank.example,URI:https://bank.example/client,email:ops@bank.example'
issued other '/C=EE/O=Other Bank/CN=other-client' \
  -addext 'subjectAltName=DNS:other.bank.example,URI:https://other.example/client,email:ops@other.example'
self_signed self_signed '/CN=self-signed-client/O=Bank' -addext 'subjectAltName=DNS:self.bank.example'
self_signed self_signed_2 '/CN=self-signed-client/O=Bank'
# An attribute type openssl has no name for, named here only while the request is made.
printf 'oid_section = oids\n[oids]\ntestAttribute = 1.3.6.1.4.1.99999.1\n[req]\ndistinguished_name = dn\n[dn]\n' > "$work/oids.cnf"
issued tricky '/DC=example/DC=com/serialNumber=42+UID=u\+1/emailAddress=Ops@Bank.example/testAttribute=PSDEE-FSA-123/O=Bänk "Quoted" <x>;y\\z/OU=#hash/CN= spaced ' -config "$work/oids.cnf"

{
  echo '{'
  first=1
  for name in ca client other self_signed self_signed_2 tricky; do
    der=$(openssl x509 -in "$work/$name.pem" -outform DER | base64 -w0)
    subject=$(openssl x509 -in "$work/$name.pem" -noout -subject -nameopt RFC2253,-esc_msb | sed 's/^subject=//')
    oids=$(openssl x509 -in "$work/$name.pem" -noout -subject -nameopt RFC2253,-esc_msb,oid,dump_unknown | sed "s/^subject=//")
    [ $first = 1 ] || echo ','
    first=0
    printf '  "%s": { "der": "%s", "subject": %s, "subjectOids": %s }' "$name" "$der" "$(json "$subject")" "$(json "$oids")"
  done
  echo
  echo '}'
} > "$out"
echo "wrote $out"
