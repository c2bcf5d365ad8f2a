// A batch run's page while it runs: poll its status, update the bar and the counts, and reload
// the page once the run has ended (done, failed or interrupted) to show the results or the button.
(function () {
  "use strict";
  var box = document.getElementById("batch-progress");
  if (!box || box.dataset.state !== "running") return;
  var url = box.dataset.statusUrl;

  function show(status) {
    box.querySelector("progress").value = status.percent;
    ["percent", "read", "decided", "rejected"].forEach(function (key) {
      var cell = box.querySelector('[data-field="' + key + '"]');
      if (cell) cell.textContent = status[key].toLocaleString("en-US");
    });
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (status && status.state !== "running") {
          window.location.reload();
          return;
        }
        if (status) show(status);
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  window.setTimeout(poll, 1000);
})();
