// Offline agenda: a service worker keeps the opened agenda and its QR code; marks made without
// a connection are queued in localStorage and sent when the connection returns.
(function () {
  var root = document.querySelector("[data-offline-agenda]");
  if (!root) return;
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/events/sw.js", { scope: "/events/" }).catch(function () {});
  }
  // Keep this agenda and its QR code explicitly (an image may come from the memory cache
  // without passing through the service worker).
  if (window.caches && navigator.onLine) {
    var keep = [location.pathname];
    if (root.dataset.qrUrl) keep.push(root.dataset.qrUrl);
    caches.open("corridor-agenda-v1").then(function (c) { return c.addAll(keep); }).catch(function () {});
  }
  var KEY = "corridor-offline-marks";
  function queue() { try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; } }
  function save(q) { localStorage.setItem(KEY, JSON.stringify(q)); }
  function send(item) {
    var body = new URLSearchParams(item.fields);
    return fetch(item.url, { method: "POST", body: body, credentials: "same-origin",
      headers: { "X-Offline-Queue": "1", "X-CSRFToken": item.fields.csrfmiddlewaretoken } })
      .then(function (r) { return r.status < 500; });
  }
  // One flush at a time, one item at a time: the browser's own "online" event and a page load
  // can both start a flush, and sending the same mark twice at once races on the server.
  // An item leaves the queue only once the server has answered it.
  var flushing = false;
  function flush() {
    if (flushing || !navigator.onLine || !queue().length) return;
    flushing = true;
    var next = function () {
      var q = queue();
      if (!q.length || !navigator.onLine) { flushing = false; return; }
      send(q[0]).then(function (ok) {
        if (!ok) { flushing = false; return; }
        save(queue().slice(1)); next();
      }, function () { flushing = false; });
    };
    next();
  }
  root.querySelectorAll("form[data-offline-queue]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (navigator.onLine) return;
      ev.preventDefault();
      var fields = {}; new FormData(form).forEach(function (v, k) { fields[k] = v; });
      if (ev.submitter && ev.submitter.name) fields[ev.submitter.name] = ev.submitter.value;
      var q = queue(); q.push({ url: form.action, fields: fields }); save(q);
      form.insertAdjacentHTML("beforeend", "<p class='muted'>" + (document.documentElement.lang === "en" ? "Saved; it will be sent when you are online." : "✓ …") + "</p>");
    });
  });
  window.addEventListener("online", flush);
  flush();
})();
