/**
 * The PC web side of certificate copy (인증센터 → 인증서 가져오기 / 내보내기), on top of `relay.js`:
 * - 가져오기 (`/bank/pc/certs/import`, phone → PC): this page makes the one-time code and shows it with a QR
 *   (the QR opens the phone's "PC로 인증서 복사" page with the code in the URL fragment, which is never sent to a
 *   server); the phone sends; the page checks the certificate password and writes signCert.der and signPri.key
 *   into the NPKI folder (File System Access API) or offers them as downloads.
 * - 내보내기 (`/bank/pc/certs/export`, PC → phone): the phone's "PC에서 인증서 가져오기" shows a code; here the
 *   customer types it, picks signCert.der and signPri.key and the password; the key is opened and re-encrypted in
 *   this page and sent.
 * signPri.key is written as PBES2 (PBKDF2-HMAC-SHA256 + AES-256-CBC) with R inside, which
 * `jointcert.npki.keyfile` reads; SEED-encrypted files are not readable by WebCrypto: `jointcert copy send`
 * handles those. The password, the code's secret digits, the key and R never leave the page in the clear.
 * @module pc-copy
 */

import { $, bi, clearError, say, setBusy, showError } from "./bank-shell.js";
import { day, fillFacts, loadConfig } from "./bank-certs.js";
import { parseCertificate } from "./certinfo.js";
import { Asn1Error, InvalidInputError, JointcertError, WrongPasswordError } from "./errors.js";
import { CERT_FILE, KEY_FILE, KM_CERT_FILE, KM_KEY_FILE, canWriteFolders, download, readPicked, writeToFolder }
  from "./npki-files.js";
import { decryptPkcs8, encryptPkcs8 } from "./pbes2.js";
import { qrSvg } from "./qr-svg.js";
import { receivePayload, sendPayload, waitForTransfer } from "./relay.js";
import { wipe } from "./bytes.js";

const POLL_MS = 1000;
const PASSWORD_TRIES = 5;

/** @param {import("./relay.js").TransferStatus} s @param {string} id */
function countdown(s, id) {
  const left = `${Math.floor(s.secondsLeft / 60)}:${String(s.secondsLeft % 60).padStart(2, "0")}`;
  say($(id), `남은 시간 ${left}`, `${left} left`);
}

/** @param {import("./certinfo.js").CertificateInfo} info */
function factsOf(info) {
  return [
    [bi("이름", "Name"), info.subject.cn.split("(")[0] || info.subject.cn],
    [bi("발급자", "Issuer"), [info.issuer.o, info.issuer.cn].filter(Boolean).join(" · ")],
    [bi("유효기간", "Valid until"), day(info.notAfter)],
  ];
}

// --- 가져오기: phone → PC ----------------------------------------------------------------------------------------

class Importer {
  constructor() {
    /** @type {AbortController | null} */
    this.controller = null;
    /** @type {import("./relay.js").Payload | null} */
    this.payload = null;
    /** @type {import("./certinfo.js").CertificateInfo | null} */
    this.info = null;
    this.tries = 0;
  }

  async start() {
    this.controller = new AbortController();
    this.payload = null;
    this.tries = 0;
    clearError("import-error");
    for (const id of ["password-panel", "save-panel", "restart-button"]) $(id).hidden = true;
    $("code-panel").hidden = false;
    $("cancel-button").hidden = false;
    $("copy-code").textContent = "----";
    delete $("copy-code").dataset.code;
    $("qr").replaceChildren();
    try {
      this.payload = await receivePayload({
        interval: POLL_MS,
        signal: this.controller.signal,
        onCode: ({ displayCode }) => this.showCode(displayCode),
        onStatus: (s) => (s.status === "uploaded" ? say($("countdown"), "받는 중…", "Receiving…")
          : countdown(s, "countdown")),
      });
      this.info = parseCertificate(this.payload.certificateDer);
      this.askPassword();
    } catch (err) {
      this.failed(err);
    }
  }

  /** @param {string} displayCode */
  showCode(displayCode) {
    $("copy-code").textContent = displayCode;
    $("copy-code").dataset.code = displayCode;
    const link = `${window.location.origin}/bank/copy/to-pc#code=${displayCode}`;
    $("qr").replaceChildren(qrSvg(link, `QR 코드: 휴대폰으로 찍으면 인증번호 ${displayCode}가 입력된 복사 화면이 열립니다`));
    $("qr").dataset.text = link;
  }

  askPassword() {
    $("code-panel").hidden = true;
    $("password-panel").hidden = false;
    fillFacts($("received-facts"), factsOf(/** @type {any} */ (this.info)));
    setBusy(false, "password-button");
    $("password-title").focus();
  }

  /** @param {SubmitEvent} event */
  async checkPassword(event) {
    event.preventDefault();
    const input = /** @type {HTMLInputElement} */ ($("received-password"));
    if (!input.value) {
      showError("password-error", ["인증서 비밀번호를 입력하십시오.", "Enter the certificate password."],
        { field: "received-password" });
      return;
    }
    clearError("password-error");
    setBusy(true, "password-button");
    try {
      wipe(await decryptPkcs8(/** @type {any} */ (this.payload).encryptedKey, input.value));
      const km = /** @type {any} */ (this.payload).km; // the km key opens with the same password
      if (km) wipe(await decryptPkcs8(km.encryptedKey, input.value));
      input.value = "";
      this.offerSave();
    } catch (err) {
      input.value = "";
      this.tries += 1;
      if (err instanceof WrongPasswordError && this.tries < PASSWORD_TRIES) {
        showError("password-error", [`인증서 비밀번호가 올바르지 않습니다. (오류 ${this.tries}/${PASSWORD_TRIES}회)`,
          `The certificate password is incorrect (${this.tries} of ${PASSWORD_TRIES} tries).`],
        { field: "received-password" });
      } else {
        this.failed(err instanceof WrongPasswordError ? new InvalidInputError({
          messageKo: "인증서 비밀번호를 여러 번 잘못 입력했습니다. 처음부터 다시 시도하십시오.",
          messageEn: "The certificate password was wrong too many times; start again." }) : err);
      }
    } finally {
      setBusy(false, "password-button");
    }
  }

  offerSave() {
    $("password-panel").hidden = true;
    $("save-panel").hidden = false;
    $("folder-button").hidden = !canWriteFolders();
    $("folder-help").hidden = !canWriteFolders();
    const paired = Boolean(/** @type {any} */ (this.payload)?.km);
    for (const id of ["download-km-cert", "download-km-key"]) $(id).hidden = !paired; // a sign + km pair: 4 files
    fillFacts($("saved-facts"), factsOf(/** @type {any} */ (this.info)));
    $("save-title").focus();
  }

  async saveToFolder() {
    clearError("save-error");
    const { certificateDer, encryptedKey, km } = /** @type {any} */ (this.payload);
    try {
      const folder = await writeToFolder(/** @type {any} */ (this.info), certificateDer, encryptedKey, km);
      say($("save-status"), `NPKI 폴더의 ${folder}에 저장했습니다.`, `Saved in the NPKI folder under ${folder}.`);
      $("save-status").dataset.folder = folder;
    } catch (err) {
      if (/** @type {any} */ (err)?.name === "AbortError") return; // the customer closed the folder picker
      showError("save-error", err);
    }
  }

  /** @param {"cert" | "key" | "km-cert" | "km-key"} which */
  downloadFile(which) {
    const { certificateDer, encryptedKey, km } = /** @type {any} */ (this.payload);
    if (which === "cert") download(CERT_FILE, certificateDer);
    else if (which === "key") download(KEY_FILE, encryptedKey);
    else if (km && which === "km-cert") download(KM_CERT_FILE, km.certificateDer);
    else if (km) download(KM_KEY_FILE, km.encryptedKey);
    say($("save-status"), "내려받은 두 파일을 NPKI 폴더의 인증서 폴더에 넣으십시오.",
      "Put both downloaded files into the certificate's folder in the NPKI folder.");
  }

  /** @param {unknown} err */
  failed(err) {
    $("password-panel").hidden = true;
    $("code-panel").hidden = false;
    $("cancel-button").hidden = true;
    $("restart-button").hidden = false;
    $("countdown").replaceChildren();
    $("qr").replaceChildren();
    if (/** @type {any} */ (err)?.name === "AbortError") {
      showError("import-error", ["가져오기를 취소했습니다.", "The import was cancelled."], { focus: false });
    } else {
      showError("import-error", err, { focus: false });
    }
    $("restart-button").focus();
  }
}

function importPage() {
  const importer = new Importer();
  $("cancel-button").addEventListener("click", () => importer.controller?.abort());
  $("restart-button").addEventListener("click", () => importer.start());
  $("password-form").addEventListener("submit", (e) => importer.checkPassword(/** @type {SubmitEvent} */ (e)));
  $("folder-button").addEventListener("click", () => importer.saveToFolder());
  $("download-cert").addEventListener("click", () => importer.downloadFile("cert"));
  $("download-key").addEventListener("click", () => importer.downloadFile("key"));
  $("download-km-cert").addEventListener("click", () => importer.downloadFile("km-cert"));
  $("download-km-key").addEventListener("click", () => importer.downloadFile("km-key"));
  importer.start();
}

// --- 내보내기: PC → phone ----------------------------------------------------------------------------------------

/**
 * Open signPri.key with the password; a clear error for a scheme the browser cannot read (SEED).
 * @param {Uint8Array} signPri
 * @param {string} password
 */
async function openKeyFile(signPri, password) {
  try {
    return await decryptPkcs8(signPri, password);
  } catch (err) {
    if (!(err instanceof Asn1Error)) throw err;
    throw new InvalidInputError({ cause: err,
      messageKo: "이 signPri.key는 웹 브라우저가 열 수 없는 방식(SEED 등)으로 암호화되어 있습니다. PC에서 jointcert copy send 명령으로 보내십시오.",
      messageEn: "This signPri.key is encrypted with a scheme browsers cannot open (such as SEED); send it with `jointcert copy send` on the PC." });
  }
}

/**
 * kmCert.der + kmPri.key when both are picked (a sign + km pair), null when neither is; one alone is an error.
 * @returns {Promise<{certificateDer: Uint8Array, kmPri: Uint8Array} | null>}
 */
async function pickedKm() {
  const certInput = /** @type {HTMLInputElement} */ ($("km-cert-file"));
  const keyInput = /** @type {HTMLInputElement} */ ($("km-key-file"));
  const picked = [certInput, keyInput].filter((i) => i.files?.length).length;
  if (picked === 0) return null;
  const missing = /** @type {[string, string]} */ (["kmCert.der와 kmPri.key를 함께 선택하십시오.",
    "Choose kmCert.der and kmPri.key together."]);
  return { certificateDer: await readPicked(certInput, missing), kmPri: await readPicked(keyInput, missing) };
}

/** @param {SubmitEvent} event */
async function exportCertificate(event) {
  event.preventDefault();
  clearError("export-error");
  const code = /** @type {HTMLInputElement} */ ($("export-code"));
  const password = /** @type {HTMLInputElement} */ ($("export-password"));
  if (!/^[0-9]{12}$/.test(code.value.replace(/[\s-]/g, ""))) {
    showError("export-error", ["휴대폰에 표시된 인증번호 12자리를 입력하십시오.", "Enter the 12-digit code the phone shows."],
      { field: "export-code" });
    return;
  }
  let certificateDer;
  let signPri;
  /** @type {{certificateDer: Uint8Array, kmPri: Uint8Array} | null} */
  let kmFiles = null;
  try {
    certificateDer = await readPicked(/** @type {HTMLInputElement} */ ($("cert-file")),
      ["signCert.der 파일을 선택하십시오.", "Choose the signCert.der file."]);
    signPri = await readPicked(/** @type {HTMLInputElement} */ ($("key-file")),
      ["signPri.key 파일을 선택하십시오.", "Choose the signPri.key file."]);
    kmFiles = await pickedKm();
  } catch (err) {
    showError("export-error", err);
    return;
  }
  let info;
  try {
    info = parseCertificate(certificateDer);
  } catch {
    showError("export-error", ["선택한 signCert.der가 인증서 파일이 아닙니다.", "The chosen signCert.der is not a certificate."],
      { field: "cert-file" });
    return;
  }
  if (!password.value) {
    showError("export-error", ["인증서 비밀번호를 입력하십시오.", "Enter the certificate password."], { field: "export-password" });
    return;
  }
  setBusy(true, "export-button");
  say($("export-progress"), "암호화해서 보내는 중…", "Encrypting and sending…");
  let pkcs8;
  let kmPkcs8;
  try {
    pkcs8 = await openKeyFile(signPri, password.value);
    const encryptedKey = await encryptPkcs8(pkcs8, password.value);
    let km = null; // the encryption pair, under the same password
    if (kmFiles) {
      kmPkcs8 = await openKeyFile(kmFiles.kmPri, password.value);
      km = { certificateDer: kmFiles.certificateDer, encryptedKey: await encryptPkcs8(kmPkcs8, password.value) };
    }
    password.value = "";
    const sent = await sendPayload(code.value, certificateDer, encryptedKey, { km });
    say($("export-progress"), "휴대폰이 받기를 기다리는 중…", "Waiting for the phone to receive…");
    await waitForTransfer(sent.id, { interval: POLL_MS, onStatus: (s) => countdown(s, "export-progress") });
    $("export-panel").hidden = true;
    fillFacts($("exported-facts"), factsOf(info));
    $("exported-panel").hidden = false;
    $("exported-panel").focus();
  } catch (err) {
    $("export-progress").replaceChildren();
    const errCode = err instanceof JointcertError ? err.code : "";
    const field = err instanceof WrongPasswordError ? "export-password"
      : errCode.startsWith("relay_wrong_code") || errCode === "relay_invalid_code" ? "export-code" : undefined;
    if (field === "export-password") password.value = "";
    const left = /** @type {any} */ (err)?.problem?.attempts_left;
    if (errCode === "relay_wrong_code" && Number.isInteger(left)) {
      showError("export-error", [`인증번호가 일치하지 않습니다. (남은 입력 횟수 ${left}회)`,
        `The code does not match (${left} tries left).`], { field });
    } else {
      showError("export-error", err, { field });
    }
    $("export-error").dataset.code = errCode;
  } finally {
    if (pkcs8) wipe(pkcs8);
    if (kmPkcs8) wipe(kmPkcs8);
    setBusy(false, "export-button");
  }
}

function exportPage() {
  $("export-form").addEventListener("submit", (e) => exportCertificate(/** @type {SubmitEvent} */ (e)));
  setBusy(false, "export-button");
}

function main() {
  try {
    if (loadConfig().mode === "pc-import") importPage();
    else exportPage();
  } catch (err) {
    showError(document.getElementById("import-error") ? "import-error" : "export-error", err, { focus: false });
  }
  document.body.dataset.ready = "true";
}

main();
