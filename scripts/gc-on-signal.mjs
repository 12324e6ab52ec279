// Preloaded (node --expose-gc --import ./scripts/gc-on-signal.mjs) into the processes whose
// memory a benchmark reads: SIGUSR2 runs a full collection, so that RSS is read without
// garbage the collector had not got round to yet. Nothing in src/ knows about it. Plain
// JavaScript, since the server under test runs without tsx's loader.
const gc = globalThis.gc
if (gc) process.on('SIGUSR2', () => gc())
