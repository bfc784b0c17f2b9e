import { createHmac } from 'node:crypto';
import { connectorEvents, type ConnectorEvent } from '../core/handoff/connector-events.js';
import { KeyedFifo } from '../core/keyed-fifo.js';
import type { ConversationRef, ConversationState, Entry } from '../core/model.js';
import type { Logger } from '../core/ports/logger.js';

/**
 * The outbound half of the contact-centre connector API: handoff events (queued, transferred, picked up, a
 * user message to the humans, ended) POSTed as JSON to one configured URL, signed, in order per
 * conversation, retried with backoff on a timeout, a network error, 408, 429 or 5xx — never in a turn's way.
 *
 * Delivery: at least once while the node that committed the entry runs (a receiver dedupes by `id`, also the
 * `Idempotency-Key` header); events still queued or being retried when that node stops are lost, so across
 * node failures it is at most once. docs/protocols/aisera.md §4.5 says how to check the signature.
 */
export interface HandoffWebhookOptions {
  readonly url: string;
  readonly secret: string;
  readonly log: Logger;
  /** Tries per event (the first and the retries). */
  readonly attempts?: number;
  /** First retry after this long, doubling each time, ms. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /** One try gives up after this long, ms. */
  readonly timeoutMs?: number;
  /** Events waiting at most; more are dropped (and logged). */
  readonly maxPending?: number;
  readonly now?: () => number;
}

export const SIGNATURE_HEADER = 'x-colloquy-signature';
export const TIMESTAMP_HEADER = 'x-colloquy-timestamp';

/** `sha256=` + hex HMAC-SHA256, keyed with the secret, of `<timestamp>.<body>` (timestamp: Unix seconds, as sent). */
export const signature = (secret: string, timestamp: string, body: string): string => `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export class HandoffWebhook {
  private readonly fifo = new KeyedFifo();
  private pending = 0;
  private closed = false;
  private readonly o: Required<Omit<HandoffWebhookOptions, 'log'>> & { log: Logger };

  constructor(options: HandoffWebhookOptions) {
    this.o = { attempts: 6, backoffMs: 1000, maxBackoffMs: 30_000, timeoutMs: 5000, maxPending: 10_000, now: Date.now, ...options };
  }

  /** The observer of commits (ConversationDeps.committed): queue what concerns handoffs; returns at once. */
  readonly committed = (conversation: ConversationRef, entries: readonly Entry[], state: ConversationState | undefined): void => {
    if (this.closed) return;
    for (const event of connectorEvents(conversation, entries, state)) {
      if (this.pending >= this.o.maxPending) {
        this.o.log.warn({ event: event.id, type: event.type }, 'webhook.handoff_dropped');
        continue;
      }
      this.pending += 1;
      void this.fifo
        .run(conversation.id, () => this.deliver(event))
        .finally(() => (this.pending -= 1));
    }
  };

  /** Stop taking events; waits (bounded) for those under way. */
  async close(graceMs = 2000): Promise<void> {
    this.closed = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.fifo.drained(), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
  }

  private async deliver(event: ConnectorEvent): Promise<void> {
    const body = JSON.stringify({ ...event, at: new Date(event.at).toISOString() });
    for (let attempt = 1; attempt <= this.o.attempts; attempt++) {
      const timestamp = String(Math.floor(this.o.now() / 1000));
      let status = 0;
      try {
        const res = await fetch(this.o.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [SIGNATURE_HEADER]: signature(this.o.secret, timestamp, body),
            [TIMESTAMP_HEADER]: timestamp,
            'x-colloquy-event': event.type,
            'idempotency-key': event.id,
          },
          body,
          signal: AbortSignal.timeout(this.o.timeoutMs),
        });
        status = res.status;
        await res.body?.cancel().catch(() => {});
        if (res.ok) return;
        if (!(status === 408 || status === 429 || status >= 500)) {
          this.o.log.warn({ event: event.id, type: event.type, status }, 'webhook.handoff_refused');
          return;
        }
      } catch {
        // A timeout or a network error: retried like a 5xx.
      }
      if (attempt === this.o.attempts || this.closed) {
        this.o.log.warn({ event: event.id, type: event.type, status, attempts: attempt }, 'webhook.handoff_failed');
        return;
      }
      await sleep(Math.min(this.o.maxBackoffMs, this.o.backoffMs * 2 ** (attempt - 1)));
    }
  }
}
