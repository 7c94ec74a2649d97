// Headless Debian chromium through playwright-core, and picture checks done in the browser itself
// (a PNG drawn on a canvas), so that no PNG library is needed.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or null. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing (Debian package chromium): the dashboard is not tested in a browser here`;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--font-render-hinting=none', '--disable-gpu'] });
}

// Runs in the browser (plain JS: the test's TypeScript has no DOM types): PNG (base64) -> ImageData.
const LOAD = `async (data) => {
  const img = new Image();
  img.src = 'data:image/png;base64,' + data;
  await img.decode();
  const ctx = new OffscreenCanvas(img.width, img.height).getContext('2d');
  ctx.drawImage(img, 0, 0);
  return ctx.getImageData(0, 0, img.width, img.height);
}`;

const COUNT = `async ({ data, colours, tolerance }) => {
  const load = ${LOAD};
  const { width, height, data: px } = await load(data);
  const wanted = Object.entries(colours).map(([name, hex]) => [name, [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16))]);
  const counts = Object.fromEntries(wanted.map(([n]) => [n, 0]));
  for (let i = 0; i < px.length; i += 4) {
    for (const [name, rgb] of wanted) {
      if (Math.abs(px[i] - rgb[0]) <= tolerance && Math.abs(px[i + 1] - rgb[1]) <= tolerance && Math.abs(px[i + 2] - rgb[2]) <= tolerance) counts[name]++;
    }
  }
  return { width, height, counts };
}`;

const DIFF = `async ({ a, b, threshold }) => {
  const load = ${LOAD};
  const [x, y] = await Promise.all([load(a), load(b)]);
  if (x.width !== y.width || x.height !== y.height) return 1;
  let differ = 0;
  for (let i = 0; i < x.data.length; i += 4) {
    if (Math.abs(x.data[i] - y.data[i]) > threshold || Math.abs(x.data[i + 1] - y.data[i + 1]) > threshold || Math.abs(x.data[i + 2] - y.data[i + 2]) > threshold) differ++;
  }
  return differ / (x.width * x.height);
}`;

/**
 * Width, height, and how many pixels are within `tolerance` (per channel) of each colour
 * (#rrggbb). `page` should be a blank page (no Content-Security-Policy in the way).
 */
export function pixelCounts(page: Page, png: Buffer, colours: Record<string, string>, tolerance = 24): Promise<{ width: number; height: number; counts: Record<string, number> }> {
  return page.evaluate(`(${COUNT})(${JSON.stringify({ data: png.toString('base64'), colours, tolerance })})`);
}

/** The share of pixels (0..1) differing by more than `threshold` in a channel between two PNGs; 1 when the sizes differ. */
export function pixelDifference(page: Page, a: Buffer, b: Buffer, threshold = 48): Promise<number> {
  return page.evaluate(`(${DIFF})(${JSON.stringify({ a: a.toString('base64'), b: b.toString('base64'), threshold })})`);
}
