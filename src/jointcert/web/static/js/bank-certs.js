/**
 * The certificates in this browser as the bank pages show them: the page configuration, the server's clock
 * (days left and the renewal window follow the bank's time, not the device's), and the radio list of
 * certificates (name, type, issuer, validity, days left) used by the login, wallet and copy pages.
 * @module bank-certs
 */

import { $, bi, say } from "./bank-shell.js";
import { daysLeft as countDaysLeft } from "./certinfo.js";

/** Days before expiry from which a certificate is shown as expiring (as the SMS reminders). */
const EXPIRING_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * @typedef {{policies: Record<string, {type: string, label_ko: string, label_en: string}>, now: string,
 *   renewalWindowDays: number, mode?: string}} BankConfig
 */

/** @returns {BankConfig} the page's configuration (`<script type="application/json" id="bank-config">`) */
export function loadConfig() {
  return JSON.parse(document.getElementById("bank-config")?.textContent ?? "{}");
}

/**
 * A clock that runs at the device's pace from the server's time when the page was made.
 * @param {BankConfig} config
 * @returns {() => Date}
 */
export function serverClock(config) {
  const skew = Date.parse(config.now) - Date.now();
  return () => new Date(Date.now() + (Number.isFinite(skew) ? skew : 0));
}

/**
 * @param {Date} date
 * @returns {string} YYYY-MM-DD in local time
 */
export function day(date) {
  const pad = (/** @type {number} */ n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/**
 * What the pages show about one certificate; null for a damaged record.
 * @param {import("./vault.js").CredentialSummary} credential
 * @param {BankConfig} config
 * @param {Date} now
 */
export function describe(credential, config, now) {
  const info = credential.info;
  if (!info) return null;
  const known = info.policies.map((p) => config.policies[p.oid]).find(Boolean);
  const daysLeft = countDaysLeft(info.notAfter, now);
  const renewableFrom = new Date(info.notAfter.getTime() - config.renewalWindowDays * DAY_MS);
  return {
    id: credential.id,
    name: info.subject.cn.split("(")[0] || info.subject.cn,
    cn: info.subject.cn,
    type: known?.type ?? "unknown",
    typeKo: known?.label_ko ?? "알 수 없는 종류",
    typeEn: known?.label_en ?? "Unknown type",
    issuer: [info.issuer.o, info.issuer.cn].filter(Boolean).join(" · "),
    subject: info.subject.dn,
    serial: info.serialHex,
    from: day(info.notBefore),
    until: day(info.notAfter),
    daysLeft,
    expired: now.getTime() >= info.notAfter.getTime(),
    renewable: now.getTime() >= renewableFrom.getTime() && now.getTime() < info.notAfter.getTime(),
    expiringSoon: daysLeft <= EXPIRING_DAYS && now.getTime() < info.notAfter.getTime(), // the 30-day reminder's window
    renewableFrom: day(renewableFrom),
  };
}

/** @typedef {NonNullable<ReturnType<typeof describe>>} CertView */

/**
 * @param {string} cls
 * @param {...(Node | string)} nodes
 */
function span(cls, ...nodes) {
  const node = document.createElement("span");
  node.className = cls;
  node.append(...nodes);
  return node;
}

/**
 * "만료일 2027-11-25 (365일 남음)" in both languages.
 * @param {CertView} about
 */
export function validityLine(about) {
  const left = about.expired
    ? bi("만료됨", "expired")
    : bi(`${about.daysLeft}일 남음`, `${about.daysLeft} days left`);
  return span(`cert__validity${about.expired ? " cert__validity--expired" : ""}${about.renewable ? " cert__validity--soon" : ""}`,
    bi("만료일 ", "Valid until "), `${about.until} (`, left, ")");
}

/**
 * One radio of the list.
 * @param {import("./vault.js").CredentialSummary} credential
 * @param {number} index
 * @param {CertView | null} about
 * @param {string} name the radio group's name
 */
function choice(credential, index, about, name) {
  const input = Object.assign(document.createElement("input"), { type: "radio", name, id: `cert-${index}`,
    value: credential.id });
  const label = document.createElement("label");
  label.className = "choice cert";
  label.htmlFor = input.id;
  const text = span("choice__text");
  if (!about) {
    text.append(span("choice__title", bi("손상된 인증서", "Damaged certificate")));
  } else {
    text.append(
      span("cert__head", span("choice__title cert__name", about.name),
        span(`cert__type cert__type--${about.type}`, bi(about.typeKo, about.typeEn))),
      span("choice__note cert__issuer", bi("발급자 ", "Issuer "), about.issuer),
      span("choice__note", validityLine(about)),
    );
    if (about.expiringSoon) {
      label.classList.add("cert--soon");
      text.append(span("cert__soon", bi(`만료 ${about.daysLeft}일 전입니다. 갱신하십시오.`,
        `Expires in ${about.daysLeft} days: renew it.`)));
    }
  }
  label.append(input, text);
  return label;
}

/**
 * Fill `#cert-items` with the wallet's certificates as radios and say how many there are in `#wallet-status`.
 * @param {import("./vault.js").CredentialSummary[]} credentials
 * @param {BankConfig} config
 * @param {Date} now
 * @param {{name?: string, selected?: string | null}} [options]
 * @returns {Map<string, CertView | null>} what each id shows
 */
export function renderChoices(credentials, config, now, { name = "credential", selected = null } = {}) {
  /** @type {Map<string, CertView | null>} */
  const views = new Map();
  const items = credentials.map((c, i) => {
    const about = describe(c, config, now);
    views.set(c.id, about);
    return choice(c, i, about, name);
  });
  $("cert-items").replaceChildren(...items);
  const help = document.getElementById("no-cert-help");
  if (help) help.hidden = credentials.length > 0;
  if (!credentials.length) {
    say($("wallet-status"), "이 기기에 저장된 인증서가 없습니다.", "No certificate is stored on this device.");
  } else {
    say($("wallet-status"), `인증서 ${credentials.length}개`, `${credentials.length} certificate(s)`);
  }
  const pick = selected ?? (credentials.length === 1 ? credentials[0].id : null);
  const radio = /** @type {HTMLInputElement | null} */ (
    pick ? $("cert-items").querySelector(`input[value="${CSS.escape(pick)}"]`) : null);
  if (radio) radio.checked = true;
  return views;
}

/**
 * The chosen certificate's id, or null.
 * @param {string} [name]
 */
export function chosenId(name = "credential") {
  const input = /** @type {HTMLInputElement | null} */ (document.querySelector(`input[name="${name}"]:checked`));
  return input?.value ?? null;
}

/**
 * A `<dl>`'s rows from [term, value] pairs (values as text or nodes).
 * @param {HTMLElement} list
 * @param {[DocumentFragment, Node | string][]} rows
 */
export function fillFacts(list, rows) {
  list.replaceChildren(...rows.flatMap(([term, value]) => {
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.append(term);
    dd.append(value);
    return [dt, dd];
  }));
}
