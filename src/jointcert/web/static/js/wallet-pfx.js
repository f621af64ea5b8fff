/**
 * 인증서 관리 → PFX로 내보내기 / PFX 파일 가져오기 (`/bank/wallet`): the wallet's certificate, key and R written as a
 * `.pfx` file (`pfx.js`), and a `.pfx` from a PC (OpenSSL, Windows, `jointcert export --pfx`) stored in the wallet.
 * Everything happens in the page: the key is decrypted from the vault, encrypted into the PFX and offered as a
 * download; an imported PFX is opened with its password and stored under the certificate password. Nothing is sent.
 *
 * Kept apart from `bank-wallet.js`: it reads the chosen certificate from `#detail[data-id]` and tells the list to
 * reload with a `wallet:changed` event.
 * @module wallet-pfx
 */

import { $, clearError, say, setBusy, showError } from "./bank-shell.js";
import { parseCertificate } from "./certinfo.js";
import { InvalidInputError } from "./errors.js";
import { download, readPicked, safeName } from "./npki-files.js";
import { checkPassword, DEFAULT_RULES } from "./password-policy.js";
import { readRandomNum } from "./pkcs8.js";
import { readPfx, writePfx } from "./pfx.js";
import { openVault } from "./vault.js";

const PANELS = ["pfx-export", "pfx-import"];

/**
 * @param {string} id
 * @returns {HTMLInputElement}
 */
const input = (id) => /** @type {HTMLInputElement} */ ($(id));

/** @param {string} [except] */
function hidePanels(except) {
  for (const name of PANELS) {
    if (name === except) continue;
    $(`${name}-panel`).hidden = true;
    clearError(`${name}-error`);
    for (const field of $(`${name}-form`).querySelectorAll("input")) /** @type {HTMLInputElement} */ (field).value = "";
  }
}

/** @param {string} name */
function openPanel(name) {
  for (const panel of document.querySelectorAll(".action-panel")) /** @type {HTMLElement} */ (panel).hidden = true;
  hidePanels(name);
  $("wallet-message").hidden = true;
  $(`${name}-panel`).hidden = false;
  /** @type {HTMLElement | null} */ ($(`${name}-form`).querySelector("input"))?.focus();
}

/** @param {[string, string]} text */
function announce([ko, en]) {
  const box = $("wallet-message");
  say(box, ko, en);
  box.hidden = false;
  box.focus();
}

/**
 * The certificate password a PFX is stored under must follow the policy (the wallet's other passwords do).
 * @param {string} password
 * @param {string} field
 */
function requirePolicy(password, field) {
  const result = checkPassword(password, {}, DEFAULT_RULES);
  if (!result.ok) {
    const failed = result.items.filter((item) => item.ok === false);
    throw Object.assign(new InvalidInputError({
      code: "weak_certificate_password",
      messageKo: `인증서 비밀번호 규칙에 맞지 않습니다: ${failed.map((i) => i.messageKo).join(", ")}. 새 인증서 비밀번호를 정하십시오.`,
      messageEn: `The password does not meet the certificate password rules: ${failed.map((i) => i.messageEn).join(", ")}. Choose a new certificate password.`,
    }), { field });
  }
}

async function exportPfx() {
  const id = $("detail").dataset.id ?? "";
  const password = input("pfx-export-password").value;
  const pfxPassword = input("pfx-export-pfx-password").value || password;
  const vault = await openVault();
  try {
    const { pkcs8WithRandomNum, certificateDer } = await vault.exportPkcs8(id, password);
    const info = parseCertificate(certificateDer);
    const name = info.subject.cn.split("()")[0] || "certificate";
    const pfx = await writePfx({ certificateDer, pkcs8: pkcs8WithRandomNum, password: pfxPassword, friendlyName: name });
    pkcs8WithRandomNum.fill(0);
    download(`${safeName(name)}_${info.serialHex.toLowerCase()}.pfx`, pfx);
    hidePanels();
    announce([`${name} 인증서를 PFX 파일로 내보냈습니다. 파일과 비밀번호를 안전하게 보관하십시오.`,
      `${name}'s certificate has been exported as a PFX file. Keep the file and its password safe.`]);
  } finally {
    vault.close();
  }
}

async function importPfx() {
  const data = await readPicked(input("pfx-file"), ["PFX 파일을 선택하십시오.", "Choose a PFX file."]);
  const password = input("pfx-import-password").value;
  const newPassword = input("pfx-import-new-password").value;
  const contents = await readPfx(data, password);
  const stored = newPassword || password;
  requirePolicy(stored, newPassword ? "pfx-import-new-password" : "pfx-import-password");
  const randomNum = readRandomNum(contents.pkcs8);
  const vault = await openVault();
  let saved;
  try {
    saved = await vault.saveCredential({ certificateDer: contents.certificateDer, pkcs8: contents.pkcs8,
      randomNum: randomNum ?? new Uint8Array(0), meta: { source: "pfx", randomNum: randomNum !== null } }, stored);
  } finally {
    contents.pkcs8.fill(0);
    vault.close();
  }
  hidePanels();
  document.dispatchEvent(new CustomEvent("wallet:changed", { detail: { id: saved.id } }));
  const name = saved.info?.subject.cn.split("()")[0] ?? "";
  announce(randomNum
    ? [`${name} 인증서를 PFX 파일에서 가져왔습니다 (본인확인용 R 포함).`,
      `${name}'s certificate has been imported from the PFX file (R for identity checks included).`]
    : [`${name} 인증서를 가져왔습니다. 이 PFX에는 R이 없어 본인확인(VID)이 필요한 기관 등록에는 쓸 수 없습니다.`,
      `${name}'s certificate has been imported. The PFX carries no R, so it cannot be registered where a VID check is required.`]);
}

/**
 * @param {string} name
 * @param {() => Promise<void>} work
 */
async function run(name, work) {
  clearError(`${name}-error`);
  setBusy(true, `${name}-submit`);
  try {
    await work();
  } catch (err) {
    const field = /** @type {any} */ (err)?.field
      ?? (/** @type {any} */ (err)?.code === "wrong_certificate_password" ? `${name}-password` : undefined);
    showError(`${name}-error`, err, { field });
  } finally {
    setBusy(false, `${name}-submit`);
  }
}

function wire() {
  $("action-pfx-export").addEventListener("click", () => openPanel("pfx-export"));
  $("action-pfx-import").addEventListener("click", () => openPanel("pfx-import"));
  for (const [name, work] of /** @type {const} */ ([["pfx-export", exportPfx], ["pfx-import", importPfx]])) {
    $(`${name}-form`).addEventListener("submit", (event) => {
      event.preventDefault();
      run(name, work);
    });
    $(`${name}-form`).querySelector("[data-cancel]")?.addEventListener("click", () => hidePanels());
    $(`${name}-panel`).addEventListener("keydown", (event) => {
      if (/** @type {KeyboardEvent} */ (event).key === "Escape") hidePanels();
    });
  }
  // the other actions and another certificate close these panels
  for (const other of document.querySelectorAll("[data-form], #cert-items")) {
    other.addEventListener(other.id === "cert-items" ? "change" : "click", () => hidePanels());
  }
  setBusy(false, "pfx-export-submit", "pfx-import-submit");
}

wire();
