/* Presence on the ticket workspace: "Mei is viewing", "Mei is replying".
   Progressive: without this file the page is complete (the line stays empty).
   - upserts our own state (POST, CSRF token in X-CSRFToken) on load, when we start or
     stop typing in the reply box, and every 30 s;
   - polls the others (GET, one indexed query) every 10 s;
   - stops both while the tab is in the background (visibilitychange), resumes at once
     when it comes back. No WebSocket.
   The line is an aria-live="polite" region: a change is announced once. */
(function () {
  "use strict";
  var region = document.getElementById("presence");
  if (!region || !window.fetch) return;
  var url = region.getAttribute("data-presence-url");
  var tokenInput = document.querySelector('input[name="csrf_token"]');
  var token = tokenInput ? tokenInput.value : "";
  var POLL_MS = 10000, HEARTBEAT_MS = 30000, IDLE_MS = 20000;
  var state = "viewing", lastText = null, pollTimer = null, beatTimer = null, idleTimer = null;

  function show(data) {
    if (!data || typeof data.text !== "string") return;
    if (data.text === lastText) return;      /* announce changes only */
    lastText = data.text;
    region.textContent = data.text;
  }

  function request(method) {
    var options = { method: method, credentials: "same-origin",
                    headers: { "Accept": "application/json", "X-Requested-With": "fetch" } };
    if (method === "POST") {
      options.headers["X-CSRFToken"] = token;
      options.body = new URLSearchParams({ state: state });
    }
    return fetch(url, options).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(show).catch(function () { /* presence is optional: stay quiet */ });
  }

  function start() {
    stop();
    request("POST");
    pollTimer = window.setInterval(function () { request("GET"); }, POLL_MS);
    beatTimer = window.setInterval(function () { request("POST"); }, HEARTBEAT_MS);
  }

  function stop() {
    window.clearInterval(pollTimer);
    window.clearInterval(beatTimer);
    pollTimer = beatTimer = null;
  }

  function setState(next) {
    if (next === state) return;
    state = next;
    if (!document.hidden) request("POST");
  }

  document.addEventListener("input", function (event) {
    var el = event.target;
    if (!(el instanceof HTMLTextAreaElement) || el.name !== "body") return;
    setState("replying");
    window.clearTimeout(idleTimer);
    idleTimer = window.setTimeout(function () { setState("viewing"); }, IDLE_MS);
  });

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) stop(); else start();
  });

  if (!document.hidden) start();
})();
