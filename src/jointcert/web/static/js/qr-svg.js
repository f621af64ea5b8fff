/**
 * A QR code as an inline SVG element, made in the page from the vendored npm module `qrcode-generator`
 * (static/vendor/qrcode-generator, MIT). Made here and not on the server: the QR carries the copy code, whose
 * secret digits the server must never see. Built with DOM calls (no innerHTML, no inline style: the pages' CSP).
 * @module qr-svg
 */

import qrcode from "../vendor/qrcode-generator/qrcode.mjs";

const SVG = "http://www.w3.org/2000/svg";
const QUIET = 4; // modules of white border the standard asks for

/**
 * @param {string} text what the QR encodes (ASCII: a URL)
 * @param {string} label the accessible name (role="img")
 * @returns {SVGSVGElement}
 */
export function qrSvg(text, label) {
  const qr = qrcode(0, "M");
  qr.addData(text);
  qr.make();
  const count = qr.getModuleCount();
  const size = count + QUIET * 2;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  svg.setAttribute("shape-rendering", "crispEdges");
  const background = document.createElementNS(SVG, "rect");
  background.setAttribute("width", String(size));
  background.setAttribute("height", String(size));
  background.setAttribute("fill", "#fff");
  let d = "";
  for (let row = 0; row < count; row++) {
    for (let col = 0; col < count; col++) {
      if (qr.isDark(row, col)) d += `M${col + QUIET} ${row + QUIET}h1v1h-1z`;
    }
  }
  const modules = document.createElementNS(SVG, "path");
  modules.setAttribute("d", d);
  modules.setAttribute("fill", "#000");
  svg.append(background, modules);
  return svg;
}
