/**
 * Screen "발급 완료": the certificate as the wallet holds it now, in the customer's words: the holder's name (not the
 * raw CN), the type, the validity with the days left, the serial and, for a paid certificate, the receipt of the
 * fee (receipt.js: account masked, amount, balance after, date, serial). "PC로 복사" goes to the copy page with this certificate chosen.
 * @module issuance-done
 */

import { $, bi, focusHeading, showError } from "./bank-shell.js";
import { daysLeft } from "./certinfo.js";
import { loadFlow } from "./issuance-common.js";
import { showReceipt } from "./receipt.js";
import { openVault } from "./vault.js";

/** @param {number} krw */
const won = (krw) => krw.toLocaleString("en-US");

/**
 * @param {Date} date
 * @returns {string} YYYY-MM-DD in local time
 */
function day(date) {
  const pad = (/** @type {number} */ n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/**
 * One `<dt>`/`<dd>` pair.
 * @param {[string, string]} term
 * @param {Node | string} value
 */
function fact(term, value) {
  const dt = document.createElement("dt");
  dt.append(bi(...term));
  const dd = document.createElement("dd");
  dd.append(value);
  return [dt, dd];
}

/**
 * The holder's name in a subject CN such as "김민준()0012345678901234": the part before the bracket.
 * @param {string} cn
 */
export function holderName(cn) {
  return cn.split("(")[0] || cn;
}

/** Fill the done screen from the flow (this tab) and the wallet. */
export async function runDone() {
  const issued = loadFlow().issued;
  try {
    if (!issued) throw new Error("nothing issued in this tab");
    const vault = await openVault();
    const credentials = await vault.listCredentials().finally(() => vault.close());
    const stored = credentials.find((c) => c.id === issued.credentialId);
    if (!stored?.info) throw new Error("not in the wallet");
    const info = stored.info;
    const left = daysLeft(info.notAfter, new Date());
    const validity = document.createDocumentFragment();
    validity.append(`${day(info.notBefore)} ~ ${day(info.notAfter)} `, bi(`(${left}일 남음)`, `(${left} days left)`));
    const rows = [
      ...fact(["이름", "Name"], holderName(info.subject.cn)),
      ...fact(["인증서 종류", "Type"], bi(issued.labelKo, issued.labelEn)),
      ...fact(["유효기간", "Valid"], validity),
      ...fact(["발급기관", "Issuer"], [info.issuer.o, info.issuer.cn].filter(Boolean).join(" · ")),
      ...fact(["일련번호", "Serial"], issued.serial),
    ];
    if (issued.feeKrw) {
      rows.push(...fact(["수수료", "Fee"], bi(`${won(issued.feeKrw)}원 출금 완료`, `${won(issued.feeKrw)} KRW paid`)));
    }
    $("done-facts").replaceChildren(...rows);
    showReceipt("receipt", issued.receipt);
    $("done-panel").hidden = false;
    $("done-panel").dataset.credentialId = stored.id;
    $("login-with-cert").setAttribute("href", `/bank/login?credential=${encodeURIComponent(stored.id)}`);
    $("copy-to-pc").setAttribute("href", `/bank/copy/to-pc?credential=${encodeURIComponent(stored.id)}`);
  } catch {
    showError("done-error", ["표시할 발급 결과가 없습니다. 인증서 관리에서 인증서를 확인해 주십시오.",
      "There is no issuance result to show; see your certificates under Manage certificates."], { focus: false });
  }
  document.body.dataset.ready = "true";
  focusHeading();
}
