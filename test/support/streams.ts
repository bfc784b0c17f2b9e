import { expect } from 'vitest';
import type { Frame } from './aisera-client.js';

/** A question of the demo knowledge base that no intent of the demo bot matches. */
export const QUESTION = 'how do i connect to the vpn from a hotel';

/** The protocol's streaming rules, checked on the frames of one request. */
export function checkStream(frames: readonly Frame[]): { text: string; completed: Frame } {
  const modes = frames.map((f) => f['modeType']);
  expect(modes[0]).toBe('StatusUpdate');
  expect(frames[0]!['status']).toMatchObject({ code: 'Retrieving' });
  expect(modes.at(-1)).toBe('StreamingCompleted');
  const completed = frames.at(-1)!;
  expect(frames.filter((f) => f['final'] === true)).toEqual([completed]);
  const chunks = frames.filter((f) => f['modeType'] === 'StreamingInProgress');
  const id = completed['stream']['id'];
  expect(chunks.map((f) => f['stream']['index'])).toEqual(chunks.map((_, i) => i));
  for (const f of frames) if (f['stream']) expect(f['stream']['id']).toBe(id);
  // Frames come in log order: seq strictly increases.
  const seqs = frames.map((f) => f['seq'] as number);
  expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  expect(new Set(seqs).size).toBe(seqs.length);
  expect(completed['stream']['chunkCount']).toBe(chunks.length);
  return { text: chunks.map((f) => f['stream']['delta']).join(''), completed };
}

