/**
 * Navigation that keeps progress (issue 16, point 1): the issuance session only moves forward on the server, so a
 * step back means starting again. "이전", the browser's Back and "발급 취소" therefore ask first, in a modal dialog
 * (`#confirm-dialog` in `_step.html`); staying keeps everything as it was. 아이디 찾기 goes back to the identity
 * screen without asking (the same step).
 * @module issuance-nav
 */

import { $, say } from "./bank-shell.js";

/** The screens in the customer's order. */
export const STEP_ORDER = Object.freeze(["terms", "identity", "verify", "account", "second-factor", "app-cert", "contact",
  "type", "password", "done"]);

/**
 * Ask a question in the page's confirm dialog.
 * @param {{title: [string, string], text: [string, string], yes: [string, string], no: [string, string]}} words
 * @returns {Promise<boolean>} true for "yes"
 */
export function ask({ title, text, yes, no }) {
  const dialog = /** @type {HTMLDialogElement} */ ($("confirm-dialog"));
  say($("confirm-title"), ...title);
  say($("confirm-text"), ...text);
  say($("confirm-yes"), ...yes);
  say($("confirm-no"), ...no);
  const opener = /** @type {HTMLElement | null} */ (document.activeElement);
  return new Promise((resolve) => {
    const done = (/** @type {boolean} */ answer) => {
      $("confirm-yes").removeEventListener("click", onYes);
      $("confirm-no").removeEventListener("click", onNo);
      dialog.removeEventListener("cancel", onNo);
      if (dialog.open) dialog.close();
      opener?.focus?.();
      resolve(answer);
    };
    const onYes = () => done(true);
    const onNo = () => done(false);
    $("confirm-yes").addEventListener("click", onYes);
    $("confirm-no").addEventListener("click", onNo);
    dialog.addEventListener("cancel", onNo);
    dialog.dataset.kind = title[1];
    dialog.showModal();
    $("confirm-no").focus(); // the safe answer first
  });
}

/** "이전" / Back: going back means starting again. */
export function askRestart() {
  return ask({
    title: ["이전 단계로 돌아가시겠습니까?", "Go back a step?"],
    text: ["이전 단계로 돌아가면 처음부터 다시 진행합니다. 입력하신 내용과 본인확인은 다시 하셔야 합니다. "
      + "지금 단계에서 계속하시면 진행한 내용이 그대로 유지됩니다.",
    "Going back starts the issuance again: you would enter everything and confirm who you are again. Staying here "
      + "keeps your progress."],
    yes: ["처음부터 다시", "Start again"],
    no: ["이 단계에서 계속", "Stay on this step"],
  });
}

/** "발급 취소": ask first. */
export function askCancel() {
  return ask({
    title: ["발급을 취소하시겠습니까?", "Cancel the issuance?"],
    text: ["취소하면 지금까지 진행한 발급 절차가 종료되며 처음부터 다시 하셔야 합니다.",
      "Cancelling ends this issuance; you would have to start again."],
    yes: ["발급 취소", "Cancel the issuance"],
    no: ["계속 진행", "Continue"],
  });
}

/**
 * Whether `page` comes before `expected` in the customer's order (the browser's Back brought an older screen).
 * @param {string} page
 * @param {string} expected
 */
export function isBehind(page, expected) {
  const here = STEP_ORDER.indexOf(page === "find-id" ? "identity" : page);
  return here >= 0 && here < STEP_ORDER.indexOf(expected);
}

/**
 * The fee's debit, confirmed before a paid type is chosen.
 * @param {{account: string, fee_krw: number, balance_krw: number, balance_after_krw: number}} quote
 */
export function askDebit(quote) {
  const won = (/** @type {number} */ krw) => krw.toLocaleString("en-US");
  return ask({
    title: ["수수료 출금 확인", "Confirm the fee"],
    text: [`출금 계좌 ${quote.account} · 수수료 ${won(quote.fee_krw)}원 · 현재 잔액 ${won(quote.balance_krw)}원 · `
      + `출금 후 잔액 ${won(quote.balance_after_krw)}원. 수수료는 인증서가 발급된 뒤에 출금됩니다.`,
    `Account ${quote.account} · fee ${won(quote.fee_krw)} KRW · balance ${won(quote.balance_krw)} KRW · after the `
      + `debit ${won(quote.balance_after_krw)} KRW. The fee is charged once the certificate is issued.`],
    yes: ["출금에 동의하고 계속", "Agree and continue"],
    no: ["다른 종류 선택", "Choose another type"],
  });
}
