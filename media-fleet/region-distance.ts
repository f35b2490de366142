import type { LocationHint } from "../protocol/location-hint.ts";
import { continents, type Continent, type FleetRegion } from "./fleet-config.ts";
import type { RegionId } from "../protocol/ids.ts";

/**
 * Pure geography for placement: turns whatever is known about where a client is into the fleet's regions,
 * nearest first. Precision hardly matters (regions are hundreds of km apart); determinism does.
 */

export interface GeoPoint {
  latitude: number;
  longitude: number;
}

/** What the ranking was based on, strongest first; worth logging next to a placement. */
export type RankingBasis = "client_hint" | "coordinates" | "country" | "continent" | "fallback";

export interface RegionRanking {
  /** Indexes into the regions the ranker was built from, nearest first; always every region exactly once. */
  order: readonly number[];
  basis: RankingBasis;
}

const earthRadiusKm = 6371;
const rad = Math.PI / 180;

export function greatCircleKm(a: GeoPoint, b: GeoPoint): number {
  const dLat = (b.latitude - a.latitude) * rad;
  const dLon = (b.longitude - a.longitude) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * earthRadiusKm * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Rough centres of where people are, not geometric centroids (Asia's is pulled towards China and India). */
export const continentCentroids: Record<Continent, GeoPoint> = {
  AF: { latitude: 5, longitude: 20 },
  AN: { latitude: -80, longitude: 0 },
  AS: { latitude: 28, longitude: 100 },
  EU: { latitude: 50, longitude: 10 },
  NA: { latitude: 40, longitude: -95 },
  OC: { latitude: -28, longitude: 145 },
  SA: { latitude: -15, longitude: -58 },
};

/**
 * Countries where the continent's centre would mislead (large ones, or far from it), each "continent,lat,lon"
 * rounded. Any other country falls back to the continent Cloudflare reports with it.
 */
const countryTable: Record<string, string> = {
  US: "NA,39,-97",
  CA: "NA,46,-79",
  MX: "NA,21,-100",
  BR: "SA,-17,-47",
  AR: "SA,-34,-62",
  CL: "SA,-33,-71",
  CO: "SA,5,-74",
  PE: "SA,-11,-76",
  GB: "EU,53,-2",
  IE: "EU,53,-8",
  FR: "EU,47,2",
  DE: "EU,51,10",
  NL: "EU,52,5",
  ES: "EU,40,-4",
  PT: "EU,39,-8",
  IT: "EU,43,12",
  SE: "EU,60,16",
  FI: "EU,62,25",
  PL: "EU,52,19",
  UA: "EU,49,31",
  RU: "EU,56,40",
  TR: "AS,39,33",
  IL: "AS,32,35",
  AE: "AS,25,55",
  SA: "AS,24,45",
  IN: "AS,21,78",
  PK: "AS,29,70",
  BD: "AS,24,90",
  CN: "AS,32,112",
  HK: "AS,22,114",
  TW: "AS,24,121",
  JP: "AS,36,138",
  KR: "AS,37,127",
  SG: "AS,1,104",
  MY: "AS,3,102",
  ID: "AS,-6,107",
  TH: "AS,14,101",
  VN: "AS,16,107",
  PH: "AS,13,122",
  AU: "OC,-31,147",
  NZ: "OC,-40,174",
  ZA: "AF,-28,27",
  NG: "AF,8,6",
  EG: "AF,29,31",
  KE: "AF,-1,37",
  MA: "AF,33,-7",
};

const continentSet: ReadonlySet<string> = new Set(continents);
const asContinent = (value: unknown): Continent | undefined =>
  typeof value === "string" && continentSet.has(value.toUpperCase()) ? (value.toUpperCase() as Continent) : undefined;

export function countryLocation(country: string): { continent: Continent; point: GeoPoint } | undefined {
  const entry = countryTable[country.toUpperCase()];
  if (!entry) return undefined;
  const [continent, latitude, longitude] = entry.split(",");
  return { continent: continent as Continent, point: { latitude: Number(latitude), longitude: Number(longitude) } };
}

function coordinate(value: number | string | undefined, limit: number): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) && Math.abs(n) <= limit ? n : undefined;
}

export interface ResolvedHint {
  point?: GeoPoint;
  continent?: Continent;
  basis: Exclude<RankingBasis, "client_hint">;
}

/** The best point and continent the hint supports, ignoring its region id. */
export function resolveHint(hint: LocationHint | undefined): ResolvedHint {
  if (!hint) return { basis: "fallback" };
  const fromCountry = typeof hint.country === "string" ? countryLocation(hint.country) : undefined;
  const continent = asContinent(hint.continent) ?? fromCountry?.continent;
  const latitude = coordinate(hint.latitude, 90);
  const longitude = coordinate(hint.longitude, 180);
  if (latitude !== undefined && longitude !== undefined) {
    return continent
      ? { point: { latitude, longitude }, continent, basis: "coordinates" }
      : { point: { latitude, longitude }, basis: "coordinates" };
  }
  if (fromCountry) return { point: fromCountry.point, continent: fromCountry.continent, basis: "country" };
  if (continent) return { point: continentCentroids[continent], continent, basis: "continent" };
  return { basis: "fallback" };
}

export interface RegionRanker {
  rank(hint: LocationHint | undefined): RegionRanking;
}

/**
 * Built once per fleet: each region's trigonometry is precomputed so a ranking is a few multiplications per
 * region. Regions without a location rank after located ones, in configuration order.
 */
export function createRegionRanker(regions: readonly FleetRegion[]): RegionRanker {
  const n = regions.length;
  const located = regions.map((region) => region.location !== undefined);
  const sinLat = Float64Array.from(regions, (region) => Math.sin((region.location?.latitude ?? 0) * rad));
  const cosLat = Float64Array.from(regions, (region) => Math.cos((region.location?.latitude ?? 0) * rad));
  const lonRad = Float64Array.from(regions, (region) => (region.location?.longitude ?? 0) * rad);
  const byId = new Map(regions.map((region, i) => [region.id as string, i]));
  const configOrder: readonly number[] = Object.freeze(regions.map((_, i) => i));

  /** Ascending key = nearer; cosine of the central angle is monotonic in distance, so no acos is needed. */
  function byDistance(point: GeoPoint, continent: Continent | undefined, continentFirst: boolean, skip = -1): number[] {
    const keys = new Float64Array(n);
    const s = Math.sin(point.latitude * rad);
    const c = Math.cos(point.latitude * rad);
    const lon = point.longitude * rad;
    for (let i = 0; i < n; i++) {
      if (!located[i]) {
        keys[i] = 10; // after every located region (their keys lie in [-1, 3])
        continue;
      }
      keys[i] = -(s * sinLat[i]! + c * cosLat[i]! * Math.cos(lon - lonRad[i]!));
      if (continentFirst && regions[i]!.location!.continent !== continent) keys[i]! += 2;
    }
    const order: number[] = [];
    for (let i = 0; i < n; i++) if (i !== skip) order.push(i);
    // Stable sort: equal keys keep configuration order.
    return order.sort((a, b) => keys[a]! - keys[b]!);
  }

  function fromResolved(resolved: ResolvedHint, skip = -1): number[] {
    if (!resolved.point) return configOrder.filter((i) => i !== skip);
    // From coordinates or a country's centre, distance alone decides; from a continent's centre (thousands of
    // km from most of it), a region on that continent beats a nearer-looking one across a sea.
    return byDistance(resolved.point, resolved.continent, resolved.basis === "continent", skip);
  }

  return {
    rank(hint) {
      const asked = typeof hint?.regionId === "string" ? byId.get(hint.regionId) : undefined;
      if (asked !== undefined) {
        // The rest in order of distance from the asked-for region, so a spill stays close to it.
        const location = regions[asked]!.location;
        const rest = location ? byDistance(location, location.continent, false, asked) : fromResolved(resolveHint(hint), asked);
        return { order: [asked, ...rest], basis: "client_hint" };
      }
      const resolved = resolveHint(hint);
      return { order: fromResolved(resolved), basis: resolved.basis };
    },
  };
}

/** One-off convenience: region ids nearest first. Build a ranker instead when ranking repeatedly. */
export function rankRegions(
  regions: readonly FleetRegion[],
  hint: LocationHint | undefined,
): { regionIds: RegionId[]; basis: RankingBasis } {
  const { order, basis } = createRegionRanker(regions).rank(hint);
  return { regionIds: order.map((i) => regions[i]!.id), basis };
}
