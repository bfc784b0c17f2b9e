import { fileURLToPath } from 'node:url';
import type { ConfigFile } from './config/schema.js';

/** The bundled demo bot: an IT helpdesk defined in YAML (bots/helpdesk; docs/dialog.md). */
export const HELPDESK_BOT_DIR = fileURLToPath(new URL('../../bots/helpdesk', import.meta.url));

/**
 * The built-in demo configuration, used when no config file is given: one demo bot and one SDK app
 * whose credentials are public (they are in the README). For local use only.
 */
export const DEMO_BOT_ID = 'st-3f1c2b7e-8a4d-5c9e-9b6f-0d2e4a6c8b10';
export const DEMO_BOT_NAME = 'Colloquy Demo';
export const DEMO_CLIENT_ID = 'cs-5b2a9c4e-1d7f-5e3a-8c6b-2f4d6a8c0e12';
export const DEMO_CLIENT_SECRET = 'demo-secret-local-use-only-5Xq9LwR2vT8mK4pZ';

/** The demo's Aisera channel; its key is public too (`colloquy chat --protocol aisera` uses it by default). */
export const DEMO_CHANNEL_ID = 'f9975e56-84dd-cbfb-e171-1785ae4b1282';
export const DEMO_CHANNEL_KEY = 'ck_demo-local-use-only-7Hn3QeV9pLs2Wd6R';

export const DEMO_CONFIG: ConfigFile = {
  settings: { corsOrigins: ['*'] },
  bots: [{ id: DEMO_BOT_ID, name: DEMO_BOT_NAME, icon: '/demo/bot-icon.svg', definition: HELPDESK_BOT_DIR }],
  apps: [
    {
      clientId: DEMO_CLIENT_ID,
      name: 'Demo web page',
      clientSecret: DEMO_CLIENT_SECRET,
      algorithms: ['HS256', 'HS512'],
      bots: [DEMO_BOT_ID],
    },
  ],
  channels: [{ id: DEMO_CHANNEL_ID, bot: DEMO_BOT_ID, name: 'Demo Aisera channel', key: DEMO_CHANNEL_KEY, origins: ['*'] }],
};
