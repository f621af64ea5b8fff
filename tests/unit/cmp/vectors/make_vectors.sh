#!/bin/sh
# Regenerates the openssl-made CMP messages in this folder with `openssl cmp` (OpenSSL 3.0) and its built-in
# mock server (-use_mock_srv): nothing of ours is involved, so these are independent vectors.
# Usage: sh make_vectors.sh   (run inside this folder; needs openssl 3.x on PATH)
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CA_DN="/C=KR/O=jointsign/OU=AccreditedCA/CN=jointsignCA Class 1"
USER_DN="/C=KR/O=yessign/OU=personal4IB/OU=HANBIT/CN=Hong Gildong()0081045202511250001"
# R (randomNum) = 00 01 02 ... 13 as the CertTemplate extension 1.2.410.200004.10.1.1.3 (DER BIT STRING)
cat > "$work/cmp.cnf" <<CNF
[reqexts]
1.2.410.200004.10.1.1.3 = DER:03:15:00:00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13
CNF
q() { "$@" >/dev/null 2>&1; }
q openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/ca.key" -out ca.pem -subj "$CA_DN" -days 3650 \
    -addext keyUsage=critical,keyCertSign,cRLSign,digitalSignature
q openssl genrsa -out "$work/user.key" 2048
q openssl req -new -key "$work/user.key" -subj "$USER_DN" -out "$work/user.csr"
q openssl x509 -req -in "$work/user.csr" -CA ca.pem -CAkey "$work/ca.key" -set_serial 4660 -out user.pem -days 3650
q openssl genrsa -out "$work/new.key" 2048
q openssl req -new -key "$work/new.key" -subj "$USER_DN" -out "$work/new.csr"
q openssl x509 -req -in "$work/new.csr" -CA ca.pem -CAkey "$work/ca.key" -set_serial 4660 -out new.pem -days 3650
common="-config $work/cmp.cnf -use_mock_srv -srv_cert ca.pem -srv_key $work/ca.key -srv_trusted ca.pem -srvcert ca.pem"
# ir/ip/certConf/pkiConf: PBM (ref REF123, secret CODE123); the mock server answers PBM-protected too
openssl cmp -config "$work/cmp.cnf" -use_mock_srv -srv_ref CA -srv_secret pass:CODE123 -cmd ir \
    -ref REF123 -secret pass:CODE123 -newkey "$work/user.key" -subject "$USER_DN" -reqexts reqexts \
    -recipient "$CA_DN" -rsp_cert user.pem -rsp_capubs ca.pem -certout "$work/out.pem" \
    -reqout ir.der,certconf.der -rspout ip.der,pkiconf.der
# kur/kup/certConf/pkiConf: signed with the current certificate, new key; the server signs with the CA key.
# (The mock server compares oldCertId with the issuer+serial of -rsp_cert, so new.pem reuses the serial.)
openssl cmp $common -cmd kur -cert user.pem -key "$work/user.key" -newkey "$work/new.key" \
    -rsp_cert new.pem -certout "$work/out2.pem" -reqout kur.der,kur_certconf.der -rspout kup.der,kur_pkiconf.der
# rr/rp: signed with the certificate being revoked, reason keyCompromise (1)
openssl cmp $common -cmd rr -cert user.pem -key "$work/user.key" -oldcert user.pem -revreason 1 -rsp_cert user.pem \
    -reqout rr.der -rspout rp.der
# error: the mock server refuses (badRequest)
openssl cmp -config "$work/cmp.cnf" -use_mock_srv -srv_ref CA -srv_secret pass:CODE123 -send_error -cmd ir \
    -ref REF123 -secret pass:CODE123 -newkey "$work/user.key" -subject "$USER_DN" -recipient "$CA_DN" \
    -rsp_cert user.pem -certout "$work/out3.pem" -rspout error.der || true
# genm/genp
openssl cmp $common -cmd genm -cert user.pem -key "$work/user.key" -infotype signKeyPairTypes -rsp_cert user.pem \
    -reqout genm.der -rspout genp.der
