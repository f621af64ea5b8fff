/**
 * jointcert relying-party SDK (browser side), protocol version 1: open the bank's certificate wallet from your own
 * origin and get back a signed response for your server to verify (`jointcert.rp.wallet.WalletResponseVerifier`).
 * One file, no dependencies; serve it from your own origin. docs/wallet-protocol.md.
 *
 *     import { JointcertWallet } from "/static/js/jointcert-rp.js";
 *     const wallet = new JointcertWallet({ walletUrl: "https://bank.example" });
 *     const request = await (await fetch("/api/wallet-request", { method: "POST" })).json(); // from your server
 *     const response = await wallet.popup(request);              // or wallet.redirect(request, { returnUrl })
 *     await fetch("/api/wallet-verify", { method: "POST", body: JSON.stringify(response) });
 * @module jointcert-rp
 */

export const PROTOCOL_VERSION = 1;
export const REQUEST_TYPE = "jointcert-wallet-request";
export const RESPONSE_TYPE = "jointcert-wallet-response";
const READY_TYPE = "jointcert-wallet-ready";
const FRAGMENT_KEY = "jointcert-wallet";
const STATE_KEY = "jointcert-wallet-state";

/** A failed or cancelled wallet request: `code` (`user_cancelled`, `popup_blocked`, `popup_closed`, `timeout`, …). */
export class WalletError extends Error {
  /** @param {string} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.name = "WalletError";
    this.code = code;
  }
}

/** @param {string} text */
function b64urlEncode(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** @param {string} text */
function b64urlDecode(text) {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

/** The bank's wallet as seen from a relying party's page. */
export class JointcertWallet {
  /** @param {{walletUrl: string}} options the bank's base URL, e.g. `https://bank.example` */
  constructor({ walletUrl }) {
    this.walletOrigin = new URL(walletUrl).origin;
    this.connectUrl = new URL("/wallet/connect", walletUrl).href;
  }

  /**
   * Open the wallet in a popup, hand it `request` once it says it is ready, resolve with its response.
   * Call it from a click handler (popup blockers). Only messages from the wallet's origin and window count.
   * @param {any} request a version-1 request from your server (client_id, origin, challenge, kind, …), or a
   *   promise of one: the window then opens at once, in the click's turn, while your server answers
   * @param {{timeoutMs?: number, features?: string}} [options]
   * @returns {Promise<any>} the response (`status: "ok"`); rejects with {@link WalletError}
   */
  popup(request, { timeoutMs = 5 * 60 * 1000, features = "popup,width=440,height=760" } = {}) {
    const win = window.open(this.connectUrl, "jointcert-wallet", features);
    if (!win) return Promise.reject(new WalletError("popup_blocked", "The wallet window was blocked."));
    const pending = Promise.resolve(request);
    return new Promise((resolve, reject) => {
      let asked = null;
      pending.then((r) => { asked = r; }, (err) => done(() => { win.close(); reject(err); }));
      const done = (/** @type {() => void} */ settle) => {
        window.removeEventListener("message", onMessage);
        clearInterval(watch);
        clearTimeout(timer);
        if (!win.closed) win.close(); // the opener closes the wallet window it opened
        settle();
      };
      const onMessage = (/** @type {MessageEvent} */ event) => {
        if (event.origin !== this.walletOrigin || event.source !== win) return;
        const data = event.data;
        if (data?.type === READY_TYPE) {
          pending.then((r) => win.postMessage(r, this.walletOrigin), () => {});
        } else if (data?.type === RESPONSE_TYPE && asked && data.request_id === asked.request_id) {
          if (data.status === "ok") done(() => resolve(data));
          else done(() => reject(new WalletError(data.error?.code ?? "wallet_error", data.error?.message_en ?? "")));
        }
      };
      window.addEventListener("message", onMessage);
      const watch = setInterval(() => {
        if (win.closed) done(() => reject(new WalletError("popup_closed", "The wallet window was closed.")));
      }, 500);
      const timer = setTimeout(() => done(() => reject(new WalletError("timeout", "The wallet did not answer."))),
        timeoutMs);
    });
  }

  /**
   * Go to the wallet; it comes back to `returnUrl` (registered at the bank) with the response in the fragment.
   * A random `state` is kept in sessionStorage and checked by {@link JointcertWallet.takeRedirectResponse}.
   * @param {any} request
   * @param {{returnUrl: string}} options
   */
  redirect(request, { returnUrl }) {
    const state = crypto.randomUUID();
    sessionStorage.setItem(STATE_KEY, state);
    const full = { ...request, return_url: returnUrl, state };
    location.assign(`${this.connectUrl}?request=${b64urlEncode(JSON.stringify(full))}`);
  }

  /**
   * After a redirect back: the response from `location.hash` (removed from the address bar), or null when there
   * is none. Throws {@link WalletError} `state_mismatch` if it was not asked for by this browser tab.
   * @returns {any | null}
   */
  static takeRedirectResponse() {
    const params = new URLSearchParams(location.hash.slice(1));
    const raw = params.get(FRAGMENT_KEY);
    if (!raw) return null;
    history.replaceState(null, "", location.pathname + location.search);
    const response = JSON.parse(b64urlDecode(raw));
    const expected = sessionStorage.getItem(STATE_KEY);
    sessionStorage.removeItem(STATE_KEY);
    if (!expected || response.state !== expected) {
      throw new WalletError("state_mismatch", "This response was not requested from this page.");
    }
    if (response.status !== "ok") {
      throw new WalletError(response.error?.code ?? "wallet_error", response.error?.message_en ?? "");
    }
    return response;
  }
}
