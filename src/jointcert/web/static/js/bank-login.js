/**
 * Certificate login to the bank app (`/bank/login`): choose a certificate from this browser's wallet, type its
 * password, and the page unlocks the key (non-extractable, sign-only), asks the bank for a single-use challenge,
 * signs it here and posts certificate + signature to `/bank/api/login`. The bank verifies (chain,
 * validity, policy, OCSP) and sets the HttpOnly `bank_session` cookie; the page then shows the logged-in home.
 * A wrong password is caught by the vault and never reaches the bank; a refusal shows the bank's own words.
 * The password and the private key never leave the page.
 * @module bank-login
 */

import { createApiClient } from "./api.js";
import { $, clearError, say, setBusy, showError } from "./bank-shell.js";
import { chosenId, loadConfig, renderChoices, serverClock } from "./bank-certs.js";
import { toBase64, utf8 } from "./bytes.js";
import { JointcertError } from "./errors.js";
import { sign } from "./keys.js";
import { openVault } from "./vault.js";

const api = createApiClient({ baseUrl: "/bank/api" });

/**
 * Sign in with one credential.
 * @param {import("./vault.js").Vault} vault
 * @param {string} id
 * @param {string} password
 */
async function logIn(vault, id, password) {
  const unlocked = await vault.unlock(id, password);
  try {
    say($("progress"), "전자서명 중…", "Signing…");
    const { challenge } = await api.post("/login/challenge", {});
    const signature = await sign(unlocked.privateKey, utf8(challenge));
    return await api.post("/login", {
      challenge,
      certificate: toBase64(unlocked.certificateDer),
      signature: toBase64(signature),
    });
  } finally {
    unlocked.randomNum.fill(0);
  }
}

/**
 * @param {import("./vault.js").Vault} vault
 * @param {SubmitEvent} event
 */
async function onSubmit(vault, event) {
  event.preventDefault();
  const password = /** @type {HTMLInputElement} */ ($("cert-password"));
  clearError("login-error");
  const id = chosenId();
  if (!id) {
    const first = /** @type {HTMLElement | null} */ ($("cert-items").querySelector("input"));
    showError("login-error", ["인증서를 선택하십시오.", "Choose a certificate."], { focus: false });
    first?.focus();
    return;
  }
  if (!password.value) {
    showError("login-error", ["인증서 비밀번호를 입력하십시오.", "Enter the certificate password."],
      { field: "cert-password" });
    return;
  }
  setBusy(true, "login-button");
  say($("progress"), "인증서를 여는 중…", "Opening the certificate…");
  try {
    await logIn(vault, id, password.value);
    password.value = "";
    window.location.reload(); // the server renders the logged-in home from the new cookie
  } catch (err) {
    password.value = "";
    $("progress").replaceChildren();
    const problem = err instanceof JointcertError ? /** @type {any} */ (err).problem : null;
    showError("login-error", err, { field: "cert-password" });
    if (problem?.reason) $("login-error").dataset.reason = problem.reason;
    else delete $("login-error").dataset.reason;
  } finally {
    setBusy(false, "login-button");
  }
}

async function logOut() {
  setBusy(true, "logout-button");
  try {
    await api.post("/logout", {});
    window.location.reload();
  } catch (err) {
    showError("logout-error", err);
    setBusy(false, "logout-button");
  }
}

/** Local time for the `<time>` elements the server wrote in UTC. */
function localTimes() {
  for (const node of document.querySelectorAll("time[datetime]")) {
    const at = new Date(node.getAttribute("datetime") ?? "");
    if (!Number.isNaN(at.getTime())) node.textContent = at.toLocaleString(document.documentElement.lang);
  }
}

async function main() {
  localTimes();
  if (document.getElementById("logout-button")) {
    $("logout-button").addEventListener("click", logOut);
    document.body.dataset.ready = "true";
    return;
  }
  const config = loadConfig();
  let vault;
  try {
    vault = await openVault();
    const credentials = await vault.listCredentials();
    const wanted = new URLSearchParams(window.location.search).get("credential"); // from the issuance's last page
    const selected = credentials.some((c) => c.id === wanted) ? wanted : null;
    renderChoices(credentials, config, serverClock(config)(), { selected });
    $("password-field").hidden = credentials.length === 0;
    $("login-button").hidden = credentials.length === 0;
  } catch (err) {
    showError("login-error", err, { focus: false });
    document.body.dataset.ready = "true";
    return;
  }
  $("login-form").addEventListener("submit", (event) => onSubmit(vault, /** @type {SubmitEvent} */ (event)));
  setBusy(false, "login-button"); // disabled in the HTML until the form is handled here
  document.body.dataset.ready = "true";
}

main();
