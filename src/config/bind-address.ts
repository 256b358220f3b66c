import dns from 'node:dns/promises';
import net from 'node:net';

/** An IP literal (v4, v6, or bracketed v6) on the loopback interface. */
export function isLoopbackAddress(addr: string): boolean {
  const a = addr.startsWith('[') && addr.endsWith(']') ? addr.slice(1, -1) : addr;
  if (net.isIPv4(a)) return a.split('.')[0] === '127';
  if (net.isIPv6(a)) {
    const lower = a.toLowerCase();
    if (lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    return mapped !== null && isLoopbackAddress(mapped[1]);
  }
  return false;
}

export const isIpLiteral = (h: string): boolean => net.isIP(h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h) !== 0;

/**
 * Whether binding `host` keeps the daemon on loopback. A name counts only when every
 * address it resolves to is loopback (`127.evil.example` is a name like any other, and
 * the listener would bind whatever it resolves to); a name that does not resolve is not
 * loopback.
 */
export async function bindsLoopbackOnly(host: string, lookup: (h: string) => Promise<Array<{ address: string }>> = defaultLookup): Promise<boolean> {
  if (isIpLiteral(host)) return isLoopbackAddress(host);
  let addrs: Array<{ address: string }>;
  try {
    addrs = await lookup(host);
  } catch {
    return false;
  }
  return addrs.length > 0 && addrs.every((a) => isLoopbackAddress(a.address));
}

const defaultLookup = (h: string) => dns.lookup(h, { all: true });

export const noKeyMessage = (host: string): string =>
  `refusing to listen on ${host} without an API key: anyone who can reach it could spend your subscription. ` +
  `Set --api-key-file, MAXPROXY_API_KEY or --api-key, or bind 127.0.0.1.`;

/** Throws when the resolved host is not loopback-only and no key is set. */
export async function checkBindNeedsKey(host: string, apiKey: string | undefined): Promise<void> {
  if (apiKey) return;
  if (!(await bindsLoopbackOnly(host))) throw new Error(noKeyMessage(host));
}
