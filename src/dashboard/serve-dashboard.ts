// GET /dashboard: a page for operators that follows exits live (issue 12). Its browser code is
// TypeScript in src/dashboard/browser, bundled with esbuild on the first request and kept as
// bytes, so `npm start` (which runs build/) and the tests (which run src/) serve the same page
// without a separate build step. Everything the page needs comes from this origin: the page
// carries its CSS inline and its script from /dashboard/app.js, and its Content-Security-Policy
// lets it connect nowhere else.
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { fileURLToPath } from 'node:url'
import type { Logger } from '../operations/logger.js'

export const dashboardPath = '/dashboard'
const scriptPath = '/dashboard/app.js'

// The same from src/dashboard/ and from build/dashboard/: the browser code is always bundled
// from its TypeScript sources.
const browserDir = fileURLToPath(new URL('../../src/dashboard/browser/', import.meta.url))

interface Asset {
  body: Buffer
  contentType: string
  etag: string
  headers: Record<string, string>
  /** For the page: the hash its Content-Security-Policy allows its inline style by. */
  styleHash?: string
}

interface Assets {
  page: Asset
  script: Asset
}

let assets: Promise<Assets> | undefined

/** The page and its script, bundled once per process (a failed bundle is tried again next time). */
export function dashboardAssets(graphqlPath: string): Promise<Assets> {
  assets ??= bundleDashboard(graphqlPath).catch((error: unknown) => {
    assets = undefined
    throw error
  })
  return assets
}

async function bundleDashboard(graphqlPath: string): Promise<Assets> {
  // Loaded here, not at the top: a server nobody opens the dashboard on never loads esbuild.
  const esbuild = await import('esbuild')
  const result = await esbuild.build({
    absWorkingDir: browserDir,
    entryPoints: ['main.ts'],
    outdir: 'out',
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: ['chrome111', 'firefox111', 'safari16.4'],
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  })
  // The esbuild service process is not needed again in this process.
  await esbuild.stop()
  const output = (extension: string) => {
    const file = result.outputFiles.find((f) => f.path.endsWith(extension))
    if (!file) throw new Error(`esbuild produced no ${extension} file for the dashboard`)
    return file.text
  }
  const css = output('.css')
  const template = await readFile(`${browserDir}index.html`, 'utf8')
  const html = template
    .replace('<!--style-->', () => `<style>${css}</style>`)
    .replace('<!--script-->', () => `<script type="module" src="${scriptPath}"></script>`)
    .replace('<!--graphql-path-->', () => escapeAttribute(graphqlPath))
  const styleHash = createHash('sha256').update(css).digest('base64')
  return {
    page: asset(html, 'text/html; charset=utf-8', { 'Referrer-Policy': 'no-referrer' }, styleHash),
    script: asset(output('.js'), 'text/javascript; charset=utf-8', {}),
  }
}

const hostHeader = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/

/**
 * The page may run its own script and inline style, and connect to this origin only. Browsers
 * that do not count ws:/wss: as 'self' (older Safari) are given this host's WebSocket URLs.
 */
function contentSecurityPolicy(styleHash: string, host: string | undefined): string {
  const webSockets = host && hostHeader.test(host) ? ` ws://${host} wss://${host}` : ''
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'sha256-${styleHash}'`,
    `connect-src 'self'${webSockets}`,
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}

function asset(text: string, contentType: string, headers: Record<string, string>, styleHash?: string): Asset {
  const body = Buffer.from(text, 'utf8')
  return { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`, headers, styleHash }
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')
}

/** Serves the dashboard's paths; answers false for any other path, leaving the request alone. */
export function dashboardRoutes(graphqlPath: string, log: Logger): (req: IncomingMessage, res: ServerResponse, path: string) => boolean {
  return (req, res, path) => {
    const which = path === dashboardPath || path === `${dashboardPath}/` ? 'page' : path === scriptPath ? 'script' : undefined
    if (!which) return false
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('method not allowed')
      return true
    }
    dashboardAssets(graphqlPath).then(
      (bundled) => send(req, res, bundled[which]),
      (error: unknown) => {
        log.error({ err: error }, 'could not bundle the dashboard')
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('the dashboard could not be built; see the server log')
      },
    )
    return true
  }
}

function send(req: IncomingMessage, res: ServerResponse, { body, contentType, etag, headers, styleHash }: Asset): void {
  const common: Record<string, string> = { ETag: etag, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff', ...headers }
  if (styleHash) common['Content-Security-Policy'] = contentSecurityPolicy(styleHash, req.headers.host)
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, common).end()
    return
  }
  res.writeHead(200, { ...common, 'Content-Type': contentType, 'Content-Length': String(body.length) }).end(req.method === 'HEAD' ? undefined : body)
}
