// Preloaded into a server by `npm run bench -- --alloc` (`node --import bench/alloc-hook.mjs …`): the first
// SIGWINCH starts V8's sampling heap profiler — objects the GC has since collected included, so the profile
// counts every allocation, not only what survives — and the second stops it and writes the profile to
// .bench/profile/alloc-<pid>.heapprofile. Imported as `alloc-hook.mjs?survivors`, objects that a young-
// generation GC collected are left out: what remains was promoted (or born old), the old generation's work.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

const session = new Session();
session.connect();
const survivors = new URL(import.meta.url).searchParams.has('survivors');
let sampling = false;
process.on('SIGWINCH', async () => {
  if (!sampling) {
    sampling = true;
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 512,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: !survivors,
    });
    return;
  }
  sampling = false;
  const { profile } = await session.post('HeapProfiler.stopSampling');
  writeFileSync(new URL(`../.bench/profile/alloc-${process.pid}.heapprofile`, import.meta.url), JSON.stringify(profile));
});
