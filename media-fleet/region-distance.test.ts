import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Continent, FleetRegion } from "./fleet-config.ts";
import type { RegionId } from "../protocol/ids.ts";
import { countryLocation, createRegionRanker, greatCircleKm, rankRegions, resolveHint } from "./region-distance.ts";
import type { LocationHint } from "../protocol/location-hint.ts";

const at = (id: string, continent: Continent, latitude: number, longitude: number): FleetRegion => ({
  id: id as RegionId,
  location: { continent, latitude, longitude },
  nodes: [],
});

const regions = [
  at("us-east", "NA", 39.0, -77.5),
  at("us-west", "NA", 45.6, -121.2),
  at("eu-west", "EU", 53.3, -6.3),
  at("eu-central", "EU", 50.1, 8.7),
  at("ap-south", "AS", 19.1, 72.9),
  at("ap-northeast", "AS", 35.7, 139.7),
  at("sa-east", "SA", -23.5, -46.6),
  at("oc-east", "OC", -33.9, 151.2),
];

const ids = (hint: LocationHint | undefined, within: readonly FleetRegion[] = regions) => rankRegions(within, hint).regionIds;
const first = (hint: LocationHint | undefined) => ids(hint)[0];
/** The expected order computed the slow way: haversine to every region, sorted. */
const byHaversine = (latitude: number, longitude: number) =>
  [...regions]
    .sort((a, b) => greatCircleKm({ latitude, longitude }, a.location!) - greatCircleKm({ latitude, longitude }, b.location!))
    .map((r) => r.id);

describe("greatCircleKm", () => {
  it("measures London to New York at about 5,570 km", () => {
    expect(greatCircleKm({ latitude: 51.5, longitude: -0.13 }, { latitude: 40.71, longitude: -74.0 })).toBeCloseTo(5570, -2);
  });

  it("is zero from a point to itself and half the circumference to its antipode", () => {
    expect(greatCircleKm({ latitude: 10, longitude: 20 }, { latitude: 10, longitude: 20 })).toBe(0);
    expect(greatCircleKm({ latitude: 10, longitude: 20 }, { latitude: -10, longitude: -160 })).toBeCloseTo(Math.PI * 6371, 0);
  });
});

describe("rankRegions from coordinates", () => {
  it("puts Frankfurt before Dublin for a client in Paris, then the rest by distance", () => {
    const order = ids({ latitude: 48.86, longitude: 2.35 });
    expect(order.slice(0, 3)).toEqual(["eu-central", "eu-west", "us-east"]);
    expect(order).toEqual(byHaversine(48.86, 2.35));
  });

  it("takes Cloudflare's string coordinates and says it ranked by them", () => {
    expect(rankRegions(regions, { latitude: "35.68", longitude: "139.69", country: "JP", continent: "AS", colo: "NRT" })).toEqual({
      regionIds: byHaversine(35.68, 139.69),
      basis: "coordinates",
    });
  });

  it("crosses the antimeridian: a client in Fiji is nearest Sydney, then Tokyo", () => {
    expect(ids({ latitude: -18.1, longitude: 178.4 }).slice(0, 2)).toEqual(["oc-east", "ap-northeast"]);
  });

  it("trusts coordinates over a country that disagrees (a US traveller in Tokyo)", () => {
    expect(first({ country: "US", latitude: 35.7, longitude: 139.7 })).toBe("ap-northeast");
  });

  it.each([
    ["a non-number", { latitude: "north", longitude: "2.35" }],
    ["a latitude past the pole", { latitude: 95, longitude: 2.35 }],
    ["a longitude off the map", { latitude: 48.9, longitude: 200 }],
    ["only a latitude", { latitude: 48.9 }],
    ["empty strings", { latitude: "", longitude: "" }],
  ])("ignores %s and falls back to the country", (_, coordinates) => {
    expect(rankRegions(regions, { country: "IN", ...coordinates }).basis).toBe("country");
    expect(first({ country: "IN", ...coordinates })).toBe("ap-south");
  });
});

describe("rankRegions from a country or continent", () => {
  it.each([
    ["JP", "ap-northeast"],
    ["in", "ap-south"],
    ["AU", "oc-east"],
    ["BR", "sa-east"],
    ["IE", "eu-west"],
    ["DE", "eu-central"],
    ["CA", "us-east"],
  ])("sends a client in %s to %s", (country, region) => {
    expect(rankRegions(regions, { country })).toMatchObject({ basis: "country" });
    expect(first({ country })).toBe(region);
  });

  it("uses the continent when the country is not in the table", () => {
    expect(rankRegions(regions, { country: "IS", continent: "EU" })).toMatchObject({ basis: "continent" });
    expect(ids({ country: "IS", continent: "EU" }).slice(0, 2)).toEqual(["eu-central", "eu-west"]);
  });

  it("ranks every region on the client's continent before any nearer-looking one elsewhere", () => {
    // From Europe's centre, Istanbul (Asia) is nearer than Lisbon; the continent still wins.
    const within = [at("tr-ist", "AS", 41.0, 29.0), at("eu-lis", "EU", 38.7, -9.1)];
    expect(greatCircleKm({ latitude: 50, longitude: 10 }, within[0]!.location!)).toBeLessThan(
      greatCircleKm({ latitude: 50, longitude: 10 }, within[1]!.location!),
    );
    expect(ids({ continent: "eu" }, within)).toEqual(["eu-lis", "tr-ist"]);
  });

  it("falls back to the nearest region off-continent when the continent has none", () => {
    expect(first({ continent: "AF" })).toBe("eu-central");
  });

  it("has an approximate location for a handful of countries only", () => {
    expect(countryLocation("jp")).toEqual({ continent: "AS", point: { latitude: 36, longitude: 138 } });
    expect(countryLocation("T1")).toBeUndefined();
  });
});

describe("rankRegions from a client's region hint", () => {
  it("puts the asked-for region first, then the rest by distance from it", () => {
    expect(rankRegions(regions, { regionId: "eu-west", latitude: 35.7, longitude: 139.7 })).toEqual({
      regionIds: byHaversine(53.3, -6.3),
      basis: "client_hint",
    });
    expect(byHaversine(53.3, -6.3).slice(0, 3)).toEqual(["eu-west", "eu-central", "us-east"]);
  });

  it("ignores a region the fleet does not have", () => {
    expect(rankRegions(regions, { regionId: "mars-1", country: "JP" })).toEqual({ basis: "country", regionIds: byHaversine(36, 138) });
  });

  it("orders the rest by the remaining hint when the asked-for region has no location", () => {
    const within = [{ id: "edge" as RegionId, nodes: [] }, ...regions];
    expect(ids({ regionId: "edge", country: "JP" }, within).slice(0, 2)).toEqual(["edge", "ap-northeast"]);
  });
});

describe("rankRegions without a usable location", () => {
  it.each([
    ["no hint", undefined],
    ["an empty hint", {}],
    ["only a data centre", { colo: "NRT" }],
    ["an unknown country and continent", { country: "XX", continent: "ZZ" }],
  ])("keeps configuration order for %s", (_, hint) => {
    expect(rankRegions(regions, hint)).toEqual({ regionIds: regions.map((r) => r.id), basis: "fallback" });
    expect(resolveHint(hint)).toEqual({ basis: "fallback" });
  });

  it("ranks regions with no location after every located one, in configuration order", () => {
    const within = [
      { id: "b-unplaced" as RegionId, nodes: [] },
      at("us-east", "NA", 39, -77.5),
      { id: "a-unplaced" as RegionId, nodes: [] },
      at("eu-west", "EU", 53.3, -6.3),
    ];
    expect(ids({ latitude: 51.5, longitude: -0.1 }, within)).toEqual(["eu-west", "us-east", "b-unplaced", "a-unplaced"]);
  });

  it("breaks exact distance ties by configuration order", () => {
    const within = [at("twin-b", "EU", 50, 8), at("twin-a", "EU", 50, 8)];
    expect(ids({ latitude: 10, longitude: 10 }, within)).toEqual(["twin-b", "twin-a"]);
  });
});

describe("createRegionRanker", () => {
  const hint = fc.record(
    {
      regionId: fc.oneof(fc.constantFrom(...regions.map((r) => r.id as string)), fc.string()),
      country: fc.oneof(fc.constantFrom("US", "JP", "BR", "ZA", "XX"), fc.string()),
      continent: fc.oneof(fc.constantFrom("EU", "AS", "NA", "AN"), fc.string()),
      latitude: fc.oneof(fc.double({ min: -100, max: 100 }), fc.string()),
      longitude: fc.oneof(fc.double({ min: -200, max: 200 }), fc.string()),
      colo: fc.string(),
    },
    { requiredKeys: [] },
  );

  it("always returns every region exactly once, and the same order for the same hint", () => {
    const ranker = createRegionRanker(regions);
    fc.assert(
      fc.property(hint, (h) => {
        const { order } = ranker.rank(h);
        expect([...order].sort((a, b) => a - b)).toEqual(regions.map((_, i) => i));
        expect(createRegionRanker(regions).rank(h).order).toEqual(order);
      }),
      { numRuns: 500 },
    );
  });

  it("ranks an empty fleet as empty", () => {
    expect(createRegionRanker([]).rank({ country: "US" }).order).toEqual([]);
  });
});
