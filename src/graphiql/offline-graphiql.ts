// GraphiQL, served without a CDN: @graphql-yoga/render-graphiql inlines the whole editor. Its
// graphql-ws client sends an empty connection_init, so a token pasted in the Headers tab would
// reach HTTP requests but never subscriptions. The page therefore gets its own fetcher: queries
// and mutations go over HTTP with the tab's headers, subscriptions over graphql-ws with the tab's
// Authorization header as connection_init's `authorization` (one client per distinct value).
// Which transport is chosen from the operation's text, not from GraphiQL's documentAST: that
// lags a paste, and a subscription pasted and run at once would go out as an HTTP POST.
//
// The editor's module is some 28 MB of source text that V8 keeps for as long as the module is
// loaded, in a server that mostly never shows it. It is therefore loaded only in a worker thread,
// on the first request for the page; the server keeps the finished page's bytes.
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { GraphiQLOptions } from 'graphql-yoga'
import { operationTypeInText } from './operation-type.js'

const require = createRequire(import.meta.url)

/** Yoga's `renderGraphiQL`: the page for the endpoint at `graphqlPath`, rendered once. */
export function offlineGraphiQL(graphqlPath: string): (options: GraphiQLOptions) => Promise<Uint8Array<ArrayBuffer>> {
  let page: Promise<Uint8Array<ArrayBuffer>> | undefined
  return (options) => {
    page ??= renderOfflineGraphiQL(options, graphqlPath).catch((error: unknown) => {
      page = undefined
      throw error
    })
    return page
  }
}

async function renderOfflineGraphiQL(options: GraphiQLOptions, graphqlPath: string): Promise<Uint8Array<ArrayBuffer>> {
  const [page, graphqlWsBrowserClient] = await Promise.all([renderYogaGraphiQLInWorker(options), readGraphqlWsBrowserClient()])
  const optionsJson = JSON.stringify(options)
  const root = '<div id="root"></div>'
  const rootAt = page.indexOf(root)
  const optionsAt = page.lastIndexOf(optionsJson)
  if (rootAt < 0 || optionsAt < rootAt) {
    throw new Error('@graphql-yoga/render-graphiql changed its page layout; update src/graphiql/offline-graphiql.ts')
  }
  const scripts =
    `\n<script id="graphql-ws-client">${graphqlWsBrowserClient}</script>` +
    `\n<script id="departures-graphiql-fetcher">${graphiqlFetcherScript(graphqlPath)}</script>\n`
  return new TextEncoder().encode(
    page.slice(0, rootAt + root.length) +
      scripts +
      page.slice(rootAt + root.length, optionsAt) +
      `Object.assign(${optionsJson}, { fetcher: globalThis.departuresGraphiQLFetcher })` +
      page.slice(optionsAt + optionsJson.length),
  )
}

// CommonJS, as an eval worker runs it: nothing of this project is loaded there.
const renderInWorker = `
const { parentPort, workerData } = require('node:worker_threads')
parentPort.postMessage(require(workerData.modulePath).renderGraphiQL(workerData.options))
`

function renderYogaGraphiQLInWorker(options: GraphiQLOptions): Promise<string> {
  const worker = new Worker(renderInWorker, {
    eval: true,
    workerData: { modulePath: require.resolve('@graphql-yoga/render-graphiql'), options },
  })
  return new Promise<string>((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
    worker.once('exit', (code) => reject(new Error(`the GraphiQL renderer exited with code ${code}`)))
  }).finally(() => void worker.terminate())
}

async function readGraphqlWsBrowserClient(): Promise<string> {
  // The UMD build is not in graphql-ws's exports map; find it next to the resolved entry point.
  return readFile(join(dirname(require.resolve('graphql-ws')), '..', 'umd', 'graphql-ws.min.js'), 'utf8')
}

/** Browser code; defines `globalThis.departuresGraphiQLFetcher` from `graphqlWs` and `location`. */
function graphiqlFetcherScript(endpointPath: string): string {
  return `(function () {
  var endpoint = new URL(${JSON.stringify(endpointPath)}, location.href);
  var wsEndpoint = endpoint.href.replace(/^http/, 'ws');
  var wsClients = new Map();

  function authorizationOf(headers) {
    var value;
    Object.keys(headers || {}).forEach(function (name) {
      if (name.toLowerCase() === 'authorization') value = String(headers[name]);
    });
    return value;
  }

  function wsClientFor(authorization) {
    var key = authorization || '';
    var client = wsClients.get(key);
    if (!client) {
      client = graphqlWs.createClient({
        url: wsEndpoint,
        retryAttempts: 0,
        connectionParams: authorization ? { authorization: authorization } : {},
      });
      wsClients.set(key, client);
    }
    return client;
  }

  var operationTypeInText = ${operationTypeInText.toString()};

  // GraphiQL shows a plain { message } as it is (an Error would add its stack).
  function closeReason(reason) {
    if (reason instanceof Error) return { message: reason.message };
    if (reason && typeof reason.code === 'number') {
      var hint = reason.code === 4403 ? ' (the Authorization header holds a bad token)' : '';
      return { message: 'WebSocket closed with ' + reason.code + ' ' + (reason.reason || '') + hint };
    }
    return { message: String(reason) };
  }

  function subscribeOverWs(params, headers) {
    var client = wsClientFor(authorizationOf(headers));
    return {
      subscribe: function (observer) {
        var unsubscribe = client.subscribe(params, {
          next: function (value) { observer.next(value); },
          error: function (reason) {
            if (Array.isArray(reason)) {
              observer.next({ errors: reason });
              observer.complete();
            } else {
              observer.error(closeReason(reason));
            }
          },
          complete: function () { observer.complete(); },
        });
        return { unsubscribe: unsubscribe };
      },
    };
  }

  globalThis.departuresGraphiQLFetcher = function (params, options) {
    var headers = (options && options.headers) || {};
    if (operationTypeInText(String(params.query || ''), params.operationName) === 'subscription') {
      return subscribeOverWs(params, headers);
    }
    return fetch(endpoint, {
      method: 'POST',
      credentials: 'same-origin',
      headers: Object.assign(
        { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json, application/json' },
        headers
      ),
      body: JSON.stringify(params),
    }).then(readableResponse);
  };

  // A proxy's error page or an empty 4xx/5xx would otherwise show as a JSON parse error.
  function readableResponse(response) {
    return response.text().then(function (text) {
      try {
        return JSON.parse(text);
      } catch (error) {
        var excerpt = text.trim().slice(0, 500);
        return {
          errors: [{
            message: 'HTTP ' + response.status + ' ' + (response.statusText || '') + ': the server did not answer with JSON' +
              (excerpt ? ': ' + excerpt : ' (empty body)'),
          }],
        };
      }
    });
  }
})();`
}
