// Passkeys on the sign-in and account pages (WebAuthn). Everything else on
// these pages works without JavaScript; this file only adds the passkey
// buttons, and shows them only where the browser supports passkeys.
(function () {
  "use strict";
  var failedText = "The passkey request failed.";

  function toBuffer(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes.buffer;
  }

  function toText(buffer) {
    if (!buffer) { return null; }
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // The server writes absent options as null; the browser wants them left out.
  function withoutNulls(value) {
    if (Array.isArray(value)) { return value.map(withoutNulls); }
    if (value && typeof value === "object") {
      var out = {};
      Object.keys(value).forEach(function (key) {
        if (value[key] !== null) { out[key] = withoutNulls(value[key]); }
      });
      return out;
    }
    return value;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      // A sign-in that expired meanwhile is sent back to the sign-in page.
      if (response.redirected) {
        window.location.assign(response.url);
        return new Promise(function () {});
      }
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { throw new Error(data.message || failedText); }
        return data;
      });
    });
  }

  function showError(box, message) {
    var error = box.querySelector("[data-passkey-error]");
    error.textContent = message;
    error.hidden = false;
  }

  function register(box) {
    var name = box.querySelector("[data-passkey-name]").value;
    var csrf = box.getAttribute("data-csrf");
    return post("/passkeys/register/begin", { csrf_token: csrf }).then(function (began) {
      var options = withoutNulls(began.options.publicKey);
      options.challenge = toBuffer(options.challenge);
      options.user.id = toBuffer(options.user.id);
      (options.excludeCredentials || []).forEach(function (c) { c.id = toBuffer(c.id); });
      return navigator.credentials.create({ publicKey: options }).then(function (credential) {
        return post("/passkeys/register/finish", {
          csrf_token: csrf,
          ceremony: began.ceremony,
          name: name,
          credential: {
            id: credential.id,
            rawId: toText(credential.rawId),
            type: credential.type,
            response: {
              attestationObject: toText(credential.response.attestationObject),
              clientDataJSON: toText(credential.response.clientDataJSON),
              transports: credential.response.getTransports ? credential.response.getTransports() : undefined
            },
            extensions: credential.getClientExtensionResults()
          }
        });
      });
    }).then(function (done) { window.location.assign(done.redirect); });
  }

  // Sign-in with a discoverable passkey, or (`steps` of the second-factor
  // page) proving one of the signed-in user's own passkeys.
  var SIGN_IN = { begin: "/passkeys/sign-in/begin", finish: "/passkeys/sign-in/finish" };
  var SECOND_FACTOR = {
    begin: "/login/second-factor/passkey/begin",
    finish: "/login/second-factor/passkey/finish"
  };

  function signIn(box, steps, mediation, signal) {
    var csrf = box.getAttribute("data-csrf");
    return post(steps.begin, { csrf_token: csrf }).then(function (began) {
      var options = withoutNulls(began.options.publicKey);
      options.challenge = toBuffer(options.challenge);
      (options.allowCredentials || []).forEach(function (c) { c.id = toBuffer(c.id); });
      var request = { publicKey: options };
      if (mediation) { request.mediation = mediation; }
      if (signal) { request.signal = signal; }
      return navigator.credentials.get(request).then(function (credential) {
        return post(steps.finish, {
          csrf_token: csrf,
          ceremony: began.ceremony,
          next: box.getAttribute("data-next"),
          credential: {
            id: credential.id,
            rawId: toText(credential.rawId),
            type: credential.type,
            response: {
              authenticatorData: toText(credential.response.authenticatorData),
              clientDataJSON: toText(credential.response.clientDataJSON),
              signature: toText(credential.response.signature),
              userHandle: toText(credential.response.userHandle)
            },
            extensions: credential.getClientExtensionResults()
          }
        });
      });
    }).then(function (done) { window.location.assign(done.redirect); });
  }

  function ready() {
    if (!window.PublicKeyCredential || !navigator.credentials) { return; }
    // The page's language: the text comes from the server's catalogs.
    var box = document.querySelector("[data-passkey-failed]");
    if (box) { failedText = box.getAttribute("data-passkey-failed"); }

    var registerBox = document.querySelector("[data-passkey-register]");
    if (registerBox) {
      registerBox.hidden = false;
      registerBox.querySelector("[data-passkey-add]").addEventListener("click", function () {
        register(registerBox).catch(function (e) { showError(registerBox, e.message); });
      });
    }

    var signInBox = document.querySelector("[data-passkey-sign-in]");
    if (signInBox) {
      signInBox.hidden = false;
      var autofill = null;
      // Autofill: the browser offers passkeys in the username field.
      if (PublicKeyCredential.isConditionalMediationAvailable) {
        PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
          if (!available) { return; }
          autofill = new AbortController();
          signIn(signInBox, SIGN_IN, "conditional", autofill.signal).catch(function (e) {
            if (e.name !== "AbortError") { showError(signInBox, e.message); }
          });
        });
      }
      signInBox.querySelector("[data-passkey-button]").addEventListener("click", function () {
        if (autofill) { autofill.abort(); autofill = null; }
        signIn(signInBox, SIGN_IN, null, null).catch(function (e) { showError(signInBox, e.message); });
      });
    }

    var secondBox = document.querySelector("[data-passkey-second-factor]");
    if (secondBox) {
      secondBox.hidden = false;
      secondBox.querySelector("[data-passkey-button]").addEventListener("click", function () {
        signIn(secondBox, SECOND_FACTOR, null, null).catch(function (e) { showError(secondBox, e.message); });
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
