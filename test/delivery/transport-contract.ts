// The contract every Transport implementation passes. Each implementation's test
// file calls runTransportContract with a factory that builds the transport plus a
// way to read back what was delivered and to script a failure for one recipient.
import { describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../engine/errors.ts';
import type { OutgoingMessage, Transport } from '../../engine/delivery/index.ts';

export interface Delivered {
  messageId: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  /** header values keyed by lower-case name */
  headers: Record<string, string>;
}

export interface ContractHarness {
  transport: Transport;
  delivered(): Promise<Delivered[]>;
  /** make the next attempt(s) to deliver `message` fail the given way */
  failFor(message: OutgoingMessage, kind: 'transient' | 'permanent'): void;
  /** stop the server side; the test closes the transport itself */
  dispose(): Promise<void>;
}

let seq = 0;
export function makeMessage(overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  const n = ++seq;
  const to = overrides.to ?? { email: `member${n}@example.org`, name: `Member ${n}` };
  return {
    messageId: `send-${n}.a1b2c3@flywheel.example`,
    from: { email: 'devrel@flywheel.example', name: 'Flywheel DevRel' },
    to,
    subject: `Welcome to the program, member ${n}`,
    html: `<html><body><h1>Hello ${n}</h1><p>Thanks for joining.</p></body></html>`,
    text: `Hello ${n}\n\nThanks for joining.`,
    headers: {
      'List-Unsubscribe': `<https://flywheel.example/u/tok${n}>, <mailto:unsubscribe@flywheel.example?subject=unsubscribe-tok${n}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'X-Flywheel-Campaign': 'onboarding',
      'X-Flywheel-Step': 'welcome',
    },
    tags: { sendLogId: `log-${n}`, campaign: 'onboarding', step: 'welcome' },
    ...overrides,
  };
}

function openSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPWRAP').length;
}

export function runTransportContract(name: string, setup: () => Promise<ContractHarness>): void {
  describe(`${name} transport contract`, () => {
    it('a sent message arrives with its Message-ID, subject, recipient, both parts and unsubscribe headers', async () => {
      const h = await setup();
      try {
        const msg = makeMessage();
        const result = await h.transport.send(msg);
        expect(result.providerId).toBeTruthy();
        const got = (await h.delivered()).find((d) => d.messageId === msg.messageId);
        expect(got, 'message not delivered').toBeDefined();
        expect(got!.to).toBe(msg.to.email);
        expect(got!.subject).toBe(msg.subject);
        expect(got!.html).toContain('<h1>Hello');
        expect(got!.html).toBe(msg.html);
        expect(got!.text.trim()).toBe(msg.text);
        expect(got!.headers['list-unsubscribe']).toBe(msg.headers['List-Unsubscribe']);
        expect(got!.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
        expect(got!.headers['x-flywheel-campaign']).toBe('onboarding');
        expect(got!.headers['x-flywheel-step']).toBe('welcome');
      } finally {
        await h.transport.close();
        await h.dispose();
      }
    });

    it('several concurrent sends each arrive once with their own Message-ID', async () => {
      const h = await setup();
      try {
        const msgs = Array.from({ length: 5 }, () => makeMessage());
        await Promise.all(msgs.map((m) => h.transport.send(m)));
        const ids = (await h.delivered()).map((d) => d.messageId);
        for (const m of msgs) expect(ids.filter((id) => id === m.messageId)).toHaveLength(1);
      } finally {
        await h.transport.close();
        await h.dispose();
      }
    });

    it('two members of one step (same subject and body) each get their own message with their own unsubscribe header', async () => {
      const h = await setup();
      try {
        const shared = { subject: 'Meetup tonight', html: '<p>See you at 7</p>', text: 'See you at 7' };
        const msgs = [makeMessage(shared), makeMessage(shared)];
        await Promise.all(msgs.map((m) => h.transport.send(m)));
        const delivered = await h.delivered();
        for (const m of msgs) {
          const mine = delivered.filter((d) => d.messageId === m.messageId);
          expect(mine).toHaveLength(1);
          expect(mine[0]!.to).toBe(m.to.email);
          expect(mine[0]!.headers['list-unsubscribe']).toBe(m.headers['List-Unsubscribe']);
        }
      } finally {
        await h.transport.close();
        await h.dispose();
      }
    });

    it('a provider that says "try later" surfaces as TransientError', async () => {
      const h = await setup();
      try {
        const msg = makeMessage();
        h.failFor(msg, 'transient');
        const err = await h.transport.send(msg).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(TransientError);
      } finally {
        await h.transport.close();
        await h.dispose();
      }
    });

    it('a provider that refuses for good surfaces as PermanentError', async () => {
      const h = await setup();
      try {
        const msg = makeMessage();
        h.failFor(msg, 'permanent');
        const err = await h.transport.send(msg).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(PermanentError);
      } finally {
        await h.transport.close();
        await h.dispose();
      }
    });

    it('close() releases every connection it opened', async () => {
      const before = openSockets();
      const h = await setup();
      await h.transport.send(makeMessage());
      await h.transport.close();
      await h.dispose();
      // sockets finish closing on the next turns of the event loop
      for (let i = 0; i < 50 && openSockets() > before; i++) await new Promise((r) => setTimeout(r, 10));
      expect(openSockets()).toBeLessThanOrEqual(before);
    });
  });
}
