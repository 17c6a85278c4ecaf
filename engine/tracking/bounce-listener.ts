// `flywheel bounces serve`: a small SMTP server (smtp-server) for the mail that comes back to our
// VERP addresses. It takes only recipients whose bounce token verifies (others: 550 at RCPT), reads
// each message as a DSN or ARF report and records it before answering 250. A message it cannot
// read, or that is about no send of ours, is still accepted (a bounce must never bounce) and kept
// in the quarantine folder for a person; when the database cannot take it, 451 asks the sending
// server to try again later.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SMTPServer } from 'smtp-server';
import type { Logger } from 'pino';
import { FlywheelError } from '../errors.ts';
import { ingestBounceReport, sendLogIdOfBounceAddress, type BounceIntakeDeps } from './bounce-intake.ts';

export interface BounceListenerOptions {
  host: string;
  port: number;
  /** where unreadable or unmatched messages are kept */
  quarantineDir: string;
  /** largest message accepted (reports carry the original message) */
  maxBytes?: number;
}

export interface BounceListener {
  port: number;
  stats: { recorded: number; quarantined: number; refusedRecipients: number; deferred: number };
  close(): Promise<void>;
}

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

export async function startBounceListener(deps: BounceIntakeDeps & { log: Logger }, options: BounceListenerOptions): Promise<BounceListener> {
  const stats = { recorded: 0, quarantined: 0, refusedRecipients: 0, deferred: 0 };
  const log = deps.log.child({ component: 'bounces' });
  const quarantine = (raw: Buffer, why: string) => {
    mkdirSync(options.quarantineDir, { recursive: true });
    const path = join(options.quarantineDir, `${deps.clock.now().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}.eml`);
    writeFileSync(path, raw, { mode: 0o600 });
    stats.quarantined++;
    log.warn({ path, why }, 'bounce listener: message kept in quarantine (not recorded)');
  };

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: options.maxBytes ?? 10 * 1024 * 1024,
    banner: 'Flywheel bounce listener',
    logger: false,
    onRcptTo(address, _session, callback) {
      if (sendLogIdOfBounceAddress(deps, address.address)) return callback();
      stats.refusedRecipients++;
      return callback(smtpError(550, `5.1.1 <${address.address}> is not a bounce address of ours`));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.once('error', (err) => callback(err));
      stream.once('end', () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) return callback(smtpError(552, '5.3.4 message too big for a bounce report'));
        const raw = Buffer.concat(chunks);
        const envelopeTo = session.envelope.rcptTo.map((a) => a.address);
        ingestBounceReport(deps, raw, { envelopeTo }).then((r) => {
          stats.recorded++;
          log.info({ format: r.facts.format, report: r.facts.report?.kind ?? 'none', campaign: r.send.campaign, step: r.send.step, counted: r.outcome?.counted, suppressed: r.outcome?.suppressed }, 'bounce report recorded');
          callback(null, 'report recorded');
        }, (err: unknown) => {
          if (err instanceof FlywheelError && (err.code === 'BOUNCE_REPORT_UNREADABLE' || err.code === 'BOUNCE_REPORT_UNMATCHED')) {
            quarantine(raw, err.message);
            return callback(null, 'kept for review');
          }
          stats.deferred++;
          log.error({ err: (err as Error).message }, 'bounce report not recorded; asked the sender to retry');
          callback(smtpError(451, '4.3.0 cannot record the report now, try again later'));
        });
      });
    },
  });
  server.on('error', (err) => log.error({ err: err.message }, 'bounce listener error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => { server.off('error', reject); resolve(); });
  });
  const addr = server.server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : options.port,
    stats,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
