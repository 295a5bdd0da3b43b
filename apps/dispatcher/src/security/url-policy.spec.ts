import { ACCEPTED_URLS, HOSTILE_URLS } from '../../../../test/support/hostile-urls';
import { addressProblem, isPublicAddress, parseWebhookUrl, webhookUrlProblem } from './url-policy';

const strict = { allowInsecure: false };
const dev = { allowInsecure: true };

describe('parseWebhookUrl, at registration', () => {
  it('has a table of at least 50 hostile URLs', () => {
    expect(HOSTILE_URLS.length).toBeGreaterThanOrEqual(50);
  });

  it.each(HOSTILE_URLS.map((row) => [row.why, row.url]))('refuses %s: %j', (_why, url) => {
    const parsed = parseWebhookUrl(url, strict);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problem).toMatch(/^url /);
  });

  it.each(ACCEPTED_URLS.map((row) => [row.url, row.stored]))('accepts %j, stored as %j', (url, stored) => {
    expect(parseWebhookUrl(url, strict)).toEqual({ ok: true, url: stored });
  });

  it.each([
    ['http://hooks.example.com/x', 'url must use https://'],
    ['ftp://hooks.example.com/x', 'url must use https://'],
    ['not a url', 'url "not a url" is not a valid absolute URL'],
    ['', 'url is required'],
    ['https://user:pw@hooks.example.com/', 'url must not contain credentials'],
    ['https://hooks.example.com:0/', 'url port 0 is not a port'],
    [
      'https://hooks.example.com/\r\nX-Injected: 1',
      'url must not contain whitespace or control characters (U+000D at position 26); percent-encode them',
    ],
    ['https://hooks.example.com\\x', 'url must not contain a backslash; use /'],
    ['https://localhost:3000/x', 'url host "localhost" is not publicly reachable: loopback (RFC 6761)'],
    ['https://localhost./x', 'url host "localhost." is not publicly reachable: loopback (RFC 6761)'],
    [
      'https://localhost.localdomain/x',
      'url host "localhost.localdomain" is not publicly reachable: *.localdomain is a local-only default domain',
    ],
    [
      'https://metadata/x',
      'url host "metadata" is a single-label name, which only resolves on a local network; use a fully qualified public name',
    ],
    [
      'https://metadata.google.internal/x',
      'url host "metadata.google.internal" is not publicly reachable: *.internal is reserved for private networks (ICANN, 2024)',
    ],
    ['https://hooks.example.com./x', 'url host "hooks.example.com." must not end with a dot'],
    ['https://a..example.com/x', 'url host "a..example.com" is not a valid DNS name'],
    [
      'https://127.0.0.1/x',
      'url host 127.0.0.1 is a loopback address; only globally routable unicast addresses are allowed',
    ],
    [
      'https://0x7f.1/x',
      'url host 127.0.0.1 is a loopback address; only globally routable unicast addresses are allowed',
    ],
    [
      'https://169.254.169.254/latest/meta-data',
      'url host 169.254.169.254 is a link-local address (cloud metadata lives there); only globally routable unicast addresses are allowed',
    ],
    [
      'https://[::ffff:127.0.0.1]/x',
      'url host ::ffff:7f00:1 is an IPv4-mapped form of 127.0.0.1, a loopback address; only globally routable unicast addresses are allowed',
    ],
    [
      'https://[2002:7f00:1::]/x',
      'url host 2002:7f00:1:: is a 6to4 address (2002::/16), tunnelled to the IPv4 address it embeds; only globally routable unicast addresses are allowed',
    ],
    ['https://hooks.example.com:25/x', 'url port 25 is refused: use 443 or a port from 1024 to 65535'],
    [
      'https://hooks.example.com:6379/x',
      'url port 6379 is refused: it is a well-known internal service port (Redis)',
    ],
  ])('refuses %j: %s', (url, problem) => {
    expect(webhookUrlProblem(url, strict)).toBe(problem);
  });

  it('allows http, loopback, local names and any non-zero port only when the development setting is on', () => {
    expect(parseWebhookUrl('http://127.0.0.1:4000/hook#x', dev)).toEqual({
      ok: true,
      url: 'http://127.0.0.1:4000/hook',
    });
    expect(webhookUrlProblem('http://localhost:9/hook', dev)).toBeNull();
    expect(webhookUrlProblem('ftp://127.0.0.1/hook', dev)).toBe('url must use https:// or http://');
    expect(webhookUrlProblem('http://127.0.0.1:0/hook', dev)).toBe('url port 0 is not a port');
    expect(webhookUrlProblem('http://u:p@127.0.0.1/hook', dev)).toBe('url must not contain credentials');
    expect(webhookUrlProblem('http://127.0.0.1/\r\n', dev)).toMatch(/control characters/);
  });

  it('refuses a URL that grows past the length limit once normalised', () => {
    const raw = `https://hooks.example.com/${'é'.repeat(700)}`;
    expect(raw.length).toBeLessThan(2048);
    expect(webhookUrlProblem(raw, strict)).toBe('url must be at most 2048 characters once normalised');
  });
});

describe('addressProblem', () => {
  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '2606:4700::1111',
    '2a00:1450:4001::1',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
  ])('%s is public', (ip) => {
    expect(addressProblem(ip)).toBeNull();
    expect(isPublicAddress(ip)).toBe(true);
  });

  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['0.0.0.0', 'an unspecified address'],
    ['10.0.0.1', 'a private address (RFC 1918)'],
    ['172.20.1.1', 'a private address (RFC 1918)'],
    ['192.168.1.1', 'a private address (RFC 1918)'],
    ['100.64.0.1', 'a carrier-grade NAT address (100.64.0.0/10)'],
    ['192.88.99.1', expect.stringMatching(/^a reserved address/)],
    ['198.18.0.1', expect.stringMatching(/^a reserved address/)],
    ['255.255.255.255', 'a broadcast address'],
    ['::1', 'a loopback address'],
    ['::', 'an unspecified address'],
    ['fd00::1', 'a unique-local address (fc00::/7)'],
    ['fec0::1', 'a site-local address (fec0::/10)'],
    ['100::1', 'a discard-only address (100::/64)'],
    ['::ffff:0:7f00:1', 'an IPv4-translated address (::ffff:0:0:0/96)'],
    ['::7f00:1', 'outside the global unicast space (2000::/3)'],
    ['::ffff:10.0.0.1', 'an IPv4-mapped form of 10.0.0.1, a private address (RFC 1918)'],
    [
      '64:ff9b::a9fe:a9fe',
      expect.stringMatching(/^a NAT64 \(64:ff9b::\/96\) form of 169.254.169.254, a link-local/),
    ],
    ['64:ff9b:1::808:808', 'a local-use NAT64 address (64:ff9b:1::/48)'],
    ['2002:808:808::', expect.stringMatching(/^a 6to4 address/)],
    ['2001:0:808:808::', expect.stringMatching(/^a Teredo address/)],
    ['nonsense', 'not an IP address'],
  ])('%s is %p', (ip, problem) => {
    expect(addressProblem(ip)).toEqual(problem);
    expect(isPublicAddress(ip)).toBe(false);
  });
});
