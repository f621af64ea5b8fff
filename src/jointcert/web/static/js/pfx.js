/**
 * PFX / PKCS#12 (RFC 7292) in the browser: write the wallet's certificate and key with R as a `.pfx`, read a `.pfx`
 * made by OpenSSL, Python's cryptography or `jointcert export --pfx`. The layout of `jointcert.npki.pfx` (modern):
 * the certificates in a PBES2-encrypted safe, the key in a pkcs8ShroudedKeyBag (PBES2: PBKDF2-HMAC-SHA256 +
 * AES-256-CBC, the password's UTF-8 bytes), localKeyID = SHA-1 of the certificate, MAC HMAC-SHA256 keyed by the
 * PKCS#12 KDF over the password as BMPString — OpenSSL 3's defaults, 2,048 iterations. R travels inside the key
 * bag's PKCS#8 as the KISA randomNum attribute (as `jointcert export --pfx`), so PyPinkSign and `jointcert import`
 * find it; OpenSSL drops it when it re-exports.
 *
 * Read: the MAC first (HMAC-SHA1/-SHA256/-SHA384/-SHA512; a wrong password stops there), then every safe in
 * plain Data or PBES2 (the parameters `pbes2.js` reads); the legacy PKCS#12 ciphers (3DES, RC2) have no WebCrypto
 * implementation and get a clear error pointing to `jointcert import`.
 * @module pfx
 */

import { Asn1Error, InvalidInputError, WrongPasswordError } from "./errors.js";
import { TAG, children, decode, encode, encodeOid, expect, readOid } from "./asn1.js";
import { asBytes, concat, wipe } from "./bytes.js";
import { checkPasswordGiven } from "./kdf.js";
import { decryptPkcs8, encryptPkcs8 } from "./pbes2.js";
import { subtle } from "./keys.js";

/** Iterations of the PBES2 encryptions and of the MAC key derivation (OpenSSL 3's and `jointcert export`'s). */
export const PFX_ITERATIONS = 2048;
/** A PFX asking for more MAC iterations than this is refused (a hostile file must not hang the page). */
const MAX_MAC_ITERATIONS = 10_000_000;

const OID = Object.freeze({
  DATA: "1.2.840.113549.1.7.1",
  ENCRYPTED_DATA: "1.2.840.113549.1.7.6",
  KEY_BAG: "1.2.840.113549.1.12.10.1.1",
  SHROUDED_KEY_BAG: "1.2.840.113549.1.12.10.1.2",
  CERT_BAG: "1.2.840.113549.1.12.10.1.3",
  X509_CERTIFICATE: "1.2.840.113549.1.9.22.1",
  LOCAL_KEY_ID: "1.2.840.113549.1.9.21",
  FRIENDLY_NAME: "1.2.840.113549.1.9.20",
  PBES2: "1.2.840.113549.1.5.13",
});
/** MAC digests: OID → [WebCrypto name, PKCS#12 KDF block size v]. */
const MAC_DIGESTS = Object.freeze({
  "1.3.14.3.2.26": ["SHA-1", 64],
  "2.16.840.1.101.3.4.2.1": ["SHA-256", 64],
  "2.16.840.1.101.3.4.2.2": ["SHA-384", 128],
  "2.16.840.1.101.3.4.2.3": ["SHA-512", 128],
});
const SHA256_OID = "2.16.840.1.101.3.4.2.1";
const NULL = Uint8Array.of(TAG.NULL, 0);
const EXPLICIT_0 = 0xa0;
const IMPLICIT_0_PRIMITIVE = 0x80;

/**
 * @typedef {object} PfxContents
 * @property {Uint8Array} certificateDer the certificate whose key is in the file
 * @property {Uint8Array} pkcs8 the PKCS#8 PrivateKeyInfo (with R as the KISA attribute when the file had it)
 * @property {Uint8Array[]} chain the other certificates in the file
 */

/**
 * DER INTEGER of a small non-negative number.
 * @param {number} n
 * @returns {Uint8Array}
 */
function integer(n) {
  const out = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256);
  if (out.length === 0 || out[0] & 0x80) out.unshift(0);
  return encode(TAG.INTEGER, Uint8Array.from(out));
}

/**
 * A small non-negative INTEGER as a number.
 * @param {import("./asn1.js").Node} node
 * @returns {number}
 */
function readInteger(node) {
  const v = expect(node, TAG.INTEGER).value;
  if (v.length === 0 || v.length > 5 || v[0] & 0x80) throw new Asn1Error({ messageEn: "PFX: INTEGER out of range" });
  return v.reduce((n, b) => n * 256 + b, 0);
}

/**
 * The password as PKCS#12 wants it for its KDF: BMPString (UTF-16BE) with two terminating zero bytes.
 * @param {string} password
 * @returns {Uint8Array}
 */
function bmpPassword(password) {
  const out = new Uint8Array(password.length * 2 + 2);
  for (let i = 0; i < password.length; i++) {
    out[2 * i] = password.charCodeAt(i) >> 8;
    out[2 * i + 1] = password.charCodeAt(i) & 0xff;
  }
  return out;
}

/**
 * @param {Uint8Array} data
 * @param {number} v
 * @returns {Uint8Array} `data` repeated to a multiple of `v` bytes (empty stays empty)
 */
function stretch(data, v) {
  const out = new Uint8Array(Math.ceil(data.length / v) * v);
  for (let i = 0; i < out.length; i++) out[i] = data[i % data.length];
  return out;
}

/**
 * The PFX MAC key (RFC 7292 B.2 with ID 3): one hash block, which is the HMAC key length for every digest here.
 * @param {string} password
 * @param {Uint8Array} salt
 * @param {number} iterations
 * @param {string} hash WebCrypto name
 * @param {number} v the hash's block size in bytes
 * @returns {Promise<CryptoKey>}
 */
async function macKey(password, salt, iterations, hash, v) {
  const pass = bmpPassword(checkPasswordGiven(password));
  const input = concat(new Uint8Array(v).fill(3), stretch(salt, v), stretch(pass, v));
  wipe(pass);
  let block = new Uint8Array(await subtle().digest(hash, input));
  wipe(input);
  for (let i = 1; i < iterations; i++) block = new Uint8Array(await subtle().digest(hash, block));
  const key = await subtle().importKey("raw", block, { name: "HMAC", hash }, false, ["sign", "verify"]);
  wipe(block);
  return key;
}

/**
 * @param {string} oid
 * @param {Uint8Array} value DER of the bag value
 * @param {Uint8Array[]} attributes DER Attributes
 * @returns {Uint8Array} a SafeBag
 */
function safeBag(oid, value, attributes) {
  return encode(TAG.SEQUENCE, encodeOid(oid), encode(EXPLICIT_0, value), encode(TAG.SET, ...attributes));
}

/**
 * @param {string} oid
 * @param {Uint8Array} value DER of the one attribute value
 * @returns {Uint8Array}
 */
function attribute(oid, value) {
  return encode(TAG.SEQUENCE, encodeOid(oid), encode(TAG.SET, value));
}

/**
 * @param {Uint8Array} safeContents DER SafeContents
 * @returns {Uint8Array} a Data ContentInfo
 */
function dataContent(safeContents) {
  return encode(TAG.SEQUENCE, encodeOid(OID.DATA), encode(EXPLICIT_0, encode(TAG.OCTET_STRING, safeContents)));
}

/**
 * @param {Uint8Array} safeContents DER SafeContents
 * @param {string} password
 * @param {number} iterations
 * @returns {Promise<Uint8Array>} an EncryptedData ContentInfo (PBES2)
 */
async function encryptedContent(safeContents, password, iterations) {
  const [algorithm, data] = children(decode(await encryptPkcs8(safeContents, password, { iterations })));
  const info = encode(TAG.SEQUENCE, encodeOid(OID.DATA), algorithm.der, encode(IMPLICIT_0_PRIMITIVE, data.value));
  return encode(TAG.SEQUENCE, encodeOid(OID.ENCRYPTED_DATA), encode(EXPLICIT_0, encode(TAG.SEQUENCE, integer(0), info)));
}

/**
 * Write a PFX: the certificate (and `chain`) and the key, R kept inside the PKCS#8 when it carries it.
 * @param {{certificateDer: BufferSource, pkcs8: BufferSource, password: string, chain?: BufferSource[],
 *   friendlyName?: string, iterations?: number}} input
 * @returns {Promise<Uint8Array>} DER PFX
 */
export async function writePfx({ certificateDer, pkcs8, password, chain = [], friendlyName, iterations = PFX_ITERATIONS }) {
  checkPasswordGiven(password);
  const cert = asBytes(certificateDer);
  const localKeyId = attribute(OID.LOCAL_KEY_ID,
    encode(TAG.OCTET_STRING, new Uint8Array(await subtle().digest("SHA-1", cert))));
  const names = friendlyName ? [attribute(OID.FRIENDLY_NAME, encode(TAG.BMP_STRING, bmpPassword(friendlyName).subarray(0, -2)))] : [];
  const certBag = (/** @type {Uint8Array} */ der, /** @type {Uint8Array[]} */ attrs) => safeBag(OID.CERT_BAG,
    encode(TAG.SEQUENCE, encodeOid(OID.X509_CERTIFICATE), encode(EXPLICIT_0, encode(TAG.OCTET_STRING, der))), attrs);
  const certs = encode(TAG.SEQUENCE, certBag(cert, [localKeyId, ...names]), ...chain.map((c) => certBag(asBytes(c), [])));
  const shrouded = await encryptPkcs8(pkcs8, password, { iterations });
  const keys = encode(TAG.SEQUENCE, safeBag(OID.SHROUDED_KEY_BAG, shrouded, [localKeyId, ...names]));
  const authSafe = encode(TAG.SEQUENCE, await encryptedContent(certs, password, iterations), dataContent(keys));
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const key = await macKey(password, salt, iterations, "SHA-256", 64);
  const mac = new Uint8Array(await subtle().sign("HMAC", key, authSafe));
  const macData = encode(TAG.SEQUENCE,
    encode(TAG.SEQUENCE, encode(TAG.SEQUENCE, encodeOid(SHA256_OID), NULL), encode(TAG.OCTET_STRING, mac)),
    encode(TAG.OCTET_STRING, salt), integer(iterations));
  return encode(TAG.SEQUENCE, integer(3), dataContent(authSafe), macData);
}

/**
 * The octets of a Data ContentInfo's `[0] EXPLICIT OCTET STRING`.
 * @param {import("./asn1.js").Node} contentInfo
 * @returns {Uint8Array}
 */
function dataOf(contentInfo) {
  const [type, content] = children(expect(contentInfo, TAG.SEQUENCE));
  if (readOid(type) !== OID.DATA) throw new Asn1Error({ messageEn: "PFX: authSafe is not Data (public-key mode?)" });
  return expect(children(expect(content, EXPLICIT_0))[0], TAG.OCTET_STRING).value;
}

/**
 * Check the MAC of a PFX; a mismatch is a wrong password.
 * @param {import("./asn1.js").Node} macData
 * @param {Uint8Array} authSafe
 * @param {string} password
 */
async function checkMac(macData, authSafe, password) {
  const [digestInfo, saltNode, countNode] = children(expect(macData, TAG.SEQUENCE));
  const [algorithm, digest] = children(expect(digestInfo, TAG.SEQUENCE));
  const oid = readOid(children(expect(algorithm, TAG.SEQUENCE))[0]);
  const known = /** @type {Record<string, [string, number]>} */ (MAC_DIGESTS)[oid];
  if (!known) {
    throw new InvalidInputError({ messageKo: "이 PFX의 MAC 방식은 지원하지 않습니다.",
      messageEn: `This PFX's MAC digest (${oid}) is not supported.` });
  }
  const iterations = countNode ? readInteger(countNode) : 1;
  if (iterations < 1 || iterations > MAX_MAC_ITERATIONS) throw new Asn1Error({ messageEn: "PFX: MAC iterations out of range" });
  const key = await macKey(password, expect(saltNode, TAG.OCTET_STRING).value, iterations, ...known);
  const ok = await subtle().verify("HMAC", key, expect(digest, TAG.OCTET_STRING).value, authSafe);
  if (!ok) throw new WrongPasswordError();
}

/** The error for a safe or key in a cipher the browser lacks. */
function legacyCipher() {
  return new InvalidInputError({
    code: "pfx_legacy_cipher",
    messageKo: "이 PFX는 구형 암호화 방식(3DES/RC2)이라 웹 브라우저에서 열 수 없습니다. PC에서 jointcert import로 가져온 뒤 PC → 휴대폰 복사를 쓰십시오.",
    messageEn: "This PFX uses a legacy cipher (3DES/RC2) that browsers cannot open; import it on a PC with `jointcert import` and copy it to the phone.",
  });
}

/**
 * Decrypt PBES2-encrypted bytes (the parameters `pbes2.js` reads).
 * @param {import("./asn1.js").Node} algorithm AlgorithmIdentifier
 * @param {Uint8Array} ciphertext
 * @param {string} password
 * @returns {Promise<Uint8Array>}
 */
async function decryptPbes2(algorithm, ciphertext, password) {
  if (readOid(children(expect(algorithm, TAG.SEQUENCE))[0]) !== OID.PBES2) throw legacyCipher();
  try {
    return await decryptPkcs8(encode(TAG.SEQUENCE, algorithm.der, encode(TAG.OCTET_STRING, ciphertext)), password);
  } catch (err) {
    if (err instanceof Asn1Error) throw legacyCipher(); // PBES2 with another PRF or cipher (e.g. SEED, 3DES)
    throw err;
  }
}

/**
 * The SafeContents of one ContentInfo of the AuthenticatedSafe (plain or PBES2-encrypted).
 * @param {import("./asn1.js").Node} contentInfo
 * @param {string} password
 * @returns {Promise<import("./asn1.js").Node[]>} its SafeBags
 */
async function safeContents(contentInfo, password) {
  const [type, content] = children(expect(contentInfo, TAG.SEQUENCE));
  const kind = readOid(type);
  if (kind === OID.DATA) return children(expect(decode(dataOf(contentInfo)), TAG.SEQUENCE));
  if (kind !== OID.ENCRYPTED_DATA) throw new Asn1Error({ messageEn: `PFX: unsupported safe ${kind}` });
  const [, info] = children(expect(children(expect(content, EXPLICIT_0))[0], TAG.SEQUENCE));
  const [, algorithm, encrypted] = children(expect(info, TAG.SEQUENCE));
  const ciphertext = encrypted?.tag === IMPLICIT_0_PRIMITIVE ? encrypted.value
    : concat(...children(expect(encrypted, EXPLICIT_0)).map((part) => expect(part, TAG.OCTET_STRING).value));
  const plain = await decryptPbes2(algorithm, ciphertext, password);
  return children(expect(decode(plain), TAG.SEQUENCE));
}

/**
 * @param {import("./asn1.js").Node} bag
 * @returns {{oid: string, value: import("./asn1.js").Node, keyId: string | null}}
 */
function readBag(bag) {
  const [type, value, attributes] = children(expect(bag, TAG.SEQUENCE));
  let keyId = null;
  for (const attr of attributes ? children(expect(attributes, TAG.SET)) : []) {
    const [attrType, values] = children(expect(attr, TAG.SEQUENCE));
    if (readOid(attrType) === OID.LOCAL_KEY_ID) {
      keyId = Array.from(expect(children(expect(values, TAG.SET))[0], TAG.OCTET_STRING).value).join(",");
    }
  }
  return { oid: readOid(type), value: children(expect(value, EXPLICIT_0))[0], keyId };
}

/**
 * Read a PFX: the certificate, its key (with R when the file has it) and the other certificates.
 * @param {BufferSource} data
 * @param {string} password
 * @returns {Promise<PfxContents>}
 * @throws {WrongPasswordError} when the MAC does not match (a wrong password)
 * @throws {InvalidInputError} for a PFX the browser cannot read (legacy cipher, no key, no certificate)
 * @throws {Asn1Error} when the bytes are not a PFX
 */
export async function readPfx(data, password) {
  const [version, authSafeInfo, macData] = children(expect(decode(data), TAG.SEQUENCE));
  if (readInteger(version) !== 3) throw new Asn1Error({ messageEn: "PFX: version is not 3" });
  const authSafe = dataOf(authSafeInfo);
  if (!macData) {
    throw new InvalidInputError({ messageKo: "MAC이 없는 PFX는 가져올 수 없습니다.",
      messageEn: "A PFX without a MAC cannot be imported." });
  }
  await checkMac(macData, authSafe, password);
  /** @type {{der: Uint8Array, keyId: string | null}[]} */ const certs = [];
  /** @type {{pkcs8: Uint8Array, keyId: string | null}[]} */ const keys = [];
  for (const info of children(expect(decode(authSafe), TAG.SEQUENCE))) {
    for (const bag of (await safeContents(info, password)).map(readBag)) {
      if (bag.oid === OID.CERT_BAG) {
        const [certType, certValue] = children(expect(bag.value, TAG.SEQUENCE));
        if (readOid(certType) !== OID.X509_CERTIFICATE) continue;
        certs.push({ der: expect(children(expect(certValue, EXPLICIT_0))[0], TAG.OCTET_STRING).value.slice(),
          keyId: bag.keyId });
      } else if (bag.oid === OID.SHROUDED_KEY_BAG) {
        const [algorithm, encrypted] = children(expect(bag.value, TAG.SEQUENCE));
        keys.push({ pkcs8: await decryptPbes2(algorithm, expect(encrypted, TAG.OCTET_STRING).value, password),
          keyId: bag.keyId });
      } else if (bag.oid === OID.KEY_BAG) {
        keys.push({ pkcs8: bag.value.der.slice(), keyId: bag.keyId });
      }
    }
  }
  if (keys.length === 0 || certs.length === 0) {
    throw new InvalidInputError({ messageKo: "PFX에 인증서와 개인키가 함께 들어 있지 않습니다.",
      messageEn: "The PFX does not hold both a certificate and its private key." });
  }
  const key = keys[0];
  const mine = certs.find((c) => key.keyId !== null && c.keyId === key.keyId) ?? certs[0];
  return { certificateDer: mine.der, pkcs8: key.pkcs8, chain: certs.filter((c) => c !== mine).map((c) => c.der) };
}
