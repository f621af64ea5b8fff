/**
 * The bank's cross-origin wallet page (/wallet/connect): another site asks, the customer sees who and what, picks a
 * certificate that fits, types its password; the page signs here (the key never leaves this origin) and answers
 * that site only: `postMessage` with the exact registered origin (popup) or a registered return URL (redirect).
 * Protocol version 1, docs/wallet-protocol.md.
 * @module wallet-connect
 */

import { createApiClient } from "./api.js";
import { fromBase64, toBase64, toHex, utf8 } from "./bytes.js";
import { sha256, signDetached } from "./cms.js";
import { ApiError, JointcertError } from "./errors.js";
import { openVault } from "./vault.js";

const V = 1;
const REQUEST = "jointcert-wallet-request";
const RESPONSE = "jointcert-wallet-response";
const READY = "jointcert-wallet-ready";
const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @param {string} ko @param {string} en */
function bi(ko, en) {
  const fragment = document.createDocumentFragment();
  for (const [lang, text] of [["ko", ko], ["en", en]]) {
    const span = document.createElement("span");
    span.lang = lang;
    span.textContent = text;
    fragment.append(span);
  }
  return fragment;
}

function initLang() {
  const set = (/** @type {string} */ lang) => {
    document.documentElement.dataset.lang = lang;
    document.documentElement.lang = lang;
  };
  $("lang-switch").addEventListener("click", () => set(document.documentElement.dataset.lang === "en" ? "ko" : "en"));
}

/**
 * Show a refusal; nothing is sent anywhere.
 * @param {string} code
 * @param {string} ko
 * @param {string} en
 * @param {string} [origin]
 */
function refuse(code, ko, en, origin = "") {
  $("waiting").hidden = true;
  $("ask").hidden = true;
  $("refusal").hidden = false;
  $("refusal").dataset.code = code;
  $("refusal-message").replaceChildren(bi(ko, en));
  $("refusal-origin").textContent = origin;
  document.body.dataset.ready = "true";
}

/**
 * The request's shape (version 1); a message naming what is wrong, or null.
 * @param {any} r
 * @returns {string | null}
 */
function malformed(r) {
  if (!r || r.v !== V || r.type !== REQUEST) return "not a version-1 wallet request";
  for (const key of ["client_id", "origin", "challenge", "request_id"]) {
    if (typeof r[key] !== "string" || !r[key] || r[key].length > 512) return `${key} missing`;
  }
  if (r.kind !== "login" && r.kind !== "sign") return "kind must be login or sign";
  if (r.kind === "sign") {
    const doc = r.document;
    if (!doc || typeof doc.display_text !== "string" || doc.display_text.length > 2000) return "document missing";
    try {
      if (fromBase64(doc.sha256).length !== 32) return "document.sha256 is not 32 bytes";
    } catch {
      return "document.sha256 is not base64";
    }
  }
  return null;
}

/**
 * @param {import("./vault.js").CredentialSummary} credential
 * @param {any} request
 * @param {Record<string, {type: string, label_ko: string, label_en: string}>} labels
 */
function fits(credential, request, labels) {
  const oids = credential.info?.policies.map((p) => p.oid) ?? [];
  const wanted = request.accept?.policies ?? [];
  const types = request.accept?.cert_types ?? [];
  if (!credential.info || credential.info.notAfter.getTime() < Date.now()) return false;
  if (wanted.length && !oids.some((o) => wanted.includes(o))) return false;
  if (types.length && !oids.some((o) => types.includes(labels[o]?.type))) return false;
  return true;
}

/**
 * @param {import("./vault.js").CredentialSummary} credential
 * @param {number} index
 * @param {Record<string, {type: string, label_ko: string, label_en: string}>} labels
 */
function certItem(credential, index, labels) {
  const info = /** @type {NonNullable<typeof credential.info>} */ (credential.info);
  const known = info.policies.map((p) => labels[p.oid]).find(Boolean);
  const input = Object.assign(document.createElement("input"), { type: "radio", name: "credential",
    id: `cert-${index}`, value: credential.id });
  const label = document.createElement("label");
  label.htmlFor = input.id;
  label.className = "cert";
  const span = (/** @type {string} */ cls, /** @type {Node[]} */ ...nodes) => {
    const s = document.createElement("span");
    s.className = cls;
    s.append(...nodes);
    return s;
  };
  label.append(
    span("cert__head", span("cert__name", document.createTextNode(info.subject.cn.split("(")[0])),
      span(`cert__type cert__type--${known?.type ?? "unknown"}`, bi(known?.label_ko ?? "알 수 없음", known?.label_en ?? "unknown"))),
    span("cert__issuer", document.createTextNode([info.issuer.o, info.issuer.cn].filter(Boolean).join(" · "))),
    span("cert__validity", bi("만료일 ", "Valid until "), document.createTextNode(info.notAfter.toISOString().slice(0, 10))),
  );
  const item = document.createElement("div");
  item.className = "cert-item";
  item.append(input, label);
  return item;
}

/** Base64url of a string's UTF-8 (for the redirect's fragment). @param {string} text */
function b64url(text) {
  return toBase64(utf8(text)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

class Session {
  /**
   * @param {any} request
   * @param {{client_id: string, name: string, name_en: string, origin: string}} client
   * @param {(response: any) => void} send
   * @param {any} config
   */
  constructor(request, client, send, config) {
    this.request = request;
    this.client = client;
    this.send = send;
    this.config = config;
    this.finished = false;
  }

  async show() {
    const r = this.request;
    $("waiting").hidden = true;
    $("ask").hidden = false;
    $("ask-name").replaceChildren(bi(this.client.name, this.client.name_en));
    $("ask-origin").textContent = this.client.origin;
    if (r.kind === "sign") {
      $("ask-what").replaceChildren(bi("아래 문서에 전자서명", "Sign the document below"));
      $("document").hidden = false;
      $("document-name").textContent = r.document.name || "";
      $("document-text").textContent = r.document.display_text;
      $("document-hash").textContent = toHex(fromBase64(r.document.sha256));
      $("sign-button").replaceChildren(bi("서명하기", "Sign"));
    } else {
      $("ask-what").replaceChildren(bi("공동인증서 로그인", "Log in with your joint certificate"));
      $("sign-button").replaceChildren(bi("인증서로 로그인", "Log in with certificate"));
    }
    $("identify").hidden = r.identify !== true; // R goes to this site only when it asks, and the customer sees it
    this.vault = await openVault();
    const all = await this.vault.listCredentials();
    const usable = all.filter((c) => fits(c, r, this.config.policies));
    $("cert-items").replaceChildren(...usable.map((c, i) => certItem(c, i, this.config.policies)));
    $("wallet-status").replaceChildren(usable.length
      ? bi(`사용할 수 있는 인증서 ${usable.length}개`, `${usable.length} certificate(s) fit this request`)
      : bi("이 요청에 사용할 수 있는 인증서가 이 브라우저에 없습니다.", "No certificate in this browser fits this request."));
    const first = /** @type {HTMLInputElement | null} */ ($("cert-items").querySelector("input"));
    if (first && usable.length === 1) first.checked = true;
    /** @type {HTMLButtonElement} */ ($("sign-button")).disabled = !usable.length;
    /** @type {HTMLButtonElement} */ ($("cancel-button")).disabled = false;
    $("sign-form").addEventListener("submit", (e) => this.sign(/** @type {SubmitEvent} */ (e)));
    $("cancel-button").addEventListener("click", () => this.cancel());
    document.body.dataset.ready = "true";
  }

  /** @param {string} ko @param {string} en @param {string} code */
  error(ko, en, code) {
    $("sign-error").hidden = false;
    $("sign-error").dataset.code = code;
    $("sign-error").replaceChildren(bi(ko, en));
  }

  /** @param {SubmitEvent} event */
  async sign(event) {
    event.preventDefault();
    if (this.finished) return;
    const chosen = /** @type {HTMLInputElement | null} */ ($("cert-items").querySelector("input:checked"));
    const password = /** @type {HTMLInputElement} */ ($("cert-password"));
    if (!chosen) return this.error("인증서를 선택하십시오.", "Choose a certificate.", "no_certificate");
    /** @type {HTMLButtonElement} */ ($("sign-button")).disabled = true;
    try {
      const unlocked = await this.vault.unlock(chosen.value, password.value);
      password.value = "";
      const response = await this.respond(unlocked);
      this.finish(response);
    } catch (err) {
      /** @type {HTMLButtonElement} */ ($("sign-button")).disabled = false;
      const e = err instanceof JointcertError ? err : null;
      this.error(e?.messageKo ?? "서명하지 못했습니다.", e?.messageEn ?? "Could not sign.", e?.code ?? "failed");
      password.focus();
    }
  }

  /** @param {{privateKey: CryptoKey, randomNum: Uint8Array, certificateDer: Uint8Array}} unlocked */
  async respond(unlocked) {
    const r = this.request;
    const now = new Date();
    const binding = {
      v: V, type: "jointcert-wallet-binding", kind: r.kind, client_id: r.client_id, origin: this.client.origin,
      challenge: r.challenge, wallet: location.origin, signed_at: now.toISOString(),
      ...(r.kind === "sign" ? { document: { sha256: r.document.sha256, name: r.document.name || "" } } : {}),
    };
    const bindingBytes = utf8(JSON.stringify(binding));
    const signer = { privateKey: unlocked.privateKey, certificateDer: unlocked.certificateDer, signingTime: now };
    const response = {
      v: V, type: RESPONSE, status: "ok", request_id: r.request_id, client_id: r.client_id,
      binding: toBase64(bindingBytes),
      signed_data: toBase64(await signDetached({ ...signer, digest: await sha256(bindingBytes) })),
    };
    if (r.kind === "sign") {
      const digest = fromBase64(r.document.sha256);
      Object.assign(response, { document_signature: toBase64(await signDetached({ ...signer, digest })) });
    }
    if (r.identify === true) Object.assign(response, { random_num: toBase64(unlocked.randomNum) });
    unlocked.randomNum.fill(0); // R leaves only when the site asked for the VID check (identify)
    return response;
  }

  cancel() {
    if (this.finished) return;
    this.finish({ v: V, type: RESPONSE, status: "error", request_id: this.request.request_id,
      error: { code: "user_cancelled", message_ko: "사용자가 취소했습니다.", message_en: "The user cancelled." } });
  }

  /** @param {any} response */
  finish(response) {
    this.finished = true;
    this.vault?.close();
    $("ask").hidden = true;
    $("done").hidden = false;
    $("done-message").replaceChildren(bi(`${this.client.name}(${this.client.origin})에 결과를 보냈습니다.`,
      `Sent to ${this.client.name_en} (${this.client.origin}).`));
    document.body.dataset.done = response.status;
    this.send(response);
  }
}

/** @param {any} config @param {string} origin @param {string} clientId @param {string} [returnUrl] */
async function authorize(config, origin, clientId, returnUrl) {
  const api = createApiClient({ baseUrl: "/wallet/api" });
  return api.post("/authorize", { client_id: clientId, origin, ...(returnUrl ? { return_url: returnUrl } : {}) });
}

/** @param {unknown} err */
function refuseError(err, origin = "") {
  if (err instanceof ApiError) return refuse(err.code, err.messageKo, err.messageEn, origin);
  const e = err instanceof JointcertError ? err : null;
  return refuse(e?.code ?? "failed", e?.messageKo ?? "요청을 처리할 수 없습니다.", e?.messageEn ?? "The request failed.", origin);
}

/** Popup: say ready to the opener, take the first request it sends, check its origin with the bank. @param {any} config */
function popup(config) {
  const opener = window.opener;
  if (!opener) {
    return refuse("no_opener", "이 창은 기관 사이트에서 열어야 합니다.", "Open this window from a relying party's site.");
  }
  let taken = false;
  window.addEventListener("message", async (event) => {
    if (taken || event.source !== opener || event.data?.type !== REQUEST) return;
    taken = true;
    const request = event.data;
    const problem = malformed(request);
    if (problem) return refuse("invalid_wallet_request", "요청 형식이 올바르지 않습니다.", `Malformed request: ${problem}.`);
    if (request.origin !== event.origin) {
      return refuse("wallet_origin_not_allowed", "요청한 사이트의 주소가 요청 내용과 다릅니다.",
        "The request names another origin than the site that sent it.", event.origin);
    }
    try {
      const client = await authorize(config, event.origin, request.client_id);
      const send = (/** @type {any} */ response) => {
        opener.postMessage(response, client.origin); // exactly the registered origin that asked
        setTimeout(() => window.close(), 1500);
      };
      await new Session(request, client, send, config).show();
    } catch (err) {
      refuseError(err, event.origin);
    }
  });
  opener.postMessage({ v: V, type: READY }, "*"); // carries nothing: the request comes back with its true origin
}

/** Redirect: the server already checked client, origin and return URL. @param {any} config */
async function redirect(config) {
  const request = config.request;
  const problem = malformed(request);
  if (problem) return refuse("invalid_wallet_request", "요청 형식이 올바르지 않습니다.", `Malformed request: ${problem}.`);
  const send = (/** @type {any} */ response) => {
    const answer = { ...response, ...(typeof request.state === "string" ? { state: request.state } : {}) };
    location.assign(`${request.return_url}#jointcert-wallet=${b64url(JSON.stringify(answer))}`);
  };
  try {
    await new Session(request, config.client, send, config).show();
  } catch (err) {
    refuseError(err);
  }
}

async function main() {
  initLang();
  if (!$("refusal").hidden) {
    document.body.dataset.ready = "true";
    return;
  }
  const config = JSON.parse($("wallet-config").textContent ?? "{}");
  if (config.mode === "redirect") await redirect(config);
  else popup(config);
}

main();
