/**
 * 한빛 앱인증서 등록 (issue 16, point 11): the notice's offer made real. The customer walks the first screens of the
 * issuance flow (terms, identity, ARS or the overseas check, the account PIN, and the security card or OTP she has),
 * then chooses a 6-digit PIN (on the secure keypad, twice) and a pattern (drawn twice on the 3×3 pad, or chosen with
 * the keyboard); `POST …/app-cert/register` stores them at the bank (hashes only) and ends the session. A later
 * issuance's second-factor step accepts them. The purpose is kept in the tab's flow state (`purpose: "app_cert"`).
 *
 * Sent: the PIN and the pattern, once, in the register call; the inputs are cleared right after.
 * @module issuance-app-cert
 */

import { $, bi, clearError, focusHeading, say, showError } from "./bank-shell.js";
import { clearInputs, goTo, guarded, loadFlow, showEnded, valueOf } from "./issuance-common.js";
import { PatternPad } from "./pattern-pad.js";

export const APP_CERT = "app_cert";
/** The screens of a registration, for its own progress count. */
const REGISTRATION_STEPS = ["terms", "identity", "verify", "account", "second-factor", "app-cert"];

/** @returns {boolean} whether this tab's flow registers the app certificate (not an issuance) */
export function registering() {
  return loadFlow().purpose === APP_CERT;
}

/**
 * The screen after the account (or after the card / OTP) in a registration.
 * @param {string[]} factors the customer's second factors (from the account step)
 * @returns {string | null} the next screen, or null when she already has an app certificate (the session ends)
 */
export function afterAccount(factors) {
  if (factors.includes(APP_CERT)) {
    showEnded(["이미 등록된 한빛 앱인증서가 있습니다. 공동인증서 발급의 추가 인증에서 바로 쓰실 수 있습니다. PIN이나 패턴을 "
      + "바꾸려면 영업점을 방문하십시오.", "You already have a Hanbit app certificate: the second-factor step of an issuance "
      + "accepts it. To change its PIN or pattern, please visit a branch."]);
    return null;
  }
  return factors.some((f) => f === "security_card" || f === "otp") ? "second-factor" : "app-cert";
}

/**
 * A registration counts its own steps ("앱인증서 등록 3/6 · 전화 인증") and is cancelled as such ("등록 취소").
 * @param {string} step
 */
export function showRegistrationProgress(step) {
  const at = REGISTRATION_STEPS.indexOf(step === "find-id" ? "identity" : step);
  const label = document.getElementById("progress-label");
  const track = document.querySelector(".progress__track");
  const bar = /** @type {HTMLElement | null} */ (document.querySelector(".progress__bar"));
  if (at < 0 || !label || !track || !bar) return;
  const n = at + 1;
  const total = REGISTRATION_STEPS.length;
  const name = [...label.querySelectorAll("[lang]")].map((node) => node.textContent?.split(" · ")[1] ?? "");
  label.replaceChildren(bi(`앱인증서 등록 ${n}/${total} · ${name[0]}`, `App certificate ${n}/${total} · ${name[1]}`));
  track.setAttribute("aria-valuemax", String(total));
  track.setAttribute("aria-valuenow", String(n));
  bar.style.width = `${(100 * n) / total}%`; // CSSOM, allowed under the page's CSP
  document.getElementById("cancel-flow")?.replaceChildren(bi("등록 취소", "Cancel the registration"));
}

/**
 * The rule a new PIN breaks, checked here too so the customer hears it before drawing the pattern (the server checks
 * again, with the birth date; `ra/steps/app_cert_register.py` `pin_problem`).
 * @param {string} pin
 * @returns {[string, string] | null}
 */
export function pinProblem(pin) {
  for (let i = 0; i + 2 < pin.length; i++) {
    const a = Number(pin[i + 1]) - Number(pin[i]);
    const b = Number(pin[i + 2]) - Number(pin[i + 1]);
    if (a === 0 && b === 0) return ["같은 숫자를 3번 이상 연속으로 쓸 수 없습니다.", "Do not use the same digit 3 times in a row."];
    if (a === b && Math.abs(a) === 1) {
      return ["연속된 숫자 3개 이상(123, 987 등)은 쓸 수 없습니다.", "Do not use 3 consecutive digits (123, 987…)."];
    }
  }
  return null;
}

/**
 * The PIN twice on the keypad; `chosen` gets it once both agree and it keeps the rules.
 * @param {(pin: string) => void} chosen
 */
function wirePin(chosen) {
  $("reg-pin").addEventListener("input", () => clearError("reg-pin-error")); // a new PIN: the old error goes
  $("reg-pin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    clearError("reg-pin-error");
    const pin = valueOf("reg-pin");
    const again = valueOf("reg-pin-confirm");
    if (!/^\d{6}$/.test(pin)) {
      showError("reg-pin-error", ["새 PIN 6자리를 입력해 주십시오.", "Enter a 6-digit PIN."], { field: "reg-pin" });
      return;
    }
    const problem = pinProblem(pin);
    if (problem) {
      clearInputs("reg-pin", "reg-pin-confirm");
      showError("reg-pin-error", problem, { field: "reg-pin" });
      return;
    }
    if (pin !== again) {
      clearInputs("reg-pin-confirm");
      showError("reg-pin-error", ["PIN 확인이 일치하지 않습니다. PIN 확인을 다시 입력해 주십시오.",
        "The two PINs do not match; enter the PIN again."], { field: "reg-pin-confirm" });
      return;
    }
    chosen(pin);
  });
}

/**
 * The pattern drawn twice; `register` gets the agreed pattern (and may throw: the pad starts over).
 * @param {(cells: number[]) => Promise<void>} register
 */
function choosePattern(register) {
  /** @type {number[] | null} */
  let first = null;
  const prompt = () => say($("reg-pattern-step"), first ? "확인을 위해 같은 패턴을 한 번 더 그려 주십시오." : "새 패턴을 그려 주십시오.",
    first ? "Draw the same pattern once more." : "Draw your new pattern.");
  const pad = new PatternPad($("pattern-pad"), {
    line: /** @type {SVGPolylineElement | null} */ (document.getElementById("pattern-line")),
    onChange: (cells) => say($("pattern-status"), cells.length ? `점 ${cells.length}개 선택됨` : "",
      cells.length ? `${cells.length} dot(s) selected` : ""),
    onDrawn: (cells) => take(cells),
  });
  /** @param {number[]} cells */
  const take = (cells) => {
    clearError("pattern-error");
    pad.clear();
    if (cells.length < 4) {
      showError("pattern-error", ["점 4개 이상을 이어 패턴을 그려 주십시오.", "Connect at least 4 dots."]);
      return;
    }
    if (!first) {
      first = cells;
      prompt();
      return;
    }
    const same = first.join("-") === cells.join("-");
    first = null;
    prompt();
    if (!same) {
      showError("pattern-error", ["두 패턴이 다릅니다. 새 패턴부터 다시 그려 주십시오.",
        "The two patterns differ; draw the new pattern again."]);
      return;
    }
    guarded(["pattern-submit", "pattern-clear"], "pattern-error", () => register(cells));
  };
  $("pattern-submit").addEventListener("click", () => take(pad.value));
  $("pattern-clear").addEventListener("click", () => {
    pad.clear();
    clearError("pattern-error");
    /** @type {HTMLElement} */ ($("pattern-pad").querySelector(".pattern__dot")).focus();
  });
  prompt();
}

/** Registered: the facts and the way on. */
function showDone() {
  for (const id of ["reg-pin-panel", "reg-pattern-panel"]) $(id).hidden = true;
  document.getElementById("cancel-flow")?.setAttribute("hidden", "");
  document.getElementById("session-timer")?.setAttribute("hidden", "");
  const flow = loadFlow();
  const rows = [[["이름", "Name"], flow.name ?? ""], [["보안매체", "Second factor"], bi("한빛 앱인증서 (PIN + 패턴)",
    "Hanbit app certificate (PIN + pattern)")]];
  $("reg-facts").replaceChildren(...rows.flatMap(([term, value]) => {
    const dt = document.createElement("dt");
    dt.append(bi(.../** @type {[string, string]} */ (term)));
    const dd = document.createElement("dd");
    dd.append(value);
    return [dt, dd];
  }));
  $("reg-done").hidden = false;
  focusHeading("reg-done-title");
}

/** @param {import("./issuance.js").Screen} screen */
export function runAppCert({ api, session }) {
  if (session.state === "app_cert_registered") return showDone();
  if (!registering()) return goTo("contact", { replace: true });
  let pin = "";
  /** @param {boolean} pattern show the pattern panel (else the PIN's) */
  const show = (pattern) => {
    $("reg-pin-panel").hidden = pattern;
    $("reg-pattern-panel").hidden = !pattern;
    focusHeading(pattern ? "reg-pattern-title" : "reg-pin-title");
  };
  wirePin((chosen) => {
    pin = chosen;
    show(true);
  });
  choosePattern(async (pattern) => {
    try {
      await api.post("/app-cert/register", { pin, pattern });
    } catch (err) {
      if (/** @type {{code?: string}} */ (err).code !== "ra_app_pin_weak") throw err; // the PIN stays for a retry
      pin = "";
      clearInputs("reg-pin", "reg-pin-confirm");
      show(false); // back to the PIN, with the server's rule in its words
      showError("reg-pin-error", err, { field: "reg-pin" });
      return;
    }
    pin = "";
    clearInputs("reg-pin", "reg-pin-confirm");
    showDone();
  });
  return undefined;
}
