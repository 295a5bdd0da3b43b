import { EVENT_TYPES } from '@vowchat/events';
import { parsePublishExamplesArgs, UsageError } from './publish-examples-options';

const defaultTopics = {
  conversations: 'vowchat.conversations',
  messages: 'vowchat.messages',
  typing: 'vowchat.typing',
};

describe('parsePublishExamplesArgs', () => {
  it('defaults to all 8 examples for account 11, straight to Kafka', () => {
    expect(parsePublishExamplesArgs([], {})).toEqual({
      account: { id: 11, name: 'My Company' },
      events: [...EVENT_TYPES],
      target: { kind: 'kafka', brokers: ['127.0.0.1:9092'], topics: defaultTopics },
    });
  });

  it('takes brokers and topic names from the environment', () => {
    const options = parsePublishExamplesArgs([], {
      KAFKA_BROKERS: 'k1:9092,k2:9092',
      KAFKA_TOPIC_MESSAGES: 'm',
    });
    expect(options).toMatchObject({
      target: { kind: 'kafka', brokers: ['k1:9092', 'k2:9092'], topics: { ...defaultTopics, messages: 'm' } },
    });
  });

  it('selects events, comma-separated or repeated, without duplicates', () => {
    const options = parsePublishExamplesArgs(
      [
        '--event',
        'message_created,conversation_created',
        '--event',
        'message_created',
        '--event',
        'conversation_typing_on',
      ],
      {},
    );
    expect(options).toMatchObject({
      events: ['message_created', 'conversation_created', 'conversation_typing_on'],
    });
  });

  it('reads the account', () => {
    expect(parsePublishExamplesArgs(['--account-id', '42', '--account-name', 'Acme'], {})).toMatchObject({
      account: { id: 42, name: 'Acme' },
    });
  });

  it('publishes through the HTTP API with --via and the token from the environment or --token', () => {
    expect(
      parsePublishExamplesArgs(['--via', 'http://127.0.0.1:3000/'], { PRODUCER_API_TOKEN: 'env-token' }),
    ).toMatchObject({
      target: { kind: 'http', baseUrl: 'http://127.0.0.1:3000', token: 'env-token' },
    });
    expect(
      parsePublishExamplesArgs(['--via', 'http://127.0.0.1:3000', '--token', 'flag'], {
        PRODUCER_API_TOKEN: 'env',
      }),
    ).toMatchObject({ target: { token: 'flag' } });
  });

  it('answers help', () => {
    expect(parsePublishExamplesArgs(['--help'], {})).toBe('help');
  });

  it.each([
    [
      ['--event', 'contact_created'],
      `unknown event "contact_created" in --event; choose from ${EVENT_TYPES.join(', ')}`,
    ],
    [['--event', ','], '--event needs at least one event name'],
    [['--account-id', 'x'], '--account-id must be a positive integer, got "x"'],
    [['--account-id', '0'], '--account-id must be a positive integer, got "0"'],
    [['--via', 'localhost:3000'], '--via must be an http:// or https:// URL, got "localhost:3000"'],
    [
      ['--via', 'nonsense'],
      `--via must be the producer's URL, such as http://127.0.0.1:3000, got "nonsense"`,
    ],
    [
      ['--via', 'http://127.0.0.1:3000'],
      "--via needs the producer's API token: set PRODUCER_API_TOKEN or pass --token",
    ],
    [['--token', 't'], '--token is only used with --via'],
  ])('refuses %j', (argv, message) => {
    expect(() => parsePublishExamplesArgs(argv, {})).toThrow(new UsageError(message));
  });

  it('refuses an unknown option, pointing at --help', () => {
    expect(() => parsePublishExamplesArgs(['--acount-id', '3'], {})).toThrow(
      /--acount-id.*; run with --help for the options$/,
    );
  });
});
