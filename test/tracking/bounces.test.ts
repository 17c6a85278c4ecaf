// Bounces and complaints that come back by mail. A newsletter goes out through the SMTP transport
// to a real SMTP sink; each message leaves with its own VERP envelope sender. The reports in
// test/fixtures/bounces (a hard and a soft RFC 3464 DSN, an RFC 5965 ARF complaint) are filled in
// with those messages' addresses and Message-IDs, then fed to the real `flywheel bounces ingest`
// process and to the `bounces serve` SMTP listener. Figures come from the report, suppressions
// from the ledger.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore, testMongoUri } from '../support/db.ts';
import { SmtpSink, type ReceivedMessage } from '../support/smtp-sink.ts';
import { broadcastCampaign, seedMembers, ShiftableClock, testConfig, TEST_SECRET } from '../support/engine.ts';
import { runFlywheel } from '../support/cli-process.ts';
import { createBounceIntake, createEngine, type Engine } from '../../engine/main.ts';
import { sendNow } from '../../engine/scheduler/send-now.ts';
import { reportFor } from '../../engine/reports/index.ts';
import { calendarFromConfig } from '../../engine/calendar/config.ts';
import { suppressionsOf } from '../../engine/ledger/index.ts';
import { startBounceListener, type BounceListener } from '../../engine/tracking/bounce-listener.ts';
import type { Store } from '../../engine/store/index.ts';

const DB = 'tracking_bounces';
const campaign = broadcastCampaign('bounce-news');
const clock = new ShiftableClock();
const dir = mkdtempSync(join(tmpdir(), 'flywheel-bounces-'));
let store: Store;
let sink: SmtpSink;
let engine: Engine;

beforeAll(async () => {
  store = await openTestStore(DB);
  sink = await SmtpSink.start();
  engine = await createEngine(testConfig({ SMTP_URL: sink.url }), { store, campaigns: [campaign], processEveryMs: 100, clock });
  await seedMembers(store, 6, 'bounce');
  await sendNow(engine, campaign.name, undefined);
  await sink.waitForMessages(6);
});
afterAll(async () => { await engine?.close(); await sink?.close(); await store?.close(); });

/** A fixture report about one received message, written to a file. */
function report(fixture: string, about: ReceivedMessage, name = `${fixture}-${about.to[0]}`): string {
  const text = readFileSync(join('test/fixtures/bounces', `${fixture}.eml`), 'utf8')
    .replaceAll('{{bounce-address}}', about.envelope.from).replaceAll('{{message-id}}', about.messageId).replaceAll('{{recipient}}', about.to[0]!);
  const path = join(dir, `${name}.eml`);
  writeFileSync(path, text);
  return path;
}

async function figures() {
  await engine.counters.flush();
  const r = await reportFor(store, [campaign], calendarFromConfig(engine.config), clock.now(), { campaign: campaign.name });
  return r.engagement.byCampaign[0]!;
}
const ingest = (...files: string[]) => runFlywheel(['bounces', 'ingest', ...files], { MONGODB_URI: testMongoUri(), FLYWHEEL_DB_NAME: `test_${DB}`, FLYWHEEL_SECRET: TEST_SECRET });
const reasons = async (email: string) => (await suppressionsOf(store, email)).map((s) => s.reason);

describe('VERP return path', () => {
  it('every SMTP message leaves with its own sealed bounce address on the From domain', () => {
    const senders = sink.messages.map((m) => m.envelope.from);
    for (const s of senders) expect(s).toMatch(/^bounces\+[a-z2-7]{20,55}@flywheel\.example$/);
    expect(new Set(senders).size).toBe(6);
    // the token seals the message's own send: its Message-ID starts with the same send-log id
    for (const m of sink.messages) expect(engine.signer.verifyBounceToken(m.envelope.from.slice('bounces+'.length).split('@')[0]!)).toBe(m.messageId.slice(0, 24));
  });
});

describe('flywheel bounces ingest (real CLI)', () => {
  it('records a hard bounce (suppressed), a soft bounce (counted) and a complaint (suppressed); a second run changes nothing', async () => {
    const [hard, soft, complaint] = sink.messages as [ReceivedMessage, ReceivedMessage, ReceivedMessage];
    const files = [report('dsn-hard', hard), report('dsn-soft', soft), report('arf-complaint', complaint)];
    const run = await ingest(...files);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`dsn-hard-${hard.to[0]}.eml: hard bounce 5.1.1 of bounce-news/send (found by bounce address): counted; ${hard.to[0]} suppressed`);
    expect(run.stdout).toContain(`dsn-soft-${soft.to[0]}.eml: soft bounce 4.4.7 of bounce-news/send (found by bounce address): counted`);
    expect(run.stdout).toContain(`complaint of bounce-news/send (found by bounce address): counted; ${complaint.to[0]} suppressed`);
    expect(await reasons(hard.to[0]!)).toEqual(['hard-bounce']);
    expect(await reasons(soft.to[0]!)).toEqual([]);
    expect(await reasons(complaint.to[0]!)).toEqual(['complaint']);
    const once = await figures();
    expect(once).toMatchObject({ sent: 6, bounces: 1, bouncedAfterSend: 1, delivered: 5, softBounces: 1, complaints: 1 });

    const again = await ingest(...files);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already recorded');
    expect(await figures()).toEqual(once);
  }, 240_000);

  it('names each file it cannot use, says what it expected, records the rest, and exits 1', async () => {
    const fourth = sink.messages[3]!;
    const plain = join(dir, 'holiday-reply.eml');
    writeFileSync(plain, 'From: someone@example.net\r\nTo: devrel@flywheel.example\r\nSubject: Out of office\r\nContent-Type: text/plain\r\n\r\nBack on Monday.\r\n');
    // a report whose bounce address and Message-ID are not ours
    const stranger = join(dir, 'stranger.eml');
    writeFileSync(stranger, readFileSync('test/fixtures/bounces/dsn-hard.eml', 'utf8').replaceAll('{{bounce-address}}', 'bounces+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@flywheel.example').replaceAll('{{message-id}}', 'abc@elsewhere.example').replaceAll('{{recipient}}', 'someone@example.net'));
    // no VERP address survived (forwarded copy): the original Message-ID still finds the send
    const forwarded = join(dir, 'forwarded.eml');
    writeFileSync(forwarded, readFileSync(report('dsn-hard', fourth, 'fwd'), 'utf8').replaceAll(fourth.envelope.from, 'postmaster@flywheel.example'));
    const run = await ingest(plain, stranger, join(dir, 'missing.eml'), forwarded);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('3 of 4 file(s) not recorded (the others were):');
    expect(run.stderr).toContain(`${plain}: Content-Type is text/plain; expected a delivery status notification (multipart/report; report-type=delivery-status, RFC 3464) or an abuse report (multipart/report; report-type=feedback-report, RFC 5965)`);
    expect(run.stderr).toContain(`${stranger}: a delivery status notification about no message we sent`);
    expect(run.stderr).toContain(`${join(dir, 'missing.eml')}: cannot read the file (ENOENT)`);
    expect(run.stdout).toContain('hard bounce 5.1.1 of bounce-news/send (found by message-id)');
    expect(await reasons(fourth.to[0]!)).toEqual(['hard-bounce']);
  }, 240_000);

  it('has --help that names the formats and the exit codes', async () => {
    const run = await runFlywheel(['bounces', 'ingest', '--help'], {});
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/RFC\s+3464/);
    expect(run.stdout).toMatch(/Exit codes: 0 every file recorded/);
  }, 120_000);
});

describe('flywheel bounces serve (SMTP listener)', () => {
  let listener: BounceListener;
  let close: () => Promise<void>;
  const quarantineDir = join(dir, 'quarantine');
  const deliver = (from: string, to: string, raw: string) => nodemailer.createTransport({ host: '127.0.0.1', port: listener.port, secure: false, ignoreTLS: true })
    .sendMail({ envelope: { from, to }, raw });

  beforeAll(async () => {
    const intake = createBounceIntake(engine.config, store, { clock, log: engine.log });
    listener = await startBounceListener(intake.deps, { host: '127.0.0.1', port: 0, quarantineDir });
    close = async () => { await listener.close(); await intake.close(); };
  });
  afterAll(async () => { await close?.(); });

  it('records a DSN sent to a message\'s bounce address, refuses other recipients, and quarantines what it cannot read', async () => {
    const fifth = sink.messages[4]!;
    const dsn = readFileSync(report('dsn-hard', fifth, 'served'), 'utf8');
    const info = await deliver('', fifth.envelope.from, dsn);
    expect(info.response).toMatch(/^250 report recorded/);
    // counted by the listener's own counter buffer: wait for its flush
    await expect.poll(async () => (await reasons(fifth.to[0]!)), { timeout: 5000 }).toEqual(['hard-bounce']);
    await expect.poll(async () => (await figures()).bounces, { timeout: 5000 }).toBe(3);

    await expect(deliver('', 'devrel@flywheel.example', dsn)).rejects.toMatchObject({ responseCode: 550 });
    await expect(deliver('', 'bounces+abcdefgh@flywheel.example', dsn)).rejects.toMatchObject({ responseCode: 550 });

    const sixth = sink.messages[5]!;
    const reply = await deliver('', sixth.envelope.from, 'From: x@example.net\r\nSubject: thanks!\r\nContent-Type: text/plain\r\n\r\nThanks for the newsletter\r\n');
    expect(reply.response).toMatch(/^250 kept for review/);
    expect(readdirSync(quarantineDir)).toHaveLength(1);
    expect(await reasons(sixth.to[0]!)).toEqual([]);
    expect(listener.stats).toMatchObject({ recorded: 1, quarantined: 1, refusedRecipients: 2 });
  });
});
