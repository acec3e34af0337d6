// "Did you mean": the nearest of some known words to one that is not among them.

/** Levenshtein distance: insertions, deletions and substitutions each cost 1. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

/**
 * The known words close enough to `word` to be what was meant, nearest first (case is ignored).
 * Close enough: at most `limit` edits (default max(2, a third of its length)), or one contains the other
 * and is at least half its length ("prores" in "prores_proxy", but not "lut" in "resolutoin").
 */
export function nearest(word: string, known: readonly string[], max = 3, limit?: number): string[] {
  // No known word is long: a long string is no typo of one, and the distance of a huge one costs seconds.
  if (word.length > 64 || word === '') return [];
  const w = word.toLowerCase();
  limit ??= Math.max(2, Math.floor(w.length / 3));
  return known
    .map((k) => ({ k, d: editDistance(w, k.toLowerCase()), contains: contains(w, k.toLowerCase()) }))
    .filter((x) => x.k.toLowerCase() !== w && (x.d <= limit || x.contains))
    .sort((a, b) => a.d - b.d || a.k.localeCompare(b.k))
    .slice(0, max)
    .map((x) => x.k);
}

function contains(a: string, b: string): boolean {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  return long.includes(short) && short.length * 2 >= long.length;
}
