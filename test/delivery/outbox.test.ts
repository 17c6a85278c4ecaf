// Outbox transport: messages become .eml + .html files in a temp directory.
import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../engine/clock.ts';
import { PermanentError, TransientError } from '../../engine/errors.ts';
import { OutboxTransport, safeFileSegment, type OutboxFs } from '../../engine/delivery/index.ts';
import { makeMessage, runTransportContract, type Delivered } from './transport-contract.ts';

const clock = new ManualClock('2025-03-10T12:00:00Z');

async function readOutbox(dir: string): Promise<Delivered[]> {
  const out: Delivered[] = [];
  for (const campaign of await readdir(dir)) {
    for (const f of await readdir(path.join(dir, campaign))) {
      if (!f.endsWith('.eml')) continue;
      const parsed = await simpleParser(await readFile(path.join(dir, campaign, f)));
      const headers: Record<string, string> = {};
      for (const { key, line } of parsed.headerLines) headers[key] = line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
      const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to;
      out.push({
        messageId: (parsed.messageId ?? '').replace(/^<|>$/g, ''),
        to: to?.value[0]?.address ?? '',
        subject: parsed.subject ?? '',
        html: typeof parsed.html === 'string' ? parsed.html : '',
        text: parsed.text ?? '',
        headers,
      });
    }
  }
  return out;
}

/** Real fs calls, except writes for chosen message ids fail with the given errno code. */
function faultyFs(failures: Map<string, string>): OutboxFs {
  return {
    mkdir,
    rename,
    writeFile: async (file, data) => {
      for (const [id, code] of failures) {
        if (file.includes(safeFileSegment(id))) throw Object.assign(new Error(`${code}: simulated`), { code });
      }
      return writeFile(file, data);
    },
  };
}

runTransportContract('outbox', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'flywheel-outbox-'));
  const failures = new Map<string, string>();
  return {
    transport: new OutboxTransport({ dir, clock, fs: faultyFs(failures) }),
    delivered: () => readOutbox(dir),
    failFor: (message, kind) => failures.set(message.messageId, kind === 'transient' ? 'ENOSPC' : 'EROFS'),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('outbox transport', () => {
  let dir: string;
  let outbox: OutboxTransport;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'flywheel-outbox-'));
    outbox = new OutboxTransport({ dir, clock });
  });
  afterAll(async () => {
    await outbox.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes <campaign>/<messageId>.eml and .html', async () => {
    const msg = makeMessage();
    const { providerId } = await outbox.send(msg);
    expect(providerId).toBe(path.join('onboarding', `${msg.messageId}.eml`));
    expect(await readFile(path.join(dir, 'onboarding', `${msg.messageId}.html`), 'utf8')).toBe(msg.html);
    const eml = await readFile(path.join(dir, providerId), 'utf8');
    expect(eml).toMatch(/^Date: Mon, 10 Mar 2025 12:00:00 \+0000$/m);
    expect(eml).toMatch(/^MIME-Version: 1\.0$/m);
  });

  it('sending the same message again leaves one copy and no temp files', async () => {
    const msg = makeMessage();
    await outbox.send(msg);
    await Promise.all([outbox.send(msg), outbox.send(msg)]);
    const files = (await readdir(path.join(dir, 'onboarding'))).filter((f) => f.startsWith(msg.messageId));
    expect(files.sort()).toEqual([`${msg.messageId}.eml`, `${msg.messageId}.html`]);
  });

  it('ids and campaign names that are not filename-safe cannot escape the outbox', async () => {
    const msg = makeMessage({ messageId: '../../etc/passwd@x', tags: { sendLogId: 'l', campaign: '../up', step: 's' } });
    const { providerId } = await outbox.send(msg);
    expect(path.resolve(dir, providerId).startsWith(dir + path.sep)).toBe(true);
    expect(providerId).not.toContain('..' + path.sep);
  });

  it('a full disk is transient; a read-only outbox is permanent and does not suppress', async () => {
    const failures = new Map([['full@x', 'ENOSPC'], ['ro@x', 'EROFS']]);
    const t = new OutboxTransport({ dir, clock, fs: faultyFs(failures) });
    await expect(t.send(makeMessage({ messageId: 'full@x' }))).rejects.toBeInstanceOf(TransientError);
    const err = await t.send(makeMessage({ messageId: 'ro@x' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).suppress).toBe(false);
  });
});
