import { and, eq, isNull, sql } from "drizzle-orm";
import type { TenantId } from "../../protocol/ids.ts";
import { users } from "../../schema/index.ts";
import type { QueryDatabase } from "../db/database.ts";
import type { TenantRole } from "./core/sign-in-rules.ts";

export interface SignedInUser {
  id: string;
  tenantId: string;
  email: string;
  displayName: string | null;
  role: TenantRole;
  status: "active" | "deactivated";
}

export interface SignInIdentity {
  issuer: string;
  subject: string;
  email: string;
  displayName: string | null;
}

const columns = {
  id: users.id,
  tenantId: users.tenantId,
  email: users.email,
  displayName: users.displayName,
  role: users.role,
  status: users.status,
};

/**
 * The user a sign-in is: the one with this issuer and subject; else an invited user with this email who has not
 * signed in yet (linked now); else a new user with `role`, provisioned just in time. The role is only ever set
 * here for a new user: later sign-ins keep what the tenant's admins have made of it.
 */
export async function userForSignIn(db: QueryDatabase, tenantId: TenantId, who: SignInIdentity, role: TenantRole): Promise<SignedInUser> {
  const now = new Date();
  const seen = { email: who.email, displayName: who.displayName, lastSignInAt: now, updatedAt: now };
  const [known] = await db
    .update(users)
    .set(seen)
    .where(and(eq(users.tenantId, tenantId), eq(users.idpIssuer, who.issuer), eq(users.idpSubject, who.subject)))
    .returning(columns);
  if (known) return asUser(known);
  const [invited] = await db
    .update(users)
    .set({ ...seen, idpIssuer: who.issuer, idpSubject: who.subject })
    .where(and(eq(users.tenantId, tenantId), sql`lower(${users.email}) = ${who.email}`, isNull(users.idpSubject)))
    .returning(columns);
  if (invited) return asUser(invited);
  const [created] = await db
    .insert(users)
    .values({ tenantId, ...seen, idpIssuer: who.issuer, idpSubject: who.subject, role })
    .onConflictDoNothing()
    .returning(columns);
  if (created) return asUser(created);
  // Another identity of the same tenant already holds this email (say, from the tenant's previous provider).
  throw new EmailTakenError();
}

export async function findUser(db: QueryDatabase, tenantId: TenantId, userId: string): Promise<SignedInUser | undefined> {
  const [row] = await db
    .select(columns)
    .from(users)
    .where(and(eq(users.tenantId, tenantId), eq(users.id, userId)));
  return row ? asUser(row) : undefined;
}

export class EmailTakenError extends Error {
  constructor() {
    super("another identity of this tenant already has this email");
  }
}

function asUser(row: {
  id: string;
  tenantId: string;
  email: string | null;
  displayName: string | null;
  role: TenantRole;
  status: "active" | "deactivated";
}): SignedInUser {
  return { ...row, email: row.email ?? "" };
}
