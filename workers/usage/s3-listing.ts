import type { StoredObject } from "./storage-metering.ts";

/**
 * Reads an S3 ListObjectsV2 XML answer. workerd has no DOMParser, which the AWS SDK needs to read this response,
 * so the Worker presigns the listing, fetches it itself and reads the few fields it needs here. Pure.
 */
export interface ObjectListing {
  objects: StoredObject[];
  nextToken: string | undefined;
}

const entities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, entity: string) => {
    if (entity[0] === "#") {
      const code = entity[1] === "x" || entity[1] === "X" ? Number.parseInt(entity.slice(2), 16) : Number(entity.slice(1));
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : "";
    }
    return entities[entity.toLowerCase()] ?? "";
  });
}

const field = (xml: string, name: string) => {
  const match = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return match ? decode(match[1]!) : undefined;
};

export function parseObjectListing(xml: string): ObjectListing {
  const objects: StoredObject[] = [];
  for (const [, body] of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
    const key = field(body!, "Key");
    const size = Number(field(body!, "Size"));
    const lastModified = new Date(field(body!, "LastModified") ?? "");
    if (!key || !Number.isSafeInteger(size) || Number.isNaN(lastModified.getTime())) continue;
    objects.push({ key, size, lastModified, etag: field(body!, "ETag") ?? "" });
  }
  const truncated = field(xml, "IsTruncated") === "true";
  return { objects, nextToken: truncated ? field(xml, "NextContinuationToken") : undefined };
}
