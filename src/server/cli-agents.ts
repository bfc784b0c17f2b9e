import { createInterface } from 'node:readline';
import { hashPassword } from '../auth/passwords.js';
import type { AgentAccount, DeskStore } from '../core/ports/desk-store.js';

/** `colloquy agent …`: agent accounts of the console, written where the servers read them. */

export const AGENT_USAGE = `  agent add ID [--name NAME] [--queues Q1,Q2] [--capacity N] [--password-stdin]
                                                       create or update an agent of the console (/agent);
                                                       the password is read from stdin or asked for
  agent list [--json]                                  list the agents
  agent remove ID                                      delete an agent
  agent password ID [--password-stdin]                 set an agent's password
`;

export interface AgentOptions {
  readonly name?: string | undefined;
  readonly queues?: string | undefined;
  readonly capacity?: string | undefined;
  readonly passwordStdin?: boolean | undefined;
  readonly json: boolean;
}

export class AgentUsageError extends Error {}

const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const MIN_PASSWORD = 8;

async function readStdin(): Promise<string> {
  let raw = '';
  for await (const chunk of process.stdin) raw += String(chunk);
  return raw.replace(/\r?\n$/, '');
}

/** Ask on the terminal without echoing what is typed. */
function ask(question: string): Promise<string> {
  return new Promise((ok) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    const out = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WriteStream };
    let asked = false;
    out._writeToOutput = (s: string) => {
      if (!asked) {
        asked = true;
        out.output.write(s);
      }
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stdout.write('\n');
      ok(answer);
    });
  });
}

async function newPassword(fromStdin: boolean | undefined): Promise<string> {
  let password: string;
  if (fromStdin) password = await readStdin();
  else if (process.stdin.isTTY) {
    password = await ask('Password: ');
    if ((await ask('Again: ')) !== password) throw new AgentUsageError('the passwords differ');
  } else throw new AgentUsageError('give the password on stdin with --password-stdin (or run in a terminal to be asked)');
  if (password.length < MIN_PASSWORD) throw new AgentUsageError(`a password has at least ${MIN_PASSWORD} characters`);
  return password;
}

const queuesOf = (v: string | undefined): string[] | undefined =>
  v === undefined ? undefined : [...new Set(v.split(',').map((q) => q.trim()).filter((q) => q.length > 0))];

export async function agentCommand(desk: DeskStore, sub: string | undefined, id: string | undefined, o: AgentOptions): Promise<void> {
  const print = (value: unknown, text: string) => console.log(o.json ? JSON.stringify(value, null, 2) : text);
  const needId = (): string => {
    if (!id || !AGENT_ID.test(id)) throw new AgentUsageError('an agent id (letters, digits, . _ @ -) is required');
    return id;
  };
  switch (sub) {
    case 'list': {
      const agents = (await desk.agents()).map(({ passwordHash, ...a }) => ({ ...a, password: passwordHash !== undefined }));
      return print(agents, agents.map((a) => `${a.id}  ${a.name}  queues: ${a.queues.join(', ') || '(none)'}  capacity: ${a.capacity}${a.password ? '' : '  (no password)'}`).join('\n') || '(no agents)');
    }
    case 'add': {
      const agentId = needId();
      const existing = await desk.agent(agentId);
      const capacity = o.capacity === undefined ? (existing?.capacity ?? 3) : Number(o.capacity);
      if (!Number.isInteger(capacity) || capacity < 1 || capacity > 100) throw new AgentUsageError('--capacity must be a whole number from 1 to 100');
      const queues = queuesOf(o.queues) ?? existing?.queues ?? ['default'];
      if (queues.length === 0) throw new AgentUsageError('--queues names at least one queue');
      const keep = existing?.passwordHash !== undefined && !o.passwordStdin && !process.stdin.isTTY;
      const passwordHash = keep ? existing.passwordHash : await hashPassword(await newPassword(o.passwordStdin));
      const account: AgentAccount = {
        id: agentId,
        name: o.name ?? existing?.name ?? agentId,
        queues,
        capacity,
        createdAt: existing?.createdAt ?? Date.now(),
        ...(passwordHash !== undefined ? { passwordHash } : {}),
      };
      await desk.saveAgent(account);
      return print({ id: account.id, name: account.name, queues, capacity, created: !existing }, `${existing ? 'updated' : 'created'} agent ${account.id} (${account.name})  queues: ${queues.join(', ')}  capacity: ${capacity}`);
    }
    case 'remove': {
      const agentId = needId();
      if (!(await desk.deleteAgent(agentId))) throw new AgentUsageError(`no agent has the id ${agentId}`);
      return print({ id: agentId, removed: true }, `removed agent ${agentId}`);
    }
    case 'password': {
      const agentId = needId();
      const existing = await desk.agent(agentId);
      if (!existing) throw new AgentUsageError(`no agent has the id ${agentId}`);
      await desk.saveAgent({ ...existing, passwordHash: await hashPassword(await newPassword(o.passwordStdin)) });
      return print({ id: agentId, password: true }, `password of ${agentId} changed`);
    }
    default:
      throw new AgentUsageError('agent: expected "add", "list", "remove" or "password"');
  }
}
