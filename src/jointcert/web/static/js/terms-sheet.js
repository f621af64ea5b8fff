/**
 * The terms screen's bottom sheets: each term's "보기" opens its full text in a modal `<dialog>` that slides up from
 * the bottom (focus inside, Escape or 닫기 closes, 동의 ticks the term and closes); the focus goes back to "보기".
 * @module terms-sheet
 */

/** Wire every `[data-sheet]` button of the page to its dialog. */
export function wireTermSheets() {
  for (const opener of document.querySelectorAll("[data-sheet]")) {
    const button = /** @type {HTMLButtonElement} */ (opener);
    const sheet = /** @type {HTMLDialogElement | null} */ (document.getElementById(button.dataset.sheet ?? ""));
    if (!sheet) continue;
    button.addEventListener("click", () => {
      sheet.showModal();
      /** @type {HTMLElement | null} */ (sheet.querySelector(".sheet__body"))?.focus();
    });
    sheet.addEventListener("close", () => button.focus());
    sheet.querySelector("[data-sheet-close]")?.addEventListener("click", () => sheet.close());
    const agree = /** @type {HTMLButtonElement | null} */ (sheet.querySelector("[data-sheet-agree]"));
    agree?.addEventListener("click", () => {
      const box = /** @type {HTMLInputElement | null} */ (document.getElementById(agree.dataset.sheetAgree ?? ""));
      if (box && !box.checked) {
        box.checked = true;
        box.dispatchEvent(new Event("change", { bubbles: true }));
      }
      sheet.close();
    });
    sheet.addEventListener("click", (event) => { // a tap on the backdrop closes the sheet
      if (event.target === sheet) sheet.close();
    });
  }
}
