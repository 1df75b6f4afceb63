(function () {
  "use strict";
  var errs = window.__errors;
  function fail(e) { errs.push(String(e && e.message ? e.message : e)); }
  var D = JSON.parse(document.getElementById("task-data").textContent);
  var S = D.strings;
  function s(i) { return i < 0 ? "" : S[i]; }
  function esc(t) {
    return String(t).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }
  var PAGE = 25, page = 0;
  var el = function (id) { return document.getElementById(id); };
  var runSel = el("f-run"), modeSel = el("f-mode"), verSel = el("f-verdict"),
      errSel = el("f-error"), catSel = el("f-category"), txt = el("f-text");
  function fill(sel, values) {
    values.forEach(function (v) {
      var o = document.createElement("option"); o.value = v; o.textContent = v; sel.appendChild(o);
    });
  }
  fill(runSel, D.runs.map(function (r) { return r.label; }));
  fill(modeSel, D.modes); fill(errSel, D.errors); fill(catSel, D.categories);
  function calls(list) {
    if (!list || !list.length) return "<i>no call</i>";
    return list.map(function (c) { return "<code>" + esc(s(c[0])) + " " + esc(s(c[1])) + "</code>"; }).join("<br>");
  }
  function detail(t, row) {
    var h = t.h.map(function (x) {
      var mark = x[3] === 1 ? "<span class=like>liked</span>" : x[3] === -1 ? "<span class=dislike>disliked</span>" : "";
      return "<li>" + mark + " " + esc(s(x[0])) + " → <code>" + esc(s(x[1])) + " " + esc(s(x[2])) + "</code></li>";
    }).join("");
    var cands = t.c.map(function (c) { return "<code>" + esc(s(c)) + "</code>"; }).join(" ");
    return "<div class=detail><p><b>instruction</b> " + esc(s(t.i)) + "</p>" +
      (t.h.length ? "<p><b>history</b> (" + t.h.length + ")</p><ol>" + h + "</ol>" : "<p><b>history</b> none</p>") +
      "<p><b>candidates</b> " + (cands || "<i>open</i>") + "</p>" +
      "<p><b>gold</b><br>" + calls(t.g) + "</p><p><b>prediction</b> (" + esc(row[3]) + ")<br>" + calls(row[4]) + "</p>" +
      (row[5] >= 0 ? "<p><b>model output</b></p><pre>" + esc(s(row[5])) + "</pre>" : "") + "</div>";
  }
  function matches() {
    var run = D.runs[runSel.selectedIndex], out = [];
    var mode = modeSel.value, ver = verSel.value, err = errSel.value, cat = catSel.value,
        q = txt.value.toLowerCase();
    for (var k = 0; k < run.rows.length; k++) {
      var row = run.rows[k], t = D.tasks[row[0]];
      if (mode && t.m !== mode) continue;
      if (ver === "right" && !row[1]) continue;
      if (ver === "wrong" && row[1]) continue;
      if (err && s(row[2]) !== err) continue;
      if (cat && s(t.k) !== cat) continue;
      if (q && (t.id + " " + s(t.i)).toLowerCase().indexOf(q) < 0) continue;
      out.push(row);
    }
    return out;
  }
  function render() {
    try {
      var rows = matches(), pages = Math.max(1, Math.ceil(rows.length / PAGE));
      if (page >= pages) page = pages - 1;
      var html = rows.slice(page * PAGE, page * PAGE + PAGE).map(function (row) {
        var t = D.tasks[row[0]];
        return "<details><summary><span class=" + (row[1] ? "ok" : "bad") + ">" + (row[1] ? "✓" : "✗") +
          "</span> <code>" + esc(t.id) + "</code> · " + esc(t.m) + " · " + esc(s(t.k)) +
          (row[2] >= 0 ? " · <span class=err>" + esc(s(row[2])) + "</span>" : "") +
          " — " + esc(s(t.i).slice(0, 120)) + "</summary>" + detail(t, row) + "</details>";
      }).join("");
      el("tasks").innerHTML = html || "<p>no task matches</p>";
      el("page-info").textContent = rows.length + " tasks · page " + (page + 1) + " of " + pages;
    } catch (e) { fail(e); }
  }
  [runSel, modeSel, verSel, errSel, catSel].forEach(function (x) {
    x.addEventListener("change", function () { page = 0; render(); });
  });
  txt.addEventListener("input", function () { page = 0; render(); });
  el("prev").addEventListener("click", function () { if (page > 0) { page--; render(); } });
  el("next").addEventListener("click", function () { page++; render(); });
  render();
})();
