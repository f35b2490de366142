import { mosBands, type MosBand } from "../../../protocol/call-quality.ts";

/**
 * The MOS distribution's five bands as the API names them: protocol/call-quality.ts defines them (the ingestion
 * function counts each rated sample into analytics_hourly mos_band_1 … mos_band_5 in that order). Pure.
 */
export { mosBands, type MosBand };
export const mosBandNames = mosBands.map((b) => b.band) as [MosBand, ...MosBand[]];

/** Sample counts per band, in `mosBands` order. */
export type MosBandCounts = readonly [number, number, number, number, number];
