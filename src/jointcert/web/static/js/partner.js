/**
 * A demo partner site on its own origin: asks its server for a wallet request, opens the bank's wallet with the
 * relying-party SDK (popup, or redirect and back), posts the response to its server and shows the verdict.
 * @module partner
 */

import { JointcertWallet, WalletError } from "./jointcert-rp.js";

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const PENDING_KIND = "jointcert-partner-kind";

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

/** @param {string} url @param {unknown} body */
async function post(url, body) {
  const response = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body), credentials: "same-origin", cache: "no-store" });
  const json = await response.json();
  if (!response.ok) throw new WalletError(json.code ?? `http_${response.status}`, json.message_en ?? json.detail ?? "");
  return json;
}

/**
 * @param {{accepted: boolean, reason: string, title: [string, string], message: [string, string], checks?: any[]}} outcome
 */
function show({ accepted, reason, title, message, checks = [] }) {
  $("progress").replaceChildren();
  const box = $("result");
  box.hidden = false;
  box.dataset.accepted = String(accepted);
  box.dataset.reason = reason;
  box.className = `panel result result--${accepted ? "accepted" : "refused"}`;
  $("result-title").replaceChildren(bi(...title));
  $("result-message").replaceChildren(bi(...message));
  $("result-checks").replaceChildren(...checks.map((c) => {
    const li = document.createElement("li");
    li.className = `check check--${c.status}`;
    li.dataset.name = c.name;
    li.append(document.createTextNode(`${c.name}: `), bi(c.message_ko, c.message_en));
    return li;
  }));
  box.focus();
}

/** @param {any} verdict @param {string} kind */
function showVerdict(verdict, kind) {
  const what = kind === "sign" ? ["서명", "signature"] : ["로그인", "login"];
  const failed = verdict.checks.find((/** @type {any} */ c) => c.status === "failed");
  show({
    accepted: verdict.accepted,
    reason: verdict.reason?.code ?? "ok",
    title: verdict.accepted ? [`${what[0]} 완료`, `The ${what[1]} is accepted`] : [`${what[0]} 거절`, `The ${what[1]} is refused`],
    message: verdict.accepted
      ? [`${verdict.customer_name ?? ""}님, 확인되었습니다.`, `Welcome, ${verdict.customer_name ?? ""}.`]
      : [failed?.message_ko ?? "", failed?.message_en ?? ""],
    checks: verdict.checks,
  });
}

/** @param {unknown} err */
function showError(err) {
  const code = err instanceof WalletError ? err.code : "failed";
  const cancelled = code === "user_cancelled" || code === "popup_closed";
  show({ accepted: false, reason: code,
    title: cancelled ? ["취소되었습니다", "Cancelled"] : ["처리하지 못했습니다", "It did not work"],
    message: [String(/** @type {any} */ (err)?.message ?? err), String(/** @type {any} */ (err)?.message ?? err)] });
}

class Partner {
  /** @param {any} config */
  constructor(config) {
    this.config = config;
    this.wallet = new JointcertWallet({ walletUrl: config.walletUrl });
  }

  /** @param {"login" | "sign"} kind */
  async popup(kind) {
    $("result").hidden = true;
    $("progress").replaceChildren(bi("인증서 지갑 창에서 진행하십시오…", "Continue in the wallet window…"));
    try {
      // the window opens in the click's turn (popup blockers) while the server makes the request
      const request = post(`${this.config.apiBase}/request`, { kind }).then((answer) => answer.request);
      const response = await this.wallet.popup(request);
      window.jointcertLastResponse = response; // for the demo's tests and the curious
      showVerdict(await post(`${this.config.apiBase}/verify`, { kind, response }), kind);
    } catch (err) {
      showError(err);
    }
  }

  async redirect() {
    const { request } = await post(`${this.config.apiBase}/request`, { kind: "login" });
    sessionStorage.setItem(PENDING_KIND, "login");
    this.wallet.redirect(request, { returnUrl: this.config.returnUrl });
  }

  async comeBack() {
    let response;
    try {
      response = JointcertWallet.takeRedirectResponse();
    } catch (err) {
      return showError(err);
    }
    if (!response) return;
    const kind = sessionStorage.getItem(PENDING_KIND) ?? "login";
    sessionStorage.removeItem(PENDING_KIND);
    window.jointcertLastResponse = response;
    try {
      showVerdict(await post(`${this.config.apiBase}/verify`, { kind, response }), kind);
    } catch (err) {
      showError(err);
    }
  }
}

async function main() {
  $("lang-switch")?.addEventListener("click", () => {
    const lang = document.documentElement.dataset.lang === "en" ? "ko" : "en";
    document.documentElement.dataset.lang = lang;
    document.documentElement.lang = lang;
  });
  const node = document.getElementById("partner-config");
  if (node) {
    const partner = new Partner(JSON.parse(node.textContent ?? "{}"));
    $("login-popup").addEventListener("click", () => partner.popup("login"));
    $("sign-popup").addEventListener("click", () => partner.popup("sign"));
    $("login-redirect").addEventListener("click", () => partner.redirect());
    for (const id of ["login-popup", "sign-popup", "login-redirect"]) {
      /** @type {HTMLButtonElement} */ ($(id)).disabled = false;
    }
    await partner.comeBack();
  }
  document.body.dataset.ready = "true";
}

main();
