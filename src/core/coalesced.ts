/**
 * A job that never overlaps itself. Asked to run while it runs, it runs once more when that run is over — once,
 * however many times it was asked meanwhile — so a burst of changes costs at most one extra run and the last
 * change is never missed. (The agent consoles' board and the Aisera agents' feed read shared state this way.)
 */
export class Coalesced {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly job: () => Promise<void>,
    /** A failed run is reported here; the next one runs as usual. */
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Run now, or once more after the run under way. Resolves when the run under way (or this one) is over. */
  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.job()
      .catch(this.onError)
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          void this.run();
        }
      });
    return this.running;
  }
}
