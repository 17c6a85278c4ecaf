// SendGrid transport tests. SendGrid cannot be reached from here; these run against
// test/support/sendgrid-standin.ts, a local HTTP server that enforces the documented
// v3 Mail Send contract (auth, personalizations, content order, string-only
// custom_args/headers, 202 + X-Message-Id, 400/401/429/5xx error shapes).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../engine/clock.ts';
import { PermanentError, TransientError } from '../../engine/errors.ts';
import { SendGridTransport, retryAfterMsFromHeaders } from '../../engine/delivery/index.ts';
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
    transport = new SendGridTransport({ apiKey: standin.apiKey, baseUrl: standin.baseUrl, clock });
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

  it('two members with the same subject and body still get one request each, each with their own headers', async () => {
    const shared = { subject: 'Meetup tonight', html: '<p>See you at 7</p>', text: 'See you at 7' };
    const msgs = [makeMessage(shared), makeMessage(shared)];
    for (const m of msgs) await transport.send(m);
    expect(standin.requests).toHaveLength(2);
    for (const m of msgs) {
      const d = standin.deliveries.find((x) => x.messageId === m.messageId);
      expect(d?.to).toBe(m.to.email);
      expect(d?.headers['list-unsubscribe']).toBe(m.headers['List-Unsubscribe']);
      expect(d?.customArgs.sendLogId).toBe(m.tags.sendLogId);
    }
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
