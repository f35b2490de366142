import type { ScalingDecision } from "./autoscale-policy.ts";
import { dayMs } from "./demand-profile.ts";
import type { RegionTimeline, SimulationResult } from "./simulate-day.ts";

/**
 * Renders a simulated day as one standalone SVG: per region, demand against capacity over 24 h with the
 * policy's decisions marked, and beneath it the region's mean CPU against the hysteresis band. Hand-written
 * SVG, no dependencies; the same result always gives the same bytes.
 */

const width = 1100;
const left = 72;
const right = 24;
const plotWidth = width - left - right;
const loadHeight = 210;
const cpuHeight = 60;
const panelHeight = 18 + loadHeight + 14 + cpuHeight + 34;
const top = 86;

const colours = {
  demand: "#1f5fbf",
  capacity: "#2f8f3a",
  booting: "#8fcf8f",
  threshold: "#2f8f3a",
  out: "#d2451e",
  in: "#7b4fb3",
  cpu: "#555",
  band: "#f1e7c8",
  business: "#f3f5f9",
  spike: "#fde3d6",
};

const n = (value: number) => (Math.round(value * 10) / 10).toString();
const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const hhmm = (ms: number) =>
  `${String(Math.floor(ms / 3_600_000)).padStart(2, "0")}:${String(Math.floor((ms % 3_600_000) / 60_000)).padStart(2, "0")}`;

/** A round axis maximum and step: 1, 2 or 5 × 10^k, about five gridlines. */
function niceScale(max: number): { max: number; step: number } {
  const raw = Math.max(max, 1) / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  return { max: Math.ceil(max / step) * step || step, step };
}

const isPredictive = (decision: ScalingDecision) => decision.reasons.some((r) => r.startsWith("predictive:"));

export interface PlotOptions {
  title?: string;
}

export function renderTimelineSvg(result: SimulationResult, options: PlotOptions = {}): string {
  const height = top + result.regions.length * panelHeight + 10;
  const date = new Date(result.dayStart).toISOString().slice(0, 10);
  const title = options.title ?? `LiveKit SFU fleet autoscaling: simulated day ${date} (UTC)`;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="26" text-anchor="middle" font-size="17" font-weight="bold">${escapeXml(title)}</text>`,
    legend(),
    ...result.regions.map((timeline, i) => panel(result, timeline, top + i * panelHeight)),
    `</svg>`,
  ];
  return parts.join("\n") + "\n";
}

function legend(): string {
  const items: [string, string][] = [
    [`<line x1="0" y1="0" x2="22" y2="0" stroke="${colours.demand}" stroke-width="1.6"/>`, "demand (connections)"],
    [`<line x1="0" y1="0" x2="22" y2="0" stroke="${colours.capacity}" stroke-width="2"/>`, "capacity (ready nodes × 1000)"],
    [`<line x1="0" y1="0" x2="22" y2="0" stroke="${colours.booting}" stroke-width="2" stroke-dasharray="4 3"/>`, "incl. booting nodes"],
    [`<line x1="0" y1="0" x2="22" y2="0" stroke="${colours.threshold}" stroke-width="1" stroke-dasharray="2 3"/>`, "70% of capacity"],
    [marker("scale_out", 11, 0, true), "scale-out (predictive)"],
    [marker("scale_out", 11, 0, false), "scale-out (reactive)"],
    [marker("scale_in", 11, 0, false), "scale-in"],
    [`<rect x="0" y="-6" width="22" height="12" fill="${colours.business}" stroke="#dde"/>`, "local 09–17"],
  ];
  const perRow = 4;
  return items
    .map(([glyph, label], i) => {
      const x = left + (i % perRow) * 250;
      const y = 48 + Math.floor(i / perRow) * 18;
      return `<g transform="translate(${x},${y})">${glyph}<text x="30" y="4">${escapeXml(label)}</text></g>`;
    })
    .join("\n");
}

function marker(action: ScalingDecision["action"], x: number, y: number, hollow: boolean): string {
  const colour = action === "scale_out" ? colours.out : colours.in;
  const points =
    action === "scale_out"
      ? [
          [x, y - 6],
          [x - 5, y + 4],
          [x + 5, y + 4],
        ]
      : [
          [x, y + 6],
          [x - 5, y - 4],
          [x + 5, y - 4],
        ];
  const fill = hollow ? "#fff" : colour;
  return `<polygon points="${points.map(([px, py]) => `${n(px!)},${n(py!)}`).join(" ")}" fill="${fill}" stroke="${colour}" stroke-width="1.4"/>`;
}

function panel(result: SimulationResult, timeline: RegionTimeline, y0: number): string {
  const { points, decisions, spec } = timeline;
  const perNode = result.config.capacity.connectionsPerNode;
  const x = (at: number) => left + ((at - result.dayStart) / dayMs) * plotWidth;
  const loadTop = y0 + 18;
  const loadBottom = loadTop + loadHeight;
  const scale = niceScale(Math.max(...points.map((p) => Math.max(p.demand, (p.readyNodes + p.pendingNodes) * perNode))) * 1.05);
  const yLoad = (value: number) => loadBottom - (value / scale.max) * loadHeight;
  const cpuTop = loadBottom + 14;
  const cpuBottom = cpuTop + cpuHeight;
  const yCpu = (share: number) => cpuBottom - share * cpuHeight;
  const offset = spec.utcOffsetHours;
  const zone = `UTC${offset < 0 ? "−" : "+"}${hhmm(Math.abs(offset) * 3_600_000)
    .replace(/^0/, "")
    .replace(/:00$/, "")}`;
  const out: string[] = [];

  out.push(
    `<text x="${left}" y="${y0 + 10}" font-size="13" font-weight="bold">${escapeXml(timeline.regionId)} <tspan font-weight="normal" fill="#666">(${zone})</tspan></text>`,
  );

  // Local business hours, shaded (may wrap past midnight UTC).
  const businessStart = ((((9 - offset) % 24) + 24) % 24) * 3_600_000;
  for (const [from, to] of wrap(businessStart, businessStart + 8 * 3_600_000)) {
    out.push(
      `<rect x="${n(x(result.dayStart + from))}" y="${loadTop}" width="${n(x(result.dayStart + to) - x(result.dayStart + from))}" height="${loadHeight}" fill="${colours.business}"/>`,
    );
  }
  const spike = result.flashSpike;
  if (spike && spike.regionId === timeline.regionId) {
    const from = x(result.dayStart + spike.startMs);
    const to = x(result.dayStart + spike.startMs + spike.rampMs + spike.holdMs + spike.decayMs);
    out.push(`<rect x="${n(from)}" y="${loadTop}" width="${n(to - from)}" height="${loadHeight}" fill="${colours.spike}"/>`);
    out.push(`<text x="${n(to + 4)}" y="${loadTop + 12}" fill="${colours.out}">flash spike</text>`);
  }

  // Gridlines and axes.
  for (let v = 0; v <= scale.max; v += scale.step) {
    out.push(`<line x1="${left}" y1="${n(yLoad(v))}" x2="${left + plotWidth}" y2="${n(yLoad(v))}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${left - 6}" y="${n(yLoad(v) + 4)}" text-anchor="end">${v.toLocaleString("en-US")}</text>`);
  }
  for (const share of [0.4, 0.7])
    out.push(
      `<line x1="${left}" y1="${n(yCpu(share))}" x2="${left + plotWidth}" y2="${n(yCpu(share))}" stroke="#c9a640" stroke-dasharray="3 3"/>`,
    );
  out.push(
    `<rect x="${left}" y="${n(yCpu(0.7))}" width="${plotWidth}" height="${n(yCpu(0.4) - yCpu(0.7))}" fill="${colours.band}" opacity="0.6"/>`,
  );
  for (const [share, label] of [
    [0, "0%"],
    [0.4, "40%"],
    [0.7, "70%"],
    [1, "100%"],
  ] as const)
    out.push(`<text x="${left - 6}" y="${n(yCpu(share) + 4)}" text-anchor="end" font-size="10">${label}</text>`);
  out.push(
    `<text x="16" y="${n((loadTop + loadBottom) / 2)}" text-anchor="middle" transform="rotate(-90 16 ${n((loadTop + loadBottom) / 2)})" fill="#444">connections</text>`,
  );
  out.push(
    `<text x="16" y="${n((cpuTop + cpuBottom) / 2)}" text-anchor="middle" transform="rotate(-90 16 ${n((cpuTop + cpuBottom) / 2)})" fill="#444">mean cpu</text>`,
  );
  for (let hour = 0; hour <= 24; hour += 3) {
    const hx = n(x(result.dayStart + hour * 3_600_000));
    out.push(`<line x1="${hx}" y1="${loadTop}" x2="${hx}" y2="${cpuBottom + 4}" stroke="#efefef"/>`);
    out.push(`<text x="${hx}" y="${cpuBottom + 16}" text-anchor="middle">${hhmm(hour * 3_600_000)}</text>`);
  }
  out.push(`<rect x="${left}" y="${loadTop}" width="${plotWidth}" height="${loadHeight}" fill="none" stroke="#999"/>`);
  out.push(`<rect x="${left}" y="${cpuTop}" width="${plotWidth}" height="${cpuHeight}" fill="none" stroke="#999"/>`);

  // Series.
  const end = result.dayStart + dayMs;
  out.push(
    stepPath(
      points.map((p) => [p.at, (p.readyNodes + p.pendingNodes) * perNode]),
      end,
      x,
      yLoad,
      `stroke="${colours.booting}" stroke-width="2" stroke-dasharray="4 3"`,
    ),
  );
  out.push(
    stepPath(
      points.map((p) => [p.at, p.readyNodes * perNode * result.config.capacity.scaleOutUtilisation]),
      end,
      x,
      yLoad,
      `stroke="${colours.threshold}" stroke-width="1" stroke-dasharray="2 3"`,
    ),
  );
  out.push(
    stepPath(
      points.map((p) => [p.at, p.readyNodes * perNode]),
      end,
      x,
      yLoad,
      `stroke="${colours.capacity}" stroke-width="2"`,
    ),
  );
  out.push(
    `<polyline fill="none" stroke="${colours.demand}" stroke-width="1.4" points="${points.map((p) => `${n(x(p.at))},${n(yLoad(p.demand))}`).join(" ")}"/>`,
  );
  out.push(
    `<polyline fill="none" stroke="${colours.cpu}" stroke-width="1" points="${points.map((p) => `${n(x(p.at))},${n(yCpu(p.meanCpu))}`).join(" ")}"/>`,
  );

  // Decisions: above the capacity line for a scale-out, below it for a scale-in.
  for (const decision of decisions) {
    const capacity = (points.find((p) => p.at === decision.at)?.readyNodes ?? 0) * perNode;
    const my = decision.action === "scale_out" ? yLoad(capacity) - 9 : yLoad(capacity) + 9;
    const label = `${hhmm(decision.at - result.dayStart)} ${decision.action} ${decision.count}: ${decision.reasons.join("; ")}`;
    out.push(
      `<g><title>${escapeXml(label)}</title>${marker(decision.action, x(decision.at), Math.max(loadTop + 6, Math.min(loadBottom - 6, my)), decision.action === "scale_out" && isPredictive(decision))}</g>`,
    );
  }
  return `<g id="region-${escapeXml(timeline.regionId)}">\n${out.join("\n")}\n</g>`;
}

/** A step line (value holds until the next point), only emitting the corners. */
function stepPath(series: [number, number][], end: number, x: (at: number) => number, y: (v: number) => number, style: string): string {
  const commands: string[] = [];
  let last: number | null = null;
  for (const [at, value] of series) {
    if (last === null) commands.push(`M${n(x(at))},${n(y(value))}`);
    else if (value !== last) commands.push(`H${n(x(at))}V${n(y(value))}`);
    last = value;
  }
  if (last !== null) commands.push(`H${n(x(end))}`);
  return `<path fill="none" ${style} d="${commands.join("")}"/>`;
}

/** [from, to) within one day, split in two if it runs past midnight. */
function wrap(from: number, to: number): [number, number][] {
  return to <= dayMs
    ? [[from, to]]
    : [
        [from, dayMs],
        [0, to - dayMs],
      ];
}
