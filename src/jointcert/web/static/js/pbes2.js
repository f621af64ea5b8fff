/**
 * PKCS#8 EncryptedPrivateKeyInfo with PBES2 (RFC 8018): PBKDF2-HMAC-SHA256 and AES-256-CBC — the inner layer of a
 * certificate copy. The key stays encrypted under the certificate password while it travels; Python's
 * `jointcert.npki.keyfile.decrypt_sign_pri` and OpenSSL read it. Only this one parameter set is written or read.
 * @module pbes2
 */

import { Asn1Error, WrongPasswordError } from "./errors.js";
import { TAG, children, decode, encode, encodeOid, expect, readOid } from "./asn1.js";
import { asBytes, utf8, wipe } from "./bytes.js";
import { checkPasswordGiven } from "./kdf.js";
import { subtle } from "./keys.js";

/** PBKDF2 iterations for keys this module encrypts (as the vault: OWASP 2023 for PBKDF2-HMAC-SHA256). */
export const INNER_ITERATIONS = 600_000;
/** Encrypted keys asking for more iterations than this are refused (a hostile file must not hang the page). */
export const MAX_INNER_ITERATIONS = 10_000_000;

const OID = Object.freeze({
  PBES2: "1.2.840.113549.1.5.13",
  PBKDF2: "1.2.840.113549.1.5.12",
  HMAC_SHA256: "1.2.840.113549.2.9",
  AES256_CBC: "2.16.840.1.101.3.4.1.42",
});
const NULL = Uint8Array.of(TAG.NULL, 0);

/**
 * DER INTEGER of a non-negative safe integer.
 * @param {number} n
 * @returns {Uint8Array}
 */
function encodeInteger(n) {
  const out = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256);
  if (out.length === 0 || out[0] & 0x80) out.unshift(0);
  return encode(TAG.INTEGER, Uint8Array.from(out));
}

/**
 * A small non-negative INTEGER (at most 4 bytes) as a number.
 * @param {import("./asn1.js").Node} node
 * @returns {number}
 */
function readSmallInteger(node) {
  const v = expect(node, TAG.INTEGER).value;
  if (v.length === 0 || v.length > 5 || v[0] & 0x80 || (v.length > 1 && v[0] === 0 && !(v[1] & 0x80))) {
    throw new Asn1Error({ messageEn: "DER: INTEGER out of range or not minimal" });
  }
  return v.reduce((n, b) => n * 256 + b, 0);
}

/**
 * @param {string} password
 * @param {Uint8Array} salt
 * @param {number} iterations
 * @param {KeyUsage[]} usages
 * @returns {Promise<CryptoKey>}
 */
async function passwordKey(password, salt, iterations, usages) {
  const secret = utf8(checkPasswordGiven(password));
  try {
    const base = await subtle().importKey("raw", secret, "PBKDF2", false, ["deriveKey"]);
    return await subtle().deriveKey({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, base,
      { name: "AES-CBC", length: 256 }, false, usages);
  } finally {
    wipe(secret);
  }
}

/**
 * Encrypt a PKCS#8 PrivateKeyInfo (e.g. `exportPkcs8(…).pkcs8WithRandomNum`) under the certificate password.
 * @param {BufferSource} pkcs8
 * @param {string} password
 * @param {{iterations?: number}} [options]
 * @returns {Promise<Uint8Array>} DER EncryptedPrivateKeyInfo
 */
export async function encryptPkcs8(pkcs8, password, { iterations = INNER_ITERATIONS } = {}) {
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_INNER_ITERATIONS) {
    throw new RangeError(`PBKDF2 iterations out of range: ${iterations}`);
  }
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(16));
  const key = await passwordKey(password, salt, iterations, ["encrypt"]);
  const ciphertext = new Uint8Array(await subtle().encrypt({ name: "AES-CBC", iv }, key, asBytes(pkcs8)));
  const kdfParams = encode(TAG.SEQUENCE, encode(TAG.OCTET_STRING, salt), encodeInteger(iterations),
    encode(TAG.SEQUENCE, encodeOid(OID.HMAC_SHA256), NULL));
  const pbes2Params = encode(TAG.SEQUENCE,
    encode(TAG.SEQUENCE, encodeOid(OID.PBKDF2), kdfParams),
    encode(TAG.SEQUENCE, encodeOid(OID.AES256_CBC), encode(TAG.OCTET_STRING, iv)));
  return encode(TAG.SEQUENCE, encode(TAG.SEQUENCE, encodeOid(OID.PBES2), pbes2Params),
    encode(TAG.OCTET_STRING, ciphertext));
}

/**
 * Read the PBES2 parameters this module supports; anything else is an Asn1Error.
 * @param {BufferSource} der
 * @returns {{salt: Uint8Array, iterations: number, iv: Uint8Array, ciphertext: Uint8Array}}
 */
export function parseEncryptedPkcs8(der) {
  const [algorithm, data] = children(expect(decode(der), TAG.SEQUENCE));
  const [oid, params] = children(expect(algorithm, TAG.SEQUENCE));
  if (readOid(oid) !== OID.PBES2) throw new Asn1Error({ messageEn: "not a PBES2-encrypted key" });
  const [kdf, scheme] = children(expect(params, TAG.SEQUENCE));
  const [kdfOid, kdfParams] = children(expect(kdf, TAG.SEQUENCE));
  if (readOid(kdfOid) !== OID.PBKDF2) throw new Asn1Error({ messageEn: "PBES2 without PBKDF2" });
  const [saltNode, countNode, ...rest] = children(expect(kdfParams, TAG.SEQUENCE));
  if (rest[0]?.tag === TAG.INTEGER && readSmallInteger(/** @type {any} */ (rest.shift())) !== 32) {
    throw new Asn1Error({ messageEn: "PBKDF2 key length is not 32" });
  }
  const prf = rest[0] ? readOid(children(expect(rest[0], TAG.SEQUENCE))[0]) : "hmacWithSHA1";
  if (prf !== OID.HMAC_SHA256 || rest.length > 1) throw new Asn1Error({ messageEn: "PBKDF2 PRF is not HMAC-SHA256" });
  const [cipherOid, ivNode] = children(expect(scheme, TAG.SEQUENCE));
  if (readOid(cipherOid) !== OID.AES256_CBC) throw new Asn1Error({ messageEn: "PBES2 cipher is not AES-256-CBC" });
  const iv = expect(ivNode, TAG.OCTET_STRING).value;
  const iterations = readSmallInteger(countNode);
  const salt = expect(saltNode, TAG.OCTET_STRING).value;
  const ciphertext = expect(data, TAG.OCTET_STRING).value;
  if (iv.length !== 16 || salt.length < 8 || iterations < 1 || iterations > MAX_INNER_ITERATIONS ||
    ciphertext.length === 0 || ciphertext.length % 16) {
    throw new Asn1Error({ messageEn: "PBES2 parameters out of range" });
  }
  return { salt, iterations, iv, ciphertext };
}

/**
 * Decrypt an EncryptedPrivateKeyInfo made by {@link encryptPkcs8} (or by `jointcert copy send`).
 * @param {BufferSource} der
 * @param {string} password
 * @returns {Promise<Uint8Array>} the PKCS#8 PrivateKeyInfo (with R as the KISA attribute, if it had one)
 * @throws {WrongPasswordError} when the password does not open it (CBC has no MAC: damage looks the same)
 * @throws {import("./errors.js").Asn1Error} when the bytes are not such a key
 */
export async function decryptPkcs8(der, password) {
  const { salt, iterations, iv, ciphertext } = parseEncryptedPkcs8(der);
  const key = await passwordKey(password, salt, iterations, ["decrypt"]);
  let plain;
  try {
    plain = new Uint8Array(await subtle().decrypt({ name: "AES-CBC", iv }, key, ciphertext));
  } catch (err) {
    throw new WrongPasswordError({ cause: err }); // bad padding
  }
  try {
    expect(decode(plain), TAG.SEQUENCE); // a wrong key passes the padding check 1 time in ~256
  } catch (err) {
    wipe(plain);
    throw new WrongPasswordError({ cause: err });
  }
  return plain;
}

