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
  field.select();
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(
      function () { done("Copied."); },
      function () { done("Press Ctrl+C (⌘C) to copy the selected text."); }
    );
  } else {
    done(document.execCommand && document.execCommand("copy") ? "Copied." : "Press Ctrl+C (⌘C) to copy the selected text.");
  }
});
