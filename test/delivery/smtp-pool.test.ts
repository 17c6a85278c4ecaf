// The SMTP pool keeps its connections for the whole send: nodemailer's pool closes a
// connection after 100 messages by default, which on a 20,000-message send meant a new
// TCP connection and SMTP greeting every 100 messages per connection.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SmtpTransport } from '../../engine/delivery/smtp.ts';
import { SmtpSink } from '../support/smtp-sink.ts';
import { makeMessage } from './transport-contract.ts';

let sink: SmtpSink;
beforeAll(async () => { sink = await SmtpSink.start(); });
afterAll(async () => { await sink?.close(); });

it('350 messages through a pool of 2 connections open 2 connections, not one per 100 messages', async () => {
  const transport = new SmtpTransport({ url: sink.url, poolSize: 2, timeoutMs: 10_000 });
  try {
    const messages = Array.from({ length: 350 }, () => makeMessage());
    // a few at a time, as the sender does, so both pooled connections carry messages
    for (let i = 0; i < messages.length; i += 10) await Promise.all(messages.slice(i, i + 10).map((m) => transport.send(m)));
    expect(sink.messages).toHaveLength(350);
    expect(sink.connections).toBeLessThanOrEqual(2);
  } finally {
    await transport.close();
  }
});
