/* Vitrine merchant app: session tokens for the embedded app, the before/after slider, bulk selection. */
(function () {
  "use strict";
  var body = document.body;
  var embedded = body.dataset.embedded === "1";
  var token = null;

  function freshToken() {
    // App Bridge hands out a session token valid for a minute and refreshes it itself.
    return window.shopify.idToken().then(function (value) { token = value; return value; });
  }

  document.addEventListener("htmx:confirm", function (evt) {
    if (!embedded || !window.shopify) { return; }
    var question = evt.detail.question;
    evt.preventDefault();
    freshToken().then(function () {
      if (question && !window.confirm(question)) { return; }
      evt.detail.issueRequest(true);
    });
  });

  document.addEventListener("htmx:configRequest", function (evt) {
    evt.detail.headers["X-Vitrine-Locale"] = document.documentElement.lang || "";
    if (embedded && token) { evt.detail.headers.Authorization = "Bearer " + token; }
  });

  // After a page swap, put the keyboard at the start of the new content.
  document.addEventListener("htmx:afterSettle", function (evt) {
    if (evt.detail.boosted && evt.detail.requestConfig && evt.detail.requestConfig.verb === "get") {
      var main = document.getElementById("main");
      if (main) { main.focus({ preventScroll: true }); }
    }
  });

  // Downloads in the embedded app need the token too: fetch with it, then save the file.
  document.addEventListener("click", function (evt) {
    var link = evt.target.closest && evt.target.closest("a[data-download]");
    if (!link || !embedded || !window.shopify) { return; }
    evt.preventDefault();
    freshToken().then(function (value) {
      return fetch(link.href, { headers: { Authorization: "Bearer " + value } });
    }).then(function (response) { return response.blob(); }).then(function (blob) {
      var url = URL.createObjectURL(blob);
      var save = document.createElement("a");
      save.href = url;
      save.download = link.getAttribute("download") || "glossary.csv";
      document.body.appendChild(save);
      save.click();
      save.remove();
      URL.revokeObjectURL(url);
    });
  });

  function setUp(root) {
    root.querySelectorAll("[data-compare]").forEach(function (box) {
      var slider = box.parentElement.querySelector("[data-compare-slider]");
      var after = box.querySelector(".compare-after");
      if (!slider || !after) { return; }
      var show = function () { after.style.clipPath = "inset(0 0 0 " + slider.value + "%)"; };
      slider.addEventListener("input", show);
      show();
    });
    var all = root.querySelector ? root.querySelector("#select-all") : null;
    if (all) {
      all.addEventListener("change", function () {
        document.querySelectorAll("input[name=product]").forEach(function (box) { box.checked = all.checked; });
      });
    }
  }

  if (window.htmx) {
    window.htmx.onLoad(setUp);
  } else {
    document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  }
}());
