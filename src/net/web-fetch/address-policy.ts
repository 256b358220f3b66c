import ipaddr from 'ipaddr.js';

/**
 * Which addresses the daemon's web fetch may connect to: public unicast only. The fetch
 * runs on the user's machine, so anything that reaches the machine itself or its
 * networks (loopback, link-local with the cloud metadata service, RFC 1918, unique-local,
 * CGNAT, multicast, reserved and documentation ranges, IPv6 forms that embed an IPv4
 * address) is refused. There is deliberately no switch to widen this (docs/decisions/095).
 */

/** Why an address is refused, or undefined when it is public unicast. */
export function refusedAddress(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6') {
    const v6 = ip as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) ip = v6.toIPv4Address();
    else {
      // ::a.b.c.d (IPv4-compatible, deprecated) is not a range ipaddr.js names.
      if (v6.match(ipaddr.IPv6.parse('::'), 96)) return 'IPv4-compatible IPv6';
      // 2000::/3 is the only global unicast IPv6 space.
      if (!v6.match(ipaddr.IPv6.parse('2000::'), 3)) return `IPv6 outside global unicast (${v6.range()})`;
    }
  }
  const range = ip.range();
  return range === 'unicast' ? undefined : range;
}

/** IP literal hostnames as the WHATWG URL parser leaves them: IPv6 in brackets, IPv4 normalised. */
export function ipLiteral(hostname: string): string | undefined {
  const h = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return ipaddr.isValid(h) && (h.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(h)) ? h : undefined;
}

/** Names that mean this machine whatever DNS says (RFC 6761), trailing dot or not. */
export function isLocalName(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.+$/, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === 'localhost.localdomain' || h.endsWith('.local') || h.endsWith('.internal') || h === '';
}
