import net from 'node:net';

/** A list of CIDRs (or single addresses) that an address is checked against, IPv4-mapped IPv6 included. */
export interface AddressList {
  /** As configured, normalised: `127.0.0.0/8`, `::1/128`. */
  readonly cidrs: readonly string[];
  has(address: string): boolean;
}

/** Senders whose answer is kept; past this many, the list starts over (a spoofed flood cannot grow it). */
const MAX_ANSWERS = 4_096;

export class AddressListError extends Error {}

/** Parses a comma list of CIDRs and addresses (`127.0.0.0/8, ::1, 10.1.2.3`); throws AddressListError naming a bad entry. */
export function parseAddressList(text: string): AddressList {
  const cidrs: string[] = [];
  const list = new net.BlockList();
  for (const raw of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [address = '', prefix, extra] = raw.split('/');
    const family = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : null;
    const max = family === 'ipv4' ? 32 : 128;
    const bits = prefix === undefined ? max : Number(prefix);
    if (family === null || extra !== undefined || (prefix !== undefined && !/^\d{1,3}$/.test(prefix)) || bits > max) {
      throw new AddressListError(`"${raw}" is not an address or a CIDR such as 10.0.0.0/8 or fd00::/8`);
    }
    list.addSubnet(address, bits, family);
    cidrs.push(`${address}/${bits}`);
  }
  // Each UDP datagram is checked, and a BlockList check costs ~2 µs: the answers for recent senders are kept.
  const answers = new Map<string, boolean>();
  return Object.freeze({
    cidrs: Object.freeze(cidrs),
    has(address: string): boolean {
      let answer = answers.get(address);
      if (answer === undefined) {
        // node's BlockList matches an IPv4-mapped IPv6 address (::ffff:127.0.0.1) against IPv4 subnets.
        answer = net.isIPv4(address) ? list.check(address, 'ipv4') : net.isIPv6(address) && list.check(address, 'ipv6');
        if (answers.size >= MAX_ANSWERS) answers.clear();
        answers.set(address, answer);
      }
      return answer;
    },
  });
}
