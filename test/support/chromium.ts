// Chromium for the browser tests (screenshots, the preference centre), provisioned by the test
// run itself so that `npm test` alone passes on a fresh Debian machine: when the browser is
// missing and we run as root with apt, install Debian's `chromium`; otherwise stop at once and
// name the one command that fixes it. Deciding is pure (chromiumStep); doing is ensureChromium.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { CHROMIUM_PATH } from '../../engine/render/screenshot.ts';

export const INSTALL_COMMAND = 'apt-get install -y chromium';

export type ChromiumStep =
  | { action: 'ready' }
  | { action: 'install' }
  | { action: 'stop'; message: string };

export interface ChromiumFacts {
  path: string;
  exists: boolean;
  /** running as root (uid 0) */
  root: boolean;
  /** apt-get is on this machine */
  apt: boolean;
  /** FLYWHEEL_CHROMIUM names a custom browser path */
  customPath: boolean;
}

/** What the test run does about Chromium, given the facts of this machine. */
export function chromiumStep(f: ChromiumFacts): ChromiumStep {
  if (f.exists) return { action: 'ready' };
  if (f.customPath) {
    return { action: 'stop', message: `FLYWHEEL_CHROMIUM names ${f.path}, which does not exist. Point it at a Chromium binary, or unset it to use Debian's (${INSTALL_COMMAND}).` };
  }
  if (f.root && f.apt) return { action: 'install' };
  const command = f.apt ? `sudo ${INSTALL_COMMAND}` : 'install Chromium with your package manager and set FLYWHEEL_CHROMIUM to its path';
  return { action: 'stop', message: `The browser tests need Chromium at ${f.path}, and this user cannot install it. Run:\n  ${command}\nthen \`npm test\` again.` };
}

function hasApt(): boolean {
  return spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Make sure Chromium is there before any test runs; throws (stopping the run) when it cannot be. */
export function ensureChromium(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): void {
  const facts: ChromiumFacts = {
    path: CHROMIUM_PATH,
    exists: existsSync(CHROMIUM_PATH),
    root: process.getuid?.() === 0,
    apt: false,
    customPath: process.env.FLYWHEEL_CHROMIUM !== undefined,
  };
  if (facts.exists) return;
  facts.apt = hasApt();
  const step = chromiumStep(facts);
  if (step.action === 'stop') throw new Error(step.message);
  if (step.action === 'ready') return;
  log(`Chromium is missing: installing Debian's chromium for the browser tests (${INSTALL_COMMAND}; one time, about a minute)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', 'chromium']]) {
    const run = spawnSync('apt-get', args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (run.status !== 0) {
      throw new Error(`\`apt-get ${args.join(' ')}\` failed (exit ${run.status}):\n${(run.stderr ?? '').trim()}\nRun \`${INSTALL_COMMAND}\` yourself, then \`npm test\` again.`);
    }
  }
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`apt-get installed chromium but ${CHROMIUM_PATH} is still missing; set FLYWHEEL_CHROMIUM to the browser's path.`);
  log(`  done: ${CHROMIUM_PATH}`);
}
