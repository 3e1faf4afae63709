// Small progressive enhancements; every page works without this file.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.hasAttribute("data-once")) return;
  // A second click must not submit the order (or payment) twice.
  if (form.dataset.submitted) { event.preventDefault(); return; }
  form.dataset.submitted = "1";
  form.querySelectorAll("button[type=submit]").forEach(function (b) { b.classList.add("is-busy"); });
});

// The header's language switcher submits as soon as a language is picked; its button is for pages
// without this script.
document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
  var button = select.form && select.form.querySelector("button[type=submit]");
  if (button) button.hidden = true;
});
document.addEventListener("change", function (event) {
  var select = event.target;
  if (select.matches && select.matches("select[data-autosubmit]")) select.form.submit();
});
