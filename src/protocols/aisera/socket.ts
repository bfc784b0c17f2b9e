import { CoreError } from '../../core/errors.js';
import type { ConnectionHandler, Link, UpgradeRoute } from '../../core/ports/link.js';
import { AiseraConnection } from './connection.js';
import type { AiseraHandler, AiseraRuntime } from './handler.js';

/** Start an Aisera connection over any socket transport (raw WebSocket here, Socket.IO in the gateway). */
export const aiseraConnector =
  (rt: AiseraRuntime, handler: AiseraHandler) =>
  (link: Link, origin: string | undefined): ConnectionHandler =>
    new AiseraConnection(rt, handler, link, origin);

/**
 * `GET /api/ws`: the raw WebSocket endpoint. No credentials at the upgrade — the token travels in every
 * request — but a `channelId` query parameter lets a browser's origin be refused (403) before any socket exists.
 */
export function aiseraSocketRoute(rt: AiseraRuntime, handler: AiseraHandler): UpgradeRoute {
  const connect = aiseraConnector(rt, handler);
  return {
    path: '/api/ws',
    protocol: 'aisera',
    ownOrigins: true,
    async accept(url, origin) {
      const channelId = url.searchParams.get('channelId');
      if (channelId !== null && origin !== undefined) {
        const channel = await rt.directory.channel(channelId);
        if (!channel) return new CoreError('CHANNEL_NOT_FOUND');
        if (!channel.origins.includes('*') && !channel.origins.includes(origin)) return new CoreError('ORIGIN_NOT_ALLOWED');
      }
      return (link) => connect(link, origin);
    },
  };
}
