/**
 * Detached CMS SignedData (RFC 5652) built in the browser: one signer, sha256WithRSAEncryption, signed attributes
 * contentType (id-data), signingTime and messageDigest, the signer's certificate inside. The content itself is not
 * included: the signer gives its SHA-256, so a document can be signed from its hash alone.
 * `openssl cms -verify -binary -content document -inform DER` accepts the result; so does `jointcert.rp.signature`.
 * @module cms
 */

import { TAG, children, decode, encode, encodeOid, expect } from "./asn1.js";
import { asBytes, concat, utf8 } from "./bytes.js";
import { InvalidInputError } from "./errors.js";
import { sign } from "./keys.js";

const OID = Object.freeze({
  data: "1.2.840.113549.1.7.1",
  signedData: "1.2.840.113549.1.7.2",
  sha256: "2.16.840.1.101.3.4.2.1",
  sha256WithRSA: "1.2.840.113549.1.1.11",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingTime: "1.2.840.113549.1.9.5",
});
const NULL = Uint8Array.of(TAG.NULL, 0);

/**
 * SHA-256 of bytes (or of a string's UTF-8).
 * @param {BufferSource | string} data
 * @returns {Promise<Uint8Array>}
 */
export async function sha256(data) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", asBytes(data)));
}

/**
 * UTCTime (years 1950-2049) or GeneralizedTime, to the second, in UTC.
 * @param {Date} date
 * @returns {Uint8Array}
 */
function encodeTime(date) {
  const iso = date.toISOString(); // 2026-12-04T17:21:44.123Z
  const digits = iso.slice(0, 19).replace(/[-T:]/g, "");
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return encode(TAG.UTC_TIME, utf8(`${digits.slice(2)}Z`));
  return encode(TAG.GENERALIZED_TIME, utf8(`${digits}Z`));
}

/**
 * DER SET OF: the elements sorted by their encodings (X.690 11.6).
 * @param {Uint8Array[]} elements
 * @param {number} [tag] 0x31, or 0xa0 for [0] IMPLICIT
 * @returns {Uint8Array}
 */
function setOf(elements, tag = TAG.SET) {
  const sorted = [...elements].sort((a, b) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
    return a.length - b.length;
  });
  return encode(tag, ...sorted);
}

/**
 * @param {string} oid
 * @param {Uint8Array} value
 * @returns {Uint8Array}
 */
function attribute(oid, value) {
  return encode(TAG.SEQUENCE, encodeOid(oid), encode(TAG.SET, value));
}

/**
 * Issuer name and serial number (raw DER) of a certificate, for the SignerInfo's sid.
 * @param {Uint8Array} certificateDer
 * @returns {Uint8Array} IssuerAndSerialNumber DER
 */
function issuerAndSerial(certificateDer) {
  const [tbs] = children(expect(decode(certificateDer), TAG.SEQUENCE));
  const fields = children(expect(tbs, TAG.SEQUENCE));
  if (fields[0]?.tag === 0xa0) fields.shift();
  const [serial, , issuer] = fields;
  return encode(TAG.SEQUENCE, issuer.der, serial.der);
}

/**
 * A detached CMS SignedData over content whose SHA-256 is `digest`.
 * @param {{privateKey: CryptoKey, certificateDer: Uint8Array, digest: Uint8Array, signingTime?: Date}} input
 * @returns {Promise<Uint8Array>} ContentInfo DER
 * @throws {InvalidInputError} when the digest is not 32 bytes
 */
export async function signDetached({ privateKey, certificateDer, digest, signingTime = new Date() }) {
  if (!(digest instanceof Uint8Array) || digest.length !== 32) {
    throw new InvalidInputError({ messageKo: "SHA-256 해시는 32바이트입니다.", messageEn: "A SHA-256 hash is 32 bytes." });
  }
  const sha256Alg = encode(TAG.SEQUENCE, encodeOid(OID.sha256));
  const attributes = [
    attribute(OID.contentType, encodeOid(OID.data)),
    attribute(OID.signingTime, encodeTime(signingTime)),
    attribute(OID.messageDigest, encode(TAG.OCTET_STRING, digest)),
  ];
  const signed = setOf(attributes); // the signature covers the attributes as a SET OF (RFC 5652 5.4)
  const signature = await sign(privateKey, signed);
  const signerInfo = encode(
    TAG.SEQUENCE,
    encode(TAG.INTEGER, Uint8Array.of(1)),
    issuerAndSerial(certificateDer),
    sha256Alg,
    concat(Uint8Array.of(0xa0), signed.subarray(1)), // [0] IMPLICIT SET OF Attribute (same length octets)
    encode(TAG.SEQUENCE, encodeOid(OID.sha256WithRSA), NULL),
    encode(TAG.OCTET_STRING, signature),
  );
  const signedData = encode(
    TAG.SEQUENCE,
    encode(TAG.INTEGER, Uint8Array.of(1)),
    encode(TAG.SET, sha256Alg),
    encode(TAG.SEQUENCE, encodeOid(OID.data)), // no eContent: detached
    encode(0xa0, certificateDer), // [0] IMPLICIT CertificateSet
    encode(TAG.SET, signerInfo),
  );
  return encode(TAG.SEQUENCE, encodeOid(OID.signedData), encode(0xa0, signedData));
}
