/**
 * How the assembly uses its scratch disk. The segments are read from S3 as they are joined, so the disk holds only
 * the file renditions being written (an MP4 needs its whole file before upload: `+faststart` moves its index to
 * the front). The MP4 and the WebM are joined at once when both fit, one after the other when only one does.
 */

/** Lambda's ephemeral storage (10 GB in sst.config.ts), less room for the audio, stills and playlists. */
export const scratchBudgetBytes = 9 * 1000 ** 3;

export interface FileRendition<K extends string> {
  kind: K;
  /** What its output will take: the sum of its segments' sizes (copying adds only container overhead). */
  estimatedBytes: number;
}

/**
 * Groups of file renditions to run at once, in order: the largest first, each group as many as fit the budget
 * together. A rendition that fits no group alone still runs, by itself (its size is an estimate; it may fit).
 */
export function assemblyWaves<K extends string>(files: readonly FileRendition<K>[], budgetBytes = scratchBudgetBytes): K[][] {
  const waves: { kinds: K[]; bytes: number }[] = [];
  for (const file of [...files].sort((a, b) => b.estimatedBytes - a.estimatedBytes)) {
    const wave = waves.find((w) => w.bytes + file.estimatedBytes <= budgetBytes);
    if (wave) {
      wave.kinds.push(file.kind);
      wave.bytes += file.estimatedBytes;
    } else waves.push({ kinds: [file.kind], bytes: file.estimatedBytes });
  }
  return waves.map((w) => w.kinds);
}
