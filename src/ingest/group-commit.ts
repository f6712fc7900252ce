/**
 * Group commit: concurrent callers' items are gathered into batches that one function writes in
 * one transaction, so throughput is not capped by one commit (and one graphile-worker notify) per
 * request. Each caller's promise settles only after its own batch has committed.
 *
 * No timer: while `maxInFlight` batches are being written, new items wait and form the next
 * batch, so a lone request is written at once and a burst batches itself.
 */
export interface GroupCommitOptions<I, O> {
  /** Writes a batch in one transaction and returns one result per item, in order. */
  readonly write: (items: I[]) => Promise<O[]>;
  readonly maxBatch: number;
  readonly maxInFlight: number;
  /** Called when a batch fails and its items are retried one by one. */
  readonly onBatchError?: (error: unknown, size: number) => void;
  /** Runs in the submitter's async context before the item is queued (e.g. to take its trace context along). */
  readonly prepare?: (item: I) => I;
}

interface Pending<I, O> {
  readonly item: I;
  readonly resolve: (value: O) => void;
  readonly reject: (error: unknown) => void;
}

export class GroupCommitter<I, O> {
  readonly #options: GroupCommitOptions<I, O>;
  #queue: Pending<I, O>[] = [];
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(options: GroupCommitOptions<I, O>) {
    this.#options = options;
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ item: this.#options.prepare ? this.#options.prepare(item) : item, resolve, reject });
      this.#pump();
    });
  }

  get pending(): number {
    return this.#queue.length + this.#inFlight;
  }

  /** Resolves once everything submitted so far is written (used on shutdown). */
  drain(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #pump() {
    while (this.#inFlight < this.#options.maxInFlight && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#options.maxBatch);
      this.#inFlight++;
      void this.#run(batch).finally(() => {
        this.#inFlight--;
        this.#pump();
        if (this.pending === 0) for (const waiter of this.#idleWaiters.splice(0)) waiter();
      });
    }
  }

  async #run(batch: Pending<I, O>[]) {
    try {
      const results = await this.#options.write(batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(results[i] as O));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      // One bad item must not fail its neighbours: write each on its own.
      this.#options.onBatchError?.(error, batch.length);
      await Promise.all(batch.map((p) => this.#run([p])));
    }
  }
}
