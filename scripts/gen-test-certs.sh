#!/bin/sh
# Generates TLS test certificates with openssl into the directory given as argument:
#   ca.crt/ca.key            the test CA
#   server.crt/server.key    CN localhost, SAN DNS:localhost, IP:127.0.0.1 (signed by the CA)
#   client.crt/client.key    a client certificate, CN given as the 2nd argument (default: default)
#   expired.crt/expired.key  a client certificate signed by the CA that expired long ago
#   untrusted-ca.crt/.key    another CA, and untrusted.crt/untrusted.key signed by it
# Usage: scripts/gen-test-certs.sh DIR [CLIENT_CN]
set -eu

dir=${1:?usage: gen-test-certs.sh DIR [CLIENT_CN]}
client_cn=${2:-default}
mkdir -p "$dir"
cd "$dir"

ossl() { openssl "$@" 2>/dev/null; }

# A CA: $1 = file stem, $2 = common name.
make_ca() {
    ossl req -x509 -new -nodes -newkey rsa:2048 -sha256 -days 3650 \
        -keyout "$1.key" -out "$1.crt" -subj "/O=ferrodis test/CN=$2"
}

# A certificate signed by a CA: $1 = stem, $2 = CN, $3 = CA stem, $4 = extensions file,
# $5 = extra `openssl x509` arguments (validity).
make_cert() {
    ossl req -new -nodes -newkey rsa:2048 -keyout "$1.key" -out "$1.csr" \
        -subj "/O=ferrodis test/CN=$2"
    # shellcheck disable=SC2086
    ossl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial \
        -sha256 -extfile "$4" -out "$1.crt" $5
    rm -f "$1.csr"
}

cat > server.ext <<'EXT'
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
EXT
cat > client.ext <<'EXT'
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
EXT

make_ca ca "ferrodis test CA"
make_ca untrusted-ca "untrusted test CA"
make_cert server localhost ca server.ext "-days 3650"
make_cert client "$client_cn" ca client.ext "-days 3650"
make_cert untrusted "$client_cn" untrusted-ca client.ext "-days 3650"
# Expired: valid for one day in 2015. `openssl x509` takes explicit dates from openssl 3.4
# on (-not_before/-not_after); older versions go through a throwaway `openssl ca` database,
# whose -startdate/-enddate do the same.
if openssl x509 -help 2>&1 | grep -q -- '-not_before'; then
    make_cert expired "$client_cn" ca client.ext "-not_before 20150101000000Z -not_after 20150102000000Z"
else
    ossl req -new -nodes -newkey rsa:2048 -keyout expired.key -out expired.csr \
        -subj "/O=ferrodis test/CN=$client_cn"
    mkdir -p ca-db
    : > ca-db/index.txt
    echo 1000 > ca-db/serial
    cat > ca-db/ca.cnf <<CNF
[ca]
default_ca = test
[test]
database = ca-db/index.txt
serial = ca-db/serial
new_certs_dir = ca-db
certificate = ca.crt
private_key = ca.key
default_md = sha256
policy = any
copy_extensions = none
[any]
commonName = supplied
organizationName = optional
CNF
    ossl ca -batch -config ca-db/ca.cnf -extfile client.ext -in expired.csr -out expired.crt \
        -startdate 20150101000000Z -enddate 20150102000000Z
    rm -rf ca-db expired.csr
fi
rm -f server.ext client.ext ./*.srl
chmod 600 ./*.key
echo "certificates written to $dir"
