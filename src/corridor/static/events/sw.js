// Service worker for agendas: network first, and the last copy of each agenda page, its QR code
// and the static files when the venue's Wi-Fi is down.
var CACHE = "corridor-agenda-v1";
self.addEventListener("install", function (e) { self.skipWaiting(); });
self.addEventListener("activate", function (e) { e.waitUntil(self.clients.claim()); });
self.addEventListener("fetch", function (e) {
  var req = e.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  var keep = /\/events\/[^/]+\/(agenda\/|agenda-qr\.svg)$/.test(url.pathname) || url.pathname.indexOf("/static/") === 0;
  if (!keep) return;
  e.respondWith(
    fetch(req).then(function (res) {
      if (res.ok) { var copy = res.clone(); caches.open(CACHE).then(function (c) { c.put(req, copy); }); }
      return res;
    }).catch(function () { return caches.match(req, { ignoreVary: true, ignoreSearch: true }); })
  );
});
