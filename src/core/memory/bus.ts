import type { Bus, BusMessage, Unsubscribe } from '../ports/bus.js';

/**
 * In-process bus; delivery is asynchronous (a microtask later), like a real broker, and ordered per
 * publisher. Unless `shared` (several nodes in one process, as in cluster tests), it serves one node only,
 * and says so with `localOnly`.
 */
export class MemoryBus implements Bus {
  private readonly topics = new Map<string, Set<(m: BusMessage) => void>>();
  private closed = false;
  readonly localOnly: boolean;

  constructor(options: { readonly shared?: boolean } = {}) {
    this.localOnly = !options.shared;
  }

  publish(topic: string, message: BusMessage): void {
    if (this.closed) return;
    const handlers = this.topics.get(topic);
    if (!handlers || handlers.size === 0) return;
    const snapshot = [...handlers];
    queueMicrotask(() => {
      for (const h of snapshot) h(message);
    });
  }

  subscribe(topic: string, handler: (m: BusMessage) => void): Unsubscribe {
    let set = this.topics.get(topic);
    if (!set) this.topics.set(topic, (set = new Set()));
    set.add(handler);
    return () => {
      const s = this.topics.get(topic);
      if (!s) return;
      s.delete(handler);
      if (s.size === 0) this.topics.delete(topic);
    };
  }

  get topicCount(): number {
    return this.topics.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.topics.clear();
  }
}
