/**
 * The NPKI folder on a PC, from a web page: where a certificate's files go (`<CA>/USER/<subject DN>/signCert.der`
 * and `signPri.key`, the names `jointcert.npki.store` uses), writing them with the File System Access API where the
 * browser has it (the user picks the NPKI folder once), otherwise as two downloads, and reading them back from
 * file inputs for the way to the phone.
 * @module npki-files
 */

import { InvalidInputError } from "./errors.js";

export const CERT_FILE = "signCert.der";
export const KEY_FILE = "signPri.key";
export const KM_CERT_FILE = "kmCert.der"; // the encryption pair of a sign + km pair
export const KM_KEY_FILE = "kmPri.key";
const UNSAFE = /[<>:"/\\|?*\u0000-\u001f\u007f]/g;

/**
 * A path component made safe for file systems (as `jointcert.npki.store._safe`).
 * @param {string} text
 * @returns {string}
 */
export function safeName(text) {
  const cleaned = String(text).replace(UNSAFE, "_").replace(/[. ]+$/, "");
  return cleaned === "" || cleaned === "." || cleaned === ".." ? "_" : cleaned;
}

/**
 * The folder of a certificate under the NPKI root: `[<CA>, "USER", <subject DN, most specific first>]`.
 * @param {import("./certinfo.js").CertificateInfo} info
 * @returns {string[]}
 */
export function npkiPath(info) {
  const ca = info.issuer.o || info.subject.o || "UNKNOWN";
  const dn = info.subject.attributes.slice().reverse().map((a) => `${a.name.toLowerCase()}=${a.value}`).join(",");
  return [safeName(ca), "USER", safeName(dn)];
}

/** @returns {boolean} whether this browser can write into a folder the user picks */
export function canWriteFolders() {
  return typeof (/** @type {any} */ (window).showDirectoryPicker) === "function";
}

/**
 * Write the two files into the NPKI folder the user picks (File System Access API). The user picks the NPKI
 * root (e.g. `AppData\LocalLow\NPKI`); the CA, USER and certificate folders are made inside it.
 * @param {import("./certinfo.js").CertificateInfo} info
 * @param {Uint8Array} certificateDer
 * @param {Uint8Array} signPri
 * @param {{certificateDer: Uint8Array, encryptedKey: Uint8Array} | null} [km] kmCert.der + kmPri.key of a pair
 * @returns {Promise<string>} the folder written, relative to the picked one (`yessign/USER/cn=…`)
 */
export async function writeToFolder(info, certificateDer, signPri, km = null) {
  /** @type {FileSystemDirectoryHandle} */
  let dir = await /** @type {any} */ (window).showDirectoryPicker({ id: "npki", mode: "readwrite" });
  const path = npkiPath(info);
  for (const part of path) dir = await dir.getDirectoryHandle(part, { create: true });
  /** @type {[string, Uint8Array][]} */
  const files = [[CERT_FILE, certificateDer], [KEY_FILE, signPri]];
  if (km) files.push([KM_CERT_FILE, km.certificateDer], [KM_KEY_FILE, km.encryptedKey]);
  for (const [name, bytes] of files) {
    const file = await dir.getFileHandle(name, { create: true });
    const out = await file.createWritable();
    await out.write(bytes);
    await out.close();
  }
  return path.join("/");
}

/**
 * Offer one file as a download (the fallback where folders cannot be written).
 * @param {string} name
 * @param {Uint8Array} bytes
 */
export function download(name, bytes) {
  const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * The bytes of a picked file (`<input type="file">`).
 * @param {HTMLInputElement} input
 * @param {[string, string]} missing Korean and English message when nothing is picked
 * @returns {Promise<Uint8Array>}
 */
export async function readPicked(input, [messageKo, messageEn]) {
  const file = input.files?.[0];
  if (!file) throw new InvalidInputError({ messageKo, messageEn });
  if (file.size > 64 * 1024) {
    throw new InvalidInputError({ messageKo: `${file.name} 파일이 너무 큽니다. 인증서 파일이 아닙니다.`,
      messageEn: `${file.name} is too large to be a certificate file.` });
  }
  return new Uint8Array(await file.arrayBuffer());
}
