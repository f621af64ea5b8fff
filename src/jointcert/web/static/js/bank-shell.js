/**
 * The Hanbit Bank app shell: the Korean/English switch (kept in localStorage) and small helpers every bank page
 * uses to write bilingual text and to show an error (`ApiError` or any `JointcertError`) next to a field.
 * Text is always set with textContent: nothing from the server is parsed as HTML.
 * @module bank-shell
 */

import { JointcertError } from "./errors.js";
import { attachTextKeypads } from "./secure-keypad-text.js";

const LANG_KEY = "jointcert-bank-lang";

/**
 * The element with this id.
 * @param {string} id
 * @returns {HTMLElement}
 */
export const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @returns {"ko" | "en"} the language shown now */
export function currentLang() {
  return document.documentElement.dataset.lang === "en" ? "en" : "ko";
}

/**
 * Show one language (both are in the page; CSS hides the other) and remember it.
 * @param {"ko" | "en"} lang
 */
export function setLang(lang) {
  document.documentElement.dataset.lang = lang;
  document.documentElement.lang = lang;
  document.getElementById("lang-switch")?.setAttribute("aria-pressed", String(lang === "en"));
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
  document.getElementById("lang-switch")?.addEventListener("click", () =>
    setLang(currentLang() === "en" ? "ko" : "en"));
}

/**
 * Both languages of a text, as nodes.
 * @param {string} ko
 * @param {string} en
 * @returns {DocumentFragment}
 */
export function bi(ko, en) {
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
 * Replace an element's content with a bilingual text.
 * @param {HTMLElement} element
 * @param {string} ko
 * @param {string} en
 */
export function say(element, ko, en) {
  element.replaceChildren(bi(ko, en));
}

const FALLBACK = /** @type {const} */ (["처리 중 오류가 발생했습니다. 잠시 후 다시 시도하십시오.",
  "Something went wrong; please try again."]);

/**
 * The Korean and English message of any error: a JointcertError's own (from the API's `message_ko`/`message_en`),
 * otherwise a generic line — never a raw code or a stack.
 * @param {unknown} err
 * @returns {[string, string]}
 */
export function messagesOf(err) {
  if (err instanceof JointcertError) return [err.messageKo || FALLBACK[0], err.messageEn || FALLBACK[1]];
  return [...FALLBACK];
}

/**
 * Show an error in an error line (`role=alert`); mark `field` (if given) invalid and tie it to the message.
 * @param {string} errorId the error element's id
 * @param {unknown | [string, string]} err an error, or `[ko, en]`
 * @param {{field?: string, focus?: boolean}} [options] `field`: the input to mark and (by default) focus
 */
export function showError(errorId, err, { field, focus = true } = {}) {
  const node = $(errorId);
  const [ko, en] = Array.isArray(err) ? err : messagesOf(err);
  say(node, ko, en);
  node.hidden = false;
  if (err instanceof JointcertError) node.dataset.code = err.code;
  else delete node.dataset.code;
  if (field) {
    const input = $(field);
    input.setAttribute("aria-invalid", "true");
    const described = new Set((input.getAttribute("aria-describedby") ?? "").split(/\s+/).filter(Boolean));
    described.add(errorId);
    input.setAttribute("aria-describedby", [...described].join(" "));
    if (focus) input.focus();
  }
}

/**
 * Hide an error line and clear the invalid marks it set.
 * @param {string} errorId
 */
export function clearError(errorId) {
  const node = $(errorId);
  node.hidden = true;
  node.replaceChildren();
  delete node.dataset.code;
  for (const input of document.querySelectorAll(`[aria-describedby~="${errorId}"]`)) {
    input.removeAttribute("aria-invalid");
  }
}

/**
 * Move the focus to a screen's heading (so a screen reader starts there), or the main element.
 * @param {string} [id]
 */
export function focusHeading(id = "page-title") {
  const heading = document.getElementById(id) ?? $("main");
  if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
  heading.focus();
}

/**
 * Disable or enable buttons while a request runs.
 * @param {boolean} busy
 * @param {...string} ids
 */
export function setBusy(busy, ...ids) {
  for (const id of ids) {
    const button = /** @type {HTMLButtonElement | null} */ (document.getElementById(id));
    if (button) button.disabled = busy;
  }
}

initLang();
// the certificate password's optional secure keypad, on every page that has such a field, before the page's own
// module runs (module scripts run in order; the import cycle with secure-keypad*.js is safe: they use this module's
// functions only when called)
attachTextKeypads();
