import type { Entry } from '../model.js';
import { conversationTopic, type Bus, type BusMessage, type Unsubscribe } from '../ports/bus.js';
import type { Logger } from '../ports/logger.js';
import type { ConversationStore } from '../ports/store.js';

/** A local consumer of one conversation's log: in practice one client connection. */
export interface Subscriber {
  readonly id: string;
  readonly conversationId: string;
  /**
   * Receives entries strictly in `seq` order with no gaps and no repeats after the cursor it attached with.
   * Must not throw; a subscriber that cannot keep up detaches itself.
   */
  deliver(entries: readonly Entry[]): void;
  /** The device this subscriber serves, when it serves one (see {@link Hub.announce}). */
  readonly deviceId?: string;
  /** A connection of the same device opened at `at` (epoch ms) on another node: an older one is stale. */
  superseded?(at: number): void;
}

interface Cursor {
  readonly sub: Subscriber;
  /** Last seq handed to `deliver`. */
  seq: number;
  /** While reading missed entries from the store, live entries wait here. */
  parked: Entry[] | null;
  /** Asked to read the store again while a read was under way (the bus may have lost something meanwhile). */
  again: boolean;
}

interface Group {
  readonly cursors: Map<string, Cursor>;
  readonly unsubscribe: Unsubscribe;
}

const CATCH_UP_PAGE = 500;
/** Conversations whose heads one {@link Hub.heal} asks the store for at a time. */
const HEAL_BATCH = 500;
const NOTHING = () => {};

/**
 * Fan-out of log entries to this node's connections, with resume from any seq.
 *
 * The node that appends calls {@link publish}: local subscribers get the entries at once, other nodes
 * through the bus. The bus may drop or delay messages; a subscriber that sees a gap is healed from the
 * store, so correctness never depends on the bus.
 */
export class Hub {
  private readonly groups = new Map<string, Group>();

  constructor(
    private readonly nodeId: string,
    private readonly store: ConversationStore,
    private readonly bus: Bus,
    private readonly log: Logger,
  ) {}

  /** Start delivering to `sub` everything after `afterSeq` (read from the store), then live entries. */
  attach(sub: Subscriber, afterSeq: number): void {
    let group = this.groups.get(sub.conversationId);
    if (!group) {
      const id = sub.conversationId;
      const unsubscribe = this.bus.localOnly
        ? NOTHING
        : this.bus.subscribe(conversationTopic(id), (m) => this.fromBus(m), () => this.resync(id));
      group = { cursors: new Map(), unsubscribe };
      this.groups.set(id, group);
    }
    const cursor: Cursor = { sub, seq: afterSeq, parked: null, again: false };
    group.cursors.set(sub.id, cursor);
    this.catchUp(cursor, []);
  }

  /** Stop delivering to `sub`; returns the last seq it was given. */
  detach(sub: Subscriber): number {
    const group = this.groups.get(sub.conversationId);
    const cursor = group?.cursors.get(sub.id);
    if (!group || !cursor) return 0;
    group.cursors.delete(sub.id);
    if (group.cursors.size === 0) {
      group.unsubscribe();
      this.groups.delete(sub.conversationId);
    }
    return cursor.seq;
  }

  /** Entries this node just appended: deliver locally now, and to other nodes through the bus. */
  publish(conversationId: string, entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    this.deliverLocal(conversationId, entries);
    if (!this.bus.localOnly) this.bus.publish(conversationTopic(conversationId), { kind: 'entries', node: this.nodeId, conversationId, entries });
  }

  /**
   * `sub` (a new connection of its device) supersedes the device's older connections on other nodes: they
   * are told through the bus and close themselves. A no-op on a single node.
   */
  announce(sub: Subscriber & { readonly deviceId: string }, openedAt: number): void {
    if (this.bus.localOnly) return;
    this.bus.publish(conversationTopic(sub.conversationId), {
      kind: 'device',
      node: this.nodeId,
      conversationId: sub.conversationId,
      deviceId: sub.deviceId,
      connectionId: sub.id,
      at: openedAt,
    });
  }

  /**
   * Compare every local conversation's cursors with the store's head and read what is missing. Pub/sub
   * may lose the *last* message of a conversation (a node died between its append and its publish, or the
   * bus dropped it): no later entry reveals that gap, so the node checks now and then.
   */
  async heal(): Promise<void> {
    const ids = [...this.groups.keys()];
    for (let i = 0; i < ids.length; i += HEAL_BATCH) {
      const batch = ids.slice(i, i + HEAL_BATCH);
      const heads = this.store.heads
        ? await this.store.heads(batch)
        : new Map(await Promise.all(batch.map(async (id) => [id, (await this.store.getState(id)).headSeq] as const)));
      for (const id of batch) {
        const head = heads.get(id) ?? 0;
        const group = this.groups.get(id);
        if (!group) continue;
        for (const cursor of group.cursors.values()) if (cursor.seq < head) this.recheck(cursor);
      }
    }
  }

  get connectionCount(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.cursors.size;
    return n;
  }

  get conversationCount(): number {
    return this.groups.size;
  }

  private fromBus(message: BusMessage): void {
    if (message.node === this.nodeId) return;
    if (message.kind === 'entries') return this.deliverLocal(message.conversationId, message.entries);
    const group = this.groups.get(message.conversationId);
    if (!group) return;
    for (const cursor of [...group.cursors.values()]) {
      const sub = cursor.sub;
      if (sub.deviceId === message.deviceId && sub.id !== message.connectionId) sub.superseded?.(message.at);
    }
  }

  /** The bus may have lost messages of this conversation: every cursor reads the store again. */
  private resync(conversationId: string): void {
    const group = this.groups.get(conversationId);
    if (!group) return;
    for (const cursor of group.cursors.values()) this.recheck(cursor);
  }

  private recheck(cursor: Cursor): void {
    if (cursor.parked) cursor.again = true;
    else this.catchUp(cursor, []);
  }

  private deliverLocal(conversationId: string, entries: readonly Entry[]): void {
    const group = this.groups.get(conversationId);
    if (!group) return;
    for (const cursor of group.cursors.values()) this.offer(cursor, entries);
  }

  private offer(cursor: Cursor, entries: readonly Entry[]): void {
    if (cursor.parked) {
      cursor.parked.push(...entries);
      return;
    }
    let i = 0;
    while (i < entries.length && entries[i]!.seq <= cursor.seq) i++;
    let j = i;
    while (j < entries.length && entries[j]!.seq === cursor.seq + 1 + (j - i)) j++;
    if (j > i) this.hand(cursor, i === 0 && j === entries.length ? entries : entries.slice(i, j));
    if (j < entries.length) this.catchUp(cursor, entries.slice(j));
  }

  private hand(cursor: Cursor, entries: readonly Entry[]): void {
    cursor.seq = entries[entries.length - 1]!.seq;
    try {
      cursor.sub.deliver(entries);
    } catch (err) {
      this.log.error({ err, connection: cursor.sub.id }, 'fanout.deliver_failed');
    }
  }

  /** Read what the cursor missed from the store; `pending` live entries are offered afterwards. */
  private catchUp(cursor: Cursor, pending: Entry[]): void {
    cursor.parked = pending;
    const read = async (): Promise<void> => {
      for (;;) {
        cursor.again = false;
        const page = await this.store.readSince(cursor.sub.conversationId, cursor.seq, CATCH_UP_PAGE);
        if (!this.isAttached(cursor)) return;
        if (page.length > 0) this.hand(cursor, page);
        if (page.length < CATCH_UP_PAGE && !cursor.again) return;
      }
    };
    let failed = false;
    read()
      .catch((err: unknown) => {
        // Leave the gap: the next entry offered starts another catch-up, so a failing store is not hammered.
        failed = true;
        this.log.error({ err, conversation: cursor.sub.conversationId }, 'fanout.catch_up_failed');
      })
      .finally(() => {
        const parked = cursor.parked ?? [];
        cursor.parked = null;
        if (!failed && parked.length > 0 && this.isAttached(cursor)) this.offer(cursor, parked);
      });
  }

  private isAttached(cursor: Cursor): boolean {
    return this.groups.get(cursor.sub.conversationId)?.cursors.get(cursor.sub.id) === cursor;
  }
}
