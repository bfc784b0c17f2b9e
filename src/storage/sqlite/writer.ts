import type { Db } from './database.js';

/** What one conversation writes in a group commit. */
export interface ConvWrite {
  readonly id: string;
  readonly botId: string;
  readonly userId: string;
  /** The conversation's integer key; 0 to insert its row. */
  readonly no: number;
  /** The row's new version, fence and state, or null when they did not change. */
  readonly row: { readonly version: number; readonly fence: number; readonly state: string } | null;
  /** Appends in order: the seq of its last entry, the message count after it, its entries as JSON. */
  readonly appends: readonly (readonly [lastSeq: number, lastMsg: number, data: string])[];
}

/** The integer key of each conversation of the batch, in batch order. */
export type WriteResult = readonly number[];

/** The group-commit transaction: everything of the batch or nothing; durable when it returns. */
export function batchTransaction(db: Db): (batch: readonly ConvWrite[]) => WriteResult {
  const insertRow = db.prepare<[string, string, string, number, number, string]>(
    'INSERT INTO conversations (id, bot_id, user_id, version, fence, state) VALUES (?, ?, ?, ?, ?, ?) RETURNING no',
  );
  const updateRow = db.prepare('UPDATE conversations SET version = ?, fence = ?, state = ? WHERE no = ?');
  const insertAppend = db.prepare('INSERT INTO appends (conv, last_seq, last_msg, data) VALUES (?, ?, ?, ?)');
  const tx = db.transaction((batch: readonly ConvWrite[]) =>
    batch.map((c) => {
      let no = c.no;
      const row = c.row ?? { version: 0, fence: 0, state: '{}' };
      if (no === 0) no = (insertRow.get(c.id, c.botId, c.userId, row.version, row.fence, row.state) as { no: number }).no;
      else if (c.row) updateRow.run(c.row.version, c.row.fence, c.row.state, no);
      for (const [lastSeq, lastMsg, data] of c.appends) insertAppend.run(no, lastSeq, lastMsg, data);
      return no;
    }),
  );
  return (batch) => tx.immediate(batch);
}
