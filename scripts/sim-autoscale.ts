import { writeFile } from "node:fs/promises";
import path from "node:path";
import { renderTimelineSvg } from "../media-fleet/autoscale/plot-svg.ts";
import { simulateDay, summariseSimulation, type RegionSummary } from "../media-fleet/autoscale/simulate-day.ts";
import { repoRoot } from "./lib/paths.ts";

// Usage: npm run sim:autoscale [-- --seed 42]
// Replays a synthetic multi-region day through the autoscaling policy, writes docs/autoscale-sim.svg and
// prints a per-region summary.
const seedFlag = process.argv.indexOf("--seed");
const seed = seedFlag >= 0 ? Number(process.argv[seedFlag + 1]) : undefined;
if (seed !== undefined && !Number.isSafeInteger(seed)) {
  console.error("usage: npm run sim:autoscale [-- --seed <integer>]");
  process.exit(2);
}

const result = simulateDay(seed === undefined ? {} : { seed });
const svgPath = path.join(repoRoot, "docs", "autoscale-sim.svg");
await writeFile(svgPath, renderTimelineSvg(result));

const columns: [string, (s: RegionSummary) => string][] = [
  ["region", (s) => s.regionId],
  ["peak load", (s) => String(s.peakLoad)],
  ["peak nodes", (s) => String(s.peakNodes)],
  ["peak capacity", (s) => String(s.peakCapacity)],
  ["scale-outs (+nodes)", (s) => `${s.scaleOuts} (+${s.nodesAdded})`],
  ["scale-ins (-nodes)", (s) => `${s.scaleIns} (-${s.nodesRemoved})`],
  ["min cpu > 70%", (s) => String(s.minutesOver70Cpu)],
  ["node-minutes", (s) => String(s.nodeMinutes)],
  ["static fleet", (s) => String(s.staticNodeMinutes)],
  ["spilled conn-min", (s) => String(s.spilledConnectionMinutes)],
];
const rows = summariseSimulation(result).map((summary) => columns.map(([, cell]) => cell(summary)));
const widths = columns.map(([title], i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
const line = (cells: string[]) =>
  `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(" | ")} |`;
console.log(line(columns.map(([title]) => title)));
console.log(`|${widths.map((w, i) => (i === 0 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`);
for (const row of rows) console.log(line(row));
console.log(`\nseed ${seed ?? "default"}; wrote ${path.relative(repoRoot, svgPath)}`);
