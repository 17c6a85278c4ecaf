// SMTP transport against a real SMTP server (smtp-server) on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../engine/errors.ts';
import { SmtpTransport, classifySmtpError, providerIdFromSmtpResponse } from '../../engine/delivery/index.ts';
import { SmtpSink } from '../support/smtp-sink.ts';
import { makeMessage, runTransportContract } from './transport-contract.ts';

runTransportContract('smtp', async () => {
  const sink = await SmtpSink.start();
  return {
    transport: new SmtpTransport({ url: sink.url, poolSize: 2, timeoutMs: 5000 }),
    delivered: async () => sink.messages.map((m) => ({ ...m, to: m.to[0] ?? '' })),
    failFor: (message, kind) =>
      sink.respond(kind === 'transient' ? { stage: 'rcpt', recipient: message.to.email, code: 451 } : { stage: 'rcpt', recipient: message.to.email, code: 550 }),
    dispose: () => sink.close(),
  };
});

describe('smtp transport against a scripted server', () => {
  let sink: SmtpSink;
  let transport: SmtpTransport;
  beforeAll(async () => {
    sink = await SmtpSink.start();
    transport = new SmtpTransport({ url: sink.url, poolSize: 3, timeoutMs: 5000 });
  });
  afterAll(async () => {
    await transport.close();
    await sink.close();
  });

  it('reports the queue id the server answered with as providerId', async () => {
    const msg = makeMessage();
    const { providerId } = await transport.send(msg);
    expect(providerId).toBe(sink.for(msg.to.email)[0]?.queueId);
  });

  it('a message with an attachment (an event invite) is composed by nodemailer and arrives whole', async () => {
    const msg = { ...makeMessage(), attachments: [{ filename: 'invite.ics', contentType: 'text/calendar; charset=utf-8', content: 'BEGIN:VCALENDAR\r\nUID:hackathon@flywheel\r\nEND:VCALENDAR\r\n' }] };
    const { providerId } = await transport.send(msg);
    const [got] = sink.for(msg.to.email);
    expect(providerId).toBe(got?.queueId);
    expect(got?.subject).toBe(msg.subject);
    expect(got?.html).toContain('Thanks for joining.');
    expect(got?.parsed.attachments.map((a) => [a.filename, a.contentType, a.content.toString('utf8')])).toEqual([
      ['invite.ics', 'text/calendar', 'BEGIN:VCALENDAR\r\nUID:hackathon@flywheel\r\nEND:VCALENDAR\r\n'],
    ]);
  });

  it('a greylisting 451 fails once as transient, then the retry is delivered', async () => {
    const msg = makeMessage();
    sink.respond({ stage: 'rcpt', recipient: msg.to.email, code: 451, times: 1 });
    await expect(transport.send(msg)).rejects.toBeInstanceOf(TransientError);
    await transport.send(msg);
    expect(sink.for(msg.to.email)).toHaveLength(1);
  });

  it('an unknown user (550 5.1.1) is permanent and suppresses the address', async () => {
    const msg = makeMessage();
    sink.respond({ stage: 'rcpt', recipient: msg.to.email, code: 550, message: '5.1.1 <x>: Recipient address rejected: User unknown' });
    const err = await transport.send(msg).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).suppress).toBe(true);
  });

  it('a spam block (554 5.7.1 at end of data) is permanent but keeps the member mailable', async () => {
    const msg = makeMessage();
    sink.respond({ stage: 'data', recipient: msg.to.email, code: 554, times: 1 });
    const err = await transport.send(msg).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).suppress).toBe(false);
  });

  it('a server that turns connections away with 421 is transient', async () => {
    const busy = await SmtpSink.start();
    busy.respond({ stage: 'connect', code: 421 });
    const t = new SmtpTransport({ url: busy.url, poolSize: 1, timeoutMs: 5000 });
    try {
      await expect(t.send(makeMessage())).rejects.toBeInstanceOf(TransientError);
    } finally {
      await t.close();
      await busy.close();
    }
  });

  it('a relay that is down (connection refused) is transient', async () => {
    const gone = await SmtpSink.start();
    const url = gone.url;
    await gone.close();
    const t = new SmtpTransport({ url, poolSize: 1, timeoutMs: 2000 });
    try {
      await expect(t.send(makeMessage())).rejects.toBeInstanceOf(TransientError);
    } finally {
      await t.close();
    }
  });

  it('one connection carrying a burst (envelopes pipelined behind bodies): refusals at RCPT and at end of data fail only their own message', async () => {
    const one = new SmtpTransport({ url: sink.url, poolSize: 1, timeoutMs: 5000 });
    const before = sink.connections;
    try {
      const msgs = Array.from({ length: 40 }, () => makeMessage());
      msgs.forEach((m, i) => {
        if (i % 3 === 1) sink.respond({ stage: 'rcpt', recipient: m.to.email, code: 550 });
        else if (i % 5 === 2) sink.respond({ stage: 'data', recipient: m.to.email, code: 554 });
      });
      const outcomes = await Promise.all(msgs.map((m) => one.send(m).then(() => 'sent', (e: unknown) => (e instanceof PermanentError ? 'refused' : `other: ${String(e)}`))));
      msgs.forEach((m, i) => {
        const refused = i % 3 === 1 || i % 5 === 2;
        expect(outcomes[i], `message ${i}`).toBe(refused ? 'refused' : 'sent');
        expect(sink.for(m.to.email), `message ${i}`).toHaveLength(refused ? 0 : 1);
      });
      expect(sink.connections - before).toBe(1);
    } finally {
      await one.close();
    }
  });

  it('the pool delivers a burst of messages over its few connections', async () => {
    const msgs = Array.from({ length: 30 }, () => makeMessage());
    await Promise.all(msgs.map((m) => transport.send(m)));
    for (const m of msgs) expect(sink.for(m.to.email)).toHaveLength(1);
  });
});

describe('classifySmtpError', () => {
  const reply = (responseCode: number, text: string) => Object.assign(new Error('Recipient command failed'), { code: 'EENVELOPE', responseCode, response: `${responseCode} ${text}` });
  it.each([
    [421, '4.3.2 Service not available', 'transient', false],
    [450, '4.2.1 Mailbox busy', 'transient', false],
    [451, '4.7.1 Greylisted', 'transient', false],
    [452, '4.3.1 Insufficient storage', 'transient', false],
    [550, '5.1.1 User unknown', 'permanent', true],
    [550, 'Mailbox unavailable', 'permanent', true],
    [551, 'User not local', 'permanent', true],
    [553, 'Mailbox name not allowed', 'permanent', true],
    [550, '5.2.1 Mailbox disabled', 'permanent', true],
    [550, '5.7.1 Rejected by policy', 'permanent', false],
    [552, '5.2.2 Mailbox full', 'permanent', false],
    [554, '5.7.1 Spam detected', 'permanent', false],
    [554, 'Transaction failed', 'permanent', false],
  ] as const)('%i %s -> %s (suppress %s)', (code, text, kind, suppress) => {
    const e = classifySmtpError(reply(code, text));
    expect(e).toBeInstanceOf(kind === 'transient' ? TransientError : PermanentError);
    if (e instanceof PermanentError) expect(e.suppress).toBe(suppress);
  });

  it.each(['ECONNREFUSED', 'ETIMEDOUT', 'ECONNRESET', 'ESOCKET', 'ECONNECTION', 'EDNS'])('network error %s is transient', (code) => {
    expect(classifySmtpError(Object.assign(new Error('boom'), { code }))).toBeInstanceOf(TransientError);
  });

  it('an authentication failure is permanent but never suppresses the member', () => {
    const e = classifySmtpError(Object.assign(new Error('Invalid login'), { code: 'EAUTH', responseCode: 535, response: '535 5.7.8 Authentication failed' }));
    expect(e).toBeInstanceOf(PermanentError);
    expect((e as PermanentError).suppress).toBe(false);
  });

  it('a temporary authentication failure (454) is retried, not a configuration error', () => {
    expect(classifySmtpError(Object.assign(new Error('Invalid login'), { code: 'EAUTH', responseCode: 454, response: '454 4.7.0 Temporary authentication failure' }))).toBeInstanceOf(TransientError);
  });

  it('reads the queue id out of the 250 reply', () => {
    expect(providerIdFromSmtpResponse('250 2.0.0 Ok: queued as 4XyZ12', 'm')).toBe('4XyZ12');
    expect(providerIdFromSmtpResponse('250 Accepted', 'm')).toBe('250 Accepted');
    expect(providerIdFromSmtpResponse(undefined, 'fallback')).toBe('fallback');
  });
});
