// Korean chat widget for the Rasa socket.io channel (channels/socketio.py).
// Embed: <script src="https://BOT-HOST/widget.js" defer></script>  (see channels/README.md)
// Protocol: emit session_request {session_id} -> session_confirm id; emit user_uttered {message, session_id};
// receive bot_uttered {text, quick_replies?, attachment?}; bot_done after the replies to one message.
// A quick reply with an http(s) `url` ({type: "web_url", title, url}) is a link (a named source), shown under its
// message for good; the others are buttons under the latest message only.
import { io } from "socket.io-client";

const STORAGE = "kosme-chat";
const MAX_HISTORY = 100;
const MAX_CHARS = 2000;
const TYPING_TIMEOUT_MS = 60000; // after sending, until the first reply
const MORE_REPLIES_MS = 8000; // after a reply, unless bot_done comes first
const URL_PATTERN = /(https?:\/\/[^\s<>"')\]]+)/g;
const LINK_URL = /^https?:\/\//i;

const TEXT = {
  title: "중소기업 지원사업 상담",
  subtitle: "정책자금·지원사업 안내 챗봇",
  open: "상담 챗봇 열기",
  close: "상담 창 닫기",
  restart: "새 상담 시작",
  input: "메시지 입력",
  placeholder: "궁금한 점을 입력하세요",
  send: "보내기",
  typing: "상담봇이 답변을 작성하고 있어요…",
  connecting: "연결 중…",
  connected: "연결됨",
  offline: "연결이 끊겼어요. 다시 연결하는 중…",
  notConnected: "아직 연결되지 않았어요. 잠시 후 다시 보내 주세요.",
  you: "나",
  bot: "상담봇",
  welcome:
    "안녕하세요! 중소기업 정책자금과 지원사업을 안내해 드리는 상담 챗봇입니다. 회사 상황이나 궁금한 점을 편하게 적어 주세요.",
  suggestions: ["긴급경영안정자금 알려주세요", "창업 3년 차인데 받을 수 있는 자금이 있나요?", "상담 전화번호 알려주세요"],
};

const CHAT_ICON =
  '<svg width="28" height="28" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" ' +
  'd="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6v2h2V9H7zm4 0v2h2V9h-2zm4 0v2h2V9h-2z"/></svg>';

const CSS = `
:host { all: initial; }
* { box-sizing: border-box; font-family: "Pretendard", "Noto Sans KR", "Apple SD Gothic Neo", "Malgun Gothic", sans-serif; }
.launcher { position: fixed; right: 20px; bottom: 20px; width: 60px; height: 60px; border-radius: 50%; border: 0;
  background: #0b4ea2; color: #fff; display: flex; align-items: center; justify-content: center; cursor: pointer; box-shadow: 0 4px 14px rgba(0,0,0,.25); z-index: 2147483000; }
.launcher:focus-visible, button:focus-visible, textarea:focus-visible, a:focus-visible { outline: 3px solid #f5a300; outline-offset: 2px; }
.panel { position: fixed; right: 20px; bottom: 92px; width: 380px; height: min(640px, calc(100vh - 120px));
  display: flex; flex-direction: column; background: #fff; border-radius: 14px; overflow: hidden;
  box-shadow: 0 8px 30px rgba(0,0,0,.28); z-index: 2147483000; font-size: 15px; color: #1d1d1f; }
.panel[hidden] { display: none; }
header { background: #0b4ea2; color: #fff; padding: 12px 12px 10px 16px; display: flex; align-items: center; gap: 8px; }
header .titles { flex: 1; min-width: 0; }
header h2 { margin: 0; font-size: 16px; font-weight: 700; }
header .status { font-size: 12px; opacity: .9; }
header button { background: transparent; border: 0; color: #fff; font-size: 14px; cursor: pointer; padding: 6px 8px; border-radius: 6px; }
header button:hover { background: rgba(255,255,255,.15); }
.log { flex: 1; overflow-y: auto; padding: 14px 12px; background: #f4f6fa; display: flex; flex-direction: column; gap: 10px; }
.msg { display: flex; flex-direction: column; max-width: 86%; }
.msg.user { align-self: flex-end; align-items: flex-end; }
.msg.bot { align-self: flex-start; align-items: flex-start; }
.bubble { padding: 9px 12px; border-radius: 14px; white-space: pre-wrap; word-break: keep-all; overflow-wrap: anywhere; line-height: 1.5; }
.user .bubble { background: #0b4ea2; color: #fff; border-bottom-right-radius: 4px; }
.bot .bubble { background: #fff; border: 1px solid #dfe3ea; border-bottom-left-radius: 4px; }
.bubble a { color: inherit; text-decoration: underline; }
.bubble img { max-width: 100%; border-radius: 8px; }
time { font-size: 11px; color: #6b7280; margin-top: 3px; }
.replies { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 6px; }
.replies button { border: 1px solid #0b4ea2; color: #0b4ea2; background: #fff; border-radius: 16px; padding: 6px 12px;
  font-size: 14px; cursor: pointer; }
.replies button:hover { background: #e8f0fb; }
.links { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 6px; }
.links a { color: #0b4ea2; background: #fff; border: 1px solid #c7d3e6; border-radius: 8px; padding: 5px 10px;
  font-size: 13px; text-decoration: none; }
.links a::after { content: " ↗"; }
.links a:hover { background: #e8f0fb; text-decoration: underline; }
.typing { padding: 0 14px 6px; font-size: 13px; color: #4b5563; background: #f4f6fa; min-height: 0; }
.typing[hidden] { display: none; }
.typing span { display: inline-block; animation: blink 1.2s infinite; }
@keyframes blink { 50% { opacity: .3; } }
form { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #e5e7eb; background: #fff; }
textarea { flex: 1; resize: none; border: 1px solid #c7ccd6; border-radius: 10px; padding: 9px 10px; font-size: 15px; height: 42px; max-height: 120px; }
form button { border: 0; background: #0b4ea2; color: #fff; border-radius: 10px; padding: 0 14px; font-size: 15px; cursor: pointer; }
form button:disabled { background: #9aa7ba; cursor: not-allowed; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0,0,0,0); border: 0; }
@media (max-width: 480px) {
  .panel { right: 0; bottom: 0; width: 100vw; height: 100%; border-radius: 0; }
  .launcher { right: 14px; bottom: 14px; }
}
`;

function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function linkify(text) {
  const fragment = document.createDocumentFragment();
  for (const [index, part] of String(text).split(URL_PATTERN).entries()) {
    if (index % 2 === 1) {
      fragment.append(element("a", { href: part, target: "_blank", rel: "noopener noreferrer", text: part }));
    } else if (part) {
      fragment.append(document.createTextNode(part));
    }
  }
  return fragment;
}

function formatTime(timestamp) {
  return new Date(timestamp).toLocaleTimeString("ko-KR", { hour: "numeric", minute: "2-digit" });
}

class Store {
  constructor(prefix) {
    this.prefix = prefix;
  }
  get(key, fallback) {
    try {
      const raw = window.localStorage.getItem(`${this.prefix}:${key}`);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (_) {
      return fallback;
    }
  }
  set(key, value) {
    try {
      window.localStorage.setItem(`${this.prefix}:${key}`, JSON.stringify(value));
    } catch (_) {
      /* storage full or disabled: the conversation still works, it just is not kept across reloads */
    }
  }
  remove(key) {
    try {
      window.localStorage.removeItem(`${this.prefix}:${key}`);
    } catch (_) {
      /* storage disabled */
    }
  }
}

class ChatWidget {
  constructor(socketUrl, options) {
    this.socketUrl = socketUrl;
    this.socketPath = options.socketPath || "/socket.io";
    this.store = new Store(options.storageKey || STORAGE);
    this.history = this.store.get("history", []);
    this.sessionId = this.store.get("session", null);
    this.confirmed = false;
    this.typingTimer = null;
    this.render();
    this.restoreHistory();
    this.connect();
    if (this.store.get("open", false)) this.open(false);
  }

  render() {
    this.host = element("div", { id: "kosme-chat-widget" });
    const root = this.host.attachShadow({ mode: "open" });
    root.append(element("style", { text: CSS }));
    this.launcher = element("button", {
      class: "launcher", type: "button", "aria-label": TEXT.open, "aria-expanded": "false",
      "aria-controls": "kosme-chat-panel",
    });
    this.launcher.innerHTML = CHAT_ICON; // a constant: no font needed for the icon
    this.status = element("div", { class: "status", role: "status", text: TEXT.connecting });
    const restart = element("button", { type: "button", "aria-label": TEXT.restart, title: TEXT.restart, text: "새 상담" });
    const close = element("button", { type: "button", "aria-label": TEXT.close, title: TEXT.close, text: "✕" });
    this.log = element("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": "대화 내용", tabindex: "0" });
    this.typing = element("div", { class: "typing", role: "status", hidden: "" }, [
      element("span", { text: TEXT.typing }),
    ]);
    this.input = element("textarea", {
      id: "kosme-chat-input", rows: "1", maxlength: String(MAX_CHARS), placeholder: TEXT.placeholder,
      "aria-label": TEXT.input, autocomplete: "off",
    });
    this.sendButton = element("button", { type: "submit", "aria-label": TEXT.send, text: TEXT.send });
    const form = element("form", { "aria-label": "메시지 보내기" }, [
      element("label", { class: "sr-only", for: "kosme-chat-input", text: TEXT.input }), this.input, this.sendButton,
    ]);
    this.panel = element("section", {
      id: "kosme-chat-panel", class: "panel", role: "dialog", "aria-modal": "false",
      "aria-labelledby": "kosme-chat-title", hidden: "",
    }, [
      element("header", {}, [
        element("div", { class: "titles" }, [element("h2", { id: "kosme-chat-title", text: TEXT.title }), this.status]),
        restart, close,
      ]),
      this.log, this.typing, form,
    ]);
    root.append(this.launcher, this.panel);
    document.body.append(this.host);

    this.launcher.addEventListener("click", () => (this.panel.hidden ? this.open(true) : this.close()));
    close.addEventListener("click", () => this.close());
    restart.addEventListener("click", () => this.restart());
    this.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.close();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.sendText(this.input.value);
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.sendText(this.input.value);
      }
    });
  }

  open(focus) {
    this.panel.hidden = false;
    this.launcher.setAttribute("aria-expanded", "true");
    this.launcher.setAttribute("aria-label", TEXT.close);
    this.store.set("open", true);
    this.scrollDown();
    if (focus) this.input.focus();
  }

  close() {
    this.panel.hidden = true;
    this.launcher.setAttribute("aria-expanded", "false");
    this.launcher.setAttribute("aria-label", TEXT.open);
    this.store.set("open", false);
    this.launcher.focus();
  }

  connect() {
    this.socket = io(this.socketUrl, {
      path: this.socketPath, reconnection: true, reconnectionDelay: 500, reconnectionDelayMax: 5000,
    });
    this.socket.on("connect", () => {
      this.confirmed = false;
      this.socket.emit("session_request", { session_id: this.sessionId });
    });
    this.socket.on("session_confirm", (sessionId) => {
      const id = typeof sessionId === "string" ? sessionId : sessionId && sessionId.session_id;
      if (this.sessionId && id !== this.sessionId) this.clearHistory();
      this.sessionId = id;
      this.store.set("session", id);
      this.confirmed = true;
      this.setStatus(TEXT.connected, "connected");
    });
    this.socket.on("bot_uttered", (message) => {
      this.addBotMessage(message);
      this.showTyping(true, MORE_REPLIES_MS);
    });
    this.socket.on("bot_done", () => this.showTyping(false));
    this.socket.on("disconnect", () => {
      this.confirmed = false;
      this.showTyping(false);
      this.setStatus(TEXT.offline, "offline");
    });
    this.socket.on("connect_error", () => this.setStatus(TEXT.offline, "offline"));
  }

  setStatus(text, state) {
    this.status.textContent = text;
    this.host.dataset.state = state;
    this.sendButton.disabled = state !== "connected";
  }

  restoreHistory() {
    if (this.history.length === 0) {
      this.showWelcome();
      return;
    }
    for (const entry of this.history) this.appendMessage(entry);
    this.renderReplies();
  }

  showWelcome() {
    const replies = TEXT.suggestions.map((title) => ({ title, payload: title }));
    const entry = { from: "bot", text: TEXT.welcome, time: Date.now(), replies };
    this.welcome = { entry, node: this.appendMessage(entry, true) };
  }

  clearHistory() {
    this.history = [];
    this.store.remove("history");
    this.log.replaceChildren();
    this.showWelcome();
  }

  restart() {
    this.sessionId = null;
    this.store.remove("session");
    this.clearHistory();
    if (this.socket.connected) this.socket.emit("session_request", { session_id: null });
    this.input.focus();
  }

  sendText(raw, payload) {
    const text = String(raw || "").trim();
    if (!text) return;
    if (!this.confirmed) {
      this.status.textContent = TEXT.notConnected;
      return;
    }
    this.socket.emit("user_uttered", { message: payload || text, session_id: this.sessionId });
    this.input.value = "";
    this.record({ from: "user", text, time: Date.now() });
    this.showTyping(true);
  }

  addBotMessage(message) {
    if (!message || typeof message !== "object") return;
    const replies = Array.isArray(message.quick_replies) ? message.quick_replies
      : Array.isArray(message.buttons) ? message.buttons : [];
    const attachment = message.attachment;
    const image = attachment && attachment.type === "image" && attachment.payload ? attachment.payload.src : null;
    if (!message.text && !image && replies.length === 0) return;
    const isLink = (r) => typeof r.url === "string" && LINK_URL.test(r.url);
    const named = replies.filter((r) => r && r.title);
    this.record({
      from: "bot", text: message.text || "", image, time: Date.now(),
      links: named.filter(isLink).map((r) => ({ title: String(r.title), url: r.url })),
      replies: named.filter((r) => !isLink(r)).map((r) => ({ title: String(r.title), payload: String(r.payload || r.title) })),
    });
  }

  record(entry) {
    if (this.welcome) {
      // The welcome becomes part of the kept conversation once the user answers it.
      this.welcome.node.querySelector(".replies")?.remove();
      this.history.push({ ...this.welcome.entry, replies: [] });
      this.welcome = null;
    }
    this.history.push(entry);
    if (this.history.length > MAX_HISTORY) this.history.splice(0, this.history.length - MAX_HISTORY);
    this.store.set("history", this.history);
    this.appendMessage(entry);
    this.renderReplies();
  }

  appendMessage(entry, withReplies = false) {
    const bubble = element("div", { class: "bubble" });
    if (entry.text) bubble.append(linkify(entry.text));
    if (entry.image && /^https?:\/\//.test(entry.image)) bubble.append(element("img", { src: entry.image, alt: "" }));
    const who = entry.from === "user" ? TEXT.you : TEXT.bot;
    const stamp = element("time", { datetime: new Date(entry.time).toISOString(), text: formatTime(entry.time) });
    const links = (entry.links || []).filter((link) => LINK_URL.test(link.url)).map((link) =>
      element("a", { href: link.url, target: "_blank", rel: "noopener noreferrer", text: link.title }));
    const node = element("div", { class: `msg ${entry.from}`, "aria-label": `${who}, ${formatTime(entry.time)}` }, [
      element("span", { class: "sr-only", text: `${who}: ` }), bubble,
      ...(links.length ? [element("div", { class: "links", role: "group", "aria-label": "출처 링크" }, links)] : []),
      stamp,
    ]);
    if (withReplies) this.addReplies(node, entry.replies);
    this.log.append(node);
    this.scrollDown();
    return node;
  }

  renderReplies() {
    // Quick replies are offered only under the latest message, and only if it is the bot's.
    for (const old of this.log.querySelectorAll(".replies[data-history]")) old.remove();
    const last = this.history[this.history.length - 1];
    const lastNode = this.log.lastElementChild;
    if (last && last.from === "bot" && lastNode) this.addReplies(lastNode, last.replies, true);
  }

  addReplies(node, replies, fromHistory = false) {
    if (!replies || replies.length === 0) return;
    const group = element("div", { class: "replies", role: "group", "aria-label": "빠른 답변" });
    if (fromHistory) group.dataset.history = "";
    for (const reply of replies) {
      const button = element("button", { type: "button", text: reply.title });
      button.addEventListener("click", () => this.sendText(reply.title, reply.payload));
      group.append(button);
    }
    node.append(group);
  }

  showTyping(on, timeoutMs = TYPING_TIMEOUT_MS) {
    clearTimeout(this.typingTimer);
    this.typing.hidden = !on;
    if (on) this.typingTimer = setTimeout(() => (this.typing.hidden = true), timeoutMs);
  }

  scrollDown() {
    this.log.scrollTop = this.log.scrollHeight;
  }
}

async function start(script) {
  const data = (script && script.dataset) || {};
  let socketUrl = data.socketUrl;
  if (!socketUrl) {
    const base = script && script.src ? script.src : window.location.href;
    const configUrl = new URL(data.configUrl || "widget-config.json", base);
    try {
      const response = await fetch(configUrl, { credentials: "omit" });
      socketUrl = (await response.json()).socketUrl;
    } catch (error) {
      console.error("chat widget: cannot read", String(configUrl), error);
      return;
    }
  }
  window.kosmeChat = new ChatWidget(socketUrl, { socketPath: data.socketPath, storageKey: data.storageKey });
}

// document.currentScript is only set while this script runs, so capture it before waiting for the DOM.
const ownScript = document.currentScript || document.querySelector("script[data-kosme-chat]");
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => start(ownScript));
else start(ownScript);
