/** Pieces of the hand-written SVG charts (the bench's bars, the soak's lines), in one style. */

export const xml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A round number at or above `value`, and a tick step that divides it into 4 to 6 parts. */
export function axis(value: number): { max: number; step: number } {
  const raw = Math.max(value, 1e-6) / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) as number;
  return { max: Math.ceil(value / step) * step, step };
}

/** As many decimals as the step needs: 0, 25, 50 or 0.0, 0.5, 1.0. */
export function tickLabel(value: number, step: number): string {
  let decimals = 0;
  while (decimals < 3 && Math.abs(step * 10 ** decimals - Math.round(step * 10 ** decimals)) > 1e-9)
    decimals++;
  return value.toFixed(decimals);
}

/** The opening tag and white background of a chart. */
export function svgStart(width: number, height: number): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
}

/** A row of colour swatches with their labels; `top` is the swatches' top edge. */
export function legend(
  items: { label: string; color: string }[],
  left: number,
  top: number,
  spacing: number,
) {
  return items.flatMap((item, i) => {
    const x = left + i * spacing;
    return [
      `<rect x="${x}" y="${top}" width="14" height="14" fill="${item.color}"/>`,
      `<text x="${x + 20}" y="${top + 12}" font-size="13">${xml(item.label)}</text>`,
    ];
  });
}

/** Horizontal grid lines with their values from 0 to `max`, and the axis title turned upright at the left. */
export function yAxis(
  scale: { max: number; step: number },
  y: (value: number) => number,
  plot: { left: number; right: number; middle: number },
  title: string,
): string[] {
  const out: string[] = [];
  for (let tick = 0; tick <= scale.max + scale.step / 2; tick += scale.step) {
    const ty = y(tick);
    out.push(
      `<line x1="${plot.left}" x2="${plot.right}" y1="${ty}" y2="${ty}" stroke="${tick === 0 ? "#333" : "#e3e3e3"}"/>`,
      `<text x="${plot.left - 8}" y="${ty + 4}" font-size="12" text-anchor="end">${tickLabel(tick, scale.step)}</text>`,
    );
  }
  out.push(
    `<text transform="translate(22 ${plot.middle}) rotate(-90)" font-size="13" text-anchor="middle">${xml(title)}</text>`,
  );
  return out;
}
