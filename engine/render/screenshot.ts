// PNG previews of rendered HTML through headless Chromium (Debian's package,
// driven by playwright-core). No network: images that would be fetched from
// the internet are replaced by a grey placeholder of the same box.
import { existsSync } from 'node:fs';
import { FlywheelError } from '../errors.ts';

export const CHROMIUM_PATH = process.env.FLYWHEEL_CHROMIUM ?? '/usr/bin/chromium';

const PLACEHOLDER_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="600" viewBox="0 0 1200 600"><rect width="1200" height="600" fill="#cbd5e1"/><path d="M480 380l90-110 70 80 50-60 110 90z" fill="#94a3b8"/><circle cx="700" cy="230" r="36" fill="#94a3b8"/></svg>`;

export interface ScreenshotTarget {
  path: string;
  width: number;
  colorScheme?: 'light' | 'dark';
}

/** Renders `html` once per target (desktop, mobile, dark...) to full-page PNGs. */
export async function screenshotHtml(html: string, targets: ScreenshotTarget[]): Promise<void> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new FlywheelError('CHROMIUM_MISSING', `Chromium not found at ${CHROMIUM_PATH}.`, {
      hint: 'Install it with `apt-get install -y chromium`, or set FLYWHEEL_CHROMIUM to its path.',
    });
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu'],
  });
  try {
    for (const target of targets) {
      const page = await browser.newPage({ viewport: { width: target.width, height: 800 }, colorScheme: target.colorScheme ?? 'light' });
      await page.route('**/*', (route) => {
        const req = route.request();
        if (req.url().startsWith('data:')) return route.continue();
        if (req.resourceType() === 'image') return route.fulfill({ status: 200, contentType: 'image/svg+xml', body: PLACEHOLDER_SVG });
        return route.abort();
      });
      await page.setContent(html, { waitUntil: 'load' });
      await page.screenshot({ path: target.path, fullPage: true });
      await page.close();
    }
  } finally {
    await browser.close();
  }
}
