/**
 * The certificate password's secure keypad (보안 키패드, issue 16 point 2): a QWERTY keypad in the page, built from
 * the parts of the numeric one (`secure-keypad.js`). Korean banks' keypads shuffle per display: here the digit row
 * and the symbol rows are shuffled, and every letter row gets a blank key at a random place, so the keys sit
 * somewhere else each time it opens (a tap logger learns nothing from positions). ⇧ gives one capital letter; "!#1"
 * shows the symbols the password rules allow (`password-policy.js`: ASCII punctuation without `'` `"` `\` `|`).
 *
 * It is optional: under each `<input type="password" data-keypad="qwerty">` a "보안 키패드" switch turns it on (the
 * field becomes read-only with `inputmode=none`, so no OS keyboard opens) or off (the ordinary field and keyboard:
 * the fallback), and "표시"/"숨기기" shows or hides the password. The choice is remembered on this device
 * (`localStorage` `jointcert-bank-keypad`). The characters go into the field itself, so the live checklist and the
 * page's code read `input.value` and its `input` events as from typing. A physical keyboard still types on the
 * read-only field (printable keys, Backspace, Enter submits, Escape closes).
 * @module secure-keypad-text
 */

import { bi } from "./bank-shell.js";
import { DEFAULT_RULES } from "./password-policy.js";
import { keyButton, keypadParts, shuffled } from "./secure-keypad.js";

const STORE_KEY = "jointcert-bank-keypad";
const LETTER_ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];
const ASCII_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
/** @type {Map<HTMLInputElement, SecureTextKeypad>} */
const TEXT_PADS = new Map();

/**
 * The symbols a certificate password may use.
 * @param {string} [disallowed]
 * @returns {string[]}
 */
export function passwordSymbols(disallowed = DEFAULT_RULES.disallowed_symbols) {
  return [...ASCII_PUNCTUATION].filter((c) => !disallowed.includes(c));
}

/**
 * A row with one blank at a random place (crypto.getRandomValues).
 * @param {string[]} keys
 * @returns {(string | null)[]} null: the blank
 */
function withBlank(keys) {
  const at = crypto.getRandomValues(new Uint32Array(1))[0] % (keys.length + 1);
  return [...keys.slice(0, at), null, ...keys.slice(at)];
}

/** One password field and its QWERTY keypad. */
export class SecureTextKeypad {
  /** @param {HTMLInputElement} input */
  constructor(input) {
    this.input = input;
    /** @type {{digits: string[], letters: (string | null)[][], symbols: string[][]} | null} */
    this.layout = null; // where the keys are: placed afresh each time the keypad is shown
    this.layer = "letters"; // or "symbols"
    this.shift = false;
    this.quiet = false;
    const { panel, count } = keypadParts(input, input);
    this.panel = panel;
    this.count = count;
    panel.classList.add("keypad--qwerty");
    this.tools = document.createElement("div");
    this.tools.className = "pw-tools";
    this.toggle = keyButton("pw-tool", "", () => this.switchAll(!this.on));
    this.toggle.id = `${input.id}-keypad-toggle`;
    this.toggle.className = "pw-tool";
    this.reveal = keyButton("pw-tool", "", () => this.showPassword(input.type === "password"));
    this.reveal.id = `${input.id}-reveal`;
    this.reveal.className = "pw-tool";
    this.tools.append(this.toggle, this.reveal);
    count.after(this.tools);
    TEXT_PADS.set(input, this);
    input.addEventListener("click", () => this.on && this.open());
    input.addEventListener("focus", () => this.on && !this.quiet && this.open());
    input.addEventListener("keydown", (event) => this.on && this.key(event));
    input.addEventListener("input", () => this.render());
    this.on = false;
    this.use(localStorage.getItem(STORE_KEY) === "on", false);
    this.showPassword(false);
  }

  /**
   * Turn the keypad on (read-only field, no OS keyboard) or off (the ordinary field).
   * @param {boolean} on
   * @param {boolean} asked the customer pressed the switch: remember it and move the focus to the field
   */
  use(on, asked) {
    this.on = on;
    this.input.readOnly = on;
    this.input.classList.toggle("keypad-field", on);
    if (on) this.input.inputMode = "none";
    else this.input.removeAttribute("inputmode");
    this.toggle.setAttribute("aria-pressed", String(on));
    this.toggle.replaceChildren(bi(on ? "보안 키패드 끄기" : "보안 키패드", on ? "Keypad off" : "Secure keypad"));
    if (!on) this.close();
    if (!asked) return;
    try {
      localStorage.setItem(STORE_KEY, on ? "on" : "off");
    } catch { /* private mode: not remembered */ }
    if (on) this.open();
    this.quiet = true;
    this.input.focus();
    this.quiet = false;
  }

  /**
   * The switch turns every password keypad of the page on or off (one choice per device); this one opens.
   * @param {boolean} on
   */
  switchAll(on) {
    for (const pad of TEXT_PADS.values()) if (pad !== this) pad.use(on, false);
    this.use(on, true);
  }

  /** @param {boolean} shown */
  showPassword(shown) {
    this.input.type = shown ? "text" : "password";
    this.reveal.setAttribute("aria-pressed", String(shown));
    this.reveal.replaceChildren(bi(shown ? "숨기기" : "표시", shown ? "Hide" : "Show"));
  }

  /** Show the keypad, keys placed afresh (one keypad open at a time). */
  open() {
    if (!this.panel.hidden) return;
    for (const pad of TEXT_PADS.values()) if (pad !== this) pad.close();
    this.layout = {
      digits: shuffled([..."1234567890"]),
      letters: LETTER_ROWS.map((row) => withBlank([...row])),
      symbols: (() => {
        const symbols = shuffled(passwordSymbols());
        return [symbols.slice(0, 10), symbols.slice(10, 20), symbols.slice(20)];
      })(),
    };
    this.draw();
    this.panel.hidden = false;
  }

  close() {
    this.panel.hidden = true;
  }

  /** Draw the current layer (the layout stays until the keypad is shown again). */
  draw() {
    const layout = this.layout;
    if (!layout) return;
    const rows = [layout.digits, ...(this.layer === "letters" ? layout.letters : layout.symbols)];
    const lines = rows.map((row) => {
      const line = document.createElement("div");
      line.className = "keypad__row";
      line.append(...row.map((c) => (c === null ? this.blank() : this.charKey(c))));
      return line;
    });
    const fn = document.createElement("div");
    fn.className = "keypad__row keypad__row--fn";
    const shift = keyButton("keypad__key--fn", bi("⇧ 대문자", "⇧ Shift"), () => this.setShift(!this.shift));
    shift.dataset.key = "shift";
    shift.setAttribute("aria-pressed", String(this.shift));
    shift.disabled = this.layer !== "letters";
    const layer = keyButton("keypad__key--fn", this.layer === "letters" ? bi("!#1 특수", "!#1 Symbols")
      : bi("abc 영문", "abc Letters"), () => this.setLayer(this.layer === "letters" ? "symbols" : "letters"));
    layer.dataset.key = "layer";
    const back = keyButton("keypad__key--fn", bi("지우기", "Delete"), () => this.erase());
    back.dataset.key = "back";
    const done = keyButton("keypad__key--fn", bi("완료", "Done"), () => this.finish());
    done.dataset.key = "done";
    fn.append(shift, layer, back, done);
    this.panel.replaceChildren(...lines, fn);
    this.panel.dataset.layer = this.layer;
  }

  /** @param {string} c */
  charKey(c) {
    const shown = this.shift && /[a-z]/.test(c) ? c.toUpperCase() : c;
    const key = keyButton("", shown, () => this.press(shown));
    key.dataset.char = shown;
    if (shown !== c) key.setAttribute("aria-label", `대문자 ${shown} / capital ${shown}`);
    return key;
  }

  blank() {
    const gap = document.createElement("span");
    gap.className = "keypad__key keypad__key--blank";
    gap.setAttribute("aria-hidden", "true");
    return gap;
  }

  /** @param {boolean} on */
  setShift(on) {
    this.shift = on;
    this.draw();
    /** @type {HTMLElement | null} */ (this.panel.querySelector("[data-key=shift]"))?.focus();
  }

  /** @param {"letters" | "symbols"} layer */
  setLayer(layer) {
    this.layer = layer;
    this.shift = false;
    this.draw();
    /** @type {HTMLElement | null} */ (this.panel.querySelector("[data-key=layer]"))?.focus();
  }

  /** @param {string} c one character */
  press(c) {
    const max = this.input.maxLength > 0 ? this.input.maxLength : Infinity;
    if (this.input.value.length >= max) return;
    this.input.value += c;
    this.input.dispatchEvent(new Event("input", { bubbles: true }));
    if (this.shift) this.setShift(false); // one capital, as on a phone
  }

  erase() {
    this.input.value = this.input.value.slice(0, -1);
    this.input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  /** 완료: close and give the focus back to the field (without reopening). */
  finish() {
    this.close();
    this.quiet = true;
    this.input.focus();
    this.quiet = false;
  }

  /** @param {KeyboardEvent} event the keyboard fallback while the keypad is on */
  key(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key.length === 1) {
      event.preventDefault();
      this.press(event.key);
    } else if (event.key === "Backspace") {
      event.preventDefault();
      this.erase();
    } else if (event.key === "Escape") {
      this.close();
    } else if (event.key === "Enter") {
      event.preventDefault();
      this.close();
      this.input.form?.requestSubmit();
    }
  }

  /** The screen reader's count line. */
  render() {
    const n = this.input.value.length;
    this.count.textContent = `${n}자 입력 / ${n} characters entered`;
  }
}

/**
 * Wire every `input[data-keypad=qwerty]` of the page (once).
 * @param {ParentNode} [root]
 * @returns {SecureTextKeypad[]}
 */
export function attachTextKeypads(root = document) {
  return [...root.querySelectorAll("input[data-keypad=qwerty]")]
    .map((node) => /** @type {HTMLInputElement} */ (node))
    .filter((input) => !TEXT_PADS.has(input))
    .map((input) => new SecureTextKeypad(input));
}
