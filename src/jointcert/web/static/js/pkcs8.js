/**
 * The KISA randomNum attribute in PKCS#8 PrivateKeyInfo: signPri.key's plaintext carries R as attribute
 * `1.2.410.200004.10.1.1.3` (KCAC.TS.SIVID): `[0] IMPLICIT SET { SEQUENCE { oid, SET { BIT STRING R } } }`.
 * @module pkcs8
 */

import { Asn1Error } from "./errors.js";
import { TAG, children, decode, encode, encodeBitString, encodeOid, expect, readBitStringBytes, readOid } from "./asn1.js";

/** OID of the KISA randomNum attribute (R). */
export const ID_KISA_RANDOM_NUM = "1.2.410.200004.10.1.1.3";
const ATTRIBUTES_TAG = 0xa0; // [0] IMPLICIT SET OF Attribute (constructed)

/**
 * @param {BufferSource} pkcs8
 * @returns {{head: import("./asn1.js").Node[], attributes: import("./asn1.js").Node[]}}
 */
function split(pkcs8) {
  const parts = children(expect(decode(pkcs8), TAG.SEQUENCE));
  if (parts.length < 3 || parts.length > 4) throw new Asn1Error({ messageEn: "not a PKCS#8 PrivateKeyInfo" });
  expect(parts[0], TAG.INTEGER);
  expect(parts[1], TAG.SEQUENCE);
  expect(parts[2], TAG.OCTET_STRING);
  const attributes = parts[3] ? children(expect(parts[3], ATTRIBUTES_TAG)) : [];
  return { head: parts.slice(0, 3), attributes };
}

/**
 * DER order of SET OF elements (X.690 §11.6): ascending as octet strings, the shorter padded with zeros.
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 * @returns {number}
 */
function derSetOrder(a, b) {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * @param {import("./asn1.js").Node} attribute
 * @returns {string}
 */
function attributeType(attribute) {
  return readOid(children(expect(attribute, TAG.SEQUENCE))[0]);
}

/**
 * A PKCS#8 PrivateKeyInfo carrying R as the KISA randomNum attribute (replacing any randomNum already there,
 * keeping other attributes): the plaintext that goes inside signPri.key.
 * @param {BufferSource} pkcs8 a PrivateKeyInfo, e.g. from {@link module:vault.exportPkcs8} or WebCrypto
 * @param {BufferSource} randomNum R, 20 bytes
 * @returns {Uint8Array}
 * @throws {Asn1Error}
 */
export function withRandomNum(pkcs8, randomNum) {
  const { head, attributes } = split(pkcs8);
  const randomAttribute = encode(
    TAG.SEQUENCE,
    encodeOid(ID_KISA_RANDOM_NUM),
    encode(TAG.SET, encodeBitString(randomNum)),
  );
  const kept = attributes.filter((a) => attributeType(a) !== ID_KISA_RANDOM_NUM).map((a) => a.der);
  const sorted = [...kept, randomAttribute].sort(derSetOrder);
  return encode(TAG.SEQUENCE, ...head.map((n) => n.der), encode(ATTRIBUTES_TAG, ...sorted));
}

/**
 * R from a PKCS#8 PrivateKeyInfo's randomNum attribute, or null when it has none.
 * @param {BufferSource} pkcs8
 * @returns {Uint8Array | null}
 * @throws {Asn1Error}
 */
export function readRandomNum(pkcs8) {
  const found = split(pkcs8).attributes.find((a) => attributeType(a) === ID_KISA_RANDOM_NUM);
  if (!found) return null;
  const values = children(expect(children(found)[1], TAG.SET));
  return readBitStringBytes(values[0]).slice();
}

/**
 * The PrivateKeyInfo without its attributes (what every PKCS#8 reader accepts).
 * @param {BufferSource} pkcs8
 * @returns {Uint8Array}
 * @throws {Asn1Error}
 */
export function withoutAttributes(pkcs8) {
  return encode(TAG.SEQUENCE, ...split(pkcs8).head.map((n) => n.der));
}
