import { readFileSync } from 'node:fs'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { chromiumPath, foreignRequestsOf, launchChromium, pageErrorsOf, screenshotPath } from '../support/chromium.js'
import { startTestServer, type TestServer } from '../support/server.js'

// The README's "Five minutes in GraphiQL", walked in Chromium as a reader would: every document
// is the README's own text, pasted into the editor and run at once (Ctrl+Enter right after the
// paste, before GraphiQL has re-parsed the editor).

const executable = chromiumPath()

/** The README section's documents: its graphql blocks and its inline `mutation { … }` snippets. */
function walkDocuments() {
  const readme = readFileSync('README.md', 'utf8')
  const section = readme.slice(readme.indexOf('## Five minutes in GraphiQL'), readme.indexOf('## Configuration'))
  const blocks = [...section.matchAll(/```graphql\n([\s\S]*?)```/g)].map((match) => match[1]!.trim())
  const inline = (start: string) => {
    const found = [...section.matchAll(/`(mutation \{[^`]*)`/g)].map((match) => match[1]!).find((text) => text.startsWith(start))
    if (!found) throw new Error(`the README's walk has no inline \`${start}…\``)
    return found
  }
  const [createUsers, createGroup, subscribe] = blocks
  if (!createUsers?.includes('createUser') || !createGroup?.includes('createGroup') || !subscribe?.startsWith('subscription')) {
    throw new Error(`the README's walk no longer has its three graphql blocks in order:\n${blocks.join('\n---\n')}`)
  }
  return { createUsers, createGroup, subscribe, joinGroup: inline('mutation { joinGroup'), leaveGroup: inline('mutation { leaveGroup') }
}

describe.skipIf(!executable)('GraphiQL', () => {
  let server: TestServer
  let browser: Browser
  let context: BrowserContext
  const errors: string[] = []
  const foreign: string[][] = []

  beforeAll(async () => {
    server = await startTestServer()
    browser = await launchChromium(executable!)
    context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'], viewport: { width: 1400, height: 900 } })
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  async function openGraphiQL(): Promise<Page> {
    const page = await context.newPage()
    errors.push(...pageErrorsOf(page))
    foreign.push(await foreignRequestsOf(page, new URL(server.url).origin))
    await page.goto(server.url)
    await page.locator('.graphiql-query-editor .monaco-editor').waitFor()
    return page
  }

  /**
   * Replaces an editor's text the way a reader does: select all, paste from the clipboard. Monaco
   * reads the clipboard asynchronously, so this returns once the editor shows `shownAs` (a part of
   * the text on screen): a reader's next key comes after the paste, not before it.
   */
  async function paste(page: Page, editor: Locator, text: string, shownAs: string): Promise<void> {
    await page.evaluate((value) => navigator.clipboard.writeText(value), text)
    await editor.click()
    await page.keyboard.press('ControlOrMeta+A')
    await page.keyboard.press('ControlOrMeta+V')
    const onScreen = async () => ((await editor.locator('.view-lines').textContent()) ?? '').replace(/[\s\u00a0]+/g, ' ')
    await expect.poll(onScreen, { timeout: 5_000, interval: 5 }).toContain(shownAs.replace(/\s+/g, ' '))
  }

  async function useToken(page: Page, token: string): Promise<void> {
    await page.getByRole('button', { name: 'Headers', exact: true }).click()
    await paste(page, page.getByRole('region', { name: 'Headers' }).getByRole('code'), JSON.stringify({ Authorization: `Bearer ${token}` }), token.slice(-12))
  }

  /** Pastes the document over whatever the editor holds and runs it at once. */
  async function pasteAndRun(page: Page, document: string): Promise<void> {
    await paste(page, page.locator('.graphiql-query-editor .monaco-editor'), document, document.split('\n')[0]!.trim().slice(0, 30))
    await page.keyboard.press('ControlOrMeta+Enter')
  }

  async function responseContaining(page: Page, text: string): Promise<string> {
    // Monaco renders spaces as no-break spaces, and wraps long lines.
    const shown = async () => ((await page.locator('.graphiql-response').textContent()) ?? '').replace(/[\s\u00a0]+/g, ' ')
    await expect.poll(shown, { timeout: 10_000 }).toContain(text)
    return shown()
  }

  test('the README walk: a subscription pasted over a mutation and run at once gets the second tab’s leaveGroup', async () => {
    const walk = walkDocuments()
    const admin = await server.token('backend', { admin: true })
    const alice = await server.token('alice')
    const bob = await server.token('bob')

    const first = await openGraphiQL()
    await useToken(first, admin)
    await pasteAndRun(first, walk.createUsers)
    await responseContaining(first, '"uid": "bob"')

    await useToken(first, alice)
    await pasteAndRun(first, walk.createGroup)
    await responseContaining(first, '"guid": "book-club"')

    await useToken(first, bob)
    await pasteAndRun(first, walk.joinGroup)
    await responseContaining(first, '"scope": "PARTICIPANT"')

    // Step 4: Alice's token, and the subscription pasted over the mutation still in the editor.
    await useToken(first, alice)
    await pasteAndRun(first, walk.subscribe)
    await expect.poll(() => server.liveCounts().subscriptions, { timeout: 10_000 }).toBe(1)

    const second = await openGraphiQL()
    await useToken(second, bob)
    await pasteAndRun(second, walk.leaveGroup)
    await responseContaining(second, '"message"')

    const shown = await responseContaining(first, '"exitType": "QUIT"')
    expect(shown).toContain('"uid": "bob"')
    await first.screenshot({ path: screenshotPath('graphiql-walk') })
    expect(errors).toEqual([])
    expect(foreign.flat()).toEqual([])
  })

  test('an answer that is not JSON shows as a readable error, not a JSON parse failure', async () => {
    const page = await openGraphiQL()
    // An HTTP POST of a subscription is what Yoga answers with an empty 406.
    await page.route(server.url, (route) => route.fulfill({ status: 502, contentType: 'text/html', body: '<html><body>Bad gateway</body></html>' }))
    await pasteAndRun(page, '{ __typename }')
    const shown = await responseContaining(page, 'HTTP 502')
    expect(shown).toContain('the server did not answer with JSON')
    expect(shown).toContain('Bad gateway')
    expect(shown).not.toContain('Unexpected end of JSON input')
  })
})
