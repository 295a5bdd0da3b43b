import { BreakerOpenError, EndpointBreakers } from './endpoint-breakers';

const settings = { errorThresholdPercentage: 50, windowMs: 10_000, volumeThreshold: 4, resetTimeoutMs: 100 };
const fail = () => Promise.reject(new Error('HTTP 500'));
const succeed = () => Promise.resolve('ok');

describe('EndpointBreakers', () => {
  let breakers: EndpointBreakers;
  let changes: string[];

  beforeEach(() => {
    changes = [];
    breakers = new EndpointBreakers(settings, (c) => changes.push(`${c.webhookId}:${c.state}`));
  });
  afterEach(() => breakers.close());

  it('opens after the failure rate passes the threshold with enough volume, then short-circuits', async () => {
    for (let i = 0; i < 4; i++) await expect(breakers.run('w1', 1, fail)).rejects.toThrow('HTTP 500');
    expect(breakers.state('w1')).toBe('open');
    const action = jest.fn(succeed);
    await expect(breakers.run('w1', 1, action)).rejects.toBeInstanceOf(BreakerOpenError);
    expect(action).not.toHaveBeenCalled();
    expect(changes).toEqual(['w1:open']);
  });

  it('stays closed below the minimum volume', async () => {
    for (let i = 0; i < 3; i++) await expect(breakers.run('w1', 1, fail)).rejects.toThrow();
    expect(breakers.state('w1')).toBe('closed');
  });

  it('lets one probe through after the cool-down, and closes on its success', async () => {
    for (let i = 0; i < 4; i++) await expect(breakers.run('w1', 1, fail)).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(breakers.state('w1')).toBe('half_open');
    let releaseProbe!: (v: string) => void;
    const probe = breakers.run('w1', 1, () => new Promise<string>((resolve) => (releaseProbe = resolve)));
    await expect(breakers.run('w1', 1, succeed)).rejects.toBeInstanceOf(BreakerOpenError);
    releaseProbe('ok');
    await expect(probe).resolves.toBe('ok');
    expect(breakers.state('w1')).toBe('closed');
    expect(changes).toEqual(['w1:open', 'w1:half_open', 'w1:closed']);
  });

  it('keeps endpoints independent', async () => {
    for (let i = 0; i < 4; i++) await expect(breakers.run('dead', 1, fail)).rejects.toThrow();
    await expect(breakers.run('healthy', 1, succeed)).resolves.toBe('ok');
    expect(breakers.state('healthy')).toBe('closed');
    expect(breakers.openCount).toBe(1);
  });
});
