// `flywheel bounces serve` as an operator runs it: its own process, configured by the
// environment, logging JSON; it records a DSN delivered to a message's VERP address over SMTP,
// and exits 0 on SIGTERM. The listener's decisions are covered in bounces.test.ts.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore, testMongoUri } from '../support/db.ts';
import { SmtpSink } from '../support/smtp-sink.ts';
import { broadcastCampaign, seedMembers, testConfig, TEST_SECRET } from '../support/engine.ts';
import { FLYWHEEL_BIN } from '../support/cli-process.ts';
import { createEngine, type Engine } from '../../engine/main.ts';
import { sendNow } from '../../engine/scheduler/send-now.ts';
import { suppressionsOf } from '../../engine/ledger/index.ts';
import { ROOT_DIR } from '../../engine/store/index.ts';
import type { Store } from '../../engine/store/index.ts';

const DB = 'tracking_bounces_serve_cli';
const campaign = broadcastCampaign('serve-news');
let store: Store;
let sink: SmtpSink;
let engine: Engine;

beforeAll(async () => {
  store = await openTestStore(DB);
  sink = await SmtpSink.start();
  engine = await createEngine(testConfig({ SMTP_URL: sink.url }), { store, campaigns: [campaign], processEveryMs: 100 });
  await seedMembers(store, 1, 'served');
  await sendNow(engine, campaign.name, undefined);
  await sink.waitForMessages(1);
});
afterAll(async () => { await engine?.close(); await sink?.close(); await store?.close(); });

describe('flywheel bounces serve (real process)', () => {
  it('listens where it says, records a bounce sent to a VERP address, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [FLYWHEEL_BIN, 'bounces', 'serve', '--port', '0'], {
      cwd: ROOT_DIR, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MONGODB_URI: testMongoUri(), FLYWHEEL_DB_NAME: `test_${DB}`, FLYWHEEL_SECRET: TEST_SECRET, LOG_LEVEL: 'info' },
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await expect.poll(() => /"msg":"bounce listener started"/.test(out), { timeout: 180_000, interval: 200 }).toBe(true);
      const started = JSON.parse(out.split('\n').find((l) => l.includes('"bounce listener started"'))!) as { port: number; bounceAddress: string };
      expect(started.bounceAddress).toBe('bounces+<token>@flywheel.example');

      const message = sink.messages[0]!;
      const dsn = readFileSync('test/fixtures/bounces/dsn-hard.eml', 'utf8')
        .replaceAll('{{bounce-address}}', message.envelope.from).replaceAll('{{message-id}}', message.messageId).replaceAll('{{recipient}}', message.to[0]!);
      const info = await nodemailer.createTransport({ host: '127.0.0.1', port: started.port, secure: false, ignoreTLS: true }).sendMail({ envelope: { from: '', to: message.envelope.from }, raw: dsn });
      expect(info.response).toMatch(/^250 report recorded/);
      expect((await suppressionsOf(store, message.to[0]!)).map((s) => s.reason)).toEqual(['hard-bounce']);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(out).toMatch(/"msg":"bounce listener stopping"/);
  }, 240_000);
});
