/**
 * Runs one piece of work per item, at most `concurrency` at a time, each retried alone up to `attempts` tries in
 * all. A failed item does not stop the others: the caller gets every item's outcome and every failed try, so it
 * can report retries and decide what a final failure means.
 */

export interface FanOutOptions {
  concurrency: number;
  attempts: number;
}

export interface ItemOutcome<I, T> {
  item: I;
  /** The result of the try that succeeded, or undefined when every try failed. */
  value: T | undefined;
  ok: boolean;
  /** One message per failed try, in order. */
  failures: string[];
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export async function fanOut<I, T>(
  items: readonly I[],
  options: FanOutOptions,
  work: (item: I, attempt: number) => Promise<T>,
): Promise<ItemOutcome<I, T>[]> {
  const outcomes: ItemOutcome<I, T>[] = items.map((item) => ({ item, value: undefined, ok: false, failures: [] }));
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      const outcome = outcomes[i];
      if (!outcome) return;
      for (let attempt = 1; attempt <= options.attempts; attempt++) {
        try {
          outcome.value = await work(outcome.item, attempt);
          outcome.ok = true;
          break;
        } catch (error) {
          outcome.failures.push(messageOf(error));
        }
      }
    }
  };
  const lanes = Math.max(1, Math.min(options.concurrency, items.length));
  await Promise.all(Array.from({ length: lanes }, worker));
  return outcomes;
}
