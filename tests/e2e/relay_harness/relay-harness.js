// Test-only driver for relay.js: a vault with a certificate, the two copy directions, results as JSON.
import { fromBase64, toBase64 } from "/static/js/bytes.js";
import { JointcertError } from "/static/js/errors.js";
import * as keys from "/static/js/keys.js";
import * as relay from "/static/js/relay.js";
import { openVault } from "/static/js/vault.js";

const $ = (/** @type {string} */ sel) => /** @type {HTMLElement} */ (document.querySelector(sel));
const state = { vault: null, pair: null, randomNum: null, receiving: null, shown: null, asked: [] };

function log(text) {
  const li = document.createElement("li");
  li.textContent = text;
  $("#log").append(li);
}

function describe(err) {
  if (err instanceof JointcertError) {
    return { name: err.name, code: err.code, messageKo: err.messageKo, messageEn: err.messageEn, status: err.status,
      problem: err.problem ?? undefined };
  }
  return { name: err?.name ?? "Error", message: String(err?.message ?? err) };
}

async function run(label, action) {
  try {
    const value = await action();
    log(`${label}: ok`);
    return { value };
  } catch (err) {
    log(`${label}: ${err?.messageKo ?? err}`);
    return { error: describe(err) };
  }
}

window.relayHarness = {
  generate: async () => {
    state.pair = await keys.generateKeyPair();
    state.randomNum = keys.randomNum();
    return { spki: toBase64(state.pair.spki), randomNum: toBase64(state.randomNum) };
  },
  /** TEST ONLY: the new key's PKCS#8, so the test knows what must never leave the page. */
  revealPkcs8ForTest: async () => toBase64(await crypto.subtle.exportKey("pkcs8", state.pair.privateKey)),
  sign: async (data) => toBase64(await keys.sign(state.pair.privateKey, fromBase64(data))),
  save: (cert, password) => run("save", async () => {
    const summary = await state.vault.saveCredential(
      { privateKey: state.pair.privateKey, randomNum: state.randomNum, certificateDer: fromBase64(cert) }, password);
    state.pair = null;
    return summary.id;
  }),
  sendToPc: (code, id, password) => run("sendToPc", () => relay.sendToPc(code, id, password, { vault: state.vault })),
  /** Start "PC에서 인증서 가져오기"; `passwords` answer getPassword in turn. */
  startReceive: (passwords) => {
    state.shown = null;
    state.asked = [];
    state.receiving = run("receiveToPhone", () => relay.receiveToPhone({
      vault: state.vault,
      interval: 300,
      onCode: (shown) => {
        state.shown = shown;
        $("#code").textContent = shown.displayCode;
      },
      onStatus: (s) => { $("#countdown").textContent = `${s.status} · ${s.secondsLeft}초 남음`; },
      getPassword: async ({ attempt, error, certificate }) => {
        state.asked.push({ attempt, error: error?.code ?? null, subject: certificate.subject.cn });
        return passwords[Math.min(attempt, passwords.length) - 1];
      },
    }).then((summary) => summary.id));
    return true;
  },
  shown: () => state.shown,
  finishReceive: async () => ({ ...(await state.receiving), asked: state.asked }),
  unlockAndSign: (id, password, data) => run("unlock", async () => {
    const { privateKey, randomNum, certificateDer } = await state.vault.unlock(id, password);
    return { signature: toBase64(await keys.sign(privateKey, fromBase64(data))), randomNum: toBase64(randomNum),
      certificate: toBase64(certificateDer) };
  }),
  exportPkcs8: (id, password) => run("export", async () => {
    const out = await state.vault.exportPkcs8(id, password);
    return { pkcs8WithRandomNum: toBase64(out.pkcs8WithRandomNum) };
  }),
  count: async () => (await state.vault.listCredentials()).length,
};

state.vault = await openVault({ name: "jointcert-wallet" });
$("#status").textContent = "ready";
$("#status").dataset.ready = "true";
window.relayHarness.ready = true;
