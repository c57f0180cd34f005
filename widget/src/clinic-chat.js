/*
 * The clinic assistant's chat widget. One script tag embeds it:
 *
 *   <script src="https://your-site/clinic-chat.js" data-server="https://assistant.your-site"
 *           data-title="Example Aesthetics Clinic" data-accent="#0f766e" defer></script>
 *
 * It lives in a Shadow DOM (the page's CSS can't reach it and its CSS can't reach the page) and talks to
 * Rasa's socket.io channel with session persistence. `io` is socket.io-client, bundled by build.mjs.
 * The conversation id, the token that proves this tab was given it, and the transcript are kept in
 * sessionStorage, so a reload restores them but they end with the browser tab: the tracker store on the
 * server is the only lasting copy.
 *
 * Under each informational answer (the server marks them), "Helpful" / "Not helpful" buttons send the
 * rating with the answer's text (`feedback_given`); the server keeps it in the tracker store and says so
 * (`feedback_received`), and only then is the choice shown as pressed, with thanks.
 */

var script = document.currentScript;
var MAX_LENGTH = 1000; // the server accepts more; a patient's question never needs it
var MAX_KEPT = 200; // transcript entries kept for a reload
var LINK = /(https?:\/\/[^\s<>"]+)|(\+?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}\b)/g;

function option(name, fallback) {
  var value = script && script.getAttribute("data-" + name);
  return value && value.trim() ? value.trim() : fallback;
}

var options = {
  server: option("server", "http://localhost:5005"),
  title: option("title", "Clinic assistant"),
  accent: /^#[0-9a-f]{3,8}$/i.test(option("accent", "")) ? option("accent", "") : "#0f766e",
};
// The one payload the server accepts without having offered it as a button (components/rasa_patches.py)
var OPENING_PAYLOAD = "/greet";
var storageKey = "clinic-chat:" + options.server;
var FEEDBACK_CHOICES = [
  { helpful: true, text: "Helpful", label: "This answer was helpful" },
  { helpful: false, text: "Not helpful", label: "This answer was not helpful" },
];

var STYLE = [
  ":host { all: initial; }",
  "* { box-sizing: border-box; }",
  ".root { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; color: #1f2933;",
  "  font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; }",
  "button, textarea { font: inherit; }",
  ".launcher { width: 60px; height: 60px; border: 0; border-radius: 50%; background: var(--accent);",
  "  color: #fff; cursor: pointer; box-shadow: 0 4px 14px rgba(0,0,0,.25); display: grid; place-items: center; }",
  ".launcher svg { width: 28px; height: 28px; fill: currentColor; }",
  ".panel { position: absolute; right: 0; bottom: 76px; width: 370px; height: min(600px, calc(100vh - 110px));",
  "  display: flex; flex-direction: column; background: #fff; border-radius: 14px; overflow: hidden;",
  "  box-shadow: 0 10px 40px rgba(0,0,0,.25); }",
  ".panel[hidden] { display: none; }",
  ".head { background: var(--accent); color: #fff; padding: 12px 14px; display: flex; gap: 8px;",
  "  align-items: flex-start; }",
  ".head div { flex: 1; }",
  "h2 { margin: 0; font-size: 16px; font-weight: 600; }",
  ".head p { margin: 2px 0 0; font-size: 12.5px; opacity: .92; }",
  ".close { background: transparent; border: 0; color: #fff; font-size: 24px; line-height: 1; cursor: pointer;",
  "  padding: 2px 6px; border-radius: 6px; }",
  ".status { margin: 0; padding: 6px 14px; background: #fff4e5; color: #8a4b00; font-size: 13px; }",
  ".status[hidden] { display: none; }",
  ".log { flex: 1; overflow-y: auto; margin: 0; padding: 14px; list-style: none; display: flex;",
  "  flex-direction: column; gap: 8px; background: #f6f7f9; }",
  ".msg { max-width: 85%; padding: 8px 12px; border-radius: 14px; white-space: pre-wrap;",
  "  overflow-wrap: anywhere; }",
  ".bot { align-self: flex-start; background: #fff; border: 1px solid #e3e6ea; border-bottom-left-radius: 4px; }",
  ".user { align-self: flex-end; background: var(--accent); color: #fff; border-bottom-right-radius: 4px; }",
  ".user a { color: #fff; }",
  ".bot a { color: var(--accent); }",
  ".system { align-self: center; font-size: 12.5px; color: #5f6b7a; text-align: center; }",
  ".replies { display: flex; flex-wrap: wrap; gap: 6px; align-self: flex-start; }",
  ".replies button { border: 1px solid var(--accent); color: var(--accent); background: #fff;",
  "  border-radius: 16px; padding: 5px 12px; cursor: pointer; font-size: 14px; }",
  ".replies button:hover { background: var(--accent); color: #fff; }",
  ".feedback { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; align-self: flex-start;",
  "  font-size: 13px; color: #5f6b7a; }",
  ".feedback button { border: 1px solid #c7ced6; color: #1f2933; background: #fff; border-radius: 12px;",
  "  padding: 2px 10px; cursor: pointer; font-size: 13px; }",
  ".feedback button:hover { border-color: var(--accent); color: var(--accent); }",
  ".feedback button[aria-pressed='true'] { background: var(--accent); border-color: var(--accent);",
  "  color: #fff; }",
  ".typing { align-self: flex-start; display: flex; gap: 4px; padding: 12px; background: #fff;",
  "  border: 1px solid #e3e6ea; border-radius: 14px; }",
  ".typing span { width: 7px; height: 7px; border-radius: 50%; background: #9aa5b1;",
  "  animation: blink 1.2s infinite; }",
  ".typing span:nth-child(2) { animation-delay: .2s; } .typing span:nth-child(3) { animation-delay: .4s; }",
  "@keyframes blink { 0%, 80%, 100% { opacity: .3; } 40% { opacity: 1; } }",
  "form { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #e3e6ea; background: #fff; }",
  "textarea { flex: 1; resize: none; border: 1px solid #c7ced6; border-radius: 10px; padding: 8px 10px;",
  "  height: 42px; max-height: 120px; color: inherit; }",
  ".send { border: 0; border-radius: 10px; padding: 0 16px; background: var(--accent); color: #fff;",
  "  cursor: pointer; font-weight: 600; }",
  ".send:disabled { opacity: .5; cursor: not-allowed; }",
  ".counter { margin: -6px 12px 6px; font-size: 12px; color: #5f6b7a; text-align: right; }",
  ".counter[hidden] { display: none; }",
  ":focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }",
  ".sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);",
  "  white-space: nowrap; }",
  "@media (max-width: 480px) {",
  "  .root { right: 12px; bottom: 12px; }",
  "  .panel { position: fixed; inset: 0; width: auto; height: auto; border-radius: 0; }",
  "}",
].join("\n");

var CHAT_ICON =
  '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2' +
  ' 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>';

function element(tag, attributes, text) {
  var node = document.createElement(tag);
  Object.keys(attributes || {}).forEach(function (name) {
    node.setAttribute(name, attributes[name]);
  });
  if (text !== undefined) node.textContent = text;
  return node;
}

// Text stays text; only http(s) addresses and phone numbers become links.
function appendWithLinks(parent, text) {
  var last = 0;
  String(text).replace(LINK, function (match, url, phone, offset) {
    var target = url ? match.replace(/[.,;:!?)]+$/, "") : match;
    parent.appendChild(document.createTextNode(text.slice(last, offset)));
    var link = element("a", { rel: "noopener noreferrer" }, target);
    if (url) {
      link.href = target;
      link.target = "_blank";
    } else {
      link.href = "tel:" + target.replace(/[^\d+]/g, "");
    }
    if (["http:", "https:", "tel:"].indexOf(link.protocol) >= 0) parent.appendChild(link);
    else parent.appendChild(document.createTextNode(target));
    last = offset + target.length;
    return match;
  });
  parent.appendChild(document.createTextNode(text.slice(last)));
}

function loadState() {
  try {
    var saved = JSON.parse(sessionStorage.getItem(storageKey));
    if (saved && Array.isArray(saved.log)) return saved;
  } catch (ignored) {
    // unreadable or blocked storage: start a new conversation
  }
  return { sessionId: null, sessionToken: null, open: false, log: [] };
}

function saveState(state) {
  state.log = state.log.slice(-MAX_KEPT);
  try {
    sessionStorage.setItem(storageKey, JSON.stringify(state));
  } catch (ignored) {
    // storage full or blocked: the conversation goes on, it just won't survive a reload
  }
}

function build() {
  var host = element("div", { id: "clinic-chat" });
  var shadow = host.attachShadow({ mode: "open" });
  var style = element("style", {}, STYLE);
  var root = element("div", { class: "root" });
  root.style.setProperty("--accent", options.accent);

  var launcher = element("button", {
    class: "launcher",
    type: "button",
    "aria-controls": "panel",
    "aria-expanded": "false",
    "aria-label": "Open chat: " + options.title,
  });
  launcher.innerHTML = CHAT_ICON; // a constant, never patient or bot text

  var panel = element("section", { class: "panel", id: "panel", role: "dialog", "aria-labelledby": "title" });
  panel.hidden = true;
  // a plain block, not <header>: inside the page it would read as a second banner landmark
  var header = element("div", { class: "head" });
  var heading = element("div");
  heading.appendChild(element("h2", { id: "title" }, options.title));
  heading.appendChild(element("p", {}, "General information, not medical advice."));
  var close = element("button", { class: "close", type: "button", "aria-label": "Close chat" }, "×");
  header.appendChild(heading);
  header.appendChild(close);

  var status = element("p", { class: "status", role: "status" });
  status.hidden = true;
  // a live log of blocks: a list would lose its list role to "log", and its items their list
  var log = element("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": "Conversation" });
  var typing = element("div", { class: "typing", "aria-label": "The assistant is typing" });
  typing.appendChild(element("span"));
  typing.appendChild(element("span"));
  typing.appendChild(element("span"));

  var form = element("form");
  var label = element("label", { class: "sr-only", for: "input" }, "Your question");
  var input = element("textarea", {
    id: "input",
    rows: "1",
    maxlength: String(MAX_LENGTH),
    placeholder: "Ask about Botox or fillers…",
    "aria-describedby": "counter",
  });
  var send = element("button", { class: "send", type: "submit" }, "Send");
  var counter = element("p", { class: "counter", id: "counter", "aria-live": "polite" });
  counter.hidden = true;
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(send);

  panel.appendChild(header);
  panel.appendChild(status);
  panel.appendChild(log);
  panel.appendChild(form);
  panel.appendChild(counter);
  root.appendChild(panel);
  root.appendChild(launcher);
  shadow.appendChild(style);
  shadow.appendChild(root);
  document.body.appendChild(host);
  return {
    launcher: launcher,
    panel: panel,
    close: close,
    status: status,
    log: log,
    typing: typing,
    form: form,
    input: input,
    send: send,
    counter: counter,
  };
}

function start() {
  var ui = build();
  var state = loadState();
  var socket = io(options.server, { transports: ["websocket", "polling"], tryAllTransports: true });
  var ready = false; // connected and the session confirmed
  var sendWhenReady = false; // a question entered while connecting goes out once connected
  var typingTimer = null;
  var feedbackViews = new WeakMap(); // a feedback entry -> its buttons and note, to update in place
  var rated = null; // the feedback entry last sent, for a refusal (which doesn't say which)

  function scrollDown() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function render(entry, isLatest) {
    if (entry.who === "replies") {
      if (!isLatest) return;
      var group = element("div", { class: "replies", role: "group", "aria-label": "Suggested questions" });
      entry.replies.forEach(function (reply) {
        var button = element("button", { type: "button" }, reply.title);
        button.addEventListener("click", function () {
          say(reply.payload, reply.title);
        });
        group.appendChild(button);
      });
      ui.log.insertBefore(group, ui.typing.parentNode ? ui.typing : null);
      return;
    }
    if (entry.who === "feedback") {
      ui.log.insertBefore(feedbackGroup(entry), ui.typing.parentNode ? ui.typing : null);
      return;
    }
    var item = element("div", { class: "msg " + entry.who });
    var speaker = { bot: "Assistant: ", user: "You: ", system: "" }[entry.who];
    if (speaker) item.appendChild(element("span", { class: "sr-only" }, speaker));
    appendWithLinks(item, entry.text);
    ui.log.insertBefore(item, ui.typing.parentNode ? ui.typing : null);
  }

  function feedbackGroup(entry) {
    var group = element("div", {
      class: "feedback",
      role: "group",
      "aria-label": "Was this answer helpful?",
    });
    var buttons = FEEDBACK_CHOICES.map(function (choice) {
      var button = element("button", { type: "button", "aria-label": choice.label }, choice.text);
      button.addEventListener("click", function () {
        rate(entry, choice.helpful);
      });
      group.appendChild(button);
      return button;
    });
    var note = element("span");
    group.appendChild(note);
    feedbackViews.set(entry, { buttons: buttons, note: note });
    showRating(entry);
    return group;
  }

  // `entry.helpful` is set once the server has stored it: the pressed button is the stored rating
  function showRating(entry) {
    var view = feedbackViews.get(entry);
    view.buttons.forEach(function (button, index) {
      button.setAttribute("aria-pressed", String(entry.helpful === FEEDBACK_CHOICES[index].helpful));
    });
    view.note.textContent = typeof entry.helpful === "boolean" ? "Thanks for your feedback" : "";
  }

  function rate(entry, helpful) {
    if (!ready) return;
    rated = entry;
    socket.emit("feedback_given", { session_id: state.sessionId, answer: entry.answer, helpful: helpful });
  }

  function renderAll() {
    ui.log.textContent = "";
    state.log.forEach(function (entry, index) {
      render(entry, index === state.log.length - 1);
    });
    scrollDown();
  }

  function add(entry) {
    // suggestions only make sense until the patient says something else
    var previous = ui.log.querySelector(".replies");
    if (previous) previous.remove();
    state.log = state.log.filter(function (kept) {
      return kept.who !== "replies";
    });
    state.log.push(entry);
    saveState(state);
    render(entry, true);
    scrollDown();
  }

  function showTyping(on) {
    clearTimeout(typingTimer);
    if (on) {
      ui.log.appendChild(ui.typing);
      typingTimer = setTimeout(showTyping, 20000, false);
      scrollDown();
    } else if (ui.typing.parentNode) {
      ui.typing.remove();
    }
  }

  function setReady(value, message) {
    ready = value;
    ui.send.disabled = !value;
    ui.status.hidden = !message;
    ui.status.textContent = message || "";
  }

  function say(text, shown) {
    var message = text.trim().slice(0, MAX_LENGTH);
    if (!message || !ready) return false;
    if (shown !== null) add({ who: "user", text: shown || message });
    socket.emit("user_uttered", { message: message, session_id: state.sessionId });
    showTyping(true);
    return true;
  }

  function setOpen(open) {
    state.open = open;
    saveState(state);
    ui.panel.hidden = !open;
    ui.launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      scrollDown();
      ui.input.focus();
      if (!state.log.length && !state.greeted && ready) {
        state.greeted = true;
        say(OPENING_PAYLOAD, null);
      }
    }
  }

  function updateCounter() {
    var left = MAX_LENGTH - ui.input.value.length;
    ui.counter.hidden = left > 200;
    ui.counter.textContent = left + " characters left";
  }

  ui.launcher.addEventListener("click", function () {
    setOpen(ui.panel.hidden);
  });
  ui.close.addEventListener("click", function () {
    setOpen(false);
    ui.launcher.focus();
  });
  ui.panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      setOpen(false);
      ui.launcher.focus();
    }
  });
  ui.form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (say(ui.input.value)) {
      ui.input.value = "";
      updateCounter();
    } else if (!ready) {
      sendWhenReady = true;
    }
  });
  ui.input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ui.form.requestSubmit();
    }
  });
  ui.input.addEventListener("input", updateCounter);

  socket.on("connect", function () {
    // the token proves this tab was given the conversation; without it the server starts a new one
    socket.emit("session_request", { session_id: state.sessionId, session_token: state.sessionToken });
  });
  socket.on("session_confirm", function (confirmed) {
    var sessionId = confirmed && typeof confirmed === "object" ? confirmed.session_id : confirmed;
    var reconnected = state.sessionId !== null && ui.status.textContent !== "";
    if (state.sessionId !== null && sessionId !== state.sessionId) state.log = []; // a new conversation
    state.sessionId = sessionId;
    state.sessionToken = (confirmed && confirmed.session_token) || null;
    saveState(state);
    setReady(true, "");
    if (reconnected) add({ who: "system", text: "Back online." });
    if (state.open && !state.log.length) setOpen(true);
    if (sendWhenReady) {
      sendWhenReady = false;
      ui.form.requestSubmit();
    }
  });
  socket.on("bot_uttered", function (message) {
    showTyping(false);
    if (message && typeof message.text === "string" && message.text) add({ who: "bot", text: message.text });
    if (message && message.informational === true && typeof message.answer === "string") {
      add({ who: "feedback", answer: message.answer, helpful: null }); // before the replies: add drops them
    }
    var replies = (message && message.quick_replies) || [];
    replies = replies.filter(function (reply) {
      return reply && typeof reply.title === "string" && typeof reply.payload === "string";
    });
    if (replies.length) add({ who: "replies", replies: replies });
  });
  socket.on("feedback_received", function (stored) {
    // the latest answer with that text, as on the server
    for (var index = state.log.length - 1; index >= 0; index--) {
      var entry = state.log[index];
      if (stored && entry.who === "feedback" && entry.answer === stored.answer) {
        entry.helpful = stored.helpful === true;
        saveState(state);
        showRating(entry);
        return;
      }
    }
  });
  socket.on("input_error", function (refusal) {
    if (refusal && refusal.event === "feedback_given") {
      if (rated) feedbackViews.get(rated).note.textContent = "Sorry, your feedback couldn't be saved.";
      return;
    }
    showTyping(false);
    add({ who: "system", text: "That message couldn't be sent. Please try a shorter question." });
  });
  function offline() {
    showTyping(false);
    setReady(false, "You're offline. Reconnecting…");
  }
  socket.on("disconnect", offline);
  socket.on("connect_error", offline);

  setReady(false, "");
  renderAll();
  setOpen(state.open);
}

if (document.body) start();
else document.addEventListener("DOMContentLoaded", start);
