(function () {
  "use strict";
  var errs = window.__errors;
  function fail(e) { errs.push(String(e && e.message ? e.message : e)); }
  // The task data: plain JSON, or (a large report) gzip-compressed JSON in base64, inflated
  // by the browser's own DecompressionStream. window.__browserReady settles when the first
  // page of tasks is drawn (the page's status waits for it).
  function load() {
    var plain = document.getElementById("task-data");
    if (plain) return Promise.resolve(JSON.parse(plain.textContent));
    var bin = atob(document.getElementById("task-data-gz").textContent.trim());
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }
  window.__browserReady = load().then(start).catch(fail);
  function start(D) {
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
      errSel = el("f-error"), catSel = el("f-category"), trialSel = el("f-trial"),
      txt = el("f-text");
  function fill(sel, values) {
    values.forEach(function (v) {
      var o = document.createElement("option"); o.value = v; o.textContent = v; sel.appendChild(o);
    });
  }
  fill(runSel, D.runs.map(function (r) { return r.label; }));
  fill(modeSel, D.modes); fill(errSel, D.errors); fill(catSel, D.categories);
  var trials = D.trials || [];
  fill(trialSel, trials.map(String));
  if (!trials.length) el("f-trial-box").hidden = true;
  function num(v, digits) { return typeof v === "number" ? v.toFixed(digits) : "–"; }
  function explanation(x) {
    // [choice, runner-up, abstain probability, [[feature, value, contribution], ...]]
    if (!x || x === -1 || !x.length) return "";
    var reasons = (x[3] || []).map(function (r) {
      return "<tr><td>" + esc(s(r[0])) + "</td><td>" + esc(s(r[1])) + "</td><td>" +
        (typeof r[2] === "number" ? (r[2] >= 0 ? "+" : "") + r[2].toFixed(3) : "–") + "</td></tr>";
    }).join("");
    return "<p><b>explanation</b> chose <code>" + esc(s(x[0])) + "</code> over <code>" +
      esc(s(x[1])) + "</code> · abstain probability " + num(x[2], 3) + "</p>" +
      (reasons ? "<table class=expl><thead><tr><th>feature</th><th>value</th>" +
        "<th>contribution</th></tr></thead><tbody>" + reasons + "</tbody></table>" : "");
  }
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
      explanation(row[7]) +
      (row[5] >= 0 ? "<p><b>model output</b></p><pre>" + esc(s(row[5])) + "</pre>" : "") + "</div>";
  }
  function matches() {
    var run = D.runs[runSel.selectedIndex], out = [];
    var mode = modeSel.value, ver = verSel.value, err = errSel.value, cat = catSel.value,
        trial = trialSel.value, q = txt.value.toLowerCase();
    for (var k = 0; k < run.rows.length; k++) {
      var row = run.rows[k], t = D.tasks[row[0]];
      if (mode && t.m !== mode) continue;
      if (ver === "right" && !row[1]) continue;
      if (ver === "wrong" && row[1]) continue;
      if (err && s(row[2]) !== err) continue;
      if (cat && s(t.k) !== cat) continue;
      if (trial !== "" && String(row[6]) !== trial) continue;
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
          (row[6] >= 0 ? " · trial " + row[6] : "") +
          (row[2] >= 0 ? " · <span class=err>" + esc(s(row[2])) + "</span>" : "") +
          " — " + esc(s(t.i).slice(0, 120)) + "</summary>" + detail(t, row) + "</details>";
      }).join("");
      el("tasks").innerHTML = html || "<p>no task matches</p>";
      el("page-info").textContent = rows.length + " tasks · page " + (page + 1) + " of " + pages;
    } catch (e) { fail(e); }
  }
  [runSel, modeSel, verSel, errSel, catSel, trialSel].forEach(function (x) {
    x.addEventListener("change", function () { page = 0; render(); });
  });
  txt.addEventListener("input", function () { page = 0; render(); });
  el("prev").addEventListener("click", function () { if (page > 0) { page--; render(); } });
  el("next").addEventListener("click", function () { page++; render(); });
  render();
  }
})();
