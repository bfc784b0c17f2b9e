// Preloaded into the measured server (`node --expose-gc --import bench/gc-hook.mjs …`) so that the
// benchmark can force a full GC before sampling idle RSS: SIGUSR2 → global.gc(). Nothing else.
// Deliberately does no I/O in the handler (at the fd limit, opening a file would throw).
process.on('SIGUSR2', () => {
  if (typeof globalThis.gc === 'function') globalThis.gc();
});
