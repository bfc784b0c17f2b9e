/** What the node needs to reach a live Kore connection for. */
export interface LiveConnection {
  readonly id: string;
  readonly deviceId: string;
  /** Re-check the user's standing (tenancy changed); closes the connection with 1008 if refused. */
  recheck(): Promise<void>;
}

/** This node's live Kore connections, by device. */
export class KoreConnections<C extends LiveConnection = LiveConnection> {
  private readonly byDevice = new Map<string, Set<C>>();
  private count = 0;

  add(c: C): void {
    let set = this.byDevice.get(c.deviceId);
    if (!set) this.byDevice.set(c.deviceId, (set = new Set()));
    if (!set.has(c)) this.count += 1;
    set.add(c);
  }

  remove(c: C): void {
    const set = this.byDevice.get(c.deviceId);
    if (!set?.delete(c)) return;
    this.count -= 1;
    if (set.size === 0) this.byDevice.delete(c.deviceId);
  }

  /** The device's other live connections. */
  others(c: C): C[] {
    return [...(this.byDevice.get(c.deviceId) ?? [])].filter((o) => o !== c);
  }

  get size(): number {
    return this.count;
  }

  /** Re-check every connection's standing, a few at a time. */
  async recheckAll(): Promise<void> {
    const all = [...this.byDevice.values()].flatMap((s) => [...s]);
    for (let i = 0; i < all.length; i += 100) await Promise.all(all.slice(i, i + 100).map((c) => c.recheck()));
  }
}
