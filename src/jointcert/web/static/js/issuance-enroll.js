/**
 * The last screens of the issuance flow. Password (10): the certificate password entered twice against the live
 * checklist (rules from the API); then, in this browser, the RSA-2048 key pair and R (keys.js), the signature over
 * the enrollment challenge (proof of possession), the enrollment call, the certificate with its key and R saved
 * encrypted under the password (vault.js) — with the encryption (km) pair real NPKI subscribers hold: a second key
 * pair made here too, its certificate issued with the signing one in one unit and kept in the same wallet entry —
 * and only then the confirmation (signed by the new key, like CMP certConf):
 * without it the bank revokes the new certificate after a few minutes and refunds the fee, and the current
 * certificate stays (docs/issuance-flow.md). Done (11): what was issued, read back from the wallet.
 *
 * Never sent: the private key and the certificate password. R goes only into the enrollment call, which needs it
 * to compute the VID on the server (docs/issuance-flow.md "Enrollment").
 * @module issuance-enroll
 */

import { $, bi, clearError, focusHeading, say, showError } from "./bank-shell.js";
import { fromBase64, toBase64, utf8 } from "./bytes.js";
import { clearInputs, guarded, loadFlow, saveFlow, goTo } from "./issuance-common.js";
import { generateKeyPair, randomNum, sign } from "./keys.js";
import { checkPassword } from "./password-policy.js";
import { openVault, requestPersistentStorage } from "./vault.js";
import { prepareKey } from "./kdf.js";
import { receiptOf } from "./receipt.js";

/** @typedef {import("./issuance.js").Screen} Screen */

/**
 * @param {number} krw
 * @returns {string} e.g. 4,400
 */
const won = (krw) => krw.toLocaleString("en-US");

/**
 * @param {Date} date
 * @returns {string} YYYY-MM-DD in local time
 */
function day(date) {
  const pad = (/** @type {number} */ n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** @param {Record<string, any>} type the chosen type (label, fee, reissue) */
function typeSummary(type) {
  const fee = type.fee_krw
    ? [`수수료 ${won(type.fee_krw)}원이 확인하신 계좌에서 출금됩니다.`, `A fee of ${won(type.fee_krw)} KRW is charged to your account.`]
    : ["수수료는 없습니다.", "There is no fee."];
  const node = $("type-summary");
  node.replaceChildren(bi(`${type.label_ko} · ${fee[0]}`, `${type.label_en} · ${fee[1]}`));
  if (type.reissue) node.append(bi(" 기존 인증서는 새 인증서로 대체됩니다.", " Your current certificate will be replaced."));
}

/**
 * Draw the checklist.
 * @param {ReturnType<typeof checkPassword>} result
 */
function drawChecklist(result) {
  const items = result.items.map((item) => {
    const li = document.createElement("li");
    const state = item.ok === true ? "ok" : item.ok === false ? "bad" : "unknown";
    li.className = `check-item check-item--${state}`;
    li.dataset.code = item.code;
    li.dataset.ok = String(item.ok);
    const status = document.createElement("span");
    status.className = "sr-only";
    status.append(item.ok === true ? bi("충족: ", "met: ") : item.ok === false ? bi("미충족: ", "not met: ") : bi("", ""));
    li.append(status, bi(item.messageKo, item.messageEn));
    return li;
  });
  $("checklist").replaceChildren(...items);
}

/** @param {Screen} screen */
export async function runPassword({ api, flow }) {
  const challenge = await api.post("/enrollment/challenge", {});
  typeSummary(flow.typeChosen ?? { label_ko: "", label_en: "", fee_krw: challenge.fee_krw });
  const policy = challenge.password_policy;
  // The checklist says what a good password has (the module's own wording for each rule); the error line below a
  // refused password uses the server's messages, which name what is wrong.
  const checklistRules = { ...policy, rules: policy.rules.map((/** @type {{code: string}} */ r) => ({ code: r.code })) };
  /** @type {Record<string, {message_ko: string, message_en: string}>} */
  const serverMessages = Object.fromEntries(policy.rules.map((/** @type {any} */ r) => [r.code, r]));
  const password = /** @type {HTMLInputElement} */ ($("cert-password"));
  const confirm = /** @type {HTMLInputElement} */ ($("cert-password-confirm"));
  const check = () => checkPassword(password.value, { userId: flow.userId, birthDate: flow.birthDate,
    confirmation: confirm.value }, checklistRules);
  let pairs = keyPairs(); // made while the customer types
  /** @type {import("./kdf.js").PreparedKey | null} */
  let prepared = null; // the wallet's password key, derived as soon as the password is valid and confirmed
  const redraw = () => {
    const result = check();
    drawChecklist(result);
    if (password.value && !result.failed.length && prepared?.password !== password.value) {
      prepared = prepareKey(password.value);
    }
  };
  password.addEventListener("input", () => { clearError("password-error"); redraw(); });
  confirm.addEventListener("input", () => { clearError("confirm-error"); redraw(); });
  redraw();

  $("password-form").addEventListener("submit", (event) => {
    event.preventDefault();
    for (const id of ["password-error", "confirm-error", "enroll-error"]) clearError(id);
    const result = check();
    const broken = result.items.filter((i) => i.ok === false && i.code !== "matches_confirmation");
    if (!password.value || broken.length) {
      const ko = broken.map((i) => serverMessages[i.code]?.message_ko ?? i.messageKo).join(" ");
      const en = broken.map((i) => serverMessages[i.code]?.message_en ?? i.messageEn).join(" ");
      showError("password-error", [`비밀번호가 규칙에 맞지 않습니다: ${ko || "비밀번호를 입력해 주십시오"}`,
        `The password does not meet the rules: ${en || "enter a password"}`], { field: "cert-password" });
      return;
    }
    if (result.failed.includes("matches_confirmation")) {
      clearInputs("cert-password-confirm");
      redraw();
      showError("confirm-error", ["비밀번호가 일치하지 않습니다. 비밀번호 확인을 다시 입력해 주십시오.",
        "The passwords do not match; enter the confirmation again."], { field: "cert-password-confirm" });
      return;
    }
    const made = pairs;
    pairs = keyPairs(); // a retry gets new ones
    const key = prepared?.password === password.value ? prepared : prepareKey(password.value);
    guarded(["password-submit"], "enroll-error", () => issue(api, password.value, challenge.challenge, made, key)
      .finally(() => {
        prepared = null;
        clearInputs("cert-password", "cert-password-confirm");
        say($("enroll-status"), "", "");
        redraw();
      }), { api });
  });
}

/**
 * The signing pair and the encryption (km) pair (kmCert.der + kmPri.key, no R), made side by side in the background.
 * @returns {Promise<Awaited<ReturnType<typeof generateKeyPair>>[]>}
 */
function keyPairs() {
  const made = Promise.all([generateKeyPair(), generateKeyPair()]);
  made.catch(() => null); // a failure surfaces when issue() awaits it
  return made;
}

/**
 * Key pairs and R in the browser, proof of possession, enrollment, then the wallet.
 * @param {Screen["api"]} api
 * @param {string} password
 * @param {string} challenge the session's enrollment challenge (the same for every call)
 * @param {ReturnType<typeof keyPairs>} pairs
 * @param {import("./kdf.js").PreparedKey} prepared the wallet's password key, derived ahead
 */
async function issue(api, password, challenge, pairs, prepared) {
  const status = $("enroll-status");
  say(status, "이 기기에서 키를 만드는 중…", "Making the key pairs on this device…");
  const [{ privateKey, spki }, km] = await pairs;
  const r = randomNum();
  try {
    const [signature, kmSignature] = await Promise.all([sign(privateKey, utf8(challenge)),
      sign(km.privateKey, utf8(challenge))]);
    say(status, "인증서를 발급하는 중…", "Issuing the certificate…");
    const issued = await api.post("/enrollment", {
      public_key: toBase64(spki), random_num: toBase64(r), signature: toBase64(signature),
      km_public_key: toBase64(km.spki), km_signature: toBase64(kmSignature),
    });
    say(status, "이 기기에 안전하게 저장하는 중…", "Storing it safely on this device…");
    const vault = await openVault();
    let saved;
    try {
      const kmPart = issued.km_certificate
        ? { km: { privateKey: km.privateKey, certificateDer: fromBase64(issued.km_certificate) } } : {};
      saved = await vault.saveCredential({ privateKey, randomNum: r, certificateDer: fromBase64(issued.certificate),
        ...kmPart, meta: { type: issued.cert_type, serial: issued.serial, source: "issuance", bank: "HANBIT",
          receipt: receiptOf(issued), kmSerial: issued.km_serial ?? null } }, password, { prepared });
    } finally {
      vault.close();
    }
    say(status, "발급을 확정하는 중…", "Confirming the issuance…");
    await Promise.all([requestPersistentStorage(), confirmSaved(api, privateKey, challenge, issued.serial)]);
    saveFlow({ token: null, call: null, issued: {
      credentialId: saved.id, serial: issued.serial, certType: issued.cert_type, labelKo: issued.label_ko,
      labelEn: issued.label_en, subject: issued.subject, notBefore: issued.not_before, notAfter: issued.not_after,
      reissue: issued.reissue, feeKrw: issued.fee?.amount_krw ?? 0, receipt: receiptOf(issued),
    } });
    goTo("done");
  } finally {
    r.fill(0);
  }
}

/**
 * Tell the bank the certificate is saved: the new key signs `jointcert-confirm:<challenge>:<serial>`. A lost answer
 * is retried (a repeated confirmation answers the same).
 * @param {Screen["api"]} api
 * @param {CryptoKey} privateKey
 * @param {string} challenge
 * @param {string} serial
 */
async function confirmSaved(api, privateKey, challenge, serial) {
  const signature = toBase64(await sign(privateKey, utf8(`jointcert-confirm:${challenge}:${serial}`)));
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await api.post("/enrollment/confirm", { signature });
    } catch (error) {
      if (attempt >= 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
}

/**
 * One row of the facts list.
 * @param {[string, string]} term
 * @param {string | Node} value
 * @returns {Node[]}
 */
function fact(term, value) {
  const dt = document.createElement("dt");
  dt.append(bi(...term));
  const dd = document.createElement("dd");
  dd.append(value);
  return [dt, dd];
}

/** Screen 11: the certificate as the wallet holds it now. */
export async function runDone() {
  const issued = loadFlow().issued;
  try {
    if (!issued) throw new Error("nothing issued in this tab");
    const vault = await openVault();
    const credentials = await vault.listCredentials().finally(() => vault.close());
    const stored = credentials.find((c) => c.id === issued.credentialId);
    if (!stored?.info) throw new Error("not in the wallet");
    const info = stored.info;
    const type = document.createDocumentFragment();
    type.append(bi(issued.labelKo, issued.labelEn));
    $("done-facts").replaceChildren(
      ...fact(["인증서 종류", "Type"], type),
      ...fact(["이름", "Subject"], info.subject.cn),
      ...fact(["발급기관", "Issuer"], [info.issuer.o, info.issuer.cn].filter(Boolean).join(" · ")),
      ...fact(["유효기간", "Valid"], `${day(info.notBefore)} ~ ${day(info.notAfter)}`),
      ...fact(["일련번호", "Serial"], issued.serial),
      ...(issued.feeKrw ? fact(["수수료", "Fee"], bi(`${won(issued.feeKrw)}원 출금`, `${won(issued.feeKrw)} KRW charged`)) : []),
    );
    $("done-panel").hidden = false;
    $("done-panel").dataset.credentialId = stored.id;
    const login = $("login-with-cert");
    login.setAttribute("href", `/bank/login?credential=${encodeURIComponent(stored.id)}`);
  } catch {
    showError("done-error", ["표시할 발급 결과가 없습니다. 인증서 관리에서 인증서를 확인해 주십시오.",
      "There is no issuance result to show; see your certificates under Manage certificates."], { focus: false });
  }
  document.body.dataset.ready = "true";
  focusHeading();
}
