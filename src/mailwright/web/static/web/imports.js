// Contacts → Import. Without JavaScript the pages still work: the progress page refreshes
// itself (<noscript> meta refresh) and the encoding form has its own button.

// The mapping page: choosing another encoding reads the preview again at once.
document.addEventListener("change", function (event) {
  var select = event.target;
  if (select.hasAttribute && select.hasAttribute("data-autosubmit") && select.form) {
    select.form.submit();
  }
});

// The progress page: ask the JSON endpoint every second and update the bar, the percentage
// and the counts in place; once the import leaves "running" show the page for its new state
// (the report, or the hold warning).
(function () {
  var box = document.querySelector("[data-import-progress]");
  if (!box) return;
  var url = box.getAttribute("data-import-progress");
  var bar = box.querySelector("progress");
  var percent = box.querySelector("[data-percent]");
  var records = box.querySelector("[data-records]");
  var live = box.querySelector("[data-live]");
  var heading = box.querySelector("[data-heading]");
  var HEADINGS = { analysing: "Checking the addresses…", running: "Importing…", done: "Finished" };
  var ACTIVE = { analysing: true, running: true };
  var staleShown = !!box.querySelector("[data-stale]");
  var failures = 0;

  function show(data) {
    if (heading && HEADINGS[data.state]) heading.textContent = HEADINGS[data.state];
    bar.value = data.percent;
    bar.textContent = data.percent + "%";
    percent.textContent = data.percent;
    records.textContent = data.records_done.toLocaleString();
    var counts = data.counts || {};
    Object.keys(counts).forEach(function (key) {
      var cell = box.querySelector('[data-count="' + key + '"]');
      if (!cell) return;
      cell.querySelector("dd").textContent = counts[key].toLocaleString();
      cell.classList.toggle("nonzero", counts[key] > 0);
    });
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        show(data);
        if (ACTIVE[data.state] && data.stale === staleShown) {
          window.setTimeout(poll, 1000);
        } else {
          // Finished, held, or stalled (or resumed): let the bar show where it ended, then
          // the page for the new state.
          if (live) live.textContent = data.state === "done" ? "finished" : data.state;
          window.setTimeout(function () { window.location.replace(data.page_url); }, 800);
        }
      })
      .catch(function () {
        failures += 1;
        if (live) live.textContent = "connection lost, retrying…";
        window.setTimeout(poll, Math.min(1000 * failures, 10000));
      });
  }

  window.setTimeout(poll, 1000);
})();
