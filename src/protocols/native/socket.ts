import { credentialStamp } from '../../auth/agent-token.js';
import type { Tickets } from '../../auth/tickets.js';
import { CoreError } from '../../core/errors.js';
import type { UpgradeRoute } from '../../core/ports/link.js';
import type { Board } from './board.js';
import { AgentConnection } from './connection.js';
import type { NativeRuntime } from './runtime.js';

/**
 * `GET /api/agent/ws?ticket=…`: the agent console's socket. The one-time ticket (`POST /api/agent/ticket`)
 * is redeemed during the HTTP upgrade; an unknown, used or expired one gets a 401 and no socket, and so does
 * one whose agent's password changed since the sign-in.
 */
export function agentSocketRoute(tickets: Tickets, rt: NativeRuntime, board: Board): UpgradeRoute {
  return {
    path: '/api/agent/ws',
    protocol: 'native',
    async accept(url) {
      const ticket = await tickets.redeemAgent(url.searchParams.get('ticket'));
      if (!ticket) return new CoreError('TICKET_INVALID');
      const account = await rt.accounts.agent(ticket.agentId);
      if (!account) return new CoreError('UNAUTHORIZED');
      const credential = credentialStamp(account.passwordHash);
      if (ticket.credential !== undefined && ticket.credential !== credential) return new CoreError('AGENT_PASSWORD_CHANGED');
      return (link) => new AgentConnection(rt, board, link, account, credential);
    },
  };
}
