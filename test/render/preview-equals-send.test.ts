// "Preview equals send": the preview of a step for a member is the message that member is
// delivered, byte for byte: subject, HTML, text, From, To, List-Unsubscribe (with its mailto),
// List-Unsubscribe-Post and the X-Flywheel headers. Inherently per send, and so not compared:
// the Date header, the Message-ID and the MIME boundaries. The recipient token in every link
// and in List-Unsubscribe is signed for one send, so the preview is signed for the same send
// (by default a preview uses a placeholder send; everything else is the same code path).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openTestStore } from '../support/db.ts';
import { SmtpSink } from '../support/smtp-sink.ts';
import { broadcastCampaign, testConfig } from '../support/engine.ts';
import { createEngine, type Engine } from '../../engine/main.ts';
import { ManualClock } from '../../engine/clock.ts';
import { sendNow } from '../../engine/scheduler/send-now.ts';
import { createMemberPreviewLoader } from '../../engine/render/preview-data.ts';
import { writePreview } from '../../engine/cli/preview.ts';
import type { Config } from '../../engine/config.ts';
import type { Store } from '../../engine/store/index.ts';

let store: Store;
let sink: SmtpSink;
let engine: Engine;
let config: Config;
const out = mkdtempSync(join(tmpdir(), 'flywheel-preview-'));
const campaign = broadcastCampaign('preview-equals-send');
const clock = new ManualClock('2026-01-06T09:30:00Z');

beforeAll(async () => {
  store = await openTestStore('render_preview_equals_send');
  sink = await SmtpSink.start();
  config = testConfig({ SMTP_URL: sink.url, FLYWHEEL_PUBLIC_URL: 'http://flywheel.test' });
  engine = await createEngine(config, { store, campaigns: [campaign], processEveryMs: 100, clock });
});

afterAll(async () => {
  await engine?.close();
  await sink?.close();
  await store?.close();
  rmSync(out, { recursive: true, force: true });
});

function headerFile(path: string): Map<string, string> {
  const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
  return new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
}

it('the preview of a step for a member is byte for byte what that member is sent, apart from Date and Message-ID', async () => {
  // a name with stray spaces: sender and preview used to build the member differently
  await store.models.Member.create({ email: 'grace@example.org', name: '  Grace   Hopper ', program: 'education', status: 'active', timezone: 'America/New_York' });
  await sendNow(engine, campaign.name, undefined);
  await sink.waitForMessages(1);
  const [sent] = sink.messages;
  expect(sink.messages).toHaveLength(1);

  const message = await createMemberPreviewLoader({ store, campaigns: async () => [campaign], clock })({ campaign: campaign.name, step: 'send', email: 'grace@example.org' });
  const send = { sendLogId: sent!.headers['x-flywheel-send']!, campaign: campaign.name, step: 'send', sentAt: clock.now() };
  await writePreview(config, message, out, false, send);

  expect(readFileSync(join(out, 'message.html'), 'utf8')).toBe(sent!.html);
  expect(readFileSync(join(out, 'message.txt'), 'utf8').trimEnd()).toBe(sent!.text.trimEnd());
  const headers = headerFile(join(out, 'headers.txt'));
  for (const name of ['subject', 'from', 'to', 'list-unsubscribe', 'list-unsubscribe-post', 'x-flywheel-campaign', 'x-flywheel-step', 'x-flywheel-send']) {
    expect(headers.get(name), name).toBe(sent!.headers[name]);
  }
  expect(sent!.headers['list-unsubscribe']).toMatch(/<mailto:unsubscribe@/);
  expect(sent!.html).toContain('Grace');
});
