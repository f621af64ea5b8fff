/**
 * The one password checklist of the bank app (issuance and the wallet's 비밀번호 변경): a list of rules, each line
 * ✔ met, ✘ not met, or – not judged yet. Only what has been typed is judged ({@link checkPassword} leaves a line
 * `ok: null` while its field is empty), and every line is worded as what a good password has ("특수문자 포함",
 * "사용할 수 없는 특수문자 제외"), never as the fault, so a ✔ always reads as good news.
 * @module password-checklist
 */

import { bi } from "./bank-shell.js";
import { checkPassword } from "./password-policy.js";

/**
 * The rules object for the checklist: the server's codes and limits, with this module's positive wording (the
 * server's messages name the fault; they belong in the error line after a refusal).
 * @param {import("./password-policy.js").PasswordRules} policy
 * @returns {import("./password-policy.js").PasswordRules}
 */
export function checklistRules(policy) {
  return { ...policy, rules: policy.rules.map((rule) => ({ code: rule.code })) };
}

/**
 * Draw a checklist result into a list element.
 * @param {HTMLElement} list the `<ul class="checklist__items">`
 * @param {ReturnType<typeof checkPassword>} result
 */
export function drawChecklist(list, result) {
  const items = result.items.map((item) => {
    const li = document.createElement("li");
    const state = item.ok === true ? "ok" : item.ok === false ? "bad" : "unknown";
    li.className = `check-item check-item--${state}`;
    li.dataset.code = item.code;
    li.dataset.ok = String(item.ok);
    const status = document.createElement("span");
    status.className = "sr-only";
    status.append(item.ok === true ? bi("충족: ", "met: ") : item.ok === false ? bi("미충족: ", "not met: ")
      : bi("확인 전: ", "not checked yet: "));
    li.append(status, bi(item.messageKo, item.messageEn));
    return li;
  });
  list.replaceChildren(...items);
}

/**
 * Wire a live checklist to a password field and its confirmation.
 * @param {{password: HTMLInputElement, confirm: HTMLInputElement, list: HTMLElement,
 *   rules: import("./password-policy.js").PasswordRules,
 *   context?: () => import("./password-policy.js").PasswordContext}} options
 * @returns {() => ReturnType<typeof checkPassword>} check and redraw now
 */
export function liveChecklist({ password, confirm, list, rules, context }) {
  const wording = checklistRules(rules);
  const update = () => {
    const result = checkPassword(password.value, { ...(context?.() ?? {}), confirmation: confirm.value }, wording);
    drawChecklist(list, result);
    return result;
  };
  password.addEventListener("input", update);
  confirm.addEventListener("input", update);
  update();
  return update;
}
