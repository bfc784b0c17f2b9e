import assert from 'node:assert/strict';
import type { AppRecord, ChannelRecord } from '../ports/directory.js';
import type { Tenancy } from '../ports/tenancy.js';
import type { Suite } from './suite.js';

export interface TenancyCtx {
  /** Two handles on the same database (the CLI and a server, or two nodes). */
  readonly writer: Tenancy;
  readonly reader: Tenancy;
}

let n = 0;
const unique = (what: string) => `${what}-${process.pid}-${Date.now()}-${++n}`;

const app = (over: Partial<AppRecord> = {}): AppRecord => ({
  clientId: unique('cs'),
  name: 'Test app',
  clientSecret: 'a-client-secret-of-some-length',
  algorithms: ['HS256', 'HS512'],
  botIds: ['st-1', 'st-2'],
  ...over,
});

/** What every Tenancy must do. */
export const tenancySuite: Suite<TenancyCtx> = [
  {
    name: 'an app written by one handle is read back by the other, field for field',
    async run({ writer, reader }) {
      const hs = app();
      const rs: AppRecord = {
        clientId: unique('cs'),
        name: 'RSA app',
        publicKey: '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n',
        algorithms: ['RS256'],
        botIds: ['st-3'],
      };
      await writer.createApp(hs, 1_700_000_000_000);
      await writer.createApp(rs, 1_700_000_000_001);
      assert.deepEqual(await reader.app(hs.clientId), hs);
      assert.deepEqual(await reader.app(rs.clientId), rs);
      assert.equal(await reader.app(unique('cs')), null);
      const listed = (await reader.apps()).map((a) => a.clientId);
      assert.ok(listed.indexOf(hs.clientId) >= 0 && listed.indexOf(hs.clientId) < listed.indexOf(rs.clientId), 'apps() oldest first');
      assert.equal(await writer.deleteApp(hs.clientId), true);
      assert.equal(await writer.deleteApp(hs.clientId), false);
      assert.equal(await reader.app(hs.clientId), null);
    },
  },
  {
    name: 'blocks and suspensions apply to every handle',
    async run({ writer, reader }) {
      const bot = unique('st');
      assert.equal(await reader.isBlocked(bot, 'u-1'), false);
      await writer.block(bot, 'u-1', 'someone@example.com', 1);
      await writer.block(bot, 'u-1', null, 2);
      assert.equal(await reader.isBlocked(bot, 'u-1'), true);
      assert.equal(await reader.isBlocked(bot, 'u-2'), false);
      assert.equal(await writer.unblock(bot, 'u-1'), true);
      assert.equal(await writer.unblock(bot, 'u-1'), false);
      assert.equal(await reader.isBlocked(bot, 'u-1'), false);

      assert.equal(await reader.suspended(bot), undefined);
      await writer.setSuspended(bot, true);
      assert.equal(await reader.suspended(bot), true);
      await writer.setSuspended(bot, false);
      assert.equal(await reader.suspended(bot), false);
    },
  },
  {
    name: 'a channel written by one handle is read back by the other, field for field; deleting it moves the revision',
    async run({ writer, reader }) {
      const full: ChannelRecord = { id: unique('ch'), botId: 'st-1', name: 'Web', keyHash: 'ab'.repeat(32), origins: ['https://a.example', '*'], idleTimeoutSec: 300 };
      const bare: ChannelRecord = { id: unique('ch'), botId: 'st-2', name: 'IVR', keyHash: 'cd'.repeat(32), origins: [] };
      const r0 = await reader.revision();
      await writer.createChannel(full, 1_700_000_000_000);
      await writer.createChannel(bare, 1_700_000_000_001);
      assert.ok((await reader.revision()) > r0, 'createChannel');
      assert.deepEqual(await reader.channel(full.id), full);
      assert.deepEqual(await reader.channel(bare.id), bare);
      assert.equal(await reader.channel(unique('ch')), null);
      const listed = (await reader.channels()).map((c) => c.id);
      assert.ok(listed.indexOf(full.id) >= 0 && listed.indexOf(full.id) < listed.indexOf(bare.id), 'channels() oldest first');
      const r1 = await reader.revision();
      assert.equal(await writer.deleteChannel(full.id), true);
      assert.equal(await writer.deleteChannel(full.id), false);
      assert.equal(await reader.channel(full.id), null);
      assert.ok((await reader.revision()) > r1, 'deleteChannel');
    },
  },
  {
    name: 'the revision moves with every change and only then',
    async run({ writer, reader }) {
      const r0 = await reader.revision();
      assert.equal(await reader.revision(), r0);
      const a = app();
      await writer.createApp(a, 1);
      const r1 = await reader.revision();
      assert.ok(r1 > r0, 'createApp');
      await writer.block('st-1', unique('u'), null, 1);
      const r2 = await reader.revision();
      assert.ok(r2 > r1, 'block');
      await writer.setSuspended(unique('st'), true);
      const r3 = await reader.revision();
      assert.ok(r3 > r2, 'setSuspended');
      await writer.deleteApp(a.clientId);
      assert.ok((await reader.revision()) > r3, 'deleteApp');
    },
  },
];
