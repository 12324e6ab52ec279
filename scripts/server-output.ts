// What the server prints when it listens, as benchmarks and tests read it: a JSON log line with
// `url` (and `wsUrl`), or the older plain "GraphiQL and GraphQL over HTTP: <url>" line.

/** The GraphQL endpoint announced by one line of the server's stdout, if it announces it. */
export function listeningUrlIn(line: string): URL | undefined {
  const trimmed = line.trim()
  if (trimmed.startsWith('{')) {
    try {
      const entry = JSON.parse(trimmed) as { url?: unknown }
      return typeof entry.url === 'string' && /^https?:\/\//.test(entry.url) ? new URL(entry.url) : undefined
    } catch {
      return undefined
    }
  }
  const found = /GraphiQL and GraphQL over HTTP: (\S+)/.exec(trimmed)
  return found ? new URL(found[1]) : undefined
}
