// The Colloquy agent console: sign in, queues, chats — the native protocol (docs/protocols/native.md)
// over one WebSocket. No framework, no build step. State that must survive a reconnect (the last seq per
// chat, sends not yet acknowledged) lives in `state` and sessionStorage.

import { $, el, line, waited } from './view.js';

const STORE = 'colloquy.agent';
const TYPING_IDLE_MS = 3000;

const state = {
  auth: null, // {token, expiresAt, agent}
  status: 'available',
  chats: new Map(), // handoffId → chat
  active: null, // handoffId shown
  pending: new Map(), // clientId → {handoffId, text}
  board: { waiting: [], agents: [], directory: [], queueNames: [], skew: 0 },
  ws: null,
  retries: 0,
  timer: null,
};

// ---- persistence ------------------------------------------------------------------------------
function save() {
  const chats = [...state.chats.values()].map((c) => ({ ...c, entries: [...c.entries.values()], panel: undefined, tab: undefined, typingSent: false, typingTimer: undefined }));
  sessionStorage.setItem(STORE, JSON.stringify({ auth: state.auth, status: state.status, chats, pending: [...state.pending] }));
}
function restore() {
  try {
    const s = JSON.parse(sessionStorage.getItem(STORE) ?? 'null');
    if (!s?.auth || s.auth.expiresAt < Date.now()) return;
    state.auth = s.auth;
    state.status = s.status ?? 'available';
    for (const c of s.chats ?? []) addChat({ ...c, entries: new Map(c.entries.map((e) => [e.seq, e])) });
    state.pending = new Map(s.pending ?? []);
  } catch {
    sessionStorage.removeItem(STORE);
  }
}

// ---- sign-in ----------------------------------------------------------------------------------
async function signIn(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  const err = $('[data-testid=signin-error]');
  err.textContent = '';
  const res = await fetch('/api/agent/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: form.id.value.trim(), password: form.password.value }),
  }).catch(() => null);
  const body = await res?.json().catch(() => ({}));
  if (!res?.ok) {
    err.textContent = res ? (body?.errors?.[0]?.msg ?? 'Sign-in failed.') : 'The server cannot be reached.';
    return;
  }
  form.password.value = '';
  state.auth = body;
  save();
  showDesk();
  connect();
}

function signOut() {
  state.ws?.close(1000);
  state.ws = null;
  clearTimeout(state.timer);
  sessionStorage.removeItem(STORE);
  location.reload();
}

function showDesk() {
  $('#signin').hidden = true;
  for (const e of document.querySelectorAll('[data-signed-in]')) e.hidden = false;
  $('[data-testid=agent-name]').textContent = `${state.auth.agent.name} (${state.auth.agent.id})`;
  renderStatus();
  renderChats();
}

// ---- the socket -------------------------------------------------------------------------------
function setConnection(s, text) {
  const c = $('[data-testid=connection]');
  c.dataset.state = s;
  c.textContent = text;
}

async function connect() {
  clearTimeout(state.timer);
  setConnection('connecting', 'Connecting…');
  const res = await fetch('/api/agent/ticket', { method: 'POST', headers: { authorization: `Bearer ${state.auth.token}` } }).catch(() => null);
  if (res && (res.status === 401 || res.status === 403)) return signOut();
  if (!res?.ok) return retry();
  const { url } = await res.json();
  const ws = new WebSocket(url);
  state.ws = ws;
  ws.onmessage = (m) => {
    let f;
    try {
      f = JSON.parse(m.data);
    } catch {
      return;
    }
    onFrame(f);
  };
  ws.onclose = (e) => {
    if (state.ws !== ws) return;
    state.ws = null;
    if (e.code === 1000 || e.code >= 4500) return setConnection('offline', 'Offline');
    retry();
  };
}

function retry() {
  const delay = Math.min(10_000, 500 * 2 ** state.retries) * (0.8 + Math.random() * 0.4);
  state.retries += 1;
  setConnection('reconnecting', `Reconnecting in ${Math.ceil(delay / 1000)} s…`);
  state.timer = setTimeout(connect, delay);
}

function send(frame) {
  if (state.ws?.readyState !== WebSocket.OPEN) return false;
  state.ws.send(JSON.stringify(frame));
  return true;
}

function onFrame(f) {
  switch (f.type) {
    case 'hello': {
      state.retries = 0;
      setConnection('online', 'Connected');
      const chats = [...state.chats.values()].filter((c) => !c.ended).map((c) => ({ handoffId: c.handoffId, conversationId: c.conversationId, afterSeq: c.lastSeq }));
      send({ type: 'resume', chats });
      if (state.status !== 'available') send({ type: 'status', status: state.status });
      for (const [clientId, p] of state.pending) send({ type: 'send', handoffId: p.handoffId, text: p.text, clientId });
      return;
    }
    case 'queues':
      state.board = { waiting: f.waiting, agents: f.agents, directory: f.directory, queueNames: f.queueNames, skew: Date.now() - f.now };
      return renderQueues();
    case 'chat': {
      const known = state.chats.get(f.handoffId);
      const chat = known ?? addChat({ ...f, entries: new Map(), lastSeq: 0, ended: null });
      Object.assign(chat, { queue: f.queue, reason: f.reason, note: f.note, user: f.user, conversationId: f.conversationId });
      for (const e of f.transcript) chat.entries.set(e.seq, e);
      chat.lastSeq = Math.max(chat.lastSeq, f.headSeq);
      if (!known) state.active = f.handoffId;
      renderChats();
      return save();
    }
    case 'entry':
      return onEntry(f);
    case 'ack':
      state.pending.delete(f.clientId);
      return save();
    case 'ended': {
      const chat = state.chats.get(f.handoffId);
      if (!chat) return;
      chat.ended = f.reason;
      renderChat(chat);
      return save();
    }
    case 'error':
      return showError(f);
  }
}

function onEntry(f) {
  const chat = state.chats.get(f.handoffId);
  if (!chat) return;
  if (f.event?.name === 'agent_typing') {
    if (f.from.id !== state.auth.agent.id) chat.typing = f.event.handoff?.typing ? `${f.event.handoff.agent?.name ?? 'An agent'} is typing…` : '';
  } else chat.entries.set(f.seq, f);
  if (f.clientId) state.pending.delete(f.clientId);
  chat.lastSeq = Math.max(chat.lastSeq, f.seq);
  if (state.active !== chat.handoffId && f.text) chat.unread = (chat.unread ?? 0) + 1;
  renderChat(chat);
  save();
}

function showError(f) {
  const chat = f.handoffId && state.chats.get(f.handoffId);
  const text = `${f.message} (${f.code})`;
  if (chat?.panel) {
    $('[data-testid=chat-error]', chat.panel).textContent = text;
    return;
  }
  $('[data-testid=board-error]')?.remove();
  $('.queues').prepend(el('p', { className: 'error', role: 'alert', textContent: text, dataset: { testid: 'board-error' } }));
  setTimeout(() => $('[data-testid=board-error]')?.remove(), 8000);
}

// ---- queues -----------------------------------------------------------------------------------

function renderQueues() {
  const list = $('[data-testid=waiting]');
  const { waiting, agents, directory, skew } = state.board;
  list.replaceChildren(
    ...waiting.map((w) =>
      el(
        'li',
        { className: w.offeredToYou || w.forYou ? 'offered' : '', dataset: { testid: 'waiting-item', handoff: w.handoffId } },
        w.offeredToYou || w.forYou ? el('span', { className: 'badge', textContent: w.forYou ? 'Transferred to you' : 'Offered to you' }) : null,
        el('strong', { textContent: w.reason ?? 'No reason given', dataset: { testid: 'waiting-reason' } }),
        w.note ? el('span', { className: 'note', textContent: `Note: ${w.note}` }) : null,
        el('span', { className: 'meta', textContent: `${w.queue} · #${w.position} · waiting ` }, el('span', { dataset: { since: String(w.queuedAt + skew) }, textContent: waited(w.waitedMs) })),
        el('button', { type: 'button', className: 'primary', textContent: 'Accept', dataset: { testid: 'accept' }, onclick: () => send({ type: 'accept', handoffId: w.handoffId, ref: w.handoffId }) }),
      ),
    ),
  );
  $('[data-testid=waiting-count]').textContent = String(waiting.length);
  $('[data-testid=waiting-empty]').hidden = waiting.length > 0;
  const name = (id) => directory.find((d) => d.id === id)?.name ?? id;
  $('[data-testid=agents]').replaceChildren(...agents.map((a) => el('li', { textContent: `${name(a.id)} — ${a.status}, ${a.active}/${a.capacity} chats` })));
}

setInterval(() => {
  for (const s of document.querySelectorAll('[data-since]')) s.textContent = waited(Date.now() - Number(s.dataset.since));
}, 1000);

// ---- status -----------------------------------------------------------------------------------
function renderStatus() {
  const b = $('[data-testid=status]');
  b.textContent = state.status === 'available' ? 'Available' : 'Away';
  b.setAttribute('aria-pressed', String(state.status === 'available'));
}
function toggleStatus() {
  state.status = state.status === 'available' ? 'away' : 'available';
  renderStatus();
  send({ type: 'status', status: state.status });
  save();
}

// ---- chats ------------------------------------------------------------------------------------
function addChat(c) {
  const chat = { typing: '', unread: 0, ...c };
  state.chats.set(chat.handoffId, chat);
  return chat;
}

function renderChats() {
  const tabs = $('[data-testid=chat-tabs]');
  const panels = $('[data-testid=chat-panels]');
  if (!state.active || !state.chats.has(state.active)) state.active = state.chats.keys().next().value ?? null;
  for (const chat of state.chats.values()) {
    if (!chat.panel) buildChat(chat, tabs, panels);
    renderChat(chat);
  }
  $('[data-testid=chats-empty]').hidden = state.chats.size > 0;
}

function buildChat(chat, tabs, panels) {
  const id = chat.handoffId;
  chat.tab = el('button', { type: 'button', role: 'tab', id: `tab-${id}`, dataset: { testid: 'chat-tab', handoff: id }, onclick: () => select(id) });
  chat.tab.setAttribute('aria-controls', `panel-${id}`);
  chat.tab.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const ids = [...state.chats.keys()];
    const next = ids[(ids.indexOf(id) + (e.key === 'ArrowRight' ? 1 : ids.length - 1)) % ids.length];
    select(next);
    state.chats.get(next).tab.focus();
  });
  const input = el('textarea', { rows: 2, maxLength: 4000, dataset: { testid: 'compose' } });
  input.setAttribute('aria-label', 'Message');
  const form = el('form', { className: 'compose' }, input, el('button', { type: 'submit', className: 'primary', textContent: 'Send', dataset: { testid: 'send' } }));
  form.onsubmit = (e) => {
    e.preventDefault();
    say(chat, input.value);
    input.value = '';
  };
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener('input', () => typing(chat, input.value.length > 0));
  const messages = el('ol', { className: 'messages', dataset: { testid: 'messages' } });
  messages.setAttribute('aria-live', 'polite');
  messages.setAttribute('aria-label', 'Transcript');
  chat.panel = el(
    'section',
    { className: 'panel', role: 'tabpanel', id: `panel-${id}`, dataset: { testid: 'chat', handoff: id } },
    el('header', {}, el('h3', { dataset: { testid: 'chat-title' } }), el('span', { className: 'meta', dataset: { testid: 'chat-reason' } })),
    el('p', { className: 'note', dataset: { testid: 'chat-note' } }),
    messages,
    el('p', { className: 'typing', dataset: { testid: 'typing' }, role: 'status' }),
    el('p', { className: 'ended', dataset: { testid: 'chat-ended' }, role: 'status' }),
    el('p', { className: 'error', dataset: { testid: 'chat-error' }, role: 'alert' }),
    form,
    el(
      'div',
      { className: 'actions' },
      el('button', { type: 'button', textContent: 'Transfer…', dataset: { testid: 'transfer' }, onclick: () => openTransfer(chat) }),
      el('button', { type: 'button', textContent: 'Close chat', dataset: { testid: 'close' }, onclick: () => send({ type: 'close', handoffId: id }) }),
      el('button', { type: 'button', textContent: 'Dismiss', dataset: { testid: 'dismiss' }, onclick: () => dismiss(chat) }),
    ),
  );
  chat.panel.setAttribute('aria-labelledby', `tab-${id}`);
  tabs.append(chat.tab);
  panels.append(chat.panel);
}

function select(id) {
  state.active = id;
  const chat = state.chats.get(id);
  if (chat) chat.unread = 0;
  for (const c of state.chats.values()) renderChat(c);
}

function renderChat(chat) {
  if (!chat.panel) return;
  const active = state.active === chat.handoffId;
  chat.tab.textContent = `${chat.user?.id?.slice(0, 10) ?? 'user'} · ${chat.queue}${chat.ended ? ' (ended)' : ''}`;
  if (chat.unread && !active) chat.tab.append(el('span', { className: 'unread', textContent: `(${chat.unread})` }));
  chat.tab.setAttribute('aria-selected', String(active));
  chat.tab.tabIndex = active ? 0 : -1;
  chat.panel.hidden = !active;
  $('[data-testid=chat-title]', chat.panel).textContent = `Conversation with ${chat.user?.id ?? 'a user'}`;
  $('[data-testid=chat-reason]', chat.panel).textContent = `${chat.queue} · reason: ${chat.reason ?? 'none given'}`;
  const note = $('[data-testid=chat-note]', chat.panel);
  note.textContent = chat.note ? `Transfer note: ${chat.note}` : '';
  note.hidden = !chat.note;
  const list = $('[data-testid=messages]', chat.panel);
  const me = state.auth.agent.id;
  const rows = [...chat.entries.values()].sort((a, b) => a.seq - b.seq).map((e) => line(e, me)).filter(Boolean);
  for (const [, p] of state.pending) if (p.handoffId === chat.handoffId) rows.push(el('li', { className: 'agent pending', textContent: p.text }));
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  if (rows.length !== list.children.length || list.lastElementChild?.dataset.seq !== rows[rows.length - 1]?.dataset.seq) list.replaceChildren(...rows);
  if (atBottom) list.scrollTop = list.scrollHeight;
  $('[data-testid=typing]', chat.panel).textContent = chat.typing ?? '';
  $('[data-testid=chat-ended]', chat.panel).textContent = chat.ended ? `This chat has ended (${chat.ended}).` : '';
  for (const b of chat.panel.querySelectorAll('form button, form textarea, [data-testid=transfer], [data-testid=close]')) b.disabled = Boolean(chat.ended);
  $('[data-testid=dismiss]', chat.panel).hidden = !chat.ended;
}

function dismiss(chat) {
  chat.tab.remove();
  chat.panel.remove();
  state.chats.delete(chat.handoffId);
  if (state.active === chat.handoffId) state.active = null;
  renderChats();
  save();
}

function say(chat, raw) {
  const text = raw.trim();
  if (!text || chat.ended) return;
  const clientId = crypto.randomUUID();
  state.pending.set(clientId, { handoffId: chat.handoffId, text });
  stopTyping(chat);
  send({ type: 'send', handoffId: chat.handoffId, text, clientId });
  renderChat(chat);
  save();
}

// Typing: one `typing: true` when the agent starts, `false` after 3 s without a keystroke (or on send).
function typing(chat, active) {
  clearTimeout(chat.typingTimer);
  if (!active) return stopTyping(chat);
  if (!chat.typingSent) chat.typingSent = send({ type: 'typing', handoffId: chat.handoffId, typing: true });
  chat.typingTimer = setTimeout(() => stopTyping(chat), TYPING_IDLE_MS);
}
function stopTyping(chat) {
  clearTimeout(chat.typingTimer);
  if (chat.typingSent) send({ type: 'typing', handoffId: chat.handoffId, typing: false });
  chat.typingSent = false;
}

// ---- transfer ---------------------------------------------------------------------------------
function openTransfer(chat) {
  const dialog = $('[data-testid=transfer-dialog]');
  const form = $('form', dialog);
  const me = state.auth.agent.id;
  const online = new Set(state.board.agents.map((a) => a.id));
  form.agent.replaceChildren(...state.board.directory.filter((d) => d.id !== me).map((d) => el('option', { value: d.id, textContent: `${d.name}${online.has(d.id) ? '' : ' (offline)'}` })));
  form.queue.replaceChildren(...state.board.queueNames.map((q) => el('option', { value: q, textContent: q })));
  form.note.value = '';
  dialog.onclose = () => {
    if (dialog.returnValue !== 'ok') return;
    const kind = form.kind.value;
    const frame = { type: 'transfer', handoffId: chat.handoffId, ...(form.note.value.trim() ? { note: form.note.value.trim() } : {}) };
    if (kind === 'agent' && form.agent.value) send({ ...frame, agentId: form.agent.value });
    else if (kind === 'queue' && form.queue.value) send({ ...frame, queue: form.queue.value });
  };
  dialog.showModal();
}

// ---- start ------------------------------------------------------------------------------------
$('#signin').addEventListener('submit', signIn);
$('[data-testid=sign-out]').addEventListener('click', signOut);
$('[data-testid=status]').addEventListener('click', toggleStatus);
restore();
if (state.auth) {
  showDesk();
  connect();
}
