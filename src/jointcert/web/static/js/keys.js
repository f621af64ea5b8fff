/**
 * The user's key pair: RSASSA-PKCS1-v1_5, 2048 bits, SHA-256 (the KISA profile), made with WebCrypto on the
 * device; SPKI export, signing, and R (randomNum, the 20 random bytes behind the VID).
 *
 * The private key of a new pair is extractable: WebCrypto fixes extractability when a key is made, and the vault
 * must wrap the key (encrypt its PKCS#8) to keep it. Hold it only until {@link module:vault} has stored it; every
 * key the vault hands back afterwards is non-extractable.
 * @module keys
 */

import { CryptoUnavailableError, InvalidInputError } from "./errors.js";
import { asBytes } from "./bytes.js";

/** Key generation parameters (RSA-2048, e = 65537, SHA-256). */
export const RSA_KEY_ALGORITHM = Object.freeze({
  name: "RSASSA-PKCS1-v1_5",
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: "SHA-256",
});
/** Import parameters for keys of that algorithm. */
export const RSA_IMPORT_ALGORITHM = Object.freeze({ name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" });
/** Length of R in bytes. */
export const RANDOM_NUM_LENGTH = 20;

/**
 * WebCrypto's SubtleCrypto, or a typed error when the page cannot use it (old browser, not a secure context).
 * @returns {SubtleCrypto}
 * @throws {CryptoUnavailableError}
 */
export function subtle() {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new CryptoUnavailableError();
  return s;
}

/**
 * A new key pair. The private key is extractable (for the vault to wrap it) and may only sign.
 * @returns {Promise<{privateKey: CryptoKey, publicKey: CryptoKey, spki: Uint8Array}>} spki: SubjectPublicKeyInfo DER
 */
export async function generateKeyPair() {
  const pair = await subtle().generateKey(RSA_KEY_ALGORITHM, true, ["sign", "verify"]);
  return { privateKey: pair.privateKey, publicKey: pair.publicKey, spki: await exportSpki(pair.publicKey) };
}

/**
 * The SubjectPublicKeyInfo DER of a public key (use `bytes.toBase64` for the API).
 * @param {CryptoKey} publicKey
 * @returns {Promise<Uint8Array>}
 */
export async function exportSpki(publicKey) {
  return new Uint8Array(await subtle().exportKey("spki", publicKey));
}

/**
 * A public key from SubjectPublicKeyInfo DER, for verifying.
 * @param {BufferSource} spki
 * @returns {Promise<CryptoKey>}
 */
export async function importPublicKey(spki) {
  return subtle().importKey("spki", asBytes(spki), RSA_IMPORT_ALGORITHM, true, ["verify"]);
}

/**
 * A signing key from PKCS#8 PrivateKeyInfo DER without attributes (see `pkcs8.withoutAttributes`).
 * @param {BufferSource} pkcs8
 * @param {{extractable?: boolean}} [options] non-extractable unless asked
 * @returns {Promise<CryptoKey>}
 */
export async function importPrivateKey(pkcs8, { extractable = false } = {}) {
  try {
    return await subtle().importKey("pkcs8", asBytes(pkcs8), RSA_IMPORT_ALGORITHM, extractable, ["sign"]);
  } catch (err) {
    throw new InvalidInputError({
      code: "invalid_private_key",
      messageKo: "개인키 형식이 올바르지 않습니다.",
      messageEn: "The private key is not an RSA PKCS#8 key.",
      cause: err,
    });
  }
}

/**
 * Sign bytes (a challenge, a proof-of-possession input) with sha256WithRSAEncryption.
 * @param {CryptoKey} privateKey
 * @param {BufferSource | string} data strings are signed as UTF-8
 * @returns {Promise<Uint8Array>} the 256-byte signature
 */
export async function sign(privateKey, data) {
  return new Uint8Array(await subtle().sign(RSA_IMPORT_ALGORITHM, privateKey, asBytes(data)));
}

/**
 * Verify a sha256WithRSAEncryption signature.
 * @param {CryptoKey | BufferSource} publicKey a CryptoKey or SPKI DER
 * @param {BufferSource} signature
 * @param {BufferSource | string} data
 * @returns {Promise<boolean>}
 */
export async function verify(publicKey, signature, data) {
  const key = publicKey instanceof CryptoKey ? publicKey : await importPublicKey(publicKey);
  return subtle().verify(RSA_IMPORT_ALGORITHM, key, asBytes(signature), asBytes(data));
}

/**
 * Whether a private key belongs to a public key: signs a random probe and verifies it (false, not an error, for
 * keys of another kind).
 * @param {CryptoKey} privateKey
 * @param {CryptoKey | BufferSource} publicKey a CryptoKey or SPKI DER
 * @returns {Promise<boolean>}
 */
export async function keyPairMatches(privateKey, publicKey) {
  const probe = crypto.getRandomValues(new Uint8Array(32));
  try {
    return await verify(publicKey, await sign(privateKey, probe), probe);
  } catch {
    return false; // not an RSA key, or a key of another algorithm
  }
}

/**
 * A fresh R (randomNum): 20 bytes from the browser's CSPRNG.
 * @returns {Uint8Array}
 */
export function randomNum() {
  return crypto.getRandomValues(new Uint8Array(RANDOM_NUM_LENGTH));
}
