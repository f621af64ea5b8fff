/**
 * The KISA virtual ID: `VID = H(H(DER(SEQUENCE { idn PrintableString, randomNum BIT STRING })))` (KCAC.TS.SIVID),
 * computed on the device so that R never has to leave it during issuance. Same result as Python's
 * `jointcert.npki.vid.compute_vid`.
 * @module vid
 */

import { InvalidInputError } from "./errors.js";
import { TAG, encode, encodeBitString, encodePrintableString } from "./asn1.js";
import { asBytes } from "./bytes.js";
import { subtle } from "./keys.js";

/**
 * The VID of a resident registration number and R.
 * @param {string} rrn the 13-digit resident registration number, digits only
 * @param {BufferSource} randomNum R
 * @param {"SHA-256" | "SHA-1"} [hash]
 * @returns {Promise<Uint8Array>}
 * @throws {InvalidInputError} when rrn is not 13 digits or R is empty
 */
export async function computeVid(rrn, randomNum, hash = "SHA-256") {
  if (!/^[0-9]{13}$/.test(rrn)) {
    throw new InvalidInputError({
      code: "invalid_rrn",
      messageKo: "주민등록번호는 숫자 13자리입니다.",
      messageEn: "A resident registration number has 13 digits.",
    });
  }
  const r = asBytes(randomNum);
  if (r.length === 0) throw new InvalidInputError({ messageEn: "R (randomNum) is empty." });
  const content = encode(TAG.SEQUENCE, encodePrintableString(rrn), encodeBitString(r));
  const inner = await subtle().digest(hash, content);
  return new Uint8Array(await subtle().digest(hash, inner));
}
