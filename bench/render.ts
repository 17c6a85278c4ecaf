// npm run bench:render — the sample newsletter (six items) for 10,000 recipients:
// the compiled pipeline (MJML once and link targets signed once; per recipient one
// recipient token + Handlebars fill)
// against naive per-recipient compilation (MJML for every recipient), measured on
// a sample and extrapolated. Last line: one JSON object with the figures.
import { randomBytes } from 'node:crypto';
import { monotonicMs } from '../engine/clock.ts';
import { createRenderer, type MemberView } from '../engine/render/index.ts';
import { loadSample } from '../engine/render/samples.ts';
import { TokenSigner, TrackingUrls } from '../engine/tracking/tokens.ts';

const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 10_000);
const NAIVE_SAMPLE = Number(process.env.BENCH_NAIVE_SAMPLE ?? 100);
const TEMPLATE = 'newsletter';

const urls = new TrackingUrls('https://t.flywheel.example', new TokenSigner(randomBytes(32).toString('base64url')));
const options = { templatesDir: 'templates', urls, postalAddress: 'Flywheel DevRel, 1 Example Street, Springfield, USA', senderName: 'Flywheel DevRel' };
const sample = loadSample('templates', TEMPLATE);

const ZONES = ['Europe/London', 'America/New_York', 'Asia/Tokyo', 'Europe/Berlin', 'America/Los_Angeles', 'Asia/Kolkata'];
function memberAt(i: number): MemberView {
  return {
    id: (0x65f1a2b3c4d5 * 1_000_000 + i).toString(16).padStart(24, '0'),
    email: `member${i}@example.com`,
    name: `Member ${i}`,
    firstName: i % 17 === 0 ? '' : `Member${i}`,
    program: 'champions',
    locale: 'en-GB',
    timezone: ZONES[i % ZONES.length]!,
  };
}
const sendLogId = (i: number) => (0xabc000000 + i).toString(16).padStart(24, '0');
const SENT_AT = new Date('2026-01-06T09:00:00Z');
const sendRef = (i: number) => ({ sendLogId: sendLogId(i), campaign: 'newsletter-education', step: 'issue', sentAt: SENT_AT });

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

async function main(): Promise<void> {
  const request = (i: number) => ({ template: TEMPLATE, subject: sample.subject, preheader: sample.preheader, data: sample.data, member: memberAt(i), send: sendRef(i) });

  // compiled pipeline: the first render pays for the compile; every other render is a fill
  const compiled = createRenderer(options);
  const c0 = monotonicMs();
  const first = await compiled.render(request(0));
  const compileMs = monotonicMs() - c0;
  for (let i = 1; i < 500; i++) await compiled.render(request(i)); // warm up the JIT
  const perRecipientUs: number[] = [];
  const t0 = monotonicMs();
  for (let i = 0; i < RECIPIENTS; i++) {
    const s = monotonicMs();
    await compiled.render(request(i));
    perRecipientUs.push((monotonicMs() - s) * 1000);
  }
  const compiledTotalMs = monotonicMs() - t0;

  // what signing costs: once per message, every link target (items, header, CTA); per recipient, one token
  const prepared = await compiled.prepare(TEMPLATE, sample, 'en-GB');
  const linksPerRecipient = prepared.linkTargets.length + 3;
  const l0 = monotonicMs();
  for (let i = 0; i < 200; i++) for (const t of prepared.linkTargets) urls.linkSignature(t);
  const linkSigningPerMessageUs = ((monotonicMs() - l0) * 1000) / 200;
  for (let i = 0; i < 2000; i++) urls.recipient({ ...sendRef(i), memberId: sendLogId(i), program: 'education' });
  const s0 = monotonicMs();
  for (let i = 0; i < 20_000; i++) urls.recipient({ ...sendRef(i), memberId: sendLogId(i), program: 'education' });
  const signingUs = ((monotonicMs() - s0) * 1000) / 20_000;

  // the fill alone, with the recipient token stubbed out: what the render stage adds on top of the one HMAC
  const unsigned = new TrackingUrls('https://t.flywheel.example', new (class extends TokenSigner {
    override recipientToken(): string { return 'x.x'; }
  })(randomBytes(32).toString('base64url')));
  const fillOnly = createRenderer({ ...options, urls: unsigned });
  for (let i = 0; i < 500; i++) await fillOnly.render(request(i));
  const fillUs: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const s = monotonicMs();
    await fillOnly.render(request(i));
    fillUs.push((monotonicMs() - s) * 1000);
  }

  // naive: the same pipeline with no compile cache, i.e. Handlebars + mjml2html + html-to-text per recipient
  const naive = createRenderer({ ...options, cacheSize: 0 });
  await naive.render(request(0));
  const naiveUs: number[] = [];
  for (let i = 0; i < NAIVE_SAMPLE; i++) {
    const s = monotonicMs();
    await naive.render(request(i));
    naiveUs.push((monotonicMs() - s) * 1000);
  }

  const perUs = median(perRecipientUs);
  const naivePerUs = median(naiveUs);
  const ratio = naivePerUs / perUs;
  const naiveTotalMs = (naivePerUs * RECIPIENTS) / 1000;
  const r1 = (x: number) => Math.round(x * 10) / 10;

  console.log(`render benchmark: "${TEMPLATE}" sample (6 items), ${RECIPIENTS} recipients, node ${process.version}`);
  console.log(`  message size: html ${first.html.length} B, text ${first.text.length} B, ${linksPerRecipient} tracking URLs per recipient`);
  console.log(`  compile once (Handlebars pass 1 + mjml2html + text derivation): ${r1(compileMs)} ms`);
  console.log(`  compiled pipeline per recipient: median ${r1(perUs)} us, p90 ${r1(percentile(perRecipientUs, 0.9))} us, p99 ${r1(percentile(perRecipientUs, 0.99))} us`);
  console.log(`    recipient token alone (one HMAC): ~${r1(signingUs)} us; fill alone (token stubbed): median ${r1(median(fillUs))} us`);
  console.log(`    link signatures, once per compiled message (${prepared.linkTargets.length} targets): ~${r1(linkSigningPerMessageUs)} us`);
  console.log(`  compiled pipeline total for ${RECIPIENTS}: ${r1(compiledTotalMs)} ms`);
  console.log(`  naive per recipient (mjml2html every time, ${NAIVE_SAMPLE} sampled): median ${r1(naivePerUs)} us`);
  console.log(`  naive total for ${RECIPIENTS} (extrapolated): ${r1(naiveTotalMs / 1000)} s`);
  console.log(`  ratio naive/compiled: ${r1(ratio)}x   targets: <= 50 us per recipient, ratio >= 200`);
  console.log(JSON.stringify({
    bench: 'render',
    recipients: RECIPIENTS,
    per_recipient_us: r1(perUs),
    naive_per_recipient_us: r1(naivePerUs),
    ratio: r1(ratio),
    recipient_token_us: r1(signingUs),
    link_signing_per_message_us: r1(linkSigningPerMessageUs),
    fill_only_us: r1(median(fillUs)),
    compile_ms: r1(compileMs),
    meets_targets: perUs <= 50 && ratio >= 200,
  }));
}

await main();
