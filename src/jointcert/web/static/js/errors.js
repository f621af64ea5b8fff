/**
 * Typed errors of the browser modules, shaped like the server's error tree: a stable machine `code` and a
 * Korean and an English message the page can show as they are. Catch with `instanceof` or switch on `code`.
 * @module errors
 */

/** Base of every error these modules throw on purpose. */
export class JointcertError extends Error {
  /** @type {string} */ static code = "internal_error";
  /** @type {string} */ static messageKo = "처리 중 오류가 발생했습니다.";
  /** @type {string} */ static messageEn = "An internal error occurred.";

  /**
   * @param {{messageKo?: string, messageEn?: string, code?: string, cause?: unknown}} [options]
   *   overrides of the class defaults, and the underlying error if any
   */
  constructor({ messageKo, messageEn, code, cause } = {}) {
    const cls = /** @type {typeof JointcertError} */ (new.target);
    super(messageEn ?? cls.messageEn, cause === undefined ? undefined : { cause });
    this.name = cls.name;
    /** Stable machine code, e.g. `wrong_certificate_password`. */
    this.code = code ?? cls.code;
    /** Message for the user, in Korean. */
    this.messageKo = messageKo ?? cls.messageKo;
    /** Message for the user, in English. */
    this.messageEn = messageEn ?? cls.messageEn;
  }

  /**
   * The user-facing message in a language.
   * @param {"ko" | "en"} [lang]
   * @returns {string}
   */
  localized(lang = "ko") {
    return lang === "en" ? this.messageEn : this.messageKo;
  }
}

/** Bad input from the caller (an empty password, a resident number that is not 13 digits, …). */
export class InvalidInputError extends JointcertError {
  static code = "invalid_input";
  static messageKo = "입력값이 올바르지 않습니다.";
  static messageEn = "The input is not valid.";
}

/** The certificate password did not decrypt the stored key (AES-GCM authentication failed). */
export class WrongPasswordError extends JointcertError {
  static code = "wrong_certificate_password";
  static messageKo = "인증서 비밀번호가 올바르지 않습니다.";
  static messageEn = "The certificate password is incorrect.";
}

/** No credential with this id is stored in this browser. */
export class CredentialNotFoundError extends JointcertError {
  static code = "credential_not_found";
  static messageKo = "인증서를 찾을 수 없습니다.";
  static messageEn = "The certificate was not found in this browser.";
}

/** A credential for the same certificate is already stored. */
export class CredentialExistsError extends JointcertError {
  static code = "credential_exists";
  static messageKo = "이미 저장된 인증서입니다.";
  static messageEn = "This certificate is already stored in this browser.";
}

/** The certificate's public key does not belong to the private key being stored. */
export class KeyMismatchError extends JointcertError {
  static code = "key_mismatch";
  static messageKo = "인증서와 개인키가 일치하지 않습니다.";
  static messageEn = "The certificate does not match the private key.";
}

/** A stored credential is damaged (its parts do not fit together although the password was right). */
export class CredentialCorruptError extends JointcertError {
  static code = "credential_corrupt";
  static messageKo = "저장된 인증서가 손상되었습니다. 인증서를 다시 가져오거나 재발급하십시오.";
  static messageEn = "The stored certificate is damaged; import or reissue it again.";
}

/** IndexedDB cannot be used here (blocked, private mode, quota). */
export class StorageUnavailableError extends JointcertError {
  static code = "storage_unavailable";
  static messageKo = "이 브라우저에서는 인증서를 저장할 수 없습니다. 브라우저 설정을 확인하십시오.";
  static messageEn = "This browser cannot store certificates; check its settings (storage is blocked).";
}

/** WebCrypto is missing: an old browser or a page not served over HTTPS. */
export class CryptoUnavailableError extends JointcertError {
  static code = "crypto_unavailable";
  static messageKo = "이 브라우저에서는 인증서 기능을 사용할 수 없습니다. 최신 브라우저에서 HTTPS로 접속하십시오.";
  static messageEn = "Certificate functions are unavailable here; use a current browser over HTTPS.";
}

/** Bytes that should be DER (a certificate, a PKCS#8 key) are malformed. */
export class Asn1Error extends JointcertError {
  static code = "malformed_der";
  static messageKo = "인증서 또는 키의 형식이 올바르지 않습니다.";
  static messageEn = "The certificate or key is malformed.";
}

/**
 * The JSON API answered with an error (an RFC 9457 problem) or could not be reached.
 * `code`, `messageKo`, `messageEn` come from the problem; `status` is the HTTP status (0 for a network error).
 */
export class ApiError extends JointcertError {
  static code = "api_error";
  static messageKo = "요청을 처리하지 못했습니다. 잠시 후 다시 시도하십시오.";
  static messageEn = "The request could not be completed; please try again later.";

  /**
   * @param {{status?: number, problem?: Record<string, unknown> | null, messageKo?: string, messageEn?: string,
   *   code?: string, cause?: unknown}} [options]
   */
  constructor({ status = 0, problem = null, ...rest } = {}) {
    super(rest);
    /** HTTP status; 0 when no response arrived. */
    this.status = status;
    /** The problem document as received (type, title, status, detail, code, …), or null. */
    this.problem = problem;
    /** The problem's `type` URI, if any. */
    this.type = typeof problem?.type === "string" ? problem.type : "about:blank";
    /** The problem's `title`, if any. */
    this.title = typeof problem?.title === "string" ? problem.title : "";
    /** The problem's `detail`, if any. */
    this.detail = typeof problem?.detail === "string" ? problem.detail : "";
  }
}
