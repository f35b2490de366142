import type { Redis } from "@upstash/redis/cloudflare";
import { z } from "zod";
import { sha256Hex } from "../crypto/sha256-hex.ts";

/**
 * Sign-ins between the redirect to the provider and its callback, in Redis under the hash of their `state`: the
 * nonce and PKCE verifier never reach the browser, a state is taken once (GETDEL: a replayed callback finds
 * nothing), and a flow is bound to the browser that started it by a cookie whose hash it keeps (a callback URL
 * planted in someone else's browser finds no matching cookie).
 */
export const signInFlowTtlSeconds = 600;

const common = { tenantId: z.string(), returnTo: z.string(), browserHash: z.string() };
/** OpenID: the nonce and PKCE verifier its callback needs. SAML: nothing more (the request ID is node-saml's, in `SamlRequestCache`). */
const Flow = z.union([
  z.object({ protocol: z.literal("oidc").default("oidc"), nonce: z.string(), codeVerifier: z.string(), ...common }).strict(),
  z.object({ protocol: z.literal("saml"), ...common }).strict(),
]);
type StoredFlow = z.infer<typeof Flow>;
export type SignInFlow = StoredFlow & { state: string };
/** A flow as saved: without the browser binding's hash, which `saveSignInFlow` adds. */
export type NewSignInFlow = { state: string } & (
  | Omit<Extract<StoredFlow, { protocol: "oidc" }>, "browserHash">
  | Omit<Extract<StoredFlow, { protocol: "saml" }>, "browserHash">
);

const flowKey = async (state: string) => `oidc-flow:v1:${await sha256Hex(state)}`;

export async function saveSignInFlow(redis: Redis, flow: NewSignInFlow, browserBinding: string): Promise<void> {
  const { state, ...rest } = flow;
  await redis.set(await flowKey(state), { ...rest, browserHash: await sha256Hex(browserBinding) }, { ex: signInFlowTtlSeconds });
}

/** The flow for this state, removed as it is read; undefined when unknown, used, expired or not this browser's. */
export async function takeSignInFlow(redis: Redis, state: string, browserBinding: string | undefined): Promise<SignInFlow | undefined> {
  if (!state || state.length > 512) return undefined;
  const parsed = Flow.safeParse(await redis.getdel(await flowKey(state)));
  if (!parsed.success) return undefined;
  if (!browserBinding || parsed.data.browserHash !== (await sha256Hex(browserBinding))) return undefined;
  return { ...parsed.data, state };
}
