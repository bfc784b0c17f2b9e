// Small pure helpers of the agent console: DOM building and how a conversation's entries read.

export const $ = (sel, root = document) => root.querySelector(sel);
export const el = (tag, { dataset, role, ...props } = {}, ...kids) => {
  const e = Object.assign(document.createElement(tag), props);
  Object.assign(e.dataset, dataset ?? {});
  if (role) e.setAttribute('role', role);
  for (const k of kids) if (k != null) e.append(k);
  return e;
};

export const waited = (ms) => (ms < 60_000 ? `${Math.floor(ms / 1000)} s` : `${Math.floor(ms / 60_000)} min ${Math.floor((ms % 60_000) / 1000)} s`);

const EVENT_TEXT = {
  agent_session_start: (h) => `${h?.agent?.name ?? 'An agent'} joined`,
  agent_session_end: (h) => `${h?.agent?.name ?? 'The agent'} left (${h?.ended ?? 'ended'})`,
  handoff_queued: (h) => `Waiting in ${h?.queue}${h?.agent ? ` for ${h.agent.name}` : ''}${h?.note ? ` — note: ${h.note}` : ''}`,
  handoff_requested: () => 'Asked for an agent',
  session_end: () => 'Session ended',
};

export function line(e, me) {
  if (e.event) {
    const text = EVENT_TEXT[e.event.name]?.(e.event.handoff);
    return text ? el('li', { className: 'event', textContent: text, dataset: { seq: String(e.seq) } }) : null;
  }
  const role = e.from.role;
  const mine = role === 'agent' && e.from.id === me;
  const who = role === 'user' ? 'User' : role === 'agent' ? (mine ? 'You' : e.from.id) : 'Bot';
  return el('li', { className: `${role}${role === 'agent' && !mine ? ' other' : ''}`, dataset: { seq: String(e.seq), testid: `msg-${role}` } }, el('span', { className: 'who', textContent: who }), e.text);
}
