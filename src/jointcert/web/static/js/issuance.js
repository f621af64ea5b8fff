/**
 * The issuance flow of the bank app (`/bank/issuance/{step}`, DESIGN.md "The issuance flow"): one server-rendered
 * page per screen, and this module runs the screen named by `<body data-step>`. On load a screen asks the API where
 * the session stands and, if the session is elsewhere (a reload, the back button), goes to that screen; every step
 * is checked again on the server. Errors show in Korean (or English) next to their field, from the API's messages.
 *
 * The second factor is in `issuance-factors.js`, the certificate password, key pair and wallet in
 * `issuance-enroll.js`; shared state and error handling in `issuance-common.js`.
 * @module issuance
 */

import { $, bi, clearError, focusHeading, say, showError } from "./bank-shell.js";
import { ApiError } from "./errors.js";
import { PAGE_OF_STATE, clearInputs, forgetFlow, goTo, guarded, handleError, loadFlow, publicApi, saveFlow,
  sessionApi, showEnded, sleep, valueOf } from "./issuance-common.js";
import { attachKeypads, linkResidentNumber } from "./secure-keypad.js";
import { wireTermSheets } from "./terms-sheet.js";
import { askCancel, askDebit, askRestart, isBehind } from "./issuance-nav.js";
import { startTimer } from "./session-timer.js";
import { afterAccount, registering, runAppCert, showRegistrationProgress } from "./issuance-app-cert.js";

/**
 * @typedef {object} Screen what a screen's controller receives
 * @property {ReturnType<typeof sessionApi>} api
 * @property {import("./issuance-common.js").FlowState} flow
 * @property {any} session the session as the API describes it
 * @property {any} config the page's config (`#flow-config`)
 */

const NO_SESSION = /** @type {[string, string]} */ (["진행 중인 발급 절차가 없습니다. 처음부터 시작해 주십시오.",
  "There is no issuance in progress; please start from the beginning."]);
const CLOSED = /** @type {[string, string]} */ (["이미 종료된 발급 절차입니다. 처음부터 다시 진행해 주십시오.",
  "This issuance session has ended; please start again."]);

// --- 2. the logged-out check, then the session ------------------------------------------------------------------

/** @param {any} config */
async function runStart(config) {
  const old = loadFlow();
  if (old.sessionId && old.token) await sessionApi(old).delete("").catch(() => null); // a fresh start
  forgetFlow();
  document.body.dataset.ready = "true";
  focusHeading();
  try {
    const created = await publicApi.post("/issuance/sessions", { app_logged_in: Boolean(config.appLoggedIn) });
    const purpose = new URLSearchParams(location.search).get("purpose") === "app_cert" ? "app_cert" : undefined;
    saveFlow({ sessionId: created.session.session_id, token: created.token, purpose });
    goTo("terms", { replace: true });
  } catch (err) {
    $("start-status").replaceChildren();
    showError("start-error", err, { focus: false });
    const loggedIn = err instanceof ApiError && err.code === "ra_logged_in";
    $(loggedIn ? "logout-form" : "retry-start").hidden = false;
    $(loggedIn ? "logout-button" : "retry-button").focus();
  }
}

// --- 3. terms -------------------------------------------------------------------------------------------------

/** @param {Screen} screen */
function runTerms({ api }) {
  wireTermSheets();
  const all = /** @type {HTMLInputElement} */ ($("terms-all"));
  const boxes = /** @type {HTMLInputElement[]} */ ([...document.querySelectorAll("input[name=term]")]);
  const sync = () => {
    all.checked = boxes.every((b) => b.checked);
    all.indeterminate = !all.checked && boxes.some((b) => b.checked);
  };
  all.addEventListener("change", () => {
    for (const box of boxes) box.checked = all.checked;
    clearError("terms-error");
  });
  for (const box of boxes) box.addEventListener("change", sync);
  $("terms-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const missing = boxes.find((b) => b.dataset.required === "true" && !b.checked);
    if (missing) {
      showError("terms-error", ["필수 약관에 모두 동의해 주십시오.", "Please agree to every required term."],
        { field: missing.id });
      return;
    }
    clearError("terms-error");
    const accepted = boxes.filter((b) => b.checked).map((b) => b.value);
    guarded(["terms-submit"], "terms-error", async () => {
      await api.post("/terms", { accepted });
      goTo("identity");
    }, { api });
  });
}

/** The second factors, by the credentials that lock them. */
const FACTOR_NAMES = /** @type {Record<string, [string, string]>} */ ({ app_pin: ["앱인증서", "app certificate"],
  app_pattern: ["앱인증서", "app certificate"], security_card: ["보안카드", "security card"], otp: ["OTP", "OTP"] });

// --- 4. user ID + resident number, and 아이디 찾기 ---------------------------------------------------------------

/**
 * The birth date in a resident number (front 6 digits + the 7th digit's century), for the password checklist.
 * @param {string} front
 * @param {string} back
 * @returns {string | undefined} YYYY-MM-DD
 */
function birthDateOf(front, back) {
  const century = { 1: 1900, 2: 1900, 5: 1900, 6: 1900, 3: 2000, 4: 2000, 7: 2000, 8: 2000, 9: 1800, 0: 1800 }[
    /** @type {0} */ (Number(back[0]))];
  if (century === undefined || !/^\d{6}$/.test(front)) return undefined;
  return `${century + Number(front.slice(0, 2))}-${front.slice(2, 4)}-${front.slice(4, 6)}`;
}

/**
 * Check the two parts of a resident number typed in the form; show the error when malformed.
 * @param {string} frontId
 * @param {string} backId
 * @param {string} errorId
 * @returns {[string, string] | null}
 */
function residentNumber(frontId, backId, errorId) {
  const front = valueOf(frontId);
  const back = valueOf(backId);
  if (!/^\d{6}$/.test(front) || !/^\d{7}$/.test(back)) {
    showError(errorId, ["주민등록번호 13자리를 숫자로 입력해 주십시오.",
      "Enter the 13 digits of the resident registration number."], { field: /^\d{6}$/.test(front) ? backId : frontId });
    return null;
  }
  return [front, back];
}

/** @param {Screen} screen */
function runIdentity({ api }) {
  $("identity-form").addEventListener("submit", (event) => {
    event.preventDefault();
    clearError("user-id-error");
    clearError("rrn-error");
    const userId = valueOf("user-id");
    if (!userId) {
      showError("user-id-error", ["아이디를 입력해 주십시오.", "Enter your user ID."], { field: "user-id" });
      return;
    }
    const rrn = residentNumber("rrn-front", "rrn-back", "rrn-error");
    if (!rrn) return;
    const [front, back] = rrn;
    clearInputs("rrn-back");
    guarded(["identity-submit"], "rrn-error", async () => {
      const found = await api.post("/identity", { user_id: userId, rrn: `${front}-${back}` });
      if (found.second_factors_blocked) { // step 7 would fail: say so now, not after the phone and the account
        await api.delete("").catch(() => null);
        forgetFlow();
        const names = /** @type {string[]} */ (found.locked).map((c) => FACTOR_NAMES[c] ?? ["", ""]);
        const ko = [...new Set(names.map((n) => n[0]))].join(", ");
        const en = [...new Set(names.map((n) => n[1]))].join(", ");
        showEnded([`${found.name} 님의 보안매체(${ko})가 오류 횟수 초과로 잠겨 있어 지금은 발급을 마칠 수 없습니다. `
          + "신분증을 가지고 영업점을 방문하여 잠금을 해제한 후 다시 진행하십시오. 고객센터: 1588-0081",
        `Your second factor (${en}) is locked after too many wrong attempts, so the issuance cannot finish now. `
          + "Visit a branch with your ID to unlock it, then start again. Call centre: 1588-0081"]);
        $("session-ended").dataset.code = "second_factors_locked";
        $("restart").hidden = true; // a new start would fail the same way: the branch is the way out
        return;
      }
      saveFlow({
        userId,
        birthDate: birthDateOf(front, back),
        identity: { phones: found.phones, abroad: found.abroad_check_offered }, // no name before the check
      });
      clearInputs("rrn-front");
      goTo("verify");
    }, { api, field: "user-id" });
  });
}

/** @param {Screen} screen */
function runFindId({ api }) {
  $("find-form").addEventListener("submit", (event) => {
    event.preventDefault();
    clearError("find-error");
    const name = valueOf("find-name");
    if (!name) {
      showError("find-error", ["이름을 입력해 주십시오.", "Enter your name."], { field: "find-name" });
      return;
    }
    const rrn = residentNumber("find-rrn-front", "find-rrn-back", "find-error");
    if (!rrn) return;
    clearInputs("find-rrn-back");
    guarded(["find-submit"], "find-error", async () => {
      const { user_ids: ids } = await api.post("/find-user-id", { name, rrn: `${rrn[0]}-${rrn[1]}` });
      const items = ids.map((/** @type {string} */ id) => Object.assign(document.createElement("li"), { textContent: id }));
      if (!items.length) {
        const none = document.createElement("li");
        none.append(bi("일치하는 아이디가 없습니다.", "No user ID matches."));
        items.push(none);
      }
      $("found-ids").replaceChildren(...items);
      $("find-result").hidden = false;
    }, { api });
  });
}

// --- 5. ARS or the overseas-departure check ----------------------------------------------------------------------

const PHONE_KINDS = /** @type {Record<string, [string, string]>} */ ({ mobile: ["휴대폰", "mobile"],
  home: ["자택", "home"], office: ["직장", "office"] });

/** @param {{id: string, masked: string, kind: string}[]} phones */
function phoneChoices(phones) {
  return phones.map((phone, index) => {
    const label = document.createElement("label");
    label.className = "choice";
    const input = Object.assign(document.createElement("input"), { type: "radio", name: "phone", value: phone.id,
      id: `phone-${phone.id}`, checked: index === 0 });
    label.htmlFor = input.id;
    const text = document.createElement("span");
    text.className = "choice__text";
    const title = Object.assign(document.createElement("span"), { className: "choice__title",
      textContent: phone.masked });
    const [ko, en] = PHONE_KINDS[phone.kind] ?? [phone.kind, phone.kind];
    const note = document.createElement("span");
    note.className = "choice__note";
    note.append(bi(ko, en));
    text.append(title, note);
    label.append(input, text);
    return label;
  });
}

/** @param {Screen} screen */
function runVerify({ api, flow, session, config }) {
  const identity = flow.identity ?? { phones: [], abroad: false };
  say($("verify-greeting"), "본인확인 방법을 선택해 주십시오. 성함은 확인이 끝난 뒤에 표시됩니다.",
    "Choose how to confirm it is you. Your name is shown once the check is done.");
  $("phone-list").replaceChildren(...phoneChoices(identity.phones));
  $("abroad-panel").hidden = !identity.abroad;
  let generation = 0; // a new call stops the polling (and the countdown) of the previous one
  let deadline = 0; // when the call stops ringing, by this browser's clock (from the server's seconds left)

  /** @param {number} mine */
  const countDown = async (mine) => {
    while (mine === generation) {
      const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      const clock = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
      say($("ars-countdown"), `남은 시간 ${clock}`, `Time left ${clock}`);
      $("ars-countdown").dataset.seconds = String(left);
      if (left === 0) return;
      await sleep(1000);
    }
  };

  /** @param {{code: string, phone: string, phoneId: string, remaining?: number}} call */
  const showCall = async (call) => {
    const mine = ++generation;
    deadline = Date.now() + (call.remaining ?? 0) * 1000;
    countDown(mine);
    $("ars-form").hidden = true;
    $("ars-calling").hidden = false;
    $("ars-code").textContent = call.code;
    say($("ars-status"), `${call.phone}(으)로 전화를 걸고 있습니다. 전화를 받아 인증번호를 누른 후 #을 눌러 주십시오.`,
      `Calling ${call.phone}. Answer, key in the code, then press #.`);
    $("virtual-phone").setAttribute("href",
      `/sandbox/phone-of/${encodeURIComponent(flow.userId ?? "")}/${encodeURIComponent(call.phoneId)}`);
    for (let first = true; ; first = false) {
      if (!first) await sleep(200); // a ringing answer came after the server's wait: ask again at once
      if (mine !== generation) return;
      try { // a long poll: the server answers as soon as the call stops ringing (or after the wait)
        const status = await api.post(`/ars/confirm?wait=${config.arsWaitSeconds ?? 8}`, {});
        if (mine !== generation) return;
        if (status.status === "confirmed") {
          generation++;
          saveFlow({ call: null, name: status.name });
          say($("ars-status"), `${status.name} 님, ARS 인증이 완료되었습니다.`, `${status.name}, the ARS check is complete.`);
          goTo("account");
          return;
        }
        if (typeof status.remaining_seconds === "number") deadline = Date.now() + status.remaining_seconds * 1000;
      } catch (err) {
        if (mine !== generation) return;
        generation++; // unanswered, declined, wrong code or locked: each with the server's own message
        saveFlow({ call: null });
        $("ars-calling").hidden = true;
        $("ars-form").hidden = false;
        await handleError(err, "ars-error", { api, field: "ars-call" });
        return;
      }
    }
  };

  /** @param {string} phoneId */
  const placeCall = (phoneId) => guarded(["ars-call", "ars-again"], "ars-error", async () => {
    clearError("ars-error");
    const placed = await api.post("/ars/call", { phone_id: phoneId });
    const call = { code: placed.code, phone: placed.phone, phoneId, expiresAt: placed.expires_at,
      remaining: placed.remaining_seconds };
    saveFlow({ call });
    showCall(call);
    $("ars-code").focus();
  }, { api });

  $("ars-code").tabIndex = -1;
  $("ars-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = /** @type {HTMLInputElement | null} */ (document.querySelector("input[name=phone]:checked"));
    if (!chosen) {
      showError("ars-error", ["전화 받을 번호를 선택해 주십시오.", "Choose a number."]);
      return;
    }
    placeCall(chosen.value);
  });
  $("ars-again").addEventListener("click", () => placeCall(loadFlow().call?.phoneId ?? ""));
  $("abroad-check").addEventListener("click", () => guarded(["abroad-check"], "abroad-error", async () => {
    clearError("abroad-error");
    generation++;
    const record = await api.post("/abroad", {});
    const day = String(record.departed_at).slice(0, 10);
    saveFlow({ call: null, name: record.name });
    say($("abroad-result"), `${record.name} 님, 출국 기록이 확인되었습니다: ${record.destination}, ${day} 출국`,
      `${record.name}, your departure is on record: ${record.destination}, ${day}`);
    $("abroad-result").hidden = false;
    $("abroad-check").hidden = true;
    $("ars-panel").hidden = true;
    $("abroad-next").hidden = false;
    $("abroad-next").focus();
  }, { api }));
  const call = flow.call;
  if (session.state === "ars_calling" && call) {
    const left = Math.ceil((Date.parse(call.expiresAt ?? "") - Date.now()) / 1000);
    showCall({ ...call, remaining: Number.isFinite(left) ? Math.max(0, left) : 0 }); // corrected by the first poll
  }
}

// --- 6. account + PIN -------------------------------------------------------------------------------------------

/** @param {Screen} screen */
function runAccount({ api }) {
  $("account-form").addEventListener("submit", (event) => {
    event.preventDefault();
    clearError("account-error");
    clearError("pin-error");
    const number = valueOf("account-number");
    const pin = valueOf("account-pin");
    if (!/^[0-9-]{8,20}$/.test(number)) {
      showError("account-error", ["계좌번호를 확인해 주십시오.", "Check the account number."], { field: "account-number" });
      return;
    }
    if (!/^\d{4}$/.test(pin)) {
      showError("pin-error", ["계좌 비밀번호 4자리를 입력해 주십시오.", "Enter the 4-digit account PIN."],
        { field: "account-pin" });
      return;
    }
    clearInputs("account-pin");
    guarded(["account-submit"], "pin-error", async () => {
      try {
        const verified = await api.post("/account", { account_number: number, pin });
        saveFlow({ secondFactors: verified.second_factors });
        const next = registering() ? afterAccount(verified.second_factors) : "second-factor";
        if (next) goTo(next);
        else await api.delete("").catch(() => null); // she has one already: the registration ends here
      } catch (err) {
        const code = err instanceof ApiError ? err.code : "";
        if (["bank_invalid_account_number", "ra_account_not_owned", "ra_account_not_active"].includes(code)) {
          showError("account-error", err, { field: "account-number" });
        } else {
          await handleError(err, "pin-error", { api, field: "account-pin" });
        }
      }
    }, { api });
  });
}

// --- 8. contact -------------------------------------------------------------------------------------------------

/** @param {Screen} screen */
async function runContact({ api }) {
  const shown = await api.get("/contact");
  $("contact-name").textContent = shown.name;
  const email = /** @type {HTMLInputElement} */ ($("contact-email"));
  const address = /** @type {HTMLInputElement} */ ($("contact-address"));
  const phone = /** @type {HTMLSelectElement} */ ($("contact-phone"));
  email.value = shown.email;
  address.value = shown.address;
  phone.replaceChildren(...shown.mobiles.map((/** @type {any} */ m) =>
    Object.assign(document.createElement("option"), { value: m.id, textContent: m.masked,
      selected: m.id === shown.contact_phone_id })));
  $("contact-form").addEventListener("submit", (event) => {
    event.preventDefault();
    for (const id of ["contact-error", "email-error", "address-error"]) clearError(id);
    /** @type {Record<string, string>} */
    const changes = {};
    if (email.value.trim() !== shown.email) changes.email = email.value.trim();
    if (address.value.trim() !== shown.address) changes.address = address.value.trim();
    if (phone.value && phone.value !== shown.contact_phone_id) changes.phone_id = phone.value;
    guarded(["contact-submit"], "contact-error", async () => {
      try {
        await api.post("/contact", changes);
        goTo("type");
      } catch (err) {
        const field = err instanceof ApiError ? err.problem?.field : undefined;
        if (field === "email" || field === "address") showError(`${field}-error`, err, { field: `contact-${field}` });
        else throw err;
      }
    }, { api });
  });
}

// --- 9. certificate type ----------------------------------------------------------------------------------------

/** @param {number} krw */
const won = (krw) => krw.toLocaleString("en-US");

/**
 * Insufficient funds: the balance and the fee, and the free limited-use certificate one tap away.
 * @param {{account: string, balance_krw: number, fee_krw: number}} quote
 */
function showFunds(quote) {
  say($("funds-text"), `${quote.account} 계좌의 잔액은 ${won(quote.balance_krw)}원이고 범용 인증서 수수료는 `
    + `${won(quote.fee_krw)}원입니다. 은행·신용카드·보험·전자정부용(용도제한용) 인증서는 무료로 바로 발급받으실 수 있습니다.`,
  `Account ${quote.account} holds ${won(quote.balance_krw)} KRW and the general-purpose fee is ${won(quote.fee_krw)} `
    + "KRW. The limited-use certificate (bank, card, insurance, e-government) is free and can be issued now.");
  $("funds-panel").hidden = false;
  focusHeading("funds-title");
}

/** @param {Screen} screen */
function runType({ api }) {
  /** @param {HTMLInputElement} chosen */
  const choose = (chosen) => guarded(["type-submit"], "type-error", async () => {
    const fee = Number(chosen.dataset.fee ?? "0");
    if (fee > 0) { // the debit is confirmed first: account, amount, balance after
      const quote = await api.get(`/fee-quote?cert_type=${encodeURIComponent(chosen.value)}`);
      if (quote.balance_after_krw < 0) return showFunds(quote);
      const agreed = await askDebit(quote);
      if (!agreed) return;
    }
    try {
      const result = await api.post("/certificate-type", { cert_type: chosen.value });
      saveFlow({ typeChosen: { ...result.type, reissue: result.reissue, current_valid_until: result.current_valid_until } });
      goTo("password");
    } catch (err) {
      const problem = err instanceof ApiError ? err.problem : null;
      if (err instanceof ApiError && err.code === "bank_insufficient_funds" && problem?.balance_krw !== undefined) {
        return showFunds({ account: problem.account, balance_krw: problem.balance_krw, fee_krw: problem.amount_krw });
      }
      throw err;
    }
  }, { api, field: chosen.id });
  $("type-form").addEventListener("submit", (event) => {
    event.preventDefault();
    clearError("type-error");
    $("funds-panel").hidden = true;
    choose(/** @type {HTMLInputElement} */ (document.querySelector("input[name=cert_type]:checked")));
  });
  $("choose-limited").addEventListener("click", () => {
    const limited = /** @type {HTMLInputElement} */ ($("type-limited"));
    limited.checked = true;
    $("funds-panel").hidden = true;
    choose(limited);
  });
}

// --- boot -------------------------------------------------------------------------------------------------------

const SCREENS = /** @type {Record<string, (screen: Screen) => void | Promise<void>>} */ ({
  terms: runTerms,
  identity: runIdentity,
  "find-id": runFindId,
  verify: runVerify,
  account: runAccount,
  "second-factor": async (screen) => (await import("./issuance-factors.js")).runSecondFactor(screen),
  contact: runContact,
  type: runType,
  // the key, vault and checklist modules load only on the screens that use them
  password: async (screen) => (await import("./issuance-enroll.js")).runPassword(screen),
  "app-cert": runAppCert, // 앱인증서 등록 instead of issuance
});

/**
 * The screen the session's state calls for (아이디 찾기 stays beside the identity screen).
 * @param {string} step
 * @param {string} state
 * @returns {string | undefined}
 */
function expectedStep(step, state) {
  if (step === "find-id" && state === "terms_agreed") return "find-id";
  if (registering()) { // 앱인증서 등록: after the account (no card/OTP) or the card/OTP, the registration screen
    if (state === "app_cert_registered" || state === "second_factor_done") return "app-cert";
    if (state === "account_verified" && step === "app-cert") return "app-cert";
  }
  return PAGE_OF_STATE[/** @type {keyof typeof PAGE_OF_STATE} */ (state)];
}

/**
 * Start again from the terms: the old session is cancelled first (one session per tab, never two).
 * @param {ReturnType<typeof sessionApi>} api
 */
async function restart(api) {
  await api.delete("").catch(() => null);
  const again = registering() ? "/bank/issuance/start?purpose=app_cert" : "/bank/issuance/start";
  forgetFlow();
  location.assign(again);
}

/**
 * "발급 취소" and "이전" ask first; 아이디 찾기's "이전" goes back to the identity screen.
 * @param {ReturnType<typeof sessionApi>} api
 * @param {string} step
 */
function wireNavigation(api, step) {
  document.getElementById("cancel-flow")?.addEventListener("click", async () => {
    if (!(await askCancel())) return;
    await api.delete("").catch(() => null);
    forgetFlow();
    location.assign("/bank/certificates");
  });
  const back = document.getElementById("back-link");
  if (!back || step === "done") return;
  if (step === "find-id") {
    back.setAttribute("href", "/bank/issuance/identity");
    return;
  }
  back.addEventListener("click", async (event) => {
    event.preventDefault();
    if (await askRestart()) await restart(api);
  });
}

async function boot() {
  const config = JSON.parse($("flow-config").textContent ?? "{}");
  if (config.step === "start") return runStart(config);
  if (config.step === "done") return (await import("./issuance-done.js")).runDone();
  const flow = loadFlow();
  if (!flow.sessionId || !flow.token) return showEnded(NO_SESSION);
  const api = sessionApi(flow);
  let session;
  try {
    session = await api.get("");
  } catch (err) {
    return showEnded(err instanceof ApiError && err.status !== 0 ? err : NO_SESSION);
  }
  const expected = expectedStep(config.step, session.state);
  if (!expected) return showEnded(CLOSED);
  if (expected !== config.step) {
    // the browser's Back (or an old tab) brought an earlier screen: the session cannot step back, so ask
    if (isBehind(config.step, expected)) {
      document.body.dataset.ready = "true";
      if (await askRestart()) return restart(api);
    }
    return goTo(expected, { replace: true });
  }
  if (registering()) showRegistrationProgress(config.step);
  wireNavigation(api, config.step);
  startTimer(api, session, config);
  attachKeypads();
  for (const [front, back] of [["rrn-front", "rrn-back"], ["find-rrn-front", "find-rrn-back"]]) {
    const node = document.getElementById(front);
    if (node) linkResidentNumber(/** @type {HTMLInputElement} */ (node), /** @type {HTMLInputElement} */ ($(back)));
  }
  try {
    await SCREENS[config.step]({ api, flow, session, config });
  } catch (err) {
    await handleError(err, "ended-error", { api });
    $("session-ended").hidden = false;
  }
  document.body.dataset.ready = "true";
  focusHeading();
}

boot();
