// Installable client area and mobile notifications: registers the service worker on every page; on
// the profile, "Allow notifications" asks the browser, subscribes with the VAPID public key and sends
// the subscription to Moorage. Pages work without it.
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;
  var script = document.getElementById("push-js");
  var swUrl = (script && script.dataset.sw) || "/sw.js";
  var registered = navigator.serviceWorker.register(swUrl, { scope: "/" });
  registered.catch(function () {});

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function setUp() {
    var box = document.getElementById("mobile-notifications");
    if (!box) return;
    var button = box.querySelector("[data-push-allow]");
    var status = box.querySelector("[data-push-status]");
    if (!("PushManager" in window) || !("Notification" in window)) {
      status.textContent = box.dataset.msgUnsupported;
      button.disabled = true;
      return;
    }
    if (Notification.permission === "denied") status.textContent = box.dataset.msgDenied;

    async function subscribe(registration) {
      var options = { userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.vapidKey) };
      try {
        return await registration.pushManager.subscribe(options);
      } catch (err) {
        // A subscription made with another key (the keys changed): drop it and subscribe again.
        var old = await registration.pushManager.getSubscription();
        if (!old) throw err;
        await old.unsubscribe();
        return registration.pushManager.subscribe(options);
      }
    }

    button.addEventListener("click", async function () {
      button.disabled = true;
      try {
        var permission = await Notification.requestPermission();
        if (permission !== "granted") {
          status.textContent = box.dataset.msgDenied;
          button.disabled = false;
          return;
        }
        await registered;
        var registration = await navigator.serviceWorker.ready;
        var subscription = await subscribe(registration);
        var response = await fetch(box.dataset.subscribeUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: {
            "Content-Type": "application/json",
            "X-CSRFToken": box.querySelector("input[name=csrfmiddlewaretoken]").value,
          },
          body: JSON.stringify(subscription.toJSON()),
        });
        if (!response.ok) {
          var answer = await response.json().catch(function () { return {}; });
          throw new Error(answer.message || response.status);
        }
        window.location.hash = "mobile-notifications";
        window.location.reload();
      } catch (err) {
        status.textContent = box.dataset.msgFailed + " " + (err && err.message ? err.message : err);
        button.disabled = false;
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
