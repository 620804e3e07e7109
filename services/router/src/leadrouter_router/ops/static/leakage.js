// The ops page's leakage plots (GET /v1/reports/leakage, the last 90 days): how many
// leads bought elsewhere, were won or unreachable, by time to first touch, with the
// 95% interval of the leak; and won against bought elsewhere by grade. SVG built node
// by node, text by textContent only. Loaded before ops.js, whose api() and el() it
// uses when called; everything else stays inside this function.
"use strict";

window.showLeakage = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const DAYS = 90;
  const EVERY_MS = 60 * 1000; // a report over 90 days: once a minute is plenty
  const SERIES = [
    { outcome: "bought_elsewhere", label: "bought elsewhere" },
    { outcome: "won", label: "won" },
    { outcome: "unreachable", label: "unreachable" },
  ];
  const W = 560;
  const H = 260;
  const PAD = { left: 48, right: 16, top: 16, bottom: 44 };
  let fetchedAt = 0;

  function node(tag, attributes = {}, text) {
    const made = document.createElementNS(NS, tag);
    for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, String(value));
    if (text !== undefined) made.textContent = String(text);
    return made;
  }

  const pct = (rate) => `${Math.round(rate * 100)}%`;

  function frame(label, keys, top) {
    const plot = node("svg", {
      viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", "aria-label": label,
    });
    const x = (i) => PAD.left + ((i + 0.5) / keys.length) * (W - PAD.left - PAD.right);
    const y = (rate) => H - PAD.bottom - (rate / top) * (H - PAD.top - PAD.bottom);
    for (const tick of [0, top / 2, top]) {
      plot.append(
        node("line", { x1: PAD.left, x2: W - PAD.right, y1: y(tick), y2: y(tick), class: "grid" }),
        node("text", { x: PAD.left - 6, y: y(tick) + 4, class: "tick", "text-anchor": "end" },
          pct(tick)),
      );
    }
    keys.forEach((key, i) => plot.append(
      node("text", { x: x(i), y: H - PAD.bottom + 16, class: "tick", "text-anchor": "middle" }, key),
    ));
    return { plot, x, y };
  }

  function byTouch(rows) {
    const touched = rows.filter((r) => r.key !== "not touched");
    const keys = touched.map((r) => r.key);
    const highs = touched.flatMap((r) => SERIES.map((s) => (r.intervals[s.outcome] || [0, 0])[1]));
    const top = Math.max(0.1, Math.ceil(Math.max(0, ...highs) * 10) / 10);
    const { plot, x, y } = frame(
      "Outcome rates of closed leads by time to first touch", keys, top);
    plot.append(node("text", { x: W / 2, y: H - 6, class: "label", "text-anchor": "middle" },
      "time from arrival to first touch (up to)"));
    for (const { outcome, label } of SERIES) {
      const group = node("g", { class: `series ${outcome}`, "data-outcome": outcome });
      const points = touched.map((r, i) => [i, r]).filter(([, r]) => r.rates[outcome] !== null);
      group.append(node("polyline", {
        points: points.map(([i, r]) => `${x(i)},${y(r.rates[outcome])}`).join(" "),
      }));
      for (const [i, r] of points) {
        const [low, high] = r.intervals[outcome];
        if (outcome === "bought_elsewhere") {
          group.append(node("line", { x1: x(i), x2: x(i), y1: y(low), y2: y(high), class: "interval" }));
        }
        const dot = node("circle", {
          cx: x(i), cy: y(r.rates[outcome]), r: 3.5, "data-bucket": r.key,
          "data-rate": r.rates[outcome], "data-closed": r.closed,
        });
        dot.append(node("title", {}, `${r.key}: ${label} ${pct(r.rates[outcome])} of ${r.closed}`
          + ` closed leads (95%: ${pct(low)}–${pct(high)})`));
        group.append(dot);
      }
      plot.append(group);
    }
    return plot;
  }

  function byGrade(rows) {
    const keys = rows.map((r) => r.key);
    const shown = ["won", "bought_elsewhere"];
    const top = Math.max(0.1, Math.ceil(Math.max(0, ...rows.flatMap(
      (r) => shown.map((o) => r.rates[o] || 0))) * 10) / 10);
    const { plot, x, y } = frame("Won and bought elsewhere by grade", keys, top);
    const width = ((W - PAD.left - PAD.right) / keys.length) * 0.3;
    rows.forEach((r, i) => shown.forEach((outcome, k) => {
      if (r.rates[outcome] === null) return;
      const bar = node("rect", {
        x: x(i) + (k - 1) * width, y: y(r.rates[outcome]), width: width - 2,
        height: y(0) - y(r.rates[outcome]), class: `bar ${outcome}`,
        "data-grade": r.key, "data-outcome": outcome, "data-rate": r.rates[outcome],
      });
      bar.append(node("title", {}, `grade ${r.key}: ${outcome.replace("_", " ")}`
        + ` ${pct(r.rates[outcome])} of ${r.closed} closed leads`));
      plot.append(bar);
    }));
    plot.append(node("text", { x: W / 2, y: H - 6, class: "label", "text-anchor": "middle" },
      "grade the lead was routed with"));
    return plot;
  }

  function legend() {
    const list = el("ul", null, { class: "legend" });
    for (const { outcome, label } of SERIES) list.append(el("li", label, { class: outcome }));
    return list;
  }

  return async function showLeakage(now) {
    const section = document.getElementById("leakage");
    if (now.getTime() - fetchedAt < EVERY_MS && section.dataset.from) return;
    const from = new Date(now.getTime() - DAYS * 24 * 3600 * 1000).toISOString();
    const to = now.toISOString();
    const report = await api(`/v1/reports/leakage?${new URLSearchParams({ from, to })}`);
    fetchedAt = now.getTime();
    section.dataset.from = from;
    section.dataset.to = to;
    const o = report.overall;
    const summary = o.closed
      ? `${o.leads} leads, ${o.closed} closed: won ${pct(o.rates.won)},`
        + ` bought elsewhere ${pct(o.rates.bought_elsewhere)}`
      : `${o.leads} leads, none closed yet`;
    document.getElementById("leakage-summary").textContent = summary;
    document.getElementById("leakage-plots").replaceChildren(
      el("figure", null, { id: "leakage-by-touch" }),
      el("figure", null, { id: "leakage-by-grade" }),
    );
    const touch = document.getElementById("leakage-by-touch");
    touch.append(el("figcaption", "By time to first touch"), byTouch(report.by_time_to_first_touch),
      legend());
    const grade = document.getElementById("leakage-by-grade");
    grade.append(el("figcaption", "By grade: won (left) and bought elsewhere (right)"),
      byGrade(report.by_grade));
  };
})();
