// Test-only page driver: exposes the browser modules to Playwright as `window.harness`, with bytes as base64
// so values cross the Python boundary unchanged, and renders the wallet and the password checklist.
import * as api from "/static/js/api.js";
import * as asn1 from "/static/js/asn1.js";
import * as bytes from "/static/js/bytes.js";
import * as certinfo from "/static/js/certinfo.js";
import * as errors from "/static/js/errors.js";
import * as idb from "/static/js/idb.js";
import * as kdf from "/static/js/kdf.js";
import * as keys from "/static/js/keys.js";
import * as passwordPolicy from "/static/js/password-policy.js";
import * as pkcs8 from "/static/js/pkcs8.js";
import * as vault from "/static/js/vault.js";
import * as vid from "/static/js/vid.js";

const { toBase64, fromBase64 } = bytes;
const $ = (/** @type {string} */ sel) => /** @type {HTMLElement} */ (document.querySelector(sel));

/** A JSON-safe copy of a value: bytes as {$b64}, dates as {$date}, CryptoKeys described, errors typed. */
function toJson(value) {
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return { $b64: toBase64(value) };
  if (value instanceof Date) return { $date: value.toISOString() };
  if (value instanceof CryptoKey) {
    const { type, extractable, algorithm, usages } = value;
    return { $cryptoKey: { type, extractable, algorithm: algorithm.name, usages } };
  }
  if (Array.isArray(value)) return value.map(toJson);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  }
  return value;
}

function describeError(err) {
  if (err instanceof errors.JointcertError) {
    return { name: err.name, code: err.code, messageKo: err.messageKo, messageEn: err.messageEn,
      status: err.status, problem: err.problem ?? undefined };
  }
  return { name: err?.name ?? "Error", message: String(err?.message ?? err) };
}

function log(text, cls = "") {
  const li = document.createElement("li");
  li.textContent = text;
  li.className = cls;
  $("#log").append(li);
}

/** Run an action; resolve with {value} or {error}; log either. */
async function run(label, action) {
  try {
    const value = await action();
    log(`${label}: ok`);
    return { value: toJson(value) };
  } catch (err) {
    const error = describeError(err);
    log(`${label}: ${error.messageKo ?? error.message}`, "error");
    return { error };
  }
}

const state = { vault: null, pair: null };

async function renderWallet() {
  const rows = (await state.vault.listCredentials()).map((c) => {
    const tr = document.createElement("tr");
    const policy = c.info?.policies[0];
    const day = (/** @type {Date} */ d) => d.toISOString().slice(0, 10);
    const cells = c.info
      ? [c.info.subject.cn, c.info.issuer.cn, c.meta.typeLabel ?? policy?.notice ?? policy?.oid ?? "",
        `${day(c.info.notBefore)} ~ ${day(c.info.notAfter)}`, c.id.slice(0, 16)]
      : ["(손상된 인증서)", "", "", "", c.id.slice(0, 16)];
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    tr.lastElementChild.className = "id";
    return tr;
  });
  $("#wallet tbody").replaceChildren(...rows);
}

function renderChecklist() {
  const value = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ ($(id)).value;
  const result = passwordPolicy.checkPassword(value("#password"), {
    userId: value("#user-id"), birthDate: value("#birth-date"), confirmation: value("#confirmation"),
  });
  $("#checklist").replaceChildren(...result.items.map((item) => {
    const li = document.createElement("li");
    li.className = item.ok === null ? "unknown" : item.ok ? "ok" : "fail";
    li.dataset.code = item.code;
    li.textContent = item.messageKo;
    return li;
  }));
  return result;
}

window.harness = {
  modules: { api, asn1, bytes, certinfo, errors, idb, kdf, keys, passwordPolicy, pkcs8, vault, vid },
  toJson,
  run,
  renderWallet,
  renderChecklist,

  /** Make a key pair and R; keep the pair in page memory. */
  generate: () => run("generate", async () => {
    state.pair = await keys.generateKeyPair();
    return { spki: state.pair.spki, randomNum: keys.randomNum(),
      extractable: state.pair.privateKey.extractable, usages: state.pair.privateKey.usages };
  }),
  /** TEST ONLY: the current private key's PKCS#8, so the test knows what must never leak. */
  revealPkcs8ForTest: async () => toBase64(await crypto.subtle.exportKey("pkcs8", state.pair.privateKey)),
  signWithNewKey: (data) => run("sign", () => keys.sign(state.pair.privateKey, fromBase64(data))),
  save: (cert, randomNum, password, meta) => run("save", async () => {
    const summary = await state.vault.saveCredential(
      { privateKey: state.pair.privateKey, randomNum: fromBase64(randomNum), certificateDer: fromBase64(cert), meta },
      password);
    await renderWallet();
    return summary;
  }),
  savePkcs8: (key, randomNum, cert, password) => run("save pkcs8", async () => {
    const summary = await state.vault.saveCredential({ pkcs8: fromBase64(key),
      randomNum: randomNum === null ? undefined : fromBase64(randomNum), certificateDer: fromBase64(cert) }, password);
    await renderWallet();
    return summary;
  }),
  list: () => run("list", () => state.vault.listCredentials()),
  unlockAndSign: (id, password, data) => run("unlock", async () => {
    const { privateKey, randomNum } = await state.vault.unlock(id, password);
    return { privateKey, randomNum, signature: await keys.sign(privateKey, fromBase64(data)) };
  }),
  changePassword: (id, oldPw, newPw) => run("change password", () => state.vault.changePassword(id, oldPw, newPw)),
  remove: (id) => run("delete", async () => {
    await state.vault.deleteCredential(id);
    await renderWallet();
  }),
  exportPkcs8: (id, password) => run("export", () => state.vault.exportPkcs8(id, password)),
  /** Every record of every IndexedDB database of this origin, JSON-safe. */
  dumpIndexedDb: async () => {
    const out = {};
    for (const { name } of await indexedDB.databases()) {
      const db = await new Promise((ok, fail) => {
        const req = indexedDB.open(name);
        req.onsuccess = () => ok(req.result);
        req.onerror = () => fail(req.error);
      });
      for (const store of db.objectStoreNames) {
        const req = db.transaction(store).objectStore(store).getAll();
        out[`${name}/${store}`] = toJson(await new Promise((ok) => { req.onsuccess = () => ok(req.result); }));
      }
      db.close();
    }
    return out;
  },
  timePbkdf2: (iterations) => kdf.timePbkdf2(iterations),
};

$("#password-form").addEventListener("input", renderChecklist);
state.vault = await vault.openVault();
renderChecklist();
await renderWallet();
$("#status").textContent = "ready";
$("#status").dataset.ready = "true";
window.harness.ready = true;
