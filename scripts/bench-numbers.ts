/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]
}

export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 0.5)
}

export function round(value: number, decimals: number): number {
  const factor = 10 ** decimals
  return Math.round(value * factor) / factor
}

export function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i)
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  return range(Math.ceil(items.length / size)).map((i) => items.slice(i * size, (i + 1) * size))
}
