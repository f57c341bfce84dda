// The chat page: join a room over a websocket, show what arrives, send what is typed.
// Everything from the server is shown with textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
let socket = null;
let myId = null;

function setStatus(text, state) {
  $("status").textContent = text;
  $("status").dataset.state = state;
}

function time(iso) {
  return iso ? new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
}

function addLine(kind, parts) {
  const item = document.createElement("li");
  item.className = kind;
  for (const [cls, text] of parts) {
    const span = document.createElement("span");
    span.className = cls;
    span.textContent = text;
    item.appendChild(span);
  }
  $("messages").appendChild(item);
  item.scrollIntoView({ block: "end" });
}

function showMessage(message) {
  const mine = message.from === myId;
  addLine(mine ? "message mine" : "message", [
    ["name", mine ? "you" : message.name],
    ["text", message.text],
    ["time", time(message.time)],
  ]);
}

function showMembers(names) {
  const list = $("members");
  list.replaceChildren(...names.map((name) => {
    const item = document.createElement("li");
    item.textContent = name;
    return item;
  }));
}

function handle(message) {
  switch (message.type) {
    case "welcome":
      myId = message.you;
      $("room-title").textContent = "# " + message.room;
      message.history.forEach(showMessage);
      showMembers(message.members);
      setStatus("connected as " + message.name, "connected");
      break;
    case "message":
      showMessage(message);
      break;
    case "join":
    case "leave":
      addLine("event", [["text", `${message.name} ${message.type === "join" ? "joined" : "left"}`]]);
      showMembers(message.members);
      break;
    case "error":
      addLine("event error", [["text", message.message]]);
      break;
  }
}

$("join").addEventListener("submit", (event) => {
  event.preventDefault();
  const name = $("name").value.trim();
  const room = $("room").value.trim();
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const url = `${scheme}://${location.host}/ws/${encodeURIComponent(room)}?name=${encodeURIComponent(name)}`;
  setStatus("connecting...", "connecting");
  socket = new WebSocket(url);
  socket.addEventListener("open", () => {
    $("join").hidden = true;
    $("chat").hidden = false;
    $("text").focus();
  });
  socket.addEventListener("message", (event) => handle(JSON.parse(event.data)));
  socket.addEventListener("close", (event) => {
    setStatus(event.code === 1000 ? "disconnected" : `disconnected (${event.code}); reload to join again`, "closed");
    $("text").disabled = true;
  });
});

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("text").value.trim();
  if (text && socket && socket.readyState === WebSocket.OPEN) {
    socket.send(JSON.stringify({ text }));
    $("text").value = "";
  }
});
