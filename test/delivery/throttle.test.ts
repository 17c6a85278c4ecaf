import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock, monotonicMs } from '../../engine/clock.ts';
import { InvalidInputError } from '../../engine/errors.ts';
import {
  createSendRateLimiter, createTransport, grantWithinCap, nextUtcDayStart, reserveDailyQuota, throttleTransport, utcDayKey,
  type OutgoingMessage, type SendResult, type Transport,
} from '../../engine/delivery/index.ts';
import { SendGridStandin } from '../support/sendgrid-standin.ts';
import { SmtpSink } from '../support/smtp-sink.ts';
import { makeMessage } from './transport-contract.ts';

function recordingTransport(): Transport & { startedAt: number[] } {
  const startedAt: number[] = [];
  return {
    name: 'recording',
    startedAt,
    send: async (_m: OutgoingMessage): Promise<SendResult> => { startedAt.push(monotonicMs()); return { providerId: 'x' }; },
    close: async () => {},
  };
}

describe('messages-per-second throttle', () => {
  it('20 messages/s spaces 11 concurrent sends over at least half a second', async () => {
    const t = throttleTransport(recordingTransport(), createSendRateLimiter(20));
    const start = monotonicMs();
    await Promise.all(Array.from({ length: 11 }, () => t.send(makeMessage())));
    expect(monotonicMs() - start).toBeGreaterThanOrEqual(450);
  });

  it('is shared: two callers together do not exceed the rate', async () => {
    const limiter = createSendRateLimiter(50);
    const a = recordingTransport();
    const ta = throttleTransport(a, limiter);
    const tb = throttleTransport(a, limiter);
    const start = monotonicMs();
    await Promise.all([...Array.from({ length: 5 }, () => ta.send(makeMessage())), ...Array.from({ length: 6 }, () => tb.send(makeMessage()))]);
    expect(monotonicMs() - start).toBeGreaterThanOrEqual(180); // 10 gaps of 20 ms, minus timer slack
    // No burst: any 5 consecutive starts span at least 4 intervals (80 ms) minus timer slack.
    // (A single gap can be short when the timer before it fired late; the rate still holds.)
    const spans = a.startedAt.slice(4).map((t, i) => t - (a.startedAt[i] as number));
    expect(Math.min(...spans)).toBeGreaterThanOrEqual(65);
  });

  it('rate 0 means unthrottled and returns the transport untouched', async () => {
    const inner = recordingTransport();
    expect(throttleTransport(inner, createSendRateLimiter(0))).toBe(inner);
    const start = monotonicMs();
    await Promise.all(Array.from({ length: 100 }, () => createSendRateLimiter(0).acquire()));
    expect(monotonicMs() - start).toBeLessThan(500);
  });

  it('refuses a negative or infinite rate', () => {
    expect(() => createSendRateLimiter(-1)).toThrow(RangeError);
    expect(() => createSendRateLimiter(Infinity)).toThrow(RangeError);
  });
});

describe('daily cap', () => {
  it.each([
    [0, 10, 100, 10], [95, 10, 100, 5], [100, 10, 100, 0], [120, 10, 100, 0], [0, 0, 100, 0],
  ])('used %i, asking %i, cap %i -> granted %i', (used, requested, cap, granted) => {
    expect(grantWithinCap(used, requested, cap)).toBe(granted);
  });

  it('the day key is the UTC calendar day, and the cap refills at UTC midnight', () => {
    expect(utcDayKey(new Date('2025-06-16T23:59:59.999Z'))).toBe('2025-06-16');
    expect(utcDayKey(new Date('2025-06-17T00:00:00Z'))).toBe('2025-06-17');
    expect(nextUtcDayStart(new Date('2025-06-16T23:59:59.999Z')).toISOString()).toBe('2025-06-17T00:00:00.000Z');
    expect(nextUtcDayStart(new Date('2025-12-31T10:00:00Z')).toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('cap 0 means no cap and never touches the store', async () => {
    const store = { reserve: async () => { throw new Error('should not be called'); } };
    expect(await reserveDailyQuota(store, 0, 5000, new Date('2025-06-16T15:00:00Z'))).toMatchObject({ granted: 5000, exhausted: false });
  });
  // Granting within the cap, per day and under racing workers: daily-cap-contract.ts, run against
  // both stores by daily-cap-store.test.ts.
});

describe('createTransport picks the transport named by FLYWHEEL_TRANSPORT', () => {
  const base = { FLYWHEEL_OUTBOX_DIR: 'outbox', SMTP_URL: 'smtp://127.0.0.1:2525', SMTP_POOL_SIZE: 2, SENDGRID_API_KEY: undefined, SENDGRID_API_URL: undefined, FLYWHEEL_SEND_RATE: 0 };
  const clock = new ManualClock('2025-06-16T15:00:00Z');

  it('outbox writes files under FLYWHEEL_OUTBOX_DIR', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'flywheel-factory-'));
    try {
      const t = createTransport({ ...base, FLYWHEEL_TRANSPORT: 'outbox', FLYWHEEL_OUTBOX_DIR: dir }, { clock });
      expect(t.name).toBe('outbox');
      const { providerId } = await t.send(makeMessage());
      expect(providerId).toMatch(/^onboarding\/.+\.eml$/);
      await t.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('smtp is built from SMTP_URL and paced by FLYWHEEL_SEND_RATE: 4 messages at 10/s reach the server 300 ms apart or more', async () => {
    const sink = await SmtpSink.start();
    const smtp = createTransport({ ...base, FLYWHEEL_TRANSPORT: 'smtp', SMTP_URL: sink.url, FLYWHEEL_SEND_RATE: 10 }, { clock });
    try {
      const messages = Array.from({ length: 4 }, () => makeMessage());
      const start = monotonicMs();
      await Promise.all(messages.map((m) => smtp.send(m)));
      expect(monotonicMs() - start).toBeGreaterThanOrEqual(270); // 3 gaps of 100 ms, minus timer slack
      expect(sink.messages.map((m) => m.messageId).sort()).toEqual(messages.map((m) => m.messageId).sort());
    } finally {
      await smtp.close();
      await sink.close();
    }
  });

  it('sendgrid is built from SENDGRID_API_KEY and SENDGRID_API_URL, and unpaced at rate 0', async () => {
    const standin = await SendGridStandin.start();
    const sg = createTransport({ ...base, FLYWHEEL_TRANSPORT: 'sendgrid', SENDGRID_API_KEY: standin.apiKey, SENDGRID_API_URL: standin.baseUrl }, { clock });
    try {
      const messages = Array.from({ length: 10 }, () => makeMessage());
      const start = monotonicMs();
      await Promise.all(messages.map((m) => sg.send(m)));
      expect(monotonicMs() - start).toBeLessThan(2000);
      expect(standin.deliveries.map((d) => d.to)).toEqual(expect.arrayContaining(messages.map((m) => m.to.email)));
    } finally {
      await sg.close();
      await standin.close();
    }
  });

  it('sendgrid without an API key is a configuration error naming the variable', () => {
    expect(() => createTransport({ ...base, FLYWHEEL_TRANSPORT: 'sendgrid' }, { clock })).toThrow(InvalidInputError);
    expect(() => createTransport({ ...base, FLYWHEEL_TRANSPORT: 'sendgrid' }, { clock })).toThrow(/SENDGRID_API_KEY/);
  });
});
