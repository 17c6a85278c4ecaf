// `npm test` on a fresh machine: the run provisions Chromium itself when it can, and otherwise
// stops before any test with the one command that fixes it.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT_DIR } from '../../engine/store/index.ts';
import { chromiumStep, INSTALL_COMMAND, type ChromiumFacts } from '../support/chromium.ts';

const facts = (over: Partial<ChromiumFacts>): ChromiumFacts => ({ path: '/usr/bin/chromium', exists: false, root: false, apt: true, customPath: false, ...over });

describe('Chromium for the browser tests', () => {
  it('is used as it is when present', () => {
    expect(chromiumStep(facts({ exists: true }))).toEqual({ action: 'ready' });
    expect(chromiumStep(facts({ exists: true, customPath: true }))).toEqual({ action: 'ready' });
  });

  it('is installed through apt when missing and the run is root on Debian', () => {
    expect(chromiumStep(facts({ root: true }))).toEqual({ action: 'install' });
  });

  it('missing and not installable: the run stops naming the one command to run', () => {
    const step = chromiumStep(facts({ root: false }));
    expect(step.action).toBe('stop');
    expect(step.action === 'stop' && step.message).toContain(`sudo ${INSTALL_COMMAND}`);
    const noApt = chromiumStep(facts({ root: true, apt: false }));
    expect(noApt.action === 'stop' && noApt.message).toMatch(/FLYWHEEL_CHROMIUM/);
  });

  it('a FLYWHEEL_CHROMIUM that points nowhere is named, never replaced by an install', () => {
    const step = chromiumStep(facts({ root: true, customPath: true, path: '/opt/none/chrome' }));
    expect(step.action).toBe('stop');
    expect(step.action === 'stop' && step.message).toContain('/opt/none/chrome');
  });

  it('`npm test` with no usable browser stops at once, before any test, and says what to do', () => {
    const started = performance.now();
    const run = spawnSync('npx', ['vitest', 'run', 'test/tracking/tokens.test.ts'], {
      cwd: ROOT_DIR,
      env: { ...process.env, FLYWHEEL_CHROMIUM: '/nonexistent/chromium', CI: '1' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.status).not.toBe(0);
    expect(output).toContain('FLYWHEEL_CHROMIUM names /nonexistent/chromium, which does not exist');
    expect(output).not.toMatch(/Tests\s+\d+ passed/);
    // stopped at once: no database was started or built
    expect(output).not.toMatch(/Building FerretDB/);
    expect(performance.now() - started).toBeLessThan(30_000);
  });
});
