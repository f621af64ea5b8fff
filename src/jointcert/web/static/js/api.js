/**
 * A small fetch wrapper for the JSON API under `/api/v1/`: sends and receives JSON, and turns RFC 9457 problem
 * responses (`{type, title, status, detail, code, message_ko, message_en}`) into {@link ApiError}s that carry the
 * Korean and English messages the page shows.
 * @module api
 */

import { ApiError } from "./errors.js";

/**
 * @typedef {object} RequestOptions
 * @property {unknown} [json] a body to send as JSON
 * @property {Record<string, string>} [headers]
 * @property {AbortSignal} [signal]
 */

/**
 * The ApiError for an unsuccessful response.
 * @param {Response} response
 * @returns {Promise<ApiError>}
 */
export async function errorFromResponse(response) {
  const type = response.headers.get("content-type") ?? "";
  /** @type {Record<string, any> | null} */
  let problem = null;
  if (/^application\/(problem\+)?json\b/i.test(type)) {
    try {
      const body = await response.json();
      problem = body && typeof body === "object" && !Array.isArray(body) ? body : null;
    } catch {
      problem = null;
    }
  }
  const pick = (/** @type {string} */ key) => (typeof problem?.[key] === "string" ? problem[key] : undefined);
  return new ApiError({
    status: response.status,
    problem,
    code: pick("code") ?? `http_${response.status}`,
    messageKo: pick("message_ko"),
    messageEn: pick("message_en") ?? pick("detail") ?? pick("title"),
  });
}

/**
 * A client for the JSON API.
 * @param {{baseUrl?: string, fetch?: typeof fetch, headers?: Record<string, string>}} [options] `baseUrl`
 *   defaults to `/api/v1`; `headers` are sent with every request (e.g. a CSRF token)
 */
export function createApiClient({ baseUrl = "/api/v1", fetch: fetchImpl = globalThis.fetch.bind(globalThis),
  headers: common = {} } = {}) {
  /**
   * Send a request; resolve with the parsed JSON body (null for 204 or an empty body; text if not JSON).
   * @param {string} method
   * @param {string} path relative to `baseUrl`, e.g. `/issuance/start`
   * @param {RequestOptions} [options]
   * @returns {Promise<any>}
   * @throws {ApiError} for a problem response, any other non-2xx status, or a network failure (`status` 0,
   *   `code` `network_error`); an AbortError passes through
   */
  async function request(method, path, { json, headers = {}, signal } = {}) {
    const init = {
      method,
      headers: { Accept: "application/json, application/problem+json", ...common, ...headers },
      credentials: /** @type {RequestCredentials} */ ("same-origin"),
      cache: /** @type {RequestCache} */ ("no-store"),
      signal,
    };
    if (json !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(json);
    }
    let response;
    try {
      response = await fetchImpl(`${baseUrl}${path}`, init);
    } catch (err) {
      if (err instanceof DOMException && err.name === "AbortError") throw err;
      throw new ApiError({
        code: "network_error",
        messageKo: "서버에 연결할 수 없습니다. 네트워크 연결을 확인하십시오.",
        messageEn: "The server cannot be reached; check the network connection.",
        cause: err,
      });
    }
    if (!response.ok) throw await errorFromResponse(response);
    const text = await response.text();
    if (!text) return null;
    return /json/i.test(response.headers.get("content-type") ?? "") ? JSON.parse(text) : text;
  }

  return {
    request,
    /** @param {string} path @param {RequestOptions} [options] */
    get: (path, options) => request("GET", path, options),
    /** @param {string} path @param {unknown} json @param {RequestOptions} [options] */
    post: (path, json, options) => request("POST", path, { ...options, json }),
    /** @param {string} path @param {unknown} json @param {RequestOptions} [options] */
    put: (path, json, options) => request("PUT", path, { ...options, json }),
    /** @param {string} path @param {RequestOptions} [options] */
    delete: (path, options) => request("DELETE", path, options),
  };
}
