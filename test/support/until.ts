/** Waits until `condition` holds, checking every pollMs; throws naming `what` after timeoutMs. */
export async function until(condition: () => boolean, what: string, { timeoutMs = 5_000, pollMs = 5 } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, pollMs))
  }
}
