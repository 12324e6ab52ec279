// Reads a Prometheus text-format scrape (GET /metrics) back into numbers.

/** Every sample of a scrape by series, written as it appears: `name` or `name{label="value",…}`. */
export function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const space = line.lastIndexOf(' ')
    samples.set(line.slice(0, space), Number(line.slice(space + 1)))
  }
  return samples
}

/** GET /metrics of a server at `origin`, parsed; fails unless it answers 200. */
export async function scrape(origin: string, token?: string): Promise<Map<string, number>> {
  const response = await fetch(`${origin}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} })
  const text = await response.text()
  if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}: ${text}`)
  return parseMetrics(text)
}

/** Scrapes until `done` holds for the samples (a gauge catching up with a close, a recorded delivery). */
export async function scrapeUntil(
  origin: string,
  token: string | undefined,
  done: (samples: Map<string, number>) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const samples = await scrape(origin, token)
    if (done(samples)) return samples
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}; last scrape: ${JSON.stringify([...samples].filter(([k]) => k.startsWith('departures_')))}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
