// The ops page: reads the router's API and redraws itself every few seconds.
// Plain browser JavaScript, no build step. Data is written with textContent only,
// never as markup, so nothing a lead typed can run here.
"use strict";

const params = new URLSearchParams(window.location.search);
const INTERVAL_S = Math.max(1, Number(params.get("refresh")) || 5);
const KEY_STORE = "leadrouter.ops.api-key";
const FUNNEL_FIELDS = [
  "received", "rejected", "valid", "assigned", "accepted", "contacted",
  "won", "lost", "bought_elsewhere", "unreachable",
];

class NeedsKey extends Error {}

async function api(path) {
  const headers = { Accept: "application/json" };
  const key = window.sessionStorage.getItem(KEY_STORE);
  if (key) headers["X-API-Key"] = key;
  const response = await fetch(path, { headers, cache: "no-store" });
  if (response.status === 401 || response.status === 403) throw new NeedsKey(path);
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch (_) { /* not JSON */ }
    throw new Error(`${path}: ${response.status} ${detail}`);
  }
  return response.json();
}

function el(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  return node;
}

function cell(field, text, title) {
  return el("td", text, { "data-field": field, title });
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "–";
}

function seconds(s) {
  if (s === null || s === undefined) return "–";
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

function replaceRows(tbody, rows, empty) {
  if (rows.length === 0) {
    const row = el("tr", null, { class: "empty" });
    const only = el("td", empty);
    only.colSpan = tbody.parentElement.querySelectorAll("thead th").length || 1;
    row.append(only);
    rows = [row];
  }
  tbody.replaceChildren(...rows);
}

async function showFunnel(id, hours, now) {
  const since = new Date(now.getTime() - hours * 3600 * 1000);
  const from = since.toISOString();
  const to = now.toISOString();
  const query = new URLSearchParams({ from, to });
  const report = await api(`/v1/reports/funnel?${query}`);
  const table = document.getElementById(id);
  table.dataset.from = from;
  table.dataset.to = to;
  document.getElementById(`${id}-period`).textContent = `${when(from)} – ${when(to)}`;
  const fields = FUNNEL_FIELDS.filter((f) => report.campaigns.some((c) => f in c));
  const head = el("tr");
  head.append(el("th", "campaign"), ...fields.map((f) => el("th", f.replace("_", " "))),
    el("th", "time to assign p50 / p90"));
  table.tHead.replaceChildren(head);
  replaceRows(table.tBodies[0], report.campaigns.map((c) => {
    const row = el("tr", null, { "data-campaign": c.campaign_id });
    row.append(cell("campaign_id", c.campaign_id));
    for (const f of fields) {
      const rate = c.rates ? c.rates[f] : undefined;
      const title = typeof rate === "number" ? `${(rate * 100).toFixed(1)}% of valid` : undefined;
      row.append(cell(f, c[f] ?? 0, title));
    }
    row.append(cell("time_to_assign",
      `${seconds(c.time_to_assign.p50_s)} / ${seconds(c.time_to_assign.p90_s)}`));
    return row;
  }), "No leads in this period.");
}

async function showTopics() {
  const view = await api("/v1/ops/topics");
  document.getElementById("topics-sampled").textContent =
    `sampled ${when(view.sampled_at)}, rates over ${view.window_s} s`;
  const rows = [];
  for (const topic of view.topics) {
    for (const p of topic.partitions) {
      const row = el("tr", null, { "data-topic": topic.topic, "data-partition": p.partition });
      const lag = el("td", null, { "data-field": "lag" });
      for (const [group, records] of Object.entries(p.lag)) {
        lag.append(el("span", `${group}: ${records}`, {
          "data-group": group, "data-lag": records, class: records > 0 ? "behind" : "",
        }));
      }
      row.append(cell("topic", topic.topic), cell("partition", p.partition),
        cell("end_offset", p.end_offset),
        cell("per_second", p.per_second === null ? "–" : p.per_second.toFixed(1)), lag);
      rows.push(row);
    }
  }
  replaceRows(document.querySelector("#topics tbody"), rows, "No topics found.");
}

async function showDeadLetters() {
  const view = await api("/v1/ops/dead-letters?limit=20");
  document.getElementById("dead-letter-counts").replaceChildren(...view.topics.map((t) => {
    const item = el("li", null, { "data-topic": t.topic, class: t.records > 0 ? "alarm" : "" });
    // webhooks.raw.dlq is the quarantine: authentic requests the scorer could not map.
    const name = t.topic.endsWith("webhooks.raw.dlq") ? `${t.topic} (quarantine)` : t.topic;
    item.append(`${name}: `, el("span", t.records, { "data-field": "records" }));
    return item;
  }));
  replaceRows(document.querySelector("#dead-letters tbody"), view.items.map((d) => {
    const row = el("tr", null, { "data-topic": d.topic, "data-offset": d.offset });
    const from = !d.source_topic ? "–" : d.source_partition === null ? d.source_topic
      : `${d.source_topic}[${d.source_partition}]@${d.source_offset}`;
    row.append(cell("dead_lettered_at", when(d.dead_lettered_at)), cell("topic", d.topic),
      cell("source", from), cell("reason", d.reason ?? "–",
        [d.error_type, d.error_location].filter(Boolean).join(" at ")),
      cell("correlation_id", d.correlation_id ?? "–"),
      cell("preview", d.preview, `${d.size_bytes} bytes`));
    return row;
  }), "No dead letters.");
}

async function showUnassigned(now) {
  const page = await api("/v1/leads?status=unassigned&limit=200");
  const count = document.querySelector("#unassigned [data-field=count]");
  count.textContent = `${page.items.length}${page.next_cursor ? "+" : ""}`;
  count.dataset.count = page.items.length;
  replaceRows(document.querySelector("#unassigned tbody"), page.items.slice().reverse().map((l) => {
    const row = el("tr", null, { "data-lead": l.id });
    const waiting = (now.getTime() - new Date(l.received_at).getTime()) / 1000;
    row.append(cell("received_at", when(l.received_at)), cell("waiting", seconds(waiting)),
      cell("campaign_id", l.campaign_id), cell("grade", l.grade), cell("score", l.score),
      cell("lead_id", l.id));
    return row;
  }), "Nobody is waiting: every lead has an owner.");
}

async function showSlaBreaches() {
  const view = await api("/v1/ops/sla-breaches");
  const count = document.querySelector("#sla-breaches [data-field=count]");
  count.textContent = view.items.length;
  count.dataset.count = view.items.length;
  replaceRows(document.querySelector("#sla-breaches tbody"), view.items.map((b) => {
    const row = el("tr", null, { "data-assignment": b.assignment_id });
    row.append(cell("breached_at", when(b.breached_at)),
      cell("target", `${b.target.replace("_", " ")} by ${when(b.due_at)}`),
      cell("missed_by", b.missed_by_name), cell("campaign_id", b.campaign_id),
      cell("owner_now", b.owner_now_name ?? b.lead_status), cell("lead_id", b.lead_id));
    return row;
  }), "No SLA breach in the last 24 hours.");
}

async function showSlaDue(now) {
  const view = await api("/v1/ops/sla-due?within_minutes=60");
  const count = document.querySelector("#sla-due [data-field=count]");
  count.textContent = view.items.length;
  count.dataset.count = view.items.length;
  replaceRows(document.querySelector("#sla-due tbody"), view.items.map((d) => {
    const row = el("tr", null, { "data-assignment": d.assignment_id, class: d.overdue ? "alarm" : "" });
    const left = (new Date(d.due_at).getTime() - now.getTime()) / 1000;
    row.append(cell("due_at", d.overdue ? `overdue, ${when(d.due_at)}` : `in ${seconds(left)}`, d.due_at),
      cell("target", d.target.replace("_", " ")), cell("salesperson", d.salesperson_name),
      cell("campaign_id", d.campaign_id), cell("stage", d.stage), cell("lead_id", d.lead_id));
    return row;
  }), "No deadline in the next hour.");
}

async function showDecisions() {
  const view = await api("/v1/ops/decisions?limit=20");
  replaceRows(document.querySelector("#decisions tbody"), view.items.map((d) => {
    const row = el("tr", null, { "data-decision": d.decision_id, "data-lead": d.lead_id });
    const how = [d.via, d.pool, d.strategy].filter(Boolean).join(" · ");
    const why = el("td", d.reason ?? "–", { "data-field": "reason" });
    why.append(" ", el("a", "record", { href: `/v1/leads/${d.lead_id}/decision` }));
    row.append(cell("decided_at", when(d.decided_at)), cell("campaign_id", d.campaign_id),
      cell("grade", `${d.grade} (${d.score})`), cell("outcome", d.outcome, undefined),
      cell("salesperson", d.salesperson_name ?? "–"), cell("how", how || "–"), why);
    row.classList.add(d.outcome);
    return row;
  }), "No decision yet.");
}

const SECTIONS = {
  funnel: (now) => Promise.all([showFunnel("funnel-hour", 1, now), showFunnel("funnel-day", 24, now)]),
  leakage: (now) => window.showLeakage(now),
  topics: showTopics,
  "dead-letters": showDeadLetters,
  unassigned: showUnassigned,
  "sla-breaches": showSlaBreaches,
  "sla-due": showSlaDue,
  decisions: showDecisions,
  calibration: showCalibration,  // calibration.js
};

function showSectionError(id, error) {
  const section = document.getElementById(id);
  let note = section.querySelector(".error");
  if (!error) { if (note) note.remove(); return; }
  if (!note) { note = el("p", null, { class: "error", role: "alert" }); section.prepend(note); }
  note.textContent = `Not refreshed: ${error.message}`;
}

let refreshes = 0;
let timer = null;
let running = false;
let again = false;

// One refresh at a time; asked for during one, the next starts as soon as it ends.
async function refresh() {
  if (running) { again = true; return; }
  running = true;
  window.clearTimeout(timer);
  try {
    await redraw();
  } finally {
    running = false;
    timer = window.setTimeout(refresh, again ? 0 : INTERVAL_S * 1000);
    again = false;
  }
}

async function redraw() {
  const now = new Date();
  const ids = Object.keys(SECTIONS);
  const results = await Promise.allSettled(ids.map((id) => SECTIONS[id](now)));
  const failed = [];
  results.forEach((result, i) => {
    const error = result.status === "rejected" ? result.reason : null;
    if (error instanceof NeedsKey) {
      document.getElementById("key-form").hidden = false;
    } else {
      showSectionError(ids[i], error);
    }
    if (error) failed.push(ids[i]);
  });
  refreshes += 1;
  const status = document.getElementById("status");
  status.textContent = failed.length ? `Could not refresh: ${failed.join(", ")}` : "Live";
  status.className = failed.length ? "error" : "ok";
  document.body.dataset.refreshes = refreshes;
  const updated = document.getElementById("updated");
  updated.textContent = now.toLocaleTimeString();
  updated.dateTime = now.toISOString();
}

document.getElementById("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  window.sessionStorage.setItem(KEY_STORE, document.getElementById("key").value);
  document.getElementById("key-form").hidden = true;
  refresh();  // show the data now, not at the next tick
});

document.getElementById("interval").textContent = INTERVAL_S;
refresh();
