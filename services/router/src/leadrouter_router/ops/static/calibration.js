// The ops page's calibration plot: per campaign, the predicted against the observed
// win rate of each score decile (GET /v1/ops/calibration), as SVG built node by node.
// A dot on the diagonal is a decile whose predicted rate came true. Loaded before
// ops.js, whose api() and el() it uses when called.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
const PLOT = { size: 250, pad: 40 };

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function percent(rate) {
  return `${(rate * 100).toFixed(1)}%`;
}

function calibrationPlot(campaign, series) {
  const deciles = series.flatMap((s) => s.metrics.deciles);
  const top = Math.max(0.1, Math.ceil(Math.max(...deciles.flatMap((d) => [d.predicted, d.observed])) * 10) / 10);
  const { size, pad } = PLOT;
  const x = (rate) => pad + (rate / top) * (size - 2 * pad);
  const y = (rate) => size - pad - (rate / top) * (size - 2 * pad);
  const plot = svg("svg", {
    viewBox: `0 0 ${size} ${size}`, width: size, height: size, role: "img",
    "data-campaign": campaign.campaign_id,
    "aria-label": `Calibration of ${campaign.campaign_id}: predicted against observed win rate by score decile`,
  });
  plot.append(
    svg("line", { x1: x(0), y1: y(0), x2: x(top), y2: y(top), class: "diagonal" }),
    svg("line", { x1: x(0), y1: y(0), x2: x(top), y2: y(0), class: "axis" }),
    svg("line", { x1: x(0), y1: y(0), x2: x(0), y2: y(top), class: "axis" }),
    svg("text", { x: x(top / 2), y: size - 6, class: "label", "text-anchor": "middle" },
      "predicted win rate"),
    svg("text", { x: 10, y: y(top / 2), class: "label", "text-anchor": "middle",
      transform: `rotate(-90 10 ${y(top / 2)})` }, "observed win rate"),
    svg("text", { x: x(0), y: y(0) + 13, class: "tick", "text-anchor": "middle" }, "0"),
    svg("text", { x: x(top), y: y(0) + 13, class: "tick", "text-anchor": "middle" }, percent(top)),
    svg("text", { x: x(0) - 4, y: y(top) + 4, class: "tick", "text-anchor": "end" }, percent(top)),
  );
  for (const { name, version, metrics } of series) {
    const group = svg("g", { class: `series ${name}`, "data-series": name, "data-version": version });
    group.append(svg("polyline", {
      points: metrics.deciles.map((d) => `${x(d.predicted)},${y(d.observed)}`).join(" "),
    }));
    metrics.deciles.forEach((d, i) => {
      const dot = svg("circle", {
        cx: x(d.predicted), cy: y(d.observed), r: 3.5, "data-decile": i + 1,
        "data-predicted": d.predicted, "data-observed": d.observed, "data-leads": d.leads,
      });
      dot.append(svg("title", {}, `${name} ${version}, decile ${i + 1}: predicted ${percent(d.predicted)}, `
        + `observed ${percent(d.observed)} of ${d.leads} leads`));
      group.append(dot);
    });
    plot.append(group);
  }
  return plot;
}

function figures(series) {
  const list = el("ul", null, { class: "figures" });
  for (const { name, version, metrics } of series) {
    const auc = metrics.auc === null ? "–" : metrics.auc.toFixed(3);
    const lift = metrics.lift_top_20 === null ? "–" : `${metrics.lift_top_20.toFixed(2)}×`;
    list.append(el("li", `${name} ${version}: AUC ${auc}, Brier ${metrics.brier.toFixed(3)}, `
      + `calibration error ${metrics.calibration_error.toFixed(3)}, top 20% lift ${lift}`,
      { class: name, "data-series": name }));
  }
  return list;
}

async function showCalibration() {
  const report = await api("/v1/ops/calibration");
  const container = document.getElementById("calibration-plots");
  const figuresOf = report.campaigns.map((campaign) => {
    const figure = el("figure", null, { "data-campaign": campaign.campaign_id });
    const series = [];
    if (campaign.current) {
      series.push({ name: "current", version: campaign.model_version ?? "default", metrics: campaign.current });
    }
    if (campaign.candidate) {
      series.push({ name: "candidate", version: campaign.candidate_version, metrics: campaign.candidate });
    }
    const caption = el("figcaption", `${campaign.campaign_id} · ${campaign.closed} closed leads`);
    if (series.length === 0) {
      figure.append(caption, el("p", `Fewer than ${report.minimum_closed} closed leads: nothing to calibrate yet.`,
        { class: "empty" }));
      return figure;
    }
    figure.append(caption, calibrationPlot(campaign, series), figures(series));
    return figure;
  });
  if (figuresOf.length === 0) {
    figuresOf.push(el("p", "No closed leads yet.", { class: "empty" }));
  }
  container.replaceChildren(...figuresOf);
}
