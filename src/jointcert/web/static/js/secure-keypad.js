/**
 * The secure keypad of the bank app (보안 키패드): the digits of a PIN, a security-card cell, an OTP code or the back
 * of a resident number are entered on an in-page keypad whose digits are shuffled every time it is shown, never
 * with the phone's own keyboard (the field is read-only with `inputmode="none"`, so no OS keyboard opens and no
 * keyboard app sees the digits). A physical keyboard still works: digits, Backspace, Enter and Escape on the field.
 *
 * The field shows no digit: `●●○○` (filled / still to enter) for a PIN, or the first digit and dots for a resident
 * number's back (`1●●●●●●`, as Korean banks show it). The digits live in this module (a WeakMap per field), read with
 * {@link keypadValue}; `issuance-common.js` `valueOf`/`clearInputs` use it, so the screens need no other change.
 *
 * The certificate password's shuffled QWERTY keypad (`data-keypad="qwerty"`) is in `secure-keypad-text.js`, built from
 * the same parts ({@link keypadParts}, {@link keyButton}, {@link shuffled}).
 *
 * Markup: `<input data-keypad="4">` (the length), optional `data-keypad-mask="first"` (resident number),
 * `data-keypad-submit` (submit the form on the last digit: the app PIN), `data-keypad-next="id"` (move on when
 * full: security card). {@link attachKeypads} wires every such field of the page.
 * @module secure-keypad
 */

import { bi } from "./bank-shell.js";

/** @type {WeakMap<HTMLInputElement, string>} */
const VALUES = new WeakMap();
/** @type {WeakMap<HTMLInputElement, SecureKeypad>} */
const PADS = new WeakMap();

/**
 * The digits entered on a keypad field; undefined for a field without a keypad.
 * @param {HTMLElement} input
 * @returns {string | undefined}
 */
export function keypadValue(input) {
  return input instanceof HTMLInputElement && PADS.has(input) ? VALUES.get(input) ?? "" : undefined;
}

/**
 * Set (or with "" clear) a keypad field's digits.
 * @param {HTMLElement} input
 * @param {string} digits
 */
export function setKeypadValue(input, digits) {
  const pad = input instanceof HTMLInputElement ? PADS.get(input) : undefined;
  if (pad) pad.set(digits);
}

/**
 * The items in a random order (crypto.getRandomValues, Fisher–Yates).
 * @template T
 * @param {T[]} items
 * @returns {T[]} a shuffled copy
 */
export function shuffled(items) {
  const out = [...items];
  const random = new Uint32Array(out.length);
  crypto.getRandomValues(random);
  for (let i = out.length - 1; i > 0; i--) {
    const j = random[i] % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Ten digits in a random order.
 * @returns {string[]}
 */
export function shuffledDigits() {
  return shuffled([..."0123456789"]);
}

/**
 * What every keypad field gets: read-only with `inputmode=none` (no OS keyboard), a hidden line a screen reader
 * reads with the field ("N of M entered"), and a labelled, hidden group for the keys after `anchor`.
 * @param {HTMLInputElement} input
 * @param {Element} anchor the keypad goes after it
 * @returns {{panel: HTMLDivElement, count: HTMLSpanElement}}
 */
export function keypadParts(input, anchor) {
  input.readOnly = true;
  input.inputMode = "none";
  input.autocomplete = input.autocomplete === "new-password" ? "new-password" : "off";
  input.classList.add("keypad-field");
  input.setAttribute("aria-describedby", [input.getAttribute("aria-describedby"), `${input.id}-count`]
    .filter(Boolean).join(" "));
  const count = Object.assign(document.createElement("span"), { id: `${input.id}-count`, className: "sr-only" });
  const panel = document.createElement("div");
  panel.className = "keypad";
  panel.id = `${input.id}-keypad`;
  panel.hidden = true;
  panel.setAttribute("role", "group");
  const label = document.querySelector(`label[for="${input.id}"]`)?.textContent?.trim() ?? input.getAttribute("aria-label") ?? "";
  panel.setAttribute("aria-label", `보안 키패드 / Secure keypad: ${label}`);
  input.setAttribute("aria-controls", panel.id);
  anchor.after(panel);
  input.after(count);
  return { panel, count };
}

/**
 * A key of a keypad.
 * @param {string} className extra classes
 * @param {string | Node} content
 * @param {() => void} press
 * @returns {HTMLButtonElement}
 */
export function keyButton(className, content, press) {
  const key = Object.assign(document.createElement("button"), { type: "button",
    className: `keypad__key ${className}`.trim() });
  key.append(content);
  key.addEventListener("click", press);
  return key;
}

/** One field and its keypad. */
export class SecureKeypad {
  /** @param {HTMLInputElement} input */
  constructor(input) {
    this.input = input;
    this.length = Number(input.dataset.keypad) || 6;
    this.mask = input.dataset.keypadMask ?? "dots";
    input.removeAttribute("maxlength");
    const { panel, count } = keypadParts(input, input.closest(".rrn") ?? input);
    this.panel = panel;
    this.count = count;
    this.quiet = false; // focus given back by 완료 does not reopen the keypad
    PADS.set(input, this);
    VALUES.set(input, "");
    input.addEventListener("click", () => this.open());
    input.addEventListener("focus", () => { if (!this.quiet) this.open(); });
    input.addEventListener("keydown", (event) => this.key(event));
    this.render();
  }

  /** @returns {string} */
  get value() {
    return VALUES.get(this.input) ?? "";
  }

  /** @param {string} digits */
  set(digits) {
    VALUES.set(this.input, digits.replace(/\D/g, "").slice(0, this.length));
    this.render();
    this.input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  /** Show the keypad with freshly shuffled digits. */
  open() {
    if (!this.panel.hidden) return;
    const digits = shuffledDigits();
    const keys = [...digits.slice(0, 9).map((d) => this.digitKey(d)), this.fnKey("back", "지우기", "Delete"),
      this.digitKey(digits[9]), this.fnKey("done", "완료", "Done")];
    this.panel.replaceChildren(...keys);
    this.panel.hidden = false;
  }

  close() {
    this.panel.hidden = true;
  }

  /** @param {string} digit */
  digitKey(digit) {
    const key = keyButton("", digit, () => this.press(digit));
    key.dataset.digit = digit;
    return key;
  }

  /**
   * @param {"back" | "done"} kind
   * @param {string} ko
   * @param {string} en
   */
  fnKey(kind, ko, en) {
    const key = keyButton(`keypad__key--fn keypad__key--${kind}`, bi(ko, en), () => {
      if (kind === "back") this.set(this.value.slice(0, -1));
      else this.finish(true);
    });
    key.dataset.key = kind;
    return key;
  }

  /** @param {string} digit */
  press(digit) {
    if (this.value.length >= this.length) return;
    this.set(this.value + digit);
    if (this.value.length === this.length) this.finish(false);
  }

  /**
   * The field is full (or 완료 was pressed): submit, move on, or close.
   * @param {boolean} asked 완료 pressed
   */
  finish(asked) {
    const full = this.value.length === this.length;
    const next = this.input.dataset.keypadNext;
    if (full && "keypadSubmit" in this.input.dataset) {
      this.close();
      this.input.form?.requestSubmit();
    } else if (full && next) {
      this.close();
      document.getElementById(next)?.focus();
    } else if (asked) {
      this.close();
      this.quiet = true;
      this.input.focus();
      this.quiet = false;
    }
  }

  /** @param {KeyboardEvent} event the keyboard fallback */
  key(event) {
    if (/^[0-9]$/.test(event.key)) {
      event.preventDefault();
      this.press(event.key);
    } else if (event.key === "Backspace") {
      event.preventDefault();
      this.set(this.value.slice(0, -1));
    } else if (event.key === "Escape") {
      this.close();
    } else if (event.key === "Enter") {
      event.preventDefault();
      this.close();
      this.input.form?.requestSubmit();
    }
  }

  /** What the field shows: no digit, only how many (or the resident number's first digit). */
  render() {
    const n = this.value.length;
    this.input.value = this.mask === "first"
      ? (n ? this.value[0] + "●".repeat(n - 1) : "")
      : (n ? "●".repeat(n) + "○".repeat(this.length - n) : "");
    this.count.textContent = `${this.length}자리 중 ${n}자리 입력 / ${n} of ${this.length} digits entered`;
  }
}

/**
 * Wire every `[data-keypad]` field of the page (once).
 * @param {ParentNode} [root]
 * @returns {SecureKeypad[]}
 */
export function attachKeypads(root = document) {
  return [...root.querySelectorAll("input[data-keypad]:not([data-keypad=qwerty])")]
    .map((node) => /** @type {HTMLInputElement} */ (node))
    .filter((input) => !PADS.has(input))
    .map((input) => new SecureKeypad(input));
}

/**
 * The two parts of a resident number: once the front has its 6 digits the focus moves to the back (its keypad
 * opens); a 7th digit typed or pasted into the front goes on in the back, so typing all 13 digits fills both.
 * @param {HTMLInputElement} front
 * @param {HTMLInputElement} back a keypad field
 */
export function linkResidentNumber(front, back) {
  const spill = () => {
    const digits = front.value.replace(/\D/g, "");
    if (digits.length < 6) {
      if (front.value !== digits) front.value = digits;
      return;
    }
    front.value = digits.slice(0, 6);
    if (digits.length > 6) setKeypadValue(back, (keypadValue(back) ?? "") + digits.slice(6));
    back.focus();
  };
  front.addEventListener("input", spill);
  front.addEventListener("keydown", (event) => {
    const full = front.value.replace(/\D/g, "").length >= 6;
    const atEnd = front.selectionStart === front.value.length && front.selectionEnd === front.value.length;
    if (full && atEnd && /^[0-9]$/.test(event.key)) {
      event.preventDefault();
      back.focus();
      PADS.get(back)?.press(event.key);
    }
  });
}
