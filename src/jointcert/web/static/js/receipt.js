/**
 * The receipt of a paid issuance (수수료 영수증): withdrawal account (masked by the bank), amount, balance after,
 * date and time (KST) and the certificate's serial. The done screen shows it from the issuance's answer; the
 * wallet from the credential's `meta.receipt`, saved with the certificate.
 * @module receipt
 */

import { $, bi } from "./bank-shell.js";
import { fillFacts } from "./bank-certs.js";

/**
 * What is kept with the credential (public: no full account number, no balance before).
 * @typedef {object} Receipt
 * @property {number} amountKrw
 * @property {number} balanceAfterKrw
 * @property {string} account masked, e.g. `1002-***-**8901`
 * @property {string} chargedAt ISO 8601
 * @property {string} ledgerId
 * @property {string} serial hex
 */

/**
 * The receipt of an issuance answer, or null for a free certificate.
 * @param {{serial: string, fee?: {amount_krw: number, balance_after_krw: number, account: string,
 *   charged_at: string, ledger_id: string} | null}} issued
 * @returns {Receipt | null}
 */
export function receiptOf(issued) {
  const fee = issued.fee;
  if (!fee) return null;
  return { amountKrw: fee.amount_krw, balanceAfterKrw: fee.balance_after_krw, account: fee.account,
    chargedAt: fee.charged_at, ledgerId: fee.ledger_id, serial: issued.serial };
}

/** @param {number} krw */
const won = (krw) => krw.toLocaleString("en-US");

/**
 * `2026-11-25 09:30` in Korean time.
 * @param {string} iso
 */
function kst(iso) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Seoul", year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(new Date(iso));
  const get = (/** @type {string} */ type) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}`;
}

/**
 * Show `receipt` in the section `sectionId` (its `<dl>` is `<sectionId>-facts`); hide the section without one.
 * @param {string} sectionId
 * @param {Receipt | null | undefined} receipt
 */
export function showReceipt(sectionId, receipt) {
  const section = $(sectionId);
  section.hidden = !receipt;
  if (!receipt) return;
  fillFacts($(`${sectionId}-facts`), [
    [bi("출금 계좌", "Account"), receipt.account],
    [bi("수수료", "Fee"), bi(`${won(receipt.amountKrw)}원`, `${won(receipt.amountKrw)} KRW`)],
    [bi("출금 후 잔액", "Balance after"), bi(`${won(receipt.balanceAfterKrw)}원`, `${won(receipt.balanceAfterKrw)} KRW`)],
    [bi("출금 일시", "Date"), bi(`${kst(receipt.chargedAt)} (한국 시간)`, `${kst(receipt.chargedAt)} KST`)],
    [bi("인증서 일련번호", "Certificate serial"), receipt.serial],
    [bi("거래번호", "Transaction"), receipt.ledgerId],
  ]);
}
