// Preloaded (node --expose-gc --import tsx --import ./scripts/gc-on-signal.ts) into the processes
// whose memory a benchmark reads: SIGUSR2 runs a full collection, so that RSS is read without
// garbage the collector had not got round to yet. Nothing in src/ knows about it.
const gc = (globalThis as { gc?: () => void }).gc
if (gc) process.on('SIGUSR2', () => gc())
