/**
 * Minimal DER (X.690) reading and writing: just what the wallet needs to read certificates and to build the few
 * structures the browser makes (PKCS#8 randomNum attribute, VID input). Strict: definite, minimal lengths only.
 * @module asn1
 */

import { Asn1Error } from "./errors.js";
import { asBytes, concat, toHex, utf8 } from "./bytes.js";

/** Universal tag bytes used here. */
export const TAG = Object.freeze({
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  VISIBLE_STRING: 0x1a,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
});

/**
 * One decoded TLV. `tag` is the whole identifier byte (high tag numbers are not supported: X.509 needs none).
 * @typedef {object} Node
 * @property {number} tag identifier byte, e.g. 0x30 for SEQUENCE, 0xa0 for [0] constructed
 * @property {boolean} constructed
 * @property {Uint8Array} der the whole TLV
 * @property {Uint8Array} value the contents octets
 */

/**
 * Decode the TLV at `offset` of `bytes`.
 * @param {Uint8Array} bytes
 * @param {number} offset
 * @returns {{node: Node, end: number}}
 * @throws {Asn1Error}
 */
function readTlv(bytes, offset) {
  if (offset + 2 > bytes.length) throw new Asn1Error({ messageEn: "DER: truncated header" });
  const tag = bytes[offset];
  if ((tag & 0x1f) === 0x1f) throw new Asn1Error({ messageEn: "DER: high tag numbers are not supported" });
  let length = bytes[offset + 1];
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new Asn1Error({ messageEn: "DER: indefinite or oversized length" });
    if (offset + 2 + count > bytes.length) throw new Asn1Error({ messageEn: "DER: truncated length" });
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[offset + 2 + i];
    if (bytes[offset + 2] === 0 || length < 0x80) throw new Asn1Error({ messageEn: "DER: non-minimal length" });
    header += count;
  }
  const end = offset + header + length;
  if (end > bytes.length) throw new Asn1Error({ messageEn: "DER: value runs past the end" });
  const node = {
    tag,
    constructed: (tag & 0x20) !== 0,
    der: bytes.subarray(offset, end),
    value: bytes.subarray(offset + header, end),
  };
  return { node, end };
}

/**
 * Decode exactly one DER value (no trailing bytes).
 * @param {BufferSource} data
 * @returns {Node}
 * @throws {Asn1Error}
 */
export function decode(data) {
  const bytes = asBytes(data);
  const { node, end } = readTlv(bytes, 0);
  if (end !== bytes.length) throw new Asn1Error({ messageEn: "DER: trailing bytes" });
  return node;
}

/**
 * The elements inside a constructed value (SEQUENCE, SET, [n] constructed).
 * @param {Node} node
 * @returns {Node[]}
 * @throws {Asn1Error}
 */
export function children(node) {
  if (!node.constructed) throw new Asn1Error({ messageEn: "DER: expected a constructed value" });
  const out = [];
  for (let offset = 0; offset < node.value.length; ) {
    const { node: child, end } = readTlv(node.value, offset);
    out.push(child);
    offset = end;
  }
  return out;
}

/**
 * Check a node's tag and return the node.
 * @param {Node | undefined} node
 * @param {number} tag
 * @returns {Node}
 * @throws {Asn1Error}
 */
export function expect(node, tag) {
  if (!node || node.tag !== tag) {
    const got = node ? `0x${node.tag.toString(16)}` : "nothing";
    throw new Asn1Error({ messageEn: `DER: expected tag 0x${tag.toString(16)}, got ${got}` });
  }
  return node;
}

/**
 * The dotted form of an OBJECT IDENTIFIER.
 * @param {Node} node
 * @returns {string}
 */
export function readOid(node) {
  const v = expect(node, TAG.OID).value;
  if (v.length === 0 || v[v.length - 1] & 0x80) throw new Asn1Error({ messageEn: "DER: bad OID" });
  const arcs = [];
  let n = 0n;
  for (let i = 0; i < v.length; i++) {
    if (n === 0n && v[i] === 0x80) throw new Asn1Error({ messageEn: "DER: non-minimal OID arc" });
    n = (n << 7n) | BigInt(v[i] & 0x7f);
    if (!(v[i] & 0x80)) {
      arcs.push(n);
      n = 0n;
    }
  }
  const first = arcs[0] < 80n ? arcs[0] / 40n : 2n;
  return [first, arcs[0] - first * 40n, ...arcs.slice(1)].join(".");
}

/**
 * The hex of an INTEGER's two's-complement contents (the serial-number form), without leading zero padding.
 * @param {Node} node
 * @returns {string}
 */
export function readIntegerHex(node) {
  const v = expect(node, TAG.INTEGER).value;
  const hex = toHex(v).replace(/^(00)+(?=..)/, "");
  return hex || "00";
}

/**
 * The date of a UTCTime or GeneralizedTime (the DER forms: `YYMMDDHHMMSSZ`, `YYYYMMDDHHMMSSZ`).
 * @param {Node} node
 * @returns {Date}
 */
export function readTime(node) {
  const text = String.fromCharCode(...node.value);
  const m =
    node.tag === TAG.UTC_TIME
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
      : node.tag === TAG.GENERALIZED_TIME && /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) throw new Asn1Error({ messageEn: "DER: bad time" });
  let year = Number(m[1]);
  if (node.tag === TAG.UTC_TIME) year += year >= 50 ? 1900 : 2000;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

/**
 * The text of a directory string (UTF8String, PrintableString, IA5String, BMPString, …).
 * @param {Node} node
 * @returns {string}
 */
export function readString(node) {
  const v = node.value;
  switch (node.tag) {
    case TAG.UTF8_STRING:
      return new TextDecoder("utf-8", { fatal: true }).decode(v);
    case TAG.BMP_STRING:
      return new TextDecoder("utf-16be", { fatal: true }).decode(v);
    case TAG.UNIVERSAL_STRING: {
      const cps = [];
      for (let i = 0; i + 3 < v.length; i += 4) cps.push(((v[i] << 24) | (v[i + 1] << 16) | (v[i + 2] << 8) | v[i + 3]) >>> 0);
      return String.fromCodePoint(...cps);
    }
    case TAG.PRINTABLE_STRING:
    case TAG.IA5_STRING:
    case TAG.VISIBLE_STRING:
    case TAG.T61_STRING:
      return String.fromCharCode(...v);
    default:
      throw new Asn1Error({ messageEn: `DER: tag 0x${node.tag.toString(16)} is not a string` });
  }
}

/**
 * The bytes of a BIT STRING with no unused bits.
 * @param {Node} node
 * @returns {Uint8Array}
 */
export function readBitStringBytes(node) {
  const v = expect(node, TAG.BIT_STRING).value;
  if (v.length === 0 || v[0] !== 0) throw new Asn1Error({ messageEn: "DER: BIT STRING with unused bits" });
  return v.subarray(1);
}

/**
 * The DER length octets of a length.
 * @param {number} length
 * @returns {Uint8Array}
 */
function encodeLength(length) {
  if (length < 0x80) return Uint8Array.of(length);
  const out = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) out.unshift(n & 0xff);
  return Uint8Array.of(0x80 | out.length, ...out);
}

/**
 * Encode one TLV from a tag byte and its contents (concatenated).
 * @param {number} tag
 * @param {...BufferSource} contents
 * @returns {Uint8Array}
 */
export function encode(tag, ...contents) {
  const value = concat(...contents);
  return concat(Uint8Array.of(tag), encodeLength(value.length), value);
}

/**
 * DER of an OBJECT IDENTIFIER given in dotted form.
 * @param {string} dotted
 * @returns {Uint8Array}
 */
export function encodeOid(dotted) {
  if (!/^[0-2](\.\d+)+$/.test(dotted)) throw new Asn1Error({ messageEn: `not an OID: ${dotted}` });
  const arcs = dotted.split(".").map(BigInt);
  const out = [];
  for (const arc of [arcs[0] * 40n + arcs[1], ...arcs.slice(2)]) {
    const groups = [Number(arc & 0x7fn)];
    for (let n = arc >> 7n; n > 0n; n >>= 7n) groups.unshift(Number(n & 0x7fn) | 0x80);
    out.push(...groups);
  }
  return encode(TAG.OID, Uint8Array.from(out));
}

/**
 * DER of a BIT STRING holding whole bytes.
 * @param {BufferSource} bytes
 * @returns {Uint8Array}
 */
export function encodeBitString(bytes) {
  return encode(TAG.BIT_STRING, Uint8Array.of(0), bytes);
}

/**
 * DER of a PrintableString (the caller checks the character set).
 * @param {string} text
 * @returns {Uint8Array}
 */
export function encodePrintableString(text) {
  if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(text)) throw new Asn1Error({ messageEn: "not a PrintableString" });
  return encode(TAG.PRINTABLE_STRING, utf8(text));
}
