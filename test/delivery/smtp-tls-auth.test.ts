// The SMTP client against a relay that offers STARTTLS and wants a login, as real relays do:
// the session is upgraded before credentials are sent, and bad credentials are a configuration
// error (permanent, the member stays mailable), not a bounce.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import { PermanentError } from '../../engine/errors.ts';
import { SmtpTransport } from '../../engine/delivery/smtp.ts';
import { makeMessage } from './transport-contract.ts';

const seen: Array<{ secure: boolean; user: string | undefined; to: string }> = [];
let server: SMTPServer;
let port = 0;

beforeAll(async () => {
  // smtp-server offers STARTTLS with its bundled self-signed certificate
  server = new SMTPServer({
    logger: false,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, session, cb) {
      if (!session.secure) return cb(new Error('Must issue STARTTLS first'));
      if (auth.username === 'relay-user' && auth.password === 'relay-pass') return cb(null, { user: auth.username });
      cb(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
    },
    onData(stream, session, cb) {
      stream.resume();
      stream.on('end', () => {
        seen.push({ secure: session.secure, user: session.user as string | undefined, to: session.envelope.rcptTo[0]?.address ?? '' });
        cb(null, 'OK: queued as TLS1');
      });
    },
  });
  port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => {
    const a = server.server.address();
    resolve(typeof a === 'object' && a ? a.port : 0);
  }));
});
afterAll(async () => { await new Promise<void>((r) => server.close(() => r())); });

it('upgrades to TLS with STARTTLS, logs in, and delivers', async () => {
  const t = new SmtpTransport({ url: `smtp://relay-user:relay-pass@127.0.0.1:${port}`, poolSize: 1, timeoutMs: 5000, allowSelfSigned: true });
  try {
    const m = makeMessage();
    expect(await t.send(m)).toEqual({ providerId: 'TLS1' });
    expect(seen.at(-1)).toEqual({ secure: true, user: 'relay-user', to: m.to.email });
  } finally {
    await t.close();
  }
});

it('wrong credentials fail as a permanent configuration error that suppresses nobody', async () => {
  const t = new SmtpTransport({ url: `smtp://relay-user:wrong@127.0.0.1:${port}`, poolSize: 1, timeoutMs: 5000, allowSelfSigned: true });
  try {
    const err = await t.send(makeMessage()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).suppress).toBe(false);
    expect((err as PermanentError).code).toBe('SMTP_CONFIG');
  } finally {
    await t.close();
  }
});

it('a certificate the relay cannot prove is refused unless self-signed certificates are allowed', async () => {
  const t = new SmtpTransport({ url: `smtp://relay-user:relay-pass@127.0.0.1:${port}`, poolSize: 1, timeoutMs: 5000 });
  try {
    const before = seen.length;
    await expect(t.send(makeMessage())).rejects.toThrow();
    expect(seen.length).toBe(before);
  } finally {
    await t.close();
  }
});
