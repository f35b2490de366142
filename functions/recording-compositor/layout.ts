/**
 * Where each tile goes on the 1920×1080 canvas: a grid that re-flows as tiles come and go (1 → full, 2 → side by
 * side, 3-4 → 2×2, 5-6 → 3×2, 7-9 → 3×3, … 25 → 5×5), or the speaker layout (one large tile and a strip).
 * Every rectangle has even position and size: yuv420p halves chroma both ways, so an odd edge would smear.
 */

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Canvas {
  width: number;
  height: number;
}

export const canvas1080p: Canvas = { width: 1920, height: 1080 };

/** More than this many tiles are not drawn (the first ones, in the timeline's order, are). */
export const maxTiles = 25;

export interface TileInput {
  trackId: string;
  participant: string;
  source: "camera" | "screen" | "mic";
  /** The name drawn on the tile, or null for none. */
  name: string | null;
}

export interface Label {
  text: string;
  x: number;
  y: number;
  fontSize: number;
}

export interface TilePlacement {
  trackId: string;
  participant: string;
  rect: Rect;
  label: Label | null;
}

const even = (v: number): number => {
  const n = Math.floor(v);
  return n - (n % 2);
};

export function gridShape(tiles: number): { cols: number; rows: number } {
  if (tiles <= 0) return { cols: 0, rows: 0 };
  const cols = Math.ceil(Math.sqrt(tiles));
  return { cols, rows: Math.ceil(tiles / cols) };
}

function labelFor(tile: TileInput, rect: Rect): Label | null {
  if (!tile.name) return null;
  const fontSize = Math.min(36, Math.max(14, even(rect.h / 14)));
  const margin = even(fontSize / 2);
  return { text: tile.name, x: rect.x + margin, y: rect.y + rect.h - fontSize - margin, fontSize };
}

const place = (tile: TileInput, rect: Rect): TilePlacement => ({
  trackId: tile.trackId,
  participant: tile.participant,
  rect,
  label: labelFor(tile, rect),
});

export function gridLayout(input: readonly TileInput[], canvas: Canvas = canvas1080p): TilePlacement[] {
  const tiles = input.slice(0, maxTiles);
  const { cols, rows } = gridShape(tiles.length);
  if (!cols) return [];
  // Cells are 16:9 (what cameras send), so a side-by-side pair is two 960×540 tiles, not two tall ones.
  const cellW = canvas.width / cols;
  const cellH = canvas.height / rows;
  const w = even(Math.min(cellW, (cellH * 16) / 9));
  const h = even(Math.min(cellH, (cellW * 9) / 16));
  const top = even((canvas.height - rows * h) / 2);
  return tiles.map((tile, i) => {
    const row = Math.floor(i / cols);
    // A short last row is centred, as meeting clients draw it.
    const inRow = row === rows - 1 ? tiles.length - row * cols : cols;
    const left = even((canvas.width - inRow * w) / 2);
    return place(tile, { x: left + (i % cols) * w, y: top + row * h, w, h });
  });
}

/** Who gets the large tile: a screen share first, then the active speaker's camera, then the first tile. */
function mainTileIndex(tiles: readonly TileInput[], speaker: string | null): number {
  const screen = tiles.findIndex((t) => t.source === "screen");
  if (screen >= 0) return screen;
  const speaking = tiles.findIndex((t) => t.participant === speaker);
  return speaking >= 0 ? speaking : 0;
}

/** The strip holds up to this many tiles at full strip size; more shrink to fit the width. */
const stripSlots = 5;

export function speakerLayout(input: readonly TileInput[], speaker: string | null, canvas: Canvas = canvas1080p): TilePlacement[] {
  const tiles = input.slice(0, maxTiles);
  if (tiles.length <= 1) return gridLayout(tiles, canvas);
  const main = mainTileIndex(tiles, speaker);
  const others = tiles.filter((_, i) => i !== main);
  const stripH = even(canvas.height / 5);
  const slotW = even(canvas.width / Math.max(stripSlots, others.length));
  const left = even((canvas.width - others.length * slotW) / 2);
  const strip = others.map((tile, i) => place(tile, { x: left + i * slotW, y: canvas.height - stripH, w: slotW, h: stripH }));
  return [place(tiles[main]!, { x: 0, y: 0, w: even(canvas.width), h: canvas.height - stripH }), ...strip];
}

/**
 * The largest even rectangle of the source's aspect inside `rect`, centred (letterbox or pillarbox). The filter
 * graph gets the same result from scale's force_original_aspect_ratio=decrease and pad, without knowing sizes.
 */
export function letterbox(rect: Rect, source: { width: number; height: number }): Rect {
  const scale = Math.min(rect.w / source.width, rect.h / source.height);
  const w = Math.max(2, even(source.width * scale));
  const h = Math.max(2, even(source.height * scale));
  return { x: rect.x + even((rect.w - w) / 2), y: rect.y + even((rect.h - h) / 2), w, h };
}
