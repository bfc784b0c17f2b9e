import { hashPassword, randomPassword } from '../auth/passwords.js';
import type { Clock } from '../core/ports/clock.js';
import type { DeskStore } from '../core/ports/desk-store.js';

/** The demo's agents: anyone running `npm start` can open `/agent` and take the demo bot's handoffs. */
export const DEMO_AGENTS = [
  { id: 'dana', name: 'Dana', queues: ['it-support'], capacity: 3 },
  { id: 'sam', name: 'Sam', queues: ['it-support'], capacity: 3 },
] as const;

export interface DemoAgentSignIn {
  readonly id: string;
  readonly name: string;
  readonly password: string;
}

/**
 * Demo mode: make sure the demo agents exist, each with a fresh random password (only its hash is stored),
 * returned once so the start-up banner can show it. Never a fixed, built-in password.
 */
export async function ensureDemoAgents(desk: DeskStore, clock: Clock): Promise<DemoAgentSignIn[]> {
  const out: DemoAgentSignIn[] = [];
  for (const a of DEMO_AGENTS) {
    const password = randomPassword();
    const existing = await desk.agent(a.id);
    await desk.saveAgent({
      id: a.id,
      name: existing?.name ?? a.name,
      queues: existing?.queues ?? [...a.queues],
      capacity: existing?.capacity ?? a.capacity,
      createdAt: existing?.createdAt ?? clock.now(),
      passwordHash: await hashPassword(password),
    });
    out.push({ id: a.id, name: existing?.name ?? a.name, password });
  }
  return out;
}
