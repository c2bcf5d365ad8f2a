// No lost work: forms marked data-draft are kept in this browser while they are typed, offered
// again after a new login, and dropped once the server has saved them (body data-draft-done).
// A draft is stored encrypted (AES-GCM) under a key the server gives only to the signed-in user's
// pages (body data-draft-key), and every draft is wiped at logout (body data-wipe-drafts) and when
// the page notices the login has ended: an unsaved form still open is kept again, encrypted, when
// it is submitted, so it can be restored after signing in again.
// The login's end is announced 10 minutes ahead, with a button that extends it, and a logout in
// another tab is noticed within a minute. All words come from the page (data-msg-*), in its language.
(function () {
  "use strict";
  var body = document.body;
  var user = body.dataset.user || "";
  var PREFIX = "subsidy-draft:";
  var KEEP_MS = 24 * 3600 * 1000; // a draft older than a day is deleted unread
  var SAVED = ":saved"; // beside a form's draft key: when the server last saved that form
  var WARN_MS = 10 * 60 * 1000;
  var SKIP = { csrf_token: true, password: true, password2: true, new_password: true };

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function keyFor(form) { return PREFIX + user + ":" + form.dataset.draft; }

  function wipe(store) {
    if (!store) return;
    for (var i = store.length - 1; i >= 0; i--) {
      var k = store.key(i);
      if (k && k.indexOf(PREFIX) === 0) store.removeItem(k);
    }
  }

  var cryptoKey = null; // a promise of the AES-GCM key, or null: no drafts are kept without one
  function draftKey() {
    if (cryptoKey || !body.dataset.draftKey || !(window.crypto && window.crypto.subtle)) return cryptoKey;
    var raw = Uint8Array.from(atob(body.dataset.draftKey), function (c) { return c.charCodeAt(0); });
    cryptoKey = window.crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    return cryptoKey;
  }

  function b64(bytes) { return btoa(String.fromCharCode.apply(null, new Uint8Array(bytes))); }
  function unb64(text) { return Uint8Array.from(atob(text), function (c) { return c.charCodeAt(0); }); }

  function seal(values) {
    var key = draftKey();
    if (!key) return Promise.reject(new Error("no key"));
    var iv = window.crypto.getRandomValues(new Uint8Array(12));
    var data = new TextEncoder().encode(JSON.stringify(values));
    var saved = Date.now(); // when the values were read, not when the encryption ends
    return key.then(function (k) { return window.crypto.subtle.encrypt({ name: "AES-GCM", iv: iv }, k, data); })
      .then(function (sealed) { return { saved: saved, iv: b64(iv), data: b64(sealed) }; });
  }

  function unseal(item) {
    var key = draftKey();
    if (!key || !item || !item.iv || !item.data) return Promise.reject(new Error("no draft"));
    return key.then(function (k) {
      return window.crypto.subtle.decrypt({ name: "AES-GCM", iv: unb64(item.iv) }, k, unb64(item.data));
    }).then(function (plain) { return { saved: item.saved, values: JSON.parse(new TextDecoder().decode(plain)) }; });
  }

  function fields(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || el.type === "file" || el.type === "submit" || el.type === "hidden") return;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
      // Ticked boxes of one name (申请事项) are kept together, a list.
      if (el.type === "checkbox") out[el.name] = (out[el.name] || []).concat([el.value]);
      else out[el.name] = el.value;
    });
    return out;
  }

  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  function fill(form, values) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || !(el.name in values) || SKIP[el.name] || el.type === "hidden") return;
      var value = values[el.name];
      if (el.type === "checkbox") {
        el.checked = Array.isArray(value) ? value.indexOf(el.value) !== -1 : el.value === value;
        el.dispatchEvent(new Event("change", { bubbles: true }));  // apply.js shows what they need
      } else if (el.type === "radio") el.checked = el.value === value;
      else el.value = value;
    });
    form.querySelectorAll("details").forEach(function (d) { d.open = true; });
  }

  function clean(store) {
    var now = Date.now();
    for (var i = store.length - 1; i >= 0; i--) {
      var k = store.key(i);
      if (!k || k.indexOf(PREFIX) !== 0) continue;
      try {
        if (now - JSON.parse(store.getItem(k)).saved > KEEP_MS) store.removeItem(k);
      } catch (e) { store.removeItem(k); }
    }
  }

  function offer(form, store, draft, initial) {
    var bar = document.createElement("div");
    bar.className = "flash warning draft-offer";
    bar.setAttribute("role", "status");
    var when = new Date(draft.saved).toLocaleString();
    var text = document.createElement("span");
    text.textContent = (body.dataset.msgDraft || "").replace("{when}", when) + " ";
    var restore = document.createElement("button");
    restore.type = "button";
    restore.id = "draft-restore";
    restore.textContent = body.dataset.msgRestore;
    var discard = document.createElement("button");
    discard.type = "button";
    discard.id = "draft-discard";
    discard.textContent = body.dataset.msgDiscard;
    restore.addEventListener("click", function () { fill(form, draft.values); bar.remove(); });
    discard.addEventListener("click", function () { store.removeItem(keyFor(form)); fill(form, initial); bar.remove(); });
    bar.append(text, restore, " ", discard);
    form.parentNode.insertBefore(bar, form);
  }

  var loginEnded = false;

  function drafts() {
    var store = storage();
    if (store && body.dataset.wipeDrafts) wipe(store); // just signed out: nothing stays behind
    if (!store || !user) return;
    clean(store);
    if (body.dataset.draftDone) {
      // Saved by the server: the draft goes, and so does one the submitting page writes late (its
      // encryption may end after this page has loaded): it was read before this moment.
      var done = PREFIX + user + ":" + body.dataset.draftDone;
      store.removeItem(done);
      store.setItem(done + SAVED, JSON.stringify({ saved: Date.now() }));
    }
    document.querySelectorAll("form[data-draft]").forEach(function (form) {
      var key = keyFor(form);
      var initial = fields(form);
      var item = null, savedAt = 0;
      try { item = JSON.parse(store.getItem(key) || "null"); } catch (e) { item = null; }
      try { savedAt = JSON.parse(store.getItem(key + SAVED) || "{}").saved || 0; } catch (e) { savedAt = 0; }
      if (item && item.saved <= savedAt) { store.removeItem(key); item = null; } // saved since
      if (item) {
        unseal(item).then(function (draft) {
          if (!same(draft.values, initial)) offer(form, store, draft, initial);
        }, function () { store.removeItem(key); }); // another key (a new password) or clear text: gone
      }
      var timer = null;
      function save(always) {
        if (loginEnded && always !== true) return; // wiped at the login's end; kept again on submit
        var values = fields(form);
        if (same(values, initial)) return; // nothing typed yet: no draft
        seal(values).then(function (sealed) { store.setItem(key, JSON.stringify(sealed)); }, function () {});
      }
      form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(save, 300); });
      form.addEventListener("change", save);
      var resubmitting = false;
      form.addEventListener("submit", function (event) { // kept until the server says it was saved
        if (!loginEnded) { save(true); return; }
        if (resubmitting) return;
        // The login has ended and the drafts were wiped: keep this one (encrypted) before the
        // submit leaves the page, so it can be restored after signing in again.
        event.preventDefault();
        var submitter = event.submitter;
        var values = fields(form);
        var done = function () { // after this event's dispatch: a submit requested inside it is ignored
          resubmitting = true;
          setTimeout(function () { form.requestSubmit(submitter || undefined); }, 0);
        };
        if (same(values, initial)) { done(); return; }
        seal(values).then(function (sealed) { store.setItem(key, JSON.stringify(sealed)); }).then(done, done);
      });
    });
  }

  function endedNow() {
    loginEnded = true;
    wipe(storage());
    warn(body.dataset.msgEnded, true);
  }

  function warn(message, withLogin, onExtend) {
    var box = document.getElementById("session-warning");
    if (!box) return;
    if (onExtend && !box.hidden && document.getElementById("session-extend")) {
      box.firstChild.textContent = message + " "; // the minutes left, without moving the focus
      return;
    }
    box.textContent = message + " ";
    if (onExtend) {
      var button = document.createElement("button");
      button.type = "button";
      button.id = "session-extend";
      button.textContent = body.dataset.msgExtend;
      button.addEventListener("click", onExtend);
      box.appendChild(button);
    }
    if (withLogin) {
      var a = document.createElement("a");
      a.href = body.dataset.loginUrl;
      a.target = "_blank";
      a.rel = "noopener";
      a.id = "session-login";
      a.textContent = body.dataset.msgLogin;
      box.appendChild(a);
    }
    box.hidden = false;
  }

  function session() {
    if (!user || !body.dataset.sessionEnds) return;
    var ends = Date.parse(body.dataset.sessionEnds);
    var ended = false;
    function tick() {
      if (ended) return;
      var left = ends - Date.now();
      if (left <= 0) {
        ended = true;
        endedNow();
      } else if (left <= WARN_MS) {
        var time = new Date(ends).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
        warn(body.dataset.msgEnding.replace("{time}", time).replace("{minutes}", Math.ceil(left / 60000)), false, extend);
      } else {
        var box = document.getElementById("session-warning");
        if (box && !box.hidden && document.getElementById("session-extend")) {
          box.hidden = true;
          box.textContent = "";
        }
      }
    }
    function extend() {
      fetch(body.dataset.extendUrl, {
        method: "POST", credentials: "same-origin", cache: "no-store",
        headers: { "X-CSRFToken": body.dataset.csrf || "" }
      })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (!s.signed_in) { ended = true; endedNow(); return; }
          ends = Date.parse(s.ends);
          tick();
          var box = document.getElementById("session-warning");
          var note = document.getElementById("session-extended");
          // At the 12-hour limit a login cannot be extended: the page says so, to save and sign in again.
          if (note) { note.textContent = s.extended ? body.dataset.msgExtended : body.dataset.msgLongest; note.hidden = false; }
          if (box && box.contains(document.activeElement)) document.getElementById("main").focus();
        })
        .catch(function () { /* offline: the warning stays, with its button */ });
    }
    function ask() {
      if (ended) return;
      fetch(body.dataset.statusUrl, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (!s.signed_in) { ended = true; endedNow(); }
          else if (s.ends) { ends = Date.parse(s.ends); tick(); }
        })
        .catch(function () { /* offline for a moment: ask again next time */ });
    }
    tick();
    setInterval(tick, 15000);
    setInterval(ask, Number(body.dataset.statusEvery || 60000));
    document.addEventListener("visibilitychange", function () { if (!document.hidden) ask(); });
  }

  // Enter on a yes/no option chooses it; it never submits the whole form (a keyboard user pressing
  // Enter to choose "是" once saved an empty case). Enter on a text field or a button still submits.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || !target || target.tagName !== "INPUT") return;
    if (target.type !== "radio" && target.type !== "checkbox") return;
    event.preventDefault();
    if (target.type === "radio" && !target.checked) {
      target.checked = true;
      target.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });

  drafts();
  session();
})();
