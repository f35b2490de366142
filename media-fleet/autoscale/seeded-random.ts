/**
 * A small seeded PRNG (mulberry32) so the simulated day is the same on every run and in every test: the same
 * seed gives the same noise, the same decisions and the same SVG.
 */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Uniform in [-1, 1). */
export const symmetric = (random: Random) => random() * 2 - 1;
