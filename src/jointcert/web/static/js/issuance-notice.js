/**
 * The notice (`/bank/issuance`): "공동인증서 발급 계속" starts the session here and goes straight to the terms, one
 * navigation instead of two (no stop at the logged-out check). When the app is logged in, or the start fails, the
 * link's own target (`/bank/issuance/start`) says why and what to do.
 * @module issuance-notice
 */

import { forgetFlow, goTo, loadFlow, publicApi, saveFlow, sessionApi } from "./issuance-common.js";

const link = /** @type {HTMLAnchorElement | null} */ (document.getElementById("continue"));
let starting = false;

link?.addEventListener("click", async (event) => {
  const plain = event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey;
  if (!plain || document.body.dataset.loggedIn === "true") return; // the logged-out check explains
  event.preventDefault();
  if (starting) return;
  starting = true;
  const old = loadFlow(); // a fresh start: the tab's old session is cancelled at the same time
  const cancelled = old.sessionId && old.token ? sessionApi(old).delete("").catch(() => null) : null;
  try {
    const [created] = await Promise.all([publicApi.post("/issuance/sessions", { app_logged_in: false }), cancelled]);
    forgetFlow();
    saveFlow({ sessionId: created.session.session_id, token: created.token });
    goTo("terms");
  } catch {
    location.assign(link.href); // the start page shows the refusal (logged in, throttled) with its way out
  }
});
