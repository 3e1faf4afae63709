{% load static %}// The client area's service worker: shows Moorage's mobile notifications and opens their page.
"use strict";
const FALLBACK_TITLE = "{{ company_name|escapejs }}";
const ICON = "{% static 'clientarea/icon-192.png' %}";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("push", function (event) {
  let data = {};
  if (event.data) {
    try { data = event.data.json(); } catch (e) { data = { body: event.data.text() }; }
  }
  const options = {
    body: data.body || "",
    icon: ICON,
    badge: ICON,
    tag: data.tag || undefined,
    data: { url: data.url || "/" },
  };
  event.waitUntil(self.registration.showNotification(data.title || FALLBACK_TITLE, options));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  // Only pages of this site: a notification never opens another origin.
  let target = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin);
  if (target.origin !== self.location.origin) target = new URL("/", self.location.origin);
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      for (const win of windows) {
        if (win.url === target.href && "focus" in win) return win.focus();
      }
      return self.clients.openWindow(target.href);
    })
  );
});
