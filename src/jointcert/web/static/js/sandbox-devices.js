/**
 * The sandbox devices' pages (virtual phone, virtual OTP): they poll the sandbox JSON API instead of reloading, so a
 * half-typed code is never wiped. The phone adds a card for each new call and removes ended ones, leaving the others
 * (and what is typed in them) alone; an answer goes to the JSON API and the result shows in place. Without script
 * the forms still post to the page.
 * @module sandbox-devices
 */

import { $, bi, say } from "./bank-shell.js";

const POLL_MS = 2000;
const RESULTS = /** @type {Record<string, [string, string]>} */ ({
  confirmed: ["확인되었습니다", "confirmed"],
  wrong_code: ["인증번호가 틀렸습니다", "wrong code"],
  expired: ["시간이 지났습니다", "expired"],
});

/** @param {string} url */
async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
  if (!response.ok) throw new Error(String(response.status));
  return response.json();
}

/**
 * @param {string} number
 * @param {HTMLFormElement} form
 */
function wireAnswer(number, form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const callId = String(data.get("call_id"));
    const response = await fetch(`/api/v1/sandbox/phone/${encodeURIComponent(number)}/calls/${callId}/answer`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ digits: String(data.get("digits")) }),
    });
    const answer = response.ok ? await response.json() : { status: "expired" };
    const [ko, en] = RESULTS[answer.status] ?? [answer.status, answer.status];
    const result = $("phone-result");
    say(result, `결과: ${ko} (${answer.status})`, `Result: ${en} (${answer.status})`);
    result.className = `notice msg ${answer.status === "confirmed" ? "notice--ok" : "notice--warn"}`;
    result.hidden = false;
    form.closest("[data-call]")?.remove();
    $("idle").hidden = document.querySelectorAll("[data-call]").length > 0;
  });
}

/** @param {any} call */
function callCard(call) {
  const template = /** @type {HTMLTemplateElement} */ ($("call-template"));
  const card = /** @type {HTMLElement} */ (template.content.firstElementChild?.cloneNode(true));
  card.dataset.call = call.call_id;
  const heading = /** @type {HTMLElement} */ (card.querySelector("h2"));
  heading.id = `call-${call.call_id}`;
  heading.replaceChildren(bi("수신 전화", "Incoming call"), ` · ${call.caller}`);
  card.setAttribute("aria-labelledby", heading.id);
  /** @type {HTMLElement} */ (card.querySelector(".call__prompt")).textContent = call.prompt_ko;
  for (const hidden of card.querySelectorAll("input[name=call_id]")) /** @type {HTMLInputElement} */ (hidden).value = call.call_id;
  const input = /** @type {HTMLInputElement} */ (card.querySelector("input[name=digits]"));
  input.id = `digits-${call.call_id}`;
  /** @type {HTMLLabelElement} */ (card.querySelector("label")).htmlFor = input.id;
  return card;
}

/** @param {string} number */
async function phone(number) {
  for (const form of document.querySelectorAll(".call__form")) wireAnswer(number, /** @type {HTMLFormElement} */ (form));
  const poll = async () => {
    try {
      const calls = await getJson(`/api/v1/sandbox/phone/${encodeURIComponent(number)}/calls`);
      const ids = new Set(calls.map((/** @type {any} */ c) => c.call_id));
      for (const card of document.querySelectorAll("[data-call]")) {
        if (!ids.has(/** @type {HTMLElement} */ (card).dataset.call)) card.remove();
      }
      for (const call of calls) {
        if (document.querySelector(`[data-call="${CSS.escape(call.call_id)}"]`)) continue;
        const card = callCard(call);
        $("calls").append(card);
        wireAnswer(number, /** @type {HTMLFormElement} */ (card.querySelector("form")));
      }
      $("idle").hidden = calls.length > 0;
    } catch {
      // the next poll tries again
    }
  };
  setInterval(poll, POLL_MS);
}

/** @param {string} user */
function otp(user) {
  setInterval(async () => {
    try {
      const code = await getJson(`/api/v1/sandbox/otp/${encodeURIComponent(user)}`);
      const node = document.getElementById("otp-code");
      if (node && node.textContent !== code.code) node.textContent = code.code;
      const until = document.getElementById("otp-until");
      if (until) until.textContent = code.valid_until ? `~ ${code.valid_until}` : "";
    } catch {
      // no device, or the server is busy: keep what is shown
    }
  }, 5000);
}

const device = document.body.dataset.device;
if (device === "phone") phone(document.body.dataset.number ?? "");
else if (device === "otp") otp(document.body.dataset.user ?? "");
document.body.dataset.ready = "true";
