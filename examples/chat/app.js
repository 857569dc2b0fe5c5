// The chat page: one WestClient, one subscription per room with recovery, join/leave and presence; the room's
// history fills the page when it opens and whenever a reconnect could not recover what was missed.
import { WestClient } from "/sdk/west-client.js";

const $ = (id) => document.getElementById(id);
const westUrl = new URLSearchParams(location.search).get("west") ?? `ws://${location.hostname}:8080`;

/** The room's messages by offset, so that history and live deliveries meet without a duplicate. */
const messages = new Map();
let client;
let room;

$("join").addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = $("name").value.trim();
  room = `room.${$("room").value.trim()}`;
  client = new WestClient(westUrl, { key: name });
  client.on("state", (state, info) => {
    $("state").dataset.state = state;
    $("state").textContent = info?.reason ? `${state} (${info.reason})` : state;
  });
  const subscription = client.subscribe(room, (m) => show(m.offset, m.from, m.data.text), {
    recover: true,
    onJoin: (key) => notice(`${key} joined`),
    onLeave: (key) => notice(`${key} left`),
  });
  subscription.on("subscribed", ({ recovered }) => {
    if (!recovered) void loadHistory();
    void showPeople();
  });
  await client.connect();
  $("join-panel").hidden = true;
  $("room-panel").hidden = false;
  $("people-panel").hidden = false;
  $("room-title").textContent = `${$("room").value.trim()}, as ${name}`;
  $("text").focus();
});

$("say").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("text").value;
  $("text").value = "";
  try {
    await client.publish(room, { text });
  } catch (error) {
    notice(`not sent (${error.code}): ${text}`);
  }
});

async function loadHistory() {
  const page = await client.history(room, { limit: 50 });
  for (const item of page.publications) show(item.offset, item.from, item.data.text);
}

async function showPeople() {
  const people = await client.presence(room);
  $("people").replaceChildren(
    ...Object.keys(people)
      .sort()
      .map((key) => Object.assign(document.createElement("li"), { textContent: key })),
  );
}

function show(offset, from, text) {
  if (messages.has(offset)) return;
  const line = document.createElement("li");
  line.dataset.offset = String(offset);
  line.append(Object.assign(document.createElement("b"), { textContent: from }), String(text));
  messages.set(offset, line);
  const later = [...messages.keys()].filter((other) => other > offset).sort((a, b) => a - b)[0];
  $("messages").insertBefore(line, later === undefined ? null : messages.get(later));
  line.scrollIntoView({ block: "nearest" });
}

function notice(text) {
  const line = Object.assign(document.createElement("li"), { className: "notice", textContent: text });
  $("messages").append(line);
  void showPeople();
}
