import { builder } from './builder.js'
import { ErrorInterface } from './error.js'
import { RateLimitedError } from '../domain/errors.js'

builder.objectType(RateLimitedError, {
  name: 'RateLimitedError',
  description: 'The caller repeats mutations faster than its limit allows. code is ERR_RATE_LIMITED.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof RateLimitedError,
  fields: (t) => ({
    retryAfterSeconds: t.exposeInt('retryAfterSeconds', {
      description: 'Seconds until the same mutation would be accepted again (at least 1).',
    }),
  }),
})
