import { isPublicAddress, webhookUrlProblem } from './url-policy';

const strict = { allowInsecure: false };
const dev = { allowInsecure: true };

describe('webhookUrlProblem', () => {
  it('accepts a public https URL', () => {
    expect(webhookUrlProblem('https://hooks.example.com/vowchat?x=1', strict)).toBeNull();
  });

  it.each([
    ['http://hooks.example.com/x', 'url must use https://'],
    ['ftp://hooks.example.com/x', 'url must use https://'],
    ['not a url', 'url "not a url" is not a valid absolute URL'],
    ['', 'url is required'],
    ['https://user:pw@hooks.example.com/', 'url must not contain credentials'],
    ['https://localhost:3000/x', 'url host "localhost" is not publicly reachable'],
    ['https://127.0.0.1/x', 'url host 127.0.0.1 is a private, loopback or reserved address'],
    ['https://10.1.2.3/x', 'url host 10.1.2.3 is a private, loopback or reserved address'],
    [
      'https://169.254.169.254/latest/meta-data',
      'url host 169.254.169.254 is a private, loopback or reserved address',
    ],
    ['https://[::1]/x', 'url host ::1 is a private, loopback or reserved address'],
  ])('refuses %s', (url, problem) => {
    expect(webhookUrlProblem(url, strict)).toBe(problem);
  });

  it('allows http and loopback only when the development setting is on', () => {
    expect(webhookUrlProblem('http://127.0.0.1:4000/hook', dev)).toBeNull();
    expect(webhookUrlProblem('ftp://127.0.0.1/hook', dev)).toBe('url must use https:// or http://');
  });
});

describe('isPublicAddress', () => {
  it.each(['8.8.8.8', '1.1.1.1', '2606:4700::1111'])('%s is public', (ip) =>
    expect(isPublicAddress(ip)).toBe(true),
  );
  it.each([
    '127.0.0.1',
    '10.0.0.1',
    '172.20.1.1',
    '192.168.1.1',
    '169.254.169.254',
    '::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '0.0.0.0',
    'nonsense',
  ])('%s is not public', (ip) => expect(isPublicAddress(ip)).toBe(false));
});
