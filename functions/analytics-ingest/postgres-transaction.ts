import type pg from "pg";

/**
 * One transaction on a connection checked out of the pool. node-postgres stops listening for a connection's errors
 * while it is checked out, so a connection Postgres ends between two statements (a restart, a terminated backend)
 * would raise an unhandled 'error' and end the container with the invocation queued behind this one. The listener
 * here keeps the error: the next statement fails with it, the invocation fails (and is retried) and the connection is
 * dropped, not handed to the next invocation.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onLost = (error: Error) => {
    lost ??= error;
  };
  client.on("error", onLost);
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    client.removeListener("error", onLost);
    client.release(lost);
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    client.removeListener("error", onLost);
    // Dropped even when the connection looks alive: failures are rare enough that reconnecting costs nothing.
    client.release(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
}
