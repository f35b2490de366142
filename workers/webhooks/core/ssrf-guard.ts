import ipaddr from "ipaddr.js";

/**
 * Where a webhook may be sent. Refuses targets inside the network we run in: loopback, private, link-local (and so
 * cloud metadata at 169.254.169.254), carrier-grade NAT, multicast, reserved and unspecified addresses, in IPv4,
 * IPv6 and IPv4-mapped IPv6, and names that only ever mean such places (`localhost`, `*.internal`, …). A name is
 * checked again by what it resolves to, so a public name pointing inside is refused too. An explicit allow-list
 * (the local stack's loopback receivers) is the only way past.
 */
export type TargetRefusal = { ok: false; reason: string };
export type TargetCheck = { ok: true } | TargetRefusal;

/** The parts of a parsed URL (WHATWG, so `2130706433` and `0x7f.1` already read as dotted quads) the policy looks at. */
export interface TargetUrl {
  protocol: string;
  hostname: string;
  username: string;
  password: string;
}

/** Resolves a host name to its addresses (DNS over HTTPS in production). */
export type Resolver = (hostname: string) => Promise<string[]>;

export interface TargetPolicy {
  /** Hosts (as the URL spells them, e.g. `127.0.0.1`) allowed even though private. Empty in production. */
  allowedPrivateHosts: readonly string[];
  /** Plain http is allowed only where the allow-list is in use (locally). */
  requireHttps: boolean;
}

const blockedNames = [/^localhost$/, /\.localhost$/, /\.local$/, /\.internal$/, /\.home\.arpa$/, /^metadata$/];

/** `url` is null when the text did not parse as an absolute URL. */
export function checkTargetUrl(url: TargetUrl | null, policy: TargetPolicy): TargetCheck {
  if (!url) return refuse("not an absolute URL");
  if (url.protocol !== "https:" && !(url.protocol === "http:" && !policy.requireHttps)) return refuse("the URL must be https");
  if (url.username || url.password) return refuse("the URL must not carry credentials");
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (policy.allowedPrivateHosts.includes(host)) return { ok: true };
  if (blockedNames.some((pattern) => pattern.test(host.replace(/\.$/, "")))) return refuse(`${host} is an internal name`);
  const literal = addressRefusal(host);
  if (literal) return refuse(literal);
  return { ok: true };
}

/** The full check: the URL, then every address its name resolves to. */
export async function checkTarget(url: TargetUrl | null, policy: TargetPolicy, resolve: Resolver): Promise<TargetCheck> {
  const checked = checkTargetUrl(url, policy);
  if (!checked.ok || !url) return checked;
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (policy.allowedPrivateHosts.includes(host) || isIpLiteral(host)) return checked;
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch {
    return refuse(`${host} could not be resolved`);
  }
  if (addresses.length === 0) return refuse(`${host} does not resolve`);
  for (const address of addresses) {
    const refusal = addressRefusal(address.toLowerCase());
    if (refusal) return refuse(`${host} resolves to ${refusal}`);
  }
  return checked;
}

function refuse(reason: string): TargetRefusal {
  return { ok: false, reason };
}

function isIpLiteral(host: string): boolean {
  return ipaddr.isValid(host);
}

/**
 * Why this address is off limits, or null if it is a public unicast address (or not an address at all). Only
 * ipaddr.js's `unicast` range passes: IPv4-mapped IPv6 is judged as the IPv4 address it reaches, and 6to4, NAT64,
 * Teredo and the rest are refused outright because they can wrap an inside address.
 */
export function addressRefusal(host: string): string | null {
  if (!ipaddr.isValid(host)) return null;
  let address = ipaddr.parse(host);
  if (address.kind() === "ipv6" && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    address = (address as ipaddr.IPv6).toIPv4Address();
  }
  const range = address.range();
  return range === "unicast" ? null : `a ${range} address`;
}
