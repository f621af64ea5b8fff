/**
 * Login at a demo relying party with a certificate from the browser wallet.
 *
 * The page lists the wallet's certificates (no password needed), unlocks the chosen one with its password (the key
 * comes back non-extractable, sign-only), gets a single-use challenge from the site, signs it in the browser and
 * sends certificate + signature. When the site answers `next: "register"` (타기관 인증서 등록), the page asks for
 * the name and resident number and registers, sending R (decrypted from the wallet) for the VID check; the key and
 * R are held in memory only until then. The password and the private key never leave the page.
 * @module rp-login
 */

import { createApiClient } from "./api.js";
import { toBase64, utf8 } from "./bytes.js";
import { daysLeft as countDaysLeft } from "./certinfo.js";
import { JointcertError } from "./errors.js";
import { sign } from "./keys.js";
import { openVault } from "./vault.js";

const LANG_KEY = "jointcert-rp-lang";
const HOLD_MS = 5 * 60 * 1000; // an unlocked key waits this long for the registration form
const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));

// --- language ------------------------------------------------------------------------------------------------

/** @param {"ko" | "en"} lang */
function setLang(lang) {
  document.documentElement.dataset.lang = lang;
  document.documentElement.lang = lang;
  $("lang-switch")?.setAttribute("aria-pressed", String(lang === "en"));
  try {
    localStorage.setItem(LANG_KEY, lang);
  } catch {
    // storage may be blocked; the switch still works for this page
  }
}

function initLang() {
  let saved = null;
  try {
    saved = localStorage.getItem(LANG_KEY);
  } catch {
    saved = null;
  }
  setLang(saved === "en" ? "en" : "ko");
  $("lang-switch")?.addEventListener("click", () =>
    setLang(document.documentElement.dataset.lang === "en" ? "ko" : "en"));
}

/**
 * Both languages of a text, as nodes (textContent only: nothing from the server is parsed as HTML).
 * @param {string} ko
 * @param {string} en
 * @returns {DocumentFragment}
 */
function bi(ko, en) {
  const fragment = document.createDocumentFragment();
  for (const [lang, text] of /** @type {const} */ ([["ko", ko], ["en", en]])) {
    const span = document.createElement("span");
    span.lang = lang;
    span.textContent = text;
    fragment.append(span);
  }
  return fragment;
}

/**
 * @param {HTMLElement} element
 * @param {string} ko
 * @param {string} en
 */
function say(element, ko, en) {
  element.replaceChildren(bi(ko, en));
}

// --- the wallet list -------------------------------------------------------------------------------------------

/**
 * @param {Date} date
 * @returns {string} YYYY-MM-DD in local time
 */
function day(date) {
  const pad = (/** @type {number} */ n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/**
 * What the list shows about one certificate.
 * @param {import("./vault.js").CredentialSummary} credential
 * @param {Record<string, {type: string, label_ko: string, label_en: string}>} policies
 * @param {{acceptedTypes?: string[], acceptedPolicyOids?: string[]}} [config] the site's rules; `accepted` says
 *   whether this site takes the certificate, so a refused one is greyed out before any password is typed
 */
function describe(credential, policies, config = {}) {
  const info = credential.info;
  if (!info) return null;
  const known = info.policies.map((p) => policies[p.oid]).find(Boolean);
  const acceptedTypes = config.acceptedTypes ?? null;
  const accepted = acceptedTypes === null || info.policies.some((p) =>
    (config.acceptedPolicyOids ?? []).includes(p.oid) || acceptedTypes.includes(policies[p.oid]?.type));
  const daysLeft = countDaysLeft(info.notAfter, new Date());
  return {
    name: info.subject.cn.split("(")[0] || info.subject.cn,
    type: known?.type ?? "unknown",
    typeKo: known?.label_ko ?? "알 수 없는 종류",
    typeEn: known?.label_en ?? "Unknown type",
    issuer: [info.issuer.o, info.issuer.cn].filter(Boolean).join(" · "),
    until: day(info.notAfter),
    daysLeft,
    accepted,
  };
}

/**
 * One radio item of the list.
 * @param {import("./vault.js").CredentialSummary} credential
 * @param {number} index
 * @param {ReturnType<typeof describe>} about
 */
function certItem(credential, index, about) {
  const id = `cert-${index}`;
  const input = Object.assign(document.createElement("input"), { type: "radio", name: "credential", id,
    value: credential.id, disabled: !about || !about.accepted });
  const label = document.createElement("label");
  label.htmlFor = id;
  label.className = "cert";
  const line = (/** @type {string} */ cls, /** @type {Node} */ ...nodes) => {
    const span = document.createElement("span");
    span.className = cls;
    span.append(...nodes);
    return span;
  };
  if (!about) {
    label.append(line("cert__name", bi("손상된 인증서", "Damaged certificate")));
  } else {
    const badge = line(`cert__type cert__type--${about.type}`, bi(about.typeKo, about.typeEn));
    const left = about.daysLeft < 0
      ? bi("만료됨", "expired")
      : bi(`${about.daysLeft}일 남음`, `${about.daysLeft} days left`);
    label.append(
      line("cert__head", line("cert__name", document.createTextNode(about.name)), badge),
      line("cert__issuer", bi("발급자 ", "Issuer "), document.createTextNode(about.issuer)),
      line(`cert__validity${about.daysLeft < 0 ? " cert__validity--expired" : ""}`,
        bi("만료일 ", "Valid until "), document.createTextNode(`${about.until} (`), left,
        document.createTextNode(")")),
    );
    if (!about.accepted) {
      label.classList.add("cert--refused");
      const why = line("cert__refused", bi(
        `이 기관에서는 ${about.typeKo} 인증서를 사용할 수 없습니다. 범용 공동인증서는 한빛은행 앱의 인증서 발급에서 받을 수 있습니다.`,
        `This institution does not accept ${about.typeEn} certificates. Get a general-purpose joint certificate from the Hanbit Bank app.`));
      why.id = `${id}-why`;
      input.setAttribute("aria-describedby", why.id);
      label.append(why);
    }
  }
  const item = document.createElement("div");
  item.className = "cert-item";
  item.append(input, label);
  return item;
}

/**
 * @param {import("./vault.js").Vault} vault
 * @param {any} config
 */
async function showWallet(vault, config) {
  const credentials = await vault.listCredentials();
  const abouts = credentials.map((c) => describe(c, config.policies, config));
  const items = credentials.map((c, i) => certItem(c, i, abouts[i]));
  $("cert-items").replaceChildren(...items);
  if (!credentials.length) {
    $("password-field").hidden = true;
    $("login-button").hidden = true;
    say($("wallet-status"), "이 브라우저에 저장된 인증서가 없습니다. 한빛은행 앱에서 발급받거나 복사해 오십시오.",
      "No certificate is stored in this browser. Get one issued by Hanbit Bank or copy one here.");
    return;
  }
  const usable = abouts.filter((a) => a?.accepted).length;
  if (!usable) {
    $("password-field").hidden = true;
    $("login-button").hidden = true;
    $("get-general").hidden = false;
    say($("wallet-status"), "이 기관에서 사용할 수 있는 인증서가 없습니다. 아래 안내에 따라 알맞은 인증서를 발급받으십시오.",
      "None of your certificates is accepted here; see below for where to get the right type.");
    return;
  }
  say($("wallet-status"), `인증서 ${credentials.length}개 (이 기관에서 사용 가능 ${usable}개)`,
    `${credentials.length} certificate(s), ${usable} usable here`);
  const first = /** @type {HTMLInputElement | null} */ ($("cert-items").querySelector("input:not([disabled])"));
  if (first && usable === 1) first.checked = true;
}

/** The verifier's check names in the customer's words (never the code keys). */
const CHECK_NAMES = /** @type {Record<string, [string, string]>} */ ({
  challenge: ["로그인 요청 확인", "Login request"],
  signature: ["전자서명", "Signature"],
  certificate: ["인증서 형식", "Certificate format"],
  chain: ["발급기관 확인", "Issuer"],
  validity: ["유효기간", "Validity"],
  key_usage: ["인증서 용도", "Certificate use"],
  policy: ["인증서 종류", "Certificate type"],
  revocation: ["폐지 여부", "Revocation status"],
  identify_data: ["본인확인 정보", "Identity data"],
  vid: ["본인확인값(VID)", "Identity value (VID)"],
  identity: ["본인 확인", "Identity"],
  registration: ["인증서 등록", "Registration"],
});

// --- results ---------------------------------------------------------------------------------------------------

/**
 * @param {boolean} busy
 * @param {[string, string]} [text]
 */
function progress(busy, text) {
  for (const id of ["login-button", "register-button", "register-cancel"]) {
    /** @type {HTMLButtonElement} */ ($(id)).disabled = busy;
  }
  if (text) say($("progress"), ...text);
  else $("progress").replaceChildren();
}

/**
 * The facts under a verdict: which certificate, and the customer number on success.
 * @param {any} verdict
 * @param {Record<string, {label_ko: string, label_en: string}>} policies
 * @returns {Node[]}
 */
function facts(verdict, policies) {
  const cert = verdict.certificate;
  /** @type {[DocumentFragment, Node][]} */
  const rows = [];
  if (cert) {
    const known = cert.policy_oids.map((/** @type {string} */ oid) => policies[oid]).find(Boolean);
    const name = cert.real_name ?? cert.subject;
    const kind = known ? bi(known.label_ko, known.label_en) : bi("알 수 없는 종류", "unknown type");
    const value = document.createDocumentFragment();
    value.append(document.createTextNode(`${name} · `), kind);
    rows.push([bi("인증서", "Certificate"), value]);
  }
  if (verdict.accepted && verdict.customer_id) {
    rows.push([bi("고객번호", "Customer no."), document.createTextNode(verdict.customer_id)]);
  }
  return rows.flatMap(([term, value]) => {
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.append(term);
    dd.append(value);
    return [dt, dd];
  });
}

/**
 * Show the outcome box.
 * @param {{kind: "accepted" | "refused" | "error", reason: string, title: [string, string],
 *   message: [string, string], facts?: Node[], checks?: any[]}} outcome
 */
function showOutcome({ kind, reason, title, message, facts: rows = [], checks = [] }) {
  const box = $("result");
  box.hidden = false;
  box.dataset.accepted = String(kind === "accepted");
  box.dataset.reason = reason;
  box.className = `panel result result--${kind}`;
  say($("result-title"), ...title);
  say($("result-message"), ...message);
  $("result-facts").replaceChildren(...rows);
  const items = checks.map((check) => {
    const li = document.createElement("li");
    li.className = `check check--${check.status}`;
    const name = document.createElement("span");
    name.className = "check__name";
    name.append(bi(...(CHECK_NAMES[check.name] ?? ["기타 확인", "Other check"])));
    li.dataset.check = check.name;
    li.append(name, bi(check.message_ko, check.message_en));
    return li;
  });
  $("result-checks").replaceChildren(...items);
  $("result-details").hidden = items.length === 0;
  if (kind === "accepted") say($("result-again"), "로그아웃", "Log out");
  else say($("result-again"), "다시 시도", "Try again");
  $("login-panel").hidden = true;
  $("register-panel").hidden = true;
  box.focus();
}

/**
 * @param {any} verdict the site's JSON verdict
 * @param {any} config
 */
function showVerdict(verdict, config) {
  const name = verdict.customer_name ?? "";
  showOutcome({
    kind: verdict.accepted ? "accepted" : "refused",
    reason: verdict.reason?.code ?? "ok",
    title: verdict.accepted ? ["로그인되었습니다", "Logged in"] : ["로그인할 수 없습니다", "Login refused"],
    message: verdict.accepted
      ? [`환영합니다, ${name} 님.`, `Welcome, ${name}.`]
      : [verdict.reason.message_ko, verdict.reason.message_en],
    facts: facts(verdict, config.policies),
    checks: verdict.checks,
  });
}

/** @param {unknown} err an error on the way to the site (network, a problem response) */
function showError(err) {
  const known = err instanceof JointcertError ? err : null;
  showOutcome({
    kind: "error",
    reason: known?.code ?? "internal_error",
    title: ["처리하지 못했습니다", "Something went wrong"],
    message: [known?.messageKo ?? "처리 중 오류가 발생했습니다.", known?.messageEn ?? "An unexpected error occurred."],
  });
}

/**
 * An inline error in a form (role=alert), or none.
 * @param {string} id
 * @param {[string, string] | null} text
 */
function formError(id, text) {
  const node = $(id);
  node.hidden = !text;
  if (text) say(node, ...text);
  else node.replaceChildren();
}

// --- the flow --------------------------------------------------------------------------------------------------

/**
 * @typedef {{privateKey: CryptoKey, randomNum: Uint8Array, certificateDer: Uint8Array}} Unlocked
 */

class LoginFlow {
  /**
   * @param {import("./vault.js").Vault} vault
   * @param {any} config
   */
  constructor(vault, config) {
    this.vault = vault;
    this.config = config;
    this.api = createApiClient({ baseUrl: config.apiBase });
    /** @type {Unlocked | null} held for the registration step only */
    this.held = null;
    this.timer = 0;
  }

  /**
   * A fresh challenge, signed in the browser, sent to `path` with `extra` fields.
   * @param {string} path
   * @param {Unlocked} unlocked
   * @param {Record<string, string>} [extra]
   */
  async signAndSend(path, unlocked, extra = {}) {
    const { challenge } = await this.api.post("/challenge", {});
    const signature = await sign(unlocked.privateKey, utf8(challenge));
    return this.api.post(path, {
      challenge,
      certificate: toBase64(unlocked.certificateDer),
      signature: toBase64(signature),
      ...extra,
    });
  }

  /** @param {SubmitEvent} event */
  async login(event) {
    event.preventDefault();
    const chosen = /** @type {HTMLInputElement | null} */ (document.querySelector("input[name=credential]:checked"));
    const passwordInput = /** @type {HTMLInputElement} */ ($("cert-password"));
    if (!chosen) return this.invalid("login-error", "cert-items", "인증서를 선택하십시오.", "Choose a certificate.");
    if (!passwordInput.value) return this.invalid("login-error", "cert-password", "인증서 비밀번호를 입력하십시오.",
      "Enter the certificate password.");
    formError("login-error", null);
    this.forget();
    progress(true, ["인증서를 여는 중…", "Opening the certificate…"]);
    /** @type {Unlocked | null} */
    let unlocked = null;
    try {
      unlocked = await this.vault.unlock(chosen.value, passwordInput.value);
      passwordInput.value = "";
      progress(true, ["전자서명 중…", "Signing…"]);
      const verdict = await this.signAndSend("/login", unlocked);
      if (verdict.next === "register") {
        this.askRegistration(unlocked);
        unlocked = null; // held for the registration form now
      } else {
        showVerdict(verdict, this.config);
      }
    } catch (err) {
      passwordInput.value = "";
      if (err instanceof JointcertError && err.code === "wrong_certificate_password") {
        this.invalid("login-error", "cert-password", err.messageKo, err.messageEn);
      } else {
        showError(err);
      }
    } finally {
      unlocked?.randomNum.fill(0);
      progress(false);
    }
  }

  /** @param {Unlocked} unlocked */
  askRegistration(unlocked) {
    this.held = unlocked;
    this.timer = window.setTimeout(() => this.cancelRegistration(), HOLD_MS);
    $("login-panel").hidden = true;
    $("result").hidden = true;
    $("register-panel").hidden = false;
    $("register-title").focus();
  }

  /** @param {SubmitEvent} event */
  async register(event) {
    event.preventDefault();
    const value = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ ($(id)).value.trim();
    const name = value("reg-name");
    const rrn = `${value("reg-rrn-front")}${value("reg-rrn-back")}`;
    if (!name) return this.invalid("register-error", "reg-name", "이름을 입력하십시오.", "Enter your name.");
    if (!/^[0-9]{13}$/.test(rrn)) return this.invalid("register-error", "reg-rrn-front",
      "주민등록번호 13자리를 입력하십시오.", "Enter the 13 digits of the resident registration number.");
    formError("register-error", null);
    const held = this.held;
    if (!held) return this.cancelRegistration();
    progress(true, ["본인확인 후 등록하는 중…", "Checking and registering…"]);
    try {
      const verdict = await this.signAndSend("/register", held, { name, rrn, random_num: toBase64(held.randomNum) });
      this.endRegistration();
      showVerdict(verdict, this.config);
    } catch (err) {
      this.endRegistration();
      showError(err);
    } finally {
      progress(false);
    }
  }

  cancelRegistration() {
    this.endRegistration();
    $("login-panel").hidden = false;
    $("cert-password").focus();
  }

  endRegistration() {
    this.forget();
    formError("register-error", null);
    for (const id of ["reg-rrn-front", "reg-rrn-back"]) /** @type {HTMLInputElement} */ ($(id)).value = "";
    $("register-panel").hidden = true;
  }

  /** Drop the unlocked key and wipe R. */
  forget() {
    window.clearTimeout(this.timer);
    this.held?.randomNum.fill(0);
    this.held = null;
  }

  /**
   * Say what is wrong next to the form and put the focus where it can be fixed.
   * @param {string} errorId the form's error line
   * @param {string} fieldId the field to focus
   * @param {string} ko
   * @param {string} en
   */
  invalid(errorId, fieldId, ko, en) {
    formError(errorId, [ko, en]);
    const target = fieldId === "cert-items" ? $("cert-items").querySelector("input:not([disabled])") : $(fieldId);
    /** @type {HTMLElement | null} */ (target)?.focus();
  }

  restart() {
    this.forget();
    formError("login-error", null);
    $("result").hidden = true;
    $("register-panel").hidden = true;
    $("login-panel").hidden = false;
    $("progress").replaceChildren();
    $("cert-password").focus();
  }
}

async function main() {
  initLang();
  const configNode = document.getElementById("rp-config");
  if (!configNode) {
    document.body.dataset.ready = "true"; // the list of sites: nothing but the language switch
    return;
  }
  const config = JSON.parse(configNode.textContent ?? "{}");
  let vault;
  try {
    vault = await openVault();
    await showWallet(vault, config);
  } catch (err) {
    const e = err instanceof JointcertError ? err : null;
    say($("wallet-status"), e?.messageKo ?? "인증서 보관함을 열 수 없습니다.",
      e?.messageEn ?? "The certificate wallet cannot be opened.");
    return;
  }
  const flow = new LoginFlow(vault, config);
  $("login-form").addEventListener("submit", (event) => flow.login(/** @type {SubmitEvent} */ (event)));
  $("register-form").addEventListener("submit", (event) => flow.register(/** @type {SubmitEvent} */ (event)));
  $("register-cancel").addEventListener("click", () => flow.cancelRegistration());
  $("result-again").addEventListener("click", () => flow.restart());
  document.body.dataset.ready = "true";
}

main();
