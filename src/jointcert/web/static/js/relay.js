/**
 * Certificate copy between this phone and a PC through the relay (`/api/v1/relay`), end-to-end encrypted.
 *
 * - {@link sendToPc}: "PC로 인증서 복사" — the PC (`jointcert copy receive`) shows a code; the user types it here.
 * - {@link receiveToPhone}: "PC에서 인증서 가져오기" — this page shows a code; the PC (`jointcert copy send`)
 *   sends the certificate; it is saved in the vault.
 *
 * Protocol (same as Python's `jointcert.relay.protocol`): the code is `code_digits` random digits made by the
 * receiving device; the first 4 are the transfer id, the only part the relay sees. `master = PBKDF2-HMAC-SHA256(
 * code digits, 16-byte salt from the receiver, ≥ 600,000 iterations)`; HKDF-SHA256 splits it into the AES-256-GCM
 * payload key and the upload proof; the relay stores SHA-256(proof). The envelope is `IV ‖ AES-GCM(payload,
 * aad = "jointcert-relay/v1\0<id>\0<base64 salt>")`; the payload is JSON with the certificate and the private key
 * (with R) still encrypted under the certificate password (PBES2, see pbes2.js). Neither the password, the key,
 * R nor the code's secret digits are ever sent.
 * @module relay
 */

import { ApiError, InvalidInputError, JointcertError, WrongPasswordError } from "./errors.js";
import { fromBase64, toBase64, utf8, wipe } from "./bytes.js";
import { createApiClient } from "./api.js";
import { parseCertificate } from "./certinfo.js";
import { subtle } from "./keys.js";
import { decryptPkcs8, encryptPkcs8 } from "./pbes2.js";
import { openVault } from "./vault.js";

const PROTOCOL = "jointcert-relay/v1";
const PAYLOAD_FORMAT = "jointcert-relay-payload/v1";
/** Digits of the code that address the transfer (sent to the relay). */
export const ID_DIGITS = 4;
/** Fewest PBKDF2 iterations either side accepts for the code. */
export const MIN_ITERATIONS = 600_000;
/** Most PBKDF2 iterations accepted from a relay. */
export const MAX_ITERATIONS = 10_000_000;
const SALT_BYTES = 16;
const MIN_CODE_DIGITS = 12;

/** An error of the copy detected on this device (the relay's own refusals arrive as `ApiError`s). */
export class RelayError extends JointcertError {
  static code = "relay_error";
  static messageKo = "인증서 복사에 실패했습니다. 다시 시도하십시오.";
  static messageEn = "The certificate copy failed; please try again.";
}

const MESSAGES = Object.freeze({
  relay_payload_tampered: ["받은 인증서 데이터가 변조되었거나 손상되었습니다. 저장하지 않았습니다. 다시 시도하십시오.",
    "The received certificate data was altered or damaged and was not saved; please try again."],
  relay_transfer_expired: ["인증번호의 유효 시간이 지났습니다. 새 인증번호를 받아 다시 시도하십시오.",
    "The copy code has expired; get a new code and try again."],
  relay_transfer_burned: ["인증번호를 여러 번 잘못 입력하여 더 이상 사용할 수 없습니다. 새 인증번호를 받으십시오.",
    "Too many wrong codes: this code can no longer be used; get a new code."],
  relay_already_downloaded: ["이미 받은 인증서입니다. 인증서는 한 번만 받을 수 있습니다.",
    "This certificate was already received; it can be received once."],
  relay_already_uploaded: ["이 인증번호로 이미 인증서를 보냈습니다.", "A certificate has already been sent with this code."],
  relay_transfer_cancelled: ["인증서 복사가 취소되었습니다.", "The certificate copy was cancelled."],
  relay_invalid_code: ["인증번호 형식이 올바르지 않습니다. 표시된 숫자를 모두 입력하십시오.",
    "The copy code is malformed: enter all the digits shown on the other device."],
  relay_bad_parameters: ["중계 서버가 허용되지 않는 값을 보냈습니다.", "The relay sent parameters outside the protocol's limits."],
  relay_bad_payload: ["받은 데이터가 인증서가 아닙니다.", "The received data is not a certificate."],
  relay_password_attempts: ["인증서 비밀번호를 여러 번 잘못 입력했습니다. 처음부터 다시 시도하십시오.",
    "The certificate password was wrong too many times; start the copy again."],
});

/**
 * @param {keyof typeof MESSAGES} code
 * @param {unknown} [cause]
 * @returns {RelayError}
 */
function relayError(code, cause) {
  const [messageKo, messageEn] = MESSAGES[code];
  return new RelayError({ code, messageKo, messageEn, cause });
}

// --- the code -------------------------------------------------------------------------------------------------

/**
 * A fresh code of uniformly random digits (rejection sampling over CSPRNG bytes).
 * @param {number} digits at least 12
 * @returns {string}
 */
export function newCode(digits) {
  if (!Number.isSafeInteger(digits) || digits < MIN_CODE_DIGITS) throw relayError("relay_invalid_code");
  let code = "";
  while (code.length < digits) {
    for (const b of crypto.getRandomValues(new Uint8Array(digits))) {
      if (b < 250 && code.length < digits) code += String(b % 10);
    }
  }
  return code;
}

/**
 * The code grouped by four for reading: `1234-5678-9012`.
 * @param {string} code
 * @returns {string}
 */
export function formatCode(code) {
  return code.replace(/(\d{4})(?=\d)/g, "$1-");
}

/**
 * The digits of a typed code (spaces and dashes ignored).
 * @param {string} text
 * @returns {string}
 * @throws {RelayError} `relay_invalid_code`
 */
export function parseCode(text) {
  const code = String(text ?? "").replace(/[\s-]/g, "");
  if (!/^[0-9]+$/.test(code) || code.length < MIN_CODE_DIGITS) throw relayError("relay_invalid_code");
  return code;
}

/**
 * The code's keys: `{payloadKey}` (AES-256-GCM, non-extractable) and `{proof}` (32 bytes for the relay).
 * @param {string} code
 * @param {Uint8Array} salt 16 bytes
 * @param {number} iterations
 * @returns {Promise<{payloadKey: CryptoKey, proof: Uint8Array}>}
 */
export async function deriveCodeKeys(code, salt, iterations) {
  if (salt.length !== SALT_BYTES || !Number.isSafeInteger(iterations) || iterations < MIN_ITERATIONS ||
    iterations > MAX_ITERATIONS) {
    throw relayError("relay_bad_parameters");
  }
  const secret = utf8(code);
  let master;
  try {
    const base = await subtle().importKey("raw", secret, "PBKDF2", false, ["deriveBits"]);
    master = new Uint8Array(await subtle().deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, base, 256));
  } finally {
    wipe(secret);
  }
  try {
    const hkdf = await subtle().importKey("raw", master, "HKDF", false, ["deriveKey", "deriveBits"]);
    const params = (/** @type {string} */ info) => ({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0),
      info: utf8(`${PROTOCOL} ${info}`) });
    const payloadKey = await subtle().deriveKey(params("payload key"), hkdf, { name: "AES-GCM", length: 256 }, false,
      ["encrypt", "decrypt"]);
    const proof = new Uint8Array(await subtle().deriveBits(params("upload proof"), hkdf, 256));
    return { payloadKey, proof };
  } finally {
    wipe(master);
  }
}

/**
 * @param {string} id
 * @param {Uint8Array} salt
 * @returns {AesGcmParams & {iv: Uint8Array}}
 */
function gcm(id, salt, iv = crypto.getRandomValues(new Uint8Array(12))) {
  return { name: "AES-GCM", iv, additionalData: utf8(`${PROTOCOL}\u0000${id}\u0000${toBase64(salt)}`), tagLength: 128 };
}

/**
 * @param {any} view the relay's transfer JSON
 * @returns {{salt: Uint8Array, iterations: number}}
 */
function kdfOf(view) {
  const kdf = view?.kdf;
  if (kdf?.name !== "PBKDF2" || kdf?.hash !== "SHA-256") throw relayError("relay_bad_parameters");
  return { salt: fromBase64(kdf.salt), iterations: kdf.iterations };
}

/**
 * Throw the error for a transfer that can no longer progress.
 * @param {any} view
 */
function refuseFinished(view) {
  /** @type {Record<string, keyof typeof MESSAGES>} */
  const codes = { expired: "relay_transfer_expired", burned: "relay_transfer_burned",
    downloaded: "relay_already_downloaded", cancelled: "relay_transfer_cancelled" };
  if (codes[view.status]) throw relayError(codes[view.status]);
}

/**
 * The public view of a transfer, as the page shows it.
 * @typedef {object} TransferStatus
 * @property {string} id the transfer id (the code's first 4 digits)
 * @property {"waiting" | "uploaded" | "downloaded" | "expired" | "burned" | "cancelled"} status
 * @property {Date} expiresAt
 * @property {number} secondsLeft
 * @property {number} attemptsLeft wrong codes still allowed
 */

/**
 * @param {any} view
 * @returns {TransferStatus}
 */
function statusOf(view) {
  return { id: view.id, status: view.status, expiresAt: new Date(view.expires_at), secondsLeft: view.seconds_left,
    attemptsLeft: view.attempts_left };
}

/**
 * @param {number} ms
 * @param {AbortSignal | undefined} signal
 * @returns {Promise<void>}
 */
function delay(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason ?? new DOMException("aborted", "AbortError"));
    }, { once: true });
  });
}

/**
 * The encryption (km) half of a sign + km pair as it travels: kmCert.der and its key under the certificate password.
 * @typedef {{certificateDer: Uint8Array, encryptedKey: Uint8Array}} KmPayload
 */

/**
 * What a transfer carries: the certificate, its key under the certificate password, and the km pair if any.
 * @typedef {{certificateDer: Uint8Array, encryptedKey: Uint8Array, km: KmPayload | null}} Payload
 */

// --- phone → PC -----------------------------------------------------------------------------------------------

/**
 * "PC로 인증서 복사": send a certificate from the vault to the PC that shows `code`.
 * The password opens the vault record and re-encrypts the key for the trip (PBES2); it is never sent.
 * @param {string} code the code shown by `jointcert copy receive` (dashes and spaces are ignored)
 * @param {string} credentialId the vault id (from `vault.listCredentials()`)
 * @param {string} password the certificate password
 * @param {{vault?: import("./vault.js").Vault, api?: ReturnType<typeof createApiClient>}} [options]
 * @returns {Promise<TransferStatus>} status `uploaded`; the PC downloads it next (see {@link waitForTransfer})
 * @throws {import("./errors.js").WrongPasswordError | RelayError | ApiError} ApiError codes from the relay:
 *   `relay_wrong_code` (`problem.attempts_left`), `relay_transfer_burned`, `relay_transfer_expired`,
 *   `relay_transfer_not_found`, `relay_already_uploaded`, `relay_rate_limited`, `network_error`
 */
export async function sendToPc(code, credentialId, password, { vault, api = createApiClient() } = {}) {
  const digits = parseCode(code);
  const view = await api.get(`/relay/transfers/${digits.slice(0, ID_DIGITS)}`);
  if (view.status !== "waiting") {
    refuseFinished(view);
    throw relayError("relay_already_uploaded");
  }
  const ownVault = vault ?? (await openVault());
  let exported;
  try {
    exported = await ownVault.exportPkcs8(credentialId, password);
  } finally {
    if (!vault) ownVault.close();
  }
  let encryptedKey;
  let km = null;
  try {
    encryptedKey = await encryptPkcs8(exported.pkcs8WithRandomNum, password);
    if (exported.km) { // the encryption pair travels with it, wrapped the same way (no R)
      km = { certificateDer: exported.km.certificateDer, encryptedKey: await encryptPkcs8(exported.km.pkcs8, password) };
    }
  } finally {
    wipe(exported.pkcs8);
    wipe(exported.pkcs8WithRandomNum);
    wipe(exported.randomNum);
    wipe(exported.km?.pkcs8);
  }
  return sendPayload(digits, exported.certificateDer, encryptedKey, { api, km });
}

/**
 * Seal a certificate and its password-encrypted key (PBES2 EncryptedPrivateKeyInfo) under `code` and upload them:
 * the sending half that the phone ({@link sendToPc}) and the PC page (`pc-copy.js`) share.
 * @param {string} code the code the receiving device shows
 * @param {Uint8Array} certificateDer
 * @param {Uint8Array} encryptedKey still encrypted under the certificate password
 * @param {{api?: ReturnType<typeof createApiClient>, km?: KmPayload | null}} [options] `km`: the encryption pair
 *   of a sign + km pair (kmCert.der and its key, encrypted the same way)
 * @returns {Promise<TransferStatus>} status `uploaded`
 */
export async function sendPayload(code, certificateDer, encryptedKey, { api = createApiClient(), km = null } = {}) {
  const digits = parseCode(code);
  const id = digits.slice(0, ID_DIGITS);
  const view = await api.get(`/relay/transfers/${id}`);
  if (view.status !== "waiting") {
    refuseFinished(view);
    throw relayError("relay_already_uploaded");
  }
  const { salt, iterations } = kdfOf(view);
  const { payloadKey, proof } = await deriveCodeKeys(digits, salt, iterations);
  const plaintext = utf8(JSON.stringify({ format: PAYLOAD_FORMAT, certificate: toBase64(certificateDer),
    private_key: toBase64(encryptedKey),
    ...(km ? { km_certificate: toBase64(km.certificateDer), km_private_key: toBase64(km.encryptedKey) } : {}) }));
  const params = gcm(id, salt);
  const sealed = new Uint8Array(await subtle().encrypt(params, payloadKey, plaintext));
  const envelope = new Uint8Array(params.iv.length + sealed.length);
  envelope.set(params.iv);
  envelope.set(sealed, params.iv.length);
  const uploaded = await api.put(`/relay/transfers/${id}/payload`, { proof: toBase64(proof),
    envelope: toBase64(envelope) });
  return statusOf(uploaded);
}

/**
 * Poll a transfer until it leaves `status` (e.g. `uploaded` → `downloaded` on the sending phone).
 * @param {string} id
 * @param {{until?: string[], onStatus?: (s: TransferStatus) => void, signal?: AbortSignal, interval?: number,
 *   api?: ReturnType<typeof createApiClient>}} [options] stops at any of `until` (default: downloaded) or a
 *   finished state
 * @returns {Promise<TransferStatus>}
 */
export async function waitForTransfer(id, { until = ["downloaded"], onStatus, signal, interval = 1500,
  api = createApiClient() } = {}) {
  for (;;) {
    const view = await api.get(`/relay/transfers/${id}`, { signal });
    onStatus?.(statusOf(view));
    if (until.includes(view.status)) return statusOf(view);
    refuseFinished(view);
    await delay(interval, signal);
  }
}

// --- PC → phone -----------------------------------------------------------------------------------------------

/**
 * What the page is told once the code exists.
 * @typedef {object} CodeShown
 * @property {string} code the digits
 * @property {string} displayCode grouped: `1234-5678-9012` (show this, large)
 * @property {string} id the transfer id
 * @property {Date} expiresAt
 * @property {number} secondsLeft
 */

/**
 * "PC에서 인증서 가져오기": make a code, show it, wait for `jointcert copy send`, download once, ask for the
 * certificate password and save the certificate in the vault (under that password).
 * @param {object} options
 * @param {(shown: CodeShown) => void} options.onCode show the code (called once)
 * @param {(ask: {certificate: import("./certinfo.js").CertificateInfo, attempt: number, error: Error | null})
 *   => Promise<string>} options.getPassword ask for the certificate password; called again after a wrong one
 *   (`error` is the WrongPasswordError), at most `maxPasswordAttempts` times
 * @param {(s: TransferStatus) => void} [options.onStatus] every poll (for a countdown)
 * @param {AbortSignal} [options.signal] abort: the transfer is cancelled on the relay
 * @param {import("./vault.js").Vault} [options.vault]
 * @param {Record<string, unknown>} [options.meta] stored with the credential (e.g. `{source: "pc"}`)
 * @param {number} [options.maxPasswordAttempts] default 5
 * @param {number} [options.interval] poll interval in ms (default 1500)
 * @param {ReturnType<typeof createApiClient>} [options.api]
 * @returns {Promise<import("./vault.js").CredentialSummary>}
 * @throws {RelayError | ApiError | import("./errors.js").CredentialExistsError | import("./errors.js").KeyMismatchError}
 */
export async function receiveToPhone({ onCode, getPassword, onStatus, signal, vault, meta = {},
  maxPasswordAttempts = 5, interval = 1500, api = createApiClient() }) {
  if (typeof onCode !== "function" || typeof getPassword !== "function") {
    throw new InvalidInputError({ messageEn: "receiveToPhone needs onCode and getPassword callbacks." });
  }
  const payload = await receivePayload({ onCode, onStatus, signal, interval, api });
  const certificate = parseCertificate(payload.certificateDer);
  for (let attempt = 1, error = null; ; attempt++) {
    const password = await getPassword({ certificate, attempt, error });
    let pkcs8;
    try {
      pkcs8 = await decryptPkcs8(payload.encryptedKey, password);
    } catch (err) {
      if (!(err instanceof WrongPasswordError)) throw err;
      if (attempt >= maxPasswordAttempts) throw relayError("relay_password_attempts", err);
      error = err;
      continue;
    }
    const ownVault = vault ?? (await openVault());
    let kmPkcs8;
    try {
      kmPkcs8 = payload.km ? await decryptPkcs8(payload.km.encryptedKey, password) : null;
      const km = kmPkcs8 && payload.km ? { km: { pkcs8: kmPkcs8, certificateDer: payload.km.certificateDer } } : {};
      return await ownVault.saveCredential({ pkcs8, certificateDer: payload.certificateDer, ...km,
        meta: { source: "pc", ...meta } }, password);
    } finally {
      wipe(pkcs8);
      wipe(kmPkcs8 ?? undefined);
      if (!vault) ownVault.close();
    }
  }
}

/**
 * The receiving half that the phone ({@link receiveToPhone}) and the PC page (`pc-copy.js`) share: make a code,
 * show it, wait for the upload, download it once and open the envelope (AES-GCM checked).
 * @param {{onCode: (shown: CodeShown) => void, onStatus?: (s: TransferStatus) => void, signal?: AbortSignal,
 *   interval?: number, api?: ReturnType<typeof createApiClient>}} options
 * @returns {Promise<Payload>} the keys still under their password
 */
export async function receivePayload({ onCode, onStatus, signal, interval = 1500, api = createApiClient() }) {
  const session = await createTransfer(api);
  onCode({ code: session.code, displayCode: formatCode(session.code), id: session.id,
    expiresAt: session.status.expiresAt, secondsLeft: session.status.secondsLeft });
  const auth = { Authorization: `Bearer ${session.token}` };
  try {
    await waitForTransfer(session.id, { until: ["uploaded"], onStatus, signal, interval, api });
  } catch (err) {
    if (signal?.aborted) await api.delete(`/relay/transfers/${session.id}`, { headers: auth }).catch(() => {});
    throw err;
  }
  const { envelope } = await api.get(`/relay/transfers/${session.id}/payload`, { headers: auth });
  return openEnvelope(session, fromBase64(envelope));
}

/**
 * Make a code and register its transfer (a new code if the id is in use).
 * @param {ReturnType<typeof createApiClient>} api
 */
async function createTransfer(api) {
  const config = await api.get("/relay/config");
  for (let attempt = 1; ; attempt++) {
    const code = newCode(config.code_digits);
    const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
    const iterations = Math.max(MIN_ITERATIONS, config.default_iterations);
    const keys = await deriveCodeKeys(code, salt, iterations);
    const verifier = new Uint8Array(await subtle().digest("SHA-256", keys.proof));
    const id = code.slice(0, ID_DIGITS);
    try {
      const created = await api.post("/relay/transfers", { id, verifier: toBase64(verifier),
        kdf: { name: "PBKDF2", hash: "SHA-256", iterations, salt: toBase64(salt) } });
      return { code, id, salt, payloadKey: keys.payloadKey, token: created.receiver_token,
        status: statusOf(created) };
    } catch (err) {
      if (!(err instanceof ApiError && err.code === "relay_transfer_id_taken") || attempt >= 5) throw err;
    } finally {
      wipe(keys.proof);
    }
  }
}

/**
 * Check and decrypt the envelope; parse the payload.
 * @param {{id: string, salt: Uint8Array, payloadKey: CryptoKey}} session
 * @param {Uint8Array} envelope
 * @returns {Promise<Payload>}
 */
async function openEnvelope(session, envelope) {
  let plaintext;
  try {
    const params = gcm(session.id, session.salt, envelope.subarray(0, 12));
    plaintext = new Uint8Array(await subtle().decrypt(params, session.payloadKey, envelope.subarray(12)));
  } catch (err) {
    throw relayError("relay_payload_tampered", err);
  }
  try {
    const doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(plaintext));
    if (doc?.format !== PAYLOAD_FORMAT) throw new TypeError("unknown payload format");
    if (("km_certificate" in doc) !== ("km_private_key" in doc)) throw new TypeError("half a sign + km pair");
    const km = doc.km_certificate
      ? { certificateDer: fromBase64(doc.km_certificate), encryptedKey: fromBase64(doc.km_private_key) } : null;
    return { certificateDer: fromBase64(doc.certificate), encryptedKey: fromBase64(doc.private_key), km };
  } catch (err) {
    throw relayError("relay_bad_payload", err);
  }
}

