/**
 * Byte helpers: conversions between Uint8Array, base64, hex and UTF-8. No cryptography here.
 * @module bytes
 */

/**
 * A Uint8Array view of any BufferSource (ArrayBuffer, typed array, DataView); strings are UTF-8 encoded.
 * @param {BufferSource | string} data
 * @returns {Uint8Array}
 */
export function asBytes(data) {
  if (typeof data === "string") return new TextEncoder().encode(data);
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError("expected bytes (ArrayBuffer, typed array) or a string");
}

/**
 * Standard base64 (RFC 4648 §4, with padding) of some bytes.
 * @param {BufferSource} data
 * @returns {string}
 */
export function toBase64(data) {
  const bytes = asBytes(data);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * Bytes from base64 or base64url text (padding optional, surrounding whitespace ignored).
 * @param {string} text
 * @returns {Uint8Array}
 * @throws {TypeError} when the text is not base64
 */
export function fromBase64(text) {
  let clean = String(text).trim().replace(/-/g, "+").replace(/_/g, "/");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) throw new TypeError("not base64");
  clean = clean.replace(/=+$/, "");
  clean += "=".repeat((4 - (clean.length % 4)) % 4);
  let binary;
  try {
    binary = atob(clean);
  } catch {
    throw new TypeError("not base64");
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/**
 * Lower-case hex of some bytes.
 * @param {BufferSource} data
 * @returns {string}
 */
export function toHex(data) {
  return Array.from(asBytes(data), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Bytes from hex text (either case, even length).
 * @param {string} text
 * @returns {Uint8Array}
 * @throws {TypeError} when the text is not hex
 */
export function fromHex(text) {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) throw new TypeError("not hex");
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
  return out;
}

/**
 * UTF-8 encoding of a string.
 * @param {string} text
 * @returns {Uint8Array}
 */
export function utf8(text) {
  return new TextEncoder().encode(text);
}

/**
 * The concatenation of several byte arrays.
 * @param {...BufferSource} parts
 * @returns {Uint8Array}
 */
export function concat(...parts) {
  const views = parts.map(asBytes);
  const out = new Uint8Array(views.reduce((n, v) => n + v.length, 0));
  let offset = 0;
  for (const v of views) {
    out.set(v, offset);
    offset += v.length;
  }
  return out;
}

/**
 * Whether two byte arrays are equal (not constant-time: for public values only).
 * @param {BufferSource} a
 * @param {BufferSource} b
 * @returns {boolean}
 */
export function equalBytes(a, b) {
  const x = asBytes(a);
  const y = asBytes(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * Overwrite a byte array with zeros (best effort: copies made by the engine are out of reach).
 * @param {Uint8Array | null | undefined} bytes
 */
export function wipe(bytes) {
  if (bytes instanceof Uint8Array) bytes.fill(0);
}
