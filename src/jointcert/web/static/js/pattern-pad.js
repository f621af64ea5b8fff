/**
 * The 3×3 pattern pad of the app certificate: nine buttons that can be drawn across with a finger or a mouse
 * (pointer events) or selected in order with the keyboard (Tab, then Enter or Space on each dot). Cells are
 * numbered 1..9 row by row, as the API takes them.
 * @module pattern-pad
 */

const SIZE = 300; // the SVG viewBox the line is drawn in
const MIN_CELLS = 4;

/**
 * @param {number} cell 1..9
 * @returns {string} the cell's centre in the viewBox, "x,y"
 */
function centre(cell) {
  const col = (cell - 1) % 3;
  const row = Math.floor((cell - 1) / 3);
  return `${(col + 0.5) * (SIZE / 3)},${(row + 0.5) * (SIZE / 3)}`;
}

export class PatternPad {
  /**
   * @param {HTMLElement} pad the element holding the `.pattern__dot` buttons (with `data-cell`)
   * @param {{line?: SVGPolylineElement | null, onChange?: (cells: number[]) => void,
   *   onDrawn?: (cells: number[]) => void}} [options] `onDrawn` runs when a drawn stroke through at least 4 dots ends
   */
  constructor(pad, { line = null, onChange = () => {}, onDrawn = () => {} } = {}) {
    this.pad = pad;
    this.line = line;
    this.onChange = onChange;
    this.onDrawn = onDrawn;
    /** @type {number[]} */
    this.cells = [];
    this.drawing = false;
    this.stroke = 0;
    pad.addEventListener("pointerdown", (e) => this.#down(e));
    pad.addEventListener("pointermove", (e) => this.#move(e));
    pad.addEventListener("pointerup", () => this.#up());
    pad.addEventListener("pointercancel", () => this.#up());
    pad.addEventListener("click", (e) => this.#click(e));
  }

  /** @returns {number[]} the cells in drawing order */
  get value() {
    return [...this.cells];
  }

  /** Start again. */
  clear() {
    this.cells = [];
    this.#render();
  }

  /** @param {number} cell */
  add(cell) {
    if (!(cell >= 1 && cell <= 9) || this.cells.includes(cell)) return;
    this.cells.push(cell);
    this.#render();
  }

  /** @param {number} x @param {number} y */
  #cellAt(x, y) {
    const dot = /** @type {HTMLElement | null} */ (document.elementFromPoint(x, y)?.closest(".pattern__dot") ?? null);
    return dot && this.pad.contains(dot) ? Number(dot.dataset.cell) : 0;
  }

  /** @param {PointerEvent} event */
  #down(event) {
    const cell = this.#cellAt(event.clientX, event.clientY);
    if (!cell) return;
    event.preventDefault();
    this.drawing = true;
    this.stroke = 0;
    this.pad.setPointerCapture?.(event.pointerId);
    const before = this.cells.length;
    this.add(cell);
    this.stroke += this.cells.length - before;
  }

  /** @param {PointerEvent} event */
  #move(event) {
    if (!this.drawing) return;
    const before = this.cells.length;
    this.add(this.#cellAt(event.clientX, event.clientY));
    this.stroke += this.cells.length - before;
  }

  #up() {
    if (!this.drawing) return;
    this.drawing = false;
    if (this.stroke >= 2 && this.cells.length >= MIN_CELLS) this.onDrawn(this.value);
  }

  /** @param {MouseEvent} event a click from the keyboard (detail 0); pointer clicks were handled on pointerdown */
  #click(event) {
    if (event.detail !== 0) return;
    const dot = /** @type {HTMLElement | null} */ ((/** @type {Element} */ (event.target)).closest(".pattern__dot"));
    if (dot) this.add(Number(dot.dataset.cell));
  }

  #render() {
    for (const dot of this.pad.querySelectorAll(".pattern__dot")) {
      const cell = Number(/** @type {HTMLElement} */ (dot).dataset.cell);
      dot.setAttribute("aria-pressed", String(this.cells.includes(cell)));
    }
    this.line?.setAttribute("points", this.cells.map(centre).join(" "));
    this.onChange(this.value);
  }
}
