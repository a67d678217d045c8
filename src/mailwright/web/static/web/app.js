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
