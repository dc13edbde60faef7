// Budgets for a queue of like jobs on the worker pool (the layers, the memory
// sweep), each set when a worker takes the job: its share of the time left
// before the stage's deadline, less what the jobs so far took beyond their
// budget. Every layer pays for work its budget does not bound (the
// baselines, the figures on fresh batches, the bound, the held-out solve):
// on DeepSeek-V3 at batch 4,096 that is about 200 ms a layer, as much as the
// search itself gets, so a budget that ignored it overran the plan's time by
// a third.

/** Weight of the newest job in the running estimate of the unbounded work (the first jobs also pay for the JIT). */
const RECENT_WEIGHT = 0.3;

export class JobClock {
  private notStarted: number;
  private fixedMs: number | undefined;

  /**
   * @param deadline  performance.now() by which the last job should end
   * @param workers   workers the jobs have (a fraction when another stage shares the pool)
   * @param jobs      jobs in the queue
   * @param minMs     least budget a job is given
   * @param firstShare share of its time a job's budget gets before any job has ended (the unbounded work is not measured yet)
   * @param now       the clock (tests pass their own)
   */
  constructor(
    private readonly deadline: number,
    private readonly workers: number,
    jobs: number,
    private readonly minMs: number,
    private readonly firstShare = 0.5,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.notStarted = jobs;
  }

  /** The budget of the job a worker takes now, ms. */
  take(): number {
    // Time left × workers / (jobs not started + the others in flight).
    const share = ((this.deadline - this.now()) * this.workers) / Math.max(1, this.notStarted + Math.ceil(this.workers) - 1);
    this.notStarted = Math.max(0, this.notStarted - 1);
    const fixed = this.fixedMs ?? share * (1 - this.firstShare);
    return Math.max(this.minMs, share - fixed);
  }

  /** A job given `budgetMs` took `tookMs` in all. */
  done(budgetMs: number, tookMs: number): void {
    const over = Math.max(0, tookMs - budgetMs);
    this.fixedMs = this.fixedMs === undefined ? over : this.fixedMs + RECENT_WEIGHT * (over - this.fixedMs);
  }

  /** The unbounded work per job measured so far, ms (undefined before any job has ended). */
  get unboundedMs(): number | undefined {
    return this.fixedMs;
  }
}
