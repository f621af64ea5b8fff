/**
 * Screen 7 of the issuance flow, the second factor: the bank's app certificate (6-digit PIN, then the pattern), or
 * the security card (the two asked cells), or an OTP code — whichever the verified account's customer has.
 * @module issuance-factors
 */

import { $, bi, clearError, say, showError } from "./bank-shell.js";
import { ApiError } from "./errors.js";
import { clearInputs, goTo, guarded, handleError, valueOf, withRemaining } from "./issuance-common.js";
import { PatternPad } from "./pattern-pad.js";
import { registering } from "./issuance-app-cert.js";

const LABELS = /** @type {Record<string, [string, string]>} */ ({
  app_cert: ["한빛 앱인증서 (PIN + 패턴)", "Hanbit app certificate (PIN + pattern)"],
  security_card: ["보안카드", "Security card"],
  otp: ["OTP", "OTP device"],
});
const PANELS = /** @type {Record<string, string>} */ ({ app_cert: "app-pin-panel", security_card: "card-panel",
  otp: "otp-panel" });

/**
 * @typedef {import("./issuance.js").Screen} Screen
 */

/**
 * Show one panel (and focus its heading when the customer switched).
 * @param {string} panelId
 * @param {boolean} [focus]
 */
function showPanel(panelId, focus = false) {
  for (const id of [...Object.values(PANELS), "pattern-panel"]) $(id).hidden = id !== panelId;
  if (focus) /** @type {HTMLElement} */ ($(panelId).querySelector("h2")).focus();
}

/** @param {Screen} screen */
function wireAppCert({ api }) {
  $("app-pin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    clearError("app-pin-error");
    const pin = valueOf("app-pin");
    if (!/^\d{6}$/.test(pin)) {
      showError("app-pin-error", ["PIN 6자리를 입력해 주십시오.", "Enter the 6-digit PIN."], { field: "app-pin" });
      return;
    }
    clearInputs("app-pin");
    guarded(["app-pin-submit"], "app-pin-error", async () => {
      await api.post("/app-cert/pin", { pin });
      $("factor-choice").hidden = true;
      showPanel("pattern-panel", true);
    }, { api, field: "app-pin" });
  });

  const pad = new PatternPad($("pattern-pad"), {
    line: /** @type {SVGPolylineElement | null} */ (document.getElementById("pattern-line")),
    onChange: (cells) => say($("pattern-status"), cells.length ? `점 ${cells.length}개 선택됨` : "",
      cells.length ? `${cells.length} dot(s) selected` : ""),
    onDrawn: (cells) => submit(cells),
  });
  /** @param {number[]} cells */
  const submit = (cells) => {
    clearError("pattern-error");
    if (cells.length < 4) {
      showError("pattern-error", ["점 4개 이상을 이어 패턴을 그려 주십시오.", "Connect at least 4 dots."]);
      return;
    }
    guarded(["pattern-submit", "pattern-clear"], "pattern-error", async () => {
      try {
        await api.post("/app-cert/pattern", { pattern: cells });
        goTo("contact");
      } finally {
        pad.clear();
      }
    }, { api });
  };
  $("pattern-submit").addEventListener("click", () => submit(pad.value));
  $("pattern-clear").addEventListener("click", () => {
    pad.clear();
    clearError("pattern-error");
    /** @type {HTMLElement} */ ($("pattern-pad").querySelector(".pattern__dot")).focus();
  });
}

/** @param {string} part `first_two` | `last_two` */
function partLabel(part) {
  return part === "first_two" ? ["앞 2자리", "first 2 digits"] : ["뒤 2자리", "last 2 digits"];
}

/** @param {Screen} screen */
function wireCard({ api }) {
  const ask = async () => {
    const prompt = await api.post("/security-card/challenge", {});
    const cell = (/** @type {number} */ n) => String(n).padStart(2, "0");
    const [aKo, aEn] = partLabel(prompt.part_a);
    const [bKo, bEn] = partLabel(prompt.part_b);
    say($("card-a-label"), `[${cell(prompt.cell_a)}]번 ${aKo}`, `Cell [${cell(prompt.cell_a)}], ${aEn}`);
    say($("card-b-label"), `[${cell(prompt.cell_b)}]번 ${bKo}`, `Cell [${cell(prompt.cell_b)}], ${bEn}`);
    say($("card-serial"), `보안카드 일련번호 끝자리 ${prompt.card_serial_tail}`,
      `Security card ending in ${prompt.card_serial_tail}`);
    $("card-form").dataset.cells = `${prompt.cell_a},${prompt.part_a},${prompt.cell_b},${prompt.part_b}`;
  };
  $("card-form").addEventListener("submit", (event) => {
    event.preventDefault();
    clearError("card-error");
    const answer = `${valueOf("card-a")}${valueOf("card-b")}`;
    if (!/^\d{4}$/.test(answer)) {
      showError("card-error", ["요청한 칸의 숫자 2자리씩을 입력해 주십시오.", "Enter 2 digits for each cell asked."],
        { field: "card-a" });
      return;
    }
    clearInputs("card-a", "card-b");
    guarded(["card-submit"], "card-error", async () => {
      try {
        await api.post("/security-card", { answer });
        goTo(registering() ? "app-cert" : "contact");
      } catch (err) {
        if (!(err instanceof ApiError && err.code === "ra_wrong_credential")) throw err;
        await ask(); // a wrong answer gets new cells
        showError("card-error", withRemaining(err), { field: "card-a" });
      }
    }, { api, field: "card-a" });
  });
  return ask;
}

/** @param {Screen} screen */
function wireOtp({ api }) {
  $("otp-form").addEventListener("submit", (event) => {
    event.preventDefault();
    clearError("otp-error");
    const code = valueOf("otp-code");
    if (!/^\d{6}$/.test(code)) {
      showError("otp-error", ["OTP 번호 6자리를 입력해 주십시오.", "Enter the 6-digit OTP code."], { field: "otp-code" });
      return;
    }
    clearInputs("otp-code");
    guarded(["otp-submit"], "otp-error", async () => {
      await api.post("/otp", { code });
      goTo(registering() ? "app-cert" : "contact");
    }, { api, field: "otp-code" });
  });
}

/**
 * The choice between factors when the customer has more than one.
 * @param {string[]} factors
 * @param {(factor: string) => void} choose
 */
function factorChoice(factors, choose) {
  const items = factors.map((factor, index) => {
    const label = document.createElement("label");
    label.className = "choice";
    const input = Object.assign(document.createElement("input"), { type: "radio", name: "factor", value: factor,
      id: `factor-${factor}`, checked: index === 0 });
    input.addEventListener("change", () => choose(factor));
    label.htmlFor = input.id;
    const title = document.createElement("span");
    title.className = "choice__title";
    const [ko, en] = LABELS[factor] ?? [factor, factor];
    title.append(bi(ko, en));
    label.append(input, title);
    return label;
  });
  $("factor-list").replaceChildren(...items);
  $("factor-choice").hidden = false;
}

/** @param {Screen} screen */
export async function runSecondFactor(screen) {
  const { session, flow } = screen;
  wireAppCert(screen);
  const askCard = wireCard(screen);
  wireOtp(screen);
  if (session.state === "app_pin_ok") {
    showPanel("pattern-panel");
    return;
  }
  const factors = (flow.secondFactors ?? []).filter((f) => f in PANELS && !(registering() && f === "app_cert"));
  const offered = factors.length ? factors : Object.keys(PANELS);
  /** @param {string} factor */
  const choose = async (factor) => {
    showPanel(PANELS[factor]);
    if (factor === "security_card") {
      try {
        await askCard();
      } catch (err) {
        await handleError(err, "card-error", { api: screen.api });
      }
    }
  };
  if (offered.length > 1) factorChoice(offered, choose);
  await choose(offered[0]);
}
