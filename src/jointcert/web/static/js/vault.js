/**
 * The wallet: credentials (private key + R + certificate) kept in IndexedDB, the private key and R encrypted under
 * a key derived from the certificate password (PBKDF2-HMAC-SHA256 ≥ 600,000 iterations, 16-byte salt;
 * AES-256-GCM, a fresh 96-bit IV per ciphertext, the credential id and the field as associated data).
 *
 * Stored record (object store `credentials`, key `id`):
 * `{version: 1, id, kdf: {name: "PBKDF2", hash: "SHA-256", iterations, salt}, cipher: {name: "AES-GCM", keyIv,
 *   randomNumIv}, wrappedKey (AES-GCM of the PKCS#8), encryptedRandomNum (AES-GCM of R), certificateDer, meta,
 *   createdAt, updatedAt}` — `id` is the hex SHA-256 of the certificate DER. A sign + km pair adds the encryption
 * certificate (`kmCertificateDer`) and its key (`wrappedKmKey`, AES-GCM of its PKCS#8 under the same password key,
 * IV `cipher.kmKeyIv`, field "kmKey" in the associated data); the km key carries no R, like a real kmPri.key.
 * The password is never stored; plaintext PKCS#8 never reaches storage and, when saving a CryptoKey or unlocking,
 * never exists in JavaScript memory at all (WebCrypto wrapKey / unwrapKey).
 * @module vault
 */

import { CredentialCorruptError, CredentialExistsError, CredentialNotFoundError, InvalidInputError, KeyMismatchError,
  WrongPasswordError } from "./errors.js";
import { asBytes, toHex, utf8, wipe } from "./bytes.js";
import { parseCertificate } from "./certinfo.js";
import { DEFAULT_ITERATIONS, MAX_ITERATIONS, MIN_ITERATIONS, SALT_LENGTH, checkPasswordGiven, deriveVaultKey, newSalt }
  from "./kdf.js";
import { RSA_IMPORT_ALGORITHM, importPrivateKey, keyPairMatches, subtle } from "./keys.js";
import { readRandomNum, withRandomNum, withoutAttributes } from "./pkcs8.js";
import { openStore, result, transact } from "./idb.js";

/** Default IndexedDB database name. */
export const DEFAULT_DB_NAME = "jointcert-wallet";
const STORE = "credentials";
const RECORD_VERSION = 1;

/**
 * A stored credential's public parts: what the wallet list shows, no password needed.
 * @typedef {object} CredentialSummary
 * @property {string} id hex SHA-256 of the certificate DER
 * @property {Uint8Array} certificateDer
 * @property {Uint8Array | null} kmCertificateDer the encryption certificate of a sign + km pair
 * @property {import("./certinfo.js").CertificateInfo | null} info parsed from the certificate (null if it cannot
 *   be parsed: show the entry as damaged)
 * @property {Record<string, unknown>} meta what the page passed when saving (e.g. `{type: "limited"}`)
 * @property {Date} createdAt
 * @property {Date} updatedAt
 * @property {number} iterations PBKDF2 iterations protecting it
 */

/**
 * What to save: the private key as an extractable CryptoKey (from keys.generateKeyPair) or as PKCS#8 DER (a key
 * brought from a PC; a KISA randomNum attribute in it supplies R when `randomNum` is absent).
 * @typedef {object} NewCredential
 * @property {CryptoKey} [privateKey]
 * @property {BufferSource} [pkcs8]
 * @property {BufferSource} [randomNum] R
 * @property {BufferSource} certificateDer the certificate issued for this key
 * @property {Record<string, unknown>} [meta] anything structured-cloneable, public (type, label, …)
 * @property {KmPart} [km] the encryption (km) certificate of a sign + km pair and its private key
 */

/**
 * The encryption half of a sign + km pair (kmCert.der + kmPri.key).
 * @typedef {object} KmPart
 * @property {CryptoKey} [privateKey] extractable, from keys.generateKeyPair
 * @property {BufferSource} [pkcs8] or the key as PKCS#8 DER (from a PC)
 * @property {BufferSource} certificateDer
 */

/**
 * @param {string} id
 * @param {"key" | "randomNum" | "kmKey"} field
 * @returns {Uint8Array}
 */
function aad(id, field) {
  return utf8(`jointcert-vault/v${RECORD_VERSION}\u0000${field}\u0000${id}`);
}

/**
 * @param {string} id
 * @param {Uint8Array} iv
 * @param {"key" | "randomNum" | "kmKey"} field
 * @returns {AesGcmParams}
 */
function gcm(id, iv, field) {
  return { name: "AES-GCM", iv, additionalData: aad(id, field), tagLength: 128 };
}

/** @returns {Uint8Array} a fresh 96-bit IV */
function newIv() {
  return crypto.getRandomValues(new Uint8Array(12));
}

/**
 * @param {unknown} err
 * @returns {boolean} whether WebCrypto refused to decrypt (an AES-GCM tag mismatch)
 */
function isTagFailure(err) {
  return err instanceof DOMException && err.name === "OperationError";
}

/**
 * Encrypt a private key (CryptoKey or PKCS#8) and R under a fresh password key: the record's secret fields.
 * @param {string} id
 * @param {{privateKey?: CryptoKey, pkcs8?: Uint8Array}} key
 * @param {Uint8Array} randomNum
 * @param {string} password
 * @param {number} iterations
 * @param {{privateKey?: CryptoKey, pkcs8?: Uint8Array} | null} [kmKey] the km key of a pair
 * @param {import("./kdf.js").PreparedKey} [prepared] the password key derived ahead (kdf.prepareKey)
 */
async function seal(id, key, randomNum, password, iterations, kmKey = null, prepared = undefined) {
  const ready = prepared?.password === password && prepared.iterations === iterations ? prepared : null;
  const salt = ready ? ready.salt : newSalt();
  const keyIv = newIv();
  const randomNumIv = newIv();
  const aesKey = await (ready ? ready.key : deriveVaultKey(password, salt, iterations));
  const wrappedKey = key.privateKey
    ? await subtle().wrapKey("pkcs8", key.privateKey, aesKey, gcm(id, keyIv, "key"))
    : await subtle().encrypt(gcm(id, keyIv, "key"), aesKey, /** @type {Uint8Array} */ (key.pkcs8));
  const encryptedRandomNum = await subtle().encrypt(gcm(id, randomNumIv, "randomNum"), aesKey, randomNum);
  const sealed = {
    kdf: { name: "PBKDF2", hash: "SHA-256", iterations, salt },
    cipher: { name: "AES-GCM", keyIv, randomNumIv },
    wrappedKey: new Uint8Array(wrappedKey),
    encryptedRandomNum: new Uint8Array(encryptedRandomNum),
  };
  if (!kmKey) return sealed;
  const kmKeyIv = newIv();
  const wrappedKmKey = kmKey.privateKey
    ? await subtle().wrapKey("pkcs8", kmKey.privateKey, aesKey, gcm(id, kmKeyIv, "kmKey"))
    : await subtle().encrypt(gcm(id, kmKeyIv, "kmKey"), aesKey, /** @type {Uint8Array} */ (kmKey.pkcs8));
  return { ...sealed, cipher: { ...sealed.cipher, kmKeyIv }, wrappedKmKey: new Uint8Array(wrappedKmKey) };
}

/**
 * The km key's PKCS#8 of an opened record (null for a single certificate).
 * @param {any} record
 * @param {CryptoKey} aesKey
 * @returns {Promise<Uint8Array | null>}
 */
async function openKmKey(record, aesKey) {
  if (!record.wrappedKmKey) return null;
  try {
    return new Uint8Array(await subtle().decrypt(gcm(record.id, record.cipher.kmKeyIv, "kmKey"), aesKey,
      record.wrappedKmKey));
  } catch (err) {
    throw new CredentialCorruptError({ cause: err });
  }
}

/**
 * Check and normalise the km half of a new credential.
 * @param {KmPart | undefined} km
 * @returns {Promise<{key: {privateKey?: CryptoKey, pkcs8?: Uint8Array}, certificateDer: Uint8Array} | null>}
 */
async function kmInput(km) {
  if (!km) return null;
  const certificateDer = asBytes(km.certificateDer).slice();
  const info = parseCertificate(certificateDer);
  if (km.privateKey && !km.privateKey.extractable) {
    throw new InvalidInputError({ messageEn: "The km private key is not extractable." });
  }
  const key = km.privateKey ? { privateKey: km.privateKey } : { pkcs8: withoutAttributes(asBytes(km.pkcs8 ?? new Uint8Array())) };
  const signer = km.privateKey ?? (await importPrivateKey(/** @type {Uint8Array} */ (key.pkcs8)));
  if (!(await keyPairMatches(signer, info.spki))) throw new KeyMismatchError();
  return { key, certificateDer };
}

/**
 * Derive the record's password key and decrypt R with it; a tag failure means a wrong password.
 * @param {any} record
 * @param {string} password
 * @returns {Promise<{aesKey: CryptoKey, randomNum: Uint8Array}>}
 * @throws {WrongPasswordError}
 */
async function openRecord(record, password) {
  const aesKey = await deriveVaultKey(password, record.kdf.salt, record.kdf.iterations);
  try {
    const r = await subtle().decrypt(gcm(record.id, record.cipher.randomNumIv, "randomNum"), aesKey,
      record.encryptedRandomNum);
    return { aesKey, randomNum: new Uint8Array(r) };
  } catch (err) {
    if (isTagFailure(err)) throw new WrongPasswordError();
    throw new CredentialCorruptError({ cause: err });
  }
}

/**
 * Unwrap the private key of an opened record (the password was already proven right by `openRecord`).
 * @param {any} record
 * @param {CryptoKey} aesKey
 * @param {boolean} extractable
 * @returns {Promise<CryptoKey>}
 */
async function unwrapPrivateKey(record, aesKey, extractable) {
  try {
    return await subtle().unwrapKey("pkcs8", record.wrappedKey, aesKey, gcm(record.id, record.cipher.keyIv, "key"),
      RSA_IMPORT_ALGORITHM, extractable, ["sign"]);
  } catch (err) {
    throw new CredentialCorruptError({ cause: err });
  }
}

/**
 * Whether a stored record has the shape this version writes (a damaged record must fail cleanly, not hang).
 * @param {any} record
 * @returns {boolean}
 */
function wellFormed(record) {
  const bytes = (/** @type {unknown} */ v, /** @type {number} */ n) => v instanceof Uint8Array && (!n || v.length === n);
  const { kdf, cipher } = record;
  return (
    record.version === RECORD_VERSION &&
    kdf?.name === "PBKDF2" && kdf.hash === "SHA-256" && Number.isSafeInteger(kdf.iterations) &&
    kdf.iterations >= 1 && kdf.iterations <= MAX_ITERATIONS && bytes(kdf.salt, SALT_LENGTH) &&
    cipher?.name === "AES-GCM" && bytes(cipher.keyIv, 12) && bytes(cipher.randomNumIv, 12) &&
    bytes(record.wrappedKey, 0) && bytes(record.encryptedRandomNum, 0) && bytes(record.certificateDer, 0) &&
    (record.wrappedKmKey === undefined ||
      (bytes(record.wrappedKmKey, 0) && bytes(record.kmCertificateDer, 0) && bytes(cipher.kmKeyIv, 12)))
  );
}

/**
 * @param {any} record
 * @returns {CredentialSummary}
 */
function summarize(record) {
  let info = null;
  try {
    info = parseCertificate(record.certificateDer);
  } catch {
    // listed with info null: the page shows it as damaged and offers to delete it
  }
  return {
    id: record.id,
    certificateDer: record.certificateDer,
    kmCertificateDer: record.kmCertificateDer ?? null,
    info,
    meta: record.meta,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    iterations: record.kdf.iterations,
  };
}

/**
 * Normalise the private key input: a CryptoKey as it is, PKCS#8 with R taken from its attribute if needed.
 * @param {NewCredential} credential
 * @returns {Promise<{key: {privateKey?: CryptoKey, pkcs8?: Uint8Array}, signer: CryptoKey, randomNum: Uint8Array}>}
 */
async function privateKeyInput({ privateKey, pkcs8, randomNum }) {
  if (privateKey && !privateKey.extractable) {
    throw new InvalidInputError({ messageEn: "The private key is not extractable; save keys from generateKeyPair()." });
  }
  let key = { privateKey };
  let r = randomNum === undefined || randomNum === null ? null : asBytes(randomNum);
  if (!privateKey) {
    if (!pkcs8) throw new InvalidInputError({ messageEn: "Give privateKey or pkcs8." });
    r ??= readRandomNum(pkcs8);
    key = { pkcs8: withoutAttributes(pkcs8) };
  }
  // an explicitly empty R: a key brought without one (a PFX re-exported by OpenSSL); it cannot prove a VID
  if (!r || (r.length === 0 && randomNum === undefined)) {
    throw new InvalidInputError({ messageEn: "R (randomNum) is missing." });
  }
  const signer = privateKey ?? (await importPrivateKey(/** @type {Uint8Array} */ (key.pkcs8)));
  return { key, signer, randomNum: r };
}

/** A wallet in one IndexedDB database. Get one with {@link openVault}. */
export class Vault {
  /**
   * @param {IDBDatabase} db
   * @param {number} iterations PBKDF2 iterations for new and re-encrypted credentials
   */
  constructor(db, iterations) {
    this.db = db;
    this.iterations = iterations;
  }

  /**
   * Store a credential encrypted under `password`. Checks that the certificate's key is this private key.
   * @param {NewCredential} credential
   * @param {string} password the certificate password (check it against the password policy first)
   * @param {{prepared?: import("./kdf.js").PreparedKey}} [options] its key derived ahead (kdf.prepareKey)
   * @returns {Promise<CredentialSummary>}
   * @throws {KeyMismatchError | CredentialExistsError | InvalidInputError | import("./errors.js").Asn1Error}
   */
  async saveCredential(credential, password, { prepared } = {}) {
    checkPasswordGiven(password);
    const certificateDer = asBytes(credential.certificateDer).slice();
    const info = parseCertificate(certificateDer);
    const { key, signer, randomNum } = await privateKeyInput(credential);
    if (!(await keyPairMatches(signer, info.spki))) throw new KeyMismatchError();
    const km = await kmInput(credential.km);
    const id = toHex(await subtle().digest("SHA-256", certificateDer));
    const now = new Date();
    const sealed = await seal(id, key, randomNum, password, this.iterations, km?.key, prepared);
    wipe(key.pkcs8); // our attribute-free copy; the caller's bytes are theirs to wipe
    wipe(km?.key.pkcs8);
    const record = {
      version: RECORD_VERSION,
      id,
      ...sealed,
      certificateDer,
      ...(km ? { kmCertificateDer: km.certificateDer } : {}),
      meta: { ...(credential.meta ?? {}) },
      createdAt: now,
      updatedAt: now,
    };
    await transact(this.db, STORE, "readwrite", async (store) => {
      if ((await result(store.count(id))) > 0) throw new CredentialExistsError();
      await result(store.add(record));
    });
    return summarize(record);
  }

  /**
   * Every stored credential's public parts, oldest first.
   * @returns {Promise<CredentialSummary[]>}
   */
  async listCredentials() {
    const records = await transact(this.db, STORE, "readonly", (store) => result(store.getAll()));
    return records.sort((a, b) => a.createdAt - b.createdAt).map(summarize);
  }

  /**
   * Decrypt a credential for use: a non-extractable signing key and R.
   * @param {string} id
   * @param {string} password
   * @returns {Promise<{privateKey: CryptoKey, randomNum: Uint8Array, certificateDer: Uint8Array}>}
   * @throws {WrongPasswordError | CredentialNotFoundError | CredentialCorruptError}
   */
  async unlock(id, password) {
    const record = await this.#get(id);
    const { aesKey, randomNum } = await openRecord(record, checkPasswordGiven(password));
    const privateKey = await unwrapPrivateKey(record, aesKey, false);
    return { privateKey, randomNum, certificateDer: record.certificateDer };
  }

  /**
   * Re-encrypt a credential under a new password (new salt, new IVs, this vault's iteration count).
   * @param {string} id
   * @param {string} oldPassword
   * @param {string} newPassword (check it against the password policy first)
   * @returns {Promise<void>}
   * @throws {WrongPasswordError | CredentialNotFoundError | CredentialCorruptError}
   */
  async changePassword(id, oldPassword, newPassword) {
    checkPasswordGiven(newPassword);
    const record = await this.#get(id);
    const { aesKey, randomNum } = await openRecord(record, checkPasswordGiven(oldPassword));
    const privateKey = await unwrapPrivateKey(record, aesKey, true);
    const kmPkcs8 = await openKmKey(record, aesKey);
    const sealed = await seal(id, { privateKey }, randomNum, newPassword, this.iterations,
      kmPkcs8 ? { pkcs8: kmPkcs8 } : null);
    wipe(kmPkcs8 ?? undefined);
    await transact(this.db, STORE, "readwrite", async (store) => {
      const current = await result(store.get(id));
      if (!current) throw new CredentialNotFoundError();
      await result(store.put({ ...current, ...sealed, updatedAt: new Date() }));
    });
  }

  /**
   * Remove a credential.
   * @param {string} id
   * @returns {Promise<void>}
   * @throws {CredentialNotFoundError}
   */
  async deleteCredential(id) {
    await transact(this.db, STORE, "readwrite", async (store) => {
      if ((await result(store.count(id))) === 0) throw new CredentialNotFoundError();
      await result(store.delete(id));
    });
  }

  /**
   * The private key as PKCS#8 and R, in memory only, for copying the certificate to a PC. `pkcs8WithRandomNum`
   * is the same key carrying R as the KISA attribute: the plaintext of a signPri.key.
   * @param {string} id
   * @param {string} password
   * @returns {Promise<{pkcs8: Uint8Array, pkcs8WithRandomNum: Uint8Array, randomNum: Uint8Array,
   *   certificateDer: Uint8Array, km: {pkcs8: Uint8Array, certificateDer: Uint8Array} | null}>} `km`: the
   *   encryption pair (kmCert.der and the kmPri.key plaintext, no R) of a sign + km pair
   * @throws {WrongPasswordError | CredentialNotFoundError | CredentialCorruptError}
   */
  async exportPkcs8(id, password) {
    const record = await this.#get(id);
    const { aesKey, randomNum } = await openRecord(record, checkPasswordGiven(password));
    let pkcs8;
    try {
      pkcs8 = new Uint8Array(await subtle().decrypt(gcm(id, record.cipher.keyIv, "key"), aesKey, record.wrappedKey));
    } catch (err) {
      throw new CredentialCorruptError({ cause: err });
    }
    const kmPkcs8 = await openKmKey(record, aesKey);
    const km = kmPkcs8 ? { pkcs8: kmPkcs8, certificateDer: record.kmCertificateDer } : null;
    return { pkcs8, pkcs8WithRandomNum: withRandomNum(pkcs8, randomNum), randomNum,
      certificateDer: record.certificateDer, km };
  }

  /** Close the database connection. */
  close() {
    this.db.close();
  }

  /**
   * @param {string} id
   * @returns {Promise<any>}
   */
  async #get(id) {
    const record = await transact(this.db, STORE, "readonly", (store) => result(store.get(id)));
    if (!record) throw new CredentialNotFoundError();
    if (!wellFormed(record)) throw new CredentialCorruptError();
    return record;
  }
}

/**
 * Ask the browser to keep this origin's storage under storage pressure (IndexedDB is "best effort" by default and
 * may be evicted, which would lose the only copy of a private key). Call after saving a credential.
 * @returns {Promise<boolean>} whether storage is persistent now (false when the browser declines or lacks the API)
 */
export async function requestPersistentStorage() {
  try {
    return (await navigator.storage?.persisted?.()) || (await navigator.storage?.persist?.()) || false;
  } catch {
    return false;
  }
}

/**
 * Open the wallet.
 * @param {{name?: string, iterations?: number}} [options] database name; PBKDF2 iterations for new credentials
 *   (at least 600,000)
 * @returns {Promise<Vault>}
 * @throws {import("./errors.js").StorageUnavailableError}
 */
export async function openVault({ name = DEFAULT_DB_NAME, iterations = DEFAULT_ITERATIONS } = {}) {
  if (!Number.isSafeInteger(iterations) || iterations < MIN_ITERATIONS) {
    throw new RangeError(`PBKDF2 iterations must be at least ${MIN_ITERATIONS}`);
  }
  return new Vault(await openStore(name, STORE, "id"), iterations);
}
