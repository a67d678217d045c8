// Ask before submitting forms marked data-confirm (cancel a campaign, clear the outbox).
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// "Copy" buttons: <button data-copy="ID"> copies the text of the field with that id.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-copy]");
  if (!button) return;
  var id = button.getAttribute("data-copy");
  var field = document.getElementById(id);
  var status = document.querySelector('[data-copy-status="' + id + '"]');
  var done = function (text) { if (status) status.textContent = text; };
  if (!field) return;
  var text;
  if (typeof field.select === "function") {  // a textarea or input
    field.select();
    text = field.value;
  } else {  // any other element, e.g. a <pre>: select its text
    var range = document.createRange();
    range.selectNodeContents(field);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    text = field.textContent;
  }
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(
      function () { done("Copied."); },
      function () { done("Press Ctrl+C (⌘C) to copy the selected text."); }
    );
  } else {
    done(document.execCommand && document.execCommand("copy") ? "Copied." : "Press Ctrl+C (⌘C) to copy the selected text.");
  }
});

// The contact list's bulk bar: show the inputs of the chosen action (data-for="action …"),
// and a header checkbox (data-select-all="NAME") that ticks every row's checkbox.
(function () {
  function sync(select) {
    document.querySelectorAll("[data-for]").forEach(function (el) {
      var show = el.getAttribute("data-for").split(" ").indexOf(select.value) !== -1;
      el.hidden = !show;
      el.querySelectorAll("input, select").forEach(function (input) { input.disabled = !show; });
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-bulk-action]")) sync(event.target);
    var all = event.target.getAttribute && event.target.getAttribute("data-select-all");
    if (all) {
      document.querySelectorAll('input[type="checkbox"][name="' + all + '"]').forEach(function (box) {
        box.checked = event.target.checked;
      });
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.querySelector("[data-bulk-action]");
    if (select) sync(select);
  });
})();
