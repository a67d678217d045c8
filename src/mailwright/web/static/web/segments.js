// The segment builder (Contacts → Segments): nested all/any/none groups of conditions, a
// field picker, operators and value inputs that fit the field, a live count and a sample.
// The tree lives in the form's hidden field #id_tree as JSON (the grammar of
// mailwright.contacts.segments); the server validates it on save and on every preview.
(function () {
  "use strict";
  var root = document.getElementById("segment-builder");
  var hidden = document.getElementById("id_tree");
  if (!root || !hidden) return;
  var catalog = JSON.parse(document.getElementById("segment-catalog").textContent);
  var saveError = JSON.parse(document.getElementById("segment-error").textContent) || {};
  var form = document.getElementById("segment-form");
  var countEl = document.getElementById("segment-count");
  var sampleEl = document.getElementById("segment-sample");
  var previewError = document.getElementById("segment-preview-error");
  var ROOT = "tree";
  var fields = {};
  catalog.fields.forEach(function (f) { fields[f.value] = f; });

  // --- the model: groups {mode, children} and conditions {field, op, value} ---------------
  function group(mode, children) { return { type: "group", mode: mode, children: children }; }
  function condition(field, op, value) {
    var c = { type: "cond", field: field, op: op, value: value };
    if (!fields[field]) return c;  // unknown to the builder: kept, the server names it
    var ops = opsOf(c);
    if (ops.indexOf(c.op) < 0) c.op = ops[0];
    if (c.value === undefined) c.value = defaultValue(c);
    return c;
  }

  function fromTree(node) {
    if (!node || typeof node !== "object" || Array.isArray(node)) return condition("email", "eq", "");
    if (Array.isArray(node.and)) return group("and", node.and.map(fromTree));
    if (Array.isArray(node.or)) return group("or", node.or.map(fromTree));
    if ("not" in node) {
      var inner = node.not;
      if (inner && Array.isArray(inner.or)) return group("none", inner.or.map(fromTree));
      return group("none", [fromTree(inner)]);
    }
    if ("builtin" in node) return condition("builtin", "eq", node.builtin);
    var field = node.field === "subscription" ? "subscription:" + node.topic : node.field;
    return condition(field, node.op, node.value);
  }

  function toTree(node) {
    if (node.type === "group") {
      var children = node.children.map(toTree);
      if (node.mode === "none") return { not: { or: children } };
      var out = {};
      out[node.mode] = children;
      return out;
    }
    if (node.field === "builtin") return { builtin: node.value };
    var f = fields[node.field];
    if (f && f.kind === "subscription") {
      return { field: "subscription", topic: f.topic, op: node.op, value: parsed(node) };
    }
    return { field: node.field, op: node.op, value: parsed(node) };
  }

  function kindOf(c) { return fields[c.field] ? fields[c.field].kind : "text"; }
  function opsOf(c) { return (catalog.ops[kindOf(c)] || [["eq", "is"]]).map(function (o) { return o[0]; }); }

  // What the value input shows for this field and operator.
  function widget(c) {
    var kind = kindOf(c), op = c.op, f = fields[c.field] || {};
    if (op === "exists") return "yesno";
    if (op === "in") return "list";
    if (kind === "builtin" || kind === "received") return "choices";
    if (f.choices && (op === "eq" || op === "neq")) return "choices";
    if (kind === "subscription") return "state";
    if (kind === "bool") return "truefalse";
    if (op === "month") return "month";
    if (kind === "activity" || op === "within_days" || op === "in_next_days") return "days";
    if (kind === "number" || kind === "engagement") return "number";
    if (kind === "date" || op === "before" || op === "after") return "date";
    return "text";
  }

  function defaultValue(c) {
    var w = widget(c), f = fields[c.field] || {};
    if (w === "yesno" || w === "truefalse") return true;
    if (w === "choices") return f.choices && f.choices.length ? f.choices[0][0] : "";
    if (w === "state") return "confirmed";
    if (w === "month") return new Date().getMonth() + 1;
    if (w === "days") return kindOf(c) === "anniversary" ? 7 : 30;
    return "";
  }

  function number(text) {
    var t = String(text).trim();
    return t !== "" && !isNaN(Number(t)) ? Number(t) : text;  // not a number: the server says so
  }

  // The JSON value for the tree, from what the inputs hold.
  function parsed(c) {
    var w = widget(c), kind = kindOf(c), v = c.value;
    if (w === "list") {
      var items = String(v).split(",").map(function (s) { return s.trim(); }).filter(Boolean);
      return kind === "number" ? items.map(number) : items;
    }
    if (w === "days" || w === "month" || w === "number") return number(v);
    if (w === "choices" && kind === "received") return number(v);
    return v;
  }

  // --- rendering ------------------------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "className") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function option(value, label, selected) {
    var o = el("option", { value: String(value), text: label });
    if (selected) o.selected = true;
    return o;
  }

  function select(label, options, current, onchange) {
    var s = el("select", { "aria-label": label, className: "compact" });
    options.forEach(function (o) { s.appendChild(option(o[0], o[1], String(o[0]) === String(current))); });
    s.addEventListener("change", function () { onchange(s.value); });
    return s;
  }

  function fieldPicker(c) {
    var s = el("select", { "aria-label": "Field", className: "compact field-picker" });
    var groups = {};
    catalog.fields.forEach(function (f) {
      if (!groups[f.group]) {
        groups[f.group] = el("optgroup", { label: f.group });
        s.appendChild(groups[f.group]);
      }
      groups[f.group].appendChild(option(f.value, f.label, f.value === c.field));
    });
    if (!fields[c.field]) s.appendChild(option(c.field, String(c.field) + " (unknown)", true));
    s.addEventListener("change", function () {
      c.field = s.value;
      c.op = opsOf(c)[0];
      c.value = defaultValue(c);
      changed(true);
    });
    return s;
  }

  function valueInput(c) {
    var w = widget(c), f = fields[c.field] || {};
    var set = function (v) { c.value = v; changed(false); };
    if (w === "yesno") return select("Value", [["true", "yes"], ["false", "no"]], String(c.value), function (v) { set(v === "true"); });
    if (w === "truefalse") return select("Value", [["true", "true"], ["false", "false"]], String(c.value), function (v) { set(v === "true"); });
    if (w === "choices") {
      if (!f.choices || !f.choices.length) return el("span", { className: "muted", text: "none yet" });
      return select("Value", f.choices, c.value, set);
    }
    if (w === "state") return select("State", catalog.states.map(function (s) { return [s, s]; }), c.value, set);
    if (w === "month") return select("Month", catalog.months.map(function (m, i) { return [i + 1, m]; }), c.value, function (v) { set(Number(v)); });
    var attrs = { "aria-label": "Value", className: "value" };
    if (w === "days" || w === "number") { attrs.type = "number"; attrs.step = w === "days" ? "1" : "any"; }
    else if (w === "date") attrs.type = "date";
    else attrs.type = "text";
    if (w === "list") attrs.placeholder = "comma-separated, e.g. a, b";
    var input = el("input", attrs);
    input.value = Array.isArray(c.value) ? c.value.join(", ") : (c.value === undefined || c.value === null ? "" : String(c.value));
    input.addEventListener("input", function () { set(input.value); });
    var wrap = el("span", { className: "value-wrap" }, [input]);
    if (w === "days") wrap.appendChild(el("span", { className: "muted", text: " days" }));
    return wrap;
  }

  function errorSlot() { return el("p", { className: "node-error", role: "alert", hidden: "" }); }

  function renderCondition(c, parent, index, path) {
    var kind = kindOf(c);
    var ops = catalog.ops[kind] || [["eq", "is"]];
    var opControl = ops.length > 1
      ? select("Operator", ops, c.op, function (v) { c.op = v; c.value = defaultValue(c); changed(true); })
      : (ops[0][1] ? el("span", { className: "op-label", text: ops[0][1] }) : null);
    var remove = el("button", { type: "button", className: "small remove", "aria-label": "Remove condition", text: "✕" });
    remove.addEventListener("click", function () { parent.children.splice(index, 1); changed(true); });
    return el("div", { className: "cond", "data-path": path }, [
      el("div", { className: "cond-row" }, [fieldPicker(c), opControl, valueInput(c), remove]),
      errorSlot(),
    ]);
  }

  var MODES = [["and", "all"], ["or", "any"], ["none", "none"]];

  function childPath(g, path, i) {
    return g.mode === "none" ? path + ".not.or[" + i + "]" : path + "." + g.mode + "[" + i + "]";
  }

  function renderGroup(g, parent, index, path) {
    var head = el("div", { className: "group-head" }, [
      el("span", { text: "Match " }),
      select("Match", MODES, g.mode, function (v) { g.mode = v; changed(true); }),
      el("span", { text: " of these conditions" }),
    ]);
    if (parent) {
      var remove = el("button", { type: "button", className: "small remove", text: "Remove group" });
      remove.addEventListener("click", function () { parent.children.splice(index, 1); changed(true); });
      head.appendChild(remove);
    }
    var list = el("div", { className: "children" });
    g.children.forEach(function (child, i) {
      var p = childPath(g, path, i);
      list.appendChild(child.type === "group" ? renderGroup(child, g, i, p) : renderCondition(child, g, i, p));
    });
    if (!g.children.length) list.appendChild(el("p", { className: "muted small", text: parent ? "An empty group: add a condition or remove it." : "No conditions: every contact matches." }));
    var addCond = el("button", { type: "button", className: "small", text: "+ Condition" });
    addCond.addEventListener("click", function () { g.children.push(condition("tag", "eq", "")); changed(true); });
    var addGroup = el("button", { type: "button", className: "small", text: "+ Group" });
    addGroup.addEventListener("click", function () { g.children.push(group("or", [condition("tag", "eq", "")])); changed(true); });
    return el("div", { className: parent ? "group nested" : "group", "data-path": path }, [
      head, list, el("div", { className: "group-actions" }, [addCond, addGroup]), errorSlot(),
    ]);
  }

  // --- state, the hidden field, errors and the live preview ---------------------------------
  var model;
  try { model = JSON.parse(hidden.value || "null"); } catch (e) { model = null; }
  model = model ? fromTree(model) : group("and", []);
  if (model.type !== "group") model = group("and", [model]);

  function currentTree() { return model.children.length ? toTree(model) : null; }

  function render() {
    root.textContent = "";
    root.appendChild(renderGroup(model, null, 0, ROOT));
  }

  function changed(structural) {
    hidden.value = JSON.stringify(currentTree());
    if (structural) render();
    schedulePreview();
  }

  function clearErrors() {
    root.querySelectorAll(".node-error").forEach(function (p) { p.hidden = true; p.textContent = ""; });
    root.querySelectorAll(".has-node-error").forEach(function (n) { n.classList.remove("has-node-error"); });
  }

  // The element of a node path, or of its nearest ancestor the builder draws.
  function nodeElement(path) {
    var p = path || ROOT;
    while (p) {
      var found = root.querySelector('[data-path="' + p.replace(/"/g, "") + '"]');
      if (found) return found;
      var shorter = p.replace(/(\.[a-z_]+(\[\d+\])?|\[\d+\])$/, "");
      if (shorter === p) break;
      p = shorter;
    }
    return root.querySelector("[data-path]");
  }

  function showError(node, message) {
    var target = nodeElement(node);
    if (!target) return;
    target.classList.add("has-node-error");
    var slot = target.querySelector(":scope > .node-error");
    if (slot) { slot.textContent = message; slot.hidden = false; }
  }

  var timer = null, sequence = 0;
  function schedulePreview() {
    clearTimeout(timer);
    timer = setTimeout(preview, 350);
  }

  function csrfToken() {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function preview() {
    var mine = ++sequence;
    countEl.textContent = "…";
    fetch(root.getAttribute("data-preview-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ tree: currentTree() }),
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (mine !== sequence) return;  // a newer edit is on its way
      clearErrors();
      sampleEl.textContent = "";
      if (!result.ok) {
        var err = result.data.error || { message: "the count failed" };
        countEl.textContent = "—";
        previewError.textContent = err.path ? err.path + ": " + err.message : err.message;
        previewError.hidden = false;
        showError(err.node, err.message);
        return;
      }
      previewError.hidden = true;
      countEl.textContent = new Intl.NumberFormat("en").format(result.data.count);
      result.data.sample.forEach(function (c) {
        sampleEl.appendChild(el("li", {}, [
          el("a", { href: c.url, text: c.email }),
          c.name ? el("span", { className: "muted", text: " " + c.name }) : null,
        ]));
      });
      if (!result.data.sample.length) sampleEl.appendChild(el("li", { className: "muted", text: "No contact matches." }));
    }).catch(function () {
      if (mine !== sequence) return;
      countEl.textContent = "—";
      previewError.textContent = "Could not reach the server for a count.";
      previewError.hidden = false;
    });
  }

  render();
  hidden.value = JSON.stringify(currentTree());
  if (saveError.node) showError(saveError.node, saveError.message);
  preview();
})();
