import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canvas1080p, gridLayout, gridShape, letterbox, maxTiles, type Rect, speakerLayout, type TileInput } from "./layout.ts";

const tiles = (n: number): TileInput[] =>
  Array.from({ length: n }, (_, i) => ({ trackId: `t${i}`, participant: `p${i}`, source: "camera", name: `P ${i}` }));
const overlap = (a: Rect, b: Rect) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
const insideCanvas = (r: Rect) => r.x >= 0 && r.y >= 0 && r.x + r.w <= canvas1080p.width && r.y + r.h <= canvas1080p.height;
const allEven = (r: Rect) => [r.x, r.y, r.w, r.h].every((v) => v % 2 === 0);

describe("the grid layout", () => {
  it("re-flows 1 → full, 2 → side by side, 3-4 → 2×2, 5-6 → 3×2, 7-9 → 3×3, up to 5×5", () => {
    const shapes = [1, 2, 3, 4, 5, 6, 7, 9, 10, 16, 17, 25].map((n) => [n, gridShape(n)]);
    expect(shapes).toEqual([
      [1, { cols: 1, rows: 1 }],
      [2, { cols: 2, rows: 1 }],
      [3, { cols: 2, rows: 2 }],
      [4, { cols: 2, rows: 2 }],
      [5, { cols: 3, rows: 2 }],
      [6, { cols: 3, rows: 2 }],
      [7, { cols: 3, rows: 3 }],
      [9, { cols: 3, rows: 3 }],
      [10, { cols: 4, rows: 3 }],
      [16, { cols: 4, rows: 4 }],
      [17, { cols: 5, rows: 4 }],
      [25, { cols: 5, rows: 5 }],
    ]);
    expect(gridLayout(tiles(1))[0]!.rect).toEqual({ x: 0, y: 0, w: 1920, h: 1080 });
    expect(gridLayout(tiles(2)).map((t) => t.rect)).toEqual([
      { x: 0, y: 270, w: 960, h: 540 },
      { x: 960, y: 270, w: 960, h: 540 },
    ]);
  });

  it("centres a short last row", () => {
    const three = gridLayout(tiles(3)).map((t) => t.rect);
    expect(three[2]).toEqual({ x: 480, y: 540, w: 960, h: 540 });
  });

  it("property: tiles are even, inside the canvas, disjoint, one per input up to 25, labelled at their bottom-left", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), (n) => {
        const placed = gridLayout(tiles(n));
        expect(placed).toHaveLength(Math.min(n, maxTiles));
        for (const [i, p] of placed.entries()) {
          expect(allEven(p.rect) && insideCanvas(p.rect)).toBe(true);
          for (const q of placed.slice(i + 1)) expect(overlap(p.rect, q.rect)).toBe(false);
          expect(p.label!.x).toBeGreaterThan(p.rect.x);
          expect(p.label!.y + p.label!.fontSize).toBeLessThan(p.rect.y + p.rect.h);
        }
      }),
    );
  });

  it("draws no label when names are off", () => {
    expect(gridLayout([{ ...tiles(1)[0]!, name: null }])[0]!.label).toBeNull();
  });
});

describe("the speaker layout", () => {
  it("gives the speaker the large tile and the others the strip", () => {
    const placed = speakerLayout(tiles(4), "p2");
    expect(placed[0]).toMatchObject({ participant: "p2", rect: { x: 0, y: 0, w: 1920, h: 864 } });
    expect(placed.slice(1).map((p) => p.participant)).toEqual(["p0", "p1", "p3"]);
    expect(placed.slice(1).every((p) => p.rect.y === 864 && p.rect.h === 216 && p.rect.w === 384)).toBe(true);
  });

  it("a screen share takes the large tile; nobody speaking → the first tile", () => {
    const share: TileInput = { trackId: "s", participant: "p1", source: "screen", name: "P 1" };
    expect(speakerLayout([...tiles(2), share], "p0")[0]!.trackId).toBe("s");
    expect(speakerLayout(tiles(3), null)[0]!.participant).toBe("p0");
  });

  it("property: even, inside, disjoint for any count and speaker", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 30 }), (n, s) => {
        const placed = speakerLayout(tiles(n), `p${s}`);
        for (const [i, p] of placed.entries()) {
          expect(allEven(p.rect) && insideCanvas(p.rect)).toBe(true);
          for (const q of placed.slice(i + 1)) expect(overlap(p.rect, q.rect)).toBe(false);
        }
      }),
    );
  });
});

describe("letterboxing", () => {
  it("keeps the source's aspect inside the tile, even and centred", () => {
    expect(letterbox({ x: 0, y: 0, w: 960, h: 540 }, { width: 640, height: 480 })).toEqual({ x: 120, y: 0, w: 720, h: 540 });
    expect(letterbox({ x: 960, y: 0, w: 960, h: 1080 }, { width: 1280, height: 720 })).toEqual({ x: 960, y: 270, w: 960, h: 540 });
  });
});
