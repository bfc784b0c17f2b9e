/**
 * Every port implementation passes its port's conformance suite (src/core/testing).
 * To add an implementation, add a row to the tables in ./implementations.ts.
 */
import { busSuite } from '../../src/core/testing/bus-suite.js';
import { ephemeralSuite } from '../../src/core/testing/ephemeral-suite.js';
import { sequencerSuite } from '../../src/core/testing/sequencer-suite.js';
import { storeSuite } from '../../src/core/testing/store-suite.js';
import { busImplementations, ephemeralImplementations, sequencerImplementations, storeImplementations } from './implementations.js';
import { conformance } from './register.js';

await conformance('ConversationStore', storeSuite, storeImplementations);
await conformance('Sequencer', sequencerSuite, sequencerImplementations);
await conformance('Bus', busSuite, busImplementations);
await conformance('EphemeralStore', ephemeralSuite, ephemeralImplementations);
