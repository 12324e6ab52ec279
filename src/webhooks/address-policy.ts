import dns from 'node:dns'
import { BlockList, isIP, type LookupFunction } from 'node:net'

// A webhook URL is chosen by a client, so without this policy the server could be made to POST
// into its own network (SSRF): the database, cloud metadata at 169.254.169.254, admin ports.
const nonPublicV4 = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"; 0.0.0.0 connects to the local host on most systems
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, where cloud metadata services live
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // TEST-NET-1
  ['192.88.99.0', 24], // retired 6to4 relay anycast
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // TEST-NET-2
  ['203.0.113.0', 24], // TEST-NET-3
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and 255.255.255.255 broadcast
] as const) {
  nonPublicV4.addSubnet(net, prefix, 'ipv4')
}

const nonPublicV6 = new BlockList()
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['100::', 64], // discard-only
  ['2001:2::', 48], // benchmarking
  ['2001:db8::', 32], // documentation
  ['3fff::', 20], // documentation (RFC 9637)
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // deprecated site-local, still routed internally by some networks
  ['ff00::', 8], // multicast
] as const) {
  nonPublicV6.addSubnet(net, prefix, 'ipv6')
}

/** True when `ip` is an IPv4 or IPv6 address reachable on the public internet; false for anything else. */
export function isPublicAddress(ip: string): boolean {
  // A zone index (fe80::1%eth0) only ever accompanies link-local addresses; BlockList does not accept it.
  const address = ip.includes('%') ? ip.slice(0, ip.indexOf('%')) : ip
  switch (isIP(address)) {
    case 4:
      return !nonPublicV4.check(address, 'ipv4')
    case 6: {
      const embedded = embeddedIPv4(address)
      if (embedded !== undefined) return isPublicAddress(embedded)
      return !nonPublicV6.check(address, 'ipv6')
    }
    default:
      return false
  }
}

export class WebhookAddressRefused extends Error {
  constructor(readonly address: string) {
    super(`refusing ${address}: loopback, private and link-local addresses are not allowed (WEBHOOK_ALLOW_PRIVATE)`)
    this.name = new.target.name
  }
}

/**
 * Throws WebhookAddressRefused unless every address `hostname` resolves to is public (or allowPrivate),
 * and a plain Error when it does not resolve. Meant for validating a URL when it is registered; sending
 * uses guardedLookup, because the name may resolve differently by then.
 */
export async function assertAllowedHost(hostname: string, allowPrivate: boolean): Promise<void> {
  const host = stripBrackets(hostname)
  let addresses: string[]
  if (isIP(host)) {
    addresses = [host]
  } else {
    try {
      addresses = (await dns.promises.lookup(host, { all: true, verbatim: true })).map((entry) => entry.address)
    } catch (cause) {
      throw new Error(`could not resolve ${host}`, { cause })
    }
    if (addresses.length === 0) throw new Error(`could not resolve ${host}`)
  }
  if (allowPrivate) return
  const refused = addresses.find((address) => !isPublicAddress(address))
  if (refused !== undefined) throw new WebhookAddressRefused(refused)
}

/**
 * A `lookup` for node:http(s) and node:net. Checking a name before connecting is not enough: DNS can
 * answer a public address to the check and a private one to the connect (rebinding). Here the address
 * checked is the address the socket connects to.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    // Always ask for every address: with one, a name listing a public and a private address could
    // pass here and then have node's happy-eyeballs connect fall back to the private one.
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, options.all ? [] : '')
      if (addresses.length === 0) {
        const notFound: NodeJS.ErrnoException = new Error(`could not resolve ${hostname}`)
        notFound.code = 'ENOTFOUND'
        return callback(notFound, options.all ? [] : '')
      }
      if (!allowPrivate) {
        const refused = addresses.find((entry) => !isPublicAddress(entry.address))
        if (refused) return callback(new WebhookAddressRefused(refused.address), options.all ? [] : '')
      }
      if (options.all) return callback(null, addresses)
      callback(null, addresses[0].address, addresses[0].family)
    })
  }
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
}

/**
 * The IPv4 address an IPv6 address stands for, when it is one of the forms that reach an IPv4 host:
 * IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4
 * (2002:aabb:ccdd::). Those must pass the IPv4 rules, or ::ffff:127.0.0.1 would be a way to loopback.
 */
function embeddedIPv4(address: string): string | undefined {
  const w = ipv6Words(address)
  const zeros = (from: number, to: number) => w.slice(from, to).every((word) => word === 0)
  if (zeros(0, 5) && (w[5] === 0xffff || w[5] === 0)) return wordsToIPv4(w[6], w[7])
  if (w[0] === 0x64 && w[1] === 0xff9b && zeros(2, 6)) return wordsToIPv4(w[6], w[7])
  if (w[0] === 0x2002) return wordsToIPv4(w[1], w[2])
  return undefined
}

/** The eight 16-bit words of an address isIP already accepted as IPv6. */
function ipv6Words(address: string): number[] {
  const parse = (part: string): number[] => {
    if (part === '') return []
    return part.split(':').flatMap((group) => {
      if (!group.includes('.')) return [parseInt(group, 16)]
      const [a, b, c, d] = group.split('.').map(Number)
      return [(a << 8) | b, (c << 8) | d]
    })
  }
  const gap = address.indexOf('::')
  if (gap === -1) return parse(address)
  const head = parse(address.slice(0, gap))
  const tail = parse(address.slice(gap + 2))
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail]
}

function wordsToIPv4(high: number, low: number): string {
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`
}
