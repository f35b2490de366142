/**
 * The MP4 rendition is a fragmented MP4 that ffmpeg writes to a pipe (`frag_keyframe+delay_moov+skip_trailer`) and
 * the assembly uploads as it comes, so a long recording never sits on Lambda's disk and the upload runs beside the
 * join. A pipe can't be rewound, so ffmpeg leaves out what it would have gone back for: the movie's duration and an
 * index of its fragments. This module follows the stream box by box and builds them: the head (ftyp + moov) gains
 * `mehd` (the duration, so players know it before reading the end) and is followed by a global `sidx` (each
 * fragment's place, duration and keyframe, so a player seeks with one range request instead of reading every
 * fragment before the point). Fragments use `default_base_moof` offsets, so bytes added to the head move nothing.
 */

export interface Fragment {
  /** Byte offset of its `moof` from the first fragment's. */
  offset: number;
  /** Its `moof`, `mdat` and whatever follows until the next `moof`. */
  size: number;
  /** The reference (video) track: earliest presentation time and duration, in that track's timescale. */
  earliestPresentation: number;
  duration: number;
  /** Whether it starts on a sync sample of the reference track. */
  startsWithSync: boolean;
  /** Whether the reference track has samples in it at all (a last fragment may carry only audio). */
  hasReference: boolean;
}

interface Track {
  id: number;
  timescale: number;
  isVideo: boolean;
  defaultSampleDuration: number;
  defaultSampleFlags: number;
}

interface BoxHeader {
  type: string;
  size: number;
  headerSize: number;
}

/** A box type's four ASCII characters. */
const fourCc = (bytes: Uint8Array, at: number): string => String.fromCharCode(...bytes.subarray(at, at + 4));
const writeFourCc = (bytes: Uint8Array, at: number, type: string) => {
  for (let i = 0; i < 4; i++) bytes[at + i] = type.charCodeAt(i);
};
/** ISO/IEC 14496-12 sample flags: `sample_is_non_sync_sample`. */
const nonSyncFlag = 0x10000;

function readHeader(bytes: Uint8Array, at: number): BoxHeader | null {
  if (bytes.length - at < 8) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset + at);
  const size32 = view.getUint32(0);
  const type = fourCc(bytes, at + 4);
  if (size32 === 1) {
    if (bytes.length - at < 16) return null;
    return { type, size: Number(view.getBigUint64(8)), headerSize: 16 };
  }
  if (size32 === 0) throw new Error(`the ${type} box runs to the end of the stream: a streamed MP4 sizes every box`);
  if (size32 < 8) throw new Error(`the ${type} box has an impossible size ${size32}`);
  return { type, size: size32, headerSize: 8 };
}

/** The child boxes of a box body, as [header, body start, body end] offsets into `bytes`. */
function* children(bytes: Uint8Array, from: number, to: number): Generator<[BoxHeader, number, number]> {
  let at = from;
  while (at < to) {
    const header = readHeader(bytes, at);
    if (!header || at + header.size > to) throw new Error("a box overruns its parent");
    yield [header, at + header.headerSize, at + header.size];
    at += header.size;
  }
}

function child(bytes: Uint8Array, from: number, to: number, type: string): [number, number] | null {
  for (const [header, start, end] of children(bytes, from, to)) if (header.type === type) return [start, end];
  return null;
}

const view = (bytes: Uint8Array, at: number) => new DataView(bytes.buffer, bytes.byteOffset + at);

function parseMoov(moov: Uint8Array): { movieTimescale: number; tracks: Map<number, Track> } {
  const body = readHeader(moov, 0)!.headerSize;
  const mvhd = child(moov, body, moov.length, "mvhd");
  if (!mvhd) throw new Error("the moov has no mvhd");
  const movieTimescale = view(moov, mvhd[0]).getUint32(moov[mvhd[0]] === 1 ? 20 : 12);
  const tracks = new Map<number, Track>();
  for (const [header, start, end] of children(moov, body, moov.length)) {
    if (header.type !== "trak") continue;
    const tkhd = child(moov, start, end, "tkhd");
    const mdia = child(moov, start, end, "mdia");
    if (!tkhd || !mdia) throw new Error("a trak has no tkhd or mdia");
    const id = view(moov, tkhd[0]).getUint32(moov[tkhd[0]] === 1 ? 20 : 12);
    const mdhd = child(moov, mdia[0], mdia[1], "mdhd");
    const hdlr = child(moov, mdia[0], mdia[1], "hdlr");
    if (!mdhd || !hdlr) throw new Error("a track has no mdhd or hdlr");
    const timescale = view(moov, mdhd[0]).getUint32(moov[mdhd[0]] === 1 ? 20 : 12);
    const handler = fourCc(moov, hdlr[0] + 8);
    tracks.set(id, { id, timescale, isVideo: handler === "vide", defaultSampleDuration: 0, defaultSampleFlags: 0 });
  }
  const mvex = child(moov, body, moov.length, "mvex");
  if (!mvex) throw new Error("the moov has no mvex: the stream is not fragmented");
  for (const [header, start] of children(moov, mvex[0], mvex[1])) {
    if (header.type !== "trex") continue;
    const trex = view(moov, start);
    const track = tracks.get(trex.getUint32(4));
    if (track) {
      track.defaultSampleDuration = trex.getUint32(12);
      track.defaultSampleFlags = trex.getUint32(20);
    }
  }
  return { movieTimescale, tracks };
}

/** The reference track's samples in one `moof`: decode start, and per sample its duration, offset and flags. */
function parseMoof(moof: Uint8Array, reference: Track): Omit<Fragment, "offset" | "size"> {
  let earliest = Number.POSITIVE_INFINITY;
  let decodeEnd = 0;
  let first = true;
  let startsWithSync = false;
  let hasReference = false;
  for (const [header, start, end] of children(moof, readHeader(moof, 0)!.headerSize, moof.length)) {
    if (header.type !== "traf") continue;
    const tfhd = child(moof, start, end, "tfhd");
    if (!tfhd) throw new Error("a traf has no tfhd");
    const tfhdView = view(moof, tfhd[0]);
    const tfhdFlags = tfhdView.getUint32(0) & 0xffffff;
    if (tfhdView.getUint32(4) !== reference.id) continue;
    let at = 8;
    if (tfhdFlags & 0x01) at += 8;
    if (tfhdFlags & 0x02) at += 4;
    const defaultDuration = tfhdFlags & 0x08 ? tfhdView.getUint32(at) : reference.defaultSampleDuration;
    if (tfhdFlags & 0x08) at += 4;
    if (tfhdFlags & 0x10) at += 4;
    const defaultFlags = tfhdFlags & 0x20 ? tfhdView.getUint32(at) : reference.defaultSampleFlags;
    const tfdt = child(moof, start, end, "tfdt");
    if (!tfdt) throw new Error("a traf has no tfdt: its fragment's time is unknown");
    const tfdtView = view(moof, tfdt[0]);
    let decode = moof[tfdt[0]] === 1 ? Number(tfdtView.getBigUint64(4)) : tfdtView.getUint32(4);
    for (const [runHeader, runStart] of children(moof, start, end)) {
      if (runHeader.type !== "trun") continue;
      const run = view(moof, runStart);
      const version = moof[runStart]!;
      const flags = run.getUint32(0) & 0xffffff;
      const count = run.getUint32(4);
      let p = 8;
      if (flags & 0x01) p += 4;
      const firstFlags = flags & 0x04 ? run.getUint32(p) : null;
      if (flags & 0x04) p += 4;
      for (let i = 0; i < count; i++) {
        const duration = flags & 0x100 ? run.getUint32(p) : defaultDuration;
        if (flags & 0x100) p += 4;
        if (flags & 0x200) p += 4;
        const sampleFlags = flags & 0x400 ? run.getUint32(p) : i === 0 && firstFlags !== null ? firstFlags : defaultFlags;
        if (flags & 0x400) p += 4;
        const offset = flags & 0x800 ? (version === 1 ? run.getInt32(p) : run.getUint32(p)) : 0;
        if (flags & 0x800) p += 4;
        if (first) {
          startsWithSync = (sampleFlags & nonSyncFlag) === 0;
          first = false;
        }
        hasReference = true;
        earliest = Math.min(earliest, decode + offset);
        decode += duration;
      }
    }
    decodeEnd = Math.max(decodeEnd, decode);
  }
  return hasReference
    ? { earliestPresentation: earliest, duration: decodeEnd - earliest, startsWithSync, hasReference }
    : { earliestPresentation: 0, duration: 0, startsWithSync: false, hasReference };
}

/**
 * Follows a fragmented MP4 as it streams: `push` every chunk in order. Holds only the head and one `moof` at a
 * time (the `mdat`s are counted, not kept). The head is known once the first `moof` begins (`headBytes`): bytes
 * from there on are fragments, unchanged in the output.
 */
export class FragmentedMp4Follower {
  private pending: Uint8Array = new Uint8Array(0);
  private head: Uint8Array | null = null;
  private headParts: Uint8Array[] = [];
  private moov: ReturnType<typeof parseMoov> | null = null;
  private reference: Track | null = null;
  /** Bytes of the current top-level box still to skip (an mdat's body). */
  private skipping = 0;
  private fragmentBytes = 0;
  readonly fragments: Fragment[] = [];

  /** ftyp + moov as ffmpeg wrote them, once the first fragment has begun. */
  get headBytes(): Uint8Array | null {
    return this.head;
  }

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.skipping > 0) {
        const n = Math.min(this.skipping, chunk.length - at);
        this.skipping -= n;
        this.countFragmentBytes(n);
        at += n;
        continue;
      }
      // A box header, or a box kept whole (head boxes, moof), gathered across chunks.
      this.pending = concat(this.pending, chunk.subarray(at));
      at = chunk.length;
      this.drain();
    }
  }

  private drain(): void {
    while (this.skipping === 0) {
      const header = readHeader(this.pending, 0);
      if (!header) return;
      if (this.head === null && header.type === "mdat")
        throw new Error("media data came before the first fragment: the stream is not fragmented");
      const keep = this.head === null ? header.type !== "moof" : header.type === "moof";
      if (this.head === null && header.type === "moof") this.closeHead();
      if (keep || header.type === "moof") {
        if (this.pending.length < header.size) return;
        const box = this.pending.slice(0, header.size);
        this.pending = this.pending.subarray(header.size);
        if (header.type === "moof") this.addFragment(box);
        else this.headParts.push(box);
        continue;
      }
      // An mdat (or any other box between fragments): counted and passed over.
      const available = Math.min(this.pending.length, header.size);
      this.countFragmentBytes(available);
      this.skipping = header.size - available;
      this.pending = this.pending.subarray(available);
      if (this.skipping > 0) return;
    }
  }

  private closeHead(): void {
    const moov = this.headParts.find((b) => readHeader(b, 0)!.type === "moov");
    if (!moov) throw new Error("the stream's first fragment came before its moov");
    this.moov = parseMoov(moov);
    this.reference = [...this.moov.tracks.values()].find((t) => t.isVideo) ?? null;
    if (!this.reference) throw new Error("the stream has no video track to index");
    this.head = concat(...this.headParts);
  }

  private addFragment(moof: Uint8Array): void {
    const parsed = parseMoof(moof, this.reference!);
    this.fragments.push({ offset: this.fragmentBytes, size: 0, ...parsed });
    this.countFragmentBytes(moof.length);
  }

  private countFragmentBytes(n: number): void {
    if (this.head === null) throw new Error("a box other than ftyp or moov came before the first fragment");
    this.fragmentBytes += n;
    const last = this.fragments.at(-1);
    if (last) last.size += n;
  }

  /** Every fragment byte seen so far: what the output holds after the head. */
  get fragmentByteCount(): number {
    return this.fragmentBytes;
  }

  /**
   * The head to write in place of ffmpeg's once the stream has ended: the moov with `mehd` (the reference track's
   * duration in the movie's timescale), then a `sidx` over every fragment. Throws if the stream ended mid-box.
   */
  finishedHead(): Uint8Array {
    if (this.pending.length > 0 || this.skipping > 0) throw new Error("the stream ended inside a box");
    if (!this.head || !this.moov || !this.reference) throw new Error("the stream had no fragments");
    const references = sidxReferences(this.fragments);
    const first = references[0];
    const last = references.at(-1)!;
    const duration = last.earliestPresentation + last.duration - (first?.earliestPresentation ?? 0);
    const movieDuration = Math.round((duration * this.moov.movieTimescale) / this.reference.timescale);
    return concat(withMehd(this.head, movieDuration), sidxBox(this.reference, references));
  }
}

/** At most 65,535 references fit a sidx: beyond that, consecutive fragments are indexed together. */
const maxReferences = 0xffff;

/** One reference per fragment that starts with the reference track; a fragment without it joins the one before. */
export function sidxReferences(fragments: readonly Fragment[]): Fragment[] {
  const merged: Fragment[] = [];
  for (const f of fragments) {
    const previous = merged.at(-1);
    if (previous && !f.hasReference) previous.size += f.size;
    else merged.push({ ...f });
  }
  const group = Math.ceil(merged.length / maxReferences);
  if (group <= 1) return merged;
  const grouped: Fragment[] = [];
  for (let i = 0; i < merged.length; i += group) {
    const run = merged.slice(i, i + group);
    const end = run.at(-1)!;
    grouped.push({
      ...run[0]!,
      size: run.reduce((sum, f) => sum + f.size, 0),
      duration: end.earliestPresentation + end.duration - run[0]!.earliestPresentation,
    });
  }
  return grouped;
}

function sidxBox(reference: Track, fragments: readonly Fragment[]): Uint8Array {
  const box = new Uint8Array(40 + 12 * fragments.length);
  const out = new DataView(box.buffer);
  out.setUint32(0, box.length);
  writeFourCc(box, 4, "sidx");
  out.setUint32(8, 0x01000000); // version 1: 64-bit times
  out.setUint32(12, reference.id);
  out.setUint32(16, reference.timescale);
  out.setBigUint64(20, BigInt(fragments[0]?.earliestPresentation ?? 0));
  out.setBigUint64(28, 0n); // the first fragment follows the sidx directly
  out.setUint16(38, fragments.length);
  fragments.forEach((f, i) => {
    const at = 40 + 12 * i;
    if (f.size > 0x7fffffff) throw new Error("a fragment is larger than a sidx can reference");
    out.setUint32(at, f.size);
    // Each subsegment's duration runs to the next one's start, so gaps in presentation add up right.
    const next = fragments[i + 1];
    out.setUint32(at + 4, next ? next.earliestPresentation - f.earliestPresentation : f.duration);
    out.setUint32(at + 8, f.startsWithSync ? 0x90000000 : 0);
  });
  return box;
}

/** The head with a version-1 `mehd` as mvex's first child, and the sizes of mvex and moov grown to hold it. */
function withMehd(head: Uint8Array, movieDuration: number): Uint8Array {
  const mehd = new Uint8Array(20);
  const out = new DataView(mehd.buffer);
  out.setUint32(0, 20);
  writeFourCc(mehd, 4, "mehd");
  out.setUint32(8, 0x01000000);
  out.setBigUint64(12, BigInt(movieDuration));
  for (const [header, start, end] of children(head, 0, head.length)) {
    if (header.type !== "moov") continue;
    const moovAt = start - header.headerSize;
    for (const [childHeader, childStart] of children(head, start, end)) {
      if (childHeader.type !== "mvex") continue;
      const mvexAt = childStart - childHeader.headerSize;
      if (header.headerSize !== 8 || childHeader.headerSize !== 8) throw new Error("a 64-bit moov or mvex size");
      if (child(head, childStart, childStart - 8 + childHeader.size, "mehd")) throw new Error("the mvex already has a mehd");
      const patched = concat(head.subarray(0, childStart), mehd, head.subarray(childStart));
      const p = new DataView(patched.buffer);
      p.setUint32(moovAt, header.size + 20);
      p.setUint32(mvexAt, childHeader.size + 20);
      return patched;
    }
  }
  throw new Error("the head has no moov with an mvex");
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
