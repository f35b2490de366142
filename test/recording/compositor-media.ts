import { execFile } from "node:child_process";
import { promisify } from "node:util";

/**
 * Test media for the compositor, made and read with the system ffmpeg: tiny solid-colour VP8/IVF cameras and
 * sine-tone Opus/Ogg microphones as the recorder writes them, and readers for what comes out: a region's colour at
 * an instant, a tone's strength over a window (Goertzel on decoded PCM), when a flash and a beep first happen.
 */
const run = promisify(execFile);
const quiet = ["-hide_banner", "-loglevel", "error", "-y"];

/** A camera chunk: `colour` for `seconds`, switching to `then.colour` from `then.at` seconds into the file. */
export async function camera(path: string, seconds: number, colour: string, then?: { at: number; colour: string }): Promise<void> {
  const filter = then ? `,drawbox=c=${then.colour}:t=fill:enable='gte(t,${then.at})'` : "";
  await run("ffmpeg", [
    ...quiet,
    ...["-f", "lavfi", "-i", `color=c=${colour}:s=320x180:r=30:d=${seconds}${filter}`],
    ...["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "200k", "-f", "ivf", path],
  ]);
}

/** A microphone chunk: a sine of `hz` (amplitude 0.25), switching to `then.hz` from `then.at` seconds. */
export async function microphone(path: string, seconds: number, hz: number, then?: { at: number; hz: number }): Promise<void> {
  const expr = then ? `0.25*if(lt(t,${then.at}),sin(2*PI*${hz}*t),sin(2*PI*${then.hz}*t))` : `0.25*sin(2*PI*${hz}*t)`;
  await run("ffmpeg", [
    ...quiet,
    ...["-f", "lavfi", "-i", `aevalsrc='${expr}':s=48000:d=${seconds}`],
    ...["-c:a", "libopus", "-b:a", "64k", "-f", "ogg", path],
  ]);
}

/** A bot that flashes white for 100 ms and beeps (1 kHz) for 100 ms at the same instants, black and silent between. */
export async function flashAndBeep(videoPath: string, audioPath: string, seconds: number, at: readonly number[]): Promise<void> {
  const on = at.map((t) => `between(t,${t},${t + 0.099})`).join("+");
  await run("ffmpeg", [
    ...quiet,
    ...["-f", "lavfi", "-i", `color=c=black:s=320x180:r=30:d=${seconds},drawbox=c=white:t=fill:enable='${on}'`],
    ...["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "200k", "-f", "ivf", videoPath],
  ]);
  await run("ffmpeg", [
    ...quiet,
    ...["-f", "lavfi", "-i", `aevalsrc='0.5*(${on})*sin(2*PI*1000*t)':s=48000:d=${seconds}`],
    ...["-c:a", "libopus", "-b:a", "64k", "-f", "ogg", audioPath],
  ]);
}

export interface ProbeJson {
  streams: {
    codec_type: string;
    codec_name: string;
    width?: number;
    height?: number;
    duration?: string;
    /** Frames counted by decoding the stream (a fragmented MP4's header holds no sample count). */
    nb_read_frames?: string;
    start_time?: string;
  }[];
  format: { duration: string; format_name: string };
}

export async function probe(path: string): Promise<ProbeJson> {
  const { stdout } = await run("ffprobe", [
    ...["-v", "error", "-count_frames", "-show_entries"],
    "stream=codec_type,codec_name,width,height,duration,nb_read_frames,start_time:format=duration,format_name",
    ...["-of", "json", path],
  ]);
  return JSON.parse(stdout) as ProbeJson;
}

export type Rgb = [number, number, number];

/** Mean colour of a rectangle of the frame shown at `at` seconds. */
export async function colourAt(path: string, at: number, rect: { x: number; y: number; w: number; h: number }): Promise<Rgb> {
  const { stdout } = await run(
    "ffmpeg",
    [
      ...["-v", "error", "-ss", String(at), "-i", path, "-frames:v", "1"],
      ...["-vf", `crop=${rect.w}:${rect.h}:${rect.x}:${rect.y},scale=1:1:flags=area`, "-pix_fmt", "rgb24", "-f", "rawvideo", "-"],
    ],
    { encoding: "buffer" },
  );
  return [stdout[0]!, stdout[1]!, stdout[2]!];
}

/** The named colour a sample is closest to (the palette the tests draw with). */
export function colourName([r, g, b]: Rgb): string {
  const palette: Record<string, Rgb> = {
    red: [255, 0, 0],
    blue: [0, 0, 255],
    green: [0, 128, 0],
    yellow: [255, 255, 0],
    white: [255, 255, 255],
    black: [0, 0, 0],
  };
  let best = "";
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const [name, [pr, pg, pb]] of Object.entries(palette)) {
    const d = (r - pr) ** 2 + (g - pg) ** 2 + (b - pb) ** 2;
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return best;
}

/**
 * Mono 48 kHz float PCM of the file's audio from `from` for `seconds`, sample 0 at `from` on the file's timeline.
 * A fragmented MP4 signals the AAC encoder's priming with an edit list that ffmpeg applies as timestamps (the first
 * packet at −1024 samples) rather than by dropping samples, so the priming is dropped here, as a player drops
 * audio before time 0.
 */
export async function pcm(path: string, from: number, seconds: number): Promise<Float32Array> {
  const { stdout: probed } = await run("ffprobe", [
    ...["-v", "error", "-select_streams", "a:0", "-show_entries", "stream=start_time", "-of", "csv=p=0", path],
  ]);
  const lead = Math.max(0, Math.round(-Number(probed.trim() || 0) * 48_000));
  const { stdout } = await run(
    "ffmpeg",
    ["-v", "error", "-ss", String(from), "-t", String(seconds), "-i", path, "-vn", "-ac", "1", "-ar", "48000", "-f", "f32le", "-"],
    { encoding: "buffer", maxBuffer: 64 * 1024 * 1024 },
  );
  const samples = new Float32Array(stdout.buffer, stdout.byteOffset, Math.floor(stdout.length / 4));
  return samples.subarray(lead);
}

/** A tone's amplitude in the samples (Goertzel): about the sine's peak amplitude when present, ~0 when not. */
export function toneAmplitude(samples: Float32Array, hz: number, rate = 48_000): number {
  const w = (2 * Math.PI * hz) / rate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (const x of samples) {
    const s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * Math.sqrt(Math.max(0, power))) / samples.length;
}

/** Seconds at which a region first turns bright, scanning every frame from `from` for `seconds` (30 fps). */
export async function firstFlash(
  path: string,
  from: number,
  seconds: number,
  rect: { x: number; y: number; w: number; h: number },
): Promise<number | null> {
  const { stdout } = await run(
    "ffmpeg",
    [
      ...["-v", "error", "-ss", String(from), "-t", String(seconds), "-i", path, "-an"],
      ...["-vf", `crop=${rect.w}:${rect.h}:${rect.x}:${rect.y},scale=1:1:flags=area`, "-pix_fmt", "gray", "-f", "rawvideo", "-"],
    ],
    { encoding: "buffer" },
  );
  const i = stdout.findIndex((luma) => luma > 128);
  return i < 0 ? null : from + i / 30;
}

/** Seconds at which the audio first rises above half scale's fifth (the beep's onset), from `from` for `seconds`. */
export async function firstBeep(path: string, from: number, seconds: number): Promise<number | null> {
  const samples = await pcm(path, from, seconds);
  const i = samples.findIndex((x) => Math.abs(x) > 0.1);
  return i < 0 ? null : from + i / 48_000;
}
