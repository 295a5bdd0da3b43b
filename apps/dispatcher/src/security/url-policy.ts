// Webhook URLs are untrusted input (SSRF). Registration refuses what is unsafe and stores the URL
// normalised; the sender applies the same policy again before each request (a URL stored under an
// older or laxer policy), and the connect-time lookup checks every address DNS actually returned
// with the same classifier, since a public name can resolve (or rebind) to a private address.
// The rules and the alternatives that lost: docs/decisions/0012-ssrf-guard.md.
import ipaddr from 'ipaddr.js';

export interface UrlPolicy {
  /** Development, tests and the demo: allow http:// and any host, address and non-zero port. */
  allowInsecure: boolean;
}

export type ParsedWebhookUrl = { ok: true; url: string } | { ok: false; problem: string };

const MAX_URL_LENGTH = 2048;

/**
 * The URL to store for `raw` (WHATWG serialisation, fragment dropped), or why it may not be a
 * webhook URL.
 */
export function parseWebhookUrl(raw: unknown, policy: UrlPolicy): ParsedWebhookUrl {
  const problem = (text: string): ParsedWebhookUrl => ({ ok: false, problem: text });
  if (typeof raw !== 'string' || raw.trim() === '') return problem('url is required');
  if (raw.length > MAX_URL_LENGTH) return problem(`url must be at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return problem(`url "${raw}" is not a valid absolute URL`);
  }
  // The WHATWG parser silently drops tabs and newlines and trims spaces and controls; a URL that
  // holds them was meant as something else (header injection, a parser-confusion trick).
  const unsafe = UNSAFE_CHARACTER.exec(raw);
  if (unsafe) {
    const code = unsafe[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    return problem(
      `url must not contain whitespace or control characters (U+${code} at position ${unsafe.index}); percent-encode them`,
    );
  }
  if (raw.includes('\\')) return problem('url must not contain a backslash; use /');
  if (url.protocol !== 'https:' && !(policy.allowInsecure && url.protocol === 'http:')) {
    return problem(policy.allowInsecure ? 'url must use https:// or http://' : 'url must use https://');
  }
  if (url.username || url.password) return problem('url must not contain credentials');
  if (url.port === '0') return problem('url port 0 is not a port');
  if (!policy.allowInsecure) {
    const refused = hostProblem(url.hostname) ?? portProblem(url.port);
    if (refused !== null) return problem(refused);
  }
  // A fragment is never sent over HTTP: dropped rather than refused.
  url.hash = '';
  const normalised = url.href;
  if (normalised.length > MAX_URL_LENGTH)
    return problem(`url must be at most ${MAX_URL_LENGTH} characters once normalised`);
  return { ok: true, url: normalised };
}

/** Why `raw` may not be a webhook URL, or null when it may (stored as `parseWebhookUrl` returns it). */
export function webhookUrlProblem(raw: unknown, policy: UrlPolicy): string | null {
  const parsed = parseWebhookUrl(raw, policy);
  return parsed.ok ? null : parsed.problem;
}

// C0 and C1 controls, DEL, and every Unicode space, zero-width space and BOM.
const UNSAFE_CHARACTER =
  /[\u0000-\u0020\u007f-\u00a0\u1680\u180e\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]/;

function hostProblem(hostname: string): string | null {
  if (hostname.startsWith('[')) {
    const ip = hostname.slice(1, -1);
    const why = addressProblem(ip);
    return why === null
      ? null
      : `url host ${ip} is ${why}; only globally routable unicast addresses are allowed`;
  }
  // WHATWG has already turned every IPv4 spelling (2130706433, 0177.0.0.1, 0x7f.1, 127.1) into a dotted quad.
  if (ipaddr.IPv4.isValidFourPartDecimal(hostname)) {
    const why = addressProblem(hostname);
    return why === null
      ? null
      : `url host ${hostname} is ${why}; only globally routable unicast addresses are allowed`;
  }
  return hostNameProblem(hostname);
}

/**
 * Names that never reach a public receiver, refused at registration (the connect-time check would
 * refuse most of them anyway, once they resolve): the name itself and every name under it.
 */
export const NON_PUBLIC_NAME_SUFFIXES: Readonly<Record<string, string>> = {
  localhost: 'loopback (RFC 6761)',
  localdomain: 'a local-only default domain',
  local: 'multicast DNS on the local link (RFC 6762)',
  internal: 'reserved for private networks (ICANN, 2024)',
  'home.arpa': 'a home network (RFC 8375)',
  arpa: 'DNS infrastructure, not a host',
  onion: 'a Tor onion service (RFC 7686)',
  alt: 'outside the DNS (RFC 9476)',
  invalid: 'never resolvable (RFC 6761)',
  lan: 'a private-network name never delegated in the DNS',
  intranet: 'a private-network name never delegated in the DNS',
  private: 'a private-network name never delegated in the DNS',
  corp: 'a private-network name ICANN will not delegate',
  home: 'a private-network name ICANN will not delegate',
  mail: 'a private-network name ICANN will not delegate',
  svc: 'a Kubernetes service name',
  consul: 'a Consul service name',
  // Public wildcard services whose names exist to point at a given, usually private, address.
  'localtest.me': 'a public name that resolves to loopback',
  'lvh.me': 'a public name that resolves to loopback',
  'vcap.me': 'a public name that resolves to loopback',
  'nip.io': 'a wildcard name that resolves to the address written in it',
  'sslip.io': 'a wildcard name that resolves to the address written in it',
  'xip.io': 'a wildcard name that resolves to the address written in it',
};

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Why a host name (WHATWG-normalised: lower case, IDN as punycode) may not be a webhook's host. */
function hostNameProblem(host: string): string | null {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  const labels = name.split('.');
  for (let i = 0; i < labels.length; i++) {
    const suffix = labels.slice(i).join('.');
    const why = NON_PUBLIC_NAME_SUFFIXES[suffix];
    if (why !== undefined)
      return `url host "${host}" is not publicly reachable: ${i === 0 ? '' : `*.${suffix} is `}${why}`;
  }
  if (labels.length === 1)
    return `url host "${host}" is a single-label name, which only resolves on a local network; use a fully qualified public name`;
  if (host.endsWith('.')) return `url host "${host}" must not end with a dot`;
  if (name.length > 253 || !labels.every((label) => LABEL.test(label)))
    return `url host "${host}" is not a valid DNS name`;
  return null;
}

/**
 * Well-known ports of internal services above 1023, refused even on public addresses: a POST there
 * can only be a cross-protocol attack, often on our own infrastructure exposed on a public address.
 */
export const REFUSED_SERVICE_PORTS: Readonly<Record<number, string>> = {
  1080: 'SOCKS',
  1433: 'SQL Server',
  1521: 'Oracle',
  2049: 'NFS',
  2181: 'ZooKeeper',
  2375: 'Docker',
  2376: 'Docker',
  2379: 'etcd',
  2380: 'etcd',
  3306: 'MySQL',
  3389: 'RDP',
  4369: 'Erlang port mapper',
  5432: 'PostgreSQL',
  5672: 'AMQP',
  5984: 'CouchDB',
  6379: 'Redis',
  6443: 'Kubernetes API',
  8500: 'Consul',
  9042: 'Cassandra',
  9092: 'Kafka',
  9200: 'Elasticsearch',
  9300: 'Elasticsearch',
  10250: 'kubelet',
  11211: 'memcached',
  27017: 'MongoDB',
};

/** The port policy: 443 (the default) or 1024–65535, less the internal service ports above. */
function portProblem(port: string): string | null {
  if (port === '') return null;
  const number = Number(port);
  if (number < 1024 && number !== 443)
    return `url port ${number} is refused: use 443 or a port from 1024 to 65535`;
  const service = REFUSED_SERVICE_PORTS[number];
  if (service !== undefined)
    return `url port ${number} is refused: it is a well-known internal service port (${service})`;
  return null;
}

const RANGE_NAMES: Readonly<Record<string, string>> = {
  unspecified: 'an unspecified address',
  broadcast: 'a broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address (cloud metadata lives there)',
  loopback: 'a loopback address',
  carrierGradeNat: 'a carrier-grade NAT address (100.64.0.0/10)',
  private: 'a private address (RFC 1918)',
  reserved: 'a reserved address (documentation, benchmarking, the 6to4 relay, IETF protocols or future use)',
  as112: 'an AS112 DNS sink address',
  amt: 'an AMT relay anycast address',
  uniqueLocal: 'a unique-local address (fc00::/7)',
  deprecatedSiteLocal: 'a site-local address (fec0::/10)',
  discard: 'a discard-only address (100::/64)',
  rfc6145: 'an IPv4-translated address (::ffff:0:0:0/96)',
  '6to4': 'a 6to4 address (2002::/16), tunnelled to the IPv4 address it embeds',
  teredo: 'a Teredo address (2001::/32), tunnelled to the IPv4 addresses it embeds',
  benchmarking: 'a benchmarking address (2001:2::/48)',
  as112v6: 'an AS112 DNS sink address',
  deprecatedOrchid: 'an ORCHID identifier, not a routable address',
  orchid2: 'an ORCHID identifier, not a routable address',
  droneRemoteIdProtocolEntityTags: 'a drone remote ID tag, not a routable address',
  segmentRouting: 'a segment-routing SID (5f00::/16)',
};

const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

/**
 * Why `ip` is not a globally routable unicast address, or null when it is. Two IPv6 forms reach
 * exactly the IPv4 address they embed and are judged by it: IPv4-mapped (::ffff:a.b.c.d) and the
 * well-known NAT64 prefix (64:ff9b::/96, what DNS64 answers in IPv6-only networks). Every other
 * transition form is refused outright: 6to4, Teredo, local-use NAT64 (64:ff9b:1::/48, whose
 * embedding is network-specific), IPv4-translated and IPv4-compatible (::a.b.c.d).
 */
export function addressProblem(ip: string): string | null {
  if (!ipaddr.isValid(ip)) return 'not an IP address';
  const address = ipaddr.parse(ip);
  if (address.kind() === 'ipv4') {
    const range: string = address.range();
    return range === 'unicast' ? null : (RANGE_NAMES[range] ?? `a ${range} address`);
  }
  const v6 = address as ipaddr.IPv6;
  const range: string = v6.range();
  if (range === 'ipv4Mapped' || (range === 'rfc6052' && v6.match(NAT64_WELL_KNOWN))) {
    const v4 = ipaddr.fromByteArray(v6.toByteArray().slice(12));
    const embedded = addressProblem(v4.toString());
    if (embedded === null) return null;
    const form = range === 'ipv4Mapped' ? 'an IPv4-mapped' : 'a NAT64 (64:ff9b::/96)';
    return `${form} form of ${v4.toString()}, ${embedded}`;
  }
  if (range === 'rfc6052') return 'a local-use NAT64 address (64:ff9b:1::/48)';
  if (range !== 'unicast') return RANGE_NAMES[range] ?? `a ${range} address`;
  // Outside 2000::/3 nothing is allocated as global unicast (::/8 holds the IPv4-compatible form).
  if (v6.parts[0] < 0x2000 || v6.parts[0] > 0x3fff) return 'outside the global unicast space (2000::/3)';
  return null;
}

/** True when `ip` is a globally routable unicast address (not loopback, private, link-local, …). */
export function isPublicAddress(ip: string): boolean {
  return addressProblem(ip) === null;
}
