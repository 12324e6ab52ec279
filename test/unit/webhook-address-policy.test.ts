import dns from 'node:dns'
import type { LookupAddress } from 'node:dns'
import { afterEach, describe, expect, test, vi } from 'vitest'
import {
  assertAllowedHost,
  guardedLookup,
  isPublicAddress,
  WebhookAddressRefused,
} from '../../src/webhooks/address-policy.js'

const table: Array<[address: string, isPublic: boolean, what: string]> = [
  ['8.8.8.8', true, 'a public IPv4 address'],
  ['1.1.1.1', true, 'a public IPv4 address'],
  ['172.15.255.255', true, 'just below 172.16/12'],
  ['172.32.0.0', true, 'just above 172.16/12'],
  ['100.63.255.255', true, 'just below CGNAT'],
  ['100.128.0.0', true, 'just above CGNAT'],
  ['198.17.255.255', true, 'just below the benchmark range'],
  ['198.20.0.0', true, 'just above the benchmark range'],
  ['223.255.255.255', true, 'just below multicast'],
  ['0.0.0.0', false, 'unspecified'],
  ['0.1.2.3', false, '"this network"'],
  ['127.0.0.1', false, 'loopback'],
  ['127.255.255.254', false, 'loopback'],
  ['10.0.0.1', false, 'private'],
  ['172.16.0.1', false, 'private'],
  ['172.31.255.255', false, 'private'],
  ['192.168.1.1', false, 'private'],
  ['169.254.169.254', false, 'link-local (cloud metadata)'],
  ['100.64.0.1', false, 'CGNAT'],
  ['100.127.255.255', false, 'CGNAT'],
  ['198.18.0.1', false, 'benchmark'],
  ['198.19.255.255', false, 'benchmark'],
  ['192.0.0.8', false, 'IETF protocol assignments'],
  ['192.0.2.1', false, 'TEST-NET-1'],
  ['198.51.100.7', false, 'TEST-NET-2'],
  ['203.0.113.9', false, 'TEST-NET-3'],
  ['224.0.0.1', false, 'multicast'],
  ['239.255.255.250', false, 'multicast'],
  ['240.0.0.1', false, 'reserved'],
  ['255.255.255.255', false, 'broadcast'],
  ['2606:4700:4700::1111', true, 'a public IPv6 address'],
  ['2a00:1450:4001:80b::200e', true, 'a public IPv6 address'],
  ['::1', false, 'IPv6 loopback'],
  ['::', false, 'IPv6 unspecified'],
  ['fc00::1', false, 'unique local'],
  ['fd12:3456:789a::1', false, 'unique local'],
  ['fe80::1', false, 'link-local'],
  ['fe80::1%eth0', false, 'link-local with a zone index'],
  ['febf:ffff::1', false, 'link-local, top of the range'],
  ['ff02::1', false, 'multicast'],
  ['2001:db8::1', false, 'documentation'],
  ['2001:db8:ffff::1', false, 'documentation'],
  ['::ffff:127.0.0.1', false, 'IPv4-mapped loopback'],
  ['::ffff:7f00:1', false, 'IPv4-mapped loopback in hex'],
  ['::ffff:10.1.2.3', false, 'IPv4-mapped private'],
  ['::ffff:169.254.169.254', false, 'IPv4-mapped link-local'],
  ['0:0:0:0:0:ffff:c0a8:0101', false, 'IPv4-mapped private, uncompressed'],
  ['::ffff:8.8.8.8', true, 'IPv4-mapped public'],
  ['::127.0.0.1', false, 'IPv4-compatible loopback'],
  ['::8.8.8.8', true, 'IPv4-compatible public'],
  ['64:ff9b::a00:1', false, 'NAT64 of a private address'],
  ['2002:7f00:1::', false, '6to4 of loopback'],
  ['localhost', false, 'a name, not an address'],
  ['', false, 'empty'],
  ['[::1]', false, 'a bracketed literal is not an address'],
  ['256.1.1.1', false, 'not an address'],
]

describe('isPublicAddress', () => {
  test.each(table)('%s is public: %s (%s)', (address, isPublic) => {
    expect(isPublicAddress(address)).toBe(isPublic)
  })
})

describe('assertAllowedHost', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  test('a public IP literal is allowed without resolving it', async () => {
    const lookup = vi.spyOn(dns.promises, 'lookup')
    await expect(assertAllowedHost('8.8.8.8', false)).resolves.toBeUndefined()
    await expect(assertAllowedHost('[2606:4700:4700::1111]', false)).resolves.toBeUndefined()
    expect(lookup).not.toHaveBeenCalled()
  })

  test('private literals are refused with the address in the message', async () => {
    await expect(assertAllowedHost('127.0.0.1', false)).rejects.toThrow(
      'refusing 127.0.0.1: loopback, private and link-local addresses are not allowed (WEBHOOK_ALLOW_PRIVATE)',
    )
    await expect(assertAllowedHost('[::1]', false)).rejects.toBeInstanceOf(WebhookAddressRefused)
  })

  test('localhost is refused unless private addresses are allowed', async () => {
    await expect(assertAllowedHost('localhost', false)).rejects.toBeInstanceOf(WebhookAddressRefused)
    await expect(assertAllowedHost('localhost', true)).resolves.toBeUndefined()
  })

  test('a name with one private address among public ones is refused', async () => {
    vi.spyOn(dns.promises, 'lookup').mockResolvedValue([
      { address: '93.184.215.14', family: 4 },
      { address: '10.0.0.5', family: 4 },
    ] as LookupAddress[] as never)
    const error = await assertAllowedHost('mixed.example', false).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WebhookAddressRefused)
    expect((error as WebhookAddressRefused).address).toBe('10.0.0.5')
  })

  test('a name that does not resolve is a plain error, even when private addresses are allowed', async () => {
    const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' })
    vi.spyOn(dns.promises, 'lookup').mockRejectedValue(notFound)
    const error = await assertAllowedHost('nowhere.invalid', true).catch((e: unknown) => e)
    expect(error).not.toBeInstanceOf(WebhookAddressRefused)
    expect((error as Error).message).toBe('could not resolve nowhere.invalid')
  })
})

describe('guardedLookup', () => {
  type Answer = { error: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }

  function lookup(allowPrivate: boolean, hostname: string, options: dns.LookupOptions) {
    return new Promise<Answer>((resolve) =>
      guardedLookup(allowPrivate)(hostname, options, (error, address, family) => resolve({ error, address, family })),
    )
  }

  test('refuses a name resolving to loopback', async () => {
    const { error } = await lookup(false, 'localhost', { all: true })
    expect(error).toBeInstanceOf(WebhookAddressRefused)
  })

  test('answers with every address when node asks for all', async () => {
    const { error, address } = await lookup(true, 'localhost', { all: true, family: 4 })
    expect(error).toBeNull()
    expect(address).toEqual([{ address: '127.0.0.1', family: 4 }])
  })

  test('answers with one address and its family otherwise', async () => {
    const { error, address, family } = await lookup(true, 'localhost', { family: 4 })
    expect(error).toBeNull()
    expect(address).toBe('127.0.0.1')
    expect(family).toBe(4)
  })
})
