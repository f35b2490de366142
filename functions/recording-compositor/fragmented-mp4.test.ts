import { describe, expect, it } from "vitest";
import { type Fragment, FragmentedMp4Follower, sidxReferences } from "./fragmented-mp4.ts";

const fragment = (offset: number, size: number, at: number, duration: number, hasReference = true): Fragment => ({
  offset,
  size,
  earliestPresentation: at,
  duration,
  startsWithSync: hasReference,
  hasReference,
});

describe("the fragment index", () => {
  it("gives a fragment without video to the one before it: a reference always starts on a keyframe", () => {
    const refs = sidxReferences([fragment(0, 100, 0, 60), fragment(100, 120, 60, 60), fragment(220, 7, 0, 0, false)]);
    expect(refs.map((r) => [r.offset, r.size, r.earliestPresentation, r.duration])).toEqual([
      [0, 100, 0, 60],
      [100, 127, 60, 60],
    ]);
  });

  it("indexes fragments together when a sidx can't hold one reference each, keeping every byte and the whole duration", () => {
    const many = Array.from({ length: 70_000 }, (_, i) => fragment(i * 10, 10, i * 60, 60));
    const refs = sidxReferences(many);
    expect(refs.length).toBeLessThanOrEqual(0xffff);
    expect(refs.reduce((sum, r) => sum + r.size, 0)).toBe(700_000);
    expect(refs.at(-1)!.earliestPresentation + refs.at(-1)!.duration).toBe(70_000 * 60);
    expect(refs.every((r, i) => i === 0 || r.offset === refs[i - 1]!.offset + refs[i - 1]!.size)).toBe(true);
  });
});

describe("following a stream", () => {
  it("refuses what is not a streamed fragmented MP4", () => {
    const box = (type: string, size: number, declared = size) => {
      const bytes = new Uint8Array(size);
      new DataView(bytes.buffer).setUint32(0, declared);
      bytes.set(new TextEncoder().encode(type), 4);
      return bytes;
    };
    // A fragment before any moov, an mdat before the first fragment, a box that claims to run to the end.
    expect(() => new FragmentedMp4Follower().push(box("moof", 16))).toThrow(/before its moov/);
    expect(() => {
      const f = new FragmentedMp4Follower();
      f.push(box("ftyp", 16));
      f.push(box("mdat", 16));
    }).toThrow(/not fragmented/);
    expect(() => new FragmentedMp4Follower().push(box("ftyp", 8, 0))).toThrow(/runs to the end/);
    const cut = new FragmentedMp4Follower();
    cut.push(box("ftyp", 16).subarray(0, 10));
    expect(() => cut.finishedHead()).toThrow(/ended inside a box/);
  });
});
