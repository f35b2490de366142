/**
 * The MOS distribution's five bands: ITU-T G.107's user-satisfaction classes on the MOS scale, best first. The
 * ingestion function counts each rated sample into one (analytics_hourly mos_band_1 … mos_band_5, in this order);
 * the API names them. Pure.
 */
export const mosBands = [
  { band: "very_satisfied", minMos: 4.3 },
  { band: "satisfied", minMos: 4.0 },
  { band: "some_dissatisfied", minMos: 3.6 },
  { band: "many_dissatisfied", minMos: 3.1 },
  { band: "nearly_all_dissatisfied", minMos: 1 },
] as const;

export type MosBand = (typeof mosBands)[number]["band"];
export const mosBandNames = mosBands.map((b) => b.band) as [MosBand, ...MosBand[]];

/** Sample counts per band, in `mosBands` order. */
export type MosBandCounts = readonly [number, number, number, number, number];
