// Small enhancements of server-rendered forms, loaded by every page. Everything works without it.
// (A file of its own, because the content security policy allows no inline script.)
document.addEventListener("DOMContentLoaded", function () {
  // Printable notices: a print button.
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });

  // Grid report: only the chosen category's questions are shown and sent.
  var cat = document.getElementById("category");
  function showAttrs() {
    document.querySelectorAll("fieldset.attrs").forEach(function (f) {
      var on = f.getAttribute("data-category") === cat.value;
      f.hidden = !on;
      f.disabled = !on;
    });
  }
  if (cat && document.querySelector("fieldset.attrs")) { cat.addEventListener("change", showAttrs); }

  // A file picked for a text box is read into it (a process definition, a holiday notice): nothing is
  // uploaded until the form is sent, and what is sent is what the box shows.
  document.querySelectorAll("input[type=file][data-fill]").forEach(function (input) {
    input.addEventListener("change", function () {
      var box = document.getElementById(input.getAttribute("data-fill"));
      var file = input.files && input.files[0];
      if (!box || !file) return;
      file.text().then(function (text) { box.value = text; });
    });
  });

  // Irreversible actions ask first: the button's data-confirm says what cannot be undone.
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (e) {
      if (!window.confirm(el.getAttribute("data-confirm"))) e.preventDefault();
    });
  });

  // What is typed into a form survives a session that expired while it was filled in: on sending, the
  // fields (never the password, the CSRF token or files) are kept in this tab's sessionStorage; the
  // server sends a form without a session to the login page and back here with ?resume=1, where they
  // are put back. Kept data lives only for that trip (any other page drops it), is dropped on logging out, and after two hours.
  var KEY = "onego.kept";
  function readKept() {
    try { return JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch (e) { return null; }
  }
  var kept = readKept();
  if (kept && Date.now() - kept.at > 2 * 3600 * 1000) {
    sessionStorage.removeItem(KEY);
    kept = null;
  }
  document.querySelectorAll("form[method=post]").forEach(function (form) {
    // (getAttribute: a field named "action" would hide the form's own property.)
    var action = form.getAttribute("action") || "";
    if (action === "/login") return;
    form.addEventListener("submit", function () {
      if (action === "/logout") { sessionStorage.removeItem(KEY); return; }
      var fields = [];
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.name === "csrf" || el.type === "password" || el.type === "file" || el.disabled) return;
        if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
        if (el.tagName === "SELECT" && el.multiple) {
          Array.prototype.forEach.call(el.selectedOptions, function (o) { fields.push([el.name, o.value]); });
          return;
        }
        fields.push([el.name, el.value]);
      });
      try {
        sessionStorage.setItem(KEY, JSON.stringify({ path: location.pathname, action: action, at: Date.now(), fields: fields }));
      } catch (e) { /* storage full or off: the form still goes */ }
    });
  });
  if (kept && /[?&]resume=1\b/.test(location.search) && kept.path === location.pathname) {
    var byName = {};
    kept.fields.forEach(function (p) { (byName[p[0]] = byName[p[0]] || []).push(p[1]); });
    // A page may hold several forms to one address (a case's actions): the one whose hidden fields
    // (the action chosen) match what was sent.
    var target = Array.prototype.find.call(document.querySelectorAll("form[method=post]"), function (f) {
      if ((f.getAttribute("action") || "") !== kept.action) return false;
      return Array.prototype.every.call(f.querySelectorAll("input[type=hidden]"), function (h) {
        return h.name === "csrf" || h.name === "version" || (byName[h.name] || []).indexOf(h.value) >= 0;
      });
    });
    if (target) {
      Array.prototype.forEach.call(target.elements, function (el) {
        var values = byName[el.name];
        if (!values || el.name === "csrf" || el.type === "file" || el.type === "hidden") return;
        if (el.type === "checkbox" || el.type === "radio") { el.checked = values.indexOf(el.value) >= 0; return; }
        if (el.tagName === "SELECT" && el.multiple) {
          Array.prototype.forEach.call(el.options, function (o) { o.selected = values.indexOf(o.value) >= 0; });
          return;
        }
        el.value = values[0];
      });
      var note = document.createElement("p");
      note.className = "info";
      note.id = "restored";
      note.setAttribute("role", "status");
      note.textContent = document.body.getAttribute("data-restored");
      target.parentNode.insertBefore(note, target);
    }
  }
  // Kept only across the trip to the login page and back: any other page drops it.
  if (kept && location.pathname !== "/login") sessionStorage.removeItem(KEY);

  // With a browser that knows where it is, one tap fills the coordinates; without, they are typed.
  var b = document.getElementById("locate");
  if (!navigator.geolocation || !b) return;
  b.hidden = false;
  b.addEventListener("click", function () {
    navigator.geolocation.getCurrentPosition(function (p) {
      document.getElementById("lat").value = p.coords.latitude.toFixed(6);
      document.getElementById("lon").value = p.coords.longitude.toFixed(6);
    });
  });
});
