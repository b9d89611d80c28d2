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
