import { isIP } from "node:net";
import type { TunnelCloseCode } from "./errors.ts";

/** A TCP endpoint, as the Neon driver names it in `?address=host:port`. */
export interface HostPort {
  host: string;
  port: number;
}

export interface TunnelRequest {
  /** The request target of the upgrade, e.g. `/v2?address=127.0.0.1:54329`. */
  url: string | undefined;
  /** The `Origin` header; browsers always send one, the Neon driver in Node and workerd do not. */
  origin: string | undefined;
}

export type TunnelDecision =
  | { ok: true; target: HostPort }
  | { ok: false; code: Exclude<TunnelCloseCode, "binary_only" | "target_unreachable">; message: string };

// Far longer than any real host:port; bounds the work done on hostile input.
const maxAddressLength = 300;
const hostnamePattern = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * Parses `host:port`, `[v6]:port` or the unbracketed `v6:port` the driver produces for IPv6 hosts.
 * Names are lower-cased and never resolved: the allowlist compares exactly what the client asked for.
 */
export function parseHostPort(text: string): HostPort | undefined {
  if (text.length === 0 || text.length > maxAddressLength) return undefined;
  const colon = text.lastIndexOf(":");
  if (colon <= 0) return undefined;
  let host = text.slice(0, colon).toLowerCase();
  const portText = text.slice(colon + 1);
  if (!/^[0-9]{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  if (host.startsWith("[") && host.endsWith("]")) {
    host = host.slice(1, -1);
    return isIP(host) === 6 ? { host, port } : undefined;
  }
  if (host.includes(":")) return isIP(host) === 6 ? { host, port } : undefined;
  return isIP(host) === 4 || hostnamePattern.test(host) ? { host, port } : undefined;
}

export const formatHostPort = ({ host, port }: HostPort) => (host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`);

/** Parses a comma-separated allowlist (from the environment); throws on any bad entry so a typo can't widen it. */
export function parseAllowlist(text: string): HostPort[] {
  const entries = text
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error("the allowlist is empty");
  return entries.map((entry) => {
    const parsed = parseHostPort(entry);
    if (!parsed) throw new Error(`bad allowlist entry ${JSON.stringify(entry)} (want host:port)`);
    return parsed;
  });
}

/** Decides whether an upgrade request may open a tunnel, and to where. */
export function decideTunnel(request: TunnelRequest, allow: readonly HostPort[]): TunnelDecision {
  // A web page can open a WebSocket to 127.0.0.1; without this, any site the developer visits could reach
  // the dev database (PGlite has no password at all).
  if (request.origin !== undefined) {
    return { ok: false, code: "origin_not_allowed", message: "browser origins may not open database tunnels" };
  }
  let addresses: string[];
  try {
    addresses = new URL(request.url ?? "/", "ws://pg-ws-proxy.invalid").searchParams.getAll("address");
  } catch {
    return { ok: false, code: "malformed_address", message: "unparseable request target" };
  }
  if (addresses.length === 0) return { ok: false, code: "missing_address", message: "no ?address=host:port" };
  if (addresses.length > 1) return { ok: false, code: "malformed_address", message: "more than one address" };
  const target = parseHostPort(addresses[0] ?? "");
  if (!target) return { ok: false, code: "malformed_address", message: "address is not host:port" };
  const allowed = allow.some((entry) => entry.host === target.host && entry.port === target.port);
  if (!allowed) {
    return { ok: false, code: "target_not_allowed", message: `${formatHostPort(target)} is not in the allowlist` };
  }
  return { ok: true, target };
}
