/* Keyboard-first review pages. The item page prefetches the next item's page and images, posts each
   decision with fetch() and, when the server hands out the prefetched item, swaps it in at once. */
(function () {
  "use strict";

  const TYPING = new Set(["INPUT", "TEXTAREA", "SELECT"]);
  const state = {
    root: null,          // the #review-item element on show
    startedAt: 0,        // performance.now() when it appeared (seconds spent)
    prefetched: null,    // {id, node, title} of the next item's pane
    panel: null,         // "reject" | "regenerate" while the reason panel is open
    regions: [],
    zoomIndex: -1,
    view: "1",           // the reviewer's chosen view and heatmap setting carry over to the next item
    heatmap: false,
    sending: false,
  };

  function $(selector, root) { return (root || state.root).querySelector(selector); }
  function $$(selector, root) { return Array.from((root || state.root).querySelectorAll(selector)); }

  function setStatus(text, isError) {
    const status = $("[data-status]");
    if (!status) return;
    status.textContent = text || "";
    status.classList.toggle("error", Boolean(isError));
  }

  function toggleHelp(force) {
    const help = document.getElementById("review-help");
    if (help) help.hidden = force === undefined ? !help.hidden : !force;
  }

  // --- views, heatmap, zoom ------------------------------------------------------------------------
  function setView(view) {
    state.view = String(view);
    state.root.dataset.view = state.view;
    $$("[data-view-button]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.viewButton === String(view))));
  }

  function toggleHeatmap(force) {
    const box = $("[data-heatmap-toggle]");
    if (!box || box.disabled) return;
    box.checked = force === undefined ? !box.checked : force;
    state.heatmap = box.checked;
    state.root.classList.toggle("show-heatmap", box.checked);
  }

  function zoomTo(index) {
    state.zoomIndex = index;
    const region = index >= 0 ? state.regions[index] : null;
    $$(".stage").forEach((stage) => {
      const rect = region ? region[stage.dataset.space] : null;
      if (!rect || rect.width <= 0 || rect.height <= 0) {
        stage.style.transform = "";
        stage.style.removeProperty("--zoom");
        stage.classList.remove("zoomed");
        return;
      }
      // Scale so the region fills about two thirds of the view, then move its centre to the middle.
      const scale = Math.max(1, Math.min(8, 100 / (1.5 * Math.max(rect.width, rect.height))));
      const clamp = (value) => Math.min(0, Math.max(100 / scale - 100, value));
      const tx = clamp(50 / scale - (rect.left + rect.width / 2));
      const ty = clamp(50 / scale - (rect.top + rect.height / 2));
      stage.style.transform = `scale(${scale}) translate(${tx}%, ${ty}%)`;
      stage.style.setProperty("--zoom", String(scale));
      stage.classList.add("zoomed");
    });
    $$(".stage").forEach((stage) => {
      stage.querySelectorAll(".region-box").forEach((box, i) => box.classList.toggle("current", i === index));
    });
    if (region) setStatus(`Region ${region.number} of ${state.regions.length}`);
  }

  function zoomNext() {
    if (!state.regions.length) return;
    zoomTo((state.zoomIndex + 1) % state.regions.length);
  }

  function setOverlay() {
    const stage = $(".overlay-stage");
    const slider = $("[data-overlay-slider]");
    const mode = $("[data-overlay-mode]");
    if (!stage || !slider || !mode) return;
    stage.dataset.mode = mode.value;
    stage.style.setProperty("--split", `${slider.value}%`);
    stage.style.setProperty("--opacity", String(slider.value / 100));
  }

  function nudgeSlider(delta) {
    const slider = $("[data-overlay-slider]");
    if (!slider) return;
    slider.value = String(Math.min(100, Math.max(0, Number(slider.value) + delta)));
    setOverlay();
  }

  // --- decisions -----------------------------------------------------------------------------------
  function openPanel(kind) {
    const panel = $("[data-panel]");
    if (!panel) return;
    state.panel = kind;
    panel.hidden = false;
    $("[data-panel-title]").textContent = kind === "reject"
      ? "Reject: press 1–6 for the reason"
      : "Regenerate with a new seed: press 1–6 for the reason (Tab to change parameters first)";
    $("[data-params-field]").hidden = kind !== "regenerate";
    $$("input[name=reason_code]").forEach((r) => { r.checked = false; });
    setStatus("");
  }

  function closePanel() {
    const panel = $("[data-panel]");
    if (panel) panel.hidden = true;
    state.panel = null;
    if (document.activeElement && state.root.contains(document.activeElement)) document.activeElement.blur();
  }

  function chooseReason(key) {
    const radio = $(`input[data-reason-key="${key}"]`);
    if (!radio) return;
    radio.checked = true;
    const note = $("[data-note]");
    if (radio.value === "other" && !note.value.trim()) {
      setStatus("Type a note saying what is wrong, then press Enter.");
      note.focus();
      return;
    }
    send(state.panel);
  }

  async function send(action) {
    const form = $("[data-decide-form]");
    if (!form || state.sending) return;
    if (action !== "approve" && !form.querySelector("input[name=reason_code]:checked")) {
      setStatus("Choose a reason with 1–6 first.", true);
      return;
    }
    form.elements.action.value = action;
    form.elements.seconds_spent.value = ((performance.now() - state.startedAt) / 1000).toFixed(2);
    const body = new FormData(form);
    if (action === "approve") body.delete("reason_code");
    state.sending = true;
    setStatus("Sending…");
    let response;
    let reply;
    try {
      response = await fetch(state.root.dataset.decideUrl, {
        method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json" },
      });
      reply = await response.json();
    } catch (error) {
      state.sending = false;
      setStatus(`The decision could not be sent: ${error}`, true);
      return;
    }
    state.sending = false;
    if (!response.ok) {
      setStatus(reply.error || `The decision was refused (${response.status}).`, true);
      return;
    }
    showNext(reply);
  }

  function showNext(reply) {
    const ready = state.prefetched;
    if (reply.next_item_id && ready && ready.id === String(reply.next_item_id)) {
      const fresh = document.importNode(ready.node, true);
      state.root.replaceWith(fresh);
      document.title = ready.title;
      history.pushState({ itemId: reply.next_item_id }, "", reply.next_url);
      start(fresh, reply.prefetch_url, reply.prefetch_item_id);
      const claim = $("[data-claim]");
      if (claim && reply.claim_text) {
        claim.textContent = reply.claim_text;
        claim.className = "claim claim-mine";
      }
      setStatus(reply.message);
      return;
    }
    window.location.assign(reply.next_url);
  }

  // --- prefetch ------------------------------------------------------------------------------------
  async function prefetch(url, itemId) {
    state.prefetched = null;
    if (!url || !itemId) return;
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const node = page.getElementById("review-item");
      if (!node) return;
      // Warm the browser cache: blobs are served immutable, so the swapped-in page paints at once.
      node.querySelectorAll("img[src]").forEach((img) => { new Image().src = img.src; });
      state.prefetched = { id: String(itemId), node, title: node.dataset.title || page.title };
      document.documentElement.dataset.prefetchedItem = String(itemId);
    } catch (error) {
      state.prefetched = null;  // the decision then loads the next page normally
    }
  }

  // Boxes are placed from data-place ("left:12%;top:..."): the page's Content-Security-Policy allows no
  // inline style attributes, but styles set through the DOM are fine.
  function place(root) {
    root.querySelectorAll("[data-place]").forEach((el) => {
      el.dataset.place.split(";").forEach((declaration) => {
        const [name, value] = declaration.split(":");
        if (name && value) el.style.setProperty(name.trim(), value.trim());
      });
    });
  }

  // --- wiring --------------------------------------------------------------------------------------
  function start(root, prefetchUrl, prefetchId) {
    state.root = root;
    place(root);
    state.startedAt = performance.now();
    state.panel = null;
    state.zoomIndex = -1;
    const regions = root.querySelector(".review-regions");
    state.regions = regions ? JSON.parse(regions.textContent) : [];
    setView(state.view);
    if (state.heatmap) toggleHeatmap(true);
    setOverlay();
    $$("[data-view-button]").forEach((b) => b.addEventListener("click", () => setView(b.dataset.viewButton)));
    const heat = $("[data-heatmap-toggle]");
    if (heat) heat.addEventListener("change", () => toggleHeatmap(heat.checked));
    const zoomNextButton = $("[data-zoom-next]");
    if (zoomNextButton) zoomNextButton.addEventListener("click", zoomNext);
    $("[data-zoom-reset]").addEventListener("click", () => zoomTo(-1));
    $$("[data-zoom-region]").forEach((b) => b.addEventListener("click", () => {
      setView(1);
      zoomTo(Number(b.dataset.zoomRegion));
    }));
    $$("[data-overlay-slider], [data-overlay-mode]").forEach((el) => el.addEventListener("input", setOverlay));
    $("[data-help-button]").addEventListener("click", () => toggleHelp());
    const form = $("[data-decide-form]");
    if (form) {
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const submitter = event.submitter;
        send(submitter && submitter.dataset.action === "approve" ? "approve" : state.panel);
      });
      $$("[data-open-panel]").forEach((b) => b.addEventListener("click", () => openPanel(b.dataset.openPanel)));
      $$("input[name=reason_code]").forEach((r) => r.addEventListener("change", () => {
        if (r.checked) chooseReason(r.dataset.reasonKey);
      }));
      $("[data-panel-cancel]").addEventListener("click", closePanel);
    }
    prefetch(prefetchUrl, prefetchId);
  }

  function onItemKey(event) {
    const key = event.key;
    const target = event.target;
    if (key === "Escape") {
      toggleHelp(false);
      closePanel();
      return;
    }
    if (TYPING.has(target.tagName)) {
      // Enter in the note or parameter field sends the open panel's decision.
      if (key === "Enter" && state.panel && (target.matches("[data-note]") || (event.ctrlKey && target.tagName === "TEXTAREA"))) {
        event.preventDefault();
        send(state.panel);
      }
      return;
    }
    if (state.panel && /^[1-6]$/.test(key)) {
      event.preventDefault();
      chooseReason(key);
      return;
    }
    const canDecide = Boolean($("[data-decide-form]"));
    const actions = {
      a: () => canDecide && send("approve"),
      r: () => canDecide && openPanel("reject"),
      g: () => canDecide && openPanel("regenerate"),
      1: () => setView(1),
      2: () => setView(2),
      3: () => setView(3),
      h: () => toggleHeatmap(),
      z: () => zoomNext(),
      0: () => zoomTo(-1),
      o: () => {
        const mode = $("[data-overlay-mode]");
        mode.value = mode.value === "wipe" ? "onion" : "wipe";
        setOverlay();
      },
      ArrowLeft: () => nudgeSlider(-10),
      ArrowRight: () => nudgeSlider(10),
      j: () => state.root.dataset.nextUrl && window.location.assign(state.root.dataset.nextUrl),
      k: () => state.root.dataset.previousUrl && window.location.assign(state.root.dataset.previousUrl),
      "?": () => toggleHelp(),
    };
    if (actions[key]) {
      event.preventDefault();
      actions[key]();
    }
  }

  function onQueueKey(event) {
    if (TYPING.has(event.target.tagName)) return;
    if (event.key === "n") {
      const form = document.getElementById("review-start");
      if (form) {
        event.preventDefault();
        form.requestSubmit();
      }
    } else if (event.key === "?") {
      toggleHelp();
    } else if (event.key === "Escape") {
      toggleHelp(false);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("review-item");
    if (root) {
      start(root, root.dataset.prefetchUrl, root.dataset.prefetchItemId);
      document.addEventListener("keydown", (event) => {
        if (event.ctrlKey || event.metaKey || event.altKey) {
          if (!(event.key === "Enter" && event.ctrlKey)) return;
        }
        onItemKey(event);
      });
      // Going back to a swapped-in item: load it from the server, it may have changed meanwhile.
      window.addEventListener("popstate", () => window.location.reload());
    } else if (document.getElementById("review-queue")) {
      document.addEventListener("keydown", onQueueKey);
    }
    const started = performance.now();
    const bulk = document.querySelector("[data-bulk-confirm-form]");
    if (bulk) {
      bulk.addEventListener("submit", () => {
        bulk.elements.seconds_spent.value = ((performance.now() - started) / 1000).toFixed(2);
      });
    }
  });
})();
