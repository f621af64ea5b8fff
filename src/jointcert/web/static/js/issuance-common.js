/**
 * What every screen of the issuance flow shares: the flow's state in sessionStorage (the session id and the
 * issuance token live there only, never in localStorage or a cookie), the API clients, navigation by the
 * session's state, and how an API error is shown (next to the field, or as "the session has ended").
 * @module issuance-common
 */

import { createApiClient } from "./api.js";
import { $, focusHeading, showError } from "./bank-shell.js";
import { ApiError } from "./errors.js";
import { keypadValue, setKeypadValue } from "./secure-keypad.js";

const STORE_KEY = "jointcert-issuance";
const TOKEN_HEADER = "X-Issuance-Token";

/** The screen (URL step) of each session state. */
export const PAGE_OF_STATE = Object.freeze({
  started: "terms",
  terms_agreed: "identity",
  identified: "verify",
  ars_calling: "verify",
  identity_confirmed: "account",
  account_verified: "second-factor",
  app_pin_ok: "second-factor",
  second_factor_done: "contact",
  contact_confirmed: "type",
  type_chosen: "password",
  ready: "password",
  issued: "done",
});

/** Codes after which the session cannot go on: the page offers a fresh start. */
const SESSION_ENDED = new Set(["ra_session_expired", "ra_session_closed", "ra_session_not_found",
  "ra_session_token_invalid", "ra_credential_locked", "ra_identity_attempts_exceeded"]);

/**
 * What the flow keeps between screens (sessionStorage, this tab only). Never a PIN, a password, the resident
 * number, R or a key.
 * @typedef {object} FlowState
 * @property {string} [sessionId]
 * @property {"app_cert"} [purpose] set when the session registers the bank's app certificate (issuance-app-cert.js)
 * @property {string | null} [token]
 * @property {string} [userId] for the password checklist (no user ID in the password)
 * @property {string} [birthDate] YYYY-MM-DD, for the password checklist (no birth date in the password)
 * @property {{phones: {id: string, masked: string, kind: string}[], abroad: boolean}} [identity] (no name)
 * @property {{code: string, phone: string, phoneId: string, expiresAt: string, remaining?: number} | null} [call]
 *   the ARS call shown (``remaining``: seconds left when it was placed, from the server)
 * @property {string} [name] the customer's name, known once the ARS or overseas check passed
 * @property {string[]} [secondFactors]
 * @property {Record<string, any>} [typeChosen]
 * @property {Record<string, any>} [issued] the public facts of the issued certificate and its wallet id
 */

/** @returns {FlowState} */
export function loadFlow() {
  try {
    return JSON.parse(sessionStorage.getItem(STORE_KEY) ?? "null") ?? {};
  } catch {
    return {};
  }
}

/**
 * @param {Partial<FlowState>} patch
 * @returns {FlowState}
 */
export function saveFlow(patch) {
  const next = { ...loadFlow(), ...patch };
  sessionStorage.setItem(STORE_KEY, JSON.stringify(next));
  return next;
}

/** Forget the flow (and with it the token). */
export function forgetFlow() {
  sessionStorage.removeItem(STORE_KEY);
}

/** The client for calls that need no session. */
export const publicApi = createApiClient();

/**
 * The client for one session's calls: base `…/sessions/{id}`, the token as `X-Issuance-Token`.
 * @param {FlowState} flow
 */
export function sessionApi(flow) {
  return createApiClient({
    baseUrl: `/api/v1/issuance/sessions/${encodeURIComponent(flow.sessionId ?? "")}`,
    headers: { [TOKEN_HEADER]: flow.token ?? "" },
  });
}

/**
 * Go to a screen of the flow.
 * @param {string} step
 * @param {{replace?: boolean}} [options]
 */
export function goTo(step, { replace = false } = {}) {
  const url = `/bank/issuance/${step}`;
  if (replace) location.replace(url);
  else location.assign(url);
}

/** What each counted secret is called in an error line: [subject with its particle (ko), name (en)]. */
export const CREDENTIAL_NAMES = Object.freeze({
  account_pin: ["계좌 비밀번호가", "account PIN"],
  app_pin: ["앱인증서 비밀번호가", "app certificate PIN"],
  app_pattern: ["패턴이", "pattern"],
  security_card: ["보안카드 번호가", "security card number"],
  otp: ["OTP 인증번호가", "OTP code"],
  ars: ["ARS 인증번호가", "ARS code"],
});

/**
 * The error's messages, field-specific with the attempts when the API gives them: "계좌 비밀번호가 일치하지
 * 않습니다 (오류 2/5회)"; other errors with the remaining attempts appended.
 * @param {unknown} err
 * @returns {unknown | [string, string]}
 */
export function withRemaining(err) {
  if (!(err instanceof ApiError)) return err;
  const problem = err.problem ?? {};
  const left = problem.remaining_attempts;
  const name = CREDENTIAL_NAMES[/** @type {keyof typeof CREDENTIAL_NAMES} */ (problem.credential)];
  if (err.code === "ra_wrong_credential" && name && typeof problem.max_attempts === "number") {
    const used = problem.attempts_used;
    return [`${name[0]} 일치하지 않습니다 (오류 ${used}/${problem.max_attempts}회)`,
      `The ${name[1]} does not match (${used} of ${problem.max_attempts} wrong attempts)`];
  }
  if (typeof left !== "number") return err;
  return [`${err.messageKo} (남은 횟수 ${left}회)`, `${err.messageEn} (${left} attempt(s) left)`];
}

/**
 * What is locked, after how many wrong attempts, and the way out (영업점, another account or second factor).
 * @param {string} credential the problem's `credential`
 * @param {number | undefined} max the problem's `max_attempts`
 * @returns {[string, string]}
 */
export function lockedMessage(credential, max) {
  const times = typeof max === "number" ? `${max}회 ` : "";
  const timesEn = typeof max === "number" ? `${max} ` : "too many ";
  const texts = /** @type {Record<string, [string, string]>} */ ({
    account_pin: [`계좌 비밀번호가 ${times}틀려 이 계좌가 잠겼습니다. 신분증을 가지고 영업점을 방문하시면 잠금을 풀 수 있습니다. 다른 한빛은행 계좌가 있으면 그 계좌로 처음부터 다시 진행하실 수 있습니다.`,
      `The account PIN was wrong ${timesEn}times, so this account is locked. A branch unlocks it (bring your ID). With another Hanbit Bank account you can start again and use that one.`],
    app_pin: [`앱인증서 비밀번호가 ${times}틀려 앱인증서가 잠겼습니다. 보안카드나 OTP가 있으면 처음부터 다시 진행하여 그것으로 확인하실 수 있습니다. 없으면 영업점을 방문하여 잠금을 해제하십시오.`,
      `The app certificate PIN was wrong ${timesEn}times, so the app certificate is locked. With a security card or OTP you can start again and use it; otherwise a branch unlocks it.`],
    app_pattern: [`앱인증서 패턴이 ${times}틀려 앱인증서가 잠겼습니다. 보안카드나 OTP가 있으면 처음부터 다시 진행하여 그것으로 확인하실 수 있습니다. 없으면 영업점을 방문하여 잠금을 해제하십시오.`,
      `The app certificate pattern was wrong ${timesEn}times, so the app certificate is locked. With a security card or OTP you can start again and use it; otherwise a branch unlocks it.`],
    security_card: [`보안카드 번호가 ${times}틀려 보안카드가 잠겼습니다. 영업점을 방문하여 보안카드를 재발급받으십시오.`,
      `The security card numbers were wrong ${timesEn}times, so the card is locked. A branch issues a new card.`],
    otp: [`OTP 인증번호가 ${times}틀려 OTP가 잠겼습니다. 영업점 또는 고객센터(1588-0081)에서 OTP 오류를 해제하십시오.`,
      `The OTP code was wrong ${timesEn}times, so the OTP is locked. A branch or the call centre (1588-0081) resets it.`],
    ars: [`ARS 인증이 ${times}실패하여 잠겼습니다. 고객센터(1588-0081)로 연락하시거나 영업점을 방문하십시오.`,
      `The ARS check failed ${timesEn}times and is locked. Call 1588-0081 or visit a branch.`],
  });
  return texts[credential] ?? ["오류 횟수를 초과하여 잠겼습니다. 영업점 또는 고객센터(1588-0081)에 문의하십시오.",
    "Locked after too many wrong attempts; please contact a branch or the call centre (1588-0081)."];
}

/**
 * The session cannot go on: hide the screen, say why, offer a fresh start.
 * @param {unknown | [string, string]} err
 */
export function showEnded(err) {
  const token = loadFlow().token;
  if (token) saveFlow({ token: null });
  $("step-body").hidden = true;
  document.getElementById("cancel-flow")?.setAttribute("hidden", "");
  document.getElementById("session-timer")?.setAttribute("hidden", ""); // nothing left to extend
  $("session-ended").hidden = false;
  showError("ended-error", err, { focus: false });
  if (err instanceof ApiError) $("session-ended").dataset.code = err.code;
  document.body.dataset.ready = "true";
  focusHeading("ended-title");
}

/**
 * Show an API error: the session's end, a re-sync when the page is behind the session, else next to the field.
 * @param {unknown} err
 * @param {string} errorId the error line of the form or field
 * @param {{field?: string, api?: ReturnType<typeof sessionApi>}} [options]
 */
export async function handleError(err, errorId, { field, api } = {}) {
  const code = err instanceof ApiError ? err.code : "";
  if (code === "ra_credential_locked") {
    const problem = /** @type {ApiError} */ (err).problem ?? {};
    showEnded(lockedMessage(String(problem.credential ?? ""), problem.max_attempts));
    $("session-ended").dataset.code = code;
    $("session-ended").dataset.credential = String(problem.credential ?? "");
    return undefined;
  }
  if (SESSION_ENDED.has(code)) return showEnded(err);
  if (code === "ra_step_out_of_order" && api) {
    const session = await api.get("").catch(() => null);
    const page = session ? PAGE_OF_STATE[/** @type {keyof typeof PAGE_OF_STATE} */ (session.state)] : null;
    if (page) return goTo(page, { replace: true });
  }
  showError(errorId, withRemaining(err), { field });
}

/**
 * Run `work` with the buttons disabled; errors go to {@link handleError}.
 * @param {string[]} buttons ids
 * @param {string} errorId
 * @param {() => Promise<void>} work
 * @param {{field?: string, api?: ReturnType<typeof sessionApi>}} [options]
 */
export async function guarded(buttons, errorId, work, options) {
  for (const id of buttons) /** @type {HTMLButtonElement} */ ($(id)).disabled = true;
  try {
    await work();
  } catch (err) {
    await handleError(err, errorId, options);
  } finally {
    for (const id of buttons) /** @type {HTMLButtonElement} */ ($(id)).disabled = false;
  }
}

/**
 * The value of an input, trimmed.
 * @param {string} id
 * @returns {string}
 */
export function valueOf(id) {
  const input = $(id);
  return keypadValue(input) ?? /** @type {HTMLInputElement} */ (input).value.trim();
}

/**
 * Empty inputs (secrets are cleared as soon as they were sent).
 * @param {...string} ids
 */
export function clearInputs(...ids) {
  for (const id of ids) {
    const input = $(id);
    if (keypadValue(input) !== undefined) setKeypadValue(input, "");
    else /** @type {HTMLInputElement} */ (input).value = "";
  }
}

/**
 * Wait.
 * @param {number} ms
 * @returns {Promise<void>}
 */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
