// The admin dashboard: renders the node's live stream (/admin/stream, Server-Sent Events, one snapshot a second)
// as figures, charts of the last 5 minutes (uPlot), a timeline of cuts, rate limits and auth failures, and the
// nodes table; and runs the two actions (disconnect a key, publish a test message) through /admin/act/.
import uPlot from "./vendor/uPlot.esm.js";

/** Seconds of history the charts keep: 5 minutes. */
const WINDOW_POINTS = 300;
/** Entries the timeline keeps. */
const TIMELINE_ENTRIES = 50;

const $ = (testId) => document.querySelector(`[data-testid="${testId}"]`);

const count = (n) => Math.round(n).toLocaleString("en-US");
const perSecond = (n) => (n >= 100 ? count(n) : n.toFixed(1));

function bytes(n) {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${Math.round(n)} B`;
}

function duration(ms) {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** Mean round trip in ms over the last interval, from the rates of their count and summed seconds. */
function roundTripMs(rates) {
  return rates.roundTrips > 0 ? (rates.roundTripSeconds / rates.roundTrips) * 1000 : undefined;
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className !== undefined) td.className = className;
  return td;
}

// ---- charts ----

const SERIES = {
  deliveries: [{ label: "deliveries/s", stroke: "#58a6ff", pick: (r) => r.deliveries }],
  commands: [{ label: "commands/s", stroke: "#d2a8ff", pick: (r) => r.commands }],
  bytes: [
    { label: "in B/s", stroke: "#3fb950", pick: (r) => r.bytesIn },
    { label: "out B/s", stroke: "#f0883e", pick: (r) => r.bytesOut },
  ],
};

const points = { times: [], rates: [] };

function chartOptions(name, width) {
  return {
    width,
    height: 150,
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true } },
    axes: [
      { stroke: "#8b96a3", grid: { stroke: "#27313c" }, ticks: { stroke: "#27313c" } },
      { stroke: "#8b96a3", grid: { stroke: "#27313c" }, ticks: { stroke: "#27313c" }, size: 70 },
    ],
    series: [{}, ...SERIES[name].map(({ label, stroke }) => ({ label, stroke, width: 1.5 }))],
  };
}

const charts = Object.keys(SERIES).map((name) => {
  const box = $(`chart-${name}`);
  const chart = new uPlot(chartOptions(name, box.clientWidth), chartData(name), box);
  new ResizeObserver(() => chart.setSize({ width: box.clientWidth, height: 150 })).observe(box);
  return { name, chart, box };
});

function chartData(name) {
  return [points.times, ...SERIES[name].map(({ pick }) => points.rates.map(pick))];
}

function addPoint(at, rates) {
  points.times.push(at / 1000);
  points.rates.push(rates);
  if (points.times.length > WINDOW_POINTS) {
    points.times.shift();
    points.rates.shift();
  }
}

function redraw() {
  for (const { name, chart, box } of charts) {
    const data = chartData(name);
    chart.setData(data);
    // What is drawn, for tests and for anyone reading the DOM: points, and the newest value of the first line.
    box.dataset.points = String(data[0].length);
    box.dataset.last = String(data[1].at(-1) ?? 0);
  }
}

// ---- timeline ----

const EVENTS = [
  ["slowConsumerCuts", "slow consumers cut"],
  ["rateLimited", "commands rate limited"],
  ["authFailures", "auth failures"],
];

function addToTimeline(snapshot) {
  const list = $("timeline");
  for (const node of snapshot.nodes) {
    for (const [field, what] of EVENTS) {
      const n = Math.round(node.rates[field]);
      if (n <= 0) continue;
      const item = document.createElement("li");
      item.dataset.kind = field;
      item.textContent = `${new Date(snapshot.at).toLocaleTimeString()} · ${node.url ?? node.nodeId} · ${n} ${what}/s`;
      list.prepend(item);
    }
  }
  while (list.children.length > TIMELINE_ENTRIES) list.lastElementChild.remove();
  $("timeline-empty").hidden = list.children.length > 0;
}

// ---- figures and nodes ----

function renderNodes(snapshot) {
  const rows = snapshot.nodes.map((node) => {
    const row = document.createElement("tr");
    row.dataset.node = node.nodeId;
    row.dataset.health = node.late ? "late" : "ok";
    const name = node.url ?? node.nodeId;
    const kinds = Object.entries(node.byKind)
      .filter(([, n]) => n > 0)
      .map(([kind, n]) => `${kind} ${count(n)}`)
      .join(", ");
    const rtt = roundTripMs(node.rates);
    row.append(
      cell(node.nodeId === snapshot.self ? `${name} (this node)` : name),
      cell(
        node.late ? `late ${Math.round(node.ageMs / 1000)} s` : "ok",
        node.late ? "health-late" : "health-ok",
      ),
      cell(duration(node.uptimeMs)),
      cell(kinds === "" ? count(node.connections) : `${count(node.connections)} (${kinds})`),
      cell(`${count(node.registrations)} reg, ${count(node.subscriptions)} sub`),
      cell(perSecond(node.rates.deliveries)),
      cell(rtt === undefined ? "–" : `${rtt.toFixed(2)} ms`),
    );
    return row;
  });
  $("nodes").tBodies[0].replaceChildren(...rows);
}

function render(snapshot) {
  const { system } = snapshot;
  $("nodes-count").textContent = count(snapshot.nodes.length);
  $("connections").textContent = count(system.connections);
  $("registrations").textContent = count(system.registrations);
  $("subscriptions").textContent = count(system.subscriptions);
  $("deliveries").textContent = perSecond(system.rates.deliveries);
  $("commands").textContent = perSecond(system.rates.commands);
  $("bytes").textContent = `${bytes(system.rates.bytesIn)} / ${bytes(system.rates.bytesOut)}`;
  const rtt = roundTripMs(system.rates);
  $("round-trip").textContent = rtt === undefined ? "–" : `${rtt.toFixed(2)} ms`;
  renderNodes(snapshot);
  addToTimeline(snapshot);
}

function setLive(state, text) {
  const live = $("live");
  live.dataset.state = state;
  live.textContent = text;
}

const stream = new EventSource("stream");
stream.addEventListener("history", (event) => {
  points.times.length = 0;
  points.rates.length = 0;
  for (const { at, rates } of JSON.parse(event.data)) addPoint(at, rates);
  redraw();
});
stream.addEventListener("snapshot", (event) => {
  const snapshot = JSON.parse(event.data);
  addPoint(snapshot.at, snapshot.system.rates);
  redraw();
  render(snapshot);
  setLive("live", `live · ${new Date(snapshot.at).toLocaleTimeString()}`);
});
stream.addEventListener("error", () => setLive("lost", "connection lost: retrying…"));

// ---- actions ----

async function act(action, fields) {
  const output = $("action-result");
  output.textContent = "…";
  try {
    const answer = await fetch(`act/${action}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-west-admin": "1" },
      body: JSON.stringify(fields),
    });
    output.textContent = `${answer.status}: ${await answer.text()}`;
  } catch (error) {
    output.textContent = `failed: ${error.message}`;
  }
}

$("disconnect-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void act("disconnect", { key: $("disconnect-key").value.trim() });
});

$("publish-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void act("publish", { channel: $("publish-channel").value.trim(), data: $("publish-data").value });
});
