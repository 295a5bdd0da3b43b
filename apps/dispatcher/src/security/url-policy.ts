// Webhook URLs are untrusted input (SSRF). Registration refuses what is plainly unsafe; the HTTP
// client checks again at connect time against the addresses DNS actually returned, since a public
// hostname can resolve to a private address.
import { BlockList, isIP } from 'node:net';

export interface UrlPolicy {
  /** Development, tests and the demo: allow http:// and loopback/private targets. */
  allowInsecure: boolean;
}

const MAX_URL_LENGTH = 2048;

/** Why `raw` may not be a webhook URL, or null when it may. */
export function webhookUrlProblem(raw: unknown, policy: UrlPolicy): string | null {
  if (typeof raw !== 'string' || raw.trim() === '') return 'url is required';
  if (raw.length > MAX_URL_LENGTH) return `url must be at most ${MAX_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `url "${raw}" is not a valid absolute URL`;
  }
  if (url.protocol !== 'https:' && !(policy.allowInsecure && url.protocol === 'http:')) {
    return policy.allowInsecure ? 'url must use https:// or http://' : 'url must use https://';
  }
  if (url.username || url.password) return 'url must not contain credentials';
  if (url.hash) return 'url must not contain a #fragment';
  if (policy.allowInsecure) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host.endsWith('.internal') ||
    host.endsWith('.local')
  ) {
    return `url host "${host}" is not publicly reachable`;
  }
  if (isIP(host) && !isPublicAddress(host))
    return `url host ${host} is a private, loopback or reserved address`;
  return null;
}

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 96], // unspecified, loopback and IPv4-compatible (::127.0.0.1)
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
  ['64:ff9b::', 96],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** True when `ip` is a globally routable unicast address (not loopback, private, link-local, …). */
export function isPublicAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return !blocked.check(ip, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    if (mapped) return isPublicAddress(mapped[1]);
    return !blocked.check(ip, 'ipv6');
  }
  return false;
}
