// Isomux service worker: keeps the app shell (index.html, the hashed wasm/js/css, loader.js,
// the manifest and icons) so the installed app opens without a network. Never touches the
// API, the WebSocket, invite links or auth routes: those always go to the network.
// index.html is network-first (a new build is picked up on the next load); hashed assets are
// immutable, so cache-first; other shell files are network-first with the cache as fallback.

const CACHE = "isomux-shell-v1";
const STATIC = ["/manifest.webmanifest", "/icons/icon-192.png", "/icons/icon-512.png",
  "/icons/icon-maskable-512.png", "/loader.js"];

/** Whether a same-origin path belongs to the app shell (never the API or auth). */
function isShell(path) {
  return !(path.startsWith("/api/") || path === "/ws" || path.startsWith("/ws/") ||
    path.startsWith("/i/") || path.startsWith("/auth/") || path === "/readyz");
}

/** Trunk names built files `<name>-<16 hex>.<ext>`: such files never change. */
function isHashed(path) {
  return /-[0-9a-f]{16}(_bg)?\.[a-z0-9]+$/.test(path);
}

async function precache() {
  const cache = await caches.open(CACHE);
  const res = await fetch("/", { cache: "no-store" });
  if (!res.ok) return;
  const html = await res.clone().text();
  await cache.put("/", res);
  const assets = new Set(STATIC);
  for (const m of html.matchAll(/(?:href|src|data-js|data-wasm)="([^"]+)"/g)) {
    const url = new URL(m[1], self.location.origin);
    if (url.origin === self.location.origin && url.pathname !== "/" && isShell(url.pathname)) {
      assets.add(url.pathname);
    }
  }
  await Promise.all([...assets].map((a) => cache.add(a).catch(() => undefined)));
}

self.addEventListener("install", (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

async function networkFirst(request, key) {
  const cache = await caches.open(CACHE);
  try {
    const res = await fetch(request);
    if (res.ok && res.type === "basic") await cache.put(key, res.clone());
    return res;
  } catch (err) {
    const hit = await cache.match(key);
    if (hit) return hit;
    throw err;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const res = await fetch(request);
  if (res.ok && res.type === "basic") await cache.put(request, res.clone());
  return res;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || !isShell(url.pathname)) {
    return; // the browser's own network path
  }
  if (request.mode === "navigate" || url.pathname === "/" || url.pathname === "/index.html") {
    // Every client-side route is the same shell.
    event.respondWith(networkFirst(request, "/"));
  } else if (isHashed(url.pathname)) {
    event.respondWith(cacheFirst(request));
  } else {
    event.respondWith(networkFirst(request, request));
  }
});
