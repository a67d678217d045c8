/* The block editor page: GrapesJS + grapesjs-mjml (vendored), our own blocks and toolbar.
   Saves the MJML and the project data as JSON to the server, which compiles the MJML with
   MRML. Nothing here talks to another origin. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("editor-data").textContent);
  var form = document.getElementById("blocks-form");
  var statusEl = document.getElementById("blocks-status");
  var errorsEl = document.getElementById("blocks-errors");
  var lintEl = document.getElementById("blocks-lint");
  var img = data.staticImages;
  var plugin = window["grapesjs-mjml"];
  plugin = plugin && plugin.default ? plugin.default : plugin;

  function section(inner, attrs) {
    return "<mj-section" + (attrs || "") + "><mj-column>" + inner + "</mj-column></mj-section>";
  }
  var FOOTER =
    '<mj-section padding="8px 0 24px"><mj-column>' +
    '<mj-text align="center" font-size="12px" line-height="18px" color="#6b7280">{{ organisation.name }} · {{ organisation.address }}</mj-text>' +
    '<mj-text align="center" font-size="12px" line-height="18px" color="#6b7280"><a href="{{ preferences_url }}">Email preferences</a> · <a href="{{ unsubscribe_url }}">Unsubscribe</a></mj-text>' +
    "</mj-column></mj-section>";
  var BLOCKS = [
    ["text", "Text", '<mj-text font-size="16px" line-height="24px">Write something here.</mj-text>'],
    ["heading", "Heading", '<mj-text font-size="26px" line-height="32px" font-weight="700" mj-class="heading">A heading</mj-text>'],
    ["image", "Image", '<mj-image src="' + img + 'hero.png" alt="Describe the picture" />'],
    ["button", "Button", '<mj-button href="https://example.com/">Click here</mj-button>'],
    ["columns-2", "2 columns", '<mj-section><mj-column><mj-text>First column</mj-text></mj-column><mj-column><mj-text>Second column</mj-text></mj-column></mj-section>'],
    ["columns-3", "3 columns", "<mj-section><mj-column><mj-text>One</mj-text></mj-column><mj-column><mj-text>Two</mj-text></mj-column><mj-column><mj-text>Three</mj-text></mj-column></mj-section>"],
    ["divider", "Divider", '<mj-divider border-width="1px" />'],
    ["spacer", "Spacer", '<mj-spacer height="24px" />'],
    ["product", "Product card", section(
      '<mj-image src="' + img + 'product.png" alt="The product" width="240px" />' +
      '<mj-text align="center" font-size="18px" font-weight="700" mj-class="heading">Product name</mj-text>' +
      '<mj-text align="center" font-size="16px">€29.00</mj-text>' +
      '<mj-button href="https://example.com/product">Buy now</mj-button>')],
    ["social", "Social links", section(
      '<mj-text align="center" font-size="14px"><a href="https://example.com/facebook">Facebook</a> · ' +
      '<a href="https://example.com/instagram">Instagram</a> · <a href="https://example.com/linkedin">LinkedIn</a></mj-text>')],
    ["footer", "Footer", FOOTER],
    ["section", "1 column", section('<mj-text>A new section</mj-text>')],
  ];

  var editor = grapesjs.init({
    container: "#gjs",
    height: "100%",
    storageManager: false,
    cssIcons: "",
    fromElement: false,
    panels: { defaults: [] },
    assetManager: { assets: [], upload: false, embedAsBase64: false },
    blockManager: { appendTo: "#gjs-blocks", blocks: [] },
    traitManager: { appendTo: "#gjs-traits" },
    styleManager: { appendTo: "#gjs-styles" },
    selectorManager: { componentFirst: true },
    deviceManager: {
      devices: [
        { id: "desktop", name: "Desktop", width: "" },
        { id: "mobile", name: "Mobile", width: "375px", widthMedia: "480px" },
      ],
    },
    plugins: [
      function (ed) {
        plugin(ed, {
          blocks: [],
          resetDevices: false,
          imagePlaceholderSrc: img + "product.png",
          fonts: {},
        });
      },
    ],
  });

  BLOCKS.forEach(function (b) {
    editor.Blocks.add("mw-" + b[0], { label: b[1], content: b[2], category: "Blocks", attributes: { "data-block": b[0] } });
  });

  // A click (or Enter) on a block adds it after the selection: a section goes into the body,
  // anything else into the selected column (or the column of the selected block). Dragging
  // works as well; this is the way for keyboards.
  var SECTIONS = { "columns-2": 1, "columns-3": 1, product: 1, social: 1, footer: 1, section: 1 };
  function addBlock(key) {
    var block = editor.Blocks.get("mw-" + key);
    var body = editor.getWrapper().findType("mj-body")[0];
    if (!block || !body) return;
    var selected = editor.getSelected();
    var added;
    if (SECTIONS[key]) {
      var section = selected && (selected.is("mj-section") ? selected : selected.closestType("mj-section"));
      added = body.append(block.get("content"), section ? { at: section.index() + 1 } : {});
    } else {
      var column = selected && (selected.is("mj-column") ? selected : selected.closestType("mj-column"));
      column = column || body.findType("mj-column").pop();
      if (!column) return;
      var inColumn = selected && selected.parent() === column;
      added = column.append(block.get("content"), inColumn ? { at: selected.index() + 1 } : {});
    }
    if (added && added[0]) editor.select(added[0]);
  }
  var blocksEl = document.getElementById("gjs-blocks");
  blocksEl.addEventListener("click", function (ev) {
    var el = ev.target.closest(".gjs-block");
    if (el) addBlock(el.dataset.block);
  });
  blocksEl.addEventListener("keydown", function (ev) {
    var el = ev.target.closest(".gjs-block");
    if (el && (ev.key === "Enter" || ev.key === " ")) { ev.preventDefault(); addBlock(el.dataset.block); }
  });

  editor.on("load", function () {
    blocksEl.querySelectorAll(".gjs-block").forEach(function (el) {
      el.setAttribute("tabindex", "0");
      el.setAttribute("role", "button");
    });
    if (data.design) editor.loadProjectData(data.design);
    else editor.setComponents(data.mjml);
    editor.UndoManager.clear();
    document.body.dataset.editorReady = "1";
  });

  // The toolbar: device switch, undo, redo, save.
  document.querySelectorAll("[data-device]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      editor.setDevice(btn.dataset.device === "mobile" ? "Mobile" : "Desktop");
      document.querySelectorAll("[data-device]").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b === btn));
      });
    });
  });
  document.querySelector('[data-command="undo"]').addEventListener("click", function () { editor.UndoManager.undo(); });
  document.querySelector('[data-command="redo"]').addEventListener("click", function () { editor.UndoManager.redo(); });

  function csrf() { return form.querySelector("[name=csrfmiddlewaretoken]").value; }
  function field(name) { return form.querySelector("[name=" + name + "]").value; }

  function showErrors(errors) {
    errorsEl.textContent = errors.map(function (e) {
      var where = e.line ? " (line " + e.line + (e.column ? ", column " + e.column : "") + ")" : "";
      return e.message + where;
    }).join("\n");
    errorsEl.hidden = false;
  }

  document.getElementById("blocks-save").addEventListener("click", function () {
    errorsEl.hidden = true;
    statusEl.textContent = "Saving…";
    fetch(data.saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify({
        name: field("name"), subject: field("subject"), preheader: field("preheader"),
        mjml: editor.getHtml(), design: editor.getProjectData(),
      }),
    }).then(function (r) { return r.json().then(function (body) { return [r.ok, body]; }); })
      .then(function (res) {
        if (!res[0]) { statusEl.textContent = "Not saved."; showErrors(res[1].errors || [{ message: "Not saved" }]); return; }
        statusEl.textContent = res[1].message;
        if (data.saveUrl !== res[1].url) { window.location.assign(res[1].url); }
      })
      .catch(function () { statusEl.textContent = "Not saved: the server could not be reached."; });
  });

  // The lint as you type (POST /templates/lint returns an HTML partial), debounced.
  var timer = null;
  function lint() {
    var body = new URLSearchParams({
      subject: field("subject"), preheader: field("preheader"), mjml: editor.getHtml(),
      footer: data.brandFooter ? "1" : "0",
    });
    fetch(data.lintUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), "HX-Request": "true" }, body: body,
    }).then(function (r) { return r.text(); }).then(function (html) { lintEl.innerHTML = html; })
      .catch(function () {});
  }
  function later() { clearTimeout(timer); timer = setTimeout(lint, 800); }
  editor.on("update", later);
  form.addEventListener("input", later);
})();
