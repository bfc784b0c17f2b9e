import { postJson, KoreSocket, type Frame } from './kore-client.js';

/** An agent console speaking the native protocol over a raw WebSocket (docs/protocols/native.md). */
export class AgentClient {
  private n = 0;

  private constructor(
    readonly baseUrl: string,
    readonly token: string,
    readonly agentId: string,
  ) {}

  static async login(baseUrl: string, id: string, password: string): Promise<AgentClient> {
    const res = await postJson(`${baseUrl}/api/agent/login`, { id, password });
    if (res.status !== 200) throw new Error(`agent login ${res.status}: ${JSON.stringify(res.body)}`);
    return new AgentClient(baseUrl, res.body.token, id);
  }

  /** A client for a token already issued (no sign-in spent). */
  static withToken(baseUrl: string, token: string, agentId: string): AgentClient {
    return new AgentClient(baseUrl, token, agentId);
  }

  async ticketUrl(): Promise<string> {
    const res = await postJson(`${this.baseUrl}/api/agent/ticket`, {}, { authorization: `Bearer ${this.token}` });
    if (res.status !== 200) throw new Error(`agent ticket ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.url;
  }

  /** Open the console socket and wait for `hello`; `resume` is sent unless told otherwise. */
  async connect(resume: Frame['chats'] | null = []): Promise<KoreSocket> {
    const s = await KoreSocket.open(await this.ticketUrl());
    await s.next((f) => f['type'] === 'hello');
    if (resume !== null) s.send({ type: 'resume', chats: resume });
    return s;
  }

  clientId(): string {
    return `${this.agentId}-${++this.n}`;
  }
}

/** The waiting item of `handoffId` (or any) in the newest `queues` frame that has one. */
export const waitingIn = (s: KoreSocket, match: (w: Frame) => boolean = () => true): Frame | undefined =>
  s
    .ofType('queues')
    .reverse()
    .map((f) => (f['waiting'] as Frame[]).find(match))
    .find((w) => w !== undefined);
