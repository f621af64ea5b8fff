/**
 * The session's remaining time on every issuance screen ("남은 시간 14:32") with 연장: each press gives a fresh
 * lifetime from now, within the server's absolute cap (`POST …/extend`; at the cap the API answers
 * `ra_session_extend_limit` and the button goes away with that message). The clock follows the server's time (the
 * page's `now`), not the device's. `role=timer` is not read aloud every second; a status line speaks once when two
 * minutes are left.
 * @module session-timer
 */

import { $, say, showError } from "./bank-shell.js";

const WARN_MS = 2 * 60 * 1000;

/** @param {number} ms */
function clock(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  return `${String(Math.floor(total / 60)).padStart(2, "0")}:${String(total % 60).padStart(2, "0")}`;
}

/**
 * Start the timer.
 * @param {{post: (path: string, body: unknown) => Promise<any>}} api the session's client
 * @param {{expires_at: string}} session
 * @param {{now?: string}} config
 */
export function startTimer(api, session, config) {
  const box = document.getElementById("session-timer");
  if (!box) return;
  const skew = config.now ? Date.parse(config.now) - Date.now() : 0;
  let expires = Date.parse(session.expires_at);
  let warned = false;
  box.hidden = false;
  const tick = () => {
    const left = expires - (Date.now() + skew);
    $("timer-clock").textContent = clock(left);
    box.classList.toggle("session-timer--low", left <= WARN_MS);
    if (left <= WARN_MS && !warned) {
      warned = true;
      say($("timer-status"), "발급 가능 시간이 2분 남았습니다. 연장하시려면 연장 버튼을 누르십시오.",
        "Two minutes left. Press Extend for more time.");
    }
  };
  tick();
  setInterval(tick, 1000);
  $("session-extend").addEventListener("click", async () => {
    const button = /** @type {HTMLButtonElement} */ ($("session-extend"));
    button.disabled = true;
    try {
      const view = await api.post("/extend", {});
      expires = Date.parse(view.expires_at);
      warned = false;
      say($("timer-status"), `연장되었습니다. 남은 시간 ${clock(expires - Date.now() - skew)}`,
        `Extended: ${clock(expires - Date.now() - skew)} left`);
      tick();
    } catch (err) {
      showError("timer-error", err, { focus: false });
      button.hidden = true;
    } finally {
      button.disabled = false;
    }
  });
}
