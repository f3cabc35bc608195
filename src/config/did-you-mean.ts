/** Edit distance (insert, delete, substitute, swap adjacent), small strings only. */
function distance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(
        d[(i - 1) * cols + j]! + 1,
        d[i * cols + j - 1]! + 1,
        d[(i - 1) * cols + j - 1]! + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[(i - 2) * cols + j - 2]! + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1]!;
}

/** The closest candidate to a mistyped word, if one is close enough to be a likely typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const score = distance(lower, c.toLowerCase());
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  // Loose enough for "retires" → "retry", tight enough that unrelated words get no hint.
  const allowed = Math.max(1, Math.floor(word.length * 0.45));
  return best !== undefined && bestScore <= allowed && bestScore < word.length ? best : undefined;
}

/**
 * `message`, then a "did you mean" naming the closest of `candidates` to `word`; when none is close,
 * `otherwise` instead (what there is, or where to add one).
 */
export function withSuggestion(
  message: string,
  word: string,
  candidates: readonly string[],
  otherwise = '',
): string {
  const hint = didYouMean(word, candidates);
  return message + (hint ? ` (did you mean "${hint}"?)` : otherwise);
}
