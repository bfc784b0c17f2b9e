/**
 * Every port implementation passes its port's conformance suite (src/core/testing).
 * To add an implementation, add a row to the tables in ./implementations.ts.
 */
import { busSuite } from '../../src/core/testing/bus-suite.js';
import { ephemeralSuite } from '../../src/core/testing/ephemeral-suite.js';
import { idleTimersSuite } from '../../src/core/testing/idle-timers-suite.js';
import { presenceSuite } from '../../src/core/testing/presence-suite.js';
import { rateLimiterSuite } from '../../src/core/testing/rate-limiter-suite.js';
import { sequencerSuite } from '../../src/core/testing/sequencer-suite.js';
import { storeSuite } from '../../src/core/testing/store-suite.js';
import { tenancySuite } from '../../src/core/testing/tenancy-suite.js';
import { deskStoreSuite } from '../../src/core/testing/desk-store-suite.js';
import {
  busImplementations,
  ephemeralImplementations,
  idleTimersImplementations,
  presenceImplementations,
  rateLimiterImplementations,
  sequencerImplementations,
  storeImplementations,
  tenancyImplementations,
  deskStoreImplementations,
} from './implementations.js';
import { conformance } from './register.js';

await conformance('ConversationStore', storeSuite, storeImplementations);
await conformance('Sequencer', sequencerSuite, sequencerImplementations);
await conformance('Bus', busSuite, busImplementations);
await conformance('EphemeralStore', ephemeralSuite, ephemeralImplementations);
await conformance('RateLimiter', rateLimiterSuite, rateLimiterImplementations);
await conformance('IdleTimers', idleTimersSuite, idleTimersImplementations);
await conformance('Presence', presenceSuite, presenceImplementations);
await conformance('Tenancy', tenancySuite, tenancyImplementations);
await conformance('DeskStore', deskStoreSuite, deskStoreImplementations);
