// No lost work: forms marked data-draft are kept in this browser while they are typed, offered
// again after a new login, and dropped once the server has saved them (body data-draft-done).
// The login's end is announced 10 minutes ahead, and a logout in another tab within a minute.
// All words come from the page (data-msg-*), in its language.
(function () {
  "use strict";
  var body = document.body;
  var user = body.dataset.user || "";
  var PREFIX = "subsidy-draft:";
  var KEEP_MS = 24 * 3600 * 1000; // a draft older than a day is deleted unread
  var WARN_MS = 10 * 60 * 1000;
  var SKIP = { csrf_token: true, password: true, password2: true, new_password: true };

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function keyFor(form) { return PREFIX + user + ":" + form.dataset.draft; }

  function fields(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || el.type === "file" || el.type === "submit" || el.type === "hidden") return;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
      out[el.name] = el.value;
    });
    return out;
  }

  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  function fill(form, values) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || !(el.name in values) || SKIP[el.name] || el.type === "hidden") return;
      if (el.type === "radio" || el.type === "checkbox") el.checked = el.value === values[el.name];
      else el.value = values[el.name];
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

  function drafts() {
    var store = storage();
    if (!store || !user) return;
    clean(store);
    if (body.dataset.draftDone) store.removeItem(PREFIX + user + ":" + body.dataset.draftDone);
    document.querySelectorAll("form[data-draft]").forEach(function (form) {
      var key = keyFor(form);
      var initial = fields(form);
      var draft = null;
      try { draft = JSON.parse(store.getItem(key) || "null"); } catch (e) { draft = null; }
      if (draft && draft.values && !same(draft.values, initial)) offer(form, store, draft, initial);
      var timer = null;
      function save() {
        var values = fields(form);
        if (same(values, initial)) return; // nothing typed yet: no draft
        store.setItem(key, JSON.stringify({ saved: Date.now(), values: values }));
      }
      form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(save, 300); });
      form.addEventListener("change", save);
      form.addEventListener("submit", save); // kept until the server says it was saved
    });
  }

  function warn(message, withLogin) {
    var box = document.getElementById("session-warning");
    if (!box) return;
    box.textContent = message + " ";
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
        warn(body.dataset.msgEnded, true);
      } else if (left <= WARN_MS) {
        var time = new Date(ends).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
        warn(body.dataset.msgEnding.replace("{time}", time).replace("{minutes}", Math.ceil(left / 60000)), false);
      }
    }
    function ask() {
      if (ended) return;
      fetch(body.dataset.statusUrl, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (!s.signed_in) { ended = true; warn(body.dataset.msgEnded, true); }
          else if (s.ends) { ends = Date.parse(s.ends); tick(); }
        })
        .catch(function () { /* offline for a moment: ask again next time */ });
    }
    tick();
    setInterval(tick, 15000);
    setInterval(ask, Number(body.dataset.statusEvery || 60000));
    document.addEventListener("visibilitychange", function () { if (!document.hidden) ask(); });
  }

  drafts();
  session();
})();
