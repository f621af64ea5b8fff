/**
 * Read what the wallet list shows from a certificate's DER: names, serial, validity, policies, public key.
 * Parsing only: it checks no signature and trusts nothing (the server and the relying parties validate).
 * @module certinfo
 */

import { Asn1Error } from "./errors.js";
import { TAG, children, decode, expect, readIntegerHex, readOid, readString, readTime } from "./asn1.js";

const ATTRIBUTE_NAMES = Object.freeze({
  "2.5.4.3": "CN",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.9": "STREET",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "0.9.2342.19200300.100.1.1": "UID",
  "0.9.2342.19200300.100.1.25": "DC",
});
const ID_CE_CERTIFICATE_POLICIES = "2.5.29.32";
const ID_QT_UNOTICE = "1.3.6.1.5.5.7.2.2";

/**
 * A distinguished name.
 * @typedef {object} DistinguishedName
 * @property {string} dn RFC 4514 string, most specific first (`CN=…,OU=…,O=…,C=KR`), as Python's
 *   `Name.rfc4514_string()` writes it
 * @property {string} cn the (last) common name, "" if none
 * @property {string} o the (last) organization, "" if none
 * @property {string[]} ou the organizational units in certificate order
 * @property {string} c the country, "" if none
 * @property {{oid: string, name: string, value: string}[]} attributes every attribute in certificate order
 */

/**
 * A certificate policy with the Korean user notice text, if the certificate carries one.
 * @typedef {{oid: string, notice: string | null}} Policy
 */

/**
 * What the wallet needs to know about a certificate.
 * @typedef {object} CertificateInfo
 * @property {string} serialHex
 * @property {DistinguishedName} subject
 * @property {DistinguishedName} issuer
 * @property {Date} notBefore
 * @property {Date} notAfter
 * @property {Policy[]} policies
 * @property {Uint8Array} spki the SubjectPublicKeyInfo DER
 */

/**
 * @param {string} value
 * @returns {string}
 */
function escapeDnValue(value) {
  if (!value) return "";
  let out = value.replace(/[\\"+,;<>]/g, (ch) => `\\${ch}`).replace(/\0/g, "\\00");
  if (out[0] === "#" || out[0] === " ") out = `\\${out}`;
  if (out.endsWith(" ")) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/**
 * @param {import("./asn1.js").Node} node a Name (SEQUENCE OF RelativeDistinguishedName)
 * @returns {DistinguishedName}
 */
function readName(node) {
  const rdns = children(expect(node, TAG.SEQUENCE)).map((rdn) =>
    children(expect(rdn, TAG.SET)).map((atv) => {
      const [type, value] = children(expect(atv, TAG.SEQUENCE));
      const oid = readOid(type);
      return { oid, name: ATTRIBUTE_NAMES[oid] ?? oid, value: readString(value) };
    }),
  );
  const attributes = rdns.flat();
  const last = (/** @type {string} */ name) => attributes.filter((a) => a.name === name).at(-1)?.value ?? "";
  const dn = rdns
    .slice()
    .reverse()
    .map((rdn) => rdn.map((a) => `${a.name}=${escapeDnValue(a.value)}`).join("+"))
    .join(",");
  return {
    dn,
    cn: last("CN"),
    o: last("O"),
    ou: attributes.filter((a) => a.name === "OU").map((a) => a.value),
    c: last("C"),
    attributes,
  };
}

/**
 * @param {Uint8Array} extnValue the certificatePolicies extension's value
 * @returns {Policy[]}
 */
function readPolicies(extnValue) {
  return children(expect(decode(extnValue), TAG.SEQUENCE)).map((info) => {
    const [id, qualifiers] = children(expect(info, TAG.SEQUENCE));
    let notice = null;
    for (const q of qualifiers ? children(qualifiers) : []) {
      const [qid, qualifier] = children(q);
      if (readOid(qid) !== ID_QT_UNOTICE || notice !== null) continue;
      const explicit = children(expect(qualifier, TAG.SEQUENCE)).find((n) => n.tag !== TAG.SEQUENCE);
      notice = explicit ? readString(explicit) : null;
    }
    return { oid: readOid(id), notice };
  });
}

/**
 * @param {import("./asn1.js").Node | undefined} node the [3] EXPLICIT extensions wrapper, if present
 * @returns {Policy[]}
 */
function policiesOf(node) {
  if (!node) return [];
  for (const ext of children(expect(children(node)[0], TAG.SEQUENCE))) {
    const parts = children(expect(ext, TAG.SEQUENCE));
    if (readOid(parts[0]) === ID_CE_CERTIFICATE_POLICIES) {
      return readPolicies(expect(parts.at(-1), TAG.OCTET_STRING).value);
    }
  }
  return [];
}

/**
 * Parse an X.509 certificate's DER.
 * @param {BufferSource} der
 * @returns {CertificateInfo}
 * @throws {Asn1Error} when the bytes are not a certificate
 */
export function parseCertificate(der) {
  try {
    const [tbs] = children(expect(decode(der), TAG.SEQUENCE));
    const fields = children(expect(tbs, TAG.SEQUENCE));
    if (fields[0]?.tag === 0xa0) fields.shift(); // [0] EXPLICIT version
    const [serial, , issuer, validity, subject, spki, ...rest] = fields;
    const [notBefore, notAfter] = children(expect(validity, TAG.SEQUENCE));
    return {
      serialHex: readIntegerHex(serial),
      subject: readName(subject),
      issuer: readName(issuer),
      notBefore: readTime(notBefore),
      notAfter: readTime(notAfter),
      policies: policiesOf(rest.find((n) => n.tag === 0xa3)),
      spki: expect(spki, TAG.SEQUENCE).der.slice(),
    };
  } catch (err) {
    if (err instanceof Asn1Error) throw err;
    throw new Asn1Error({ messageEn: "not an X.509 certificate", cause: err });
  }
}

const DAY_MS = 24 * 60 * 60 * 1000;
const KST_MS = 9 * 60 * 60 * 1000; // Korea Standard Time, UTC+9 all year

/**
 * Days left until a certificate expires, the one count every page shows: calendar days in Korean time, as the CA
 * ends a certificate at 23:59:59 KST of its last day. A certificate issued for 365 days shows "365일 남음" on the
 * day it is issued, 0 on its last day; negative once it has expired.
 * @param {Date} notAfter
 * @param {Date} now
 * @returns {number}
 */
export function daysLeft(notAfter, now) {
  if (notAfter.getTime() < now.getTime()) return Math.min(-1, Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS));
  return Math.floor((notAfter.getTime() + KST_MS) / DAY_MS) - Math.floor((now.getTime() + KST_MS) / DAY_MS);
}
