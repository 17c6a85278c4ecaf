// SendGrid transport tests. SendGrid cannot be reached from here; these run against
// test/support/sendgrid-standin.ts, a local HTTP server that enforces the documented
// v3 Mail Send contract (auth, personalizations, content order, string-only
// custom_args/headers, 202 + X-Message-Id, 400/401/429/5xx error shapes).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../engine/clock.ts';
import { PermanentError, TransientError } from '../../engine/errors.ts';
import { SendGridTransport, groupForBatch, retryAfterMsFromHeaders } from '../../engine/delivery/index.ts';
import { SendGridStandin, validateMailSend } from '../support/sendgrid-standin.ts';
import { makeMessage, runTransportContract } from './transport-contract.ts';

const clock = new ManualClock('2025-03-10T12:00:00Z');

runTransportContract('sendgrid', async () => {
  const standin = await SendGridStandin.start();
  return {
    transport: new SendGridTransport({ apiKey: standin.apiKey, baseUrl: standin.baseUrl, clock }),
    delivered: async () => standin.deliveries,
    failFor: (message, kind) =>
      standin.respond(kind === 'transient' ? { status: 503, recipient: message.to.email } : { status: 400, recipient: message.to.email, message: 'Does not contain a valid address.' }),
    dispose: () => standin.close(),
  };
});

describe('sendgrid transport against the v3 stand-in', () => {
  let standin: SendGridStandin;
  let transport: SendGridTransport;
  beforeAll(async () => {
    standin = await SendGridStandin.start();
    transport = new SendGridTransport({ apiKey: standin.apiKey, baseUrl: standin.baseUrl, clock, concurrency: 3 });
  });
  beforeEach(() => standin.reset());
  afterAll(async () => {
    await transport.close();
    await standin.close();
  });

  it('returns the X-Message-Id as providerId and carries the send-log correlation in custom_args', async () => {
    const msg = makeMessage();
    const { providerId } = await transport.send(msg);
    const d = standin.deliveries[0];
    expect(providerId).toBe(d?.xMessageId);
    expect(d?.customArgs).toEqual({ sendLogId: msg.tags.sendLogId, campaign: 'onboarding', step: 'welcome' });
  });

  it('sends text/plain before text/html, as the API requires', async () => {
    await transport.send(makeMessage());
    expect((standin.requests[0]?.content as Array<{ type: string }>).map((c) => c.type)).toEqual(['text/plain', 'text/html']);
  });

  it('a 429 with Retry-After is transient and says how long to wait', async () => {
    standin.respond({ status: 429, retryAfterSeconds: 7, times: 1 });
    const err = await transport.send(makeMessage()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).retryAfterMs).toBe(7000);
  });

  it('a 429 with only X-RateLimit-Reset waits until the reset time', async () => {
    standin.respond({ status: 429, rateLimitResetEpochSeconds: clock.now().getTime() / 1000 + 30, times: 1 });
    const err = await transport.send(makeMessage()).catch((e: unknown) => e);
    expect((err as TransientError).retryAfterMs).toBe(30_000);
  });

  it.each([500, 502, 503] as const)('a %i is transient', async (status) => {
    standin.respond({ status, times: 1 });
    await expect(transport.send(makeMessage())).rejects.toBeInstanceOf(TransientError);
  });

  it('a wrong API key is a permanent configuration error that does not suppress the member', async () => {
    const bad = new SendGridTransport({ apiKey: 'SG.wrong', baseUrl: standin.baseUrl, clock });
    try {
      const err = await bad.send(makeMessage()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PermanentError);
      expect((err as PermanentError).suppress).toBe(false);
      expect((err as PermanentError).code).toBe('SENDGRID_AUTH');
    } finally {
      await bad.close();
    }
  });

  it('a 403 (key lacks the mail.send scope) is permanent and not suppressing', async () => {
    standin.respond({ status: 403, times: 1 });
    const err = await transport.send(makeMessage()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).suppress).toBe(false);
  });

  it('a 400 is permanent and carries the API error message', async () => {
    const err = await transport.send(makeMessage({ headers: { Subject: 'sneaky' } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toMatch(/reserved/);
  });

  it('a batch of identical bodies goes out as one request with one personalization per member', async () => {
    const shared = { subject: 'Meetup tonight', html: '<p>See you at 7</p>', text: 'See you at 7' };
    const msgs = Array.from({ length: 5 }, () => makeMessage(shared));
    const results = await transport.sendBatch(msgs);
    expect(standin.requests).toHaveLength(1);
    expect(results.every((r) => !(r instanceof Error))).toBe(true);
    for (const m of msgs) {
      const d = standin.deliveries.find((x) => x.messageId === m.messageId);
      expect(d?.to).toBe(m.to.email);
      expect(d?.headers['list-unsubscribe']).toBe(m.headers['List-Unsubscribe']);
      expect(d?.customArgs.sendLogId).toBe(m.tags.sendLogId);
    }
  });

  it('personalised bodies are sent one request each', async () => {
    const msgs = Array.from({ length: 4 }, () => makeMessage());
    const results = await transport.sendBatch(msgs);
    expect(standin.requests).toHaveLength(4);
    expect(results.map((r) => (r instanceof Error ? 'err' : 'ok'))).toEqual(['ok', 'ok', 'ok', 'ok']);
  });

  it('one bad address in a shared request fails only that member, the others are delivered', async () => {
    const shared = { subject: 'Same', html: '<p>same</p>', text: 'same' };
    const good = [makeMessage(shared), makeMessage(shared)];
    const bad = makeMessage({ ...shared, to: { email: 'not-an-address' } });
    const results = await transport.sendBatch([good[0]!, bad, good[1]!]);
    expect(results[0]).not.toBeInstanceOf(Error);
    expect(results[1]).toBeInstanceOf(PermanentError);
    expect(results[2]).not.toBeInstanceOf(Error);
    expect(standin.deliveries.map((d) => d.to).sort()).toEqual([good[0]!.to.email, good[1]!.to.email].sort());
  });

  it('a transient failure of a shared request is reported for each of its members', async () => {
    const shared = { subject: 'S', html: '<p>s</p>', text: 's' };
    standin.respond({ status: 503, times: 1 });
    const results = await transport.sendBatch([makeMessage(shared), makeMessage(shared)]);
    expect(results.every((r) => r instanceof TransientError)).toBe(true);
  });
});

describe('groupForBatch', () => {
  const shared = { subject: 'S', html: '<p>s</p>', text: 's' };
  it('groups identical bodies and keeps personalised ones apart', () => {
    const a = makeMessage(shared), b = makeMessage(shared), c = makeMessage(), d = makeMessage(shared);
    expect(groupForBatch([a, b, c, d])).toEqual([[0, 1, 3], [2]]);
  });
  it('never puts the same address twice in one request', () => {
    const to = { email: 'same@example.org' };
    expect(groupForBatch([makeMessage({ ...shared, to }), makeMessage({ ...shared, to })])).toEqual([[0], [1]]);
  });
  it('splits at the personalization limit', () => {
    const msgs = Array.from({ length: 5 }, () => makeMessage(shared));
    expect(groupForBatch(msgs, 2)).toEqual([[0, 1], [2, 3], [4]]);
  });
});

describe('retryAfterMsFromHeaders', () => {
  const now = new Date('2025-03-10T12:00:00Z');
  it('reads Retry-After seconds', () => expect(retryAfterMsFromHeaders({ 'retry-after': '12' }, now)).toBe(12_000));
  it('reads a Retry-After HTTP date', () => expect(retryAfterMsFromHeaders({ 'Retry-After': 'Mon, 10 Mar 2025 12:01:00 GMT' }, now)).toBe(60_000));
  it('reads X-RateLimit-Reset epoch seconds', () => expect(retryAfterMsFromHeaders({ 'x-ratelimit-reset': String(now.getTime() / 1000 + 5) }, now)).toBe(5000));
  it('never returns a negative wait', () => expect(retryAfterMsFromHeaders({ 'x-ratelimit-reset': '1' }, now)).toBe(0));
  it('is undefined without usable headers', () => expect(retryAfterMsFromHeaders({ 'retry-after': 'soon' }, now)).toBeUndefined());
});

describe('the stand-in enforces the v3 contract', () => {
  const valid = () => ({
    personalizations: [{ to: [{ email: 'a@example.org' }] }],
    from: { email: 'devrel@flywheel.example' },
    subject: 'Hi',
    content: [{ type: 'text/plain', value: 'hi' }, { type: 'text/html', value: '<p>hi</p>' }],
  });
  it('accepts a minimal valid request', () => expect(validateMailSend(valid())).toEqual([]));
  it('requires at least one personalization', () => expect(validateMailSend({ ...valid(), personalizations: [] })[0]?.field).toBe('personalizations'));
  it('refuses more than 1000 personalizations', () => {
    const ps = Array.from({ length: 1001 }, (_, i) => ({ to: [{ email: `m${i}@example.org` }] }));
    expect(validateMailSend({ ...valid(), personalizations: ps }).some((e) => /limited to 1000/.test(e.message))).toBe(true);
  });
  it('refuses html before text', () => expect(validateMailSend({ ...valid(), content: [{ type: 'text/html', value: '<p>x</p>' }, { type: 'text/plain', value: 'x' }] })).not.toEqual([]));
  it('refuses non-string custom_args', () => expect(validateMailSend({ ...valid(), custom_args: { n: 1 } })[0]?.field).toBe('custom_args.n'));
  it('refuses a missing subject unless every personalization has one', () => {
    const { subject: _s, ...noSubject } = valid();
    expect(validateMailSend(noSubject)[0]?.field).toBe('subject');
    expect(validateMailSend({ ...noSubject, personalizations: [{ to: [{ email: 'a@example.org' }], subject: 'per' }] })).toEqual([]);
  });
  it('refuses the same address twice', () => {
    const ps = [{ to: [{ email: 'a@example.org' }] }, { to: [{ email: 'A@example.org' }] }];
    expect(validateMailSend({ ...valid(), personalizations: ps })).toHaveLength(1);
  });
});
