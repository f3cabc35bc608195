/** The label value that stands for every value past a guard's limit. */
export const OTHER_LABEL = '(other)';

/**
 * Caps the distinct values one label may take. A caller that passes expanded paths or ids instead of
 * templates would otherwise create a series per value; past the cap, new values read `(other)` and the
 * guard reports once, so an operator learns of it without a memory leak.
 */
export class LabelGuard {
  private readonly seen = new Set<string>();
  private warned = false;

  constructor(
    private readonly limit: number,
    private readonly onOverflow: (value: string) => void,
  ) {}

  value(v: string): string {
    if (this.seen.has(v)) return v;
    if (this.seen.size < this.limit) {
      this.seen.add(v);
      return v;
    }
    if (!this.warned) {
      this.warned = true;
      this.onOverflow(v);
    }
    return OTHER_LABEL;
  }
}
