import { builder } from './builder.js'
import { DomainError, ERROR_CODES } from '../domain/errors.js'

export const ErrorCodeEnum = builder.enumType('ErrorCode', { values: ERROR_CODES })

export const ErrorInterface = builder.interfaceRef<DomainError>('Error').implement({
  fields: (t) => ({
    code: t.field({ type: ErrorCodeEnum, resolve: (e) => e.code }),
    message: t.exposeString('message'),
  }),
})

builder.objectType(DomainError, {
  name: 'DomainError',
  description:
    'A domain rule refused the operation. Every mutation result union has it; more specific error types may be added beside it.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof DomainError,
})
