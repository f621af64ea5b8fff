/**
 * The vault's password-based key: PBKDF2-HMAC-SHA256 from the certificate password and a random salt to an
 * AES-256-GCM key that WebCrypto keeps non-extractable.
 * @module kdf
 */

import { InvalidInputError } from "./errors.js";
import { utf8, wipe } from "./bytes.js";
import { subtle } from "./keys.js";

/** Iterations for new credentials: OWASP's 2023 figure for PBKDF2-HMAC-SHA256. */
export const DEFAULT_ITERATIONS = 600_000;
/** No new credential is stored with fewer iterations than this. */
export const MIN_ITERATIONS = 600_000;
/** Stored records asking for more than this are refused (a damaged or hostile record must not hang the page). */
export const MAX_ITERATIONS = 10_000_000;
/** Salt length in bytes. */
export const SALT_LENGTH = 16;

/**
 * Check a certificate password is a non-empty string.
 * @param {unknown} password
 * @returns {string}
 * @throws {InvalidInputError}
 */
export function checkPasswordGiven(password) {
  if (typeof password !== "string" || password.length === 0) {
    throw new InvalidInputError({
      code: "password_required",
      messageKo: "인증서 비밀번호를 입력하십시오.",
      messageEn: "Enter the certificate password.",
    });
  }
  return password;
}

/**
 * Derive the AES-256-GCM key that protects one credential.
 * @param {string} password the certificate password (UTF-8 encoded as it is; no normalisation)
 * @param {Uint8Array} salt 16 random bytes
 * @param {number} iterations PBKDF2 iteration count
 * @returns {Promise<CryptoKey>} non-extractable; usages encrypt, decrypt, wrapKey, unwrapKey
 */
export async function deriveVaultKey(password, salt, iterations) {
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
    throw new RangeError(`PBKDF2 iterations out of range: ${iterations}`);
  }
  const secret = utf8(checkPasswordGiven(password));
  try {
    const base = await subtle().importKey("raw", secret, "PBKDF2", false, ["deriveKey"]);
    return await subtle().deriveKey(
      { name: "PBKDF2", hash: "SHA-256", salt, iterations },
      base,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt", "wrapKey", "unwrapKey"],
    );
  } finally {
    wipe(secret);
  }
}

/**
 * A fresh random salt.
 * @returns {Uint8Array}
 */
export function newSalt() {
  return crypto.getRandomValues(new Uint8Array(SALT_LENGTH));
}

/**
 * Milliseconds one PBKDF2-HMAC-SHA256 derivation with `iterations` takes here (to size a progress hint).
 * @param {number} [iterations]
 * @returns {Promise<number>}
 */
export async function timePbkdf2(iterations = DEFAULT_ITERATIONS) {
  const base = await subtle().importKey("raw", utf8("timing only"), "PBKDF2", false, ["deriveBits"]);
  const start = performance.now();
  await subtle().deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: newSalt(), iterations }, base, 256);
  return performance.now() - start;
}

/**
 * A password key derived ahead of saving (PBKDF2 takes a while: start it as soon as the password is final). The
 * vault uses it only for the same password and iteration count, otherwise it derives its own.
 * @typedef {{password: string, salt: Uint8Array, iterations: number, key: Promise<CryptoKey>}} PreparedKey
 */

/**
 * Start deriving the key a new credential will be sealed under.
 * @param {string} password
 * @param {number} [iterations]
 * @returns {PreparedKey}
 */
export function prepareKey(password, iterations = DEFAULT_ITERATIONS) {
  const salt = newSalt();
  const key = deriveVaultKey(password, salt, iterations);
  key.catch(() => null); // a failure surfaces when the vault awaits it
  return { password, salt, iterations, key };
}
