// The command-line side the benchmarks share: flags, progress and tables on stderr (stdout is
// for the one JSON line), and the machine the figures come from.
import { cpus } from 'node:os'

export function log(line: string): void {
  console.error(line)
}

export function positiveInteger(name: string, value: string | undefined, fallback: number, usage: string): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(value)}\n${usage}`)
  return n
}

/** --only: one of the two databases, or both. */
export function onlyDatabase(value: string | undefined, usage: string): 'pglite' | 'postgres' | undefined {
  if (value !== undefined && value !== 'pglite' && value !== 'postgres') throw new Error(usage)
  return value
}

/** Right-aligned columns but the first. */
export function logTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  for (const row of [header, ...rows]) log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '))
}

export function machine(): { cpus: number; model: string; node: string } {
  const cpu = cpus()
  return { cpus: cpu.length, model: cpu[0]?.model.trim() ?? 'unknown', node: process.version }
}
