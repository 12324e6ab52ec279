// Browser tests drive Debian's chromium through playwright-core (its own browser downloads
// cannot work here). Without a browser they skip with a message on a developer's machine and
// fail in CI (.ci/run installs chromium when it is missing).
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'

const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(
  (path): path is string => Boolean(path),
)

/** The browser's executable, or undefined when none is installed (and this is not CI). */
export function chromiumPath(): string | undefined {
  const found = candidates.find((path) => existsSync(path))
  if (!found && process.env.CI) {
    throw new Error(`no Chromium found (looked at ${candidates.join(', ')}); CI must install it (apt-get install -y chromium)`)
  }
  if (!found) console.log(`No Chromium found (${candidates.join(', ')}): the browser tests are skipped. Install it with apt-get install -y chromium.`)
  return found
}

export async function launchChromium(executablePath: string): Promise<Browser> {
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] })
}

/**
 * Records every request the page makes outside `origin` (the page must work offline: nothing
 * may leave the server's origin). Such requests are aborted, as they would fail offline.
 */
export async function foreignRequestsOf(page: Page, origin: string): Promise<string[]> {
  const foreign: string[] = []
  await page.route('**/*', (route) => {
    const url = route.request().url()
    if (url.startsWith('data:') || url.startsWith('blob:') || new URL(url).origin === origin) return route.continue()
    foreign.push(url)
    return route.abort()
  })
  return foreign
}

/** Collects uncaught page errors and console errors, for tests to assert none happened. */
export function pageErrorsOf(page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`)
  })
  return errors
}

/** tmp/screenshots/<name>.png: screenshots the tests take, to be looked at. */
export function screenshotPath(name: string): string {
  const dir = join(process.cwd(), 'tmp', 'screenshots')
  mkdirSync(dir, { recursive: true })
  return join(dir, `${name}.png`)
}
