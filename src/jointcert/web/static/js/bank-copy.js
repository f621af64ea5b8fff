/**
 * The copy pages of the bank app (docs/relay.md), on top of `relay.js`:
 * - "PC로 인증서 복사" (`/bank/copy/to-pc`): choose a certificate, enter the code `jointcert copy receive` shows on
 *   the PC and the certificate password; the key is re-encrypted for the trip and sent; the page waits until the
 *   PC has downloaded it.
 * - "PC에서 인증서 가져오기" (`/bank/copy/from-pc`): show a one-time code (grouped) for
 *   `jointcert copy send --code …`, wait, show what arrived, ask its password and store it in the wallet.
 * The password, the code's secret digits, the key and R never leave the page in the clear.
 * @module bank-copy
 */

import { $, bi, clearError, messagesOf, say, setBusy, showError } from "./bank-shell.js";
import { chosenId, day, fillFacts, loadConfig, renderChoices, serverClock } from "./bank-certs.js";
import { JointcertError } from "./errors.js";
import { receiveToPhone, sendToPc, waitForTransfer } from "./relay.js";
import { openVault } from "./vault.js";

const POLL_MS = 1000;

/**
 * @param {import("./relay.js").TransferStatus | any} status
 * @param {string} id the element to write into
 */
function countdown(status, id) {
  say($(id), `남은 시간 ${status.secondsLeft}초`, `${status.secondsLeft} s left`);
}

// --- phone → PC ------------------------------------------------------------------------------------------------

/**
 * @param {import("./vault.js").Vault} vault
 * @param {SubmitEvent} event
 */
async function send(vault, event) {
  event.preventDefault();
  clearError("send-error");
  const id = chosenId();
  const code = /** @type {HTMLInputElement} */ ($("copy-code"));
  const password = /** @type {HTMLInputElement} */ ($("copy-password"));
  if (!id) {
    showError("send-error", ["보낼 인증서를 선택하십시오.", "Choose the certificate to send."], { focus: false });
    /** @type {HTMLElement | null} */ ($("cert-items").querySelector("input"))?.focus();
    return;
  }
  if (!/^[0-9]{12}$/.test(code.value.replace(/[\s-]/g, ""))) {
    showError("send-error", ["PC에 표시된 인증번호 12자리를 입력하십시오.", "Enter the 12-digit code shown on the PC."],
      { field: "copy-code" });
    return;
  }
  if (!password.value) {
    showError("send-error", ["인증서 비밀번호를 입력하십시오.", "Enter the certificate password."],
      { field: "copy-password" });
    return;
  }
  setBusy(true, "send-button");
  say($("progress"), "암호화해서 보내는 중…", "Encrypting and sending…");
  try {
    const sent = await sendToPc(code.value, id, password.value, { vault });
    password.value = "";
    say($("progress"), "PC가 받기를 기다리는 중…", "Waiting for the PC to download…");
    await waitForTransfer(sent.id, { interval: POLL_MS, onStatus: (s) => countdown(s, "progress") });
    $("send-panel").hidden = true;
    say($("sent-message"), "PC에서 인증서를 받았습니다. PC의 NPKI 폴더에 저장되었습니다.",
      "The PC has received the certificate and saved it in its NPKI folder.");
    $("sent-panel").hidden = false;
    $("sent-panel").focus();
  } catch (err) {
    $("progress").replaceChildren();
    const code = err instanceof JointcertError ? err.code : "";
    const field = code === "wrong_certificate_password" ? "copy-password"
      : code.startsWith("relay_wrong_code") || code === "relay_invalid_code" ? "copy-code" : undefined;
    if (field === "copy-password") password.value = "";
    const left = /** @type {any} */ (err)?.problem?.attempts_left;
    if (code === "relay_wrong_code" && Number.isInteger(left)) {
      const [ko, en] = messagesOf(err);
      showError("send-error", [`${ko} (남은 입력 횟수 ${left}회)`, `${en} (${left} tries left)`], { field });
      $("send-error").dataset.code = code;
    } else {
      showError("send-error", err, { field });
    }
  } finally {
    setBusy(false, "send-button");
  }
}

/**
 * The PC's QR opens "PC로 인증서 복사" with the code in the URL fragment (never sent to a server): fill it in, then
 * drop it from the address bar and the history.
 */
function codeFromQr() {
  const fromQr = new URLSearchParams(window.location.hash.slice(1)).get("code");
  if (fromQr && /^[0-9-]{12,20}$/.test(fromQr)) {
    /** @type {HTMLInputElement} */ ($("copy-code")).value = fromQr;
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
}

async function toPc() {
  const config = loadConfig();
  const vault = await openVault();
  const credentials = await vault.listCredentials();
  const wanted = new URLSearchParams(window.location.search).get("credential"); // from the issuance's done screen
  const selected = credentials.some((c) => c.id === wanted) ? wanted : null;
  renderChoices(credentials, config, serverClock(config)(), { selected });
  codeFromQr();
  window.addEventListener("hashchange", codeFromQr);
  $("send-button").hidden = credentials.length === 0;
  $("send-form").addEventListener("submit", (event) => send(vault, /** @type {SubmitEvent} */ (event)));
  setBusy(false, "send-button"); // disabled in the HTML until the form is handled here
}

// --- PC → phone ------------------------------------------------------------------------------------------------

class Receiver {
  constructor() {
    /** @type {AbortController | null} */
    this.controller = null;
    /** @type {((password: string) => void) | null} */
    this.answer = null;
  }

  async start() {
    this.controller = new AbortController();
    clearError("receive-error");
    $("restart-button").hidden = true;
    $("cancel-button").hidden = false;
    $("password-panel").hidden = true;
    $("done-panel").hidden = true;
    $("copy-code").textContent = "----";
    delete $("copy-code").dataset.code;
    try {
      const summary = await receiveToPhone({
        interval: POLL_MS,
        signal: this.controller.signal,
        meta: { label: "PC에서 가져옴" },
        onCode: ({ displayCode }) => {
          $("copy-code").textContent = displayCode;
          $("copy-code").dataset.code = displayCode;
          $("copy-command").textContent = `jointcert copy send --code ${displayCode}`;
        },
        onStatus: (s) => {
          countdown(s, "countdown");
          if (s.status === "uploaded") say($("countdown"), "받는 중…", "Receiving…");
        },
        getPassword: (asked) => this.askPassword(asked),
      });
      this.done(summary);
    } catch (err) {
      this.failed(err);
    }
  }

  /**
   * Show the certificate that arrived and wait for its password (again after a wrong one).
   * @param {{certificate: any, attempt: number, error: any}} asked
   * @returns {Promise<string>}
   */
  askPassword({ certificate, attempt, error }) {
    $("code-panel").hidden = true;
    $("password-panel").hidden = false;
    fillFacts($("received-facts"), [
      [bi("이름", "Name"), certificate.subject.cn.split("(")[0] || certificate.subject.cn],
      [bi("발급자", "Issuer"), [certificate.issuer.o, certificate.issuer.cn].filter(Boolean).join(" · ")],
      [bi("유효기간", "Valid until"), day(certificate.notAfter)],
    ]);
    const input = /** @type {HTMLInputElement} */ ($("received-password"));
    input.value = "";
    if (error) showError("password-error", error, { field: "received-password" });
    else if (attempt === 1) $("password-title").focus();
    setBusy(false, "password-button");
    return new Promise((resolve) => {
      this.answer = resolve;
    });
  }

  /** @param {SubmitEvent} event */
  submitPassword(event) {
    event.preventDefault();
    const input = /** @type {HTMLInputElement} */ ($("received-password"));
    if (!input.value) {
      showError("password-error", ["인증서 비밀번호를 입력하십시오.", "Enter the certificate password."],
        { field: "received-password" });
      return;
    }
    clearError("password-error");
    setBusy(true, "password-button");
    const answer = this.answer;
    this.answer = null;
    answer?.(input.value);
    input.value = "";
  }

  /** @param {import("./vault.js").CredentialSummary} summary */
  done(summary) {
    $("password-panel").hidden = true;
    $("code-panel").hidden = true;
    const name = summary.info?.subject.cn.split("(")[0] ?? "";
    say($("done-message"), `${name} 님의 인증서를 이 기기에 저장했습니다.`, `${name}'s certificate is stored on this device.`);
    $("done-panel").hidden = false;
    $("done-panel").focus();
  }

  /** @param {unknown} err */
  failed(err) {
    $("password-panel").hidden = true;
    $("code-panel").hidden = false;
    $("cancel-button").hidden = true;
    $("restart-button").hidden = false;
    $("countdown").replaceChildren();
    if (/** @type {any} */ (err)?.name === "AbortError") {
      showError("receive-error", ["가져오기를 취소했습니다.", "The import was cancelled."], { focus: false });
    } else {
      showError("receive-error", err, { focus: false });
    }
    $("restart-button").focus();
  }
}

function fromPc() {
  const receiver = new Receiver();
  $("cancel-button").addEventListener("click", () => receiver.controller?.abort());
  $("restart-button").addEventListener("click", () => receiver.start());
  $("password-form").addEventListener("submit", (event) => receiver.submitPassword(/** @type {SubmitEvent} */ (event)));
  receiver.start();
}

async function main() {
  try {
    if (loadConfig().mode === "to-pc") await toPc();
    else fromPc();
  } catch (err) {
    showError(document.getElementById("send-error") ? "send-error" : "receive-error", err, { focus: false });
  }
  document.body.dataset.ready = "true";
}

main();
