import { describe, expect, it } from "vitest";
import { renderTimelineSvg } from "./plot-svg.ts";
import { simulateDay } from "./simulate-day.ts";

const result = simulateDay();
const svg = renderTimelineSvg(result);

/** Every tag closed in order, attributes quoted: enough to catch malformed output without an XML parser. */
function assertWellFormed(xml: string): void {
  const stack: string[] = [];
  for (const match of xml.matchAll(/<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g)) {
    const [, closing, name, , selfClosing] = match;
    if (selfClosing) continue;
    if (!closing) stack.push(name!);
    else expect(stack.pop(), `closing </${name}>`).toBe(name);
  }
  expect(stack).toEqual([]);
  // Nothing that looks like a tag was skipped by the pattern above.
  expect(xml.replace(/<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g, "")).not.toMatch(/[<>]/);
}

describe("timeline SVG", () => {
  it("is one well-formed standalone SVG document", () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    assertWellFormed(svg);
  });

  it("has a title, a legend and one panel per region with 24 h of axis", () => {
    expect(svg).toContain("<title>LiveKit SFU fleet autoscaling: simulated day 2030-01-07 (UTC)</title>");
    for (const label of [
      "demand (connections)",
      "capacity (ready nodes × 1000)",
      "scale-out (predictive)",
      "scale-out (reactive)",
      "scale-in",
    ])
      expect(svg).toContain(`>${label}</text>`);
    for (const id of ["us-east", "eu-west", "ap-south"]) expect(svg).toContain(`<g id="region-${id}">`);
    expect(svg.match(/>00:00<\/text>/g)).toHaveLength(3);
    expect(svg.match(/>24:00<\/text>/g)).toHaveLength(3);
    expect(svg).toContain(">flash spike</text>");
  });

  it("marks every decision, with its reasons as a tooltip", () => {
    const decisions = result.regions.flatMap((r) => r.decisions);
    expect(svg.match(/<g><title>/g)).toHaveLength(decisions.length);
    expect(svg).toContain("scale_out 4: cpu: mean 100% &gt; 70%");
  });

  it("escapes text it did not write", () => {
    const custom = renderTimelineSvg(result, { title: 'Load & <capacity> "today"' });
    expect(custom).toContain("<title>Load &amp; &lt;capacity&gt; &quot;today&quot;</title>");
    assertWellFormed(custom);
  });

  it("renders the same bytes for the same simulation", () => {
    expect(renderTimelineSvg(simulateDay())).toBe(svg);
  });
});
