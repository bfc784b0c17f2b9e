import type { Tickets } from '../../auth/tickets.js';
import { CoreError } from '../../core/errors.js';
import type { Directory } from '../../core/ports/directory.js';
import type { UpgradeRoute } from '../../core/ports/link.js';
import { KoreConnection, type KoreRuntime } from './connection.js';
import { absoluteUrl } from './http.js';

/**
 * `GET /rtm/bot?sid=…[&isReconnect=true]`: the WebSocket URL `rtm/start` handed out. The one-time
 * ticket is redeemed during the HTTP upgrade; an unknown, used or expired one gets a 401 and no socket.
 */
export function koreSocketRoute(tickets: Tickets, directory: Directory, rt: KoreRuntime): UpgradeRoute {
  return {
    path: '/rtm/bot',
    protocol: 'kore',
    async accept(url) {
      const claims = await tickets.redeem(url.searchParams.get('sid'));
      if (!claims) return new CoreError('TICKET_INVALID');
      const bot = await directory.bot(claims.botId);
      if (!bot) return new CoreError('BOT_NOT_FOUND');
      // The Web SDK appends the literal "&isReconnect=true" on every automatic reconnect.
      const isReconnect = url.searchParams.getAll('isReconnect').includes('true');
      const view = {
        deviceId: claims.deviceId,
        botInfo: { chatBot: bot.name, taskBotId: bot.id },
        icon: bot.icon !== undefined ? absoluteUrl(bot.icon, url.origin) : undefined,
      };
      return (link) => new KoreConnection(rt, link, claims, view, isReconnect);
    },
  };
}
