/**
 * 인증서 관리 (`/bank/wallet`): the certificates in this browser, the chosen one's details, and its actions —
 * change the password (with the live policy checklist), renew (only within the renewal window before expiry: a new
 * key pair made here, the holder's signature and the new key's proof over one challenge, the new certificate
 * replaces the old in the wallet keeping R), revoke (reason, confirmation; removed from the wallet), delete (with
 * confirmation) and reissue (the issuance flow). Keys, R and passwords never leave the page.
 * @module bank-wallet
 */

import { createApiClient } from "./api.js";
import { $, bi, clearError, say, setBusy, showError } from "./bank-shell.js";
import { chosenId, fillFacts, loadConfig, renderChoices, serverClock, validityLine } from "./bank-certs.js";
import { fromBase64, toBase64, utf8 } from "./bytes.js";
import { generateKeyPair, sign } from "./keys.js";
import { checklistRules, drawChecklist } from "./password-checklist.js";
import { checkPassword, DEFAULT_RULES } from "./password-policy.js";
import { openVault } from "./vault.js";
import { receiptOf, showReceipt } from "./receipt.js";

const api = createApiClient();
const PANELS = ["password-form", "renew-form", "revoke-form", "delete-form"];
/** The field holding the certificate password in each form (marked when it is wrong). */
const PASSWORD_FIELDS = /** @type {Record<string, string>} */ ({
  "password-form": "pw-old", "renew-form": "renew-password", "revoke-form": "revoke-password" });
const REASONS = /** @type {Record<string, [string, string]>} */ ({
  unspecified: ["사유 없음", "no reason given"],
  keyCompromise: ["키 유출 의심", "key compromise"],
  affiliationChanged: ["정보 변경", "affiliation changed"],
  superseded: ["다른 인증서로 대체", "superseded"],
  cessationOfOperation: ["더 이상 사용하지 않음", "no longer used"],
});

const state = {
  /** @type {import("./vault.js").Vault | null} */ vault: null,
  config: loadConfig(),
  /** @type {Map<string, import("./bank-certs.js").CertView | null>} */ views: new Map(),
  /** @type {import("./vault.js").CredentialSummary[]} */ credentials: [],
  /** @type {any} */ rules: DEFAULT_RULES,
};
const now = serverClock(state.config);

/** @returns {import("./vault.js").Vault} */
function vault() {
  if (!state.vault) throw new Error("vault not open");
  return state.vault;
}

/**
 * @param {string} id
 * @returns {HTMLInputElement}
 */
const input = (id) => /** @type {HTMLInputElement} */ ($(id));

// --- list and details ------------------------------------------------------------------------------------------

/** @param {string | null} [selected] */
async function refresh(selected = null) {
  state.credentials = await vault().listCredentials();
  state.views = renderChoices(state.credentials, state.config, now(), { selected });
  for (const radio of $("cert-items").querySelectorAll("input")) {
    radio.addEventListener("change", () => showDetail(/** @type {HTMLInputElement} */ (radio).value));
  }
  const chosen = chosenId();
  if (chosen) showDetail(chosen, { focus: false });
  else hideDetail();
}

function hideDetail() {
  $("detail").hidden = true;
  closePanels();
}

/**
 * @param {string} id
 * @param {{focus?: boolean}} [options]
 */
function showDetail(id, { focus = false } = {}) {
  const about = state.views.get(id);
  closePanels();
  $("detail").hidden = false;
  $("detail").dataset.id = id;
  if (!about) {
    say($("detail-title"), "손상된 인증서", "Damaged certificate");
    showReceipt("detail-receipt", null);
    fillFacts($("detail-facts"), []);
    say($("renew-note"), "이 인증서는 읽을 수 없습니다. 삭제 후 재발급하십시오.",
      "This certificate cannot be read. Delete it and get it reissued.");
    for (const action of ["action-password", "action-renew", "action-revoke"]) setDisabled(action, true);
    return;
  }
  $("detail-title").textContent = about.name;
  const meta = state.credentials.find((c) => c.id === id)?.meta;
  showReceipt("detail-receipt", /** @type {any} */ (meta?.receipt));
  fillFacts($("detail-facts"), [
    [bi("종류", "Type"), bi(about.typeKo, about.typeEn)],
    [bi("발급자", "Issuer"), about.issuer],
    [bi("소유자", "Subject"), about.subject],
    [bi("일련번호", "Serial"), about.serial],
    [bi("유효기간", "Validity"), `${about.from} ~ ${about.until}`],
    [bi("남은 기간", "Left"), validityLine(about)],
  ]);
  if (about.renewable) {
    say($("renew-note"), "만료 30일 전부터 갱신할 수 있습니다. 지금 갱신할 수 있습니다.",
      "Renewal opens 30 days before expiry: you can renew now.");
  } else if (about.expired) {
    say($("renew-note"), "만료된 인증서는 갱신할 수 없습니다. 재발급을 받으십시오.",
      "An expired certificate cannot be renewed; get it reissued.");
  } else {
    say($("renew-note"), `갱신은 만료 ${state.config.renewalWindowDays}일 전(${about.renewableFrom})부터 할 수 있습니다.`,
      `Renewal opens ${state.config.renewalWindowDays} days before expiry (${about.renewableFrom}).`);
  }
  setDisabled("action-password", false);
  setDisabled("action-renew", !about.renewable);
  setDisabled("action-revoke", about.expired);
  if (focus) $("detail-title").focus();
}

/**
 * @param {string} id
 * @param {boolean} disabled
 */
function setDisabled(id, disabled) {
  /** @type {HTMLButtonElement} */ ($(id)).disabled = disabled;
}

/** @param {[string, string]} text */
function announce(text) {
  const box = $("wallet-message");
  say(box, ...text);
  box.hidden = false;
  box.focus();
}

// --- action panels ---------------------------------------------------------------------------------------------

function closePanels() {
  for (const form of PANELS) {
    $(`${form}-panel`).hidden = true;
    clearError(form.replace("-form", "-error"));
    for (const field of $(form).querySelectorAll("input")) {
      const node = /** @type {HTMLInputElement} */ (field);
      if (node.type === "checkbox") node.checked = false;
      else if (node.type === "radio") node.checked = node.defaultChecked;
      else node.value = "";
    }
  }
  $("pw-checklist").replaceChildren();
}

/** @param {string} form */
function openPanel(form) {
  closePanels();
  $("wallet-message").hidden = true;
  $(`${form}-panel`).hidden = false;
  if (form === "password-form") updateChecklist();
  const first = /** @type {HTMLElement | null} */ ($(form).querySelector("input, select, button"));
  first?.focus();
}

/** @param {string} form */
function cancelPanel(form) {
  closePanels();
  const opener = /** @type {HTMLElement | null} */ (document.querySelector(`[data-form="${form}"]`));
  opener?.focus();
}

function updateChecklist() {
  const result = checkPassword(input("pw-new").value, { confirmation: input("pw-confirm").value },
    checklistRules(state.rules));
  drawChecklist($("pw-checklist"), result);
  return result;
}

/**
 * Run one action with its submit button disabled; show errors in its error line.
 * @param {string} form
 * @param {() => Promise<void>} work
 * @param {(err: unknown) => string | undefined} [fieldOf] the field to mark for an error
 */
async function run(form, work, fieldOf = () => undefined) {
  const submit = form.replace("-form", "-submit");
  const errorId = form.replace("-form", "-error");
  clearError(errorId);
  setBusy(true, submit);
  try {
    await work();
  } catch (err) {
    $("progress").replaceChildren();
    showError(errorId, err, { field: fieldOf(err) });
  } finally {
    setBusy(false, submit);
  }
}

/** @param {unknown} err */
const wrongPassword = (err) => /** @type {any} */ (err)?.code === "wrong_certificate_password";

// --- the actions -----------------------------------------------------------------------------------------------

function selected() {
  const id = $("detail").dataset.id ?? "";
  return { id, about: state.views.get(id) ?? null };
}

async function changePassword() {
  const { id } = selected();
  const old = input("pw-old").value;
  if (!old) return showError("password-error", ["현재 비밀번호를 입력하십시오.", "Enter the current password."],
    { field: "pw-old" });
  const check = updateChecklist();
  if (!check.ok) return showError("password-error", ["새 비밀번호가 규칙에 맞지 않습니다.",
    "The new password does not meet the rules."], { field: "pw-new" });
  say($("progress"), "비밀번호를 바꾸는 중…", "Changing the password…");
  await vault().changePassword(id, old, input("pw-new").value);
  $("progress").replaceChildren();
  closePanels();
  announce(["인증서 비밀번호를 변경했습니다.", "The certificate password has been changed."]);
  await endLoginsOf(selected().about?.serial ?? "");
}

/**
 * After a password change: if this browser is logged in to the bank with that certificate, every session logged
 * in with it ends (on every device), and this page reloads logged out.
 * @param {string} serial hex
 */
async function endLoginsOf(serial) {
  if (!serial) return;
  const answer = await fetch("/bank/api/session/password-changed", { method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json" }, body: JSON.stringify({ serial }) }).catch(() => null);
  const ended = answer?.ok ? (await answer.json()).logged_out : 0;
  if (ended > 0) announce(["로그인에 사용한 인증서의 비밀번호가 바뀌어 로그아웃되었습니다. 다시 로그인해 주십시오.",
    "You have been logged out because the password of your login certificate changed. Please log in again."]);
}

/**
 * A holder's signature over a fresh challenge for `purpose`.
 * @param {{privateKey: CryptoKey, certificateDer: Uint8Array}} unlocked
 * @param {"renew" | "revoke"} purpose
 */
async function holderProof(unlocked, purpose) {
  const challenge = await api.post("/certificates/challenges", { purpose });
  const signature = await sign(unlocked.privateKey, utf8(challenge.challenge));
  return { challenge, fields: { challenge_id: challenge.challenge_id, certificate: toBase64(unlocked.certificateDer),
    signature: toBase64(signature) } };
}

async function renew() {
  const { id } = selected();
  const password = input("renew-password").value;
  if (!password) return showError("renew-error", ["인증서 비밀번호를 입력하십시오.", "Enter the certificate password."],
    { field: "renew-password" });
  say($("progress"), "새 키를 만들고 갱신하는 중…", "Making a new key and renewing…");
  const unlocked = await vault().unlock(id, password);
  try {
    const { challenge, fields } = await holderProof(unlocked, "renew");
    const pair = await generateKeyPair();
    const pop = await sign(pair.privateKey, utf8(challenge.challenge));
    const old = state.credentials.find((c) => c.id === id);
    // a sign + km pair is renewed whole: a new encryption key too
    const kmPair = old?.kmCertificateDer ? await generateKeyPair() : null;
    const kmFields = kmPair ? { km_public_key: toBase64(kmPair.spki),
      km_pop_signature: toBase64(await sign(kmPair.privateKey, utf8(challenge.challenge))) } : {};
    const issued = await api.post("/certificates/renew",
      { ...fields, public_key: toBase64(pair.spki), pop_signature: toBase64(pop), ...kmFields });
    const km = kmPair && issued.km_certificate
      ? { km: { privateKey: kmPair.privateKey, certificateDer: fromBase64(issued.km_certificate) } } : {};
    const saved = await vault().saveCredential({ privateKey: pair.privateKey, randomNum: unlocked.randomNum,
      certificateDer: fromBase64(issued.certificate), ...km,
      meta: { ...(old?.meta ?? {}), type: issued.cert_type, renewedFrom: issued.superseded_serial,
        receipt: receiptOf(issued) } }, password);
    await vault().deleteCredential(id);
    $("progress").replaceChildren();
    await refresh(saved.id);
    announce([`인증서를 갱신했습니다. 새 유효기간: ${issued.not_after.slice(0, 10)}까지`,
      `The certificate has been renewed; valid until ${issued.not_after.slice(0, 10)}.`]);
  } finally {
    unlocked.randomNum.fill(0);
  }
}

async function revoke() {
  const { id } = selected();
  const password = input("revoke-password").value;
  const reason = /** @type {HTMLInputElement | null} */ (
    document.querySelector("input[name=revoke-reason]:checked"))?.value ?? "unspecified";
  if (!password) return showError("revoke-error", ["인증서 비밀번호를 입력하십시오.", "Enter the certificate password."],
    { field: "revoke-password" });
  if (!input("revoke-confirm").checked) return showError("revoke-error", ["폐지 확인란을 선택하십시오.",
    "Tick the box to confirm the revocation."], { field: "revoke-confirm" });
  say($("progress"), "폐지하는 중…", "Revoking…");
  const unlocked = await vault().unlock(id, password);
  unlocked.randomNum.fill(0);
  const { fields } = await holderProof(unlocked, "revoke");
  const revoked = await api.post("/certificates/revoke", { ...fields, reason });
  await vault().deleteCredential(id);
  $("progress").replaceChildren();
  await refresh();
  const [ko, en] = REASONS[revoked.reason] ?? [revoked.reason, revoked.reason];
  announce([`인증서를 폐지했습니다 (일련번호 ${revoked.serial}, 사유: ${ko}). 이 기기에서도 삭제했습니다.`,
    `The certificate has been revoked (serial ${revoked.serial}, reason: ${en}) and removed from this device.`]);
}

async function remove() {
  const { id, about } = selected();
  await vault().deleteCredential(id);
  await refresh();
  const name = about?.name ?? "";
  announce([`${name} 인증서를 이 기기에서 삭제했습니다.`, `${name}'s certificate has been deleted from this device.`]);
}

// --- wiring ----------------------------------------------------------------------------------------------------

async function loadRules() {
  try {
    state.rules = await api.get("/issuance/password-policy");
  } catch {
    state.rules = DEFAULT_RULES; // the built-in rules; the same as the server's by default
  }
}

function wire() {
  for (const button of document.querySelectorAll("[data-form]")) {
    button.addEventListener("click", () => openPanel(/** @type {HTMLElement} */ (button).dataset.form ?? ""));
  }
  for (const form of PANELS) {
    $(form).querySelector("[data-cancel]")?.addEventListener("click", () => cancelPanel(form));
    $(`${form}-panel`).addEventListener("keydown", (event) => {
      if (/** @type {KeyboardEvent} */ (event).key === "Escape") cancelPanel(form);
    });
  }
  input("pw-new").addEventListener("input", updateChecklist);
  input("pw-confirm").addEventListener("input", updateChecklist);
  const on = (/** @type {string} */ form, /** @type {() => Promise<void>} */ work) =>
    $(form).addEventListener("submit", (event) => {
      event.preventDefault();
      run(form, work, (err) => (wrongPassword(err) ? PASSWORD_FIELDS[form] : undefined));
    });
  on("password-form", changePassword);
  on("renew-form", renew);
  on("revoke-form", revoke);
  on("delete-form", remove);
  // wallet-pfx.js stored a certificate: show the list with it chosen
  document.addEventListener("wallet:changed", (event) => refresh(/** @type {CustomEvent} */ (event).detail?.id));
  setBusy(false, ...PANELS.map((form) => form.replace("-form", "-submit"))); // disabled in the HTML until now
}

async function main() {
  try {
    state.vault = await openVault();
    await Promise.all([refresh(), loadRules()]);
  } catch (err) {
    showError("wallet-status", err, { focus: false });
    document.body.dataset.ready = "true";
    return;
  }
  wire();
  document.body.dataset.ready = "true";
}

main();
